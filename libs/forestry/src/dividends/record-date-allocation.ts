import { accountIdByCodeSql, assetBalancesAsOfSql, Dec } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { ownerRefOf, walletOf } from '../parties/party-registration';
import { partyIdByCodeSql } from '../parties/party-refs';
import { holderTickets } from '../projects/project-accounts';

/** One holder's entitlement: its party code, the id of its first account of the series (the tie-break), units at the record date and amount. */
export interface Entitlement {
  code: string;
  accountId: bigint;
  units: Dec;
  amount: Dec;
}

/** A row of allocationSql, in seq order: `party_id` null for a holder no party has, `wallet` whether its CNY wallet exists. */
export interface AllocationRow {
  seq: string;
  code: string;
  party_id: string | null;
  account_id: string;
  units: string;
  amount: string;
  wallet: boolean;
}

/** The text before and after the party code in the account code (or owner ref) `make` builds, as statement parameters. */
function around(make: (code: string) => string): [string, string] {
  const [before, after] = make('\n').split('\n');
  return [before, after];
}

/**
 * splitPool in SQL: the rows (party, account_id, units) of the relation `holders` (units > 0, account ids distinct)
 * with `pool` (an SQL numeric amount, to the 分) split among them by largest remainder, in exact numeric arithmetic: each
 * floor(pool in 分 × units ÷ all units), then the 分 left over one each to the largest remainders, ties to the lower
 * account id. Rows (seq, party, account_id, units, amount numeric(20, 2)), seq from 1 in account id order.
 */
export const largestRemainderSql = (holders: string, pool: string): string => `
  WITH pool AS MATERIALIZED (
    SELECT (${pool}) * 100 AS cents, SUM(units) AS units FROM ${holders}
  ), split AS MATERIALIZED (
    SELECT h.party, h.account_id, h.units, div(p.cents * h.units, p.units) AS floor_cents, mod(p.cents * h.units, p.units) AS remainder
      FROM ${holders} h CROSS JOIN pool p
  ), ranked AS (
    SELECT s.*, row_number() OVER (ORDER BY s.remainder DESC, s.account_id) AS rank, (SELECT cents FROM pool) - SUM(s.floor_cents) OVER () AS leftover
      FROM split s
  )
  SELECT row_number() OVER (ORDER BY r.account_id) AS seq, r.party, r.account_id, r.units,
         ((r.floor_cents + CASE WHEN r.rank <= r.leftover THEN 1 ELSE 0 END) / 100)::numeric(20, 2) AS amount
    FROM ranked r`;

/**
 * The allocation of `amount` among the holders of `series` at `recordDate`, as a distribution pays it, in one
 * statement (DOMAIN.md §4): each owner's free + pledged (+ listed) units, split by largest remainder (splitPool's
 * contract, largestRemainderSql) in the order of each owner's lowest account id of the series (its free units'
 * account, opened first, even when it held nothing on the record date). Holders with no units are left out. Rows are
 * AllocationRows, seq from 1 in that order; its parameters are allocationParams' ($1–$8: a statement composed with
 * it numbers its own from $9). Used by the distribution's snapshot (one INSERT … SELECT: no holder's row passes
 * through Node) and by the disclosure (公示) of a declaration, so the published list is the one paid.
 */
export const allocationSql = (): string => `
  WITH held AS MATERIALIZED (
    SELECT b.id, b.code, substr(b.owner_ref, length($4::text) + 1) AS party, b.balance
      FROM (${assetBalancesAsOfSql('$1::text', `'LIABILITY'`, '$2::date')}) b
     WHERE starts_with(b.owner_ref, $4::text)
  ), owners AS MATERIALIZED (
    SELECT party, SUM(balance) AS units, MIN(id) AS lowest, bool_or(code = $5::text || party || $6::text) AS free_held
      FROM held GROUP BY party HAVING SUM(balance) > 0
  ), keyed AS MATERIALIZED (
    SELECT party, units, CASE WHEN free_held THEN lowest ELSE LEAST(lowest, ${accountIdByCodeSql('$5::text || party || $6::text')}) END AS account_id FROM owners
  ), ranked AS MATERIALIZED (${largestRemainderSql('keyed', '$3::numeric')})
  SELECT r.seq, r.party AS code, ${partyIdByCodeSql('r.party')} AS party_id, r.account_id, r.units, r.amount,
         ${accountIdByCodeSql('$7::text || r.party || $8::text')} IS NOT NULL AS wallet
    FROM ranked r`;

/** allocationSql's parameters $1–$8. */
export function allocationParams(series: { code: string; asset_code: string }, amount: string, recordDate: string): string[] {
  const pool = new Dec(amount);
  if (!pool.times(100).isInteger() || pool.isNegative()) throw new RangeError(`pool ${pool.toString()} must be a non-negative amount in 分`);
  return [series.asset_code, recordDate, pool.toFixed(2), ownerRefOf(''), ...around((code) => holderTickets(code, series.code)), ...around(walletOf)];
}

/** The allocation (allocationSql) as entitlements, in seq order. */
export async function allocationAtRecordDate(em: EntityManager, series: { code: string; asset_code: string }, amount: string, recordDate: string): Promise<Entitlement[]> {
  const rows = await em.query<AllocationRow[]>(
    `SELECT seq::text AS seq, code, account_id::text AS account_id, units::text AS units, amount::text AS amount FROM (${allocationSql()}) a ORDER BY a.seq`,
    allocationParams(series, amount, recordDate),
  );
  return rows.map((r) => ({ code: r.code, accountId: BigInt(r.account_id), units: new Dec(r.units), amount: new Dec(r.amount) }));
}
