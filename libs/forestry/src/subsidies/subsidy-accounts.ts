import { LedgerError, OpenAccountInput } from '@forest-ledger/ledger';
import { SubsidyError } from './subsidies.errors';

/** Account codes of subsidy programmes (DOMAIN.md §2, §6), in one place. All CNY, all never negative. */

export const programmeOwnerRef = (programme: string): string => `programme:${programme}`;
/** The budget not yet committed: top-ups come in here, approvals move money out to `reserved`. */
export const programmeWallet = (programme: string): string => `programme:${programme}:wallet:CNY`;
/** Approved and not yet paid: instalments are paid from here; a cancelled instalment goes back to the wallet. */
export const programmeReserved = (programme: string): string => `programme:${programme}:reserved:CNY`;
/** Clawbacks booked and not yet recovered: returns to the wallet as the recipients pay back. */
export const programmeClawbackPending = (programme: string): string => `programme:${programme}:clawback-pending:CNY`;
/** What a recipient owes back to the programme (a receivable, the programme's asset). */
export const programmeReceivable = (programme: string, party: string): string => `programme:${programme}:receivable:${party}:CNY`;

export function programmeAccounts(programme: string): OpenAccountInput[] {
  const ownerRef = programmeOwnerRef(programme);
  return [
    { code: programmeWallet(programme), asset: 'CNY', type: 'LIABILITY', ownerRef, noOverdraft: true, metadata: { name: '奖补资金可用预算' } },
    { code: programmeReserved(programme), asset: 'CNY', type: 'LIABILITY', ownerRef, noOverdraft: true, metadata: { name: '已批准待拨付奖补' } },
    { code: programmeClawbackPending(programme), asset: 'CNY', type: 'LIABILITY', ownerRef, noOverdraft: true, metadata: { name: '待收回奖补' } },
  ];
}

export function receivableAccount(programme: string, party: string): OpenAccountInput {
  return {
    code: programmeReceivable(programme, party),
    asset: 'CNY',
    type: 'ASSET',
    ownerRef: programmeOwnerRef(programme),
    noOverdraft: true,
    metadata: { name: `应收回奖补 ${party}` },
  };
}

/** A ledger refusal on the programme's wallet or reserved account becomes BUDGET_EXCEEDED; anything else is returned as it is (to rethrow). */
export function budgetShort(error: unknown, programme: string, amount: string): unknown {
  if (error instanceof LedgerError && error.code === 'INSUFFICIENT_FUNDS' && [programmeWallet(programme), programmeReserved(programme)].includes(String(error.details?.account))) {
    return new SubsidyError(
      'BUDGET_EXCEEDED',
      `programme ${programme} has ${String(error.details?.balance)} left in ${String(error.details?.account)}, less than ${amount}`,
      'claim',
      {
        available: error.details?.balance,
        requested: amount,
      },
    );
  }
  return error;
}
