import { DomainError, DomainErrorKind } from '@forest-ledger/common';

export type LedgerErrorCode =
  | 'INVALID_AMOUNT'
  | 'INVALID_ENTRY'
  | 'UNKNOWN_ASSET'
  | 'UNKNOWN_ACCOUNT'
  | 'UNKNOWN_ENTRY'
  | 'ASSET_EXISTS'
  | 'ACCOUNT_EXISTS'
  | 'ASSET_MISMATCH'
  | 'LEDGER_UNBALANCED'
  | 'INSUFFICIENT_FUNDS'
  | 'ACCOUNT_FROZEN'
  | 'ACCOUNT_CLOSED'
  | 'ACCOUNT_NOT_ZERO'
  | 'ALREADY_REVERSED'
  | 'DUPLICATE_POSTING'
  | 'ASSET_MANAGED'
  | 'IDEMPOTENCY_CONFLICT'
  | 'ALLOCATION_INVALID';

const KIND_OF: Record<LedgerErrorCode, DomainErrorKind> = {
  INVALID_AMOUNT: 'invalid',
  INVALID_ENTRY: 'invalid',
  ALLOCATION_INVALID: 'invalid',
  UNKNOWN_ASSET: 'not-found',
  UNKNOWN_ACCOUNT: 'not-found',
  UNKNOWN_ENTRY: 'not-found',
  ASSET_EXISTS: 'conflict',
  ACCOUNT_EXISTS: 'conflict',
  IDEMPOTENCY_CONFLICT: 'conflict',
  ASSET_MISMATCH: 'rule',
  LEDGER_UNBALANCED: 'rule',
  INSUFFICIENT_FUNDS: 'rule',
  ACCOUNT_FROZEN: 'rule',
  ACCOUNT_CLOSED: 'rule',
  ACCOUNT_NOT_ZERO: 'rule',
  ALREADY_REVERSED: 'rule',
  DUPLICATE_POSTING: 'rule',
  ASSET_MANAGED: 'rule',
};

export class LedgerError extends DomainError {
  constructor(code: LedgerErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const LEDGER_ERRORS: Readonly<Record<LedgerErrorCode, DomainErrorKind>> = KIND_OF;
