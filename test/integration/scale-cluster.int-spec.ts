import { getQueueToken } from '@nestjs/bullmq';
import { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DistributionOutcome, walletOf } from '@forest-ledger/forestry';
import { dividendJobId, DividendJob, Env, loadEnv, migrate, openDataSource, ensureDatabase, QueueName, ReadDatabase } from '@forest-ledger/platform';
import { Queue, QueueEvents } from 'bullmq';
import { Cluster } from 'ioredis';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { WorkerModule } from '../../apps/worker/src/worker.module';
import { ApiApplication } from '../../apps/api/src/app.setup';
import { PgPair, RedisClusterHandle, startPgPair, startRedisCluster, stopPgPair, stopRedisCluster } from '../../scripts/scale/infra';
import { declareAndApprove, dividendServices, fundProject, paidByDeclaration, staffUser } from '../factories/dividends.factory';
import { lishuSeries, seedTicketWorld, ticketServices } from '../factories/tickets.factory';
import { createTestApp, tokenFor } from '../setup/test-app';

/**
 * Issue #22 on real engines of our own: a PostgreSQL 15 primary with a streaming replica (ports 5520/5521) and a
 * 6-node Redis Cluster (7100–7105). The worker runs a dividend distribution with BullMQ on the cluster
 * (REDIS_CLUSTER_NODES); the API routes lag-tolerant reads to the replica, falls back to the primary when the
 * replica lags (replay paused) and gives a writer its read-your-writes LSN.
 */
jest.setTimeout(120_000);
const DB = 'forest_ledger_scale_test';
const redisDir = mkdtempSync(join(tmpdir(), 'fl-i22-redis-'));
let pg: PgPair | undefined;
let redis: RedisClusterHandle | undefined;
let ds: DataSource;
let replicaDs: DataSource;

function teardown(): void {
  if (redis) stopRedisCluster(redis);
  if (pg) stopPgPair(pg.names);
  redis = pg = undefined;
}
process.once('exit', teardown);

beforeAll(async () => {
  pg = await startPgPair('fl-i22-test', 5520, 5521);
  redis = await startRedisCluster([7100, 7101, 7102, 7103, 7104, 7105], redisDir);
  await ensureDatabase(pg.primaryUrl(DB));
  ds = await openDataSource(pg.primaryUrl(DB), 8);
  await migrate(ds);
  for (let i = 0; i < 100; i++) {
    try {
      replicaDs = await openDataSource(pg.replicaUrl(DB), 2);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 100)); // the CREATE DATABASE not yet replayed
    }
  }
});

afterAll(async () => {
  await replicaDs?.destroy();
  await ds?.destroy();
  teardown();
});

const dbHandle = () => ({ name: DB, url: pg!.primaryUrl(DB), dataSource: ds });

it('a dividend distribution runs through the worker with BullMQ on a 6-node Redis Cluster and pays each holder once', async () => {
  const env = loadEnv({
    DATABASE_URL: pg!.primaryUrl(DB),
    REDIS_CLUSTER_NODES: redis!.nodes,
    DEPLOYMENT_ID: 'scale-test',
    LOG_LEVEL: 'silent',
    NODE_ENV: 'test',
    RECONCILE_INTERVAL_MS: '3600000',
  });
  const worker: INestApplicationContext = await Test.createTestingModule({ imports: [WorkerModule] })
    .overrideProvider(Env)
    .useValue(env)
    .compile();
  await worker.init();
  const events = new QueueEvents(QueueName.Dividends, {
    connection: new Cluster(redis!.nodes.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) }))),
    prefix: 'fl:{scale-test}:q',
  });
  try {
    await events.waitUntilReady();
    const t = ticketServices(ds);
    const d = dividendServices(t);
    const world = await seedTicketWorld(t, { villagers: 30, households: 10, parcels: 3 });
    const maker = await staffUser(t, 'FARM_OPERATOR');
    const checker = await staffUser(t, 'APPROVER');
    await lishuSeries(t, world, 'CLU-2026', { collectiveRetainedRatio: '0.30' });
    await fundProject(t, d, 'CLU-2026', '12345.67');
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'CLU-2026', amount: '12345.67', recordDate: '2026-06-30', paymentDate: '2026-07-15', chunkSize: 4 });
    const queue = worker.get<Queue>(getQueueToken(QueueName.Dividends));
    const job = await queue.add(DividendJob.Distribute, { declarationId: decl.id, round: decl.round }, { jobId: dividendJobId(decl.id, decl.round) });
    const outcome = (await job.waitUntilFinished(events, 60_000)) as DistributionOutcome;
    expect(outcome).toMatchObject({ state: 'DISTRIBUTED', progress: { holdersTotal: 31, holdersDone: 31, amountDistributed: '12345.67' } });
    const paid = await paidByDeclaration(t, decl.id);
    const lines = await d.dividends.lines(decl.id);
    expect(lines).toHaveLength(31);
    for (const l of lines) expect(paid.get(walletOf(l.party)) ?? '0.00').toBe(l.amount);
  } finally {
    for (const name of Object.values(QueueName)) await worker.get<Queue>(getQueueToken(name)).obliterate({ force: true });
    await events.close();
    await worker.close();
  }
});

describe('read routing to the streaming replica', () => {
  let app: ApiApplication;
  let reads: ReadDatabase;

  beforeAll(async () => {
    app = await createTestApp(dbHandle(), {
      DATABASE_READ_URL: pg!.replicaUrl(DB),
      READ_MAX_LAG_MS: '300',
      READ_MIN_LSN_WAIT_MS: '300',
      REDIS_CLUSTER_NODES: redis!.nodes,
      DEPLOYMENT_ID: 'scale-api',
    });
    reads = app.get(ReadDatabase);
  });

  afterAll(async () => {
    await replicaDs.query('SELECT pg_wal_replay_resume()').catch(() => undefined);
    await app?.close();
  });

  it('reports the replica in /health/ready and the lag as a metric; reads go to the replica', async () => {
    await reads.measure();
    const health = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(health.body.replica).toMatchObject({ routing: 'replica', maxLagMs: 300 });
    expect(health.body.replica.lagMs).toBeLessThan(300);
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/forest_ledger_replica_lag_seconds \d/);
    expect(metrics.text).toMatch(/forest_ledger_replica_reads_routed 1/);
    const em = await reads.manager();
    expect(em).not.toBe(ds.manager);
    expect(await em.query('SELECT pg_is_in_recovery() AS standby')).toEqual([{ standby: true }]);
  });

  it('a write answers with X-Last-Write-LSN, and a read with X-Min-LSN sees it (replica once replayed, else the primary)', async () => {
    const admin = await tokenFor(app, 'ADMIN');
    const res = await request(app.getHttpServer())
      .post('/v1/assets')
      .set('Authorization', `Bearer ${admin}`)
      .set('Idempotency-Key', 'scale-asset-1')
      .send({ code: 'RYW', scale: 2 });
    expect(res.status).toBe(201);
    const lsn = res.headers['x-last-write-lsn'];
    expect(lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    // Caught up within the wait: the replica, and it sees the write.
    const em = await reads.manager(lsn);
    expect(await em.query(`SELECT pg_is_in_recovery() AS standby`)).toEqual([{ standby: true }]);
    expect(await em.query(`SELECT count(*)::int AS n FROM ledger_assets WHERE code = 'RYW'`)).toEqual([{ n: 1 }]);
  });

  it('falls back to the primary while the replica lags above READ_MAX_LAG_MS (replay paused), and back once it catches up', async () => {
    await replicaDs.query('SELECT pg_wal_replay_pause()');
    const admin = await tokenFor(app, 'ADMIN');
    const res = await request(app.getHttpServer())
      .post('/v1/assets')
      .set('Authorization', `Bearer ${admin}`)
      .set('Idempotency-Key', 'scale-asset-2')
      .send({ code: 'LAGGED', scale: 2 });
    const lsn = res.headers['x-last-write-lsn'];
    // Read-your-writes while paused: the wait runs out (or the lag poll already routed to the primary); the primary answers and sees the write.
    const ryw = await reads.manager(lsn);
    expect(await ryw.query(`SELECT count(*)::int AS n FROM ledger_assets WHERE code = 'LAGGED'`)).toEqual([{ n: 1 }]);
    expect(await ryw.query('SELECT pg_is_in_recovery() AS standby')).toEqual([{ standby: false }]);
    await new Promise((r) => setTimeout(r, 600));
    const status = await reads.measure();
    expect(status).toMatchObject({ routing: 'primary' });
    expect(status.lagMs).toBeGreaterThan(300);
    expect(await (await reads.manager()).query('SELECT pg_is_in_recovery() AS standby')).toEqual([{ standby: false }]);
    const health = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(health.body.replica.routing).toBe('primary');
    const metrics = await request(app.getHttpServer()).get('/metrics').expect(200);
    expect(metrics.text).toMatch(/forest_ledger_replica_reads_routed 0/);

    await replicaDs.query('SELECT pg_wal_replay_resume()');
    let back = await reads.measure();
    for (let i = 0; i < 50 && back.routing !== 'replica'; i++) back = await new Promise((r) => setTimeout(r, 100)).then(() => reads.measure());
    expect(back).toMatchObject({ routing: 'replica', lagMs: 0 });
    expect(await (await reads.manager()).query('SELECT pg_is_in_recovery() AS standby')).toEqual([{ standby: true }]);
  });
});
