import { Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { holderTickets } from '../projects/project-accounts';
import { splitPool } from './dividend-math';

/** One holder's entitlement: its party code, the id of its first account of the series (the tie-break), units at the record date and amount. */
export interface Entitlement {
  code: string;
  accountId: bigint;
  units: Dec;
  amount: Dec;
}

/**
 * The allocation of `amount` among the holders of `series` at `recordDate`, as a distribution pays it:
 * each owner's free + pledged (+ listed) units, split by largest remainder in the order of each owner's
 * lowest account id of the series. Holders with no units are left out. Used by the distribution's
 * snapshot and by the disclosure (公示) of a declaration, so the published list is the one paid.
 */
/** The ledger's reads hold no state: one instance serves every caller. */
const reads = new LedgerReads();

export async function allocationAtRecordDate(
  ledger: LedgerService,
  em: EntityManager,
  series: { code: string; asset_code: string },
  amount: string,
  recordDate: string,
): Promise<Entitlement[]> {
  const balances = await ledger.balancesOfAssetAsOf(series.asset_code, 'LIABILITY', recordDate, em);
  const unitsByOwner = new Map<string, Dec>();
  const lowestIdByOwner = new Map<string, bigint>();
  const heldAccounts = new Set<string>();
  for (const b of balances) {
    if (b.ownerRef === null || !b.ownerRef.startsWith('party:')) continue;
    const units = unitsByOwner.get(b.ownerRef);
    unitsByOwner.set(b.ownerRef, units === undefined ? new Dec(b.balance) : units.plus(b.balance));
    const id = BigInt(b.accountId);
    const lowest = lowestIdByOwner.get(b.ownerRef);
    if (lowest === undefined || id < lowest) lowestIdByOwner.set(b.ownerRef, id);
    heldAccounts.add(b.account);
  }
  // The tie-break key: each owner's first account of the series (its free units, opened first), by id. Its id
  // came with the balances unless it held nothing on the record date (all pledged or listed): those are looked up.
  const owners = [...unitsByOwner.keys()].filter((o) => unitsByOwner.get(o)!.greaterThan(0));
  const freeAccountOf = (ownerRef: string) => holderTickets(ownerRef.slice('party:'.length), series.code);
  const emptyFree = await reads.accountIds(
    em,
    owners.map(freeAccountOf).filter((code) => !heldAccounts.has(code)),
  );
  const holders = owners.map((ownerRef) => {
    const held = lowestIdByOwner.get(ownerRef)!;
    const free = emptyFree.get(freeAccountOf(ownerRef));
    return { ownerRef, code: ownerRef.slice('party:'.length), accountId: free !== undefined && BigInt(free) < held ? BigInt(free) : held };
  });
  holders.sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  const split = splitPool(
    amount,
    holders.map((o) => ({ key: o.ownerRef, units: unitsByOwner.get(o.ownerRef)! })),
  );
  return holders.map((h, i) => ({ code: h.code, accountId: h.accountId, units: split[i].units, amount: split[i].amount }));
}
