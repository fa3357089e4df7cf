import { inTransaction } from '@forest-ledger/platform/database/transaction';
import { DataSource, EntityManager } from 'typeorm';

/** How long the waiter may take to block on the holder's lock before the interleaving counts as not reached. */
const BLOCK_TIMEOUT_MS = 10_000;

/**
 * The interleaving behind the lock-then-read defect (0d925a7): under READ COMMITTED a statement that waits
 * for a row lock re-checks only that row once it gets it, while everything else the same statement reads
 * (subqueries, joins, aggregates) keeps the snapshot taken before the wait.
 *
 * `holder` runs in a transaction left open: it takes the lock the use case takes and writes what the
 * use case's decision depends on. `waiter` (the use case) then runs in its own transaction and must block
 * on that lock; once it does, the holder commits. Returns how the waiter ended. Throws when the waiter
 * never blocked (it finished first, or did not wait within BLOCK_TIMEOUT_MS): the test would prove nothing.
 */
export async function afterHolderCommits<T>(
  ds: DataSource,
  holder: (em: EntityManager) => Promise<unknown>,
  waiter: (em: EntityManager) => Promise<T>,
): Promise<PromiseSettledResult<T>> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  await runner.startTransaction();
  let outcome: Promise<PromiseSettledResult<T>> | null = null;
  try {
    const [{ pid }] = await runner.manager.query<Array<{ pid: number }>>(`SELECT pg_backend_pid() AS pid`);
    await holder(runner.manager);
    let done = false;
    outcome = inTransaction(ds, waiter).then(
      (value): PromiseSettledResult<T> => ({ status: 'fulfilled', value }),
      (reason: unknown): PromiseSettledResult<T> => ({ status: 'rejected', reason }),
    );
    void outcome.then(() => (done = true));
    await blockedBy(ds, pid, () => done);
    await runner.commitTransaction();
    return await outcome;
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
    // A waiter still running when the interleaving failed ends once the holder is gone; never leave it behind.
    if (outcome) await outcome;
  }
}

/** Waits until some session is blocked by backend `pid`; fails when `finished()` turns true first or on timeout. */
async function blockedBy(ds: DataSource, pid: number, finished: () => boolean): Promise<void> {
  const until = Date.now() + BLOCK_TIMEOUT_MS;
  for (;;) {
    const [{ n }] = await ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))`, [pid]);
    if (n > 0) return;
    if (finished()) throw new Error('the waiter finished without waiting on the holder’s lock: the interleaving was not reached');
    if (Date.now() > until) throw new Error(`the waiter did not block on the holder’s lock within ${BLOCK_TIMEOUT_MS} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
