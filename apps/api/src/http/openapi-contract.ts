import { INestApplicationContext, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import type { HeaderObject, OperationObject, ParameterObject, ReferenceObject, ResponseObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import type { Role } from '@forest-ledger/access';
import { NO_IDEMPOTENCY_KEY, PUBLIC_KEY, ROLES_KEY } from '../auth/auth.decorators';
import { allErrorCodes, codesFor, ERROR_CODES_KEY, ErrorCodeMap } from './error-codes';

/**
 * The contract the OpenAPI document states, completed in one pass from what the code already declares, so it
 * cannot drift from it (issue 20, items 7–9):
 *
 * - **401/403 from the guards.** A route's `@Roles` (or `@Public`) is what AuthGuard enforces; here it becomes the
 *   route's 401 and 403 responses (`x-roles` lists the roles). No controller writes them by hand.
 * - **Error codes per route and status.** `ErrorResponse.code` is an enum of every code the service has; each error
 *   response of a route narrows it to the codes of that status from the HTTP layer and from the feature error maps the
 *   route declares with `@ApiErrorCodes` (error-codes.ts).
 * - **Shapes.** Request fields get their pattern/format from the validators themselves (validators.ts); response fields
 *   declared with a decimal, date or timestamp example or name get the same here (decimal pattern, `format: date`,
 *   `format: date-time`). Every response declares `X-Correlation-Id`; every command's success response `Idempotency-Replayed`.
 */

/** A decimal string in a response: optionally negative (a balance), no exponent, separators or spaces. */
export const RESPONSE_DECIMAL_PATTERN = '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$';
const DECIMAL_EXAMPLE = /^-?\d+\.\d+$/;
const WHOLE_EXAMPLE = /^-?\d+$/;
const DATE_EXAMPLE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_EXAMPLE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
/** Names of amounts and quantities (a whole-number example like "9123" is a quantity only under such a name). */
export const AMOUNT_NAME =
  /(amount|total|balance|price|value|fee|units|quantity|debits|credits|principal|interest|rent|subsid|paid|owed|due|outstanding|remaining|available|pledged|issued|retired|sold|buffer|rate|ratio|share|area|emissions|perUnit|tonnes|cash|sum|cost)/i;
/** The words (camelCase parts) that make a field without an example an amount: `lateFees`, `scheduledRent`, `depositHeld`. */
const AMOUNT_WORDS = new Set(
  'amount amounts total totals balance price value fee fees units quantity debits credits credit principal interest rent paid owed outstanding receivable payable deposit deposits held received refunded waived area income revenue cost costs sum tonnes emissions net gross'.split(
    ' ',
  ),
);
const isAmountName = (name: string): boolean => name.split(/(?=[A-Z0-9])/).some((word) => AMOUNT_WORDS.has(word.toLowerCase()));
/** Names of calendar dates and of timestamps. */
export const DATE_NAME = /(On|Date|^asOf|^date|^from|^to|Until|Since|Through|^start|^end|Start|End)$/;
export const DATE_TIME_NAME = /At$/;

interface RouteContract {
  roles: Role[] | null;
  isPublic: boolean;
  command: boolean;
  errorMaps: ErrorCodeMap[];
}

const STATE_CHANGING = new Set(['post', 'put', 'patch', 'delete']);
const ERROR_SCHEMA = '#/components/schemas/ErrorResponse';

/** Completes the document Nest built (see above). Throws when an operation has no route behind it. */
export function completeDocument(document: OpenAPIObject, app: INestApplicationContext): OpenAPIObject {
  const routes = routeContracts(app);
  document.components ??= {};
  document.components.headers = { ...document.components.headers, ...HEADERS };
  const schemas = (document.components.schemas ??= {});
  const error = schemas.ErrorResponse as SchemaObject | undefined;
  if (error?.properties?.code) (error.properties.code as SchemaObject).enum = allErrorCodes();

  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item) as Array<[string, OperationObject]>) {
      if (typeof operation !== 'object' || operation === null || !('responses' in operation)) continue;
      const route = routes.get((operation.operationId ?? '').replace(/\[\d+\]$/, ''));
      if (!route) throw new Error(`openapi-contract: no route found for ${method.toUpperCase()} ${path} (operationId ${operation.operationId ?? '?'})`);
      completeOperation(operation, { ...route, command: route.command && STATE_CHANGING.has(method) }, STATE_CHANGING.has(method));
      for (const parameter of operation.parameters ?? []) if (!('$ref' in parameter)) shapeParameter(parameter);
    }
  }
  for (const schema of Object.values(schemas)) if (!('$ref' in schema)) shapeSchema(schema);
  return document;
}

const HEADERS: Record<string, HeaderObject> = {
  'X-Correlation-Id': {
    description: "The request's correlation id (the caller's X-Correlation-Id when sane, else a UUID); also in the error body and the logs",
    schema: { type: 'string' },
  },
  'Idempotency-Replayed': {
    description: 'true when this is the stored answer to an earlier request with the same caller, Idempotency-Key and body (nothing was done again); false on the first',
    schema: { type: 'string', enum: ['true', 'false'] },
  },
};

function completeOperation(operation: OperationObject, route: RouteContract, readsBody: boolean): void {
  const responses = operation.responses;
  if (route.roles !== null) {
    (operation as OperationObject & { 'x-roles'?: Role[] })['x-roles'] = route.roles;
    responses['401'] ??= errorResponse('No or an invalid access token / API key (UNAUTHENTICATED)');
    responses['403'] ??= errorResponse(
      `The caller's role may not call this route (FORBIDDEN); allowed: ${route.roles.join(', ')}. A scoped caller acting for another party is refused too`,
    );
  } else if (!route.isPublic) {
    responses['403'] ??= errorResponse('This route declares no roles, so nobody may call it (FORBIDDEN)');
  }
  // What the HTTP layer answers before any route runs: a malformed request (bad path encoding, a NUL in a
  // parameter) on every route; on a route that reads a body, one too large or of a type or encoding not read.
  responses['400'] ??= errorResponse('The request is malformed or its input invalid (the code and field say which)');
  if (readsBody) {
    responses['413'] ??= errorResponse('The body is larger than the service reads (PAYLOAD_TOO_LARGE)');
    responses['415'] ??= errorResponse('The body is not JSON in UTF-8 (UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED_ENCODING, UNSUPPORTED_CHARSET)');
  }
  for (const [status, response] of Object.entries(responses) as Array<[string, ResponseObject | ReferenceObject]>) {
    if ('$ref' in response) continue;
    const code = Number(status);
    response.headers = { ...response.headers, 'X-Correlation-Id': { $ref: '#/components/headers/X-Correlation-Id' } };
    if (route.command && code >= 200 && code < 300) response.headers['Idempotency-Replayed'] = { $ref: '#/components/headers/Idempotency-Replayed' };
    if (code >= 400) narrowErrorCodes(response, codesFor(code, route.errorMaps, route.command));
  }
}

function errorResponse(description: string): ResponseObject {
  return { description, content: { 'application/json': { schema: { $ref: ERROR_SCHEMA } } } };
}

/** The error body of this response, its `code` one of `codes`. */
function narrowErrorCodes(response: ResponseObject, codes: string[]): void {
  const media = response.content?.['application/json'];
  if (!media?.schema || !('$ref' in media.schema) || media.schema.$ref !== ERROR_SCHEMA || codes.length === 0) return;
  media.schema = { allOf: [{ $ref: ERROR_SCHEMA }, { type: 'object', properties: { code: { type: 'string', enum: codes } } }] };
  (response as ResponseObject & { 'x-error-codes'?: string[] })['x-error-codes'] = codes;
}

/** pattern / format of a string field from its declared example or its name (see the top); what is declared stays. */
export function shapeOf(name: string, schema: SchemaObject): Pick<SchemaObject, 'pattern' | 'format'> {
  if (schema.type !== 'string' || schema.enum !== undefined || schema.pattern !== undefined || schema.format !== undefined) return {};
  const example = typeof schema.example === 'string' ? schema.example : undefined;
  if (example !== undefined) {
    if (DATE_EXAMPLE.test(example)) return { format: 'date' };
    if (DATE_TIME_EXAMPLE.test(example)) return { format: 'date-time' };
    if (DECIMAL_EXAMPLE.test(example) || (WHOLE_EXAMPLE.test(example) && AMOUNT_NAME.test(name))) return { pattern: RESPONSE_DECIMAL_PATTERN };
    return {};
  }
  if (DATE_TIME_NAME.test(name)) return { format: 'date-time' };
  if (DATE_NAME.test(name)) return { format: 'date' };
  if (isAmountName(name)) return { pattern: RESPONSE_DECIMAL_PATTERN };
  return {};
}

function shapeSchema(schema: SchemaObject): void {
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    if ('$ref' in property) continue;
    Object.assign(property, shapeOf(name, property));
    if (property.items && !('$ref' in property.items)) Object.assign(property.items, shapeOf(name, property.items));
    if (property.type === 'object' || property.properties) shapeSchema(property);
  }
}

function shapeParameter(parameter: ParameterObject): void {
  if (parameter.schema && !('$ref' in parameter.schema)) {
    const schema = parameter.schema;
    if (schema.example === undefined && parameter.example !== undefined) schema.example = parameter.example as unknown;
    Object.assign(schema, shapeOf(parameter.name, schema));
  }
}

/** Every route's guards and error maps, by the operationId Nest's document gives it (`Controller_method`). */
function routeContracts(app: INestApplicationContext): Map<string, RouteContract> {
  const contracts = new Map<string, RouteContract>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const controller = wrapper.metatype as Type | null;
      if (!controller) continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        if (Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
        const meta = <T>(key: string): T | undefined => (Reflect.getMetadata(key, handler) as T | undefined) ?? (Reflect.getMetadata(key, controller) as T | undefined);
        contracts.set(`${controller.name}_${name}`, {
          roles: meta<Role[]>(ROLES_KEY) ?? null,
          isPublic: meta<boolean>(PUBLIC_KEY) === true,
          command: meta<boolean>(NO_IDEMPOTENCY_KEY) !== true,
          errorMaps: [
            ...((Reflect.getMetadata(ERROR_CODES_KEY, controller) as ErrorCodeMap[] | undefined) ?? []),
            ...((Reflect.getMetadata(ERROR_CODES_KEY, handler) as ErrorCodeMap[] | undefined) ?? []),
          ],
        });
      }
    }
  }
  return contracts;
}
