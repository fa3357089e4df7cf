import Decimal from 'decimal.js';
import { Amount, Dec } from './amount';
import { LedgerError } from './errors';

const ZERO = new Dec(0);
import { entryHashOfTuples } from './hash';

export const ACCOUNT_TYPES = ['ASSET', 'LIABILITY', 'EQUITY', 'INCOME', 'EXPENSE'] as const;
export type AccountType = (typeof ACCOUNT_TYPES)[number];
export const SIDES = ['DEBIT', 'CREDIT'] as const;
export type Side = (typeof SIDES)[number];

export const MIN_POSTINGS = 2;
export const MAX_POSTINGS = 1000;
/** An entry's key: the caller's Idempotency-Key (≤ 200) scoped to the caller, plus a feature's prefix and suffix. */
export const MAX_ENTRY_KEY_LENGTH = 400;
export const KIND_PATTERN = /^[A-Z][A-Z0-9_]{1,63}$/;
export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
export const ASSET_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,63}$/;
export const ACCOUNT_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,199}$/;
export const MAX_BATCH_ENTRIES = 50_000;

const MAX_BIGINT = '9223372036854775807';

/** True for a positive id that fits PostgreSQL bigint, written without sign or leading zeros. */
export function isBigintId(text: string): boolean {
  return /^[1-9][0-9]{0,18}$/.test(text) && (text.length < 19 || text <= MAX_BIGINT);
}

export function normalSideOf(type: AccountType): Side {
  return type === 'ASSET' || type === 'EXPENSE' ? 'DEBIT' : 'CREDIT';
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const digit = (text: string, i: number) => text.charCodeAt(i) - 48;

/**
 * True for a real calendar date written YYYY-MM-DD, years 0001-9999 (PostgreSQL has no year 0), proleptic Gregorian
 * as Date's. By arithmetic on the digits, no Date made: every posted entry and every date query parameter comes here.
 */
export function isIsoDate(text: string): boolean {
  if (!DATE_PATTERN.test(text)) return false;
  const year = digit(text, 0) * 1000 + digit(text, 1) * 100 + digit(text, 2) * 10 + digit(text, 3);
  const month = digit(text, 5) * 10 + digit(text, 6);
  const day = digit(text, 8) * 10 + digit(text, 9);
  if (year === 0 || month < 1 || month > 12 || day < 1) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]);
}

export interface PostingDraft {
  account: string;
  side: Side;
  amount: string;
}

export interface EntryDraft {
  idempotencyKey: string;
  kind: string;
  effectiveDate: string;
  memo?: string | null;
  metadata?: Record<string, unknown>;
  reversesEntryId?: string | null;
  postings: PostingDraft[];
  /**
   * Accounts an internal flow credits and debits in this one entry to show a gross amount passing
   * through (a sale's revenue shared out at once, a receivable raised and settled from a credit).
   * Only these may appear twice, once on each side; never set from client input.
   */
  clearingAccounts?: readonly string[];
  /**
   * Asset code prefixes this draft may not move (422 ASSET_MANAGED): the raw ledger routes may not move
   * units that a feature keeps a register and rules for (林票 `LP.`), since they would bypass those rules.
   */
  refusedAssetPrefixes?: readonly string[];
}

/** What the planner needs to know of an account; read under a row lock. */
export interface AccountState {
  id: string;
  code: string;
  assetCode: string;
  scale: number;
  normalSide: Side;
  noOverdraft: boolean;
  frozen: boolean;
  closed: boolean;
  debits: Decimal;
  credits: Decimal;
  headHash: string | null;
}

export interface PlannedPosting {
  accountId: string;
  account: string;
  side: Side;
  amount: Amount;
}

export interface PlannedEntry {
  draft: EntryDraft;
  bookedAt: string;
  postings: PlannedPosting[];
  hash: string;
  /** The previous chain head of each account the entry touches (its hashed links), by account code. */
  previous: Record<string, string | null>;
}

export function balanceOf(state: Pick<AccountState, 'normalSide' | 'debits' | 'credits'>): Decimal {
  return state.normalSide === 'DEBIT' ? state.debits.minus(state.credits) : state.credits.minus(state.debits);
}

/** Checks the parts of a draft that need no account: counts, kind, date, key. */
export function checkDraftShape(draft: EntryDraft, field = 'entry'): void {
  const n = draft.postings?.length ?? 0;
  if (n < MIN_POSTINGS || n > MAX_POSTINGS) {
    throw new LedgerError('INVALID_ENTRY', `${field}.postings must have between ${MIN_POSTINGS} and ${MAX_POSTINGS} postings, got ${n}`, `${field}.postings`);
  }
  if (!KIND_PATTERN.test(draft.kind)) {
    throw new LedgerError('INVALID_ENTRY', `${field}.kind must be UPPER_SNAKE_CASE (e.g. TICKET_TRANSFER)`, `${field}.kind`);
  }
  if (!isIsoDate(draft.effectiveDate)) {
    throw new LedgerError('INVALID_ENTRY', `${field}.effectiveDate must be a calendar date YYYY-MM-DD`, `${field}.effectiveDate`);
  }
  if (!draft.idempotencyKey || draft.idempotencyKey.length > MAX_ENTRY_KEY_LENGTH) {
    throw new LedgerError('INVALID_ENTRY', `${field}.idempotencyKey must be 1..${MAX_ENTRY_KEY_LENGTH} characters`, `${field}.idempotencyKey`);
  }
  // A reversal mirrors its original posting for posting, so an entry booked before this rule stays reversible.
  if (!draft.reversesEntryId) checkDistinctAccounts(draft.postings, field, draft.clearingAccounts);
}

/**
 * An entry names each account once: an account repeated on one side, or debited and credited
 * (a wash that only adds noise), is refused naming the later posting. A declared clearing
 * account may appear once on each side.
 */
export function checkDistinctAccounts(postings: readonly PostingDraft[], field = 'entry', clearing: readonly string[] = []): void {
  const seen = new Map<string, number>();
  postings.forEach((p, i) => {
    const key = clearing.includes(p.account) ? `${p.side}:${p.account}` : p.account;
    const first = seen.get(key);
    if (first !== undefined) {
      const how = postings[first].side === p.side ? 'repeated' : 'debited and credited';
      throw new LedgerError(
        'DUPLICATE_POSTING',
        `${field}.postings[${i}].account: account ${JSON.stringify(p.account)} is already in postings[${first}] (${how}); an entry names each account once, net the amounts into one posting`,
        `${field}.postings[${i}].account`,
        { account: p.account, postings: [first, i] },
      );
    }
    seen.set(key, i);
  });
}

/**
 * Validates entries against locked account states and applies them to a working copy, in order.
 * An entry that breaks any rule throws and leaves the working states untouched, so a batch is
 * all-or-nothing simply by discarding the planner.
 */
export class EntryPlanner {
  private readonly states: Map<string, AccountState>;

  constructor(states: Iterable<AccountState>) {
    this.states = new Map([...states].map((s) => [s.code, { ...s }]));
  }

  plan(draft: EntryDraft, bookedAt: string, field = 'entry'): PlannedEntry {
    checkDraftShape(draft, field);
    const postings: PlannedPosting[] = [];
    const sums = new Map<string, { debit: Decimal; credit: Decimal }>();
    // Per account, what the entry adds to each side. The first posting of an account takes its amount as is (no
    // Decimal is made for it): a fan-out posts thousands of accounts once each, and this loop is its hot path.
    const deltas = new Map<string, { debits: Decimal; credits: Decimal }>();
    const hashed: Array<[string, string, string]> = [];

    const postingDrafts = draft.postings;
    for (let i = 0; i < postingDrafts.length; i++) {
      const p = postingDrafts[i];
      const state = this.states.get(p.account);
      if (!state) throw new LedgerError('UNKNOWN_ACCOUNT', `${field}.postings[${i}].account: no account with code ${JSON.stringify(p.account)}`, `${field}.postings[${i}].account`);
      if (p.side !== 'DEBIT' && p.side !== 'CREDIT') throw new LedgerError('INVALID_ENTRY', `${field}.postings[${i}].side must be DEBIT or CREDIT`, `${field}.postings[${i}].side`);
      if (state.closed) throw new LedgerError('ACCOUNT_CLOSED', `${field}.postings[${i}].account: account ${state.code} is closed`, `${field}.postings[${i}].account`);
      if (state.frozen) throw new LedgerError('ACCOUNT_FROZEN', `${field}.postings[${i}].account: account ${state.code} is frozen`, `${field}.postings[${i}].account`);
      if (draft.refusedAssetPrefixes?.some((prefix) => state.assetCode.startsWith(prefix))) {
        throw new LedgerError(
          'ASSET_MANAGED',
          `${field}.postings[${i}].account: ${state.assetCode} moves only through its own operations (a raw entry would bypass their rules)`,
          `${field}.postings[${i}].account`,
        );
      }
      const amount = Amount.parsePositive(p.amount, state.scale, `${field}.postings[${i}].amount`);
      const debit = p.side === 'DEBIT';
      postings.push({ accountId: state.id, account: state.code, side: p.side, amount });
      hashed.push([state.code, p.side, amount.toString()]);

      const sum = sums.get(state.assetCode);
      if (!sum) sums.set(state.assetCode, debit ? { debit: amount.value, credit: ZERO } : { debit: ZERO, credit: amount.value });
      else if (debit) sum.debit = sum.debit.plus(amount.value);
      else sum.credit = sum.credit.plus(amount.value);

      const delta = deltas.get(state.code);
      if (!delta) deltas.set(state.code, debit ? { debits: amount.value, credits: ZERO } : { debits: ZERO, credits: amount.value });
      else if (debit) delta.debits = delta.debits.plus(amount.value);
      else delta.credits = delta.credits.plus(amount.value);
    }

    for (const [asset, sum] of sums) {
      if (!sum.debit.equals(sum.credit)) {
        throw new LedgerError('LEDGER_UNBALANCED', `${field}.postings: debits ${sum.debit.toString()} ≠ credits ${sum.credit.toString()} for asset ${asset}`, `${field}.postings`, {
          asset,
          debits: sum.debit.toString(),
          credits: sum.credit.toString(),
        });
      }
    }

    const next: AccountState[] = [];
    const previous = new Map<string, string | null>();
    for (const [code, delta] of deltas) {
      const state = this.states.get(code)!;
      const debits = delta.debits.isZero() ? state.debits : state.debits.plus(delta.debits);
      const credits = delta.credits.isZero() ? state.credits : state.credits.plus(delta.credits);
      // Overdrawn: the balance on the normal side below zero, i.e. the other side's total above it (no subtraction needed).
      if (state.noOverdraft && (state.normalSide === 'DEBIT' ? debits.lessThan(credits) : credits.lessThan(debits))) {
        throw new LedgerError(
          'INSUFFICIENT_FUNDS',
          `${field}.postings: account ${code} would be overdrawn (balance ${balanceOf(state).toFixed(state.scale)}, change ${balanceOf({ ...delta, normalSide: state.normalSide }).toFixed(state.scale)})`,
          `${field}.postings`,
          {
            account: code,
            balance: balanceOf(state).toFixed(state.scale),
          },
        );
      }
      next.push({ ...state, debits, credits });
      previous.set(code, state.headHash);
    }

    const hash = entryHashOfTuples(
      {
        idempotencyKey: draft.idempotencyKey,
        kind: draft.kind,
        effectiveDate: draft.effectiveDate,
        bookedAt,
        memo: draft.memo ?? null,
        metadata: draft.metadata ?? {},
        reversesEntryId: draft.reversesEntryId ?? null,
        postings: hashed,
      },
      previous,
    );
    // Each state object is new (never changed once in the map), so a caller holding an earlier one keeps what it saw.
    for (const after of next) {
      after.headHash = hash;
      this.states.set(after.code, after);
    }
    return { draft, bookedAt, postings, hash, previous: Object.fromEntries(previous) };
  }

  /** The working states of `codes` now, for rollBack (plan never changes a state in place: it replaces it). */
  mark(codes: Iterable<string>): ReadonlyMap<string, AccountState> {
    const marked = new Map<string, AccountState>();
    for (const code of codes) {
      const state = this.states.get(code);
      if (state) marked.set(code, state);
    }
    return marked;
  }

  /** Undoes what was planned since `mark` on its accounts (a group of entries that is refused as a whole). */
  rollBack(marked: ReadonlyMap<string, AccountState>): void {
    for (const [code, state] of marked) this.states.set(code, state);
  }

  /** Working states of the given accounts after everything planned so far. */
  state(code: string): AccountState | undefined {
    return this.states.get(code);
  }

  touched(codes: Iterable<string>): AccountState[] {
    return [...new Set(codes)].map((c) => this.states.get(c)!).filter(Boolean);
  }
}

/** The mirror of an entry: every posting's side flipped. */
export function mirrorPostings(postings: readonly PostingDraft[]): PostingDraft[] {
  return postings.map((p) => ({ account: p.account, side: p.side === 'DEBIT' ? 'CREDIT' : 'DEBIT', amount: p.amount }));
}
