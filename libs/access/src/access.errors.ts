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
