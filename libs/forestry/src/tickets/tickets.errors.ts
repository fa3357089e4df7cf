import { DomainError, DomainErrorKind } from '@forest-ledger/common';
export type TicketErrorCode =
  | 'INVALID_TICKET_INPUT'
  | 'UNKNOWN_SERIES'
  | 'SERIES_EXISTS'
  | 'SERIES_CLOSED'
  | 'UNKNOWN_PARTY'
  | 'PARTY_INACTIVE'
  | 'UNKNOWN_CERTIFICATE'
  | 'NOT_A_HOLDER'
  | 'SAME_PARTY'
  | 'INSUFFICIENT_UNITS'
  | 'TRANSFER_RESTRICTED'
  | 'NOT_A_BANK'
  | 'UNKNOWN_PLEDGE'
  | 'PLEDGE_NOT_ACTIVE'
  | 'PLEDGED_UNITS_OUTSTANDING'
  | 'HEIRS_MISMATCH'
  | 'NO_GUARANTEED_PRICE'
  | 'EFFECTIVE_DATE_OUT_OF_RANGE'
  | 'REGISTER_CLOSED'
  | 'LISTED_UNITS_OUTSTANDING'
  | 'UNKNOWN_LISTING'
  | 'LISTING_NOT_OPEN';

const KIND_OF: Record<TicketErrorCode, DomainErrorKind> = {
  INVALID_TICKET_INPUT: 'invalid',
  UNKNOWN_SERIES: 'not-found',
  SERIES_EXISTS: 'conflict',
  SERIES_CLOSED: 'rule',
  UNKNOWN_PARTY: 'not-found',
  PARTY_INACTIVE: 'rule',
  UNKNOWN_CERTIFICATE: 'not-found',
  NOT_A_HOLDER: 'rule',
  SAME_PARTY: 'rule',
  INSUFFICIENT_UNITS: 'rule',
  TRANSFER_RESTRICTED: 'rule',
  NOT_A_BANK: 'rule',
  UNKNOWN_PLEDGE: 'not-found',
  PLEDGE_NOT_ACTIVE: 'rule',
  PLEDGED_UNITS_OUTSTANDING: 'rule',
  HEIRS_MISMATCH: 'rule',
  NO_GUARANTEED_PRICE: 'rule',
  EFFECTIVE_DATE_OUT_OF_RANGE: 'rule',
  REGISTER_CLOSED: 'rule',
  LISTED_UNITS_OUTSTANDING: 'rule',
  UNKNOWN_LISTING: 'not-found',
  LISTING_NOT_OPEN: 'rule',
};

export class TicketError extends DomainError {
  constructor(code: TicketErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const TICKET_ERRORS: Readonly<Record<TicketErrorCode, DomainErrorKind>> = KIND_OF;
