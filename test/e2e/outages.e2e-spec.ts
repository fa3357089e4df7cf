import { AccessService } from '@forest-ledger/access';
import { inTransaction } from '@forest-ledger/platform';
import { dataSourceOptions } from '@forest-ledger/platform/database/data-source.options';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { LedgerFactory } from '../factories/ledger.factory';
import { assertLedgerInvariants } from '../setup/invariants';
import { OwnPostgres, OwnRedis, ownServicesUnsupported, startOwnPostgres, startOwnRedis } from '../setup/own-services';
import { createTestApp, tokenFor } from '../setup/test-app';

/**
 * Outages of the real servers under the real API: this file's own PostgreSQL cluster and Redis
 * (spare ports), stopped and killed while clients post. Needs root and pg_createcluster (as CI).
 */
const unsupported = ownServicesUnsupported();
if (unsupported) console.warn(`outages.e2e-spec skipped: ${unsupported}`);
const suite = unsupported ? describe.skip : describe;

const DB_NAME = 'forest_ledger_outage_test';
let pg: OwnPostgres | undefined;
let redis: (OwnRedis & { stop(): void }) | undefined;
let ds: DataSource;
let app: ApiApplication;
let admin: string;
const BANK = 'bank:ICBC-YC:CNY';
const WALLETS = Array.from({ length: 6 }, (_, i) => `party:W${i}:wallet:CNY`);

suite('outages of PostgreSQL and Redis', () => {
  beforeAll(async () => {
    [pg, redis] = await Promise.all([startOwnPostgres(DB_NAME), startOwnRedis()]);
    ds = new DataSource(dataSourceOptions(pg.url, 2));
    await ds.initialize();
    app = await createTestApp({ name: DB_NAME, url: pg.url, dataSource: ds }, { REDIS_URL: redis.url, DB_POOL_SIZE: '8' });
    admin = await tokenFor(app, 'ADMIN');
    await new LedgerFactory(ds).cnyWorld(WALLETS);
  }, 120_000);

  afterAll(async () => {
    try {
      await Promise.race([app?.close(), new Promise((r) => setTimeout(r, 10_000))]);
      if (ds?.isInitialized) await ds.destroy();
    } finally {
      redis?.stop();
      pg?.drop();
    }
  }, 60_000);

  const http = () => request(app.getHttpServer());

  it('PostgreSQL stopped for 3 s under load: 503 with Retry-After meanwhile, recovery by itself, every retried key created exactly once', async () => {
    interface Answer {
      key: string;
      status: number;
      retryAfter?: string;
      code?: string;
      correlationId?: string;
      replayed?: string;
      tookMs: number;
    }
    const answers: Answer[] = [];
    const keys: string[] = [];
    const walletOf = new Map<string, string>();
    const post = (key: string, wallet: string) =>
      http()
        .post('/v1/entries')
        .set('Authorization', `Bearer ${admin}`)
        .set('Idempotency-Key', key)
        .send({
          kind: 'TRANSFER',
          effectiveDate: '2026-01-01',
          postings: [
            { account: BANK, side: 'DEBIT', amount: '1.00' },
            { account: wallet, side: 'CREDIT', amount: '1.00' },
          ],
        });
    let newKeys = true;
    const hardDeadline = Date.now() + 40_000;

    // Each client posts transfers one after another; on a 503 it retries the same key (sooner than Retry-After, to keep the test short).
    const client = async (wallet: string) => {
      while (newKeys && Date.now() < hardDeadline) {
        const key = randomUUID();
        keys.push(key);
        walletOf.set(key, wallet);
        for (;;) {
          const sent = Date.now();
          const res = await post(key, wallet);
          const body = res.body as { code?: string; correlationId?: string };
          answers.push({
            key,
            status: res.status,
            retryAfter: res.headers['retry-after'],
            code: body.code,
            correlationId: body.correlationId,
            replayed: res.headers['idempotency-replayed'],
            tookMs: Date.now() - sent,
          });
          if (res.status !== 503 || Date.now() > hardDeadline) break;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    };

    const clients = Promise.all(WALLETS.map(client));
    await new Promise((r) => setTimeout(r, 1_000));
    pg!.stop();
    const stoppedAt = answers.length;
    await new Promise((r) => setTimeout(r, 3_000));
    const health = await http().get('/health');
    await pg!.start();
    await new Promise((r) => setTimeout(r, 2_000));
    newKeys = false;
    await clients;

    expect(health.status).toBe(503);
    expect(health.body.postgres.status).toBe('down');
    const unexpected = answers.filter((a) => a.status !== 201 && a.status !== 503);
    expect(unexpected).toEqual([]);
    const unavailable = answers.filter((a) => a.status === 503);
    expect(unavailable.length).toBeGreaterThan(0);
    for (const a of unavailable) {
      expect(a.code).toBe('SERVICE_UNAVAILABLE');
      expect(Number(a.retryAfter)).toBeGreaterThanOrEqual(1);
      expect(a.correlationId).toEqual(expect.any(String));
      expect(a.tookMs).toBeLessThan(5_000); // at once, not after a hang (5 s would be the pool's acquire timeout)
    }
    // Every key ended in a 201 (created, or replayed after an answer lost in the outage), and the API went on by itself.
    const last = new Map(answers.map((a) => [a.key, a]));
    expect([...last.values()].filter((a) => a.status !== 201)).toEqual([]);
    expect(answers.slice(stoppedAt).some((a) => a.status === 201)).toBe(true);

    // Sent once more, each key that met the outage replays its one answer.
    for (const key of new Set(unavailable.map((a) => a.key))) {
      const again = await post(key, walletOf.get(key)!).expect(201);
      expect(again.headers['idempotency-replayed']).toBe('true');
    }
    // An entry's key is the caller's Idempotency-Key scoped to its principal (user:<id>/<key>).
    const rows = await ds.query<Array<{ key: string; n: number }>>(
      `SELECT split_part(idempotency_key, '/', 2) AS key, count(*)::int AS n FROM ledger_entries WHERE split_part(idempotency_key, '/', 2) = ANY($1::text[]) GROUP BY 1`,
      [keys],
    );
    expect(rows.filter((r) => r.n !== 1)).toEqual([]);
    expect(rows.length).toBe(keys.length);
    const [{ total }] = await ds.query<Array<{ total: string }>>(`SELECT (credits - debits)::text AS total FROM ledger_accounts WHERE code = $1`, [BANK]);
    expect(Number(total)).toBe(-keys.length);
    await http().get('/health').expect(200);
    await assertLedgerInvariants(ds);
  }, 90_000);

  it('Redis killed: a correct login still answers 200 at once (limits counted in this process), wrong ones still end in 429; shared again when Redis is back', async () => {
    const access = app.get(AccessService);
    await inTransaction(ds, (em) => access.createUser(em, { username: 'wang.outage', displayName: '王', role: 'AUDITOR', password: 'a-long-enough-password' }));
    const login = (password: string, username = 'wang.outage') => http().post('/v1/auth/login').send({ username, password });
    // argon2 makes a login slow on a busy machine: the yardstick is a login while Redis is up.
    let started = Date.now();
    await login('a-long-enough-password').expect(200);
    const withRedis = Date.now() - started;

    redis!.kill();
    await new Promise((r) => setTimeout(r, 300));
    started = Date.now();
    await login('a-long-enough-password').expect(200);
    expect(Date.now() - started).toBeLessThan(Math.max(2 * withRedis, withRedis + 1_000));

    for (let i = 0; i < 5; i++) await login('wrong-password').expect(401);
    started = Date.now();
    const limited = await login('a-long-enough-password').expect(429);
    expect(Date.now() - started).toBeLessThan(1_000); // no password check: only the counters, in memory
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const health = await http().get('/health').expect(503);
    expect(health.body).toMatchObject({ status: 'unavailable', postgres: { status: 'up' }, redis: { status: 'down' } });

    await redis!.start();
    await waitUntil(async () => (await http().get('/health')).status === 200);
    // The counts of the outage were this process's; Redis has none, so the account may log in again.
    await login('a-long-enough-password').expect(200);
  }, 60_000);
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
