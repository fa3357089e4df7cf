import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DistributionOutcome, projectDividendReserve, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { DEFAULT_JOB_OPTIONS, dividendJobId, DividendJob, QueueName } from '@forest-ledger/platform';
import { Queue, QueueEvents } from 'bullmq';
import { declareAndApprove, DividendServices, dividendServices, fundProject, paidByDeclaration, staffUser } from '../factories/dividends.factory';
import { balance, lishuSeries, seedTicketWorld, TicketServices, ticketServices } from '../factories/tickets.factory';
import { TEST_REDIS_URL } from '../setup/databases';
import { useTestDatabase } from '../setup/test-database';

/**
 * The distribution survives a real crash: the worker PROCESS is killed (SIGKILL) in the middle of a
 * distribution, a new worker process takes the stalled job over, and every holder is paid exactly once,
 * the payments adding up to the cent to the declared pool.
 */
const db = useTestDatabase();
const ROOT = join(__dirname, '..', '..');
/** 300 villagers and the collective hold units: 301 holders, 5 per chunk → 61 chunks, each its own transaction. */
const VILLAGERS = 300;
const CHUNK_SIZE = 5;
const AMOUNT = '98765.43';
const BOOT_TIMEOUT_MS = 30_000;
/**
 * DIVIDEND_JOB_LOCK_MS of the workers: the job's lock and the stalled check. A new worker moves the dead one's
 * job back to wait at its second stalled check after the lock expired; with the default (30 s) that took
 * over a minute, so the test shortens it.
 */
const LOCK_MS = 2_000;
const TAKEOVER_TIMEOUT_MS = 30_000;

let prefix: string;
let queue: Queue;
let events: QueueEvents;
let t: TicketServices;
let d: DividendServices;
const workers: WorkerProcess[] = [];

/** `node apps/worker/src/main.ts` (ts-node, path aliases) on the file's database, Redis and queue prefix. */
class WorkerProcess {
  private readonly child: ChildProcess;
  private output = '';
  private stopping = false;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  readonly exited: Promise<void>;

  constructor(readonly label: string) {
    this.child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/worker/src/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
        NODE_ENV: 'test',
        DATABASE_URL: db.url,
        REDIS_URL: TEST_REDIS_URL,
        QUEUE_PREFIX: prefix,
        DB_POOL_SIZE: '5',
        LOG_LEVEL: 'warn',
        DIVIDEND_JOB_LOCK_MS: String(LOCK_MS),
        NO_COLOR: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-8000));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.output += `\n${error.message}`;
        this.exit ??= { code: null, signal: null };
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Throws, with the process's last output, when it has died. */
  assertAlive(while_: string): void {
    if (this.exit) throw new Error(`${this.label} died (code ${this.exit.code}, signal ${this.exit.signal}) while ${while_}; its last output:\n${this.output}`);
  }

  /** Rejects, with the last output, as soon as the process dies unless killed here (then it never settles). */
  async dies(while_: string): Promise<never> {
    await this.exited;
    if (!this.stopping) this.assertAlive(while_);
    return new Promise<never>(() => undefined);
  }

  /** Sends `signal`, and SIGKILL if the process is still there after `graceMs`. */
  async kill(signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
    if (this.exit) return;
    this.stopping = true;
    this.child.kill(signal);
    const grace = new AbortController();
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs, false, { signal: grace.signal }).catch(() => false)]);
    grace.abort();
    if (!stopped) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Polls `probe` every `everyMs` until it returns a value; fails on timeout or when `process` dies. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, options: { timeoutMs: number; everyMs: number; process?: WorkerProcess }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.process?.assertAlive(what);
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms ${what}`);
    await sleep(options.everyMs);
  }
}

/** A worker process whose dividends worker is connected to the queue. */
async function startWorker(label: string): Promise<WorkerProcess> {
  const worker = new WorkerProcess(label);
  workers.push(worker);
  await until(`waiting for ${label} to connect`, async () => ((await queue.getWorkers()).length >= 1 ? true : undefined), { timeoutMs: BOOT_TIMEOUT_MS, everyMs: 100, process: worker });
  return worker;
}

beforeAll(async () => {
  prefix = `test-${db.name}`;
  queue = new Queue(QueueName.Dividends, { connection: { url: TEST_REDIS_URL }, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS });
  events = new QueueEvents(QueueName.Dividends, { connection: { url: TEST_REDIS_URL }, prefix });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  t = ticketServices(db.dataSource);
  d = dividendServices(t);
});

afterAll(async () => {
  try {
    for (const w of workers) await w.kill('SIGTERM');
  } finally {
    // The workers registered their schedules on the other queues under the same prefix.
    for (const name of Object.values(QueueName)) {
      const q = name === QueueName.Dividends ? queue : new Queue(name, { connection: { url: TEST_REDIS_URL }, prefix });
      try {
        await q?.obliterate({ force: true });
      } finally {
        if (q !== queue) await q.close();
      }
    }
    await events?.close();
    await queue?.close();
  }
});

describe('dividend distribution across a killed worker process', () => {
  it('a worker process SIGKILLed mid-distribution: the next process finishes the job, every holder paid exactly once', async () => {
    const world = await seedTicketWorld(t, { villagers: VILLAGERS, households: 60, parcels: 3 });
    const maker = await staffUser(t, 'FARM_OPERATOR');
    const checker = await staffUser(t, 'APPROVER');
    await lishuSeries(t, world, 'CRASH-2026', { collectiveRetainedRatio: '0.30' });
    await fundProject(t, d, 'CRASH-2026', AMOUNT);
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'CRASH-2026', amount: AMOUNT, recordDate: '2026-06-30', paymentDate: '2026-07-15', chunkSize: CHUNK_SIZE });
    let stalled = false;
    events.on('stalled', ({ jobId }) => (stalled ||= jobId === dividendJobId(decl.id, decl.round)));

    // The first worker process starts the distribution and is killed as soon as a chunk is committed.
    const first = await startWorker('the first worker');
    const job = await queue.add(DividendJob.Distribute, { declarationId: decl.id, round: decl.round }, { jobId: dividendJobId(decl.id, decl.round) });
    const atKill = await until(
      'waiting for the first chunks',
      async () => {
        const p = await d.dividends.progress(decl.id);
        return p.state === 'DISTRIBUTING' && p.chunksDone >= 1 && p.chunksDone < p.chunksTotal ? p : undefined;
      },
      { timeoutMs: 30_000, everyMs: 10, process: first },
    );
    await first.kill('SIGKILL');
    expect(first.exit).toEqual({ code: null, signal: 'SIGKILL' });
    expect(atKill).toMatchObject({ holdersTotal: VILLAGERS + 1, chunksTotal: Math.ceil((VILLAGERS + 1) / CHUNK_SIZE) });

    // Part done, and nobody at work: the job is still active in BullMQ, held by a dead worker's lock.
    await until('waiting for the dead worker to leave Redis', async () => ((await queue.getWorkers()).length === 0 ? true : undefined), { timeoutMs: 10_000, everyMs: 50 });
    const afterKill = await d.dividends.progress(decl.id);
    expect(afterKill.state).toBe('DISTRIBUTING');
    expect(afterKill.chunksDone).toBeGreaterThanOrEqual(atKill.chunksDone); // a chunk committing at the kill may have made it
    expect(afterKill.chunksDone).toBeLessThan(afterKill.chunksTotal);
    expect(new Dec(afterKill.amountDistributed).lessThan(AMOUNT)).toBe(true);
    expect(await job.getState()).toBe('active');

    // A new worker process takes the stalled job over once the dead one's lock has expired.
    const second = await startWorker('the second worker');
    const outcome = (await Promise.race([job.waitUntilFinished(events, TAKEOVER_TIMEOUT_MS), second.dies('finishing the distribution')])) as DistributionOutcome;
    second.assertAlive('finishing the distribution');
    expect(stalled).toBe(true); // taken over as a stalled job, not retried after a failure

    const chunksTotal = Math.ceil((VILLAGERS + 1) / CHUNK_SIZE);
    expect(outcome).toMatchObject({ state: 'DISTRIBUTED', progress: { holdersTotal: VILLAGERS + 1, holdersDone: VILLAGERS + 1, chunksTotal, chunksDone: chunksTotal, amountDistributed: AMOUNT } });
    expect(await d.dividends.progress(decl.id)).toMatchObject({ state: 'DISTRIBUTED', holdersDone: VILLAGERS + 1, chunksDone: chunksTotal, amountDistributed: AMOUNT });

    // Every holder got exactly its line, once (paidByDeclaration throws on a wallet credited twice) …
    const lines = await d.dividends.lines(decl.id);
    const paid = await paidByDeclaration(t, decl.id);
    expect(lines).toHaveLength(VILLAGERS + 1);
    for (const l of lines) {
      expect(l.entryId).not.toBeNull();
      expect(paid.get(walletOf(l.party)) ?? '0.00').toBe(l.amount);
    }
    expect(paid.size).toBe(lines.filter((l) => !new Dec(l.amount).isZero()).length);
    // … the lines and the credits each add up to the pool to the cent, and the reserve is spent to zero …
    expect(lines.reduce((sum, l) => sum.plus(l.amount), new Dec(0)).toFixed(2)).toBe(AMOUNT);
    expect([...paid.values()].reduce((sum, a) => sum.plus(a), new Dec(0)).toFixed(2)).toBe(AMOUNT);
    expect(await balance(t, projectDividendReserve('CRASH-2026'))).toBe('0');
    // … and each chunk was booked by one entry under its deterministic key, none twice, none else.
    const entries = (await db.dataSource.query(
      `SELECT idempotency_key AS key, count(*)::int AS n FROM ledger_entries WHERE idempotency_key LIKE $1 GROUP BY idempotency_key`,
      [`dividend:${decl.id}:chunk:%`],
    )) as Array<{ key: string; n: number }>;
    const expected = Array.from({ length: chunksTotal }, (_, i) => `dividend:${decl.id}:chunk:${i + 1}:1`).sort();
    expect(entries.map((e) => e.key).sort()).toEqual(expected);
    expect(entries.every((e) => e.n === 1)).toBe(true);
    const [{ n }] = (await db.dataSource.query(`SELECT count(*)::int AS n FROM ledger_entries WHERE kind = 'DIVIDEND_DISTRIBUTION' AND metadata ->> 'declaration' = $1`, [decl.id])) as Array<{
      n: number;
    }>;
    expect(n).toBe(chunksTotal);
  }, 90_000);
});
