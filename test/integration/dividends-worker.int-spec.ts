import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DistributionOutcome, walletOf } from '@forest-ledger/forestry';
import { dividendJobId, DividendJob, Env, loadEnv, QueueName } from '@forest-ledger/platform';
import { Queue, QueueEvents } from 'bullmq';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { declareAndApprove, DividendServices, dividendServices, fundProject, paidByDeclaration, staffUser } from '../factories/dividends.factory';
import { lishuSeries, seedTicketWorld, TicketServices, ticketServices } from '../factories/tickets.factory';
import { TEST_REDIS_URL } from '../setup/databases';
import { useTestDatabase } from '../setup/test-database';

/** The distribution as a BullMQ job in the real worker module, on real Redis: resumed after a crash, every holder paid once. */
const db = useTestDatabase();
let worker: INestApplicationContext;
let events: QueueEvents;
let queue: Queue;
let t: TicketServices;
let d: DividendServices;

beforeAll(async () => {
  const prefix = `test-${db.name}`;
  const env = loadEnv({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'silent', NODE_ENV: 'test', QUEUE_PREFIX: prefix });
  worker = await Test.createTestingModule({ imports: [WorkerModule] })
    .overrideProvider(Env)
    .useValue(env)
    .compile();
  await worker.init();
  queue = worker.get<Queue>(getQueueToken(QueueName.Dividends));
  events = new QueueEvents(QueueName.Dividends, { connection: { url: TEST_REDIS_URL }, prefix });
  await events.waitUntilReady();
  t = ticketServices(db.dataSource);
  d = dividendServices(t);
});

afterAll(async () => {
  await queue?.obliterate({ force: true });
  await events?.close();
  await worker?.close();
});

describe('dividend distribution job', () => {
  it('resumes a distribution a crashed worker left half done, and pays every holder exactly once', async () => {
    const world = await seedTicketWorld(t, { villagers: 30, households: 10, parcels: 3 });
    const maker = await staffUser(t, 'FARM_OPERATOR');
    const checker = await staffUser(t, 'APPROVER');
    await lishuSeries(t, world, 'JOB-2026', { collectiveRetainedRatio: '0.30' });
    await fundProject(t, d, 'JOB-2026', '12345.67');
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'JOB-2026', amount: '12345.67', recordDate: '2026-06-30', paymentDate: '2026-07-15', chunkSize: 4 });
    // The worker that died: three chunks committed, then nothing.
    const crashed = await d.dividends.distribute(decl.id, { maxChunks: 3 });
    expect(crashed).toMatchObject({ state: 'DISTRIBUTING', progress: { holdersTotal: 31, holdersDone: 12, chunksTotal: 8, chunksDone: 3 } });

    const job = await queue.add(DividendJob.Distribute, { declarationId: decl.id, round: decl.round }, { jobId: dividendJobId(decl.id, decl.round) });
    const duplicate = await queue.add(DividendJob.Distribute, { declarationId: decl.id, round: decl.round }, { jobId: dividendJobId(decl.id, decl.round) });
    expect(duplicate.id).toBe(job.id);
    const outcome = (await job.waitUntilFinished(events, 30_000)) as DistributionOutcome;
    expect(outcome).toMatchObject({ state: 'DISTRIBUTED', progress: { holdersTotal: 31, holdersDone: 31, chunksDone: 8, amountDistributed: '12345.67' } });
    const finished = await queue.getJob(job.id!);
    expect(finished?.progress).toMatchObject({ holdersDone: 31, holdersTotal: 31 });

    const paid = await paidByDeclaration(t, decl.id);
    const lines = await d.dividends.lines(decl.id);
    expect(lines).toHaveLength(31);
    for (const l of lines) expect(paid.get(walletOf(l.party)) ?? '0.00').toBe(l.amount);
    expect(await d.dividends.progress(decl.id)).toMatchObject({ state: 'DISTRIBUTED', holdersDone: 31 });
  });

  it('a declaration gone stale finishes the job as STALE, paying nobody', async () => {
    const world = await seedTicketWorld(t, { collective: 'C-JOB2', prefix: 'J-', villagers: 3, households: 1, parcels: 3 });
    const maker = await staffUser(t, 'ADMIN');
    const checker = await staffUser(t, 'APPROVER');
    await lishuSeries(t, world, 'JOB-STALE', { collectiveRetainedRatio: '0' });
    await fundProject(t, d, 'JOB-STALE', '30.00');
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'JOB-STALE', amount: '30.00', recordDate: '2026-06-30', paymentDate: '2026-07-15' });
    await t.ds.transaction((em) =>
      t.movements.inherit(em, 'JOB-STALE', { from: 'J-V-0001', heirs: [{ party: 'J-V-0002', units: '300000' }], documentReference: '(2026)晋阳证字第1号', effectiveDate: '2026-06-01' }, 'inherit-1'),
    );
    const job = await queue.add(DividendJob.Distribute, { declarationId: decl.id, round: decl.round }, { jobId: dividendJobId(decl.id, decl.round) });
    const outcome = (await job.waitUntilFinished(events, 30_000)) as DistributionOutcome;
    expect(outcome.state).toBe('STALE');
    expect(await paidByDeclaration(t, decl.id)).toEqual(new Map());
  });
});
