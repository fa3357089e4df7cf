import { join } from 'node:path';
import { DataSourceOptions } from 'typeorm';

/** Pool and session limits of a running service (none for the migration CLI and the test harness's own connections). */
export interface PoolTimeouts {
  /** Wait for a free pooled connection, or for a new one to open (pg-pool connectionTimeoutMillis). */
  acquireMs: number;
  statementMs: number;
  lockMs: number;
}

/**
 * The one set of options for the app, the tests and the migration CLI. Schema changes only by migration:
 * the hand-written SQL migrations are the schema, each feature's store holds its row types, and no TypeORM entity is loaded.
 */
export function dataSourceOptions(url: string, poolSize = 20, timeouts?: PoolTimeouts): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    synchronize: false,
    migrationsRun: false,
    entities: [],
    migrations: [join(__dirname, 'migrations', '*.{ts,js}')],
    migrationsTableName: 'migrations',
    // statement_timeout and lock_timeout are sent at connect, so every pooled session starts with the command limits.
    extra: timeouts
      ? { max: poolSize, connectionTimeoutMillis: timeouts.acquireMs, statement_timeout: timeouts.statementMs, lock_timeout: timeouts.lockMs, keepAlive: true }
      : { max: poolSize },
    logging: false,
  };
}
