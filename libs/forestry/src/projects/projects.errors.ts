import { DomainError, DomainErrorKind } from '@forest-ledger/common';
import { inputChecks } from '../common/input-checks';

export type ProjectErrorCode =
  | 'INVALID_PROJECT'
  | 'UNKNOWN_PROJECT'
  | 'PROJECT_EXISTS'
  | 'WRONG_PARTY_KIND'
  | 'TERM_OUT_OF_RANGE'
  | 'AREA_EXCEEDS_PARCELS'
  | 'PARCEL_IN_OTHER_PROJECT'
  | 'PROJECT_NOT_DRAFT'
  | 'PROJECT_NOT_ACTIVE'
  | 'NOT_A_PROJECT_PARTY'
  | 'UNKNOWN_CONTRIBUTION'
  | 'CONTRIBUTION_NOT_COMMITTED'
  | 'NO_CONTRIBUTIONS'
  | 'TERM_NOT_ENDED'
  | 'PROJECT_NOT_SETTLED'
  | 'PARCEL_NOT_HELD'
  | 'WRONG_PROJECT_KIND';

const KIND_OF: Record<ProjectErrorCode, DomainErrorKind> = {
  INVALID_PROJECT: 'invalid',
  UNKNOWN_PROJECT: 'not-found',
  PROJECT_EXISTS: 'conflict',
  WRONG_PARTY_KIND: 'rule',
  TERM_OUT_OF_RANGE: 'invalid',
  AREA_EXCEEDS_PARCELS: 'rule',
  PARCEL_IN_OTHER_PROJECT: 'rule',
  PROJECT_NOT_DRAFT: 'rule',
  PROJECT_NOT_ACTIVE: 'rule',
  NOT_A_PROJECT_PARTY: 'rule',
  UNKNOWN_CONTRIBUTION: 'not-found',
  CONTRIBUTION_NOT_COMMITTED: 'rule',
  NO_CONTRIBUTIONS: 'rule',
  TERM_NOT_ENDED: 'rule',
  PROJECT_NOT_SETTLED: 'rule',
  PARCEL_NOT_HELD: 'rule',
  WRONG_PROJECT_KIND: 'rule',
};

export class ProjectError extends DomainError {
  constructor(code: ProjectErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

/** INVALID_PROJECT naming the field. */
export function invalidProject(message: string, field: string): ProjectError {
  return new ProjectError('INVALID_PROJECT', message, field);
}

/** The projects feature's checks of plain input (INVALID_PROJECT). */
export const projectInput = inputChecks(invalidProject);

/** Every code of this feature with its kind (so its HTTP status): the API declares them per route (ApiErrorCodes). */
export const PROJECT_ERRORS: Readonly<Record<ProjectErrorCode, DomainErrorKind>> = KIND_OF;
