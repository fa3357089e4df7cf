import { DataSource, EntityManager, QueryFailedError } from 'typeorm';

/** PostgreSQL errors that mean "try the whole transaction again": serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01']);

/**
 * Unique constraints that two concurrent writers can both pass the pre-check of. The loser is
 * retried from the start and then finds the winner's row (a replay, or a clear domain error).
 * Each table's owner registers its own (the ledger registers its entry keys when loaded).
 */
const RACE_CONSTRAINTS = new Set<string>();

/** Declares unique constraints whose violation means "a concurrent writer won: run the transaction again". */
export function registerRaceConstraints(names: readonly string[]): void {
  for (const name of names) RACE_CONSTRAINTS.add(name);
}

function isRetryable(error: unknown): boolean {
  const code = pgErrorCode(error) ?? '';
  if (RETRYABLE.has(code)) return true;
  return [...RACE_CONSTRAINTS].some((c) => isUniqueViolation(error, c));
}

export function pgErrorCode(error: unknown): string | undefined {
  if (error instanceof QueryFailedError) return (error.driverError as { code?: string }).code;
  if (typeof error === 'object' && error !== null && 'code' in error) return String(error.code);
  return undefined;
}

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (pgErrorCode(error) !== '23505') return false;
  if (!constraint) return true;
  const driver = error instanceof QueryFailedError ? (error.driverError as { constraint?: string }) : (error as { constraint?: string });
  return driver.constraint === constraint;
}

/**
 * Runs `work` in one READ COMMITTED transaction, retrying it from the start on serialization
 * failures, deadlocks and lost unique-key races (with jittered backoff), so callers never see them.
 */
export async function inTransaction<T>(dataSource: DataSource, work: (em: EntityManager) => Promise<T>, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dataSource.transaction(work);
    } catch (error) {
      if (attempt >= attempts || !isRetryable(error)) throw error;
      await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
    }
  }
}
