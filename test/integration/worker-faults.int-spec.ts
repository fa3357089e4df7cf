import { setTimeout as sleep } from 'node:timers/promises';
import { DeclarationView, projectDividendReserve, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { dividendJobId, QueueName } from '@forest-ledger/platform';
import { Queue } from 'bullmq';
import Redis from 'ioredis';
import { SCHEDULES } from '../../apps/worker/src/schedules';
import { declareAndApprove, DividendServices, dividendServices, fundProject, paidByDeclaration, staffUser } from '../factories/dividends.factory';
import { balance, lishuSeries, seedTicketWorld, TicketServices, ticketServices } from '../factories/tickets.factory';
import { RedisServer, until, WorkerProcess } from '../setup/processes';
import { dueDaysFinished, RunRow } from '../setup/schedule-days';
import { useTestDatabase } from '../setup/test-database';

/**
 * Faults survived by the service alone, with real processes: the worker process SIGKILLed twice in one
 * distribution, Redis flushed mid-distribution, Redis killed and restarted empty, and the daily runs
 * after Redis loss. PostgreSQL holds the pending work; the worker's reconciler re-creates lost jobs.
 * Redis is this file's own server (the machine's is never flushed or stopped).
 */
const db = useTestDatabase();
/** One of the ports set aside for this file's Redis. */
const REDIS_PORT = 6391;
/** 300 villagers and the collective hold units: 301 holders, 3 per chunk → 101 chunks, each its own transaction. */
const VILLAGERS = 300;
const CHUNK_SIZE = 3;
const CHUNKS = Math.ceil((VILLAGERS + 1) / CHUNK_SIZE);
const AMOUNT = '98765.43';
const PROJECT = 'FAULT-2026';
/** A worker boots in seconds (ts-node); a loaded machine can make it a minute. */
const BOOT_TIMEOUT_MS = 180_000; // three ts-node workers on a busy 2-core machine
/** DIVIDEND_JOB_LOCK_MS of the workers: a dead worker's job is taken over within about twice this (BullMQ's default is 30 s). */
const LOCK_MS = 2_000;
/** RECONCILE_INTERVAL_MS of the workers (a minute in production). */
const RECONCILE_MS = 500;

const redis = new RedisServer(REDIS_PORT);
let queue: Queue;
let admin: Redis;
let t: TicketServices;
let d: DividendServices;
let declare: () => Promise<DeclarationView>;
const workers: WorkerProcess[] = [];

/** Worker processes on this file's database, Redis and queue prefix, once the dividends worker of each is connected. */
async function startWorkers(labels: string[]): Promise<WorkerProcess[]> {
  const started = labels.map(
    (label) =>
      new WorkerProcess(label, {
        DATABASE_URL: db.url,
        REDIS_URL: redis.url,
        QUEUE_PREFIX: `test-${db.name}`,
        DIVIDEND_JOB_LOCK_MS: String(LOCK_MS),
        RECONCILE_INTERVAL_MS: String(RECONCILE_MS),
      }),
  );
  workers.push(...started);
  for (const w of started) {
    await until(`waiting for ${labels.length} workers to connect`, async () => ((await queue.getWorkers()).length >= labels.length ? true : undefined), {
      timeoutMs: BOOT_TIMEOUT_MS,
      everyMs: 100,
      process: w,
    });
  }
  return started;
}

/** The live worker process holding the job (BullMQ's processedBy is the worker's host:pid), once one does. */
function holderOf(jobId: string, live: WorkerProcess[]): Promise<WorkerProcess> {
  return until(
    `waiting for a live worker to hold job ${jobId}`,
    async () => {
      for (const w of live) w.assertAlive(`waiting for job ${jobId}`);
      const job = await queue.getJob(jobId);
      return (await job?.getState()) === 'active' ? live.find((w) => job?.processedBy?.endsWith(`:${w.pid}`)) : undefined;
    },
    { timeoutMs: 30_000, everyMs: 20 },
  );
}

/** The declaration's progress once it has done more than `chunks` chunks (and is not finished); fails when any of `watch` dies. */
function pastChunk(decl: DeclarationView, chunks: number, worker: WorkerProcess, watch: WorkerProcess[] = [worker], timeoutMs = 30_000) {
  return until(
    `waiting for chunk ${chunks + 1} of declaration ${decl.id}`,
    async () => {
      for (const w of watch) w.assertAlive(`distributing declaration ${decl.id}`);
      const p = await d.dividends.progress(decl.id);
      if (p.state === 'DISTRIBUTED') throw new Error(`declaration ${decl.id} finished before the fault could be injected`);
      return p.state === 'DISTRIBUTING' && p.chunksDone > chunks ? p : undefined;
    },
    { timeoutMs, everyMs: 10, process: worker },
  );
}

/** The job ids the worker's reconciler logged as re-created (its warning lists them). */
function reconcilerAdded(worker: WorkerProcess): string[] {
  return worker.lastOutput
    .split('\n')
    .filter((line) => line.includes('reconciler queued distributions'))
    .flatMap((line) => (JSON.parse(line) as { added: string[] }).added);
}

/** Waits for DISTRIBUTED, then checks every holder was paid exactly its line, once, and the total to the cent. */
async function expectPaidExactlyOnce(decl: DeclarationView, worker: WorkerProcess): Promise<void> {
  await until(`waiting for declaration ${decl.id} to be distributed`, async () => ((await d.dividends.progress(decl.id)).state === 'DISTRIBUTED' ? true : undefined), {
    timeoutMs: 30_000,
    everyMs: 50,
    process: worker,
  });
  expect(await d.dividends.progress(decl.id)).toMatchObject({
    holdersTotal: VILLAGERS + 1,
    holdersDone: VILLAGERS + 1,
    chunksTotal: CHUNKS,
    chunksDone: CHUNKS,
    amountDistributed: AMOUNT,
  });
  const lines = await d.dividends.lines(decl.id);
  const paid = await paidByDeclaration(t, decl.id); // throws on a wallet credited twice
  expect(lines).toHaveLength(VILLAGERS + 1);
  for (const l of lines) {
    expect(l.entryId).not.toBeNull();
    expect(paid.get(walletOf(l.party)) ?? '0.00').toBe(l.amount);
  }
  expect(paid.size).toBe(lines.filter((l) => !new Dec(l.amount).isZero()).length);
  expect(lines.reduce((sum, l) => sum.plus(l.amount), new Dec(0)).toFixed(2)).toBe(AMOUNT);
  expect([...paid.values()].reduce((sum, a) => sum.plus(a), new Dec(0)).toFixed(2)).toBe(AMOUNT);
  // Each chunk booked by one entry under its deterministic key, none twice.
  const entries = await db.dataSource.query<Array<{ key: string; n: number }>>(
    `SELECT idempotency_key AS key, count(*)::int AS n FROM ledger_entries WHERE idempotency_key LIKE $1 GROUP BY idempotency_key`,
    [`dividend:${decl.id}:chunk:%`],
  );
  expect(entries.map((e) => e.key).sort()).toEqual(Array.from({ length: CHUNKS }, (_, i) => `dividend:${decl.id}:chunk:${i + 1}:1`).sort());
  expect(entries.every((e) => e.n === 1)).toBe(true);
}

beforeAll(async () => {
  await redis.up();
  queue = new Queue(QueueName.Dividends, { connection: { url: redis.url, maxRetriesPerRequest: null }, prefix: `test-${db.name}` });
  admin = new Redis(redis.url, { maxRetriesPerRequest: null });
  await queue.waitUntilReady();
  t = ticketServices(db.dataSource);
  d = dividendServices(t);
  const world = await seedTicketWorld(t, { villagers: VILLAGERS, households: 60, parcels: 3 });
  const maker = await staffUser(t, 'FARM_OPERATOR');
  const checker = await staffUser(t, 'APPROVER');
  await lishuSeries(t, world, PROJECT, { collectiveRetainedRatio: '0.30' });
  await fundProject(t, d, PROJECT, new Dec(AMOUNT).times(3).toFixed(2));
  declare = () => declareAndApprove(t, d, maker, checker, { project: PROJECT, amount: AMOUNT, recordDate: '2026-06-30', paymentDate: '2026-07-15', chunkSize: CHUNK_SIZE });
}, 60_000);

afterAll(async () => {
  try {
    for (const w of workers) await w.kill('SIGTERM');
  } finally {
    await queue?.close();
    admin?.disconnect();
    await redis.kill('SIGKILL');
  }
});

describe('the worker survives its own death and the loss of Redis', () => {
  let survivor: WorkerProcess;

  it('worker processes SIGKILLed twice in one distribution: another takes the job over each time, every holder paid exactly once', async () => {
    // Three worker processes (booted together: a boot costs seconds); each kill hits the one holding the job.
    const pool = await startWorkers(['worker A', 'worker B', 'worker C']);
    // Approved only: nobody queues a job; a reconciler finds the work in PostgreSQL.
    const decl = await declare();
    const jobId = dividendJobId(decl.id, 1);
    let chunks = 0;
    for (let kill = 1; kill <= 2; kill++) {
      const live = pool.filter((w) => !w.exit);
      // A live worker holds the job (after a kill: took it over as stalled) and pays a chunk of its own.
      const holder = await holderOf(jobId, live);
      chunks = (await pastChunk(decl, (await d.dividends.progress(decl.id)).chunksDone, holder, live)).chunksDone;
      await holder.kill('SIGKILL');
    }
    expect(chunks).toBeLessThan(CHUNKS);
    survivor = pool.find((w) => !w.exit)!;
    await expectPaidExactlyOnce(decl, survivor);
    expect(await (await queue.getJob(jobId))?.getState()).toBe('completed'); // taken over as stalled twice, never failed
    expect(await d.dividends.get(decl.id)).toMatchObject({ round: 1, failedAt: null });
  }, 300_000);

  it('Redis flushed (FLUSHALL) mid-distribution: the reconciler queues the lost job again, every holder paid exactly once', async () => {
    const decl = await declare();
    await pastChunk(decl, 0, survivor);
    await admin.flushall();
    await expectPaidExactlyOnce(decl, survivor);
    // The job that finished it is the reconciler's, added after the flush (the lost one stopped at its next progress update).
    expect(await (await queue.getJob(dividendJobId(decl.id, 1)))?.getState()).toBe('completed');
    expect(reconcilerAdded(survivor)).toContain(dividendJobId(decl.id, 1));
    survivor.assertAlive('after the flush');
  }, 60_000);

  it('Redis killed and restarted empty mid-distribution: the worker reconnects, the job is queued again, every holder paid exactly once', async () => {
    const decl = await declare();
    await pastChunk(decl, 0, survivor);
    await redis.kill('SIGKILL');
    await sleep(500);
    await redis.up();
    await expectPaidExactlyOnce(decl, survivor);
    expect(reconcilerAdded(survivor)).toContain(dividendJobId(decl.id, 1));
    survivor.assertAlive('after Redis came back');
    expect(await balance(t, projectDividendReserve(PROJECT))).toBe('0');
  }, 60_000);

  it('the daily and nightly runs live in PostgreSQL: each day runs once, and a due day runs after Redis was lost', async () => {
    const runs = () =>
      db.dataSource.query<RunRow[]>(`SELECT schedule, to_char(day, 'YYYY-MM-DD') AS day, runs, finished_at IS NOT NULL AS finished FROM scheduled_runs ORDER BY schedule, day`);
    const names = SCHEDULES.map((s) => s.name).sort();
    const schedulesOf = (rows: RunRow[]) => [...new Set(rows.map((r) => r.schedule))].sort();
    const allFinished = async () => dueDaysFinished(await runs());
    // Run by the first worker's reconciler at its start, once, although Redis was flushed and then lost since.
    const before = await until("waiting for the day's runs", allFinished, { timeoutMs: 10_000, everyMs: 50, process: survivor });
    expect(schedulesOf(before)).toEqual(names);
    expect(before.filter((r) => r.runs !== 1)).toEqual([]);

    // A due day not yet run (its row gone, as on the next day), with Redis flushed: back within a reconcile interval, once.
    await admin.flushall();
    await db.dataSource.query(`DELETE FROM scheduled_runs`);
    const started = Date.now();
    const after = await until('waiting for the due runs after the flush', allFinished, { timeoutMs: 10_000, everyMs: 20, process: survivor });
    expect(Date.now() - started).toBeLessThan(RECONCILE_MS * 2 + 5_000);
    expect(schedulesOf(after)).toEqual(names);
    expect(after.filter((r) => r.runs !== 1)).toEqual([]);

    // Redis flushed again: finished days are not run again.
    await admin.flushall();
    await sleep(RECONCILE_MS * 4);
    expect((await runs()).filter((r) => r.runs !== 1)).toEqual([]);
    for (const name of [QueueName.Ledger, QueueName.LandUse, QueueName.Subsidies]) {
      const q = new Queue(name, { connection: { url: redis.url }, prefix: `test-${db.name}` });
      try {
        expect(await q.getJobSchedulers()).toEqual([]); // nothing of the schedules lives in Redis
      } finally {
        await q.close();
      }
    }
    survivor.assertAlive('running the schedules');
  }, 60_000);
});
