import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { isLsn, readConsistency, ReadDatabase } from '@forest-ledger/platform';
import { from, mergeMap, Observable } from 'rxjs';
import type { HttpRequest, HttpResponse } from './http';

/** A write's response: the primary's WAL position once it committed. */
export const LAST_WRITE_LSN_HEADER = 'X-Last-Write-LSN';
/** A read that must see that write: sent back as this. */
export const MIN_LSN_HEADER = 'X-Min-LSN';

/**
 * Read-your-writes across the replica (ReadDatabase): with DATABASE_READ_URL set, every successful write (not GET/HEAD)
 * answers with X-Last-Write-LSN; a request carrying X-Min-LSN makes its lag-tolerant reads wait for the replica to have
 * replayed that position (up to READ_MIN_LSN_WAIT_MS), else read the primary. Without a replica both are no-ops, and
 * configureApp (app.setup.ts) does not install it at all.
 */
@Injectable()
export class ReadRoutingInterceptor implements NestInterceptor {
  constructor(private readonly reads: ReadDatabase) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.reads.configured || context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const request = http.getRequest<HttpRequest>();
    const response = http.getResponse<HttpResponse>();
    const header = request.headers[MIN_LSN_HEADER.toLowerCase()];
    const minLsn = isLsn(header) ? header.trim() : undefined;
    const handled = new Observable<unknown>((subscriber) => readConsistency.run({ minLsn }, () => next.handle().subscribe(subscriber)));
    if (request.method === 'GET' || request.method === 'HEAD') return handled;
    return handled.pipe(
      mergeMap((body) =>
        from(
          this.reads.primaryLsn().then((lsn) => {
            response.header(LAST_WRITE_LSN_HEADER, lsn);
            return body;
          }),
        ),
      ),
    );
  }
}
