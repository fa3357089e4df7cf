import { preparedQuery } from '@forest-ledger/platform/database/prepared';
import { registerRaceConstraints } from '@forest-ledger/platform/database/transaction';
import { outboxInsertSql } from '@forest-ledger/platform/outbox/outbox.store';
import { EntityManager } from 'typeorm';
import { Dec, formatDecimal } from './domain/amount';
import { AccountState, AccountType, isBigintId, normalSideOf, PlannedEntry, Side } from './domain/entry';
import { OwnedPosting } from './domain/entry-scope';
import { LedgerError } from './domain/errors';
import { periodUpsertsSql } from './period-totals';
import type { AccountDelta } from './posting-plan';
import { balanceView } from './posting-plan';
import { visibleAccountSql } from './visibility-sql';
import type { AccountView, AssetView, EntryView, OpenAccountInput, Visibility } from './ledger.types';

/**
 * The SQL of the ledger's tables (ledger_assets, ledger_accounts, ledger_entries, ledger_postings) for
 * the command side and the entry reads: row types, row → view mapping, locking, inserting. Every
 * function runs in the caller's `em`. Reports live in ledger-reports.store.ts, features' reads in ledger-reads.ts.
 */

/**
 * The unique constraints two concurrent writers of one key can both pass the pre-check of (an entry's
 * idempotency key, one reversal per entry): the loser's transaction is retried by inTransaction and then replays.
 */
export const LEDGER_RACE_CONSTRAINTS = ['uq_ledger_entries_idempotency_key', 'uq_ledger_entries_reverses'] as const;
registerRaceConstraints(LEDGER_RACE_CONSTRAINTS);

export interface AccountRow {
  id: string;
  code: string;
  asset_code: string;
  scale: number;
  type: AccountType;
  normal_side: Side;
  owner_ref: string | null;
  no_overdraft: boolean;
  frozen: boolean;
  closed_at: Date | null;
  metadata: Record<string, unknown>;
  debits: string;
  credits: string;
  head_hash: string | null;
  created_at: Date;
}

export interface EntryRow {
  id: string;
  idempotency_key: string;
  kind: string;
  effective_date: string;
  booked_at: Date;
  memo: string | null;
  metadata: Record<string, unknown>;
  reverses_entry_id: string | null;
  reversed_by: string | null;
  hash: string;
}

export interface PostingRow {
  entry_id: string;
  code: string;
  owner_ref: string | null;
  asset_code: string;
  scale: number;
  side: Side;
  amount: string;
}

/** An entry already posted under an idempotency key. */
export interface ExistingKey {
  id: string;
  idempotency_key: string;
}

const ACCOUNT_COLUMNS = `a.id, a.code, a.asset_code, s.scale, a.type, a.normal_side, a.owner_ref, a.no_overdraft, a.frozen,
  a.closed_at, a.metadata, a.debits::text AS debits, a.credits::text AS credits, a.head_hash, a.created_at`;

const ENTRY_BASE_COLUMNS = `e.id, e.idempotency_key, e.kind, to_char(e.effective_date, 'YYYY-MM-DD') AS effective_date, e.booked_at, e.memo,
  e.metadata, e.reverses_entry_id, e.hash`;
const ENTRY_COLUMNS = `${ENTRY_BASE_COLUMNS}, (SELECT r.id FROM ledger_entries r WHERE r.reverses_entry_id = e.id) AS reversed_by`;

// ---------------------------------------------------------------- mapping

/** What posting needs of an account row (lockForPosting reads only these). */
type StateRow = Pick<AccountRow, 'id' | 'code' | 'asset_code' | 'scale' | 'normal_side' | 'no_overdraft' | 'frozen' | 'closed_at' | 'debits' | 'credits' | 'head_hash'>;

/** The columns of StateRow: no metadata, owner or timestamps to parse for every locked account. */
const STATE_COLUMNS = `a.id, a.code, a.asset_code, s.scale, a.normal_side, a.no_overdraft, a.frozen, a.closed_at, a.debits::text AS debits, a.credits::text AS credits, a.head_hash`;

export function toState(row: StateRow): AccountState {
  return {
    id: row.id,
    code: row.code,
    assetCode: row.asset_code,
    scale: row.scale,
    normalSide: row.normal_side,
    noOverdraft: row.no_overdraft,
    frozen: row.frozen,
    closed: row.closed_at !== null,
    debits: new Dec(row.debits),
    credits: new Dec(row.credits),
    headHash: row.head_hash,
  };
}

export function accountView(row: AccountRow): AccountView {
  return {
    id: row.id,
    code: row.code,
    type: row.type,
    normalSide: row.normal_side,
    ownerRef: row.owner_ref,
    noOverdraft: row.no_overdraft,
    frozen: row.frozen,
    closedAt: row.closed_at ? row.closed_at.toISOString() : null,
    metadata: row.metadata,
    createdAt: row.created_at.toISOString(),
    ...balanceView(toState(row)),
  };
}

/** The entry with the owner of each posting's account, as entrySeenBy takes it. */
export function ownedEntryView(row: EntryRow, postings: PostingRow[]): Omit<EntryView, 'postings'> & { postings: OwnedPosting[] } {
  return {
    id: row.id,
    idempotencyKey: row.idempotency_key,
    kind: row.kind,
    effectiveDate: row.effective_date,
    bookedAt: row.booked_at.toISOString(),
    memo: row.memo,
    metadata: row.metadata,
    reversesEntryId: row.reverses_entry_id,
    reversedByEntryId: row.reversed_by,
    hash: row.hash,
    postings: postings.map((p) => ({ account: p.code, asset: p.asset_code, side: p.side, amount: formatDecimal(p.amount, p.scale), ownerRef: p.owner_ref })),
  };
}

export function entryView(row: EntryRow, postings: PostingRow[]): EntryView {
  const owned = ownedEntryView(row, postings);
  return { ...owned, postings: owned.postings.map(({ ownerRef: _, ...p }) => p) };
}

// ---------------------------------------------------------------- assets

/** Inserts the asset unless its code exists; true when inserted. */
export async function insertAsset(em: EntityManager, input: { code: string; scale: number; description?: string }): Promise<boolean> {
  const rows: unknown[] = await em.query(`INSERT INTO ledger_assets (code, scale, description) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING RETURNING code`, [
    input.code,
    input.scale,
    input.description ?? '',
  ]);
  return rows.length > 0;
}

export async function selectAsset(em: EntityManager, code: string): Promise<AssetView | undefined> {
  const [row] = await em.query<AssetView[]>(`SELECT code, scale, description FROM ledger_assets WHERE code = $1`, [code]);
  return row;
}

/** The asset, or UNKNOWN_ASSET. */
export async function readAsset(em: EntityManager, code: string): Promise<AssetView> {
  const row = await selectAsset(em, code);
  if (!row) throw new LedgerError('UNKNOWN_ASSET', `no asset with code ${JSON.stringify(code)}`, 'asset');
  return row;
}

export async function selectAssets(em: EntityManager): Promise<AssetView[]> {
  return await em.query<AssetView[]>(`SELECT code, scale, description FROM ledger_assets ORDER BY code`);
}

// ---------------------------------------------------------------- accounts

/** Inserts the accounts whose codes are free, in one statement; returns the codes inserted. */
export async function insertAccounts(em: EntityManager, inputs: readonly OpenAccountInput[]): Promise<string[]> {
  const rows = await em.query<Array<{ code: string }>>(
    `INSERT INTO ledger_accounts (code, asset_code, type, normal_side, owner_ref, no_overdraft, metadata)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[], $7::jsonb[])
     ON CONFLICT (code) DO NOTHING RETURNING code`,
    [
      inputs.map((i) => i.code),
      inputs.map((i) => i.asset),
      inputs.map((i) => i.type),
      inputs.map((i) => normalSideOf(i.type)),
      inputs.map((i) => i.ownerRef ?? null),
      inputs.map((i) => i.noOverdraft ?? false),
      inputs.map((i) => JSON.stringify(i.metadata ?? {})),
    ],
  );
  return rows.map((r) => r.code);
}

/** The accounts of `codes` that `visibility` may see (null: all), in no particular order. */
export async function selectAccounts(em: EntityManager, codes: readonly string[], visibility: Visibility): Promise<AccountRow[]> {
  return await em.query<AccountRow[]>(
    `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code
     WHERE a.code = ANY($1::text[]) AND ${visibleAccountSql('$2')}`,
    [[...new Set(codes)], visibility?.ownerRefs ?? null],
  );
}

/**
 * The accounts `codes` in the order of `codes` (a repeated code is repeated); any code `visibility` may not
 * see, or that is unknown, is the same UNKNOWN_ACCOUNT, naming the first.
 */
export async function readAccounts(em: EntityManager, codes: readonly string[], visibility: Visibility): Promise<AccountView[]> {
  if (codes.length === 0) return [];
  const byCode = new Map((await selectAccounts(em, codes, visibility)).map((r) => [r.code, r]));
  const missing = codes.find((code) => !byCode.has(code));
  if (missing !== undefined) throw new LedgerError('UNKNOWN_ACCOUNT', `no account with code ${JSON.stringify(missing)}`, 'account');
  return codes.map((code) => accountView(byCode.get(code)!));
}

export async function readAccount(em: EntityManager, code: string, visibility: Visibility): Promise<AccountView> {
  const [account] = await readAccounts(em, [code], visibility);
  return account;
}

export interface AccountPageQuery {
  ownerRef?: string;
  ownerRefs?: readonly string[];
  asset?: string;
  codePrefix?: string;
  afterCode?: string;
  limit: number;
}

/** Accounts in code order after `afterCode`, at most `limit`. */
export async function selectAccountPage(em: EntityManager, q: AccountPageQuery): Promise<AccountRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.ownerRef !== undefined) add('a.owner_ref = ?', q.ownerRef);
  if (q.ownerRefs !== undefined) add('a.owner_ref = ANY(?::text[])', q.ownerRefs);
  if (q.asset !== undefined) add('a.asset_code = ?', q.asset);
  if (q.codePrefix !== undefined)
    add(
      `a.code LIKE ? || '%'`,
      q.codePrefix.replace(/[\\%_]/g, (c) => `\\${c}`),
    );
  if (q.afterCode !== undefined) add('a.code > ?', q.afterCode);
  params.push(q.limit);
  return await em.query<AccountRow[]>(
    `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.code LIMIT $${params.length}`,
    params,
  );
}

export async function updateFrozen(em: EntityManager, id: string, frozen: boolean): Promise<void> {
  await em.query(`UPDATE ledger_accounts SET frozen = $2 WHERE id = $1`, [id, frozen]);
}

export async function updateClosed(em: EntityManager, id: string): Promise<void> {
  await em.query(`UPDATE ledger_accounts SET closed_at = now() WHERE id = $1`, [id]);
}

// ---------------------------------------------------------------- posting

/**
 * One round trip: locks the accounts FOR UPDATE in ascending id order (the deadlock-free order),
 * reads them, and finds entries already posted under the keys. A concurrent same-key writer that commits meanwhile makes the insert fail on the
 * unique key; the transaction is retried and then finds it here.
 */
export async function lockForPosting(em: EntityManager, codes: string[], keys: string[]): Promise<{ states: AccountState[]; existing: ExistingKey[] }> {
  const rows = await preparedQuery<StateRow & { existing: ExistingKey[] }>(
    em,
    'ledger_lock_for_posting',
    `SELECT ${STATE_COLUMNS},
       (SELECT COALESCE(json_agg(json_build_object('id', e.id::text, 'idempotency_key', e.idempotency_key)), '[]'::json)
        FROM ledger_entries e WHERE e.idempotency_key = ANY($2::text[])) AS existing
     FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code
     WHERE a.code = ANY($1::text[]) ORDER BY a.id FOR UPDATE OF a`,
    [codes, keys],
  );
  return { states: rows.map(toState), existing: rows[0]?.existing ?? [] };
}

/**
 * The posting states of the accounts `codes`, read without locking (for a batch planned ahead of its transaction,
 * LedgerService.planAhead; the states are checked again under the locks before that plan is written). Unknown codes are absent.
 */
export async function selectStates(em: EntityManager, codes: readonly string[]): Promise<AccountState[]> {
  const rows = await preparedQuery<StateRow>(
    em,
    'ledger_select_states',
    `SELECT ${STATE_COLUMNS} FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code WHERE a.code = ANY($1::text[])`,
    [codes],
  );
  return rows.map(toState);
}

/** Entries already posted under any of the keys (for callers that have not locked anything). */
export async function selectExistingKeys(em: EntityManager, keys: string[]): Promise<ExistingKey[]> {
  return await em.query<ExistingKey[]>(`SELECT id::text, idempotency_key FROM ledger_entries WHERE idempotency_key = ANY($1::text[])`, [keys]);
}

/** insertEntries' day, month and year totals of its postings (`x`). */
const POSTING_PERIOD_UPSERTS = periodUpsertsSql('x');

/**
 * One statement: inserts the entries (ids drawn in order, under the locks), their postings, and
 * the new account totals and chain heads, each account's day, month and year totals (ledger_account_days, _months,
 * _years, backdated periods included: one row per level, in (account, period) order, under the accounts' locks),
 * and one `ledger.entry.posted` outbox event per entry (`events[i]` is entry i's payload; the statement adds its
 * `entryId` and aggregate id, in entry order). Arrays are passed whole (unnest), so a batch of 100,000 postings is
 * still one round trip and no parameter limit applies. Returns the ids in the order of `planned`.
 */
export async function insertEntries(em: EntityManager, planned: PlannedEntry[], accounts: AccountDelta[], events: ReadonlyArray<Record<string, unknown>>): Promise<string[]> {
  const e = {
    key: [] as string[],
    kind: [] as string[],
    date: [] as string[],
    booked: [] as string[],
    memo: [] as Array<string | null>,
    reverses: [] as Array<string | null>,
    hash: [] as string[],
    metadata: [] as unknown[],
  };
  const p = { key: [] as string[], seq: [] as number[], account: [] as string[], side: [] as string[], amount: [] as string[], date: [] as string[] };
  for (const entry of planned) {
    const d = entry.draft;
    e.key.push(d.idempotencyKey);
    e.kind.push(d.kind);
    e.date.push(d.effectiveDate);
    e.booked.push(entry.bookedAt);
    e.memo.push(d.memo ?? null);
    e.reverses.push(d.reversesEntryId ?? null);
    e.hash.push(entry.hash);
    e.metadata.push(d.metadata ?? {});
    entry.postings.forEach((posting, seq) => {
      p.key.push(d.idempotencyKey);
      p.seq.push(seq);
      p.account.push(posting.accountId);
      p.side.push(posting.side);
      p.amount.push(posting.amount.toString());
      p.date.push(d.effectiveDate);
    });
  }
  const rows = await preparedQuery<{ id: string; idempotency_key: string }>(
    em,
    'ledger_write_entries',
    `WITH input AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::timestamptz[], $5::text[], $6::bigint[], $7::text[])
         WITH ORDINALITY AS t(idempotency_key, kind, effective_date, booked_at, memo, reverses_entry_id, hash, ord)
     ), e AS (
       INSERT INTO ledger_entries (idempotency_key, kind, effective_date, booked_at, memo, metadata, reverses_entry_id, hash)
       SELECT idempotency_key, kind, effective_date, booked_at, memo, ($8::jsonb) -> (ord::int - 1), reverses_entry_id, hash
       FROM input ORDER BY ord
       RETURNING id, idempotency_key
     ), x AS (
       SELECT * FROM unnest($9::text[], $10::smallint[], $11::bigint[], $12::text[], $13::numeric[], $14::date[])
         AS x(idempotency_key, seq, account_id, side, amount, effective_date)
     ), p AS (
       INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount, effective_date)
       SELECT e.id, x.seq, x.account_id, x.side, x.amount, x.effective_date
       FROM x JOIN e USING (idempotency_key)
     )${POSTING_PERIOD_UPSERTS}, u AS (
       UPDATE ledger_accounts a
       SET debits = a.debits + v.debits, credits = a.credits + v.credits, head_hash = v.head_hash
       FROM unnest($15::bigint[], $16::numeric[], $17::numeric[], $18::text[]) AS v(id, debits, credits, head_hash)
       WHERE a.id = v.id
     ), o AS (
       ${outboxInsertSql(`SELECT 'ledger.entry.posted', 1, 'ledger_entry', e.id::text, jsonb_build_object('entryId', e.id::text) || (($19::jsonb) -> (input.ord::int - 1))
          FROM input JOIN e USING (idempotency_key) ORDER BY input.ord`)}
     )
     SELECT id, idempotency_key FROM e`,
    [
      e.key,
      e.kind,
      e.date,
      e.booked,
      e.memo,
      e.reverses,
      e.hash,
      JSON.stringify(e.metadata),
      p.key,
      p.seq,
      p.account,
      p.side,
      p.amount,
      p.date,
      accounts.map((a) => a.id),
      accounts.map((a) => a.debits),
      accounts.map((a) => a.credits),
      accounts.map((a) => a.headHash),
      JSON.stringify(events),
    ],
  );
  const idByKey = new Map(rows.map((r) => [r.idempotency_key, r.id]));
  return planned.map((entry) => idByKey.get(entry.draft.idempotencyKey)!);
}

// ---------------------------------------------------------------- entries

/** The entry rows of `ids` (well-formed bigint ids), in no particular order. */
export async function selectEntryRows(em: EntityManager, ids: string[]): Promise<EntryRow[]> {
  return await em.query<EntryRow[]>(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries e WHERE e.id = ANY($1::bigint[])`, [ids]);
}

/** The postings of the entries, per entry id, in posting order. */
export async function selectPostings(em: EntityManager, entryIds: string[]): Promise<Map<string, PostingRow[]>> {
  const rows = await em.query<PostingRow[]>(
    `SELECT p.entry_id, a.code, a.owner_ref, a.asset_code, s.scale, p.side, p.amount::text AS amount
     FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id JOIN ledger_assets s ON s.code = a.asset_code
     WHERE p.entry_id = ANY($1::bigint[]) ORDER BY p.entry_id, p.seq`,
    [entryIds],
  );
  const map = new Map<string, PostingRow[]>();
  for (const r of rows) map.set(r.entry_id, [...(map.get(r.entry_id) ?? []), r]);
  return map;
}

/** Entry rows by id, in the order asked; malformed or unknown ids are UNKNOWN_ENTRY. */
export async function readEntryRows(em: EntityManager, ids: string[]): Promise<EntryRow[]> {
  const malformed = ids.find((id) => !isBigintId(id));
  if (malformed !== undefined) throw new LedgerError('UNKNOWN_ENTRY', `no entry with id ${JSON.stringify(malformed)}`, 'entryId');
  const byId = new Map((await selectEntryRows(em, ids)).map((r) => [r.id, r]));
  const missing = ids.find((id) => !byId.has(id));
  if (missing) throw new LedgerError('UNKNOWN_ENTRY', `no entry with id ${missing}`, 'entryId');
  return ids.map((id) => byId.get(id)!);
}

/** Entries by id with their postings, in the order asked; unknown ids are UNKNOWN_ENTRY. */
export async function readEntries(em: EntityManager, ids: string[]): Promise<EntryView[]> {
  const rows = await readEntryRows(em, ids);
  const postings = await selectPostings(em, ids);
  return rows.map((row) => entryView(row, postings.get(row.id) ?? []));
}

export interface EntryPageQuery {
  /** Entries touching an account of these owners. */
  ownerRefs?: readonly string[];
  accountId?: string;
  from?: string;
  to?: string;
  beforeId?: string;
  limit: number;
}

/** Entries newest first (by id), at most `limit`. */
export async function selectEntryPage(em: EntityManager, q: EntryPageQuery): Promise<EntryRow[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, value: unknown) => {
    params.push(value);
    where.push(sql.replaceAll('?', `$${params.length}`));
  };
  if (q.ownerRefs !== undefined) {
    add('e.id IN (SELECT p.entry_id FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE a.owner_ref = ANY(?::text[]))', q.ownerRefs);
  }
  if (q.accountId !== undefined) add('e.id IN (SELECT entry_id FROM ledger_postings WHERE account_id = ?)', q.accountId);
  if (q.from !== undefined) add('e.effective_date >= ?::date', q.from);
  if (q.to !== undefined) add('e.effective_date <= ?::date', q.to);
  if (q.beforeId !== undefined) add('e.id < ?::bigint', q.beforeId);
  params.push(q.limit);
  return await em.query<EntryRow[]>(
    `SELECT ${ENTRY_COLUMNS} FROM ledger_entries e ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT $${params.length}`,
    params,
  );
}

// ---------------------------------------------------------------- chain verification

/** Entries after `afterId` in id order (commit order per account), without their reversal link. */
export async function selectEntriesAfter(em: EntityManager, afterId: string, limit: number): Promise<EntryRow[]> {
  return await em.query<EntryRow[]>(`SELECT ${ENTRY_BASE_COLUMNS}, NULL AS reversed_by FROM ledger_entries e WHERE e.id > $1::bigint ORDER BY e.id LIMIT $2`, [afterId, limit]);
}
