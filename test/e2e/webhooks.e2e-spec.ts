import type { ApiApplication } from '../../apps/api/src/app.setup';
import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { WebhookDeliveryService } from '@forest-ledger/forestry';
import { Env, inTransaction, loadEnv, QueueName } from '@forest-ledger/platform';
import { Queue } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { PendingWorkReconciler } from '../../apps/worker/src/reconciler';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { lishuSeries, seedTicketWorld, ticketServices } from '../factories/tickets.factory';
import { LedgerFactory } from '../factories/ledger.factory';
import { TEST_REDIS_URL } from '../setup/databases';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';
import { WebhookReceiver } from '../setup/webhook-receiver';

/**
 * Signed webhooks (issue 17) end to end: the API (subscriptions), the worker in this process (relay, dispatcher,
 * delivery jobs on the real Redis under this file's prefix, reconciler) and a real HTTP receiver that checks
 * every signature with the README's snippet and records the sequences it saw.
 */
const db = useTestDatabase();
let app: ApiApplication;
let worker: INestApplicationContext;
let admin: string;
let ledger: LedgerFactory;
const receivers: WebhookReceiver[] = [];

const WORKER_ENV = {
  WEBHOOK_ALLOW_PRIVATE: 'true',
  // Long enough that a loaded machine's local 200 is never taken for a timeout (which would deliver it twice).
  WEBHOOK_TIMEOUT_MS: '1500',
  WEBHOOK_BACKOFF_MS: '50',
  WEBHOOK_BACKOFF_MAX_MS: '400',
  RECONCILE_INTERVAL_MS: '500',
};

beforeAll(async () => {
  app = await createTestApp(db, { WEBHOOK_ALLOW_PRIVATE: 'true' });
  admin = `Bearer ${await tokenFor(app, 'ADMIN')}`;
  const env = loadEnv({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'silent', NODE_ENV: 'test', QUEUE_PREFIX: `test-${db.name}`, ...WORKER_ENV });
  worker = await Test.createTestingModule({ imports: [WorkerModule] })
    .overrideProvider(Env)
    .useValue(env)
    .compile();
  worker.useLogger(false);
  await worker.init();
  ledger = new LedgerFactory(db.dataSource);
  await ledger.cnyWorld(['party:A:wallet:CNY']);
}, 60_000);

afterAll(async () => {
  for (const r of receivers) await r.stop();
  await worker?.get<Queue>(getQueueToken(QueueName.Webhooks)).obliterate({ force: true });
  await worker?.close();
  await app?.close();
});

/** A subscription as the API answers (the secret only on creation and rotation). */
interface Sub {
  id: string;
  secret: string;
  url: string;
  types: string[];
  state: string;
  cursor: string;
  consecutiveFailures: number;
  failingSince: string | null;
  previousSecretExpiresAt: string | null;
  disabledReason: string | null;
}

const http = () => request(app.getHttpServer());
const post = async (path: string, body: object, auth = admin): Promise<{ status: number; body: Sub }> => {
  const res = await http().post(path).set('Authorization', auth).set('Idempotency-Key', randomUUID()).send(body);
  return { status: res.status, body: res.body as Sub };
};
const get = async (path: string): Promise<Sub> => (await http().get(path).set('Authorization', admin).expect(200)).body as Sub;

async function receiver(): Promise<{ r: WebhookReceiver; url: string }> {
  const r = new WebhookReceiver();
  receivers.push(r);
  return { r, url: await r.start() };
}

/** Posts `n` transfers; returns their entry ids in order. */
async function transfers(n: number, amount = '1.00'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await ledger.transfer('bank:ICBC-YC:CNY', 'party:A:wallet:CNY', amount)).entry.id);
  return ids;
}

async function subscribe(url: string, body: object = {}): Promise<{ id: string; secret: string }> {
  const res = await post('/v1/webhook-subscriptions', { url, types: ['ledger.entry.posted'], startAfter: '0', ...body });
  expect(res.status).toBe(201);
  return res.body;
}

/** The feed's entry events' sequences (published by the worker's relay), waiting until `entryIds` are all in. */
async function seqsOf(entryIds: string[]): Promise<number[]> {
  for (let i = 0; ; i++) {
    const page = (await http().get('/v1/events?types=ledger.entry.posted&limit=500').set('Authorization', admin)).body as {
      items: Array<{ seq: string; data: { entryId: string } }>;
    };
    const bySeq = new Map(page.items.map((e) => [e.data.entryId, Number(e.seq)]));
    if (entryIds.every((id) => bySeq.has(id))) return entryIds.map((id) => bySeq.get(id)!);
    if (i > 200) throw new Error('events not published');
    await sleep(50);
  }
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Strictly increasing, and each delivered sequence at most once per pass (`delivered` of one receiver). */
const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]);

describe('webhook subscriptions (issue 17)', () => {
  it('are ADMIN only, validate their input (4xx naming the field), and show the secret once', async () => {
    const { url } = await receiver();
    const auditor = `Bearer ${await tokenFor(app, 'AUDITOR')}`;
    expect((await post('/v1/webhook-subscriptions', { url }, auditor)).status).toBe(403);
    expect((await http().get('/v1/webhook-subscriptions').set('Authorization', auditor)).status).toBe(403);
    const bad = await post('/v1/webhook-subscriptions', { url, types: ['nope'] });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('types');
    expect((await post('/v1/webhook-subscriptions', { url: 'ftp://x' })).status).toBe(400);
    expect((await post('/v1/webhook-subscriptions', { url, party: 'NO-SUCH' })).status).toBeGreaterThanOrEqual(400);
    const created = await post('/v1/webhook-subscriptions', { url, types: ['ticket.pledged'], description: 'bank' });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_/);
    const [row] = await db.dataSource.query<Array<{ secret_sealed: string }>>(`SELECT secret_sealed FROM webhook_subscriptions WHERE id = $1`, [created.body.id]);
    expect(row.secret_sealed).not.toContain(created.body.secret);
    expect(row.secret_sealed).toMatch(/^v2\./);
    // Nor in clear in the answer kept for replays; a replay (same key and body) gets the same secret.
    const [kept] = await db.dataSource.query<Array<{ body: string }>>(`SELECT response_body::text AS body FROM idempotency_requests WHERE response_body::text LIKE $1`, [
      `%${created.body.id}%`,
    ]);
    expect(kept.body).not.toContain(created.body.secret);
    const got = await get(`/v1/webhook-subscriptions/${created.body.id}`);
    expect(got.secret).toBeUndefined();
    expect(got).toMatchObject({ url, types: ['ticket.pledged'], state: 'ACTIVE', scope: null });
    const patched = await http()
      .patch(`/v1/webhook-subscriptions/${created.body.id}`)
      .set('Authorization', admin)
      .set('Idempotency-Key', randomUUID())
      .send({ types: ['ticket.released'] })
      .expect(200);
    expect((patched.body as Sub).types).toEqual(['ticket.released']);
    expect((await post(`/v1/webhook-subscriptions/${created.body.id}/disable`, {})).body.state).toBe('DISABLED');
    expect((await post(`/v1/webhook-subscriptions/${created.body.id}/enable`, {})).body.state).toBe('ACTIVE');
    await http().delete(`/v1/webhook-subscriptions/${created.body.id}`).set('Authorization', admin).set('Idempotency-Key', randomUUID()).expect(200);
    await http().get(`/v1/webhook-subscriptions/${created.body.id}`).set('Authorization', admin).expect(404);
  });

  it('refuses private addresses unless allowed', async () => {
    const { webhookUrlProblem, isPrivateAddress } = await import('@forest-ledger/forestry');
    expect(webhookUrlProblem('http://127.0.0.1:8080/x', false)).toMatch(/https/);
    expect(webhookUrlProblem('https://127.0.0.1/x', false)).toMatch(/private/);
    expect(webhookUrlProblem('https://169.254.169.254/latest', false)).toMatch(/private/);
    expect(webhookUrlProblem('https://localhost/x', false)).toMatch(/private/);
    expect(webhookUrlProblem('https://bank.example.com/hook', false)).toBeNull();
    expect(['10.1.2.3', '192.168.0.1', '::1', 'fd00::1', '::ffff:127.0.0.1'].every(isPrivateAddress)).toBe(true);
    expect(['8.8.8.8', '2001:4860:4860::8888'].some(isPrivateAddress)).toBe(false);
  });

  it('delivers every event in feed order, each signed, with its event id', async () => {
    const { r, url } = await receiver();
    const sub = await subscribe(url);
    r.secrets = [sub.secret];
    const seqs = await seqsOf(await transfers(5));
    await waitFor('five deliveries', () => seqs.every((s) => r.delivered.includes(s)));
    expect(increasing(r.delivered)).toBe(true);
    expect(r.seen.every((x) => x.verifiedWith.length === 1 && x.signatures === 1)).toBe(true);
    expect(r.seen.every((x) => x.id === (x.body.id as string))).toBe(true);
    // The attempt is recorded once the receiver has answered.
    const attemptsOf = async () =>
      (await http().get(`/v1/webhook-subscriptions/${sub.id}/deliveries?limit=500`).set('Authorization', admin).expect(200)).body as { items: Array<{ latencyMs: unknown }> };
    await waitFor('every attempt recorded', async () => (await attemptsOf()).items.length === r.seen.length);
    const attempts = { body: await attemptsOf() };
    expect(attempts.body.items[0]).toMatchObject({ status: 'SUCCEEDED', responseCode: 200, error: null });
    expect(typeof attempts.body.items[0].latencyMs).toBe('number');
  });

  it('retries with back-off while the receiver fails or times out, then delivers everything in order; duplicates only with the same id', async () => {
    const { r, url } = await receiver();
    const sub = await subscribe(url, { startAfter: 'head' });
    r.secrets = [sub.secret];
    r.mode = 'fail';
    const seqs = await seqsOf(await transfers(3));
    await waitFor('a few failed attempts', () => r.seen.length >= 3);
    r.mode = 'hang';
    const before = r.seen.length;
    await waitFor('a timed-out attempt', () => r.seen.length >= before + 2);
    const failing = await get(`/v1/webhook-subscriptions/${sub.id}`);
    expect(failing.consecutiveFailures).toBeGreaterThanOrEqual(3);
    expect(failing.failingSince).not.toBeNull();
    const more = await seqsOf(await transfers(2));
    r.mode = 'ok';
    await waitFor('every event delivered', () => [...seqs, ...more].every((s) => r.delivered.includes(s)));

    expect(r.delivered).toEqual([...seqs, ...more]);
    // Every failed try was of the first undelivered event, and every repeat of a sequence carried the same event id.
    const idsBySeq = new Map<number, Set<string>>();
    for (const x of r.seen) idsBySeq.set(x.seq, (idsBySeq.get(x.seq) ?? new Set()).add(x.id));
    expect([...idsBySeq.values()].every((ids) => ids.size === 1)).toBe(true);
    expect(r.seen.filter((x) => x.mode !== 'ok').every((x) => x.seq === seqs[0])).toBe(true);
    const attempts = (await http().get(`/v1/webhook-subscriptions/${sub.id}/deliveries?limit=500`).set('Authorization', admin).expect(200)).body as {
      items: Array<{
        status: string;
        responseCode: number | null;
        error: string | null;
      }>;
    };
    expect(attempts.items.some((a) => a.status === 'FAILED' && a.responseCode === 500)).toBe(true);
    expect(attempts.items.some((a) => a.status === 'FAILED' && a.responseCode === null && /timed out/.test(a.error ?? ''))).toBe(true);
    const healed = await get(`/v1/webhook-subscriptions/${sub.id}`);
    expect(healed).toMatchObject({ consecutiveFailures: 0, failingSince: null, state: 'ACTIVE' });
  });

  it('redelivers from a sequence on, in order, with the same event ids', async () => {
    const { r, url } = await receiver();
    const sub = await subscribe(url, { startAfter: 'head' });
    r.secrets = [sub.secret];
    const seqs = await seqsOf(await transfers(4));
    await waitFor('four deliveries', () => seqs.every((s) => r.delivered.includes(s)));
    const first = r.seen.map((x) => ({ seq: x.seq, id: x.id }));
    const res = await post(`/v1/webhook-subscriptions/${sub.id}/redeliver`, { fromSeq: String(seqs[1]) });
    expect(res.status).toBe(200);
    expect(res.body.cursor).toBe(String(seqs[0]));
    await waitFor('the redelivery', () => r.delivered.length >= 7);
    expect(r.delivered).toEqual([...seqs, ...seqs.slice(1)]);
    for (const x of r.seen.slice(4)) expect(first.find((f) => f.seq === x.seq)?.id).toBe(x.id);
    expect((await post(`/v1/webhook-subscriptions/${sub.id}/redeliver`, { fromSeq: '0' })).status).toBe(400);
    expect((await post(`/v1/webhook-subscriptions/${sub.id}/redeliver`, { fromSeq: '99999999' })).status).toBe(400);
  });

  it('signs with both secrets during a rotation overlap, and with the new one only after it', async () => {
    const { r, url } = await receiver();
    const sub = await subscribe(url, { startAfter: 'head' });
    const rotated = await post(`/v1/webhook-subscriptions/${sub.id}/rotate-secret`, { overlapHours: 1 });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(sub.secret);
    expect(rotated.body.previousSecretExpiresAt).not.toBeNull();
    r.secrets = [sub.secret, rotated.body.secret];
    const [s1] = await seqsOf(await transfers(1));
    await waitFor('delivery during the overlap', () => r.delivered.includes(s1));
    expect(r.seen.at(-1)).toMatchObject({ signatures: 2, verifiedWith: [sub.secret, rotated.body.secret] });
    const again = await post(`/v1/webhook-subscriptions/${sub.id}/rotate-secret`, { overlapHours: 0 });
    r.secrets = [sub.secret, rotated.body.secret, again.body.secret];
    const [s2] = await seqsOf(await transfers(1));
    await waitFor('delivery after the overlap', () => r.delivered.includes(s2));
    expect(r.seen.at(-1)).toMatchObject({ signatures: 1, verifiedWith: [again.body.secret] });
  });

  it('disables a subscription whose deliveries failed for WEBHOOK_DISABLE_AFTER_DAYS, and enabling resumes from its cursor', async () => {
    const { r, url } = await receiver();
    const sub = await subscribe(url, { startAfter: 'head' });
    r.secrets = [sub.secret];
    r.mode = 'fail';
    const delivery = worker.get(WebhookDeliveryService);
    const [s1] = await seqsOf(await transfers(1));
    await waitFor('a failure streak', () => r.seen.length >= 2);
    // Four days later by the delivery's clock (the default threshold is 3 days), still failing: disabled.
    const realNow = delivery.now;
    delivery.now = () => new Date(Date.now() + 4 * 86_400_000);
    try {
      await waitFor('the subscription disabled', async () => (await get(`/v1/webhook-subscriptions/${sub.id}`)).state === 'DISABLED');
    } finally {
      delivery.now = realNow;
    }
    const disabled = await get(`/v1/webhook-subscriptions/${sub.id}`);
    expect(disabled.disabledReason).toMatch(/WEBHOOK_DISABLE_AFTER_DAYS/);
    const tries = r.seen.length;
    await sleep(500);
    expect(r.seen.length).toBe(tries);
    r.mode = 'ok';
    expect((await post(`/v1/webhook-subscriptions/${sub.id}/enable`, {})).status).toBe(200);
    await waitFor('delivery after enabling', () => r.delivered.includes(s1));
  });

  it('a scoped subscription and feed: a bank gets the events of pledges in its favour only; a villager none', async () => {
    const t = ticketServices(db.dataSource);
    const world = await seedTicketWorld(t, { villagers: 2 });
    await lishuSeries(t, world, 'WH-A', { farmCash: '1000.00' });
    const { r, url } = await receiver();
    const sub = await subscribe(url, { types: [], party: world.bank, startAfter: 'head' });
    r.secrets = [sub.secret];
    const pledged = await inTransaction(db.dataSource, (em) =>
      t.movements.pledge(em, 'WH-A', { holder: world.farm, units: '100', pledgee: world.bank, contractReference: '质押合同-WH', effectiveDate: '2026-06-01' }, randomUUID()),
    );
    expect(pledged.pledgeId).toBeTruthy();
    await waitFor('the pledge event', () => r.delivered.length >= 1);
    await sleep(1000);
    // The pledge in its favour, whole (which holder, how many units); besides it only entries on the bank's own accounts.
    const ownEntry = (x: { type: string; data: Record<string, unknown> }) =>
      x.type === 'ledger.entry.posted' && (x.data.postings as Array<{ account: string }>).every((p) => p.account.startsWith(`party:${world.bank}:`));
    expect(r.seen.filter((x) => !ownEntry(x.body as { type: string; data: Record<string, unknown> })).map((x) => x.type)).toEqual(['ticket.pledged']);
    expect(r.seen.find((x) => x.type === 'ticket.pledged')!.body.data).toMatchObject({ pledgeId: pledged.pledgeId, legs: [{ from: world.farm, units: '100' }] });
    const bankKey = `Bearer ${await tokenFor(app, 'BUYER', world.bank)}`;
    const feed = (await http().get('/v1/events?limit=500').set('Authorization', bankKey).expect(200)).body as { items: Array<{ type: string; data: Record<string, unknown> }> };
    expect(feed.items.filter((e) => !ownEntry(e)).map((e) => e.type)).toEqual(['ticket.pledged']);
    const farmKey = `Bearer ${await tokenFor(app, 'FARM_OPERATOR', world.farm)}`;
    const farmFeed = (await http().get('/v1/events?limit=500').set('Authorization', farmKey).expect(200)).body as { items: Array<{ type: string; data: Record<string, unknown> }> };
    expect(farmFeed.items.map((e) => e.type)).toContain('ticket.pledged');
    for (const e of farmFeed.items.filter((x) => x.type === 'ledger.entry.posted'))
      expect((e.data.postings as Array<{ account: string }>).every((p) => p.account.startsWith(`party:${world.farm}:`))).toBe(true);
    const villager = `Bearer ${await tokenFor(app, 'VILLAGER', world.villagers[0])}`;
    await http().get('/v1/events').set('Authorization', villager).expect(403);
  });

  it('PostgreSQL owns what is pending: with the jobs gone from Redis, the reconciler queues them again and nothing is lost', async () => {
    const { r, url } = await receiver();
    const sub = await subscribe(url, { startAfter: 'head' });
    r.secrets = [sub.secret];
    r.mode = 'fail';
    const seqs = await seqsOf(await transfers(3));
    await waitFor('a failed attempt (the job now delayed in Redis)', () => r.seen.length >= 1);
    // Redis loses everything of the webhooks queue (flushed): the delayed job is gone.
    const queue = worker.get<Queue>(getQueueToken(QueueName.Webhooks));
    await queue.obliterate({ force: true });
    r.mode = 'ok';
    const report = await worker.get(PendingWorkReconciler).reconcile();
    expect(report.skipped || report.webhooks >= 1).toBe(true);
    await waitFor('everything delivered', () => seqs.every((s) => r.delivered.includes(s)));
    expect(r.delivered).toEqual(seqs);
  });
});
