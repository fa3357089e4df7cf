import { DomainError, DomainErrorKind } from '@forest-ledger/common';

export type DisclosureErrorCode =
  | 'INVALID_DISCLOSURE_INPUT'
  | 'UNKNOWN_DISCLOSURE'
  | 'UNKNOWN_OBJECTION'
  | 'DISCLOSURE_OFF'
  | 'DISCLOSURE_STATE'
  | 'NO_VILLAGE'
  | 'PLAN_UNCHANGED'
  | 'DISCLOSURE_REQUIRED'
  | 'DISCLOSURE_PERIOD_OPEN'
  | 'OBJECTION_OPEN'
  | 'DISCLOSURE_OUTDATED';

/** The codes and their kinds (the API declares them per route). */
export const DISCLOSURE_ERRORS: Readonly<Record<DisclosureErrorCode, DomainErrorKind>> = {
  INVALID_DISCLOSURE_INPUT: 'invalid',
  UNKNOWN_DISCLOSURE: 'not-found',
  UNKNOWN_OBJECTION: 'not-found',
  DISCLOSURE_OFF: 'rule',
  DISCLOSURE_STATE: 'rule',
  NO_VILLAGE: 'rule',
  PLAN_UNCHANGED: 'rule',
  DISCLOSURE_REQUIRED: 'rule',
  DISCLOSURE_PERIOD_OPEN: 'rule',
  OBJECTION_OPEN: 'rule',
  DISCLOSURE_OUTDATED: 'rule',
};

export class DisclosureError extends DomainError {
  constructor(code: DisclosureErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(DISCLOSURE_ERRORS[code], code, message, field, details);
  }
}
