import { DomainError, DomainErrorKind } from '@forest-ledger/common';
import { inputChecks } from '../common/input-checks';

export type IncomeRightErrorCode = 'INVALID_SCHEME' | 'UNKNOWN_SCHEME' | 'UNKNOWN_REGION' | 'NOT_A_COUNTY';

/** The codes and their kinds (the API declares them per route). */
export const INCOME_RIGHT_ERRORS: Readonly<Record<IncomeRightErrorCode, DomainErrorKind>> = {
  INVALID_SCHEME: 'invalid',
  UNKNOWN_SCHEME: 'not-found',
  UNKNOWN_REGION: 'not-found',
  NOT_A_COUNTY: 'rule',
};

export class IncomeRightError extends DomainError {
  constructor(code: IncomeRightErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(INCOME_RIGHT_ERRORS[code], code, message, field, details);
  }
}

export const invalidScheme = (message: string, field: string): IncomeRightError => new IncomeRightError('INVALID_SCHEME', message, field);
export const schemeInput = inputChecks(invalidScheme);
