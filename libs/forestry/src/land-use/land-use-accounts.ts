import { OpenAccountInput } from '@forest-ledger/ledger';

/** Account codes of a state-land use contract (DOMAIN.md §7); money arrives and leaves through BANK_CLEARING_ACCOUNT. */

/** What the lessee owes the farm (rent and late fees raised, not yet settled). */
export const landReceivable = (contract: string): string => `land:${contract}:receivable:CNY`;
/** The farm's income: rent and late fees raised, forfeited deposits (less waivers and termination credits). */
export const landIncome = (contract: string): string => `land:${contract}:income:CNY`;
/** The deposit (保证金) held for the lessee. */
export const landDeposit = (contract: string): string => `land:${contract}:deposit:CNY`;
/** Overpayments held for the lessee, used by later periods. */
export const landLesseeCredit = (contract: string): string => `land:${contract}:lessee-credit:CNY`;

export function landUseAccounts(contract: string, lessor: string, lessee: string): OpenAccountInput[] {
  return [
    { code: landReceivable(contract), asset: 'CNY', type: 'ASSET', ownerRef: `party:${lessor}`, noOverdraft: true },
    { code: landIncome(contract), asset: 'CNY', type: 'INCOME', ownerRef: `party:${lessor}` },
    { code: landDeposit(contract), asset: 'CNY', type: 'LIABILITY', ownerRef: `party:${lessee}`, noOverdraft: true },
    { code: landLesseeCredit(contract), asset: 'CNY', type: 'LIABILITY', ownerRef: `party:${lessee}`, noOverdraft: true },
  ];
}
