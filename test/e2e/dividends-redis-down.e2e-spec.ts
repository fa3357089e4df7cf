import type { ApiApplication } from '../../apps/api/src/app.setup';
import { randomUUID } from 'node:crypto';
import { getQueueToken } from '@nestjs/bullmq';
import { dividendJobId, QueueName } from '@forest-ledger/platform';
import { Queue } from 'bullmq';
import type { Actor } from '@forest-ledger/forestry';
import { DividendServices, dividendServices, fundProject, staffUser } from '../factories/dividends.factory';
import { lishuSeries, seedTicketWorld, TicketServices, ticketServices } from '../factories/tickets.factory';
import { apiClient } from '../setup/http-client';
import { RedisServer } from '../setup/processes';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';
import { inTransaction } from '@forest-ledger/platform';

/**
 * Approvals never wait for Redis (issue 15): with Redis down, an approval commits and answers at once;
 * the job is the reconciler's to queue. And the ADMIN's resume route: role, state, replay. On this
 * file's own Redis, stopped and started by the test.
 */
const db = useTestDatabase();
const redis = new RedisServer(6393);
/** QUEUE_PRODUCER_TIMEOUT_MS of the API here: the longest an approval may wait on Redis. */
const PRODUCER_TIMEOUT_MS = 1_000;
let app: ApiApplication;
let t: TicketServices;
let d: DividendServices;
let maker: Actor | undefined;
const token: Record<string, string> = {};
const { post, get } = apiClient(
  () => app,
  (role) => token[role],
);

beforeAll(async () => {
  await redis.up();
  app = await createTestApp(db, { REDIS_URL: redis.url, QUEUE_PRODUCER_TIMEOUT_MS: String(PRODUCER_TIMEOUT_MS) });
  t = ticketServices(db.dataSource);
  d = dividendServices(t);
  const world = await seedTicketWorld(t, { villagers: 4, households: 2, parcels: 3 });
  await lishuSeries(t, world, 'DV-DOWN', { collectiveRetainedRatio: '0' });
  await fundProject(t, d, 'DV-DOWN', '100.00');
  for (const role of ['ADMIN', 'APPROVER'] as const) token[role] = await tokenFor(app, role);
}, 60_000);

afterAll(async () => {
  await app?.close();
  await redis.kill('SIGKILL');
});

async function draft(amount: string): Promise<string> {
  maker ??= await staffUser(t, 'FARM_OPERATOR');
  const by = maker;
  return (await inTransaction(t.ds, (em) => d.dividends.declare(em, by, { project: 'DV-DOWN', amount, recordDate: '2026-06-30', paymentDate: '2026-07-15' }))).id;
}

describe('approving while Redis is down', () => {
  it('commits and answers within the producer timeout; the job is left to the reconciler', async () => {
    const id = await draft('40.00');
    await redis.kill('SIGKILL');
    const key = randomUUID();
    const started = Date.now();
    const approved = await post(`/v1/dividends/${id}/approve`, {}, 'APPROVER', key).expect(200);
    expect(Date.now() - started).toBeLessThan(PRODUCER_TIMEOUT_MS + 2_000);
    expect(approved.body).toMatchObject({ id, state: 'APPROVED', round: 1, failedAt: null });
    expect(await d.dividends.get(id)).toMatchObject({ state: 'APPROVED', round: 1 });

    // Redis back (empty): a replay of the approval answers the stored approval and queues the round's job.
    await redis.up();
    const queue = app.get<Queue>(getQueueToken(QueueName.Dividends));
    let job = await queue.getJob(dividendJobId(id, 1)).catch(() => undefined);
    for (let i = 0; i < 50 && !job; i++) {
      expect((await post(`/v1/dividends/${id}/approve`, {}, 'APPROVER', key).expect(200)).body).toEqual(approved.body); // until the producer has reconnected
      job = await queue.getJob(dividendJobId(id, 1)).catch(() => undefined);
      if (!job) await new Promise((r) => setTimeout(r, 200));
    }
    expect(job?.data).toEqual({ declarationId: id, round: 1 });
    await queue.obliterate({ force: true });
  }, 30_000);
});

describe('POST /v1/dividends/:id/resume', () => {
  it('is for an ADMIN, on an approved or distributing declaration; a failed one gets a new round, once per key', async () => {
    const id = await draft('50.00');
    await post(`/v1/dividends/${id}/resume`, {}, 'ADMIN').expect(422); // a DRAFT has nothing to resume
    await post(`/v1/dividends/${id}/approve`, {}, 'APPROVER').expect(200);
    await post(`/v1/dividends/${id}/resume`, {}, 'APPROVER').expect(403);
    // As the worker records a distribution that truly failed.
    await inTransaction(t.ds, (em) => d.dividends.recordFailure(em, id, 1, 'Error: boom'));
    expect((await get(`/v1/dividends/${id}`).expect(200)).body).toMatchObject({ state: 'APPROVED', round: 1, failure: 'Error: boom', failedAt: expect.any(String) });
    expect((await get(`/v1/dividends/${id}/progress`).expect(200)).body).toMatchObject({ state: 'APPROVED', failedAt: expect.any(String) });

    const key = randomUUID();
    const resumed = await post(`/v1/dividends/${id}/resume`, {}, 'ADMIN', key).expect(200);
    expect(resumed.body).toMatchObject({ state: 'APPROVED', round: 2, failedAt: null, failure: null });
    expect((await post(`/v1/dividends/${id}/resume`, {}, 'ADMIN', key).expect(200)).body).toEqual(resumed.body);
    expect((await post(`/v1/dividends/${id}/resume`, {}, 'ADMIN').expect(200)).body).toMatchObject({ round: 2 }); // not failed: unchanged
    const queue = app.get<Queue>(getQueueToken(QueueName.Dividends));
    expect((await queue.getJob(dividendJobId(id, 2)))?.data).toEqual({ declarationId: id, round: 2 });
    const [audit] = await t.ds.query<
      Array<{
        role: string;
        status: number;
        outcome: string;
      }>
    >(`SELECT role, status, outcome FROM audit_log WHERE path = $1 AND idempotency_key = $2`, [`/v1/dividends/${id}/resume`, key]);
    expect(audit).toEqual({ role: 'ADMIN', status: 200, outcome: 'SUCCESS' });
    await queue.obliterate({ force: true });
  });
});

describe('shutting down while Redis is down', () => {
  it('closes the API promptly and without an error (its queues are disconnected when they cannot quit)', async () => {
    await redis.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await expect(app.close()).resolves.toBeUndefined();
    expect(Date.now() - started).toBeLessThan(5_000);
    app = undefined as unknown as ApiApplication; // closed: afterAll has nothing left to close
  });
});
