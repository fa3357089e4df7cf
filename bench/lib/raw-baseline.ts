import { createHash } from 'node:crypto';
import { Pool, PoolClient } from 'pg';
import type { BenchAccount } from './scratch-ledger';

export interface Transfer {
  from: BenchAccount;
  to: BenchAccount;
  /** Decimal string at the asset's scale. */
  amount: string;
}

/** `work` in one transaction on a client of `pool`: committed, or rolled back when it throws. */
export async function inPgTransaction(pool: Pool, work: (client: PoolClient) => Promise<void>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await work(client);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * The minimal correct double-entry write, in plain SQL with `pg`, against the service's own
 * tables: lock the accounts in id order, insert the entry and its postings, move the cached
 * totals and the chain heads, commit. No HTTP, no validation, no idempotency table, no ORM.
 * Overdrafts are still refused, by the table's CHECK constraint.
 */
export class RawLedgerBaseline {
  constructor(
    private readonly pool: Pool,
    private readonly kind: string,
    private readonly effectiveDate: string,
  ) {}

  private inTransaction(work: (client: PoolClient) => Promise<void>): Promise<void> {
    return inPgTransaction(this.pool, work);
  }

  /** One two-posting entry: from is debited (pays), to is credited; 6 round trips. */
  transfer(key: string, t: Transfer): Promise<void> {
    return this.inTransaction(async (client) => {
      const locked = await client.query<{ id: string; code: string; head_hash: string | null }>(
        `SELECT id::text AS id, code, head_hash FROM ledger_accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
        [[t.from.id, t.to.id]],
      );
      if (locked.rows.length !== 2) throw new Error(`locked ${locked.rows.length} accounts, expected 2`);
      const bookedAt = new Date().toISOString();
      const previous = locked.rows.map((r) => `${r.code}=${r.head_hash ?? ''}`).join(',');
      const hash = sha256(`${key}|${this.kind}|${this.effectiveDate}|${bookedAt}|${t.from.code}:DEBIT:${t.amount}|${t.to.code}:CREDIT:${t.amount}|${previous}`);
      const entry = await client.query<{ id: string }>(
        `INSERT INTO ledger_entries (idempotency_key, kind, effective_date, booked_at, hash) VALUES ($1, $2, $3, $4, $5) RETURNING id::text AS id`,
        [key, this.kind, this.effectiveDate, bookedAt, hash],
      );
      // the postings and the accounts' day, month and year totals (as the service keeps them) in one statement
      await client.query(
        `WITH p AS (
           INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount, effective_date)
           VALUES ($1, 0, $2, 'DEBIT', $4, $5), ($1, 1, $3, 'CREDIT', $4, $5)
         ), m AS (
           INSERT INTO ledger_account_months AS m (account_id, month, debits, credits)
           SELECT id, date_trunc('month', $5::date::timestamp)::date, dr, cr FROM (VALUES ($2::bigint, $4::numeric, 0::numeric), ($3::bigint, 0, $4)) v(id, dr, cr) ORDER BY id
           ON CONFLICT (account_id, month) DO UPDATE SET debits = m.debits + excluded.debits, credits = m.credits + excluded.credits
         ), y AS (
           INSERT INTO ledger_account_years AS y (account_id, year, debits, credits)
           SELECT id, date_trunc('year', $5::date::timestamp)::date, dr, cr FROM (VALUES ($2::bigint, $4::numeric, 0::numeric), ($3::bigint, 0, $4)) v(id, dr, cr) ORDER BY id
           ON CONFLICT (account_id, year) DO UPDATE SET debits = y.debits + excluded.debits, credits = y.credits + excluded.credits
         )
         INSERT INTO ledger_account_days AS d (account_id, day, debits, credits) VALUES ($2, $5, $4, 0), ($3, $5, 0, $4)
         ON CONFLICT (account_id, day) DO UPDATE SET debits = d.debits + excluded.debits, credits = d.credits + excluded.credits`,
        [entry.rows[0].id, t.from.id, t.to.id, t.amount, this.effectiveDate],
      );
      const updated = await client.query(
        `UPDATE ledger_accounts a SET debits = a.debits + v.debits, credits = a.credits + v.credits, head_hash = $4
         FROM (VALUES ($1::bigint, $3::numeric, 0::numeric), ($2::bigint, 0::numeric, $3::numeric)) AS v(id, debits, credits)
         WHERE a.id = v.id`,
        [t.from.id, t.to.id, t.amount, hash],
      );
      if (updated.rowCount !== 2) throw new Error(`updated ${updated.rowCount} accounts, expected 2`);
    });
  }

  /**
   * Many two-posting entries in one transaction, the same statements batched with unnest:
   * lock all accounts (id order), insert the entries, insert the postings, update each account
   * once (totals summed in SQL, head = hash of its last entry in the batch); 6 round trips.
   */
  batch(keyPrefix: string, transfers: Transfer[]): Promise<void> {
    return this.inTransaction(async (client) => {
      const ids = [...new Set(transfers.flatMap((t) => [t.from.id, t.to.id]))];
      const locked = await client.query<{ id: string; head_hash: string | null }>(
        `SELECT id::text AS id, head_hash FROM ledger_accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`,
        [ids],
      );
      if (locked.rows.length !== ids.length) throw new Error(`locked ${locked.rows.length} accounts, expected ${ids.length}`);
      const heads = new Map(locked.rows.map((r) => [r.id, r.head_hash ?? '']));
      const bookedAt = new Date().toISOString();
      const keys: string[] = [];
      const hashes: string[] = [];
      transfers.forEach((t, i) => {
        const key = `${keyPrefix}#${i}`;
        const previous = [t.from, t.to].map((a) => `${a.code}=${heads.get(a.id)}`).join(',');
        const hash = sha256(`${key}|${this.kind}|${this.effectiveDate}|${bookedAt}|${t.from.code}:DEBIT:${t.amount}|${t.to.code}:CREDIT:${t.amount}|${previous}`);
        heads.set(t.from.id, hash);
        heads.set(t.to.id, hash);
        keys.push(key);
        hashes.push(hash);
      });
      const entries = await client.query<{ id: string; idempotency_key: string }>(
        `INSERT INTO ledger_entries (idempotency_key, kind, effective_date, booked_at, hash)
         SELECT t.key, $3, $4::date, $5::timestamptz, t.hash FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(key, hash, ord) ORDER BY t.ord
         RETURNING id::text AS id, idempotency_key`,
        [keys, hashes, this.kind, this.effectiveDate, bookedAt],
      );
      const idOf = new Map(entries.rows.map((r) => [r.idempotency_key, r.id]));
      const p = { entry: [] as string[], seq: [] as number[], account: [] as string[], side: [] as string[], amount: [] as string[] };
      transfers.forEach((t, i) => {
        const entryId = idOf.get(keys[i]);
        if (entryId === undefined) throw new Error(`entry ${keys[i]} was not inserted`);
        p.entry.push(entryId, entryId);
        p.seq.push(0, 1);
        p.account.push(t.from.id, t.to.id);
        p.side.push('DEBIT', 'CREDIT');
        p.amount.push(t.amount, t.amount);
      });
      await client.query(
        `WITH x AS (
           SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::bigint[], $4::text[], $5::numeric[]) AS x(entry_id, seq, account_id, side, amount)
         ), p AS (
           INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount, effective_date)
           SELECT x.entry_id, x.seq, x.account_id, x.side, x.amount, $6::date FROM x
         ), m AS (
           INSERT INTO ledger_account_months AS m (account_id, month, debits, credits)
           SELECT account_id, date_trunc('month', $6::date::timestamp)::date, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
           FROM x GROUP BY account_id ORDER BY account_id
           ON CONFLICT (account_id, month) DO UPDATE SET debits = m.debits + excluded.debits, credits = m.credits + excluded.credits
         ), y AS (
           INSERT INTO ledger_account_years AS y (account_id, year, debits, credits)
           SELECT account_id, date_trunc('year', $6::date::timestamp)::date, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
           FROM x GROUP BY account_id ORDER BY account_id
           ON CONFLICT (account_id, year) DO UPDATE SET debits = y.debits + excluded.debits, credits = y.credits + excluded.credits
         )
         INSERT INTO ledger_account_days AS d (account_id, day, debits, credits)
         SELECT account_id, $6::date, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
         FROM x GROUP BY account_id ORDER BY account_id
         ON CONFLICT (account_id, day) DO UPDATE SET debits = d.debits + excluded.debits, credits = d.credits + excluded.credits`,
        [p.entry, p.seq, p.account, p.side, p.amount, this.effectiveDate],
      );
      const updated = await client.query(
        `UPDATE ledger_accounts a SET debits = a.debits + v.debits, credits = a.credits + v.credits, head_hash = v.head_hash
         FROM (
           SELECT x.id, h.head_hash,
                  COALESCE(SUM(x.amount) FILTER (WHERE x.side = 'DEBIT'), 0) AS debits,
                  COALESCE(SUM(x.amount) FILTER (WHERE x.side = 'CREDIT'), 0) AS credits
           FROM unnest($1::bigint[], $2::text[], $3::numeric[]) AS x(id, side, amount)
           JOIN unnest($4::bigint[], $5::text[]) AS h(id, head_hash) ON h.id = x.id
           GROUP BY x.id, h.head_hash
         ) AS v
         WHERE a.id = v.id`,
        [p.account, p.side, p.amount, ids, ids.map((id) => heads.get(id) ?? '')],
      );
      if (updated.rowCount !== ids.length) throw new Error(`updated ${updated.rowCount} accounts, expected ${ids.length}`);
    });
  }
}
