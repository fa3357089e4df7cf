import { Client } from 'pg';

/** The server the tests use; databases are created on it. Never a production database: every name ends in _test. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_SERVER ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Set by the global setup for this run (see global-setup.ts). */
export function templateDatabase(): string {
  const name = process.env.FOREST_LEDGER_TEST_TEMPLATE;
  if (!name) throw new Error('FOREST_LEDGER_TEST_TEMPLATE is not set: run the tests through jest (its global setup migrates the template)');
  return name;
}

export function databaseUrl(name: string): string {
  if (!/^[a-z0-9_]+_test$/.test(name)) throw new Error(`refusing to use database ${name}: test databases must be named *_test`);
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function withServer<T>(work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
