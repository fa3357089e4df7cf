import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Canonical JSON: object keys sorted by UTF-16 code units (JavaScript's default sort), no
 * whitespace, `undefined` members dropped, array holes written as null (as JSON.stringify does).
 * Two semantically equal values (e.g. one read back from jsonb) serialise to the same text.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
    return JSON.stringify(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${Array.from(value, (v) => canonicalJson(v)).join(',')}]`;
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
  }
  throw new TypeError(`canonicalJson: unsupported ${typeof value}`);
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The hashed content of an entry. Amounts are fixed-point text at the asset's scale. */
export interface HashedEntry {
  idempotencyKey: string;
  kind: string;
  effectiveDate: string;
  bookedAt: string;
  memo: string | null;
  metadata: Record<string, unknown>;
  reversesEntryId: string | null;
  postings: ReadonlyArray<{ account: string; side: string; amount: string }>;
}

/**
 * Hash of an entry chained to the previous entry of every account it touches (by account code).
 * The chain is per account, so writers only wait for the row locks they already take:
 * no ledger-wide lock, yet deleting or editing any entry breaks the next link of each of its accounts.
 */
export function entryHash(entry: HashedEntry, previous: ReadonlyMap<string, string | null>): string {
  const prev = [...previous.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256Hex(
    canonicalJson({
      v: 1,
      key: entry.idempotencyKey,
      kind: entry.kind,
      effectiveDate: entry.effectiveDate,
      bookedAt: entry.bookedAt,
      memo: entry.memo,
      metadata: entry.metadata,
      reverses: entry.reversesEntryId,
      postings: entry.postings.map((p) => [p.account, p.side, p.amount]),
      prev,
    }),
  );
}

/** Fingerprint of what a caller asked for, to tell a replay from a different request under the same key. */
export function requestFingerprint(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
