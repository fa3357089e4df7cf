import type { PoolClient } from 'pg';
import { EntityManager } from 'typeorm';

/**
 * Runs a hot-path statement as a named prepared statement on the transaction's own pg client:
 * PostgreSQL parses and plans it once per connection, and TypeORM's per-query overhead is skipped.
 * Outside a transaction (no query runner) it falls back to an ordinary query.
 */
export async function preparedQuery<T>(em: EntityManager, name: string, text: string, values: unknown[]): Promise<T[]> {
  const runner = em.queryRunner;
  if (!runner || runner.isReleased || runner.connection.options.type !== 'postgres') return await em.query<T[]>(text, values);
  const client = (await runner.connect()) as PoolClient;
  const result = await client.query({ name, text, values });
  return result.rows as T[];
}
