import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Dec, formatDecimal } from './domain/amount';
import { balanceOf, isIsoDate, Side, SIDES } from './domain/entry';
import { LedgerError } from './domain/errors';
import { rowsAsOfSql } from './period-totals';

/** A posting filter of `postingSums`: entry kinds (any when absent), one side (net by normal side when absent), effective on or before `asOf`. */
export interface PostingSumFilter {
  kinds?: string[];
  side?: Side;
  asOf?: string;
}

function checkAsOf(asOf: string | undefined): void {
  if (asOf !== undefined && !isIsoDate(asOf)) throw new LedgerError('INVALID_ENTRY', 'asOf must be a calendar date YYYY-MM-DD', 'asOf');
}

function signedBalance(normalSide: Side, debits: string, credits: string): Dec {
  return balanceOf({ normalSide, debits: new Dec(debits), credits: new Dec(credits) });
}

/** An account of an owner with what its balance needs (accountsOfOwnerSql). */
export interface OwnerAccountRow {
  code: string;
  normal_side: Side;
  debits: string;
  credits: string;
  scale: number;
}

/**
 * Fragments of the ledger's reads for a feature's read composed into one statement (one snapshot, one round trip),
 * `ownerRef` an SQL expression: the accounts of an owner (OwnerAccountRows), and the first effective date any of them
 * moved (one row, `date` YYYY-MM-DD or null), as firstPostingDates.
 */
export const accountsOfOwnerSql = (ownerRef: string): string =>
  `SELECT a.code, a.normal_side, a.debits::text AS debits, a.credits::text AS credits, s.scale
     FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code WHERE a.owner_ref = ${ownerRef}`;
export const firstPostingDateSql = (ownerRef: string): string =>
  `SELECT to_char(min(p.effective_date), 'YYYY-MM-DD') AS date FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE a.owner_ref = ${ownerRef}`;

/**
 * Fragments for a statement composed with a feature's own (e.g. a distribution's record-date snapshot written by one
 * INSERT … SELECT), the arguments SQL expressions: the accounts of `asset` and `type` whose balance by their normal side
 * from the postings effective on or before `date` is not zero, rows (id, code, owner_ref, balance), as
 * LedgerReportsService.balancesOfAssetAsOf answers them (one scan of the asset's period totals); and the id of the
 * account whose code is `code`, a scalar subquery (NULL when there is none).
 */
export const assetBalancesAsOfSql = (asset: string, type: string, date: string): string =>
  `SELECT a.id, a.code, a.owner_ref, CASE a.normal_side WHEN 'DEBIT' THEN n.net ELSE -n.net END AS balance
     FROM (SELECT t.account_id, SUM(t.debits - t.credits) AS net
             FROM (${rowsAsOfSql(date, `account_id IN (SELECT id FROM ledger_accounts WHERE asset_code = ${asset} AND type = ${type})`)}) t
            GROUP BY t.account_id) n
     JOIN ledger_accounts a ON a.id = n.account_id
    WHERE n.net <> 0`;
export const accountIdByCodeSql = (code: string): string => `(SELECT a.id FROM ledger_accounts a WHERE a.code = ${code})`;

/** An account's balance by its normal side (as balances() answers). */
export const balanceOfRow = (r: OwnerAccountRow): Dec => signedBalance(r.normal_side, r.debits, r.credits);

/** An account's balance as its AccountView shows it (to the asset's scale). */
export const balanceTextOfRow = (r: OwnerAccountRow): string => formatDecimal(balanceOfRow(r), r.scale);

/**
 * The ledger's read model for features: small set-based questions about entries, accounts and
 * postings, each in the caller's `em` (its transaction and snapshot). Nothing here locks or writes.
 * Amounts are raw decimals (not rounded to the asset's scale; postings never exceed it).
 */
@Injectable()
export class LedgerReads {
  /** Idempotency key → entry id, for the keys that exist. Keys match exactly as stored (the HTTP API stores `user:<id>/<key>`). */
  async entryIdsByKeys(em: EntityManager, keys: string[]): Promise<Map<string, string>> {
    if (keys.length === 0) return new Map();
    const rows = await em.query<
      Array<{
        id: string;
        idempotency_key: string;
      }>
    >(`SELECT id::text AS id, idempotency_key FROM ledger_entries WHERE idempotency_key = ANY($1::text[])`, [[...new Set(keys)]]);
    return new Map(rows.map((r) => [r.idempotency_key, r.id]));
  }

  /** Entry id → idempotency key, for the ids that exist. */
  async entryKeys(em: EntityManager, ids: string[]): Promise<Map<string, string>> {
    if (ids.length === 0) return new Map();
    const rows = await em.query<
      Array<{
        id: string;
        idempotency_key: string;
      }>
    >(`SELECT id::text AS id, idempotency_key FROM ledger_entries WHERE id = ANY($1::bigint[])`, [[...new Set(ids)]]);
    return new Map(rows.map((r) => [r.id, r.idempotency_key]));
  }

  /** Account code → id, for the codes that exist (the id alone: a set-based writer's keys and tie-breaks). */
  async accountIds(em: EntityManager, codes: readonly string[]): Promise<Map<string, string>> {
    if (codes.length === 0) return new Map();
    const rows = await em.query<Array<{ id: string; code: string }>>(`SELECT id::text AS id, code FROM ledger_accounts WHERE code = ANY($1::text[])`, [[...new Set(codes)]]);
    return new Map(rows.map((r) => [r.code, r.id]));
  }

  /** Which of these codes name no account (a set-based writer's "open the missing ones"): sends the codes, receives only the unknown. */
  async unknownAccountCodes(em: EntityManager, codes: readonly string[]): Promise<string[]> {
    if (codes.length === 0) return [];
    const rows = await em.query<Array<{ code: string }>>(
      `SELECT c.code FROM unnest($1::text[]) AS c(code) WHERE NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.code = c.code)`,
      [[...new Set(codes)]],
    );
    return rows.map((r) => r.code);
  }

  /**
   * Balance by the account's normal side (credits − debits for LIABILITY/EQUITY/INCOME, debits − credits
   * for ASSET/EXPENSE). Now: the running totals; with `asOf`: the year, month and day totals on or before it (period-totals). Unknown codes are absent.
   */
  async balances(em: EntityManager, codes: string[], asOf?: string): Promise<Map<string, Dec>> {
    checkAsOf(asOf);
    if (codes.length === 0) return new Map();
    type Row = { code: string; normal_side: Side; debits: string; credits: string };
    const rows =
      asOf === undefined
        ? await em.query<Row[]>(`SELECT code, normal_side, debits::text AS debits, credits::text AS credits FROM ledger_accounts WHERE code = ANY($1::text[])`, [
            [...new Set(codes)],
          ])
        : await em.query<Row[]>(
            `SELECT a.code, a.normal_side, COALESCE(SUM(d.debits), 0)::text AS debits, COALESCE(SUM(d.credits), 0)::text AS credits
               FROM ledger_accounts a LEFT JOIN (${rowsAsOfSql('$2::date', 'account_id IN (SELECT id FROM ledger_accounts WHERE code = ANY($1::text[]))')}) d
                 ON d.account_id = a.id
              WHERE a.code = ANY($1::text[]) GROUP BY a.id`,
            [[...new Set(codes)], asOf],
          );
    return new Map(rows.map((r) => [r.code, signedBalance(r.normal_side, r.debits, r.credits)]));
  }

  /** Per asset: how many distinct owners hold a LIABILITY account of it with a non-zero balance (holders on a register). Assets with none are absent. */
  async holderCounts(em: EntityManager, assets: string[]): Promise<Map<string, number>> {
    if (assets.length === 0) return new Map();
    const rows = await em.query<Array<{ asset_code: string; n: number }>>(
      `SELECT asset_code, count(DISTINCT owner_ref)::int AS n FROM ledger_accounts
        WHERE asset_code = ANY($1::text[]) AND type = 'LIABILITY' AND credits <> debits GROUP BY asset_code`,
      [[...new Set(assets)]],
    );
    return new Map(rows.map((r) => [r.asset_code, r.n]));
  }

  /** Per account: the latest effective date (YYYY-MM-DD) of its postings. Accounts without postings, and unknown codes, are absent. */
  async lastPostingDates(em: EntityManager, codes: string[]): Promise<Map<string, string>> {
    if (codes.length === 0) return new Map();
    const rows = await em.query<Array<{ code: string; date: string }>>(
      `SELECT a.code, to_char(max(p.effective_date), 'YYYY-MM-DD') AS date FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
        WHERE a.code = ANY($1::text[]) GROUP BY a.code`,
      [[...new Set(codes)]],
    );
    return new Map(rows.map((r) => [r.code, r.date]));
  }

  /**
   * Per account: the sum of its postings in entries of `kinds`, effective on or before `asOf`. With `side`, the sum of
   * that side's amounts; without, the net by the account's normal side (like `balances`). Every known code is present (0 when nothing matches).
   */
  async postingSums(em: EntityManager, codes: string[], filter: PostingSumFilter = {}): Promise<Map<string, Dec>> {
    checkAsOf(filter.asOf);
    if (filter.side !== undefined && !SIDES.includes(filter.side)) throw new LedgerError('INVALID_ENTRY', `side must be one of ${SIDES.join(', ')}`, 'side');
    if (codes.length === 0) return new Map();
    const rows = await em.query<Array<{ code: string; normal_side: Side; debits: string; credits: string }>>(
      `SELECT a.code, a.normal_side,
              COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'DEBIT'), 0)::text AS debits,
              COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'CREDIT'), 0)::text AS credits
         FROM ledger_accounts a
         LEFT JOIN (ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id)
           ON p.account_id = a.id AND ($2::text[] IS NULL OR e.kind = ANY($2::text[])) AND ($3::date IS NULL OR p.effective_date <= $3::date)
        WHERE a.code = ANY($1::text[]) GROUP BY a.id`,
      [[...new Set(codes)], filter.kinds ?? null, filter.asOf ?? null],
    );
    const sum = (r: (typeof rows)[number]): Dec =>
      filter.side === 'DEBIT' ? new Dec(r.debits) : filter.side === 'CREDIT' ? new Dec(r.credits) : signedBalance(r.normal_side, r.debits, r.credits);
    return new Map(rows.map((r) => [r.code, sum(r)]));
  }

  /**
   * Per credit-normal account with a positive balance (now, or with `asOf` from the postings effective on or before it):
   * the credits still owed, oldest first. The balance is matched to the newest credits (money is paid out oldest first);
   * each part carries its credit's effective date. Accounts without a positive balance, and unknown codes, are absent.
   */
  async owedCredits(em: EntityManager, codes: string[], asOf?: string): Promise<Map<string, Array<{ effectiveDate: string; amount: Dec }>>> {
    checkAsOf(asOf);
    if (codes.length === 0) return new Map();
    const rows = await em.query<Array<{ code: string; effective_date: string; owed: string }>>(
      `WITH w AS (
         SELECT a.id, a.code,
                CASE WHEN $2::date IS NULL THEN a.credits - a.debits
                     ELSE (SELECT COALESCE(SUM(CASE WHEN p.side = 'CREDIT' THEN p.amount ELSE -p.amount END), 0) FROM ledger_postings p
                            WHERE p.account_id = a.id AND p.effective_date <= $2::date) END AS balance
           FROM ledger_accounts a WHERE a.code = ANY($1::text[]) AND a.normal_side = 'CREDIT'
       ), c AS (
         SELECT w.code, w.balance, x.id, x.effective_date, x.amount,
                SUM(x.amount) OVER (PARTITION BY w.id ORDER BY x.effective_date DESC, x.id DESC) AS running
           FROM w JOIN ledger_postings x ON x.account_id = w.id AND x.side = 'CREDIT' AND ($2::date IS NULL OR x.effective_date <= $2::date)
          WHERE w.balance > 0
       )
       SELECT code, to_char(effective_date, 'YYYY-MM-DD') AS effective_date, LEAST(amount, balance - (running - amount))::text AS owed
         FROM c WHERE running - amount < balance ORDER BY code, effective_date, id`,
      [[...new Set(codes)], asOf ?? null],
    );
    const out = new Map<string, Array<{ effectiveDate: string; amount: Dec }>>();
    for (const r of rows) out.set(r.code, [...(out.get(r.code) ?? []), { effectiveDate: r.effective_date, amount: new Dec(r.owed) }]);
    return out;
  }

  /** Per owner: the earliest effective date (YYYY-MM-DD) of a posting on any of its accounts. Owners without postings are absent. */
  async firstPostingDates(em: EntityManager, ownerRefs: string[]): Promise<Map<string, string>> {
    if (ownerRefs.length === 0) return new Map();
    const rows = await em.query<Array<{ owner_ref: string; date: string }>>(
      `SELECT a.owner_ref, to_char(min(p.effective_date), 'YYYY-MM-DD') AS date FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
        WHERE a.owner_ref = ANY($1::text[]) GROUP BY a.owner_ref`,
      [[...new Set(ownerRefs)]],
    );
    return new Map(rows.map((r) => [r.owner_ref, r.date]));
  }

  /** Which of `refs` own at least one account (open or closed). */
  async ownerRefsInUse(em: EntityManager, refs: string[]): Promise<Set<string>> {
    if (refs.length === 0) return new Set();
    const rows = await em.query<Array<{ owner_ref: string }>>(`SELECT DISTINCT owner_ref FROM ledger_accounts WHERE owner_ref = ANY($1::text[])`, [[...new Set(refs)]]);
    return new Set(rows.map((r) => r.owner_ref));
  }

  async assetExists(em: EntityManager, code: string): Promise<boolean> {
    const rows = await em.query<unknown[]>(`SELECT 1 FROM ledger_assets WHERE code = $1`, [code]);
    return rows.length > 0;
  }

  /** True when the ledger has no asset at all (a fresh installation). */
  async isEmpty(em: EntityManager): Promise<boolean> {
    const [row] = await em.query<Array<{ empty: boolean }>>(`SELECT NOT EXISTS (SELECT 1 FROM ledger_assets) AS empty`);
    return row.empty;
  }
}
