import { OpenAccountInput } from '@forest-ledger/ledger';

/** Account codes of forestry carbon credits (DOMAIN.md §2), in one place. Credits are the asset TCO2E, in whole tonnes. */
export const CARBON_ASSET = { code: 'TCO2E', scale: 3, description: '吨二氧化碳当量' };

export const carbonOwnerRef = (project: string): string => `carbon-project:${project}`;
/** The issuer's side: debit-normal, its balance is every tonne ever issued. */
export const carbonIssued = (project: string): string => `carbon-project:${project}:issued`;
/** The non-permanence buffer (缓冲库), withheld at issuance; never sold. */
export const carbonBuffer = (project: string): string => `carbon-project:${project}:buffer`;
/** Retired (注销) tonnes: they never move again. */
export const carbonRetired = (project: string): string => `carbon-project:${project}:retired`;
/** A sale's price passes through here to the revenue shares in the same entry; its balance is always zero after a sale. */
export const carbonRevenue = (project: string): string => `carbon-project:${project}:revenue:CNY`;
/** A party's credits of one project (held and reserved for a listing). */
export const holderCredits = (party: string, project: string): string => `holder:${party}:credits:${project}`;

export function carbonProjectAccounts(project: string): OpenAccountInput[] {
  const ownerRef = carbonOwnerRef(project);
  return [
    { code: carbonIssued(project), asset: CARBON_ASSET.code, type: 'ASSET', ownerRef },
    { code: carbonBuffer(project), asset: CARBON_ASSET.code, type: 'LIABILITY', ownerRef, noOverdraft: true },
    { code: carbonRetired(project), asset: CARBON_ASSET.code, type: 'LIABILITY', ownerRef, noOverdraft: true },
    { code: carbonRevenue(project), asset: 'CNY', type: 'LIABILITY', ownerRef, noOverdraft: true },
  ];
}

export function holderCreditsAccount(party: string, project: string): OpenAccountInput {
  return { code: holderCredits(party, project), asset: CARBON_ASSET.code, type: 'LIABILITY', ownerRef: `party:${party}`, noOverdraft: true };
}
