import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { formatDecimal } from './domain/amount';
import {
  AccountState,
  AccountType,
  ACCOUNT_CODE_PATTERN,
  ACCOUNT_TYPES,
  ASSET_CODE_PATTERN,
  balanceOf,
  checkDraftShape,
  EntryDraft,
  MAX_BATCH_ENTRIES,
  mirrorPostings,
} from './domain/entry';
import type { PlannedEntry } from './domain/entry';
import { LedgerError } from './domain/errors';
import { decodeCursor, encodeCursor } from './cursor';
import { LedgerReportsService } from './ledger-reports.service';
import * as store from './ledger.store';
import type { EventData } from '@forest-ledger/platform/outbox/event-types';
import { ExistingKey } from './ledger.store';
import type {
  AccountFilter,
  AccountView,
  AssetView,
  BalanceView,
  BatchResult,
  EntryView,
  OpenAccountInput,
  PostResult,
  ReverseInput,
  SeenEntryView,
  Visibility,
} from './ledger.types';
import {
  accountDeltas,
  accountsOf,
  assetsByCode,
  batchResult,
  checkBatchShape,
  checkBatchSize,
  draftContent,
  entryContent,
  GroupOutcome,
  planDrafts,
  planDraftsInSlices,
  PlannedAhead,
  planGroups,
  plannedView,
  PostBatchOptions,
  PostOutcome,
  Refusal,
  refusal,
  sameStates,
} from './posting-plan';

/**
 * The double-entry ledger's command side: assets, accounts, posting (one entry, batches, postEach),
 * reversal. Every write takes the caller's EntityManager so that it joins the caller's one
 * transaction; reads may run outside one. Reports are in LedgerReportsService, the hash-chain check in ChainVerifier.
 *
 * Locking: an entry locks its accounts `FOR UPDATE` in ascending id order before reading balances,
 * so concurrent entries serialise per account and never deadlock each other. Entry ids are drawn
 * after the locks are held, so per account, id order is commit order (the hash chain relies on it).
 */
@Injectable()
export class LedgerService {
  /** Asset scales never change once created, so they are cached for the process. */
  private readonly scales = new Map<string, number>();
  private readonly reports: LedgerReportsService;
  /** Told of every batch of entries written, inside the writer's transaction (metrics: observeWrites). */
  private writeObserver: ((em: EntityManager, entries: Array<{ kind: string; postings: number }>) => void) | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Optional() reports?: LedgerReportsService,
  ) {
    this.reports = reports ?? new LedgerReportsService(dataSource);
  }

  /** The one optional hook: `observer` learns each written entry's kind and posting count (it must not throw). */
  observeWrites(observer: (em: EntityManager, entries: Array<{ kind: string; postings: number }>) => void): void {
    this.writeObserver = observer;
  }

  /**
   * Writes planned entries and their `ledger.entry.posted` events (issue 17's outbox) in one statement,
   * and tells the observer, inside the writer's transaction.
   */
  private async insert(em: EntityManager, planned: PlannedEntry[], planner: Parameters<typeof accountDeltas>[1]): Promise<string[]> {
    const ids = await store.insertEntries(em, planned, accountDeltas(planned, planner), planned.map(entryPostedPayload));
    this.writeObserver?.(
      em,
      planned.map((entry) => ({ kind: entry.draft.kind, postings: entry.postings.length })),
    );
    return ids;
  }

  // ---------------------------------------------------------------- assets

  async createAsset(em: EntityManager, input: { code: string; scale: number; description?: string }): Promise<AssetView> {
    if (!ASSET_CODE_PATTERN.test(input.code)) throw new LedgerError('INVALID_ENTRY', 'code must be 1-64 of A-Z, 0-9, ".", "_", "-", starting with a letter or digit', 'code');
    if (!Number.isInteger(input.scale) || input.scale < 0 || input.scale > 18) throw new LedgerError('INVALID_ENTRY', 'scale must be an integer from 0 to 18', 'scale');
    if (!(await store.insertAsset(em, input))) throw new LedgerError('ASSET_EXISTS', `asset ${input.code} already exists`, 'code');
    return { code: input.code, scale: input.scale, description: input.description ?? '' };
  }

  /** Creates the asset unless it exists; an existing one must have the same scale. For features that need CNY or TCO2E. */
  async ensureAsset(em: EntityManager, input: { code: string; scale: number; description?: string }): Promise<AssetView> {
    await store.insertAsset(em, input);
    const asset = await this.getAsset(input.code, em);
    if (asset.scale !== input.scale) throw new LedgerError('ASSET_EXISTS', `asset ${input.code} exists with scale ${asset.scale}, not ${input.scale}`, 'code');
    return asset;
  }

  async getAsset(code: string, em: EntityManager = this.dataSource.manager): Promise<AssetView> {
    const row = await store.readAsset(em, code);
    this.scales.set(row.code, row.scale);
    return row;
  }

  async listAssets(): Promise<AssetView[]> {
    return store.selectAssets(this.dataSource.manager);
  }

  async scaleOf(asset: string, em?: EntityManager): Promise<number> {
    return this.scales.get(asset) ?? (await this.getAsset(asset, em)).scale;
  }

  // ---------------------------------------------------------------- accounts

  async openAccount(em: EntityManager, input: OpenAccountInput): Promise<AccountView> {
    if (!ACCOUNT_CODE_PATTERN.test(input.code)) throw new LedgerError('INVALID_ENTRY', 'code must be 1-200 of letters, digits, ":", ".", "_", "-"', 'code');
    if (!ACCOUNT_TYPES.includes(input.type)) throw new LedgerError('INVALID_ENTRY', `type must be one of ${ACCOUNT_TYPES.join(', ')}`, 'type');
    await this.getAsset(input.asset, em);
    const opened = await store.insertAccounts(em, [input]);
    if (opened.length === 0) throw new LedgerError('ACCOUNT_EXISTS', `account ${input.code} already exists`, 'code');
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
    const opened = await store.insertAccounts(em, inputs);
    if (opened.length !== inputs.length) {
      const codes = new Set(opened);
      const existing = inputs.find((i) => !codes.has(i.code))!;
      throw new LedgerError('ACCOUNT_EXISTS', `account ${existing.code} already exists`, 'code');
    }
    return opened.length;
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
    return store.readAccount(em, code, visibility);
  }

  /**
   * The accounts `codes` in one query, in the order of `codes` (a repeated code is repeated); any code
   * the caller may not see, or that is unknown, is the same UNKNOWN_ACCOUNT as `getAccount`, naming the first.
   */
  async getAccounts(codes: readonly string[], em: EntityManager = this.dataSource.manager, visibility: Visibility = null): Promise<AccountView[]> {
    return store.readAccounts(em, codes, visibility);
  }

  /** Keyset-paginated by code. */
  async listAccounts(filter: AccountFilter): Promise<{ items: AccountView[]; nextCursor: string | null }> {
    const limit = Math.min(filter.limit ?? 100, 500);
    const rows = await store.selectAccountPage(this.dataSource.manager, {
      ownerRef: filter.ownerRef,
      ownerRefs: filter.visibility ? filter.visibility.ownerRefs : undefined,
      asset: filter.asset,
      codePrefix: filter.codePrefix,
      afterCode: filter.after !== undefined ? decodeCursor(filter.after, ['code'], 'after')[0] : undefined,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit).map(store.accountView);
    return { items, nextCursor: rows.length > limit ? encodeCursor([items[items.length - 1].code]) : null };
  }

  async setFrozen(em: EntityManager, code: string, frozen: boolean): Promise<AccountView> {
    const state = await this.lockOne(em, code);
    if (state.closed) throw new LedgerError('ACCOUNT_CLOSED', `account ${code} is closed`, 'account');
    await store.updateFrozen(em, state.id, frozen);
    return this.getAccount(code, em);
  }

  /** Closing is final and allowed only at a zero balance. */
  async closeAccount(em: EntityManager, code: string): Promise<AccountView> {
    const state = await this.lockOne(em, code);
    if (state.closed) throw new LedgerError('ACCOUNT_CLOSED', `account ${code} is already closed`, 'account');
    if (!state.debits.equals(state.credits)) {
      throw new LedgerError('ACCOUNT_NOT_ZERO', `account ${code} has balance ${formatDecimal(balanceOf(state), state.scale)}; only a zero balance can be closed`, 'account');
    }
    await store.updateClosed(em, state.id);
    return this.getAccount(code, em);
  }

  private async lockOne(em: EntityManager, code: string): Promise<AccountState> {
    const [state] = (await store.lockForPosting(em, [code], [])).states;
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
  async postBatch(em: EntityManager, drafts: EntryDraft[], options: PostBatchOptions = {}): Promise<BatchResult> {
    checkBatchSize(drafts);
    return this.postMany(em, drafts, 'entries', options);
  }

  /**
   * Posts batches, each all or nothing as postBatch would, all in the caller's one transaction: one lock statement and
   * one write statement for all of them. A batch that breaks a rule gets its error and writes nothing; the others are
   * written. A batch whose keys were posted before gets postBatch's answer for it (its replay, or a conflict). Keys must
   * be distinct across the batches. This is how concurrent batch requests share a commit (BatchCoalescer in the API).
   */
  async postGroups(em: EntityManager, groups: EntryDraft[][]): Promise<GroupOutcome[]> {
    const outcomes: Array<GroupOutcome | undefined> = groups.map((drafts) =>
      refusal(() => {
        checkBatchSize(drafts);
        checkBatchShape(drafts, 'entries', (i) => `entries[${i}]`);
      }),
    );
    const live = groups.filter((_, g) => outcomes[g] === undefined).flat();
    if (live.length === 0) return outcomes as GroupOutcome[];
    const { states, existing } = await store.lockForPosting(
      em,
      accountsOf(live),
      live.map((d) => d.idempotencyKey),
    );
    if (existing.length > 0) {
      const posted = new Map(existing.map((e) => [e.idempotency_key, e]));
      for (const [g, drafts] of groups.entries()) {
        const theirs = outcomes[g] === undefined ? drafts.flatMap((d) => posted.get(d.idempotencyKey) ?? []) : [];
        if (theirs.length === 0) continue;
        try {
          outcomes[g] = { ok: true, result: await this.replay(em, drafts, theirs) };
        } catch (error) {
          if (!(error instanceof LedgerError)) throw error;
          outcomes[g] = { ok: false, error };
        }
      }
    }
    const plan = planGroups(
      states,
      groups,
      outcomes.map((o) => o !== undefined),
    );
    const entries: EntryView[][] = groups.map(() => []);
    if (plan.planned.length > 0) {
      const ids = await this.insert(
        em,
        plan.planned.map((p) => p.entry),
        plan.planner,
      );
      const assets = assetsByCode(plan.planner.touched(accountsOf(live)));
      plan.planned.forEach((p, n) => entries[p.group].push(plannedView(p.entry, ids[n], assets)));
    }
    return groups.map((_, g) => outcomes[g] ?? plan.refusals[g] ?? { ok: true, result: batchResult(entries[g], plan.after[g]!) });
  }

  /** The posting states of `codes` now, without locking them (unknown codes are absent): what planAhead plans from. */
  async readStates(em: EntityManager, codes: readonly string[]): Promise<AccountState[]> {
    return store.selectStates(em, codes);
  }

  /**
   * Plans a batch ahead of its transaction from `states` (readStates, or what an earlier batch left: PostBatchOptions.onPlanned),
   * yielding to the event loop between entries so that a write in flight meanwhile is not held up. Null when a draft would be
   * refused: postBatch then plans under the locks and refuses with the authoritative error. No database access.
   */
  async planAhead(states: readonly AccountState[], drafts: readonly EntryDraft[]): Promise<PlannedAhead | null> {
    if (drafts.length === 0 || drafts.length > MAX_BATCH_ENTRIES) return null;
    // The planner checks each draft's shape too (a refusal then voids the plan); postMany's up-front check adds only which error comes first.
    const plan = await planDraftsInSlices([...states], [...drafts], (i) => `entries[${i}]`);
    return plan.outcomes.every((o) => o === undefined || o.ok) ? { drafts, states, plan } : null;
  }

  /** Atomic: the first refusal (replays aside) refuses the whole batch, and nothing is written. */
  private async postMany(em: EntityManager, drafts: EntryDraft[], field: string, options: PostBatchOptions = {}): Promise<BatchResult> {
    const at = (i: number) => (field === 'entry' ? 'entry' : `${field}[${i}]`);
    checkBatchShape(drafts, field, at);
    const keys = drafts.map((d) => d.idempotencyKey);

    const codes = accountsOf(drafts);
    const { states, existing } = await store.lockForPosting(em, codes, keys);
    if (existing.length > 0) return this.replay(em, drafts, existing);
    const ahead = options.ahead;
    const plan = ahead && ahead.drafts === drafts && sameStates(ahead.states, states) ? ahead.plan : planDrafts(states, drafts, at);
    const refused = plan.outcomes.find((o): o is Refusal => o !== undefined && !o.ok);
    if (refused) {
      // A same-key writer may have committed while we waited for the locks (our statement's
      // snapshot predates it): its entry, not a refusal computed from its effects, is the answer.
      const replay = await this.findReplay(em, drafts);
      if (replay) return replay;
      throw refused.error;
    }
    const planned = plan.planned.map((p) => p.entry);
    options.onPlanned?.((code) => plan.planner.state(code));
    const ids = await this.insert(em, planned, plan.planner);
    const touched = plan.planner.touched(codes);
    const assets = assetsByCode(touched);
    return batchResult(
      plan.planned.map((p, n) => plannedView(p.entry, ids[n], assets)),
      touched,
    );
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
        ? await store.lockForPosting(
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
    const plan = planDrafts(states, drafts, () => 'entry', outcomes, true);
    if (plan.planned.length > 0) {
      const planned = plan.planned.map((p) => p.entry);
      const ids = await this.insert(em, planned, plan.planner);
      const assets = assetsByCode(plan.planner.touched(accountsOf(live)));
      plan.planned.forEach((p, n) => {
        plan.outcomes[p.index] = { ok: true, result: { entry: plannedView(p.entry, ids[n], assets), balances: p.balances, replayed: false } };
      });
    }
    return plan.outcomes as PostOutcome[];
  }

  /** Looks the keys up on their own (for callers that have not locked anything). */
  private async findReplay(em: EntityManager, drafts: EntryDraft[]): Promise<BatchResult | null> {
    const existing = await store.selectExistingKeys(
      em,
      drafts.map((d) => d.idempotencyKey),
    );
    return existing.length === 0 ? null : this.replay(em, drafts, existing);
  }

  /** Same keys already posted: replay if every one matches, conflict otherwise. */
  private async replay(em: EntityManager, drafts: EntryDraft[], existing: ExistingKey[]): Promise<BatchResult> {
    if (existing.length !== drafts.length) {
      throw new LedgerError('IDEMPOTENCY_CONFLICT', `some idempotency keys of this batch were already used (e.g. ${existing[0].idempotency_key})`, 'idempotencyKey');
    }
    const byKey = new Map(existing.map((e) => [e.idempotency_key, e.id]));
    const entries = await store.readEntries(
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

  /** Posts the mirror of an entry, pointing at it. An entry is reversed at most once (unique index). */
  async reverse(em: EntityManager, entryId: string, input: ReverseInput): Promise<PostResult> {
    const [original] = await store.readEntries(em, [entryId]);
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

  // ---------------------------------------------------------------- reads features call here (the same as LedgerReportsService's)

  /** See LedgerReportsService.getEntry. */
  getEntry(id: string, em: EntityManager = this.dataSource.manager, visibility: Visibility = null): Promise<SeenEntryView> {
    return this.reports.getEntry(id, em, visibility);
  }

  /** See LedgerReportsService.balanceAsOf. */
  balanceAsOf(code: string, date: string, em: EntityManager = this.dataSource.manager, visibility: Visibility = null): Promise<BalanceView & { asOf: string }> {
    return this.reports.balanceAsOf(code, date, em, visibility);
  }

  /** See LedgerReportsService.balancesOfAssetAsOf. */
  balancesOfAssetAsOf(
    asset: string,
    type: AccountType,
    date: string,
    em: EntityManager = this.dataSource.manager,
  ): Promise<Array<{ account: string; accountId: string; ownerRef: string | null; balance: string }>> {
    return this.reports.balancesOfAssetAsOf(asset, type, date, em);
  }
}

/**
 * The `ledger.entry.posted` event of a written entry: everything its hash covers, and the previous link of
 * each account it touches, so that a consumer of the feed can recompute the hash offline (README "Events");
 * without its `entryId`, which the write adds (and the event's aggregate id) with the id it draws.
 */
export function entryPostedPayload(entry: PlannedEntry) {
  const d = entry.draft;
  return {
    idempotencyKey: d.idempotencyKey,
    kind: d.kind,
    effectiveDate: d.effectiveDate,
    bookedAt: entry.bookedAt,
    memo: d.memo ?? null,
    metadata: d.metadata ?? {},
    reversesEntryId: d.reversesEntryId ?? null,
    hash: entry.hash,
    previous: entry.previous,
    postings: entry.postings.map((p) => ({ account: p.account, side: p.side, amount: p.amount.toString() })),
  } satisfies Omit<EventData<'ledger.entry.posted'>, 'entryId'>;
}
