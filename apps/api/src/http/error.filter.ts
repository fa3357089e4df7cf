import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import { DomainError, DomainErrorKind } from '@forest-ledger/ledger';
import { correlationId as assignCorrelationId } from '@forest-ledger/platform';
import type { Request, Response } from 'express';
import { ErrorResponse } from './error.dto';

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

/** Express body-parser failures, which reach Nest as errors with a `type`. */
const BODY_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  'entity.too.large': { status: HttpStatus.PAYLOAD_TOO_LARGE, code: 'PAYLOAD_TOO_LARGE', message: 'request body exceeds the limit of 1 MB' },
  'entity.parse.failed': { status: HttpStatus.BAD_REQUEST, code: 'MALFORMED_REQUEST', message: 'request body is not valid JSON' },
  'encoding.unsupported': { status: HttpStatus.UNSUPPORTED_MEDIA_TYPE, code: 'UNSUPPORTED_ENCODING', message: 'request body encoding is not supported' },
  'charset.unsupported': { status: HttpStatus.UNSUPPORTED_MEDIA_TYPE, code: 'UNSUPPORTED_CHARSET', message: 'request body charset is not supported' },
};

/**
 * Every error leaves as `{ code, message, field?, details?, correlationId }`. Unknown errors are a
 * 500 with the correlation id only: no stack, no SQL.
 */
@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('http');

  catch(error: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: string }>();
    const res = ctx.getResponse<Response>();
    // Body-parser errors happen before the logging middleware has given the request its id.
    const correlationId = String(req.id ?? res.getHeader('X-Correlation-Id') ?? assignCorrelationId(req, res));
    const { status, body } = this.describe(error);
    if (status >= 500) this.logger.error({ err: error, correlationId }, 'unhandled error');
    res.status(status).json({ ...body, correlationId } satisfies ErrorResponse);
  }

  private describe(error: unknown): { status: number; body: Omit<ErrorResponse, 'correlationId'> } {
    if (error instanceof DomainError) {
      return { status: STATUS_OF[error.kind], body: { code: error.code, message: error.message, field: error.field, details: error.details } };
    }
    const bodyError = typeof error === 'object' && error !== null && 'type' in error ? BODY_ERRORS[String((error as { type: unknown }).type)] : undefined;
    if (bodyError) return { status: bodyError.status, body: { code: bodyError.code, message: bodyError.message } };
    if (error instanceof HttpException) {
      const status = error.getStatus();
      if (status === HttpStatus.NOT_FOUND) return { status, body: { code: 'ROUTE_NOT_FOUND', message: 'no such route' } };
      if (status === HttpStatus.PAYLOAD_TOO_LARGE) return { status, body: BODY_ERRORS['entity.too.large'] };
      // Nest turns body-parser's SyntaxError (bad JSON) and URIError (bad %-encoding) into a plain 400.
      if (status === HttpStatus.BAD_REQUEST) return { status, body: { code: 'MALFORMED_REQUEST', message: `request could not be parsed: ${error.message}` } };
      if (status < 500) return { status, body: { code: `HTTP_${status}`, message: error.message } };
    }
    return { status: HttpStatus.INTERNAL_SERVER_ERROR, body: { code: 'INTERNAL_ERROR', message: 'internal error; quote the correlation id when reporting it' } };
  }
}
