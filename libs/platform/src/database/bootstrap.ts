import { Client } from 'pg';
import { DataSource, MigrationExecutor } from 'typeorm';
import { dataSourceOptions } from './data-source.options';

/** Creates the database named in `url` if it does not exist (connecting to the server's `postgres` database). */
export async function ensureDatabase(url: string): Promise<boolean> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
    return true;
  } finally {
    await client.end();
  }
}

/** Runs pending migrations, each in its own transaction; returns their names. */
export async function migrate(dataSource: DataSource): Promise<string[]> {
  const done = await dataSource.runMigrations({ transaction: 'each' });
  return done.map((m) => m.name);
}

/** Names of the compiled migrations the migrations table does not list yet: the service is not ready while any is pending. */
export async function pendingMigrations(dataSource: DataSource): Promise<string[]> {
  return (await new MigrationExecutor(dataSource).getPendingMigrations()).map((m) => m.name);
}

export async function openDataSource(url: string, poolSize = 5): Promise<DataSource> {
  const ds = new DataSource(dataSourceOptions(url, poolSize));
  return ds.initialize();
}
