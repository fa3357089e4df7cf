import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ChainReport } from '@forest-ledger/ledger';
import { Env, LedgerJob, loadEnv, QueueName } from '@forest-ledger/platform';
import { Queue, QueueEvents } from 'bullmq';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { LedgerFactory } from '../factories/ledger.factory';
import { TEST_REDIS_URL } from '../setup/databases';
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
  it('runs the chain verification job on the real queue and returns the report', async () => {
    const f = new LedgerFactory(db.dataSource);
    await f.cnyWorld(['party:A:wallet:CNY']);
    await f.transfer('bank:ICBC-YC:CNY', 'party:A:wallet:CNY', '12.34');
    const queue = worker.get<Queue>(getQueueToken(QueueName.Ledger));
    const job = await queue.add(LedgerJob.VerifyChain, {});
    const report = (await job.waitUntilFinished(events, 30_000)) as ChainReport;
    expect(report).toMatchObject({ ok: true, entriesChecked: 1 });
  });

  it('registers the nightly verification schedule', async () => {
    const queue = worker.get<Queue>(getQueueToken(QueueName.Ledger));
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toContain('verify-chain-nightly');
  });

  it('registers the daily runs of the state-land contracts (01:00) and the subsidy instalments (02:00), China time', async () => {
    const landUse = await worker.get<Queue>(getQueueToken(QueueName.LandUse)).getJobSchedulers();
    const subsidies = await worker.get<Queue>(getQueueToken(QueueName.Subsidies)).getJobSchedulers();
    expect(landUse.map((s) => [s.key, s.pattern, s.tz])).toEqual([['land-use-daily', '0 0 1 * * *', 'Asia/Shanghai']]);
    expect(subsidies.map((s) => [s.key, s.pattern, s.tz])).toEqual([['subsidies-daily', '0 0 2 * * *', 'Asia/Shanghai']]);
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
