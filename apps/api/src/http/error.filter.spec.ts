import { DomainError } from '@forest-ledger/common';
import { HttpStatus } from '@nestjs/common';
import { WorkQueueFullError } from '@forest-ledger/platform';
import { DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { classifyError } from './error.filter';

function pgError(code: string, message: string): QueryFailedError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return new QueryFailedError('UPDATE ledger_accounts SET …', [], error);
}

describe('classifyError', () => {
  it('answers outages and timeouts 503 SERVICE_UNAVAILABLE with a Retry-After and no internals', () => {
    const answer = classifyError(pgError('57P01', 'terminating connection due to administrator command'));
    expect(answer).toMatchObject({ status: HttpStatus.SERVICE_UNAVAILABLE, body: { code: 'SERVICE_UNAVAILABLE', details: { cause: 'DATABASE_UNAVAILABLE' } } });
    expect(answer.retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(answer.body)).not.toContain('UPDATE');
    expect(classifyError(pgError('55P03', 'canceling statement due to lock timeout'))).toMatchObject({ status: 503, body: { details: { cause: 'LOCK_TIMEOUT' } } });
    expect(classifyError(new Error('timeout exceeded when trying to connect'))).toMatchObject({ status: 503, body: { details: { cause: 'DATABASE_BUSY' } } });
    // A full render queue (PdfRenderer): busy, not broken. A plain error that only says the same code is still a bug.
    expect(classifyError(new WorkQueueFullError('32 PDF renders are already waiting'))).toMatchObject({
      status: 503,
      retryAfterSeconds: 2,
      body: { details: { cause: 'WORK_QUEUE_FULL' } },
    });
    expect(classifyError(Object.assign(new Error('x'), { code: 'WORK_QUEUE_FULL' })).status).toBe(500);
  });

  it('keeps 500 for bugs', () => {
    expect(classifyError(new TypeError('x is not a function'))).toEqual({ status: 500, body: { code: 'INTERNAL_ERROR', message: expect.any(String) } });
    expect(classifyError(pgError('42703', 'column "nope" does not exist')).status).toBe(500);
  });

  it('puts a rate limit’s wait in Retry-After', () => {
    const limited = new DomainError('rate-limited', 'TOO_MANY_ATTEMPTS', 'too many failed logins; try again in 42 s', undefined, { retryAfterSeconds: 42 });
    expect(classifyError(limited)).toMatchObject({ status: 429, retryAfterSeconds: 42, body: { code: 'TOO_MANY_ATTEMPTS' } });
    expect(classifyError(new DomainError('rule', 'INSUFFICIENT_FUNDS', 'no'))).toEqual({
      status: 422,
      body: { code: 'INSUFFICIENT_FUNDS', message: 'no', field: undefined, details: undefined },
    });
  });
});
