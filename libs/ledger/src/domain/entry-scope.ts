import type { Side } from './entry';

/**
 * Who reads: null for an unscoped reader (the bureau's staff), else the owner references
 * (`party:<code>`) whose accounts are the reader's own.
 */
export type ReadScope = { readonly ownerRefs: readonly string[] } | null;

/** A posting as stored, with the owner of its account (what decides who may see it). */
export interface OwnedPosting {
  account: string;
  asset: string;
  side: Side;
  amount: string;
  ownerRef: string | null;
}

export interface SeenPosting {
  account: string;
  asset: string;
  side: Side;
  amount: string;
}

/** The parts of an entry that can name or measure another party: its postings, memo, metadata, key and hash. */
export interface ScopableEntry {
  idempotencyKey: string | null;
  memo: string | null;
  metadata: Record<string, unknown>;
  hash: string | null;
  postings: readonly OwnedPosting[];
}

export type SeenEntry<E extends ScopableEntry> = Omit<E, 'postings' | 'idempotencyKey' | 'hash'> & {
  idempotencyKey: string | null;
  hash: string | null;
  postings: SeenPosting[];
  /** True when postings of accounts outside the reader's scope were left out (the shown ones then need not balance). */
  othersHidden: boolean;
};

/**
 * What a scope may see of an entry, the one rule every read of postings goes through:
 * - unscoped: everything;
 * - an entry touching none of the scope's accounts: nothing (null, a 404 to the caller);
 * - otherwise only the scope's own postings. Another party's posting is left out, not anonymised, and
 *   when any was left out the memo, metadata, idempotency key and hash (which name, measure or
 *   fingerprint the others' postings) are withheld too.
 */
export function entrySeenBy<E extends ScopableEntry>(scope: ReadScope, entry: E): SeenEntry<E> | null {
  const strip = (p: OwnedPosting): SeenPosting => ({ account: p.account, asset: p.asset, side: p.side, amount: p.amount });
  if (scope === null) return { ...entry, postings: entry.postings.map(strip), othersHidden: false };
  const own = new Set(scope.ownerRefs);
  const mine = entry.postings.filter((p) => p.ownerRef !== null && own.has(p.ownerRef));
  if (mine.length === 0) return null;
  if (mine.length === entry.postings.length) return { ...entry, postings: mine.map(strip), othersHidden: false };
  return { ...entry, idempotencyKey: null, memo: null, metadata: {}, hash: null, postings: mine.map(strip), othersHidden: true };
}

/**
 * The same rule for any list of several parties' lines that is not postings (a register's holders,
 * a dividend's lines, a sale's revenue shares): a scoped reader keeps only the lines whose owner is
 * in its scope; another party's line is left out, not anonymised.
 */
export function linesSeenBy<L>(scope: ReadScope, lines: readonly L[], ownerRefOf: (line: L) => string | null): L[] {
  if (scope === null) return [...lines];
  const own = new Set(scope.ownerRefs);
  return lines.filter((line) => {
    const ref = ownerRefOf(line);
    return ref !== null && own.has(ref);
  });
}
