import { Dec, formatDecimal } from './domain/amount';
import { AccountState, balanceOf, checkDraftShape, EntryDraft, EntryPlanner, MAX_BATCH_ENTRIES, PlannedEntry } from './domain/entry';
import { LedgerError } from './domain/errors';
import { canonicalJson } from './domain/hash';
import type { BalanceView, BatchResult, EntryView, PostResult } from './ledger.types';

const ZERO = new Dec(0);

/** The pure steps of posting, between the locked account states and the write: planning, views, replay comparison. */

export type Refusal = { ok: false; error: LedgerError };
export type PostOutcome = { ok: true; result: PostResult } | Refusal;
/** A batch's outcome when batches share a commit (LedgerService.postGroups): its answer, or its refusal (it wrote nothing). */
export type GroupOutcome = { ok: true; result: BatchResult } | Refusal;

/** Runs a rule check: a LedgerError becomes a refusal, anything else propagates. */
export function refusal(check: () => void): Refusal | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    if (error instanceof LedgerError) return { ok: false, error };
    throw error;
  }
}

/** The distinct accounts the drafts post to. */
export function accountsOf(drafts: EntryDraft[]): string[] {
  return [...new Set(drafts.flatMap((d) => d.postings.map((p) => p.account)))];
}

export function balanceView(state: AccountState): BalanceView {
  return {
    account: state.code,
    asset: state.assetCode,
    debits: formatDecimal(state.debits, state.scale),
    credits: formatDecimal(state.credits, state.scale),
    balance: formatDecimal(balanceOf(state), state.scale),
  };
}

export interface DraftPlan {
  planner: EntryPlanner;
  /** `balances`: the entry's accounts just after it (empty unless asked for: a batch answers with the balances after all of them). */
  planned: Array<{ index: number; entry: PlannedEntry; balances: BalanceView[] }>;
  outcomes: Array<PostOutcome | undefined>;
}

/**
 * Plans, in order, every draft without an outcome yet (`settled`); a refused draft applies nothing. `perEntryBalances`:
 * each planned entry carries its accounts' balances just after it (postEach answers each request with them).
 */
export function planDrafts(
  states: AccountState[],
  drafts: EntryDraft[],
  at: (i: number) => string,
  settled: Array<PostOutcome | undefined> = [],
  perEntryBalances = false,
): DraftPlan {
  const steps = planning(states, drafts, at, settled, perEntryBalances);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/**
 * planDrafts a draft at a time, giving the event loop a turn between drafts: a batch planned ahead (LedgerService.planAhead)
 * while a write of the same process is in flight lets that write's statements go on between its entries.
 */
export async function planDraftsInSlices(states: AccountState[], drafts: EntryDraft[], at: (i: number) => string): Promise<DraftPlan> {
  const steps = planning(states, drafts, at, [], false);
  for (;;) {
    // First a turn for the event loop: the caller's write, just issued, goes out before any planning.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const step = steps.next();
    if (step.done) return step.value;
  }
}

function* planning(
  states: AccountState[],
  drafts: EntryDraft[],
  at: (i: number) => string,
  settled: Array<PostOutcome | undefined>,
  perEntryBalances: boolean,
): Generator<void, DraftPlan> {
  const planner = new EntryPlanner(states);
  const bookedAt = new Date().toISOString();
  const outcomes: Array<PostOutcome | undefined> = [...settled];
  const planned: DraftPlan['planned'] = [];
  for (let i = 0; i < drafts.length; i++) {
    if (outcomes[i]) continue;
    const d = drafts[i];
    outcomes[i] = refusal(() => {
      const entry = planner.plan(d, bookedAt, at(i));
      planned.push({ index: i, entry, balances: perEntryBalances ? planner.touched(d.postings.map((p) => p.account)).map(balanceView) : [] });
    });
    if (i < drafts.length - 1) yield;
  }
  return { planner, planned, outcomes };
}

export interface GroupPlan {
  planner: EntryPlanner;
  /** The entries of the groups planned, in order, each with the index of its group. */
  planned: Array<{ group: number; entry: PlannedEntry }>;
  /** Per group: its refusal (it applied nothing), or undefined when planned or skipped. */
  refusals: Array<Refusal | undefined>;
  /** Per planned group: its accounts' states just after its last entry (states are never changed in place). */
  after: Array<AccountState[] | undefined>;
}

/**
 * Plans groups of drafts in order, each all or nothing (a batch request): a group with a refused draft is rolled back and
 * applies nothing, and the groups after it are planned as if it had not come. `skip[g]`: group g is settled already.
 * Fields are named as postBatch names them (`entries[i]`).
 */
export function planGroups(states: AccountState[], groups: readonly EntryDraft[][], skip: readonly boolean[]): GroupPlan {
  const planner = new EntryPlanner(states);
  const bookedAt = new Date().toISOString();
  const plan: GroupPlan = { planner, planned: [], refusals: [], after: [] };
  groups.forEach((drafts, g) => {
    if (skip[g]) return;
    const codes = accountsOf(drafts);
    const marked = planner.mark(codes);
    const entries: PlannedEntry[] = [];
    const refused = refusal(() => drafts.forEach((d, i) => entries.push(planner.plan(d, bookedAt, `entries[${i}]`))));
    if (refused) {
      planner.rollBack(marked);
      plan.refusals[g] = refused;
      return;
    }
    for (const entry of entries) plan.planned.push({ group: g, entry });
    plan.after[g] = planner.touched(codes);
  });
  return plan;
}

/** A batch's answer; the balances after it are formatted when first read (a dividend chunk's fan-out reads only the ids). */
export function batchResult(entries: EntryView[], after: readonly AccountState[]): BatchResult {
  let balances: BalanceView[] | undefined;
  return {
    entries,
    get balances() {
      balances ??= after.map(balanceView);
      return balances;
    },
    replayed: false,
  };
}

/**
 * True when the locked states are, account for account, the ones a plan was made from: then planning again under
 * the locks would give the same entries (planning is a function of the states and the drafts), so the plan stands.
 */
export function sameStates(assumed: readonly AccountState[], locked: readonly AccountState[]): boolean {
  if (assumed.length !== locked.length) return false;
  const byCode = new Map(assumed.map((s) => [s.code, s]));
  return locked.every((l) => {
    const a = byCode.get(l.code);
    return (
      a !== undefined &&
      a.id === l.id &&
      a.assetCode === l.assetCode &&
      a.scale === l.scale &&
      a.normalSide === l.normalSide &&
      a.noOverdraft === l.noOverdraft &&
      a.frozen === l.frozen &&
      a.closed === l.closed &&
      a.headHash === l.headHash &&
      a.debits.equals(l.debits) &&
      a.credits.equals(l.credits)
    );
  });
}

/** What the write adds to each account: debit and credit totals, and the new chain head (the planner's state after the entries). */
export interface AccountDelta {
  id: string;
  debits: string;
  credits: string;
  headHash: string | null;
}

export function accountDeltas(planned: PlannedEntry[], planner: EntryPlanner): AccountDelta[] {
  // An account's first posting is taken as is (no Decimal made): a fan-out posts most accounts once.
  const delta = new Map<string, { debits: Dec; credits: Dec }>();
  for (const entry of planned) {
    for (const posting of entry.postings) {
      const debit = posting.side === 'DEBIT';
      const acc = delta.get(posting.account);
      if (!acc) delta.set(posting.account, debit ? { debits: posting.amount.value, credits: ZERO } : { debits: ZERO, credits: posting.amount.value });
      else if (debit) acc.debits = acc.debits.plus(posting.amount.value);
      else acc.credits = acc.credits.plus(posting.amount.value);
    }
  }
  return [...delta].map(([code, d]) => {
    const state = planner.state(code)!;
    return { id: state.id, debits: d.debits.toString(), credits: d.credits.toString(), headHash: state.headHash };
  });
}

/** Each touched account's asset, by code (built once per write, for plannedView). */
export function assetsByCode(touched: readonly AccountState[]): Map<string, string> {
  return new Map(touched.map((s) => [s.code, s.assetCode]));
}

/** The view of an entry just written, without reading it back. */
export function plannedView(entry: PlannedEntry, id: string, assetOf: ReadonlyMap<string, string>): EntryView {
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

/** What makes two requests under one idempotency key "the same": everything the caller chose. */
export function draftContent(draft: EntryDraft): string {
  return canonicalJson({
    kind: draft.kind,
    effectiveDate: draft.effectiveDate,
    memo: draft.memo ?? null,
    metadata: draft.metadata ?? {},
    reverses: draft.reversesEntryId ?? null,
    postings: draft.postings.map((p) => [p.account, p.side, new Dec(p.amount).toString()]),
  });
}

export function entryContent(entry: EntryView): string {
  return canonicalJson({
    kind: entry.kind,
    effectiveDate: entry.effectiveDate,
    memo: entry.memo,
    metadata: entry.metadata,
    reverses: entry.reversesEntryId,
    postings: entry.postings.map((p) => [p.account, p.side, new Dec(p.amount).toString()]),
  });
}

export function checkBatchSize(drafts: readonly EntryDraft[]): void {
  if (drafts.length === 0 || drafts.length > MAX_BATCH_ENTRIES) {
    throw new LedgerError('INVALID_ENTRY', `entries must hold 1 to ${MAX_BATCH_ENTRIES} entries, got ${drafts.length}`, 'entries');
  }
}

/** Each draft's shape, and keys distinct within the batch. */
export function checkBatchShape(drafts: readonly EntryDraft[], field: string, at: (i: number) => string): void {
  drafts.forEach((d, i) => checkDraftShape(d, at(i)));
  if (new Set(drafts.map((d) => d.idempotencyKey)).size !== drafts.length) {
    throw new LedgerError('INVALID_ENTRY', `${field}: idempotency keys must be distinct within a batch`, field);
  }
}

/**
 * A batch planned ahead of the transaction that posts it (LedgerService.planAhead), from account states read without
 * locks. postBatch writes it only if the locked states are still those; otherwise it plans again, so the plan is an
 * optimisation and never an assumption.
 */
export interface PlannedAhead {
  readonly drafts: readonly EntryDraft[];
  readonly states: readonly AccountState[];
  readonly plan: DraftPlan;
}

export interface PostBatchOptions {
  /** The plan made ahead for these very drafts (the same array), used if the locked states match it. */
  ahead?: PlannedAhead | null;
  /**
   * Called once the batch is planned and before it is written, with each touched account's state after the batch (undefined for
   * the others): a caller planning its next batch ahead starts it here, so that the planning overlaps this write.
   */
  onPlanned?: (after: (code: string) => AccountState | undefined) => void;
}
