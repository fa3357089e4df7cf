import { DomainError, DomainErrorKind } from '@forest-ledger/common';
export type SubsidyErrorCode =
  | 'INVALID_CONTRACT'
  | 'CONTRACT_EXISTS'
  | 'UNKNOWN_CONTRACT'
  | 'WRONG_PARTY_KIND'
  | 'AREA_EXCEEDS_PARCELS'
  | 'PARCEL_NOT_HELD_BY_TRANSFEROR'
  | 'BEYOND_RIGHTS_TERM'
  | 'PARCEL_ALREADY_TRANSFERRED'
  | 'PARCELS_IN_SEVERAL_TOWNSHIPS'
  | 'CONTRACT_STATE'
  | 'CERTIFICATE_NOT_ELIGIBLE'
  | 'INVALID_PROGRAMME'
  | 'PROGRAMME_EXISTS'
  | 'UNKNOWN_PROGRAMME'
  | 'INVALID_RULE'
  | 'RULE_VERSION_EXISTS'
  | 'INVALID_CLAIM'
  | 'UNKNOWN_CLAIM'
  | 'CLAIM_EXISTS'
  | 'CLAIM_NOT_ELIGIBLE'
  | 'CLAIM_STATE'
  | 'NOT_AN_APPROVER'
  | 'SELF_APPROVAL'
  | 'SELF_REJECTION'
  | 'BUDGET_EXCEEDED'
  | 'NOTHING_TO_RECOVER'
  | 'IDEMPOTENCY_CONFLICT';

const KIND_OF: Record<SubsidyErrorCode, DomainErrorKind> = {
  INVALID_CONTRACT: 'invalid',
  CONTRACT_EXISTS: 'conflict',
  UNKNOWN_CONTRACT: 'not-found',
  WRONG_PARTY_KIND: 'rule',
  AREA_EXCEEDS_PARCELS: 'rule',
  PARCEL_NOT_HELD_BY_TRANSFEROR: 'rule',
  BEYOND_RIGHTS_TERM: 'rule',
  PARCEL_ALREADY_TRANSFERRED: 'rule',
  PARCELS_IN_SEVERAL_TOWNSHIPS: 'rule',
  CONTRACT_STATE: 'rule',
  CERTIFICATE_NOT_ELIGIBLE: 'rule',
  INVALID_PROGRAMME: 'invalid',
  PROGRAMME_EXISTS: 'conflict',
  UNKNOWN_PROGRAMME: 'not-found',
  INVALID_RULE: 'invalid',
  RULE_VERSION_EXISTS: 'conflict',
  INVALID_CLAIM: 'invalid',
  UNKNOWN_CLAIM: 'not-found',
  CLAIM_EXISTS: 'conflict',
  CLAIM_NOT_ELIGIBLE: 'rule',
  CLAIM_STATE: 'rule',
  NOT_AN_APPROVER: 'forbidden',
  SELF_APPROVAL: 'forbidden',
  SELF_REJECTION: 'forbidden',
  BUDGET_EXCEEDED: 'rule',
  NOTHING_TO_RECOVER: 'rule',
  IDEMPOTENCY_CONFLICT: 'conflict',
};

export class SubsidyError extends DomainError {
  constructor(code: SubsidyErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const SUBSIDY_ERRORS: Readonly<Record<SubsidyErrorCode, DomainErrorKind>> = KIND_OF;
