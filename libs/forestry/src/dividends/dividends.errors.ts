import { DomainError, DomainErrorKind } from '@forest-ledger/common';
export type DividendErrorCode =
  | 'INVALID_DIVIDEND_INPUT'
  | 'UNKNOWN_DECLARATION'
  | 'DECLARATION_STATE'
  | 'NOT_AN_APPROVER'
  | 'SAME_USER_APPROVAL'
  | 'DECLARATION_STALE'
  | 'EXCEEDS_WALLET'
  | 'EXCEEDS_DISTRIBUTABLE'
  | 'NO_HOLDERS'
  | 'NO_GUARANTEE'
  | 'FEE_ALREADY_CHARGED'
  | 'UNKNOWN_PAYOUT_BATCH'
  | 'UNKNOWN_PAYOUT_LINE'
  | 'PAYOUT_STATE'
  | 'NOTHING_TO_PAY'
  | 'INVALID_BANK_CARD';

const KIND_OF: Record<DividendErrorCode, DomainErrorKind> = {
  INVALID_DIVIDEND_INPUT: 'invalid',
  UNKNOWN_DECLARATION: 'not-found',
  DECLARATION_STATE: 'rule',
  NOT_AN_APPROVER: 'forbidden',
  SAME_USER_APPROVAL: 'forbidden',
  DECLARATION_STALE: 'rule',
  EXCEEDS_WALLET: 'rule',
  EXCEEDS_DISTRIBUTABLE: 'rule',
  NO_HOLDERS: 'rule',
  NO_GUARANTEE: 'rule',
  FEE_ALREADY_CHARGED: 'conflict',
  UNKNOWN_PAYOUT_BATCH: 'not-found',
  UNKNOWN_PAYOUT_LINE: 'not-found',
  PAYOUT_STATE: 'rule',
  NOTHING_TO_PAY: 'rule',
  INVALID_BANK_CARD: 'invalid',
};

export class DividendError extends DomainError {
  constructor(code: DividendErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const DIVIDEND_ERRORS: Readonly<Record<DividendErrorCode, DomainErrorKind>> = KIND_OF;
