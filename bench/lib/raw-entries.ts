import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { Dec } from '@forest-ledger/ledger';

/** One entry of a set-based raw baseline: a key, and its postings by account id (the code goes into the hash and the event). */
export interface RawEntry {
  key: string;
  postings: Array<{ accountId: string; code: string; side: 'DEBIT' | 'CREDIT'; amount: string }>;
}

/**
 * The minimum a set-based ledger write must store, in plain SQL: the entries (a sha256 each), their postings, and
 * with `full` the accounts' day totals and one outbox event per entry carrying its postings (what the service's
 * write stores since issues 17 and 21) — one statement; then the accounts' totals and heads, one more. Returns the
 * entry id of each key. No locking, planning, idempotency or views: those are the service's overhead being measured.
 */
export async function writeRawEntries(client: Client, entries: RawEntry[], kind: string, date: string, full: boolean): Promise<Map<string, string>> {
  const keys: string[] = [];
  const hashes: string[] = [];
  const payloads: unknown[] = [];
  const p = { key: [] as string[], seq: [] as number[], account: [] as string[], side: [] as string[], amount: [] as string[] };
  for (const e of entries) {
    const hash = createHash('sha256')
      .update(`${e.key}|${e.postings.map((x) => `${x.code}:${x.side}:${x.amount}`).join(',')}`)
      .digest('hex');
    keys.push(e.key);
    hashes.push(hash);
    if (full) payloads.push({ idempotencyKey: e.key, kind, effectiveDate: date, hash, postings: e.postings.map((x) => ({ account: x.code, side: x.side, amount: x.amount })) });
    e.postings.forEach((x, seq) => {
      p.key.push(e.key);
      p.seq.push(seq);
      p.account.push(x.accountId);
      p.side.push(x.side);
      p.amount.push(x.amount);
    });
  }
  const rows = (
    await client.query<{ id: string; key: string }>(
      `WITH e AS (
         INSERT INTO ledger_entries (idempotency_key, kind, effective_date, booked_at, hash)
         SELECT t.key, $9, $3::date, now(), t.hash FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(key, hash, ord) ORDER BY t.ord RETURNING id, idempotency_key
       ), x AS (
         SELECT * FROM unnest($4::text[], $5::smallint[], $6::bigint[], $7::text[], $8::numeric[]) AS x(key, seq, account_id, side, amount)
       ), p AS (
         INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount, effective_date)
         SELECT e.id, x.seq, x.account_id, x.side, x.amount, $3::date FROM x JOIN e ON e.idempotency_key = x.key
       ), d AS (
         INSERT INTO ledger_account_days AS d (account_id, day, debits, credits)
         SELECT account_id, $3::date, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
           FROM x WHERE $10 GROUP BY account_id ORDER BY account_id
         ON CONFLICT (account_id, day) DO UPDATE SET debits = d.debits + excluded.debits, credits = d.credits + excluded.credits
       ), m AS (
         INSERT INTO ledger_account_months AS m (account_id, month, debits, credits)
         SELECT account_id, date_trunc('month', $3::date::timestamp)::date, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
           FROM x WHERE $10 GROUP BY account_id ORDER BY account_id
         ON CONFLICT (account_id, month) DO UPDATE SET debits = m.debits + excluded.debits, credits = m.credits + excluded.credits
       ), y AS (
         INSERT INTO ledger_account_years AS y (account_id, year, debits, credits)
         SELECT account_id, date_trunc('year', $3::date::timestamp)::date, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
           FROM x WHERE $10 GROUP BY account_id ORDER BY account_id
         ON CONFLICT (account_id, year) DO UPDATE SET debits = y.debits + excluded.debits, credits = y.credits + excluded.credits
       ), o AS (
         INSERT INTO outbox_events (type, version, aggregate_type, aggregate_id, payload)
         SELECT 'ledger.entry.posted', 1, 'ledger_entry', e.id::text, jsonb_build_object('entryId', e.id::text) || (($11::jsonb) -> (t.ord::int - 1))
           FROM unnest($1::text[]) WITH ORDINALITY AS t(key, ord) JOIN e ON e.idempotency_key = t.key WHERE $10 ORDER BY t.ord
       )
       SELECT id::text AS id, idempotency_key AS key FROM e`,
      [keys, hashes, date, p.key, p.seq, p.account, p.side, p.amount, kind, full, JSON.stringify(payloads)],
    )
  ).rows;
  const totals = new Map<string, { debits: Dec; credits: Dec; head: string }>();
  entries.forEach((e, i) => {
    for (const x of e.postings) {
      const t = totals.get(x.accountId) ?? { debits: new Dec(0), credits: new Dec(0), head: '' };
      if (x.side === 'DEBIT') t.debits = t.debits.plus(x.amount);
      else t.credits = t.credits.plus(x.amount);
      t.head = hashes[i];
      totals.set(x.accountId, t);
    }
  });
  await client.query(
    `UPDATE ledger_accounts a SET debits = a.debits + v.debits, credits = a.credits + v.credits, head_hash = v.head
       FROM unnest($1::bigint[], $2::numeric[], $3::numeric[], $4::text[]) AS v(id, debits, credits, head) WHERE a.id = v.id`,
    [[...totals.keys()], [...totals.values()].map((t) => t.debits.toString()), [...totals.values()].map((t) => t.credits.toString()), [...totals.values()].map((t) => t.head)],
  );
  return new Map(rows.map((r) => [r.key, r.id]));
}
