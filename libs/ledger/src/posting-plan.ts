import { Dec } from './domain/amount';
import { AccountState, balanceOf, EntryDraft, EntryPlanner, PlannedEntry } from './domain/entry';
import { LedgerError } from './domain/errors';
import { canonicalJson } from './domain/hash';
import { formatDecimal } from './domain/amount';
import type { BalanceView, EntryView, PostResult } from './ledger.types';

/** The pure steps of posting, between the locked account states and the write: planning, views, replay comparison. */

export type Refusal = { ok: false; error: LedgerError };
export type PostOutcome = { ok: true; result: PostResult } | Refusal;

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
  const planner = new EntryPlanner(states);
  const bookedAt = new Date().toISOString();
  const outcomes: Array<PostOutcome | undefined> = [...settled];
  const planned: DraftPlan['planned'] = [];
  drafts.forEach((d, i) => {
    if (outcomes[i]) return;
    outcomes[i] = refusal(() => {
      const entry = planner.plan(d, bookedAt, at(i));
      planned.push({ index: i, entry, balances: perEntryBalances ? planner.touched(d.postings.map((p) => p.account)).map(balanceView) : [] });
    });
  });
  return { planner, planned, outcomes };
}

/** What the write adds to each account: debit and credit totals, and the new chain head (the planner's state after the entries). */
export interface AccountDelta {
  id: string;
  debits: string;
  credits: string;
  headHash: string | null;
}

export function accountDeltas(planned: PlannedEntry[], planner: EntryPlanner): AccountDelta[] {
  const delta = new Map<string, { debits: Dec; credits: Dec }>();
  for (const entry of planned) {
    for (const posting of entry.postings) {
      const acc = delta.get(posting.account) ?? { debits: new Dec(0), credits: new Dec(0) };
      if (posting.side === 'DEBIT') acc.debits = acc.debits.plus(posting.amount.value);
      else acc.credits = acc.credits.plus(posting.amount.value);
      delta.set(posting.account, acc);
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
