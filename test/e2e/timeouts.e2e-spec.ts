import { DataSource, QueryRunner } from 'typeorm';
import { Client } from 'pg';
import { randomUUID } from 'node:crypto';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { LedgerFactory } from '../factories/ledger.factory';
import { apiClient } from '../setup/http-client';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/** Short limits so that the test waits little: a lock timeout of 0.5 s, a pool of 3 that gives up after 0.4 s. */
const LOCK_TIMEOUT_MS = 500;
const ENV = { DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS), DB_STATEMENT_TIMEOUT_MS: '3000', DB_POOL_SIZE: '3', DB_ACQUIRE_TIMEOUT_MS: '400' };

const db = useTestDatabase();
let app: ApiApplication;
let admin: string;
const api = apiClient(
  () => app,
  () => admin,
);
const A = 'party:A:wallet:CNY';
const B = 'party:B:wallet:CNY';

beforeAll(async () => {
  app = await createTestApp(db, ENV);
  admin = await tokenFor(app, 'ADMIN');
  const f = new LedgerFactory(db.dataSource);
  await f.cnyWorld([A, B]);
  await f.transfer('bank:ICBC-YC:CNY', A, '100.00');
});
afterAll(() => app?.close());

const transfer = {
  kind: 'TRANSFER',
  effectiveDate: '2026-01-01',
  postings: [
    { account: A, side: 'DEBIT', amount: '1.00' },
    { account: B, side: 'CREDIT', amount: '1.00' },
  ],
};

/** A 503's body. */
type Refusal = { code: string; details: { cause: string }; correlationId: string };

/** Holds the row of account `code` locked FOR UPDATE in a connection of its own (like a long report or a stuck session). */
async function holdRowLock(code: string): Promise<Client> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM ledger_accounts WHERE code = $1 FOR UPDATE', [code]);
  return client;
}

/** What a caller's key left behind; an entry's key is the caller's key scoped to its principal (user:<id>/<key>). */
async function written(key: string): Promise<{ entries: number; claims: number }> {
  const [{ entries }] = await db.dataSource.query<
    Array<{
      entries: number;
    }>
  >(`SELECT count(*)::int AS entries FROM ledger_entries WHERE split_part(idempotency_key, '/', 2) = $1`, [key]);
  const [{ claims }] = await db.dataSource.query<Array<{ claims: number }>>(`SELECT count(*)::int AS claims FROM idempotency_requests WHERE key = $1`, [key]);
  return { entries, claims };
}

describe('a row held locked by another session', () => {
  it('a posting on it answers 503 LOCK_TIMEOUT within the lock timeout, writes nothing, and succeeds once with its key after', async () => {
    await api.post('/v1/entries', transfer).expect(201); // warm: the pool's connections and prepared statements
    const locker = await holdRowLock(A);
    const key = randomUUID();
    try {
      const started = Date.now();
      const res = await api.post('/v1/entries', transfer, 'ADMIN', key);
      const took = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ code: 'SERVICE_UNAVAILABLE', details: { cause: 'LOCK_TIMEOUT' } });
      expect(typeof (res.body as Refusal).correlationId).toBe('string');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(took).toBeGreaterThanOrEqual(LOCK_TIMEOUT_MS - 50);
      expect(took).toBeLessThan(LOCK_TIMEOUT_MS + 2_000);
      expect(await written(key)).toEqual({ entries: 0, claims: 0 });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const retried = await api.post('/v1/entries', transfer, 'ADMIN', key).expect(201);
    expect(retried.headers['idempotency-replayed']).toBe('false');
    expect((await api.post('/v1/entries', transfer, 'ADMIN', key).expect(201)).headers['idempotency-replayed']).toBe('true');
    expect(await written(key)).toEqual({ entries: 1, claims: 1 });
  });

  it('requests piling up on it meanwhile: health says up or saturated (200), never down; each answers 503 within the lock timeout and writes nothing', async () => {
    const locker = await holdRowLock(A);
    const keys = Array.from({ length: 8 }, () => randomUUID());
    try {
      const started = Date.now();
      // More requests than the pool has connections (3), some through group commit, some through the command runner (freeze).
      const pending = keys.map((key, i) => (i % 4 === 3 ? api.post(`/v1/accounts/${A}/freeze`, {}, 'ADMIN', key) : api.post('/v1/entries', transfer, 'ADMIN', key)));
      await new Promise((r) => setTimeout(r, LOCK_TIMEOUT_MS / 3));
      const health = await api.http().get('/health/ready');
      expect(health.status).toBe(200);
      expect(['up', 'saturated']).toContain((health.body as { postgres: { status: string } }).postgres.status);
      const answers = await Promise.all(pending);
      expect(answers.map((r) => r.status)).toEqual(Array(keys.length).fill(503));
      for (const r of answers) {
        expect(['LOCK_TIMEOUT', 'DATABASE_BUSY']).toContain((r.body as Refusal).details.cause);
        expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      }
      // Each waited at most about one lock timeout (and the pool's acquire timeout) behind the others, never the lock's holder's time.
      expect(Date.now() - started).toBeLessThan(LOCK_TIMEOUT_MS * 3 + 2_000);
      for (const key of keys) expect(await written(key)).toEqual({ entries: 0, claims: 0 });
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    const [{ frozen }] = await db.dataSource.query<Array<{ frozen: boolean }>>(`SELECT frozen FROM ledger_accounts WHERE code = $1`, [A]);
    expect(frozen).toBe(false);
    expect((await api.http().get('/health/ready').expect(200)).body).toMatchObject({ status: 'ok', postgres: { status: 'up' } });
  });

  it('in group commit only the requests on the held row get the 503; the others in the same shared transaction commit', async () => {
    const toB = {
      ...transfer,
      postings: [
        { account: 'bank:ICBC-YC:CNY', side: 'DEBIT', amount: '1.00' },
        { account: B, side: 'CREDIT', amount: '1.00' },
      ],
    };
    const locker = await holdRowLock(A);
    try {
      // The first request waits on the lock alone; the next ones queue behind it and share one transaction, which meets the lock too.
      const first = api.post('/v1/entries', transfer);
      await new Promise((r) => setTimeout(r, 100));
      const rest = await Promise.all([api.post('/v1/entries', transfer), ...Array.from({ length: 4 }, () => api.post('/v1/entries', toB))]);
      expect([(await first).status, ...rest.map((r) => r.status)]).toEqual([503, 503, 201, 201, 201, 201]);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });

  it('so does a command through the idempotent command runner (freeze), and the audit log records the 503', async () => {
    const locker = await holdRowLock(B);
    const key = randomUUID();
    try {
      const res = await api.post(`/v1/accounts/${B}/freeze`, {}, 'ADMIN', key);
      expect(res.status).toBe(503);
      expect((res.body as Refusal).details.cause).toBe('LOCK_TIMEOUT');
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
    expect(await written(key)).toEqual({ entries: 0, claims: 0 });
    const [{ frozen }] = await db.dataSource.query<Array<{ frozen: boolean }>>(`SELECT frozen FROM ledger_accounts WHERE code = $1`, [B]);
    expect(frozen).toBe(false);
    const audit = await db.dataSource.query<Array<Record<string, unknown>>>(`SELECT status, outcome, error_code FROM audit_log WHERE idempotency_key = $1`, [key]);
    expect(audit).toEqual([{ status: 503, outcome: 'FAILURE', error_code: 'SERVICE_UNAVAILABLE' }]);
  });
});

describe('a saturated pool', () => {
  it('is reported as saturated (200, degraded), not down; requests meanwhile get 503 DATABASE_BUSY fast; then it is ok again', async () => {
    const ds = app.get(DataSource);
    const held: QueryRunner[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const runner = ds.createQueryRunner();
        await runner.connect();
        held.push(runner);
      }
      const health = await api.http().get('/health/ready').expect(200);
      expect(health.body).toMatchObject({ status: 'degraded', postgres: { status: 'saturated', pool: { max: 3, total: 3, idle: 0 } }, redis: { status: 'up' } });
      const started = Date.now();
      const res = await api.post('/v1/entries', transfer);
      expect(res.status).toBe(503);
      expect((res.body as Refusal).details.cause).toBe('DATABASE_BUSY');
      expect(res.headers['retry-after']).toBeDefined();
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      for (const runner of held) await runner.release();
    }
    const health = await api.http().get('/health').expect(200);
    expect(health.body).toMatchObject({ status: 'ok', postgres: { status: 'up', pool: { max: 3 } } });
    await api.post('/v1/entries', transfer).expect(201);
  });
});
