import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { Client, DatabaseError } from 'pg';
import { QueryFailedError } from 'typeorm';
import { unavailabilityOf } from './unavailable';

/** A PostgreSQL error as node-postgres builds it from the server's message, wrapped by TypeORM as the services see it. */
function pgError(code: string, message: string): QueryFailedError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return new QueryFailedError('SELECT 1', [], error);
}

describe('unavailabilityOf', () => {
  it.each([
    ['57P01', 'terminating connection due to administrator command', 'DATABASE_UNAVAILABLE'],
    ['57P02', 'terminating connection due to crash of another server process', 'DATABASE_UNAVAILABLE'],
    ['57P03', 'the database system is starting up', 'DATABASE_UNAVAILABLE'],
    ['08006', 'connection failure', 'DATABASE_UNAVAILABLE'],
    ['08001', 'could not connect', 'DATABASE_UNAVAILABLE'],
    ['53300', 'sorry, too many clients already', 'DATABASE_BUSY'],
    ['55P03', 'canceling statement due to lock timeout', 'LOCK_TIMEOUT'],
    ['57014', 'canceling statement due to statement timeout', 'STATEMENT_TIMEOUT'],
  ])('SQLSTATE %s (%s) is %s', (code, message, cause) => {
    expect(unavailabilityOf(pgError(code, message))).toMatchObject({ cause, retryAfterSeconds: expect.any(Number) });
    expect(unavailabilityOf((pgError(code, message) as QueryFailedError & { driverError: unknown }).driverError)).toMatchObject({ cause });
  });

  it('classifies a refused connection (a real one, to a closed port)', async () => {
    const client = new Client({ host: '127.0.0.1', port: 1, connectionTimeoutMillis: 2000 });
    const error = await client.connect().then(
      () => null,
      (e: unknown) => e,
    );
    expect(unavailabilityOf(error)).toMatchObject({ cause: 'CONNECTION_FAILED' });
  });

  it('classifies node-postgres and pg-pool errors without a SQLSTATE', () => {
    expect(unavailabilityOf(new Error('timeout exceeded when trying to connect'))).toMatchObject({ cause: 'DATABASE_BUSY' });
    expect(unavailabilityOf(new Error('Connection terminated unexpectedly'))).toMatchObject({ cause: 'DATABASE_UNAVAILABLE' });
    expect(unavailabilityOf(new Error('Connection terminated due to connection timeout', { cause: new Error('Connection terminated unexpectedly') }))).toMatchObject({
      cause: 'DATABASE_UNAVAILABLE',
    });
    expect(unavailabilityOf(new Error('Client has encountered a connection error and is not queryable'))).toMatchObject({ cause: 'DATABASE_UNAVAILABLE' });
    expect(unavailabilityOf(new QueryFailedError('SELECT 1', [], new Error('Connection terminated unexpectedly')))).toMatchObject({ cause: 'DATABASE_UNAVAILABLE' });
  });

  it('classifies ioredis errors of an unreachable Redis', () => {
    expect(unavailabilityOf(new MaxRetriesPerRequestError(0))).toMatchObject({ cause: 'REDIS_UNAVAILABLE' });
    expect(unavailabilityOf(new Error('Command timed out'))).toMatchObject({ cause: 'REDIS_UNAVAILABLE' });
    expect(unavailabilityOf(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toMatchObject({ cause: 'REDIS_UNAVAILABLE' });
    expect(unavailabilityOf(new Error('Connection is closed.'))).toMatchObject({ cause: 'REDIS_UNAVAILABLE' });
  });

  it('leaves bugs and business errors alone (they stay 500 or their own status)', () => {
    expect(unavailabilityOf(new TypeError("Cannot read properties of undefined (reading 'id')"))).toBeNull();
    expect(unavailabilityOf(pgError('23505', 'duplicate key value violates unique constraint'))).toBeNull();
    expect(unavailabilityOf(pgError('42P01', 'relation "nope" does not exist'))).toBeNull();
    expect(unavailabilityOf(pgError('40001', 'could not serialize access'))).toBeNull();
    expect(unavailabilityOf(Object.assign(new Error('x'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE' }))).toBeNull();
    expect(unavailabilityOf('a string')).toBeNull();
    expect(unavailabilityOf(null)).toBeNull();
  });
});
