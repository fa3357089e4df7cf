/**
 * Failures that mean "a dependency is down, busy or too slow right now", not "the service has a bug":
 * the API answers them 503 with Retry-After, and a client retrying with its Idempotency-Key is safe.
 */
export type UnavailableCause =
  /** PostgreSQL refused or dropped the connection, is starting up or shutting down (08xxx, 57P01-57P03). */
  | 'DATABASE_UNAVAILABLE'
  /** No connection within DB_ACQUIRE_TIMEOUT_MS (the pool is saturated), or PostgreSQL has too many clients (53300). */
  | 'DATABASE_BUSY'
  /** A row or table stayed locked by another transaction beyond the lock timeout (55P03). */
  | 'LOCK_TIMEOUT'
  /** A statement ran beyond the statement timeout, or was cancelled (57014). */
  | 'STATEMENT_TIMEOUT'
  /** Redis did not answer: disconnected, or no reply within its command timeout. */
  | 'REDIS_UNAVAILABLE'
  /** A socket error not attributable to one dependency (refused, reset, unreachable). */
  | 'CONNECTION_FAILED'
  /** A bounded queue of CPU-heavy work (the PDF renders of an API process) is full: WorkQueueFullError. */
  | 'WORK_QUEUE_FULL';

export interface Unavailability {
  cause: UnavailableCause;
  retryAfterSeconds: number;
  message: string;
}

const ANSWERS: Record<UnavailableCause, Omit<Unavailability, 'cause'>> = {
  DATABASE_UNAVAILABLE: { retryAfterSeconds: 5, message: 'the database is unavailable (restarting or unreachable); retry with the same Idempotency-Key' },
  DATABASE_BUSY: { retryAfterSeconds: 2, message: 'the database connection pool is saturated; retry with the same Idempotency-Key' },
  LOCK_TIMEOUT: { retryAfterSeconds: 2, message: 'a record this request needs is held by another operation; nothing was written, retry with the same Idempotency-Key' },
  STATEMENT_TIMEOUT: { retryAfterSeconds: 5, message: 'the database did not answer in time; nothing was written, retry with the same Idempotency-Key' },
  REDIS_UNAVAILABLE: { retryAfterSeconds: 5, message: 'Redis is unavailable; retry with the same Idempotency-Key' },
  CONNECTION_FAILED: { retryAfterSeconds: 5, message: 'a backing service cannot be reached; retry with the same Idempotency-Key' },
  WORK_QUEUE_FULL: { retryAfterSeconds: 2, message: 'too many documents are waiting to be rendered; retry in a moment' },
};

/**
 * Refuses work a bounded queue has no room for (503 WORK_QUEUE_FULL with Retry-After): better a quick "try again" than a
 * wait that grows with every request behind it.
 */
export class WorkQueueFullError extends Error {
  readonly code = 'WORK_QUEUE_FULL';
}

/** Node socket errors (`error.code`) of a connection that failed or broke. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/** node-postgres and pg-pool errors that carry no SQLSTATE, by message. */
const PG_MESSAGES: Array<[RegExp, UnavailableCause]> = [
  [/^timeout exceeded when trying to connect$/, 'DATABASE_BUSY'], // pg-pool: no free client within connectionTimeoutMillis
  [/^Connection terminated/, 'DATABASE_UNAVAILABLE'], // unexpectedly, or due to connection timeout (a new connection)
  [/is not queryable$/, 'DATABASE_UNAVAILABLE'], // a client whose connection already broke
  [/^Cannot use a pool after calling end on the pool$/, 'DATABASE_UNAVAILABLE'], // shutting down
];

/** ioredis errors, which carry no code: offline with no retries left, offline queue off, command timeout, closed. */
const REDIS_MESSAGES = [/^Reached the max retries per request limit/, /^Stream isn't writeable/, /^Command timed out$/, /^Connection is closed\.$/];

function ofSqlState(code: string): UnavailableCause | null {
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return 'DATABASE_UNAVAILABLE';
  if (code === '53300') return 'DATABASE_BUSY';
  if (code === '55P03') return 'LOCK_TIMEOUT';
  if (code === '57014') return 'STATEMENT_TIMEOUT';
  return null;
}

function causeOf(error: unknown, depth: number): UnavailableCause | null {
  if (typeof error !== 'object' || error === null || depth > 4) return null;
  const { code, message, name, driverError, cause } = error as { code?: unknown; message?: unknown; name?: unknown; driverError?: unknown; cause?: unknown };
  if (error instanceof WorkQueueFullError) return 'WORK_QUEUE_FULL';
  if (typeof code === 'string') {
    // A SQLSTATE is five characters of digits and capitals; socket codes start with E.
    if (/^[0-9A-Z]{5}$/.test(code)) {
      const byState = ofSqlState(code);
      if (byState) return byState;
    } else if (SOCKET_CODES.has(code)) return 'CONNECTION_FAILED';
  }
  if (typeof message === 'string') {
    if (name === 'MaxRetriesPerRequestError' || REDIS_MESSAGES.some((m) => m.test(message))) return 'REDIS_UNAVAILABLE';
    for (const [pattern, found] of PG_MESSAGES) if (pattern.test(message)) return found;
  }
  // TypeORM wraps the driver's error; pg-pool and ioredis put the socket error in `cause`.
  return causeOf(driverError, depth + 1) ?? causeOf(cause, depth + 1) ?? aggregateCause(error, depth);
}

/** ioredis and Node report a refused dual-stack connect as an AggregateError of per-address errors. */
function aggregateCause(error: object, depth: number): UnavailableCause | null {
  const errors = (error as { errors?: unknown }).errors;
  if (!Array.isArray(errors)) return null;
  for (const e of errors) {
    const found = causeOf(e, depth + 1);
    if (found) return found;
  }
  return null;
}

/** The one classifier: a dependency outage or timeout (→ 503 with Retry-After), or null for anything else (a bug → 500). */
export function unavailabilityOf(error: unknown): Unavailability | null {
  const cause = causeOf(error, 0);
  return cause ? { cause, ...ANSWERS[cause] } : null;
}
