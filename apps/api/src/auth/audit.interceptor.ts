import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { AuditService } from '@forest-ledger/access';
import { catchError, concatMap, from, Observable, throwError } from 'rxjs';
import type { HttpResponse } from '../http/http';
import { AuditableRequest, failureRecord, successRecord } from './audit';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * One audit row per state-changing request: who, what, when, the idempotency key, success or
 * failure (with the error code), and the ledger entries produced. Commands write their success
 * row inside their own transaction (CommandRunner, PostCoalescer); this interceptor writes the
 * rest (failures, replays, commands without a transaction) before the response leaves.
 * Requests refused before a user is known (no or bad credentials) are not audited.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AuditInterceptor.name);

  constructor(private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuditableRequest>();
    if (!STATE_CHANGING.has(req.method)) return next.handle();
    const res = context.switchToHttp().getResponse<HttpResponse>();
    const write = (record: Parameters<AuditService['record']>[0]) =>
      this.audit.record(record).catch((error: unknown) => this.logger.error({ err: error }, 'audit row not written'));
    return next.handle().pipe(
      concatMap(async (body: unknown) => {
        if (!req.audited) await write(successRecord(req, res.statusCode, body));
        return body;
      }),
      catchError((error: unknown) => from(write(failureRecord(req, error))).pipe(concatMap(() => throwError(() => error)))),
    );
  }
}
