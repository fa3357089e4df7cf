/**
 * npm run scale:demo (issue #22): its own PostgreSQL primary + streaming replica (ports 5522/5523), a 6-node Redis
 * Cluster (7110–7115), 2 API processes (3521, 3522) behind a round-robin proxy (3520) and 2 workers; a dividend to
 * SCALE_DEMO_HOLDERS holders (default 20,000; SCALE_DEMO_SMALL=1: 200) worked by both workers under a mixed load
 * through the proxy (transfers, 林票 trades, villagers loading their page from the replica, a public registry
 * scrape, /health/ready); one API and one worker are killed in the middle. Checks: every acknowledged write present
 * once (replayed with its key, it answers its first answer and writes nothing), each holder paid once, the ledger
 * invariants, the daily runs ran once for the day across both workers, reads never saw a lag above READ_MAX_LAG_MS,
 * no 5xx other than an outage's 502/503. Prints what it measured and tears down only what it started. Run after
 * `npm run build` (the script does); SCALE_DEMO_RUNTIME=ts runs the processes from source with ts-node instead
 * (the test suite's CI-sized variant, test/integration/scale-demo.int-spec.ts).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, request as httpRequest, Server } from 'node:http';
import { mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue, QueueEvents } from 'bullmq';
import { Cluster } from 'ioredis';
import { Hs256Jwt } from '@forest-ledger/access';
import { businessToday, walletOf } from '@forest-ledger/forestry';
import { dividendJobId, DividendJob, ensureDatabase, keyRing, loadEnv, migrate, openDataSource, QueueName } from '@forest-ledger/platform';
import { SCHEDULES } from '../../apps/worker/src/schedules';
import { percentile, replayAcknowledged, runMixedLoad } from './load';
import { PgPair, RedisClusterHandle, startPgPair, startRedisCluster, stopPgPair, stopRedisCluster } from './infra';
import { declareAndApprove, dividendServices, fundProject, paidByDeclaration, staffUser } from '../../test/factories/dividends.factory';
import { deposit, lishuSeries, seedTicketWorld, ticketServices } from '../../test/factories/tickets.factory';
import { ledgerInvariantViolations } from '../../test/setup/invariants';

const SMALL = process.env.SCALE_DEMO_SMALL === '1';
const HOLDERS = Number(process.env.SCALE_DEMO_HOLDERS ?? (SMALL ? 200 : 20_000));
const FROM_SOURCE = process.env.SCALE_DEMO_RUNTIME === 'ts';
const JWT_SECRET = 'scale-demo-jwt-secret-of-at-least-32-characters';
/** The mixed load runs at least this long, so that its writes and reads meet the killed API. */
const MIN_LOAD_MS = SMALL ? 20_000 : 30_000;
const MAX_LAG_MS = 1000;
const DB = 'forest_ledger_scale_demo';
const DEPLOYMENT = 'scale-demo';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];
let pg: PgPair | undefined;
let redis: RedisClusterHandle | undefined;
let proxy: Server | undefined;

/** Each process's output (pino JSON) goes to its own file here; a failed check prints their errors. */
const LOG_DIR = mkdtempSync(join(tmpdir(), 'fl-scale-demo-logs-'));
const logFiles: string[] = [];

function start(kind: 'api' | 'worker', env: Record<string, string>): ChildProcess {
  const file = join(LOG_DIR, `${kind}-${children.length + 1}.log`);
  logFiles.push(file);
  const out = openSync(file, 'a');
  const args = FROM_SOURCE
    ? ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', `apps/${kind}/src/main.ts`]
    : [kind === 'api' ? 'dist/apps/api/src/main.js' : 'dist/apps/worker/src/main.js'];
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', out, out] });
  children.push(child);
  return child;
}

async function waitHttp(port: number, path = '/health/live', ms = 180_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await fetch(`http://127.0.0.1:${port}${path}`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await sleep(300);
  }
  throw new Error(`nothing answers on ${port}${path}`);
}

/**
 * Round-robin over the API ports, as a load balancer with passive health checks does: a request goes to the next
 * port in turn; a refused or reset connection sends it on to the others in order (each at most once), and marks
 * the port down for a second so the following requests skip it.
 */
function roundRobin(port: number, targets: number[]): Server {
  let next = 0;
  const downUntil = new Map<number, number>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const start = next++;
      const rotated = targets.map((_, i) => targets[(start + i) % targets.length]);
      const order = [...rotated.filter((t) => (downUntil.get(t) ?? 0) <= Date.now()), ...rotated.filter((t) => (downUntil.get(t) ?? 0) > Date.now())];
      const attempt = (i: number) => {
        const target = order[i];
        const up = httpRequest({ host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => {
          downUntil.set(target, Date.now() + 1000);
          if (res.headersSent) res.destroy();
          else if (i + 1 < order.length) attempt(i + 1);
          else res.writeHead(502).end();
        });
        up.end(body);
      };
      attempt(0);
    });
  });
  server.listen(port, '127.0.0.1');
  return server;
}

async function main(): Promise<void> {
  const t0 = Date.now();
  pg = await startPgPair('fl-i22-demo', 5522, 5523);
  redis = await startRedisCluster([7110, 7111, 7112, 7113, 7114, 7115], mkdtempSync(join(tmpdir(), 'fl-i22-demo-redis-')));
  await ensureDatabase(pg.primaryUrl(DB));
  const ds = await openDataSource(pg.primaryUrl(DB), 8);
  await migrate(ds);
  const infraSeconds = (Date.now() - t0) / 1000;

  const t = ticketServices(ds);
  const d = dividendServices(t);
  const seeded = Date.now();
  const world = await seedTicketWorld(t, { villagers: HOLDERS - 1, households: Math.max(1, Math.floor(HOLDERS / 4)), parcels: 3 });
  const maker = await staffUser(t, 'FARM_OPERATOR');
  const checker = await staffUser(t, 'APPROVER');
  await lishuSeries(t, world, 'SCALE-2026', { collectiveRetainedRatio: '0.30' });
  await fundProject(t, d, 'SCALE-2026', '987654.32');
  const decl = await declareAndApprove(t, d, maker, checker, {
    project: 'SCALE-2026',
    amount: '987654.32',
    recordDate: '2026-06-30',
    paymentDate: '2026-07-15',
    chunkSize: SMALL ? 5 : 25,
  });
  // The load's own parties: an admin and some villagers with tokens (signed as the APIs sign them), money for the
  // traders' buyers and for the two accounts transfers go between.
  const [admin] = await ds.query<Array<{ id: string }>>(
    `INSERT INTO users (username, display_name, role, password_hash) VALUES ('scale-admin', 'scale-admin', 'ADMIN', 'x') RETURNING id`,
  );
  const jwt = new Hs256Jwt(keyRing(loadEnv({ JWT_SECRET }), 'JWT_SECRETS'));
  const adminToken = await jwt.sign({ sub: admin.id, role: 'ADMIN', pid: null, pcode: null, name: 'scale-admin' }, 3600);
  const readers = world.villagers.slice(0, Math.min(50, world.villagers.length));
  const villagerRows = await ds.query<Array<{ id: string; party_id: string; code: string }>>(
    `INSERT INTO users (display_name, role, party_id, pin_hash) SELECT p.code, 'VILLAGER', p.id, 'x' FROM parties p WHERE p.code = ANY($1) RETURNING id, party_id, display_name AS code`,
    [readers],
  );
  const villagerTokens = await Promise.all(villagerRows.map((v) => jwt.sign({ sub: v.id, role: 'VILLAGER', pid: v.party_id, pcode: v.code, name: v.code }, 3600)));
  const tradePairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < Math.min(40, world.villagers.length); i += 2) tradePairs.push([world.villagers[i], world.villagers[i + 1]]);
  for (const [, buyer] of tradePairs) await deposit(t, buyer, '100.00');
  await deposit(t, world.outsider, '100000.00');
  await deposit(t, world.bank, '100000.00');
  const seedSeconds = (Date.now() - seeded) / 1000;

  const common = {
    DATABASE_URL: pg.primaryUrl(DB),
    DATABASE_READ_URL: pg.replicaUrl(DB),
    READ_MAX_LAG_MS: String(MAX_LAG_MS),
    REDIS_CLUSTER_NODES: redis.nodes,
    DEPLOYMENT_ID: DEPLOYMENT,
    NODE_ENV: 'development',
    LOG_LEVEL: 'warn',
    API_PROCESSES: '1',
    DIVIDEND_JOB_LOCK_MS: '3000',
    WORKER_METRICS_PORT: '0',
    JWT_SECRET,
  };
  const apis = [3521, 3522].map((port) => start('api', { ...common, PORT: String(port) }));
  const workers = [0, 1].map(() => start('worker', common));
  await Promise.all([waitHttp(3521), waitHttp(3522)]);
  proxy = roundRobin(3520, [3521, 3522]);

  const connection = new Cluster(
    redis.nodes.split(',').map((n) => ({ host: '127.0.0.1', port: Number(n.split(':')[1]) })),
    { redisOptions: { maxRetriesPerRequest: null } },
  );
  const prefix = `fl:{${DEPLOYMENT}}:q`;
  const queue = new Queue(QueueName.Dividends, { connection, prefix });
  const events = new QueueEvents(QueueName.Dividends, { connection, prefix });
  await events.waitUntilReady();

  // Readers through the proxy: the public registry (replica) and the replica's lag as /health/ready reports it.
  let reads = 0;
  let readErrors = 0;
  let maxSeenLag = 0;
  const lags: number[] = [];
  let reading = true;
  const reader = (async () => {
    while (reading) {
      // A killed API may cut an answer short: that read is an error, not the end of the demo.
      const health = await fetch('http://127.0.0.1:3520/health/ready')
        .then((r) => r.json() as Promise<{ replica?: { lagMs: number | null; routing: string } }>)
        .catch(() => undefined);
      const registry = await fetch('http://127.0.0.1:3520/v1/public/carbon-projects/NONE/registry').then(
        (r) => r.status,
        () => 0,
      );
      reads += 2;
      if (!health || registry !== 404) readErrors++;
      const lag = health?.replica?.lagMs;
      if (typeof lag === 'number' && health?.replica?.routing === 'replica') {
        lags.push(lag);
        maxSeenLag = Math.max(maxSeenLag, lag);
      }
      await sleep(20);
    }
  })();

  let loading = true;
  const load = runMixedLoad(
    {
      base: 'http://127.0.0.1:3520',
      adminToken,
      villagerTokens,
      series: 'SCALE-2026',
      tradePairs,
      accounts: [walletOf(world.outsider), walletOf(world.bank)],
      effectiveDate: businessToday(),
      running: () => loading,
    },
    { writers: 4, traders: 2, villagers: 8 },
  );

  const loadStarted = Date.now();
  await sleep(SMALL ? 3000 : 5000);
  const distStarted = Date.now();
  const job = await queue.add(DividendJob.Distribute, { declarationId: decl.id, round: decl.round }, { jobId: dividendJobId(decl.id, decl.round) });
  // In the middle: kill one worker and one API (SIGKILL), measure how long until the distribution moves on.
  let killedAt = 0;
  let recoveredAfter = NaN;
  let doneAtKill = 0;
  for (let i = 0; i < 600; i++) {
    const progress = (await d.dividends.progress(decl.id)) as { holdersDone: number | string; holdersTotal: number | string };
    const p = { holdersDone: Number(progress.holdersDone), holdersTotal: Number(progress.holdersTotal) };
    if (!killedAt && p.holdersDone >= p.holdersTotal / 3) {
      killedAt = Date.now();
      workers[0].kill('SIGKILL');
      apis[0].kill('SIGKILL');
      doneAtKill = p.holdersDone;
    } else if (killedAt && Number.isNaN(recoveredAfter) && p.holdersDone > doneAtKill) recoveredAfter = (Date.now() - killedAt) / 1000;
    if (p.holdersDone >= p.holdersTotal) break;
    await sleep(100);
  }
  const outcome = (await job.waitUntilFinished(events, 300_000)) as { state: string };
  const distSeconds = (Date.now() - distStarted) / 1000;
  await sleep(Math.max(0, MIN_LOAD_MS - (Date.now() - loadStarted)));
  reading = false;
  loading = false;
  await reader;
  const stats = await load;
  // The daily runs: the workers' reconcilers queue each schedule's due day on start; wait until all have finished.
  const runsDone = () => ds.query<Array<{ n: number }>>(`SELECT count(DISTINCT schedule)::int AS n FROM scheduled_runs WHERE finished_at IS NOT NULL`).then((r) => r[0].n);
  for (let i = 0; i < 120 && (await runsDone()) < SCHEDULES.length; i++) await sleep(1000);

  // Checks.
  // Every line, page by page (a page holds at most 10,000; the first check read only the first 1,000).
  const lines: Awaited<ReturnType<typeof d.dividends.lines>> = [];
  for (let page = await d.dividends.lines(decl.id, { limit: 10_000 }); page.length > 0; page = await d.dividends.lines(decl.id, { afterSeq: page.at(-1)!.seq, limit: 10_000 })) {
    lines.push(...page);
  }
  if (lines.length !== HOLDERS) throw new Error(`the declaration has ${lines.length} lines for ${HOLDERS} holders`);
  const paid = await paidByDeclaration(t, decl.id);
  const wrong = lines.filter((l) => (paid.get(walletOf(l.party)) ?? '0.00') !== l.amount).length;
  // The test suite's ledger invariants (balanced entries, balances = postings, the hash chain, …).
  const unbalanced = (await ledgerInvariantViolations(ds)).length;
  // Every acknowledged write once: its replay answers the first answer; each acknowledged transfer is one entry.
  const replays = await replayAcknowledged('http://127.0.0.1:3520', stats.acked);
  const transferKeys = stats.acked.filter((w) => w.path === '/v1/entries').map((w) => `user:${admin.id}/${w.key}`);
  const [{ n: transferEntries }] = await ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ledger_entries WHERE idempotency_key = ANY($1)`, [transferKeys]);
  // The daily runs of today, across both workers: each once.
  const runs = await ds.query<Array<{ schedule: string; day: string; runs: number }>>(`SELECT schedule, day::text AS day, runs FROM scheduled_runs ORDER BY schedule`);
  const dailyRunsNotOnce = runs.filter((r) => r.runs !== 1).map((r) => `${r.schedule}@${r.day}×${r.runs}`);
  lags.sort((a, b) => a - b);
  const p99 = lags.length ? lags[Math.min(lags.length - 1, Math.floor(lags.length * 0.99))] : NaN;
  const figures = {
    holders: lines.length,
    outcome: outcome.state,
    holdersPaidWrongly: wrong,
    ledgerInvariantViolations: unbalanced,
    distributionSeconds: distSeconds,
    holdersPerSecond: Math.round(lines.length / distSeconds),
    recoveryAfterKillSeconds: recoveredAfter,
    readsThroughProxy: reads,
    readErrors,
    replicaLagP99Ms: p99,
    replicaLagMaxMs: maxSeenLag,
    transfersAcknowledged: stats.transfersAcked,
    transferEntriesFound: transferEntries,
    tradesAcknowledged: stats.tradesAcked,
    acknowledgedWritesReplayed: replays.replayed,
    replayMismatches: replays.mismatched.slice(0, 5),
    writeRetriesAfterOutage: stats.writeRetries,
    serverErrors: stats.serverErrors,
    villagerPagesRead: stats.portalReads,
    villagerPageErrors: stats.portalErrors,
    villagerPageP50Ms: percentile(stats.portalLatenciesMs, 0.5),
    villagerPageP99Ms: percentile(stats.portalLatenciesMs, 0.99),
    registryReads: stats.registryReads,
    registryErrors: stats.registryErrors,
    dailyRuns: runs.map((r) => `${r.schedule}@${r.day}`),
    errorStatuses: stats.errorStatuses,
    dailyRunsNotOnce,
    infraStartSeconds: infraSeconds,
    seedSeconds,
  };
  console.log(JSON.stringify(figures, null, 2));
  console.log(`SCALE_DEMO_FIGURES ${JSON.stringify(figures)}`);
  await events.close();
  await queue.close();
  await connection.quit();
  await ds.destroy();
  const ok =
    outcome.state === 'DISTRIBUTED' &&
    wrong === 0 &&
    unbalanced === 0 &&
    maxSeenLag <= MAX_LAG_MS &&
    replays.mismatched.length === 0 &&
    transferEntries === stats.transfersAcked &&
    stats.tradesAcked > 0 &&
    stats.serverErrors === 0 &&
    dailyRunsNotOnce.length === 0 &&
    new Set(runs.map((r) => r.schedule)).size === SCHEDULES.length;
  if (!ok) {
    const errors = logFiles.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .filter((l) => /"level":(50|60)/.test(l))
        .map((l) => `${f}: ${l.slice(0, 2000)}`),
    );
    console.error(`the processes' errors (logs in ${LOG_DIR}):\n${errors.slice(0, 20).join('\n')}`);
    throw new Error('scale demo: a check failed (see the figures above)');
  }
  console.log('scale demo: all checks passed');
}

async function teardown(): Promise<void> {
  const running = children.filter((child) => child.exitCode === null && child.signalCode === null);
  for (const child of running) child.kill('SIGTERM');
  // The processes we started, by their handles: they close their connections before Redis and PostgreSQL go.
  await Promise.race([Promise.all(running.map((child) => new Promise((r) => child.once('exit', r)))), sleep(10_000)]);
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  proxy?.close();
  if (redis) stopRedisCluster(redis);
  if (pg) stopPgPair(pg.names);
  redis = pg = undefined;
}

main()
  .then(() => sleep(500))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exitCode = 1;
  })
  .finally(async () => {
    await teardown();
    setTimeout(() => process.exit(), 1000).unref();
  });
