import { DomainError, DomainErrorKind } from '@forest-ledger/common';

export type ApprovalErrorCode = 'VALIDATION_FAILED' | 'UNKNOWN_APPROVAL' | 'APPROVAL_DECIDED' | 'APPROVAL_ACTION_UNSUPPORTED' | 'SAME_USER_APPROVAL';

const KIND_OF: Record<ApprovalErrorCode, DomainErrorKind> = {
  VALIDATION_FAILED: 'invalid',
  UNKNOWN_APPROVAL: 'not-found',
  APPROVAL_DECIDED: 'rule',
  APPROVAL_ACTION_UNSUPPORTED: 'rule',
  SAME_USER_APPROVAL: 'rule',
};

/** Errors of the four-eyes approvals; the kind follows from the code. */
export class ApprovalError extends DomainError {
  constructor(code: ApprovalErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const APPROVAL_ERRORS: Readonly<Record<ApprovalErrorCode, DomainErrorKind>> = KIND_OF;

/** The codes of users, logins, PINs and API keys (access.service.ts), with their kinds. */
export const ACCESS_ERRORS: Readonly<Record<string, DomainErrorKind>> = {
  VALIDATION_FAILED: 'invalid',
  UNAUTHENTICATED: 'unauthenticated',
  USER_EXISTS: 'conflict',
  UNKNOWN_USER: 'not-found',
  UNKNOWN_API_KEY: 'not-found',
  UNKNOWN_PARTY: 'not-found',
  CANNOT_DEACTIVATE_SELF: 'rule',
  LAST_ADMIN: 'rule',
  WRONG_PIN: 'rule',
  TOO_MANY_ATTEMPTS: 'rate-limited',
};
