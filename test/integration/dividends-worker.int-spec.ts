import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DistributionOutcome, walletOf } from '@forest-ledger/forestry';
import { setTimeout as sleep } from 'node:timers/promises';
import { Dec } from '@forest-ledger/ledger';
import { dividendJobId, DividendJob, Env, inTransaction, loadEnv, Metrics, QueueName } from '@forest-ledger/platform';
import { Queue, QueueEvents } from 'bullmq';
import { PendingWorkReconciler, ReconcileReport } from '../../apps/worker/src/reconciler';
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
  // Reconciler passes only when the tests ask (and the one at start).
  const env = loadEnv({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'silent', NODE_ENV: 'test', QUEUE_PREFIX: prefix, RECONCILE_INTERVAL_MS: '3600000' });
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
  // The worker's reconciler queued the daily runs too, under the file's prefix.
  for (const name of Object.values(QueueName)) await worker?.get<Queue>(getQueueToken(name)).obliterate({ force: true });
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

  it('a declaration gone stale (approved before the register closed by rule) finishes the job as STALE, paying nobody', async () => {
    const world = await seedTicketWorld(t, { collective: 'C-JOB2', prefix: 'J-', villagers: 3, households: 1, parcels: 3 });
    const maker = await staffUser(t, 'ADMIN');
    const checker = await staffUser(t, 'APPROVER');
    await lishuSeries(t, world, 'JOB-STALE', { collectiveRetainedRatio: '0' });
    await fundProject(t, d, 'JOB-STALE', '30.00');
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'JOB-STALE', amount: '30.00', recordDate: '2026-06-30', paymentDate: '2026-07-15' });
    // Today such a movement is refused (REGISTER_CLOSED); booked as it was before that rule, with the declaration set aside for it.
    await t.ds.transaction(async (em) => {
      await em.query(`UPDATE dividend_declarations SET state = 'DRAFT' WHERE id = $1`, [decl.id]);
      await t.movements.inherit(
        em,
        'JOB-STALE',
        { from: 'J-V-0001', heirs: [{ party: 'J-V-0002', units: '300000' }], documentReference: '(2026)晋阳证字第1号', effectiveDate: '2026-06-01' },
        'inherit-1',
      );
      await em.query(`UPDATE dividend_declarations SET state = 'APPROVED' WHERE id = $1`, [decl.id]);
    });
    const job = await queue.add(DividendJob.Distribute, { declarationId: decl.id, round: decl.round }, { jobId: dividendJobId(decl.id, decl.round) });
    const outcome = (await job.waitUntilFinished(events, 30_000)) as DistributionOutcome;
    expect(outcome.state).toBe('STALE');
    expect(await paidByDeclaration(t, decl.id)).toEqual(new Map());
  });

  it('a re-approved declaration is paid: each approval round has its own job (issue 13)', async () => {
    const world = await seedTicketWorld(t, { collective: 'C-JOB3', prefix: 'R-', villagers: 3, households: 1, parcels: 3 });
    const maker = await staffUser(t, 'ADMIN');
    const checker = await staffUser(t, 'APPROVER');
    await lishuSeries(t, world, 'JOB-ROUND', { collectiveRetainedRatio: '0' });
    await fundProject(t, d, 'JOB-ROUND', '30.00');
    const [{ before }] = await t.ds.query<Array<{ before: string }>>(
      `SELECT COALESCE(max(m.id), 0)::text AS before FROM ticket_movements m JOIN ticket_series s ON s.id = m.series_id WHERE s.code = 'JOB-ROUND'`,
    );
    await t.ds.transaction((em) =>
      t.movements.inherit(
        em,
        'JOB-ROUND',
        { from: 'R-V-0001', heirs: [{ party: 'R-V-0002', units: '300000' }], documentReference: '(2026)晋阳证字第2号', effectiveDate: '2026-06-01' },
        'inherit-round',
      ),
    );
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'JOB-ROUND', amount: '30.00', recordDate: '2026-06-30', paymentDate: '2026-07-15' });
    expect(decl).toMatchObject({ state: 'APPROVED', round: 1 });
    // Stale through the service's own check: the approval's watermark set back as if the inheritance had been booked after it
    // (a movement dated on or before the record date of an approved declaration is refused once the register closes, issue 13 item 2).
    await t.ds.query(`UPDATE dividend_declarations SET movement_watermark = $2 WHERE id = $1`, [decl.id, before]);

    expect(await reconcile()).toMatchObject({ added: [dividendJobId(decl.id, 1)] });
    expect(await finished(dividendJobId(decl.id, 1))).toMatchObject({ state: 'STALE' });
    expect(await d.dividends.get(decl.id)).toMatchObject({ state: 'STALE', round: 1 });
    expect(await reconcile()).toMatchObject({ added: [] }); // STALE is no pending work

    // The second approval round gets its own job, although the first round's job is still there (completed).
    const again = await inTransaction(t.ds, (em) => d.dividends.approve(em, decl.id, checker));
    expect(again).toMatchObject({ state: 'APPROVED', round: 2 });
    expect(await reconcile()).toMatchObject({ added: [dividendJobId(decl.id, 2)] });
    expect(await finished(dividendJobId(decl.id, 2))).toMatchObject({ state: 'DISTRIBUTED', progress: { holdersTotal: 2, holdersDone: 2, amountDistributed: '30.00' } });
    expect(await (await queue.getJob(dividendJobId(decl.id, 1)))?.getState()).toBe('completed');

    const lines = await d.dividends.lines(decl.id);
    expect(lines.map((l) => [l.party, l.units, l.amount])).toEqual([
      ['R-V-0002', '600000', '20.00'],
      ['R-V-0003', '300000', '10.00'],
    ]);
    expect(await paidByDeclaration(t, decl.id)).toEqual(
      new Map([
        [walletOf('R-V-0002'), '20.00'],
        [walletOf('R-V-0003'), '10.00'],
      ]),
    );
    expect(await d.dividends.get(decl.id)).toMatchObject({ state: 'DISTRIBUTED', round: 2, failedAt: null });
  });

  it('a distribution that truly fails is marked failed, left alone by the reconciler, and resumed by an ADMIN after its last paid chunk', async () => {
    const world = await seedTicketWorld(t, { collective: 'C-JOB4', prefix: 'F-', villagers: 6, households: 2, parcels: 3 });
    const maker = await staffUser(t, 'ADMIN');
    const checker = await staffUser(t, 'APPROVER');
    await lishuSeries(t, world, 'JOB-FAIL', { collectiveRetainedRatio: '0' });
    await fundProject(t, d, 'JOB-FAIL', '60.00');
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'JOB-FAIL', amount: '60.00', recordDate: '2026-06-30', paymentDate: '2026-07-15', chunkSize: 2 });
    // The entitlements fixed, nothing paid; then the last holder's wallet is frozen: its chunk is refused (a domain error, not a crash).
    await d.dividends.distribute(decl.id, { maxChunks: 0 });
    const before = await d.dividends.lines(decl.id);
    const last = before[before.length - 1];
    await inTransaction(t.ds, (em) => t.ledger.setFrozen(em, walletOf(last.party), true));

    expect(await reconcile()).toMatchObject({ added: [dividendJobId(decl.id, 1)] });
    await expect(finished(dividendJobId(decl.id, 1))).rejects.toThrow(/ACCOUNT_FROZEN/);
    const failed = await d.dividends.get(decl.id);
    expect(failed).toMatchObject({ state: 'DISTRIBUTING', round: 1 });
    expect(failed.failure).toMatch(/ACCOUNT_FROZEN/);
    expect(failed.failedAt).not.toBeNull();
    expect(failed.progress.chunksDone).toBe(failed.progress.chunksTotal - 1);
    expect(await reconcile()).toMatchObject({ added: [] }); // failed: waits for an ADMIN, no retry loop
    // Counted where an operator alerts: the failed distribution from PostgreSQL, the failed attempt by the job metrics.
    const failedMetrics = await scrape();
    expect(metric(failedMetrics, 'forest_ledger_dividend_distributions_failed')).toBe(1);
    expect(metric(failedMetrics, 'forest_ledger_queue_job_duration_seconds_count', `outcome="failed",queue="${QueueName.Dividends}"`)).toBeGreaterThanOrEqual(1);

    await inTransaction(t.ds, (em) => t.ledger.setFrozen(em, walletOf(last.party), false));
    const resumed = await inTransaction(t.ds, (em) => d.dividends.resume(em, decl.id));
    expect(resumed).toMatchObject({ state: 'DISTRIBUTING', round: 2, failedAt: null, failure: null });
    expect(await inTransaction(t.ds, (em) => d.dividends.resume(em, decl.id))).toMatchObject({ round: 2 }); // not failed: unchanged
    expect(await reconcile()).toMatchObject({ added: [dividendJobId(decl.id, 2)] });
    expect(await finished(dividendJobId(decl.id, 2))).toMatchObject({ state: 'DISTRIBUTED', progress: { amountDistributed: '60.00' } });
    expect(metric(await scrape(), 'forest_ledger_dividend_distributions_failed')).toBe(0);

    const paid = await paidByDeclaration(t, decl.id);
    const lines = await d.dividends.lines(decl.id);
    for (const l of lines) expect(paid.get(walletOf(l.party)) ?? '0.00').toBe(l.amount);
    expect([...paid.values()].reduce((sum, a) => sum.plus(a), new Dec(0)).toFixed(2)).toBe('60.00');
  });

  it('a declaration paid in the future waits in PostgreSQL: no job before its payment date, and an early run changes nothing', async () => {
    const world = await seedTicketWorld(t, { collective: 'C-JOB5', prefix: 'L-', villagers: 2, households: 1, parcels: 3 });
    const maker = await staffUser(t, 'ADMIN');
    const checker = await staffUser(t, 'APPROVER');
    await lishuSeries(t, world, 'JOB-LATER', { collectiveRetainedRatio: '0' });
    await fundProject(t, d, 'JOB-LATER', '20.00');
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'JOB-LATER', amount: '20.00', recordDate: '2026-06-30', paymentDate: '2099-12-31' });
    expect(await reconcile()).toMatchObject({ added: [] });
    expect(await d.dividends.distribute(decl.id)).toMatchObject({ state: 'APPROVED', progress: { chunksTotal: 0 } });
    expect(await d.dividends.get(decl.id)).toMatchObject({ state: 'APPROVED', failedAt: null });
  });
});

async function scrape(): Promise<string> {
  return (await worker.get(Metrics).scrape()).body;
}

/** A sample's value: the line of `name` whose labels include each of `labels` (sorted as prom-client writes them). */
function metric(text: string, name: string, labels = ''): number {
  const wanted = labels.split(',').filter(Boolean);
  const line = text.split('\n').find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && wanted.every((w) => l.includes(w)));
  if (!line) throw new Error(`no sample ${name}{${labels}}`);
  return Number(line.split(' ').pop());
}

/** One reconciler pass (again if the worker's own pass holds the lock just then). */
async function reconcile(): Promise<ReconcileReport> {
  for (;;) {
    const report = await worker.get(PendingWorkReconciler).reconcile();
    if (!report.skipped) return report;
    await sleep(50);
  }
}

/** The job's result once it has finished (rejects with its error when it failed). */
async function finished(jobId: string): Promise<DistributionOutcome> {
  const job = await queue.getJob(jobId);
  if (!job) throw new Error(`no job ${jobId}`);
  return (await job.waitUntilFinished(events, 30_000)) as DistributionOutcome;
}
