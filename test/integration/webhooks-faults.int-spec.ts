import { QueueName } from '@forest-ledger/platform';
import { Queue } from 'bullmq';
import { setTimeout as sleep } from 'node:timers/promises';
import { DataSource } from 'typeorm';
import { WebhooksService } from '@forest-ledger/forestry';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { LedgerFactory } from '../factories/ledger.factory';
import { RedisServer, until, WorkerProcess } from '../setup/processes';
import { createTestApp } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';
import { WebhookReceiver } from '../setup/webhook-receiver';

/**
 * Webhook delivery through faults (issue 17), with real processes: worker processes (ts-node, as in production)
 * on this file's own Redis (port 6392, killed and restarted empty here), and a real receiver in this process
 * that verifies every signature. Whatever dies, every event arrives, in feed order per subscription; an event
 * may arrive again (a worker killed between the receiver's 200 and the cursor's update), always with its id.
 */
const db = useTestDatabase();
const REDIS_PORT = 6392;
const BOOT_TIMEOUT_MS = 180_000;
const redis = new RedisServer(REDIS_PORT);
const workers: WorkerProcess[] = [];
let queue: Queue;
let app: ApiApplication;
let ds: DataSource;
let ledger: LedgerFactory;
const receiver = new WebhookReceiver();
let subscriptionId: string;

async function startWorker(label: string): Promise<WorkerProcess> {
  const w = new WorkerProcess(label, {
    DATABASE_URL: db.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: `test-${db.name}`,
    RECONCILE_INTERVAL_MS: '500',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    WEBHOOK_TIMEOUT_MS: '3000',
    WEBHOOK_BACKOFF_MS: '100',
    WEBHOOK_BACKOFF_MAX_MS: '500',
  });
  workers.push(w);
  await until(`waiting for ${label} to connect`, async () => ((await queue.getWorkers()).length >= 1 ? true : undefined), {
    timeoutMs: BOOT_TIMEOUT_MS,
    everyMs: 200,
    process: w,
  });
  return w;
}

/** Posts `n` transfers. */
async function transfers(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await ledger.transfer('bank:ICBC-YC:CNY', 'party:A:wallet:CNY', '1.00');
}

/** The feed sequences of every entry event, once the worker's relay has published all `count` of them. */
async function publishedSeqs(count: number, worker: WorkerProcess): Promise<number[]> {
  return until(
    `waiting for ${count} published events`,
    async () => {
      const rows = await ds.query<Array<{ seq: string }>>(
        `SELECT feed_seq::text AS seq FROM outbox_events WHERE type = 'ledger.entry.posted' AND feed_seq IS NOT NULL ORDER BY feed_seq`,
      );
      return rows.length >= count ? rows.map((r) => Number(r.seq)) : undefined;
    },
    { timeoutMs: 60_000, everyMs: 100, process: worker },
  );
}

/** The first delivery of each event in arrival order (what a receiver deduplicating by id keeps), and whether every repeat carried the same id. */
function deduplicated(): { seqs: number[]; sameIds: boolean } {
  const idOf = new Map<number, string>();
  const seqs: number[] = [];
  let sameIds = true;
  for (const x of receiver.seen.filter((s) => s.mode === 'ok')) {
    if (idOf.has(x.seq)) sameIds &&= idOf.get(x.seq) === x.id;
    else {
      idOf.set(x.seq, x.id);
      seqs.push(x.seq);
    }
  }
  return { seqs, sameIds };
}

beforeAll(async () => {
  await redis.up();
  queue = new Queue(QueueName.Webhooks, { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix: `test-${db.name}` });
  // While this file's Redis is killed, the queue's reconnect errors are expected.
  queue.on('error', () => undefined);
  app = await createTestApp(db, { WEBHOOK_ALLOW_PRIVATE: 'true' });
  ds = db.dataSource;
  ledger = new LedgerFactory(ds);
  await ledger.cnyWorld(['party:A:wallet:CNY']);
  const url = await receiver.start();
  const sub = await app.get(WebhooksService).create(ds.manager, { url, types: ['ledger.entry.posted'], startAfter: '0' }, null);
  subscriptionId = sub.id;
  receiver.secrets = [sub.secret];
}, 60_000);

afterAll(async () => {
  try {
    for (const w of workers) await w.kill('SIGTERM');
  } finally {
    await queue?.close();
    await receiver.stop();
    await app?.close();
    await redis.kill('SIGKILL');
  }
});

describe('webhook delivery through faults (issue 17)', () => {
  let survivor: WorkerProcess;

  it('a worker SIGKILLed during a delivery: another takes the job over; every event delivered in order, repeats with the same id', async () => {
    const first = await startWorker('worker A');
    receiver.delayMs = 400;
    await transfers(8);
    const seqs = await publishedSeqs(8, first);
    await until('a delivery in flight', () => Promise.resolve(receiver.seen.length >= 3 ? true : undefined), { timeoutMs: 60_000, everyMs: 20, process: first });
    await first.kill('SIGKILL');
    const seenAtKill = receiver.seen.length;
    expect(seenAtKill).toBeLessThan(8);
    survivor = await startWorker('worker B');
    await until('every event delivered', () => Promise.resolve(seqs.every((s) => receiver.delivered.includes(s)) ? true : undefined), {
      timeoutMs: 90_000,
      everyMs: 100,
      process: survivor,
    });
    const { seqs: firsts, sameIds } = deduplicated();
    expect(firsts).toEqual(seqs);
    expect(sameIds).toBe(true);
    expect(receiver.seen.every((x) => x.verifiedWith.length === 1)).toBe(true);
  }, 400_000);

  it('Redis killed while deliveries wait out a back-off, restarted empty: the reconciler queues them again and nothing is lost', async () => {
    receiver.delayMs = 0;
    receiver.mode = 'fail';
    const before = receiver.seen.length;
    await transfers(3);
    const seqs = (await publishedSeqs(11, survivor)).slice(-3);
    await until('a failed attempt', () => Promise.resolve(receiver.seen.length > before ? true : undefined), { timeoutMs: 30_000, everyMs: 20, process: survivor });
    await redis.kill('SIGKILL');
    await transfers(2);
    const more = (await publishedSeqs(13, survivor)).slice(-2);
    await sleep(500);
    await redis.up();
    receiver.mode = 'ok';
    await until('every event delivered after Redis came back', () => Promise.resolve([...seqs, ...more].every((s) => receiver.delivered.includes(s)) ? true : undefined), {
      timeoutMs: 90_000,
      everyMs: 100,
      process: survivor,
    });
    const { seqs: firsts, sameIds } = deduplicated();
    expect(firsts.slice(-5)).toEqual([...seqs, ...more]);
    expect(sameIds).toBe(true);
    // The cursor moves once the receiver's 200 is in: at the last event.
    await until(
      'the cursor at the last event',
      async () => {
        const [row] = await ds.query<Array<{ cursor: string }>>(`SELECT cursor::text AS cursor FROM webhook_subscriptions WHERE id = $1`, [subscriptionId]);
        return row.cursor === String(more[1]) ? true : undefined;
      },
      { timeoutMs: 10_000, everyMs: 50, process: survivor },
    );
    survivor.assertAlive('after Redis came back');
  }, 200_000);
});
