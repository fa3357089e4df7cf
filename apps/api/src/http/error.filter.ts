import { DomainError, DomainErrorKind } from '@forest-ledger/common';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { unavailabilityOf } from '@forest-ledger/platform';
import { ErrorResponse } from './error.dto';
import { markFailed } from '../auth/audit-marks';
import { correlationIdOf, HttpRequest, HttpResponse } from './http';

/** The one place where domain error kinds become HTTP statuses. */
export const STATUS_OF: Record<DomainErrorKind, number> = {
  invalid: HttpStatus.BAD_REQUEST,
  unauthenticated: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  'rate-limited': HttpStatus.TOO_MANY_REQUESTS,
  'not-found': HttpStatus.NOT_FOUND,
  conflict: HttpStatus.CONFLICT,
  rule: HttpStatus.UNPROCESSABLE_ENTITY,
};

/**
 * Failures of Fastify's body reading and of the JSON parser (app.setup.ts), which reach Nest as
 * errors with a `code`: the same answers as the Express body-parser's errors gave before.
 */
const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: HttpStatus.PAYLOAD_TOO_LARGE, code: 'PAYLOAD_TOO_LARGE', message: 'request body exceeds the limit of 1 MB' },
  FL_ERR_INVALID_JSON: { status: HttpStatus.BAD_REQUEST, code: 'MALFORMED_REQUEST', message: 'request body is not valid JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: HttpStatus.BAD_REQUEST, code: 'MALFORMED_REQUEST', message: 'request body length does not match its Content-Length' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'request body content type is not supported (send application/json)',
  },
  FST_ERR_CTP_INVALID_TYPE: {
    status: HttpStatus.UNSUPPORTED_MEDIA_TYPE,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'request body content type is not supported (send application/json)',
  },
  FL_ERR_UNSUPPORTED_ENCODING: { status: HttpStatus.UNSUPPORTED_MEDIA_TYPE, code: 'UNSUPPORTED_ENCODING', message: 'request body encoding is not supported' },
  FST_ERR_BAD_URL: { status: HttpStatus.BAD_REQUEST, code: 'MALFORMED_REQUEST', message: 'request could not be parsed: the path is not a valid URL (bad %-encoding)' },
  FST_ERR_MAX_PARAM_LENGTH: { status: HttpStatus.URI_TOO_LONG, code: 'HTTP_414', message: 'a path parameter exceeds 2,000 characters' },
  FL_ERR_UNSUPPORTED_CHARSET: { status: HttpStatus.UNSUPPORTED_MEDIA_TYPE, code: 'UNSUPPORTED_CHARSET', message: 'request body charset is not supported' },
};

/** What an error becomes on the wire; `retryAfterSeconds` also goes out as the Retry-After header. */
export interface ClassifiedError {
  status: HttpStatus;
  body: Omit<ErrorResponse, 'correlationId'>;
  retryAfterSeconds?: number;
}

/**
 * The one classification of errors: domain errors by kind, Fastify's body errors by code, a
 * dependency outage or timeout as 503 SERVICE_UNAVAILABLE with Retry-After (the request wrote
 * nothing and may be retried with its Idempotency-Key), anything else a 500 (a bug).
 */
export function classifyError(error: unknown): ClassifiedError {
  if (error instanceof DomainError) {
    const retryAfter = error.details?.retryAfterSeconds;
    return {
      status: STATUS_OF[error.kind],
      body: { code: error.code, message: error.message, field: error.field, details: error.details },
      ...(typeof retryAfter === 'number' ? { retryAfterSeconds: retryAfter } : {}),
    };
  }
  const bodyError = typeof error === 'object' && error !== null && 'code' in error ? BODY_ERRORS[String(error.code)] : undefined;
  if (bodyError) return { status: bodyError.status, body: { code: bodyError.code, message: bodyError.message } };
  if (error instanceof HttpException) {
    const status: HttpStatus = error.getStatus();
    if (status === HttpStatus.NOT_FOUND) return { status, body: { code: 'ROUTE_NOT_FOUND', message: 'no such route' } };
    if (status === HttpStatus.PAYLOAD_TOO_LARGE) return { status, body: BODY_ERRORS.FST_ERR_CTP_BODY_TOO_LARGE };
    // A plain 400 from the framework (a bad %-encoding in the path, for one).
    if (status === HttpStatus.BAD_REQUEST) return { status, body: { code: 'MALFORMED_REQUEST', message: `request could not be parsed: ${error.message}` } };
    if (status < HttpStatus.INTERNAL_SERVER_ERROR) return { status, body: { code: `HTTP_${status}`, message: error.message } };
  }
  const outage = unavailabilityOf(error);
  if (outage) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { code: 'SERVICE_UNAVAILABLE', message: outage.message, details: { cause: outage.cause, retryAfterSeconds: outage.retryAfterSeconds } },
      retryAfterSeconds: outage.retryAfterSeconds,
    };
  }
  return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { code: 'INTERNAL_ERROR', message: 'internal error; quote the correlation id when reporting it' } };
}

/**
 * Every error leaves as `{ code, message, field?, details?, correlationId }`. Unknown errors are a
 * 500 with the correlation id only: no stack, no SQL.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<HttpRequest>();
    // A state-changing request past the guards is audited as this failure (audit-hooks.ts).
    markFailed(req, error);
    this.reply(error, req, ctx.getResponse<HttpResponse>());
  }

  /** Answers `error` in the API's shape; also used for the errors Fastify raises before routing (app.setup.ts). */
  reply(error: unknown, req: HttpRequest, res: HttpResponse): void {
    // The request id is the correlation id (app.setup.ts); set here too for the errors raised before the hooks ran.
    const correlationId = correlationIdOf(req);
    const { status, body, retryAfterSeconds } = classifyError(error);
    if (status === HttpStatus.SERVICE_UNAVAILABLE) this.logger.warn({ err: error, correlationId, cause: body.details?.cause }, 'dependency unavailable');
    else if (status >= HttpStatus.INTERNAL_SERVER_ERROR) this.logger.error({ err: error, correlationId }, 'unhandled error');
    if (retryAfterSeconds !== undefined) res.header('Retry-After', String(Math.max(1, Math.ceil(retryAfterSeconds))));
    res
      .status(status)
      .header('X-Correlation-Id', correlationId)
      .type('application/json; charset=utf-8')
      .send({ ...body, correlationId } satisfies ErrorResponse);
  }
}
