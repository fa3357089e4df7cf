import { OpenAccountInput } from '@forest-ledger/ledger';

/** Account codes of the cooperation projects and 林票, in one place (DOMAIN.md §9). */

/** The bank clearing account: money that arrived at, or left through, the platform's bank account. */
export const BANK_CLEARING_ACCOUNT = 'bank:clearing:CNY';
/** Fees the platform earns (e.g. on 林票 trades). */
export const PLATFORM_FEES_ACCOUNT = 'platform:fees:CNY';

export const projectOwnerRef = (project: string): string => `project:${project}`;
/** The project's cash, owed by the platform to the project; never negative. */
export const projectWallet = (project: string): string => `project:${project}:wallet:CNY`;
/** Capital the farm committed and has not paid in yet (the farm owes it to the project). */
export const projectCommitments = (project: string): string => `project:${project}:commitments:CNY`;
/** The project's side of the commitments: capital still to be received. */
export const projectCapitalToReceive = (project: string): string => `project:${project}:capital-to-receive:CNY`;
/** In-kind contributions (land, standing trees) at their valuation. */
export const projectInKind = (project: string): string => `project:${project}:in-kind:CNY`;
export const projectInKindCapital = (project: string): string => `project:${project}:in-kind-capital:CNY`;

export function projectAccounts(project: string): OpenAccountInput[] {
  const ownerRef = projectOwnerRef(project);
  return [
    { code: projectWallet(project), asset: 'CNY', type: 'LIABILITY', ownerRef, noOverdraft: true },
    { code: projectCommitments(project), asset: 'CNY', type: 'ASSET', ownerRef, noOverdraft: true },
    { code: projectCapitalToReceive(project), asset: 'CNY', type: 'LIABILITY', ownerRef, noOverdraft: true },
    { code: projectInKind(project), asset: 'CNY', type: 'ASSET', ownerRef, noOverdraft: true },
    { code: projectInKindCapital(project), asset: 'CNY', type: 'EQUITY', ownerRef, noOverdraft: true },
  ];
}

export const PLATFORM_ACCOUNTS: OpenAccountInput[] = [
  { code: BANK_CLEARING_ACCOUNT, asset: 'CNY', type: 'ASSET', ownerRef: 'platform', metadata: { name: '平台银行清算户' } },
  { code: PLATFORM_FEES_ACCOUNT, asset: 'CNY', type: 'INCOME', ownerRef: 'platform', metadata: { name: '平台交易手续费收入' } },
];

/** Units of a series: the ledger asset LP.<series> (scale 0). */
export const TICKET_ASSET_PREFIX = 'LP.';
export const ticketAsset = (series: string): string => `${TICKET_ASSET_PREFIX}${series}`;
/**
 * Assets only their own operations move (林票 units: the register, REGISTER_CLOSED, restrictions;
 * carbon credits: the serial blocks): the raw ledger routes refuse them (422 ASSET_MANAGED).
 */
export const MANAGED_ASSET_PREFIXES: readonly string[] = [TICKET_ASSET_PREFIX, 'TCO2E'];
/** The issuer's side of the issuance: debit-normal, its balance is the units outstanding. */
export const seriesIssued = (series: string): string => `series:${series}:issued`;
/** A holder's free units. */
export const holderTickets = (party: string, series: string): string => `holder:${party}:tickets:${series}`;
/** A holder's pledged units: still theirs (same owner), but they cannot move. */
export const holderPledged = (party: string, series: string): string => `holder:${party}:tickets:${series}:pledged`;
/** A holder's units listed on the market (挂牌): still theirs, reserved for the listing's buyers until sold, withdrawn or expired. */
export const holderListed = (party: string, series: string): string => `holder:${party}:tickets:${series}:listed`;

/** Made once: constructing an Intl.DateTimeFormat with a time zone costs 0.2 ms or more (it was 5 % of the API under the portal bench), formatting with one about a microsecond. */
const CHINA_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' });

/** China's calendar date now (Asia/Shanghai), the default effective date of a command. */
export function businessToday(now: Date = new Date()): string {
  return CHINA_DATE.format(now);
}
