import { SetMetadata } from '@nestjs/common';
import type { DomainErrorKind } from '@forest-ledger/common';
import { ACCESS_ERRORS, APPROVAL_ERRORS } from '@forest-ledger/access';
import {
  CARBON_ERRORS,
  DIVIDEND_ERRORS,
  DISCLOSURE_ERRORS,
  EVENT_FEED_ERRORS,
  INCOME_RIGHT_ERRORS,
  ISSUANCE_PLAN_ERRORS,
  LAND_USE_ERRORS,
  PARCEL_ERRORS,
  PARTY_ERRORS,
  PROJECT_ERRORS,
  QUANTIFICATION_ERRORS,
  RENT_SCHEDULE_ERRORS,
  SUBSIDY_ERRORS,
  TABLE_READ_ERRORS,
  TICKET_ERRORS,
  WEBHOOK_ERRORS,
} from '@forest-ledger/forestry';
import { LEDGER_ERRORS } from '@forest-ledger/ledger';
import { STATUS_OF } from './error.filter';

export {
  ACCESS_ERRORS,
  APPROVAL_ERRORS,
  CARBON_ERRORS,
  DIVIDEND_ERRORS,
  DISCLOSURE_ERRORS,
  EVENT_FEED_ERRORS,
  INCOME_RIGHT_ERRORS,
  ISSUANCE_PLAN_ERRORS,
  LAND_USE_ERRORS,
  LEDGER_ERRORS,
  PARCEL_ERRORS,
  PARTY_ERRORS,
  PROJECT_ERRORS,
  QUANTIFICATION_ERRORS,
  RENT_SCHEDULE_ERRORS,
  SUBSIDY_ERRORS,
  TABLE_READ_ERRORS,
  TICKET_ERRORS,
  WEBHOOK_ERRORS,
};

/** A feature's typed error map (`*.errors.ts`): each code with its kind, which fixes its HTTP status (STATUS_OF). */
export type ErrorCodeMap = Readonly<Record<string, DomainErrorKind>>;

export const ERROR_CODES_KEY = 'forest-ledger:error-codes';

/**
 * The error codes a route (or every route of a controller) can answer besides the ones every route can: the
 * features' typed error maps it calls into. The OpenAPI document lists them per route and status
 * (openapi-contract.ts), as the enum of that response's `code`.
 */
export const ApiErrorCodes = (...maps: ErrorCodeMap[]) => SetMetadata(ERROR_CODES_KEY, maps);

/** Codes any route may answer, by status: the HTTP layer's own (body, validation, guards) and the outages. */
export const HTTP_ERRORS: Readonly<Record<number, readonly string[]>> = {
  400: ['VALIDATION_FAILED', 'MALFORMED_REQUEST', 'BODY_TOO_DEEP', 'FORBIDDEN_KEY'],
  401: ['UNAUTHENTICATED'],
  403: ['FORBIDDEN'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE', 'UNSUPPORTED_ENCODING', 'UNSUPPORTED_CHARSET'],
  500: ['INTERNAL_ERROR'],
  503: ['SERVICE_UNAVAILABLE'],
};

/** Codes only a state-changing route (under an Idempotency-Key) may answer, by status. */
export const COMMAND_ERRORS: Readonly<Record<number, readonly string[]>> = {
  400: ['IDEMPOTENCY_KEY_REQUIRED', 'IDEMPOTENCY_KEY_INVALID'],
  409: ['IDEMPOTENCY_CONFLICT'],
};

/** Every feature's map: the whole vocabulary of `ErrorResponse.code`. */
export const FEATURE_ERRORS = {
  LEDGER_ERRORS,
  ACCESS_ERRORS,
  APPROVAL_ERRORS,
  PARTY_ERRORS,
  PARCEL_ERRORS,
  TABLE_READ_ERRORS,
  PROJECT_ERRORS,
  TICKET_ERRORS,
  ISSUANCE_PLAN_ERRORS,
  DIVIDEND_ERRORS,
  CARBON_ERRORS,
  SUBSIDY_ERRORS,
  LAND_USE_ERRORS,
  RENT_SCHEDULE_ERRORS,
  EVENT_FEED_ERRORS,
  INCOME_RIGHT_ERRORS,
  QUANTIFICATION_ERRORS,
  DISCLOSURE_ERRORS,
  WEBHOOK_ERRORS,
} as const satisfies Record<string, ErrorCodeMap>;

/** Every code the service can answer (the enum of ErrorResponse.code), sorted. */
export function allErrorCodes(): string[] {
  const codes = new Set<string>([...Object.values(HTTP_ERRORS).flat(), ...Object.values(COMMAND_ERRORS).flat(), 'ROUTE_NOT_FOUND', 'HTTP_414']);
  for (const map of Object.values(FEATURE_ERRORS)) for (const code of Object.keys(map)) codes.add(code);
  return [...codes].sort();
}

/** The codes a route answers with `status`: the HTTP layer's, a command's, and those of its maps whose kind has that status. */
export function codesFor(status: number, maps: readonly ErrorCodeMap[], command: boolean): string[] {
  const codes = new Set<string>([...(HTTP_ERRORS[status] ?? []), ...(command ? (COMMAND_ERRORS[status] ?? []) : [])]);
  for (const map of maps) for (const [code, kind] of Object.entries(map)) if (STATUS_OF[kind] === status) codes.add(code);
  return [...codes].sort();
}
