import { DomainError, DomainErrorKind } from '@forest-ledger/common';
export type LandUseErrorCode =
  | 'INVALID_CONTRACT'
  | 'UNKNOWN_CONTRACT'
  | 'CONTRACT_EXISTS'
  | 'WRONG_PARTY'
  | 'PARCEL_NOT_LESSORS'
  | 'PARCEL_IN_OTHER_CONTRACT'
  | 'AREA_EXCEEDS_PARCELS'
  | 'INVALID_RENEWAL'
  | 'CONTRACT_NOT_DRAFT'
  | 'CONTRACT_NOT_ACTIVE'
  | 'NOT_RENTED'
  | 'DEPOSIT_ALREADY_RECEIVED'
  | 'DEPOSIT_NOT_RECEIVED'
  | 'PAYMENT_BEFORE_ACCRUED_FEES'
  | 'PAYMENT_EXCEEDS_OWED'
  | 'NOT_AN_APPROVER'
  | 'NO_LATE_FEE_TO_WAIVE'
  | 'TERM_NOT_ENDED'
  | 'INVALID_TERMINATION'
  | 'UNKNOWN_PROJECT'
  | 'NOT_THE_PROJECTS_PARTY'
  | 'PROJECT_NOT_DRAFT'
  | 'CONTRACT_NOT_CANCELLABLE';

const KIND_OF: Record<LandUseErrorCode, DomainErrorKind> = {
  INVALID_CONTRACT: 'invalid',
  UNKNOWN_CONTRACT: 'not-found',
  CONTRACT_EXISTS: 'conflict',
  WRONG_PARTY: 'rule',
  PARCEL_NOT_LESSORS: 'rule',
  PARCEL_IN_OTHER_CONTRACT: 'rule',
  AREA_EXCEEDS_PARCELS: 'rule',
  INVALID_RENEWAL: 'rule',
  CONTRACT_NOT_DRAFT: 'rule',
  CONTRACT_NOT_ACTIVE: 'rule',
  NOT_RENTED: 'rule',
  DEPOSIT_ALREADY_RECEIVED: 'rule',
  DEPOSIT_NOT_RECEIVED: 'rule',
  PAYMENT_BEFORE_ACCRUED_FEES: 'rule',
  PAYMENT_EXCEEDS_OWED: 'rule',
  NOT_AN_APPROVER: 'forbidden',
  NO_LATE_FEE_TO_WAIVE: 'rule',
  TERM_NOT_ENDED: 'rule',
  INVALID_TERMINATION: 'rule',
  // EQUITY: the project named by projectCode.
  UNKNOWN_PROJECT: 'not-found',
  NOT_THE_PROJECTS_PARTY: 'rule',
  PROJECT_NOT_DRAFT: 'conflict',
  CONTRACT_NOT_CANCELLABLE: 'conflict',
};

export class LandUseError extends DomainError {
  constructor(code: LandUseErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const LAND_USE_ERRORS: Readonly<Record<LandUseErrorCode, DomainErrorKind>> = KIND_OF;
