import { ACCOUNT_CODE_PATTERN, isBigintId, isIsoDate } from './domain/entry';
import { LedgerError } from './domain/errors';

/** Keyset cursors of the list and statement reads: opaque base64url of the last row's key parts. */

export function encodeCursor(parts: string[]): string {
  return Buffer.from(parts.join('|'), 'utf8').toString('base64url');
}

export type CursorPart = 'code' | 'id' | 'date';
const CURSOR_CHECKS: Record<CursorPart, (text: string) => boolean> = { code: (t) => ACCOUNT_CODE_PATTERN.test(t), id: isBigintId, date: isIsoDate };

/** Decodes a keyset cursor and checks each part's shape, so a forged cursor is a 400, never a database error. */
export function decodeCursor(cursor: string, shape: CursorPart[], field: string): string[] {
  const parts = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  if (parts.length !== shape.length || parts.some((p, i) => !CURSOR_CHECKS[shape[i]](p))) {
    throw new LedgerError('INVALID_ENTRY', `${field} is not a cursor this API returned`, field);
  }
  return parts;
}
