import { DataSource, EntityManager } from 'typeorm';
import { Env } from '../config/env';

/** PostgreSQL timeouts for one kind of work, in ms. */
export interface DbTimeouts {
  statementMs: number;
  lockMs: number;
}

/** What every connection of the pool starts with: commands and ordinary reads. */
export function commandTimeouts(env: Env): DbTimeouts {
  return { statementMs: env.DB_STATEMENT_TIMEOUT_MS, lockMs: env.DB_LOCK_TIMEOUT_MS };
}

/** Reports and the dividend distribution's chunks: set per transaction (setLocalTimeouts). */
export function longTimeouts(env: Env): DbTimeouts {
  return { statementMs: env.DB_LONG_STATEMENT_TIMEOUT_MS, lockMs: env.DB_LONG_LOCK_TIMEOUT_MS };
}

/** Gives the current transaction other timeouts until it ends (SET LOCAL); outside a transaction it would do nothing. */
export async function setLocalTimeouts(em: EntityManager, timeouts: DbTimeouts): Promise<void> {
  await em.query(`SELECT set_config('statement_timeout', $1, true), set_config('lock_timeout', $2, true)`, [`${timeouts.statementMs}ms`, `${timeouts.lockMs}ms`]);
}

/** `work` for inTransaction, run under `timeouts` instead of the connection's command timeouts. */
export function withTimeouts<T>(timeouts: DbTimeouts, work: (em: EntityManager) => Promise<T>): (em: EntityManager) => Promise<T> {
  return async (em) => {
    await setLocalTimeouts(em, timeouts);
    return work(em);
  };
}

/** A report's reads in one read-only snapshot, under the long timeouts. */
export function inReportTransaction<T>(dataSource: DataSource, timeouts: DbTimeouts, work: (em: EntityManager) => Promise<T>): Promise<T> {
  return dataSource.transaction('REPEATABLE READ', async (em) => {
    await em.query('SET TRANSACTION READ ONLY');
    await setLocalTimeouts(em, timeouts);
    return work(em);
  });
}
