import { createHash } from 'node:crypto';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Text to emit as is, queued among the values still to write. */
class Raw {
  constructor(readonly text: string) {}
}
const COMMA = new Raw(',');
const CLOSE_ARRAY = new Raw(']');
const CLOSE_OBJECT = new Raw('}');

/**
 * Canonical JSON: object keys sorted by UTF-16 code units (JavaScript's default sort), no
 * whitespace, `undefined` members dropped, array holes written as null (as JSON.stringify does).
 * Two semantically equal values (e.g. one read back from jsonb) serialise to the same text.
 * Iterative (an explicit stack), so no nesting depth of client data can overflow the call stack.
 */
export function canonicalJson(value: unknown): string {
  let out = '';
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v instanceof Raw) {
      out += v.text;
    } else if (v === null || v === undefined) {
      out += 'null';
    } else if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError('canonicalJson: non-finite number');
      out += JSON.stringify(v);
    } else if (typeof v === 'string' || typeof v === 'boolean') {
      out += JSON.stringify(v);
    } else if (Array.isArray(v) && allStrings(v)) {
      // An array of strings (a hashed posting) written at once: the same text, without a stack step per element.
      out += '[';
      for (let i = 0; i < v.length; i++) out += (i > 0 ? ',' : '') + JSON.stringify(v[i]);
      out += ']';
    } else if (Array.isArray(v)) {
      out += '[';
      stack.push(CLOSE_ARRAY);
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push(v[i]);
        if (i > 0) stack.push(COMMA);
      }
    } else if (typeof v === 'object') {
      const obj = v as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      out += '{';
      stack.push(CLOSE_OBJECT);
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push(obj[keys[i]]);
        stack.push(new Raw(`${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:`));
      }
    } else {
      throw new TypeError(`canonicalJson: unsupported ${typeof v}`);
    }
  }
  return out;
}

/** True when every element (holes included: they are not strings) is a string. */
function allStrings(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'string') return false;
  return true;
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
  return entryHashOfTuples({ ...entry, postings: entry.postings.map((p) => [p.account, p.side, p.amount]) }, previous);
}

/** entryHash with the postings already as the [account, side, amount] tuples that are hashed (the planner builds them so). */
export function entryHashOfTuples(
  entry: Omit<HashedEntry, 'postings'> & { postings: ReadonlyArray<readonly [string, string, string]> },
  previous: ReadonlyMap<string, string | null>,
): string {
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
      postings: entry.postings,
      prev,
    }),
  );
}

/** Fingerprint of what a caller asked for, to tell a replay from a different request under the same key. */
export function requestFingerprint(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
