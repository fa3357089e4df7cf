import { DomainError, DomainErrorKind } from '@forest-ledger/common';
export type PartyErrorCode =
  | 'VALIDATION_FAILED'
  | 'INVALID_ID_NUMBER'
  | 'UNKNOWN_REGION'
  | 'REGION_EXISTS'
  | 'REGION_HIERARCHY'
  | 'UNKNOWN_PARTY'
  | 'PARTY_EXISTS'
  | 'PARTY_REGION'
  | 'PARTY_LINK'
  | 'PARTY_INACTIVE'
  | 'PARTY_HAS_NO_ID'
  | 'UNKNOWN_APPROVAL'
  | 'APPROVAL_PENDING'
  | 'APPROVAL_DECIDED'
  | 'APPROVAL_ACTION_UNSUPPORTED'
  | 'SAME_USER_APPROVAL'
  | 'FORBIDDEN'
  | 'IMPORT_REJECTED';

const KIND_OF: Record<PartyErrorCode, DomainErrorKind> = {
  VALIDATION_FAILED: 'invalid',
  INVALID_ID_NUMBER: 'invalid',
  UNKNOWN_REGION: 'not-found',
  UNKNOWN_PARTY: 'not-found',
  UNKNOWN_APPROVAL: 'not-found',
  REGION_EXISTS: 'conflict',
  PARTY_EXISTS: 'conflict',
  APPROVAL_PENDING: 'conflict',
  REGION_HIERARCHY: 'rule',
  PARTY_REGION: 'rule',
  PARTY_LINK: 'rule',
  PARTY_INACTIVE: 'rule',
  PARTY_HAS_NO_ID: 'rule',
  APPROVAL_DECIDED: 'rule',
  APPROVAL_ACTION_UNSUPPORTED: 'rule',
  SAME_USER_APPROVAL: 'rule',
  IMPORT_REJECTED: 'rule',
  FORBIDDEN: 'forbidden',
};

/** Errors of regions, parties, their approvals and roster imports; the kind follows from the code. */
export class PartyError extends DomainError {
  constructor(code: PartyErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const PARTY_ERRORS: Readonly<Record<PartyErrorCode, DomainErrorKind>> = KIND_OF;
