import { CallHandler, ExecutionContext, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import { DomainError } from '@forest-ledger/ledger';
import { AuditService } from '@forest-ledger/forestry';
import type { Response } from 'express';
import { catchError, concatMap, from, Observable, throwError } from 'rxjs';
import { STATUS_OF } from '../http/error.filter';
import { AuthenticatedRequest } from './auth.decorators';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Ledger entry ids in a command's answer: `entry.id` and `entries[].id`, however nested. */
function entryIdsOf(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const b = body as { entry?: { id?: unknown }; entries?: Array<{ id?: unknown }>; entryIds?: unknown[] };
  const ids = [b.entry?.id, ...(Array.isArray(b.entries) ? b.entries.map((e) => e?.id) : []), ...(Array.isArray(b.entryIds) ? b.entryIds : [])];
  return ids.filter((id): id is string => typeof id === 'string' && /^\d+$/.test(id));
}

/**
 * Writes one audit row per state-changing request once its outcome is known: who, what, when,
 * the idempotency key, success or failure (with the error code), and the ledger entries produced.
 * Requests refused before a user is known (no or bad credentials) are not audited here.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  private readonly logger = new Logger(AuditInterceptor.name);

  constructor(private readonly audit: AuditService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest & { id?: string }>();
    if (!STATE_CHANGING.has(req.method)) return next.handle();
    const res = context.switchToHttp().getResponse<Response>();
    const write = (status: number, outcome: 'SUCCESS' | 'FAILURE', errorCode: string | null, body: unknown) =>
      this.audit
        .record({
          userId: req.user?.userId ?? null,
          role: req.user?.role ?? null,
          method: req.method,
          path: req.originalUrl.split('?')[0],
          idempotencyKey: req.header('idempotency-key') ?? null,
          status,
          outcome,
          errorCode,
          entryIds: entryIdsOf(body),
          correlationId: req.id ?? null,
        })
        .catch((error: unknown) => this.logger.error({ err: error }, 'audit row not written'));
    // The row is committed before the response leaves, so a client that saw an answer finds its audit row.
    return next.handle().pipe(
      concatMap(async (body: unknown) => {
        await write(res.statusCode, 'SUCCESS', null, body);
        return body;
      }),
      catchError((error: unknown) =>
        from(write(error instanceof DomainError ? STATUS_OF[error.kind] : 500, 'FAILURE', error instanceof DomainError ? error.code : 'INTERNAL_ERROR', null)).pipe(
          concatMap(() => throwError(() => error)),
        ),
      ),
    );
  }
}
