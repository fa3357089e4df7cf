import { dataSourceOptions } from '../../libs/platform/src/database/data-source.options';
import { DataSource } from 'typeorm';
import { databaseUrl, TEMPLATE_DB, withServer } from './databases';

/** Migrates a template database once; every test file clones it (CREATE DATABASE … TEMPLATE). */
export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  await withServer(async (client) => {
    const stale = await client.query<{ datname: string }>(`SELECT datname FROM pg_database WHERE datname LIKE 'forest_ledger_%_test'`);
    for (const { datname } of stale.rows) await client.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  });
  const ds = new DataSource(dataSourceOptions(databaseUrl(TEMPLATE_DB), 2));
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
