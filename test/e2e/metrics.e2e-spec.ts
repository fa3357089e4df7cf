import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { loadEnv, metricsAccess } from '@forest-ledger/platform';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { LedgerFactory } from '../factories/ledger.factory';
import { TEST_REDIS_URL } from '../setup/databases';
import { until, WorkerProcess } from '../setup/processes';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

type OpenApi = { paths: Record<string, unknown> };

const db = useTestDatabase();
const TOKEN = 'metrics-token-for-the-e2e-test';
/** From the ports given to this test file's author (3470-3479); one worker at a time. */
const WORKER_METRICS_PORT = 3471;
let app: ApiApplication;
const http = () => request(app.getHttpServer());

beforeAll(async () => {
  app = await createTestApp(db, { METRICS_TOKEN: TOKEN });
  const ledger = new LedgerFactory(db.dataSource);
  await ledger.cnyWorld(['party:M-1:wallet:CNY']);
});
afterAll(() => app?.close());

/** A counter's value in Prometheus text for the exact label set given, 0 when absent. */
function valueOf(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const scrape = async () => (await http().get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200)).text;

describe('GET /metrics (API)', () => {
  it('needs the metrics token, is outside the OpenAPI document, and production without a token serves none', async () => {
    await http().get('/metrics').expect(401);
    await http().get('/metrics').set('Authorization', 'Bearer wrong-token-of-some-length').expect(401);
    const docs = await http().get('/docs-json').expect(200);
    expect(Object.keys((docs.body as OpenApi).paths)).not.toContain('/metrics');
    expect(metricsAccess(loadEnv({ NODE_ENV: 'development' }), undefined)).toBe('ok');
    const production = {
      NODE_ENV: 'production',
      JWT_SECRET: 'x'.repeat(32),
      PII_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64'),
      PII_HMAC_KEY: Buffer.alloc(32, 1).toString('base64'),
      PUBLIC_BASE_URL: 'https://lin.example.gov.cn',
    };
    expect(metricsAccess(loadEnv(production), undefined)).toBe('hidden');
    expect(metricsAccess(loadEnv({ ...production, METRICS_TOKEN: TOKEN }), `Bearer ${TOKEN}`)).toBe('ok');
  });

  it('exposes the HTTP, ledger, idempotency, login, pool, queue and process metrics; a posted entry moves the counter', async () => {
    const admin = await tokenFor(app, 'ADMIN');
    const before = await scrape();
    for (const name of [
      'forest_ledger_http_requests_total',
      'forest_ledger_http_request_duration_seconds',
      'forest_ledger_ledger_entries_posted_total',
      'forest_ledger_ledger_postings_posted_total',
      'forest_ledger_idempotency_outcomes_total',
      'forest_ledger_login_failures_total',
      'forest_ledger_pg_pool_connections',
      'forest_ledger_queue_jobs',
      'forest_ledger_queue_job_duration_seconds',
      'forest_ledger_process_cpu_seconds_total',
      'forest_ledger_nodejs_heap_size_used_bytes',
    ]) {
      expect(before).toContain(`# TYPE ${name} `);
    }
    expect(before).toMatch(/forest_ledger_pg_pool_connections\{state="total"\} \d+/);
    expect(before).toMatch(/forest_ledger_queue_jobs\{queue="dividends",state="waiting"\} \d+/);

    const key = randomUUID();
    const entry = {
      kind: 'METRICS_TEST',
      effectiveDate: '2026-01-02',
      postings: [
        { account: 'bank:ICBC-YC:CNY', side: 'DEBIT', amount: '5.00' },
        { account: 'party:M-1:wallet:CNY', side: 'CREDIT', amount: '5.00' },
      ],
    };
    await http().post('/v1/entries').set('Authorization', `Bearer ${admin}`).set('Idempotency-Key', key).send(entry).expect(201);
    await http().post('/v1/entries').set('Authorization', `Bearer ${admin}`).set('Idempotency-Key', key).send(entry).expect(201); // a replay
    await http()
      .post('/v1/entries')
      .set('Authorization', `Bearer ${admin}`)
      .set('Idempotency-Key', key)
      .send({ ...entry, effectiveDate: '2026-01-03' })
      .expect(409);
    await http().post('/v1/auth/login').send({ username: 'nobody-here', password: 'wrong-password-123' }).expect(401);

    const after = await scrape();
    expect(
      valueOf(after, 'forest_ledger_ledger_entries_posted_total', 'kind="METRICS_TEST"') - valueOf(before, 'forest_ledger_ledger_entries_posted_total', 'kind="METRICS_TEST"'),
    ).toBe(1);
    expect(valueOf(after, 'forest_ledger_ledger_postings_posted_total', 'kind="METRICS_TEST"')).toBe(2);
    expect(valueOf(after, 'forest_ledger_idempotency_outcomes_total', 'outcome="replay"')).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'forest_ledger_idempotency_outcomes_total', 'outcome="conflict"')).toBeGreaterThanOrEqual(1);
    expect(valueOf(after, 'forest_ledger_login_failures_total', 'kind="staff",reason="failed"')).toBeGreaterThanOrEqual(1);
    // By route template, never the raw URL.
    expect(valueOf(after, 'forest_ledger_http_requests_total', 'route="/v1/entries",method="POST",status="201"')).toBe(2);
    await http().get('/v1/accounts/party:M-1:wallet:CNY').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(await scrape()).toContain('route="/v1/accounts/:code",method="GET",status="200"');
  });
});

describe('GET /metrics (worker, on WORKER_METRICS_PORT)', () => {
  let worker: WorkerProcess | undefined;
  afterAll(() => worker?.kill('SIGTERM'));

  it('serves its own metrics behind the same token', async () => {
    worker = new WorkerProcess('worker', {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      DEPLOYMENT_ID: `test-${db.name}`,
      METRICS_TOKEN: TOKEN,
      WORKER_METRICS_PORT: String(WORKER_METRICS_PORT),
      DEMO_DATA: 'false',
    });
    const url = `http://127.0.0.1:${WORKER_METRICS_PORT}/metrics`;
    const text = await until(
      'the worker serving metrics',
      async () => {
        const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } }).catch(() => undefined);
        return res?.status === 200 ? res.text() : undefined;
      },
      { timeoutMs: 60_000, everyMs: 250, process: worker },
    );
    for (const name of [
      'forest_ledger_ledger_entries_posted_total',
      'forest_ledger_queue_jobs',
      'forest_ledger_queue_job_duration_seconds',
      'forest_ledger_pg_pool_connections',
      'forest_ledger_dividend_distributions_pending',
      'forest_ledger_dividend_distributions_failed',
      'forest_ledger_dividend_distribution_holders',
      'forest_ledger_process_resident_memory_bytes',
    ]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(/forest_ledger_dividend_distributions_pending \d+/);
    expect(text).toMatch(/forest_ledger_dividend_distributions_failed 0\n/);
    expect((await fetch(url)).status).toBe(401);
  });
});

describe('/admin/queues (bull-board)', () => {
  it('is for ADMIN only: no token 401, an approver or a villager 403, an ADMIN by token or by the login cookie 200', async () => {
    await http().get('/admin/queues').expect(401);
    await http().get('/admin/queues/api/queues').expect(401);
    await http()
      .get('/admin/queues')
      .set('Authorization', `Bearer ${await tokenFor(app, 'APPROVER')}`)
      .expect(403);
    await db.dataSource.query(`INSERT INTO parties (code, kind, name) VALUES ('V-METRICS', 'VILLAGER', '村民')`);
    await http()
      .get('/admin/queues/api/queues')
      .set('Authorization', `Bearer ${await tokenFor(app, 'VILLAGER', 'V-METRICS')}`)
      .expect(403);
    const admin = await tokenFor(app, 'ADMIN');
    const page = await http().get('/admin/queues').set('Authorization', `Bearer ${admin}`).expect(200);
    expect(page.text).toContain('<div id="root">');
    const queues = await http().get('/admin/queues/api/queues').set('Authorization', `Bearer ${admin}`).expect(200);
    expect((queues.body as { queues: Array<{ name: string; readOnlyMode: boolean }> }).queues.map((q) => [q.name, q.readOnlyMode]).sort()).toEqual([
      ['dividends', true],
      ['land-use', true],
      ['ledger', true],
      ['subsidies', true],
      ['webhooks', true],
    ]);
    const docs = await http().get('/docs-json').expect(200);
    expect(Object.keys((docs.body as OpenApi).paths).filter((p) => p.startsWith('/admin'))).toEqual([]);
  });

  it('a browser logs in with the form: an ADMIN gets an HttpOnly cookie, anyone else no cookie', async () => {
    const { AccessService } = await import('@forest-ledger/access');
    const { DataSource } = await import('typeorm');
    const { inTransaction } = await import('@forest-ledger/platform');
    const access = app.get(AccessService);
    await inTransaction(app.get(DataSource), (em) =>
      access.createUser(em, { username: 'queue-admin', displayName: 'Queue admin', role: 'ADMIN', password: 'queue-admin-password', partyId: null }),
    );
    await inTransaction(app.get(DataSource), (em) =>
      access.createUser(em, { username: 'queue-auditor', displayName: 'Queue auditor', role: 'AUDITOR', password: 'queue-auditor-password', partyId: null }),
    );
    expect((await http().get('/admin/queues/login').expect(200)).text).toContain('<form method="post"');
    await http().post('/admin/queues/login').type('form').send({ username: 'queue-admin', password: 'wrong-password' }).expect(401);
    const auditor = await http().post('/admin/queues/login').type('form').send({ username: 'queue-auditor', password: 'queue-auditor-password' }).expect(403);
    expect(auditor.headers['set-cookie']).toBeUndefined();
    const login = await http().post('/admin/queues/login').type('form').send({ username: 'queue-admin', password: 'queue-admin-password' }).expect(303);
    expect(login.headers.location).toBe('/admin/queues');
    const cookie = String(login.headers['set-cookie']);
    expect(cookie).toMatch(/^fl_queues=[^;]+; Path=\/admin\/queues; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    await http().get('/admin/queues').set('Cookie', cookie.split(';')[0]).expect(200);
    await http().get('/admin/queues').set('Cookie', 'fl_queues=not-a-token').expect(401);
  });
});
