import { dataSourceOptions } from '../../libs/platform/src/database/data-source.options';
import { DataSource } from 'typeorm';
import { databaseUrl, withServer } from './databases';

/**
 * Migrates a template database once per run; every test file clones it (CREATE DATABASE …
 * TEMPLATE). The template's name is per run, so two jest runs on one server do not collide.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TZ = 'UTC';
  const template = `forest_ledger_t${Math.floor(Date.now() / 1000)}_${process.pid}_test`;
  process.env.FOREST_LEDGER_TEST_TEMPLATE = template; // inherited by the workers
  await withServer(async (client) => {
    // Leftovers of interrupted runs: test databases over two hours old (the name carries its
    // creation time) that nobody is connected to. A concurrent run's databases are younger.
    const stale = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database d
       WHERE datname ~ '^forest_ledger_[tf][0-9]+_[0-9a-z]+_test$'
         AND substring(datname from '^forest_ledger_[tf]([0-9]+)_')::bigint < extract(epoch FROM now()) - 7200
         AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)`,
    );
    for (const { datname } of stale.rows) await client.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => undefined);
    await client.query(`DROP DATABASE IF EXISTS "${template}"`);
    await client.query(`CREATE DATABASE "${template}"`);
  });
  const ds = new DataSource(dataSourceOptions(databaseUrl(template), 2));
  await ds.initialize();
  try {
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await ds.destroy();
  }
}
