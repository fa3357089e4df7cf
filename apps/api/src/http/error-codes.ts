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

/** A feature's typed error map (`*.errors.ts`): each code with its kind, which fixes its HTTP status (STATUS_OF). */
export type ErrorCodeMap = Readonly<Record<string, DomainErrorKind>>;

export const ERROR_CODES_KEY = 'forest-ledger:error-codes';

/** Every feature's map, by feature: the whole vocabulary of `ErrorResponse.code`, and the names `@ApiErrorCodes` takes. */
export const FEATURE_ERRORS = {
  ledger: LEDGER_ERRORS,
  access: ACCESS_ERRORS,
  approval: APPROVAL_ERRORS,
  party: PARTY_ERRORS,
  parcel: PARCEL_ERRORS,
  tableRead: TABLE_READ_ERRORS,
  project: PROJECT_ERRORS,
  ticket: TICKET_ERRORS,
  issuancePlan: ISSUANCE_PLAN_ERRORS,
  dividend: DIVIDEND_ERRORS,
  carbon: CARBON_ERRORS,
  subsidy: SUBSIDY_ERRORS,
  landUse: LAND_USE_ERRORS,
  rentSchedule: RENT_SCHEDULE_ERRORS,
  eventFeed: EVENT_FEED_ERRORS,
  incomeRight: INCOME_RIGHT_ERRORS,
  quantification: QUANTIFICATION_ERRORS,
  disclosure: DISCLOSURE_ERRORS,
  webhook: WEBHOOK_ERRORS,
} as const satisfies Record<string, ErrorCodeMap>;
export type Feature = keyof typeof FEATURE_ERRORS;

/**
 * The error codes a route (or every route of a controller) can answer besides the ones every route can: those
 * of the features it calls into, named as in FEATURE_ERRORS. The OpenAPI document lists them per route and
 * status (openapi-contract.ts), as the enum of that response's `code`.
 */
export const ApiErrorCodes = (...features: Feature[]) =>
  SetMetadata(
    ERROR_CODES_KEY,
    features.map((feature): ErrorCodeMap => FEATURE_ERRORS[feature]),
  );

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
