import { isIsoDate } from '@forest-ledger/ledger/domain';

/** Builds a feature's own error (its code, its kind) for a bad input field. */
export type InvalidInput = (message: string, field: string) => Error;

export interface InputChecks {
  /** The trimmed text; refuses a non-string, a blank one, or one longer than `max` characters before trimming. */
  requireText: (value: unknown, field: string, max?: number) => string;
  /** null when absent (undefined or null), otherwise as `requireText`. */
  optionalText: (value: unknown, field: string, max?: number) => string | null;
  /** A calendar date YYYY-MM-DD, returned as given. */
  requireDate: (value: unknown, field: string) => string;
}

/**
 * The common checks of a service's plain input, throwing the feature's own error from `invalid`.
 * `maxText` and `maxOptionalText` are the default lengths when a call names none.
 */
export function inputChecks(invalid: InvalidInput, limits: { maxText?: number; maxOptionalText?: number } = {}): InputChecks {
  const { maxText = 200, maxOptionalText = 2000 } = limits;
  const requireText = (value: unknown, field: string, max = maxText): string => {
    if (typeof value !== 'string' || value.trim() === '') throw invalid(`${field} must be a non-empty text`, field);
    if (value.length > max) throw invalid(`${field} must be at most ${max} characters`, field);
    return value.trim();
  };
  return {
    requireText,
    optionalText: (value, field, max = maxOptionalText) => (value === undefined || value === null ? null : requireText(value, field, max)),
    requireDate: (value, field) => {
      if (typeof value !== 'string' || !isIsoDate(value)) throw invalid(`${field} must be a calendar date YYYY-MM-DD`, field);
      return value;
    },
  };
}
