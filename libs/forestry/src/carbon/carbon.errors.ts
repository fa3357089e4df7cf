import { DomainError, DomainErrorKind } from '@forest-ledger/common';
export type CarbonErrorCode =
  | 'INVALID_CARBON_INPUT'
  | 'INVALID_REVENUE_RULE'
  | 'UNKNOWN_CARBON_PROJECT'
  | 'CARBON_PROJECT_EXISTS'
  | 'CARBON_PROJECT_NOT_REGISTERED'
  | 'CARBON_PROJECT_NOT_DRAFT'
  | 'CARBON_PROJECT_CLOSED'
  | 'VINTAGE_OUTSIDE_CREDITING_PERIOD'
  | 'VINTAGE_OVERLAPS'
  | 'UNKNOWN_VINTAGE'
  | 'UNKNOWN_LISTING'
  | 'UNKNOWN_SALE'
  | 'LISTING_NOT_OPEN'
  | 'INSUFFICIENT_CREDITS'
  | 'NO_REVENUE_RECIPIENTS'
  | 'UNKNOWN_PARTY'
  | 'UNKNOWN_CERTIFICATE'
  | 'PARCEL_ALREADY_CLAIMED';

const KIND_OF: Record<CarbonErrorCode, DomainErrorKind> = {
  INVALID_CARBON_INPUT: 'invalid',
  INVALID_REVENUE_RULE: 'invalid',
  UNKNOWN_CARBON_PROJECT: 'not-found',
  CARBON_PROJECT_EXISTS: 'conflict',
  CARBON_PROJECT_NOT_REGISTERED: 'rule',
  CARBON_PROJECT_NOT_DRAFT: 'rule',
  CARBON_PROJECT_CLOSED: 'rule',
  VINTAGE_OUTSIDE_CREDITING_PERIOD: 'rule',
  VINTAGE_OVERLAPS: 'rule',
  UNKNOWN_VINTAGE: 'not-found',
  UNKNOWN_LISTING: 'not-found',
  UNKNOWN_SALE: 'not-found',
  LISTING_NOT_OPEN: 'rule',
  INSUFFICIENT_CREDITS: 'rule',
  NO_REVENUE_RECIPIENTS: 'rule',
  UNKNOWN_PARTY: 'not-found',
  UNKNOWN_CERTIFICATE: 'not-found',
  PARCEL_ALREADY_CLAIMED: 'conflict',
};

export class CarbonError extends DomainError {
  constructor(code: CarbonErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const CARBON_ERRORS: Readonly<Record<CarbonErrorCode, DomainErrorKind>> = KIND_OF;
