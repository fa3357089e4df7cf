import { getQueueToken, WorkerHost } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ChainReport } from '@forest-ledger/ledger';
import { setTimeout as sleep } from 'node:timers/promises';
import { Env, LedgerJob, loadEnv, QueueName, SCHEDULED_JOB_OPTIONS, scheduledJobId, ScheduledRunsStore, UNBOUNDED_STALLS } from '@forest-ledger/platform';
import { Queue, QueueEvents } from 'bullmq';
import { DividendsProcessor } from '../../apps/worker/src/dividends.processor';
import { LandUseProcessor } from '../../apps/worker/src/land-use.processor';
import { LedgerProcessor } from '../../apps/worker/src/ledger.processor';
import { PendingWorkReconciler } from '../../apps/worker/src/reconciler';
import { SubsidiesProcessor } from '../../apps/worker/src/subsidies.processor';
import { SCHEDULES } from '../../apps/worker/src/schedules';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { LedgerFactory } from '../factories/ledger.factory';
import { TEST_REDIS_URL } from '../setup/databases';
import { dueDaysFinished } from '../setup/schedule-days';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let worker: INestApplicationContext;
let events: QueueEvents;
let prefix: string;

beforeAll(async () => {
  // The file's queues live under their own prefix: no other test file or local server shares its jobs.
  prefix = `test-${db.name}`;
  const env = loadEnv({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'silent', NODE_ENV: 'test', QUEUE_PREFIX: prefix });
  const moduleRef = await Test.createTestingModule({ imports: [WorkerModule] })
    .overrideProvider(Env)
    .useValue(env)
    .compile();
  worker = moduleRef;
  await worker.init();
  events = new QueueEvents(QueueName.Ledger, { connection: { url: TEST_REDIS_URL }, prefix });
  await events.waitUntilReady();
});

afterAll(async () => {
  for (const name of [QueueName.Ledger, QueueName.Dividends, QueueName.LandUse, QueueName.Subsidies]) await worker?.get<Queue>(getQueueToken(name)).obliterate({ force: true });
  await events?.close();
  await worker?.close();
});

describe('worker', () => {
  it("takes a dead worker's job over on every queue without a cap: no job ends failed because workers died (issue 15)", () => {
    const hosts = [DividendsProcessor, LandUseProcessor, LedgerProcessor, SubsidiesProcessor].map((type) => worker.get<WorkerHost>(type));
    expect(hosts.map((h) => [h.worker.name, h.worker.opts.maxStalledCount])).toEqual(
      [QueueName.Dividends, QueueName.LandUse, QueueName.Ledger, QueueName.Subsidies].map((name) => [name, UNBOUNDED_STALLS]),
    );
  });

  it('runs the chain verification job on the real queue and returns the report', async () => {
    const f = new LedgerFactory(db.dataSource);
    await f.cnyWorld(['party:A:wallet:CNY']);
    await f.transfer('bank:ICBC-YC:CNY', 'party:A:wallet:CNY', '12.34');
    const queue = worker.get<Queue>(getQueueToken(QueueName.Ledger));
    const job = await queue.add(LedgerJob.VerifyChain, {});
    const report = (await job.waitUntilFinished(events, 30_000)) as ChainReport;
    expect(report).toMatchObject({ ok: true, entriesChecked: 1 });
  });

  it('runs the daily and nightly jobs from scheduled_runs, once per day, with no BullMQ job scheduler to lose', async () => {
    const runs = worker.get(ScheduledRunsStore);
    const expected = SCHEDULES.map((s) => s.name).sort();
    // The reconciler's first pass (at start) queues each schedule's due day; the jobs run and finish it.
    const finished = async (now: Date) =>
      dueDaysFinished(
        (await runs.list()).map((r) => ({ ...r, finished: r.finishedAt !== null })),
        now,
      );
    let now = new Date();
    for (let waited = 0; !(await finished(now)); waited += 100) {
      if (waited > 30_000) throw new Error(`the scheduled runs did not finish: ${JSON.stringify(await runs.list())}`);
      await sleep(100);
      now = new Date();
    }
    const done = await runs.list();
    expect([...new Set(done.map((r) => r.schedule))].sort()).toEqual(expected);
    for (const r of done) expect([r.schedule, r.runs]).toEqual([r.schedule, 1]);
    expect(done.find((r) => r.schedule === 'verify-chain-nightly')?.outcome).toMatchObject({ ok: true });
    // Each day's job waits out an outage (about 2¼ hours of retries) rather than losing its day.
    for (const r of done) {
      const s = SCHEDULES.find((x) => x.name === r.schedule)!;
      const job = await worker.get<Queue>(getQueueToken(s.queue)).getJob(scheduledJobId(s.name, r.day));
      expect([r.schedule, job?.opts.attempts, job?.opts.backoff]).toEqual([r.schedule, SCHEDULED_JOB_OPTIONS.attempts, SCHEDULED_JOB_OPTIONS.backoff]);
    }
    // Another pass finds every due day finished: nothing queued, nothing run again.
    expect(await worker.get(PendingWorkReconciler).reconcile(now)).toMatchObject({ skipped: false, added: [], scheduled: [] });
    expect((await runs.list()).filter((r) => r.runs !== 1)).toEqual([]);
    for (const name of [QueueName.Ledger, QueueName.LandUse, QueueName.Subsidies]) expect(await worker.get<Queue>(getQueueToken(name)).getJobSchedulers()).toEqual([]);
  });

  it('runs the land-use and subsidy daily jobs on their real queues', async () => {
    for (const [name, job, asOf] of [
      [QueueName.LandUse, 'run-daily', '2026-01-01'],
      [QueueName.Subsidies, 'pay-due', '2026-01-01'],
    ] as const) {
      const queueEvents = new QueueEvents(name, { connection: { url: TEST_REDIS_URL }, prefix });
      await queueEvents.waitUntilReady();
      try {
        const added = await worker.get<Queue>(getQueueToken(name)).add(job, { asOf });
        expect(await added.waitUntilFinished(queueEvents, 30_000)).toMatchObject({ asOf });
      } finally {
        await queueEvents.close();
      }
    }
  });
});
