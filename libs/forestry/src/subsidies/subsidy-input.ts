import { isIsoDate } from '@forest-ledger/ledger';
import { SubsidyError } from './subsidies.errors';

type InputErrorCode = 'INVALID_CONTRACT' | 'INVALID_PROGRAMME' | 'INVALID_RULE' | 'INVALID_CLAIM';

export function invalidContract(message: string, field: string): SubsidyError {
  return new SubsidyError('INVALID_CONTRACT', message, field);
}

export function subsidyText(value: unknown, field: string, max = 200, code: InputErrorCode = 'INVALID_CONTRACT'): string {
  if (typeof value !== 'string' || value.trim() === '') throw new SubsidyError(code, `${field} must be a non-empty text`, field);
  if (value.length > max) throw new SubsidyError(code, `${field} must be at most ${max} characters`, field);
  return value.trim();
}

export function subsidyDate(value: unknown, field: string, code: InputErrorCode = 'INVALID_CONTRACT'): string {
  if (typeof value !== 'string' || !isIsoDate(value)) throw new SubsidyError(code, `${field} must be a calendar date YYYY-MM-DD`, field);
  return value;
}
