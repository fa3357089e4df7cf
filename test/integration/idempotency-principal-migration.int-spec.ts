import { ScopeIdempotencyKeysToPrincipal1795504000000 } from '../../libs/platform/src/database/migrations/1795504000000-scope-idempotency-keys-to-principal';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();

describe('migration: Idempotency-Keys scoped to their caller', () => {
  it('gives each stored key the user of its first successful audit row, and a spent principal when no row names one; down keeps one row per key', async () => {
    const migration = new ScopeIdempotencyKeysToPrincipal1795504000000();
    const runner = db.dataSource.createQueryRunner();
    try {
      await migration.down(runner);
      await runner.query(
        `INSERT INTO idempotency_requests (key, request_hash, response_status, response_body) VALUES ('legacy-a', 'h1', 201, '{}'), ('legacy-b', 'h2', 200, '{}'), ('legacy-c', 'h3', 201, '{}')`,
      );
      // legacy-a: a failure by user 9, the original by user 7, then a (leaked) replay to user 8; legacy-b: user 5; legacy-c: nobody.
      await runner.query(
        `INSERT INTO audit_log (user_id, role, method, path, idempotency_key, status, outcome, error_code) VALUES
           (9, 'ADMIN', 'POST', '/v1/entries', 'legacy-a', 422, 'FAILURE', 'INSUFFICIENT_FUNDS'),
           (7, 'ADMIN', 'POST', '/v1/entries', 'legacy-a', 201, 'SUCCESS', NULL),
           (8, 'ADMIN', 'POST', '/v1/entries', 'legacy-a', 201, 'SUCCESS', NULL),
           (5, 'ADMIN', 'POST', '/v1/accounts', 'legacy-b', 200, 'SUCCESS', NULL)`,
      );
      await migration.up(runner);
      const rows = (await runner.query(`SELECT key, principal FROM idempotency_requests WHERE key LIKE 'legacy-%' ORDER BY key`)) as Array<{ key: string; principal: string }>;
      expect(rows).toEqual([
        { key: 'legacy-a', principal: 'user:7' },
        { key: 'legacy-b', principal: 'user:5' },
        { key: 'legacy-c', principal: 'unknown' },
      ]);

      // Two callers under one key; reverting keeps the first.
      await runner.query(
        `INSERT INTO idempotency_requests (principal, key, request_hash, created_at) VALUES ('user:1', 'both', 'x', now() - interval '1 minute'), ('user:2', 'both', 'y', now())`,
      );
      await migration.down(runner);
      expect(await runner.query(`SELECT request_hash FROM idempotency_requests WHERE key = 'both'`)).toEqual([{ request_hash: 'x' }]);
      await migration.up(runner);
    } finally {
      await runner.release();
    }
  });
});
