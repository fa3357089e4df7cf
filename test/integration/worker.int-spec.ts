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
  await worker?.get<Queue>(getQueueToken(QueueName.Ledger)).obliterate({ force: true });
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
});
