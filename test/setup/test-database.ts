import { randomBytes } from 'node:crypto';
import { dataSourceOptions } from '@forest-ledger/platform/database/data-source.options';
import { DataSource } from 'typeorm';
import { databaseUrl, templateDatabase, withServer } from './databases';
import { eventSchemaViolations } from './event-schemas';
import { assertLedgerInvariants } from './invariants';

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  readonly dataSource: DataSource;
}

/**
 * Gives the calling test file its own database, cloned from the migrated template, and drops it
 * afterwards. Before dropping, it checks the ledger invariants over everything the file wrote, and
 * every event the file's data produced against its type's declared JSON schema (issue 17).
 */
export function useTestDatabase(options: { checkInvariants?: boolean } = {}): TestDatabase {
  const name = `forest_ledger_f${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString('hex')}_test`;
  const handle = { name, url: databaseUrl(name) } as { name: string; url: string; dataSource: DataSource };

  beforeAll(async () => {
    await withServer((c) => c.query(`CREATE DATABASE "${name}" TEMPLATE "${templateDatabase()}"`));
    handle.dataSource = new DataSource(dataSourceOptions(handle.url, 10));
    await handle.dataSource.initialize();
  });

  afterAll(async () => {
    try {
      if (options.checkInvariants !== false && handle.dataSource?.isInitialized) {
        await assertLedgerInvariants(handle.dataSource);
        const events = await eventSchemaViolations(handle.dataSource);
        if (events.length > 0) throw new Error(`events not matching their declared schemas:\n${events.join('\n')}`);
      }
    } finally {
      if (handle.dataSource?.isInitialized) await handle.dataSource.destroy();
      await withServer((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });

  return handle;
}
