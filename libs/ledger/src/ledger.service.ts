import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { preparedQuery } from '@forest-ledger/platform/database/prepared';
import { DataSource, EntityManager } from 'typeorm';
import { Dec, formatDecimal } from './domain/amount';
import {
  AccountState,
  AccountType,
  ACCOUNT_TYPES,
  balanceOf,
  checkDraftShape,
  EntryDraft,
  EntryPlanner,
  isBigintId,
  isIsoDate,
  mirrorPostings,
  normalSideOf,
  PlannedEntry,
  Side,
} from './domain/entry';
import { entrySeenBy, OwnedPosting } from './domain/entry-scope';
import { LedgerError } from './domain/errors';
import { canonicalJson, entryHash } from './domain/hash';
import type {
  Visibility,
  AccountFilter,
  AccountView,
  AssetView,
  BalanceView,
  BatchResult,
  ChainReport,
  EntryFilter,
  EntryView,
  SeenEntryView,
  OpenAccountInput,
  PostResult,
  ReverseInput,
  StatementView,
  TrialBalanceView,
} from './ledger.types';

export const ASSET_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,63}$/;
export const ACCOUNT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/;
export const MAX_BATCH_ENTRIES = 50_000;

interface AccountRow {
  id: string;
  code: string;
  asset_code: string;
  scale: number;
  type: AccountView['type'];
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

interface EntryRow {
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

type Refusal = { ok: false; error: LedgerError };
export type PostOutcome = { ok: true; result: PostResult } | Refusal;

/** Runs a rule check: a LedgerError becomes a refusal, anything else propagates. */
function refusal(check: () => void): Refusal | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof LedgerError) return { ok: false, error };
    throw error;
  }
}

function accountsOf(drafts: EntryDraft[]): string[] {
  return [...new Set(drafts.flatMap((d) => d.postings.map((p) => p.account)))];
}

interface ExistingKey {
  id: string;
  idempotency_key: string;
}

interface PostingRow {
  entry_id: string;
  code: string;
  owner_ref: string | null;
  asset_code: string;
  scale: number;
  side: Side;
  amount: string;
}

const ACCOUNT_COLUMNS = `a.id, a.code, a.asset_code, s.scale, a.type, a.normal_side, a.owner_ref, a.no_overdraft, a.frozen,
  a.closed_at, a.metadata, a.debits::text AS debits, a.credits::text AS credits, a.head_hash, a.created_at`;

const ENTRY_BASE_COLUMNS = `e.id, e.idempotency_key, e.kind, to_char(e.effective_date, 'YYYY-MM-DD') AS effective_date, e.booked_at, e.memo,
  e.metadata, e.reverses_entry_id, e.hash`;
const ENTRY_COLUMNS = `${ENTRY_BASE_COLUMNS}, (SELECT r.id FROM ledger_entries r WHERE r.reverses_entry_id = e.id) AS reversed_by`;

function toState(row: AccountRow): AccountState {
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

function balanceView(state: AccountState): BalanceView {
  return {
    account: state.code,
    asset: state.assetCode,
    debits: formatDecimal(state.debits, state.scale),
    credits: formatDecimal(state.credits, state.scale),
    balance: formatDecimal(balanceOf(state), state.scale),
  };
}

function accountView(row: AccountRow): AccountView {
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

/** What makes two requests under one idempotency key "the same": everything the caller chose. */
function draftContent(draft: EntryDraft): string {
  return canonicalJson({
    kind: draft.kind,
    effectiveDate: draft.effectiveDate,
    memo: draft.memo ?? null,
    metadata: draft.metadata ?? {},
    reverses: draft.reversesEntryId ?? null,
    postings: draft.postings.map((p) => [p.account, p.side, new Dec(p.amount).toString()]),
  });
}

function entryContent(entry: EntryView): string {
  return canonicalJson({
    kind: entry.kind,
    effectiveDate: entry.effectiveDate,
    memo: entry.memo,
    metadata: entry.metadata,
    reverses: entry.reversesEntryId,
    postings: entry.postings.map((p) => [p.account, p.side, new Dec(p.amount).toString()]),
  });
}

function encodeCursor(parts: string[]): string {
  return Buffer.from(parts.join('|'), 'utf8').toString('base64url');
}

type CursorPart = 'code' | 'id' | 'date';
const CURSOR_CHECKS: Record<CursorPart, (text: string) => boolean> = { code: (t) => ACCOUNT_CODE_PATTERN.test(t), id: isBigintId, date: isIsoDate };

/** Decodes a keyset cursor and checks each part's shape, so a forged cursor is a 400, never a database error. */
function decodeCursor(cursor: string, shape: CursorPart[], field: string): string[] {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (parts.length !== shape.length || parts.some((p, i) => !CURSOR_CHECKS[shape[i]](p))) {
    throw new LedgerError('INVALID_ENTRY', `${field} is not a cursor this API returned`, field);
  }
  return parts;
}

/**
 * The double-entry ledger. Every write takes the caller's EntityManager so that it joins the
 * caller's one transaction; reads may run outside one.
 *
 * Locking: an entry locks its accounts `FOR UPDATE` in ascending id order before reading balances,
 * so concurrent entries serialise per account and never deadlock each other. Entry ids are drawn
 * after the locks are held, so per account, id order is commit order (the hash chain relies on it).
 */
@Injectable()
export class LedgerService {
  /** Asset scales never change once created, so they are cached for the process. */
  private readonly scales = new Map<string, number>();
  /** Told of every batch of entries written, inside the writer's transaction (metrics: observeWrites). */
  private writeObserver: ((em: EntityManager, entries: Array<{ kind: string; postings: number }>) => void) | null = null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The one optional hook: `observer` learns each written entry's kind and posting count (it must not throw). */
  observeWrites(observer: (em: EntityManager, entries: Array<{ kind: string; postings: number }>) => void): void {
    this.writeObserver = observer;
  }

  // ---------------------------------------------------------------- assets

  async createAsset(em: EntityManager, input: { code: string; scale: number; description?: string }): Promise<AssetView> {
    if (!ASSET_CODE_PATTERN.test(input.code)) throw new LedgerError('INVALID_ENTRY', 'code must be 1-64 of A-Z, 0-9, ".", "_", "-", starting with a letter or digit', 'code');
    if (!Number.isInteger(input.scale) || input.scale < 0 || input.scale > 18) throw new LedgerError('INVALID_ENTRY', 'scale must be an integer from 0 to 18', 'scale');
    const rows: unknown[] = await em.query(`INSERT INTO ledger_assets (code, scale, description) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING RETURNING code`, [
      input.code,
      input.scale,
      input.description ?? '',
    ]);
    if (rows.length === 0) throw new LedgerError('ASSET_EXISTS', `asset ${input.code} already exists`, 'code');
    return { code: input.code, scale: input.scale, description: input.description ?? '' };
  }

  /** Creates the asset unless it exists; an existing one must have the same scale. For features that need CNY or TCO2E. */
  async ensureAsset(em: EntityManager, input: { code: string; scale: number; description?: string }): Promise<AssetView> {
    await em.query(`INSERT INTO ledger_assets (code, scale, description) VALUES ($1, $2, $3) ON CONFLICT (code) DO NOTHING`, [input.code, input.scale, input.description ?? '']);
    const asset = await this.getAsset(input.code, em);
    if (asset.scale !== input.scale) throw new LedgerError('ASSET_EXISTS', `asset ${input.code} exists with scale ${asset.scale}, not ${input.scale}`, 'code');
    return asset;
  }

  async getAsset(code: string, em: EntityManager = this.dataSource.manager): Promise<AssetView> {
    const [row] = (await em.query(`SELECT code, scale, description FROM ledger_assets WHERE code = $1`, [code])) as AssetView[];
    if (!row) throw new LedgerError('UNKNOWN_ASSET', `no asset with code ${JSON.stringify(code)}`, 'asset');
    this.scales.set(row.code, row.scale);
    return row;
  }

  async listAssets(): Promise<AssetView[]> {
    return (await this.dataSource.query(`SELECT code, scale, description FROM ledger_assets ORDER BY code`)) as AssetView[];
  }

  async scaleOf(asset: string, em?: EntityManager): Promise<number> {
    return this.scales.get(asset) ?? (await this.getAsset(asset, em)).scale;
  }

  // ---------------------------------------------------------------- accounts

  async openAccount(em: EntityManager, input: OpenAccountInput): Promise<AccountView> {
    if (!ACCOUNT_CODE_PATTERN.test(input.code)) throw new LedgerError('INVALID_ENTRY', 'code must be 1-200 of letters, digits, ":", ".", "_", "-"', 'code');
    if (!ACCOUNT_TYPES.includes(input.type)) throw new LedgerError('INVALID_ENTRY', `type must be one of ${ACCOUNT_TYPES.join(', ')}`, 'type');
    await this.getAsset(input.asset, em);
    const rows: Array<{ id: string }> = await em.query(
      `INSERT INTO ledger_accounts (code, asset_code, type, normal_side, owner_ref, no_overdraft, metadata)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING RETURNING id`,
      [input.code, input.asset, input.type, normalSideOf(input.type), input.ownerRef ?? null, input.noOverdraft ?? false, JSON.stringify(input.metadata ?? {})],
    );
    if (rows.length === 0) throw new LedgerError('ACCOUNT_EXISTS', `account ${input.code} already exists`, 'code');
    return this.getAccount(input.code, em);
  }

  /**
   * Opens many new accounts of one asset in one statement (an issuance to thousands of holders).
   * All or nothing: any code that exists already is an ACCOUNT_EXISTS naming it.
   */
  async openAccounts(em: EntityManager, inputs: readonly OpenAccountInput[]): Promise<number> {
    if (inputs.length === 0) return 0;
    for (const input of inputs) {
      if (!ACCOUNT_CODE_PATTERN.test(input.code))
        throw new LedgerError('INVALID_ENTRY', `code ${JSON.stringify(input.code)} must be 1-200 of letters, digits, ":", ".", "_", "-"`, 'code');
      if (!ACCOUNT_TYPES.includes(input.type)) throw new LedgerError('INVALID_ENTRY', `type must be one of ${ACCOUNT_TYPES.join(', ')}`, 'type');
    }
    for (const asset of new Set(inputs.map((i) => i.asset))) await this.getAsset(asset, em);
    const rows = (await em.query(
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
    )) as Array<{ code: string }>;
    if (rows.length !== inputs.length) {
      const opened = new Set(rows.map((r) => r.code));
      const existing = inputs.find((i) => !opened.has(i.code))!;
      throw new LedgerError('ACCOUNT_EXISTS', `account ${existing.code} already exists`, 'code');
    }
    return rows.length;
  }

  /**
   * Opens the account, or returns it when one with this code exists already with the same asset,
   * type, owner and overdraft rule (a feature opening its accounts lazily, twice, sees one account).
   */
  async ensureAccount(em: EntityManager, input: OpenAccountInput): Promise<AccountView> {
    try {
      return await this.openAccount(em, input);
    } catch (error) {
      if (!(error instanceof LedgerError) || error.code !== 'ACCOUNT_EXISTS') throw error;
    }
    const existing = await this.getAccount(input.code, em);
    if (existing.asset !== input.asset || existing.type !== input.type || existing.ownerRef !== (input.ownerRef ?? null) || existing.noOverdraft !== (input.noOverdraft ?? false)) {
      throw new LedgerError('ACCOUNT_EXISTS', `account ${input.code} already exists with another asset, type, owner or overdraft rule`, 'code');
    }
    return existing;
  }

  /** An account the caller may see; any other (or unknown) code is the same 404. */
  async getAccount(code: string, em: EntityManager = this.dataSource.manager, visibility: Visibility = null): Promise<AccountView> {
    const [row] = (await em.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code
       WHERE a.code = $1 AND ($2::text[] IS NULL OR a.owner_ref = ANY($2::text[]))`,
      [code, visibility?.ownerRefs ?? null],
    )) as AccountRow[];
    if (!row) throw new LedgerError('UNKNOWN_ACCOUNT', `no account with code ${JSON.stringify(code)}`, 'account');
    return accountView(row);
  }

  /**
   * The accounts `codes` in one query, in the order of `codes` (a repeated code is repeated); any code
   * the caller may not see, or that is unknown, is the same UNKNOWN_ACCOUNT as `getAccount`, naming the first.
   */
  async getAccounts(codes: readonly string[], em: EntityManager = this.dataSource.manager, visibility: Visibility = null): Promise<AccountView[]> {
    if (codes.length === 0) return [];
    const rows = (await em.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code
       WHERE a.code = ANY($1::text[]) AND ($2::text[] IS NULL OR a.owner_ref = ANY($2::text[]))`,
      [[...new Set(codes)], visibility?.ownerRefs ?? null],
    )) as AccountRow[];
    const byCode = new Map(rows.map((r) => [r.code, r]));
    const missing = codes.find((code) => !byCode.has(code));
    if (missing !== undefined) throw new LedgerError('UNKNOWN_ACCOUNT', `no account with code ${JSON.stringify(missing)}`, 'account');
    return codes.map((code) => accountView(byCode.get(code)!));
  }

  /** Keyset-paginated by code. */
  async listAccounts(filter: AccountFilter): Promise<{ items: AccountView[]; nextCursor: string | null }> {
    const limit = Math.min(filter.limit ?? 100, 500);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.ownerRef !== undefined) add('a.owner_ref = ?', filter.ownerRef);
    if (filter.visibility) add('a.owner_ref = ANY(?::text[])', filter.visibility.ownerRefs);
    if (filter.asset !== undefined) add('a.asset_code = ?', filter.asset);
    if (filter.codePrefix !== undefined)
      add(
        `a.code LIKE ? || '%'`,
        filter.codePrefix.replace(/[\\%_]/g, (c) => `\\${c}`),
      );
    if (filter.after !== undefined) add('a.code > ?', decodeCursor(filter.after, ['code'], 'after')[0]);
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT ${ACCOUNT_COLUMNS} FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY a.code LIMIT $${params.length}`,
      params,
    )) as AccountRow[];
    const items = rows.slice(0, limit).map(accountView);
    return { items, nextCursor: rows.length > limit ? encodeCursor([items[items.length - 1].code]) : null };
  }

  async setFrozen(em: EntityManager, code: string, frozen: boolean): Promise<AccountView> {
    const state = await this.lockOne(em, code);
    if (state.closed) throw new LedgerError('ACCOUNT_CLOSED', `account ${code} is closed`, 'account');
    await em.query(`UPDATE ledger_accounts SET frozen = $2 WHERE id = $1`, [state.id, frozen]);
    return this.getAccount(code, em);
  }

  /** Closing is final and allowed only at a zero balance. */
  async closeAccount(em: EntityManager, code: string): Promise<AccountView> {
    const state = await this.lockOne(em, code);
    if (state.closed) throw new LedgerError('ACCOUNT_CLOSED', `account ${code} is already closed`, 'account');
    if (!state.debits.equals(state.credits)) {
      throw new LedgerError('ACCOUNT_NOT_ZERO', `account ${code} has balance ${formatDecimal(balanceOf(state), state.scale)}; only a zero balance can be closed`, 'account');
    }
    await em.query(`UPDATE ledger_accounts SET closed_at = now() WHERE id = $1`, [state.id]);
    return this.getAccount(code, em);
  }

  private async lockOne(em: EntityManager, code: string): Promise<AccountState> {
    const [state] = (await this.lockForPosting(em, [code], [])).states;
    if (!state) throw new LedgerError('UNKNOWN_ACCOUNT', `no account with code ${JSON.stringify(code)}`, 'account');
    return state;
  }

  // ---------------------------------------------------------------- entries

  /** Posts one balanced entry. Replays (same key, same content) return the first entry; a different content is a conflict. */
  async post(em: EntityManager, draft: EntryDraft): Promise<PostResult> {
    const result = await this.postMany(em, [draft], 'entry');
    return { entry: result.entries[0], balances: result.balances, replayed: result.replayed };
  }

  /** Posts many entries atomically: all of them or none. The building block of large fan-outs. */
  async postBatch(em: EntityManager, drafts: EntryDraft[]): Promise<BatchResult> {
    if (drafts.length === 0 || drafts.length > MAX_BATCH_ENTRIES) {
      throw new LedgerError('INVALID_ENTRY', `entries must hold 1 to ${MAX_BATCH_ENTRIES} entries, got ${drafts.length}`, 'entries');
    }
    return this.postMany(em, drafts, 'entries');
  }

  /** Atomic: the first refusal (replays aside) refuses the whole batch, and nothing is written. */
  private async postMany(em: EntityManager, drafts: EntryDraft[], field: string): Promise<BatchResult> {
    const at = (i: number) => (field === 'entry' ? 'entry' : `${field}[${i}]`);
    drafts.forEach((d, i) => checkDraftShape(d, at(i)));
    const keys = drafts.map((d) => d.idempotencyKey);
    if (new Set(keys).size !== keys.length) throw new LedgerError('INVALID_ENTRY', `${field}: idempotency keys must be distinct within a batch`, field);

    const codes = accountsOf(drafts);
    const { states, existing } = await this.lockForPosting(em, codes, keys);
    if (existing.length > 0) return this.replay(em, drafts, existing);
    const plan = this.plan(states, drafts, at);
    const refused = plan.outcomes.find((o): o is Refusal => o !== undefined && !o.ok);
    if (refused) {
      // A same-key writer may have committed while we waited for the locks (our statement's
      // snapshot predates it): its entry, not a refusal computed from its effects, is the answer.
      const replay = await this.findReplay(em, drafts);
      if (replay) return replay;
      throw refused.error;
    }
    const ids = await this.write(
      em,
      plan.planned.map((p) => p.entry),
      plan.planner,
    );
    const touched = plan.planner.touched(codes);
    return { entries: plan.planned.map((p, n) => this.plannedView(p.entry, ids[n], touched)), balances: touched.map(balanceView), replayed: false };
  }

  /**
   * Posts each draft on its own merits, all in the caller's one transaction: one lock statement
   * and one write statement for all of them. A draft that breaks a rule gets its error and
   * leaves the others untouched (the planner applies nothing for it). Keys must be distinct.
   * This is how concurrent requests share a commit (see PostCoalescer).
   */
  async postEach(em: EntityManager, drafts: EntryDraft[]): Promise<PostOutcome[]> {
    const shaped = drafts.map((d): Refusal | undefined => refusal(() => checkDraftShape(d, 'entry')));
    const live = drafts.filter((_, i) => shaped[i] === undefined);
    const { states, existing } =
      live.length > 0
        ? await this.lockForPosting(
            em,
            accountsOf(live),
            live.map((d) => d.idempotencyKey),
          )
        : { states: [], existing: [] };
    const existingKeys = new Set(existing.map((e) => e.idempotency_key));
    const outcomes: Array<PostOutcome | undefined> = [...shaped];
    for (const [i, d] of drafts.entries()) {
      if (outcomes[i] || !existingKeys.has(d.idempotencyKey)) continue;
      try {
        const replay = await this.replay(
          em,
          [d],
          existing.filter((e) => e.idempotency_key === d.idempotencyKey),
        );
        outcomes[i] = { ok: true, result: { entry: replay.entries[0], balances: replay.balances, replayed: true } };
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error;
        outcomes[i] = { ok: false, error };
      }
    }
    const plan = this.plan(states, drafts, () => 'entry', outcomes);
    if (plan.planned.length > 0) {
      const ids = await this.write(
        em,
        plan.planned.map((p) => p.entry),
        plan.planner,
      );
      const touched = plan.planner.touched(accountsOf(live));
      plan.planned.forEach((p, n) => {
        plan.outcomes[p.index] = { ok: true, result: { entry: this.plannedView(p.entry, ids[n], touched), balances: p.balances, replayed: false } };
      });
    }
    return plan.outcomes as PostOutcome[];
  }

  /** Plans, in order, every draft without an outcome yet; a refused draft applies nothing. */
  private plan(states: AccountState[], drafts: EntryDraft[], at: (i: number) => string, settled: Array<PostOutcome | undefined> = []) {
    const planner = new EntryPlanner(states);
    const bookedAt = new Date().toISOString();
    const outcomes: Array<PostOutcome | undefined> = [...settled];
    const planned: Array<{ index: number; entry: PlannedEntry; balances: BalanceView[] }> = [];
    drafts.forEach((d, i) => {
      if (outcomes[i]) return;
      outcomes[i] = refusal(() => {
        const entry = planner.plan(d, bookedAt, at(i));
        planned.push({ index: i, entry, balances: planner.touched(d.postings.map((p) => p.account)).map(balanceView) });
      });
    });
    return { planner, planned, outcomes };
  }

  /**
   * One round trip: locks the accounts FOR UPDATE in ascending id order (the deadlock-free order),
   * reads them, and finds entries already posted under the keys. A concurrent same-key writer that commits meanwhile makes the insert fail on the
   * unique key; the transaction is retried and then finds it here.
   */
  private async lockForPosting(em: EntityManager, codes: string[], keys: string[]): Promise<{ states: AccountState[]; existing: ExistingKey[] }> {
    const rows = await preparedQuery<AccountRow & { existing: ExistingKey[] }>(
      em,
      'ledger_lock_for_posting',
      `SELECT ${ACCOUNT_COLUMNS},
         (SELECT COALESCE(json_agg(json_build_object('id', e.id::text, 'idempotency_key', e.idempotency_key)), '[]'::json)
          FROM ledger_entries e WHERE e.idempotency_key = ANY($2::text[])) AS existing
       FROM ledger_accounts a JOIN ledger_assets s ON s.code = a.asset_code
       WHERE a.code = ANY($1::text[]) ORDER BY a.id FOR UPDATE OF a`,
      [codes, keys],
    );
    return { states: rows.map(toState), existing: rows[0]?.existing ?? [] };
  }

  /** Looks the keys up on their own (for callers that have not locked anything). */
  private async findReplay(em: EntityManager, drafts: EntryDraft[]): Promise<BatchResult | null> {
    const existing = (await em.query(`SELECT id::text, idempotency_key FROM ledger_entries WHERE idempotency_key = ANY($1::text[])`, [
      drafts.map((d) => d.idempotencyKey),
    ])) as ExistingKey[];
    return existing.length === 0 ? null : this.replay(em, drafts, existing);
  }

  /** Same keys already posted: replay if every one matches, conflict otherwise. */
  private async replay(em: EntityManager, drafts: EntryDraft[], existing: ExistingKey[]): Promise<BatchResult> {
    if (existing.length !== drafts.length) {
      throw new LedgerError('IDEMPOTENCY_CONFLICT', `some idempotency keys of this batch were already used (e.g. ${existing[0].idempotency_key})`, 'idempotencyKey');
    }
    const byKey = new Map(existing.map((e) => [e.idempotency_key, e.id]));
    const entries = await this.loadEntries(
      em,
      drafts.map((d) => byKey.get(d.idempotencyKey)!),
    );
    drafts.forEach((d, i) => {
      if (draftContent(d) !== entryContent(entries[i])) {
        throw new LedgerError('IDEMPOTENCY_CONFLICT', `idempotency key ${d.idempotencyKey} was already used for a different entry (#${entries[i].id})`, 'idempotencyKey');
      }
    });
    const codes = [...new Set(entries.flatMap((e) => e.postings.map((p) => p.account)))];
    // One after another: a transaction's client runs one query at a time (pg 9 refuses overlapping ones).
    const balances: AccountView[] = [];
    for (const c of codes) balances.push(await this.getAccount(c, em));
    return { entries, balances: balances.map(({ account, asset, debits, credits, balance }) => ({ account, asset, debits, credits, balance })), replayed: true };
  }

  /**
   * One statement: inserts the entries (ids drawn in order, under the locks), their postings, and
   * the new account totals and chain heads. Arrays are passed whole (unnest), so a batch of
   * 100,000 postings is still one round trip and no parameter limit applies.
   */
  private async write(em: EntityManager, planned: PlannedEntry[], planner: EntryPlanner): Promise<string[]> {
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
    const delta = new Map<string, { debits: InstanceType<typeof Dec>; credits: InstanceType<typeof Dec> }>();
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
        const acc = delta.get(posting.account) ?? { debits: new Dec(0), credits: new Dec(0) };
        if (posting.side === 'DEBIT') acc.debits = acc.debits.plus(posting.amount.value);
        else acc.credits = acc.credits.plus(posting.amount.value);
        delta.set(posting.account, acc);
      });
    }
    const accounts = [...delta.keys()].map((code) => planner.state(code)!);
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
       ), p AS (
         INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount, effective_date)
         SELECT e.id, x.seq, x.account_id, x.side, x.amount, x.effective_date
         FROM unnest($9::text[], $10::smallint[], $11::bigint[], $12::text[], $13::numeric[], $14::date[])
           AS x(idempotency_key, seq, account_id, side, amount, effective_date)
         JOIN e USING (idempotency_key)
       ), u AS (
         UPDATE ledger_accounts a
         SET debits = a.debits + v.debits, credits = a.credits + v.credits, head_hash = v.head_hash
         FROM unnest($15::bigint[], $16::numeric[], $17::numeric[], $18::text[]) AS v(id, debits, credits, head_hash)
         WHERE a.id = v.id
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
        accounts.map((a) => delta.get(a.code)!.debits.toString()),
        accounts.map((a) => delta.get(a.code)!.credits.toString()),
        accounts.map((a) => a.headHash),
      ],
    );
    this.writeObserver?.(
      em,
      planned.map((entry) => ({ kind: entry.draft.kind, postings: entry.postings.length })),
    );
    const idByKey = new Map(rows.map((r) => [r.idempotency_key, r.id]));
    return planned.map((entry) => idByKey.get(entry.draft.idempotencyKey)!);
  }

  private plannedView(entry: PlannedEntry, id: string, touched: AccountState[]): EntryView {
    const assetOf = new Map(touched.map((s) => [s.code, s.assetCode]));
    const d = entry.draft;
    return {
      id,
      idempotencyKey: d.idempotencyKey,
      kind: d.kind,
      effectiveDate: d.effectiveDate,
      bookedAt: entry.bookedAt,
      memo: d.memo ?? null,
      metadata: d.metadata ?? {},
      reversesEntryId: d.reversesEntryId ?? null,
      reversedByEntryId: null,
      hash: entry.hash,
      postings: entry.postings.map((p) => ({ account: p.account, asset: assetOf.get(p.account)!, side: p.side, amount: p.amount.toString() })),
    };
  }

  /** Posts the mirror of an entry, pointing at it. An entry is reversed at most once (unique index). */
  async reverse(em: EntityManager, entryId: string, input: ReverseInput): Promise<PostResult> {
    const [original] = await this.loadEntries(em, [entryId]);
    const effectiveDate = input.effectiveDate ?? new Date().toISOString().slice(0, 10);
    const draft: EntryDraft = {
      idempotencyKey: input.idempotencyKey,
      kind: 'REVERSAL',
      effectiveDate,
      memo: input.memo ?? `reversal of entry ${original.id}`,
      metadata: { reversedKind: original.kind },
      reversesEntryId: original.id,
      postings: mirrorPostings(original.postings),
      refusedAssetPrefixes: input.refusedAssetPrefixes,
    };
    if (original.reversedByEntryId !== null) {
      const replay = await this.findReplay(em, [draft]);
      if (replay) return { entry: replay.entries[0], balances: replay.balances, replayed: true };
      throw new LedgerError('ALREADY_REVERSED', `entry ${original.id} was already reversed by entry ${original.reversedByEntryId}`, 'entryId');
    }
    return this.post(em, draft);
  }

  /** An entry as the caller may see it (entrySeenBy): with visibility, one touching none of their accounts is a 404. */
  async getEntry(id: string, em: EntityManager = this.dataSource.manager, visibility: Visibility = null): Promise<SeenEntryView> {
    const [row] = await this.loadEntryRows(em, [id]);
    const postings = await this.loadPostings(em, [id]);
    const seen = entrySeenBy(visibility, this.ownedEntryView(row, postings.get(id) ?? []));
    if (!seen) throw new LedgerError('UNKNOWN_ENTRY', `no entry with id ${id}`, 'entryId');
    return seen;
  }

  /** Entries by id, in the order asked; unknown ids are a 404. */
  private async loadEntries(em: EntityManager, ids: string[]): Promise<EntryView[]> {
    const rows = await this.loadEntryRows(em, ids);
    const postings = await this.loadPostings(em, ids);
    return rows.map((row) => this.entryView(row, postings.get(row.id) ?? []));
  }

  private async loadEntryRows(em: EntityManager, ids: string[]): Promise<EntryRow[]> {
    const malformed = ids.find((id) => !isBigintId(id));
    if (malformed !== undefined) throw new LedgerError('UNKNOWN_ENTRY', `no entry with id ${JSON.stringify(malformed)}`, 'entryId');
    const rows = (await em.query(`SELECT ${ENTRY_COLUMNS} FROM ledger_entries e WHERE e.id = ANY($1::bigint[])`, [ids])) as EntryRow[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = ids.find((id) => !byId.has(id));
    if (missing) throw new LedgerError('UNKNOWN_ENTRY', `no entry with id ${missing}`, 'entryId');
    return ids.map((id) => byId.get(id)!);
  }

  private async loadPostings(em: EntityManager, entryIds: string[]): Promise<Map<string, PostingRow[]>> {
    const rows = (await em.query(
      `SELECT p.entry_id, a.code, a.owner_ref, a.asset_code, s.scale, p.side, p.amount::text AS amount
       FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id JOIN ledger_assets s ON s.code = a.asset_code
       WHERE p.entry_id = ANY($1::bigint[]) ORDER BY p.entry_id, p.seq`,
      [entryIds],
    )) as PostingRow[];
    const map = new Map<string, PostingRow[]>();
    for (const r of rows) map.set(r.entry_id, [...(map.get(r.entry_id) ?? []), r]);
    return map;
  }

  private entryView(row: EntryRow, postings: PostingRow[]): EntryView {
    const owned = this.ownedEntryView(row, postings);
    return { ...owned, postings: owned.postings.map(({ ownerRef: _, ...p }) => p) };
  }

  /** The entry with the owner of each posting's account, as entrySeenBy takes it. */
  private ownedEntryView(row: EntryRow, postings: PostingRow[]): Omit<EntryView, 'postings'> & { postings: OwnedPosting[] } {
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

  /** Entries newest first, optionally those touching an account and within effective dates; keyset on id. */
  async listEntries(filter: EntryFilter): Promise<{ items: SeenEntryView[]; nextCursor: string | null }> {
    const limit = Math.min(filter.limit ?? 50, 200);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replaceAll('?', `$${params.length}`));
    };
    if (filter.visibility) {
      add('e.id IN (SELECT p.entry_id FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE a.owner_ref = ANY(?::text[]))', filter.visibility.ownerRefs);
    }
    if (filter.account !== undefined) {
      const account = await this.getAccount(filter.account, this.dataSource.manager, filter.visibility ?? null);
      add('e.id IN (SELECT entry_id FROM ledger_postings WHERE account_id = ?)', account.id);
    }
    if (filter.from !== undefined) add('e.effective_date >= ?::date', filter.from);
    if (filter.to !== undefined) add('e.effective_date <= ?::date', filter.to);
    if (filter.after !== undefined) add('e.id < ?::bigint', decodeCursor(filter.after, ['id'], 'after')[0]);
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `SELECT ${ENTRY_COLUMNS} FROM ledger_entries e ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY e.id DESC LIMIT $${params.length}`,
      params,
    )) as EntryRow[];
    const page = rows.slice(0, limit);
    const postings = await this.loadPostings(
      this.dataSource.manager,
      page.map((r) => r.id),
    );
    // The filter above admits only entries touching the scope, so entrySeenBy never drops one here.
    const items = page.flatMap((r) => entrySeenBy(filter.visibility ?? null, this.ownedEntryView(r, postings.get(r.id) ?? [])) ?? []);
    return { items, nextCursor: rows.length > limit ? encodeCursor([page[page.length - 1].id]) : null };
  }

  // ---------------------------------------------------------------- balances and reports

  /** Balance from the postings with an effective date on or before `date` (backdated entries included). */
  async balanceAsOf(code: string, date: string, em: EntityManager = this.dataSource.manager, visibility: Visibility = null): Promise<BalanceView & { asOf: string }> {
    if (!isIsoDate(date)) throw new LedgerError('INVALID_ENTRY', 'date must be a calendar date YYYY-MM-DD', 'date');
    const account = await this.getAccount(code, em, visibility);
    return this.balanceOfAccountAsOf(account, await this.scaleOf(account.asset, em), date, em);
  }

  /** The balance of an account already read, from its postings effective on or before `date`. */
  private async balanceOfAccountAsOf(account: AccountView, scale: number, date: string, em: EntityManager): Promise<BalanceView & { asOf: string }> {
    const [sum] = (await em.query(
      `SELECT COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0)::text AS debits, COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)::text AS credits
       FROM ledger_postings WHERE account_id = $1 AND effective_date <= $2::date`,
      [account.id, date],
    )) as Array<{ debits: string; credits: string }>;
    const state = { normalSide: account.normalSide, debits: new Dec(sum.debits), credits: new Dec(sum.credits) };
    return {
      asOf: date,
      account: account.code,
      asset: account.asset,
      debits: formatDecimal(state.debits, scale),
      credits: formatDecimal(state.credits, scale),
      balance: formatDecimal(balanceOf(state), scale),
    };
  }

  /**
   * The non-zero balances of every account of `asset` of the given type, from postings effective on
   * or before `date` (one scan of the asset's postings; a register or a record date reads this).
   */
  async balancesOfAssetAsOf(
    asset: string,
    type: AccountType,
    date: string,
    em: EntityManager = this.dataSource.manager,
  ): Promise<Array<{ account: string; ownerRef: string | null; balance: string }>> {
    if (!isIsoDate(date)) throw new LedgerError('INVALID_ENTRY', 'date must be a calendar date YYYY-MM-DD', 'date');
    const scale = await this.scaleOf(asset, em);
    const rows = (await em.query(
      `SELECT a.code, a.owner_ref, a.normal_side, SUM(CASE p.side WHEN 'DEBIT' THEN p.amount ELSE -p.amount END)::text AS net
         FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
        WHERE a.asset_code = $1 AND a.type = $2 AND p.effective_date <= $3::date
        GROUP BY a.id ORDER BY a.code`,
      [asset, type, date],
    )) as Array<{ code: string; owner_ref: string | null; normal_side: Side; net: string }>;
    return rows
      .map((r) => ({ account: r.code, ownerRef: r.owner_ref, balance: r.normal_side === 'DEBIT' ? new Dec(r.net) : new Dec(r.net).negated() }))
      .filter((r) => !r.balance.isZero())
      .map((r) => ({ account: r.account, ownerRef: r.ownerRef, balance: formatDecimal(r.balance, scale) }));
  }

  /** Statement over [from, to] by effective date, with opening, running and closing balances; keyset-paginated. */
  async statement(code: string, range: { from: string; to: string; limit?: number; cursor?: string }, visibility: Visibility = null): Promise<StatementView> {
    for (const f of ['from', 'to'] as const) if (!isIsoDate(range[f])) throw new LedgerError('INVALID_ENTRY', `${f} must be a calendar date YYYY-MM-DD`, f);
    if (range.from > range.to) throw new LedgerError('INVALID_ENTRY', 'from must not be after to', 'from');
    const limit = Math.min(range.limit ?? 100, 500);
    const account = await this.getAccount(code, this.dataSource.manager, visibility);
    const scale = await this.scaleOf(account.asset);
    const sign = account.normalSide === 'DEBIT' ? 1 : -1;
    // Position after which this page starts: (date, posting id); the first page starts before `from`.
    const [afterDate, afterId] = range.cursor ? decodeCursor(range.cursor, ['date', 'id'], 'cursor') : [null, null];
    const rows = (await this.dataSource.query(
      `WITH opening AS (
         SELECT COALESCE(SUM(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END), 0) AS net
         FROM ledger_postings
         WHERE account_id = $1 AND (effective_date < $2::date OR ($4::date IS NOT NULL AND (effective_date, id) <= ($4::date, $5::bigint)))
       ), page AS (
         SELECT p.id, p.entry_id, e.kind, e.memo, to_char(p.effective_date, 'YYYY-MM-DD') AS effective_date, p.side, p.amount,
                CASE p.side WHEN 'DEBIT' THEN p.amount ELSE -p.amount END AS signed
         FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
         WHERE p.account_id = $1 AND p.effective_date BETWEEN $2::date AND $3::date
           AND ($4::date IS NULL OR (p.effective_date, p.id) > ($4::date, $5::bigint))
         ORDER BY p.effective_date, p.id LIMIT $6
       )
       SELECT (SELECT net FROM opening)::text AS opening, page.id::text, page.entry_id::text, page.kind, page.memo, page.effective_date, page.side,
              page.amount::text AS amount, ((SELECT net FROM opening) + SUM(page.signed) OVER (ORDER BY page.effective_date, page.id))::text AS running
       FROM (SELECT 1) one LEFT JOIN page ON true ORDER BY page.effective_date, page.id`,
      [account.id, range.from, range.to, afterDate, afterId, limit + 1],
    )) as Array<{ opening: string; id: string | null; entry_id: string; kind: string; memo: string | null; effective_date: string; side: Side; amount: string; running: string }>;
    const lines = rows.filter((r) => r.id !== null);
    const page = lines.slice(0, limit);
    const normal = (net: string) => formatDecimal(new Dec(net).times(sign), scale);
    const closing = await this.balanceOfAccountAsOf(account, scale, range.to, this.dataSource.manager);
    const memoOf = await this.memosSeenBy(
      visibility,
      page.map((r) => ({ entryId: r.entry_id, memo: r.memo })),
    );
    return {
      account: code,
      asset: account.asset,
      from: range.from,
      to: range.to,
      openingBalance: normal(rows[0].opening),
      closingBalance: closing.balance,
      lines: page.map((r) => ({
        postingId: r.id!,
        entryId: r.entry_id,
        kind: r.kind,
        memo: memoOf(r.entry_id),
        effectiveDate: r.effective_date,
        side: r.side,
        amount: formatDecimal(r.amount, scale),
        runningBalance: normal(r.running),
      })),
      nextCursor: lines.length > limit ? encodeCursor([page[page.length - 1].effective_date, page[page.length - 1].id!]) : null,
    };
  }

  /** The memo of each entry as `visibility` may see it (entrySeenBy): withheld where another party's postings were left out. */
  private async memosSeenBy(visibility: Visibility, lines: Array<{ entryId: string; memo: string | null }>): Promise<(entryId: string) => string | null> {
    const memos = new Map(lines.map((l) => [l.entryId, l.memo]));
    if (visibility === null) return (id) => memos.get(id) ?? null;
    const postings = await this.loadPostings(this.dataSource.manager, [...memos.keys()]);
    const seen = new Map(
      [...memos].map(([id, memo]) => {
        const owned = (postings.get(id) ?? []).map((p) => ({ account: p.code, asset: p.asset_code, side: p.side, amount: p.amount, ownerRef: p.owner_ref }));
        return [id, entrySeenBy(visibility, { idempotencyKey: null, memo, metadata: {}, hash: null, postings: owned })?.memo ?? null];
      }),
    );
    return (id) => seen.get(id) ?? null;
  }

  /**
   * Trial balance per asset: the net debit balances and net credit balances over all accounts must
   * be equal. Current figures come from the cached totals; `asOf` recomputes from the postings.
   */
  async trialBalance(options: { asOf?: string; byOwner?: boolean } = {}, em: EntityManager = this.dataSource.manager): Promise<TrialBalanceView> {
    if (options.asOf !== undefined && !isIsoDate(options.asOf)) throw new LedgerError('INVALID_ENTRY', 'asOf must be a calendar date YYYY-MM-DD', 'asOf');
    const source = options.asOf
      ? `SELECT a.id, a.asset_code, a.owner_ref,
                COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'DEBIT'), 0) AS debits,
                COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'CREDIT'), 0) AS credits
         FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id AND p.effective_date <= $1::date
         GROUP BY a.id`
      : `SELECT id, asset_code, owner_ref, debits, credits FROM ledger_accounts WHERE $1::date IS NULL`;
    const params = [options.asOf ?? null];
    const assets = (await em.query(
      `WITH b AS (${source})
       SELECT s.code AS asset, s.scale, COUNT(b.id)::int AS accounts,
              COALESCE(SUM(GREATEST(b.debits - b.credits, 0)), 0)::text AS debit_balances,
              COALESCE(SUM(GREATEST(b.credits - b.debits, 0)), 0)::text AS credit_balances
       FROM ledger_assets s LEFT JOIN b ON b.asset_code = s.code
       GROUP BY s.code, s.scale ORDER BY s.code`,
      params,
    )) as Array<{ asset: string; scale: number; accounts: number; debit_balances: string; credit_balances: string }>;
    const view: TrialBalanceView = {
      asOf: options.asOf ?? null,
      assets: assets.map((a) => ({
        asset: a.asset,
        accounts: a.accounts,
        debitBalances: formatDecimal(a.debit_balances, a.scale),
        creditBalances: formatDecimal(a.credit_balances, a.scale),
        balanced: new Dec(a.debit_balances).equals(a.credit_balances),
      })),
    };
    if (options.byOwner) {
      const owners = (await em.query(
        `WITH b AS (${source})
         SELECT b.owner_ref, b.asset_code AS asset, s.scale, SUM(b.debits)::text AS debits, SUM(b.credits)::text AS credits
         FROM b JOIN ledger_assets s ON s.code = b.asset_code
         GROUP BY b.owner_ref, b.asset_code, s.scale ORDER BY b.owner_ref NULLS FIRST, b.asset_code`,
        params,
      )) as Array<{ owner_ref: string | null; asset: string; scale: number; debits: string; credits: string }>;
      view.owners = owners.map((o) => ({
        ownerRef: o.owner_ref,
        asset: o.asset,
        debits: formatDecimal(o.debits, o.scale),
        credits: formatDecimal(o.credits, o.scale),
        net: formatDecimal(new Dec(o.debits).minus(o.credits), o.scale),
      }));
    }
    return view;
  }

  // ---------------------------------------------------------------- tamper evidence

  /**
   * Recomputes every entry's hash in id order, chaining per account, and compares the final chain
   * heads and the cached totals with the accounts. Reports the first broken link.
   */
  /**
   * Checks the whole chain in one read-only REPEATABLE READ snapshot: read outside one, an entry committed
   * between the entry pages and the account heads looked like a broken chain (seen in the nightly job).
   */
  async verifyChain(pageSize = 5000): Promise<ChainReport> {
    return this.dataSource.transaction('REPEATABLE READ', async (em) => {
      await em.query('SET TRANSACTION READ ONLY');
      return this.verifyChainIn(em, pageSize);
    });
  }

  private async verifyChainIn(em: EntityManager, pageSize: number): Promise<ChainReport> {
    const heads = new Map<string, string | null>();
    let checked = 0;
    let after = '0';
    const broken = (entryId: string | null, account: string | null, reason: string, accountsChecked = 0): ChainReport => ({
      ok: false,
      entriesChecked: checked,
      accountsChecked,
      firstBrokenEntryId: entryId,
      brokenAccount: account,
      reason,
    });
    for (;;) {
      const rows = (await em.query(`SELECT ${ENTRY_BASE_COLUMNS}, NULL AS reversed_by FROM ledger_entries e WHERE e.id > $1::bigint ORDER BY e.id LIMIT $2`, [
        after,
        pageSize,
      ])) as EntryRow[];
      if (rows.length === 0) break;
      const postings = await this.loadPostings(
        em,
        rows.map((r) => r.id),
      );
      for (const row of rows) {
        const ps = postings.get(row.id) ?? [];
        const view = this.entryView(row, ps);
        const codes = [...new Set(ps.map((p) => p.code))];
        const previous = new Map(codes.map((c) => [c, heads.get(c) ?? null]));
        const hash = entryHash(
          {
            idempotencyKey: view.idempotencyKey,
            kind: view.kind,
            effectiveDate: view.effectiveDate,
            bookedAt: view.bookedAt,
            memo: view.memo,
            metadata: view.metadata,
            reversesEntryId: view.reversesEntryId,
            postings: view.postings,
          },
          previous,
        );
        if (hash !== row.hash) return broken(row.id, null, `entry ${row.id}: stored hash does not match its content and its accounts' previous links`);
        for (const c of codes) heads.set(c, hash);
        checked += 1;
      }
      after = rows[rows.length - 1].id;
    }
    const accounts = (await em.query(
      `SELECT a.code, a.head_hash, a.debits = COALESCE(t.debits, 0) AND a.credits = COALESCE(t.credits, 0) AS totals_ok
       FROM ledger_accounts a LEFT JOIN (
         SELECT account_id, SUM(amount) FILTER (WHERE side = 'DEBIT') AS debits, SUM(amount) FILTER (WHERE side = 'CREDIT') AS credits
         FROM ledger_postings GROUP BY account_id) t ON t.account_id = a.id
       ORDER BY a.id`,
    )) as Array<{ code: string; head_hash: string | null; totals_ok: boolean }>;
    for (const a of accounts) {
      if ((heads.get(a.code) ?? null) !== a.head_hash)
        return broken(null, a.code, `account ${a.code}: chain head does not match its last entry (an entry was removed or altered)`, accounts.length);
      if (!a.totals_ok) return broken(null, a.code, `account ${a.code}: cached totals differ from the sum of its postings`, accounts.length);
    }
    return { ok: true, entriesChecked: checked, accountsChecked: accounts.length, firstBrokenEntryId: null, brokenAccount: null, reason: null };
  }
}
