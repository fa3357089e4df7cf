import { randomBytes } from 'node:crypto';
/**
 * `npm run bench:ledger` — throughput and latency of posting entries through the real HTTP API,
 * each scenario next to a raw-SQL baseline of the same shape on the same tables.
 *
 *   B1  two-posting transfers between random pairs of 10,000 wallets     POST /v1/entries
 *   B2  the same, one side always the same hot wallet (alternating direction)
 *   B3  batches of 100 two-posting entries between random pairs           POST /v1/entries/batch
 *
 * Environment: BENCH_SECONDS (15), BENCH_WARMUP_SECONDS (3: per run), BENCH_API_WARMUP_SECONDS (15: once, after the API
 * starts, the scenarios' service requests in turn, unmeasured), BENCH_CLIENTS (16), BENCH_PORT (3999),
 * BENCH_WALLETS (10000), BENCH_BATCH (100), BENCH_SCENARIOS (B1,B2,B3), BENCH_DATABASE_URL
 * (postgres://postgres@127.0.0.1:5432/forest_ledger_bench), REDIS_URL, BENCH_PROFILE (1 or a
 * list of scenarios: CPU-profile the API during those service runs; perturbs their figures), BENCH_API_MAIN
 * (another build of the API, e.g. the previous commit's dist, for an old-vs-new comparison in one sitting),
 * BENCH_SIDES (service,baseline: `service` alone for quick A/B runs of the API's CPU per op; the ratio then is not printed),
 * BENCH_API_PROCESSES (1), BENCH_API_POOL_SIZE (20: DB_POOL_SIZE of each API process).
 */
import 'reflect-metadata';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Pool } from 'pg';
import { ApiProcess } from './lib/api-process';
import { CpuBreakdown, CpuMeter, CpuSnapshot } from './lib/cpu';
import { ProfileSummary, SOCKET_WRITES_LABEL, summarizeProfile } from './lib/cpu-profile-summary';
import { JsonHttpClient } from './lib/http-client';
import { LoadResult, Operation, runLoad, warmUp } from './lib/load';
import { RawLedgerBaseline, Transfer } from './lib/raw-baseline';
import { BenchAccount, createScratchLedger, dropDatabase, ScratchLedger } from './lib/scratch-ledger';
import { fmt, renderTable } from './lib/stats';

// ------------------------------------------------------------------ configuration

function numberEnv(name: string, fallback: number, min: number, max: number, integer = true): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
    throw new Error(`${name}=${raw}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}`);
  }
  return value;
}

type ScenarioName = 'B1' | 'B2' | 'B3';
const ALL_SCENARIOS: ScenarioName[] = ['B1', 'B2', 'B3'];

function scenarioList(raw: string | undefined, fallback: ScenarioName[]): ScenarioName[] {
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'all'].includes(raw.toLowerCase())) return ALL_SCENARIOS;
  const names = raw.split(',').map((s) => s.trim().toUpperCase());
  const bad = names.filter((n) => !ALL_SCENARIOS.some((s) => s === n));
  if (bad.length) throw new Error(`unknown scenario(s) ${bad.join(', ')}; expected some of ${ALL_SCENARIOS.join(', ')}`);
  return ALL_SCENARIOS.filter((s) => names.includes(s));
}

type Side = 'service' | 'baseline';

function sideList(raw: string | undefined): Side[] {
  if (raw === undefined || raw === '') return ['service', 'baseline'];
  const names = raw.split(',').map((s) => s.trim().toLowerCase());
  const sides = (['service', 'baseline'] as const).filter((s) => names.includes(s));
  if (sides.length === 0 || sides.length !== names.length) throw new Error(`BENCH_SIDES=${raw}: expected service, baseline or both`);
  return sides;
}

const config = {
  seconds: numberEnv('BENCH_SECONDS', 15, 1, 3600, false),
  warmupSeconds: numberEnv('BENCH_WARMUP_SECONDS', 3, 0, 600, false),
  /** Once, after the API starts and before the first scenario: the service's requests, unmeasured. */
  apiWarmupSeconds: numberEnv('BENCH_API_WARMUP_SECONDS', 15, 0, 600, false),
  clients: numberEnv('BENCH_CLIENTS', 16, 1, 200),
  port: numberEnv('BENCH_PORT', 3999, 1, 65535),
  wallets: numberEnv('BENCH_WALLETS', 10_000, 10, 1_000_000),
  batchSize: numberEnv('BENCH_BATCH', 100, 1, 1000),
  scenarios: scenarioList(process.env.BENCH_SCENARIOS, ALL_SCENARIOS),
  profile: scenarioList(process.env.BENCH_PROFILE, []),
  sides: sideList(process.env.BENCH_SIDES),
  databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/forest_ledger_bench',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  apiLogLevel: 'warn',
  /** DB_POOL_SIZE of each API process. */
  apiPoolSize: numberEnv('BENCH_API_POOL_SIZE', 20, 1, 200),
  funding: '1000000.00',
  amount: '0.01',
  kind: 'BENCH_TRANSFER',
};

const ROOT = resolve(__dirname, '..', '..'); // dist/bench → repository root
const API_MAIN = process.env.BENCH_API_MAIN ?? join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const PRELOAD = join(__dirname, 'cpu-profile.preload.js');
const REPORT_FILE = join(ROOT, 'reports', 'bench-ledger.json');
/** A fresh directory per bench run, so no earlier file is mistaken for this run's profile. */
const PROFILE_DIR = join(ROOT, 'reports', 'bench-ledger-profiles', new Date().toISOString().replace(/[:.]/g, '-'));

const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

// ------------------------------------------------------------------ scenarios

interface Scenario {
  name: ScenarioName;
  title: string;
  entriesPerOp: number;
  postingsPerOp: number;
  goal: string;
  /** Builds a fresh operation (its own alternation state) for the service and for the baseline. */
  service: (http: JsonHttpClient, keyPrefix: string) => Operation;
  baseline: (raw: RawLedgerBaseline, keyPrefix: string) => Operation;
}

const randomIndex = (n: number) => Math.floor(Math.random() * n);

function randomTransfer(wallets: readonly BenchAccount[]): Transfer {
  const i = randomIndex(wallets.length);
  let j = randomIndex(wallets.length - 1);
  if (j >= i) j++;
  return { from: wallets[i], to: wallets[j], amount: config.amount };
}

/** Hot wallet pays a random wallet, then a random wallet pays the hot one, and so on: it never drains. */
function hotTransfers(wallets: readonly BenchAccount[]): () => Transfer {
  const hot = wallets[0];
  let flip = 0;
  return () => {
    const other = wallets[1 + randomIndex(wallets.length - 1)];
    return flip++ % 2 === 0 ? { from: hot, to: other, amount: config.amount } : { from: other, to: hot, amount: config.amount };
  };
}

function entryJson(t: Transfer, effectiveDate: string): { kind: string; effectiveDate: string; postings: Array<{ account: string; side: 'DEBIT' | 'CREDIT'; amount: string }> } {
  return {
    kind: config.kind,
    effectiveDate,
    postings: [
      { account: t.from.code, side: 'DEBIT', amount: t.amount },
      { account: t.to.code, side: 'CREDIT', amount: t.amount },
    ],
  };
}

function scenarios(ledger: ScratchLedger): Scenario[] {
  const { wallets, effectiveDate } = ledger;
  const postEntry =
    (http: JsonHttpClient, keyPrefix: string, next: () => Transfer): Operation =>
    async () => {
      await http.postJson('/v1/entries', JSON.stringify(entryJson(next(), effectiveDate)), { 'idempotency-key': `${keyPrefix}${randomUUID()}` });
    };
  const rawEntry =
    (raw: RawLedgerBaseline, keyPrefix: string, next: () => Transfer): Operation =>
    () =>
      raw.transfer(`${keyPrefix}${randomUUID()}`, next());
  const batchOf = () => Array.from({ length: config.batchSize }, () => randomTransfer(wallets));
  return [
    {
      name: 'B1',
      title: `transfer between random pairs of ${wallets.length.toLocaleString('en-US')} wallets`,
      entriesPerOp: 1,
      postingsPerOp: 2,
      goal: 'service ≥ 0.5 × baseline ops/s',
      service: (http, prefix) => postEntry(http, prefix, () => randomTransfer(wallets)),
      baseline: (raw, prefix) => rawEntry(raw, prefix, () => randomTransfer(wallets)),
    },
    {
      name: 'B2',
      title: 'transfer with one hot wallet on every entry',
      entriesPerOp: 1,
      postingsPerOp: 2,
      goal: 'service ≥ 0.5 × baseline ops/s',
      service: (http, prefix) => postEntry(http, prefix, hotTransfers(wallets)),
      baseline: (raw, prefix) => rawEntry(raw, prefix, hotTransfers(wallets)),
    },
    {
      name: 'B3',
      title: `batch of ${config.batchSize} transfers between random pairs`,
      entriesPerOp: config.batchSize,
      postingsPerOp: 2 * config.batchSize,
      goal: 'service ≥ 5,000 postings/s',
      service: (http, prefix) => async () => {
        const body = JSON.stringify({ entries: batchOf().map((t) => entryJson(t, effectiveDate)) });
        await http.postJson('/v1/entries/batch', body, { 'idempotency-key': `${prefix}${randomUUID()}` });
      },
      baseline: (raw, prefix) => () => raw.batch(`${prefix}${randomUUID()}`, batchOf()),
    },
  ];
}

// ------------------------------------------------------------------ measurement

interface RunReport {
  side: 'service' | 'baseline';
  keyPrefix: string;
  result: LoadResult;
  entriesPerSecond: number;
  postingsPerSecond: number;
  cpu: CpuBreakdown | null;
  /** CPU milliseconds per operation, by process group. */
  cpuMsPerOp: { client: number; api: number | null; postgres: number | null; postgresAux: number | null } | null;
  /** Rows found afterwards vs. successful operations (warm-up included) × entries per operation. */
  rowsCheck: { expectedEntries: number; foundEntries: number; expectedIdempotencyRows: number | null; foundIdempotencyRows: number | null; ok: boolean };
  /** WAL bytes generated per op during the window (cluster-wide: other databases' writes included). */
  walBytesPerOp: number | null;
  otherActiveBackendsBefore: number;
  loadAverageBefore: number[];
  profile: ProfileSummary | null;
}

interface ScenarioReport {
  name: ScenarioName;
  title: string;
  goal: string;
  entriesPerOp: number;
  postingsPerOp: number;
  /** Either side is null when BENCH_SIDES left it out (then so are the ratio and the goal). */
  service: RunReport | null;
  baseline: RunReport | null;
  ratio: number;
  goalMet: boolean;
}

/** The runs a scenario measured (both unless BENCH_SIDES chose one). */
const runsOf = (r: ScenarioReport): RunReport[] => [r.service, r.baseline].filter((run): run is RunReport => run !== null);

class Bench {
  private api: ApiProcess | null = null;
  private admin: Client | null = null;
  private meter: CpuMeter | null = null;
  private ledger: ScratchLedger | null = null;
  private profilesTaken = 0;
  private token = '';

  /** Logs in once as the scratch ledger's admin; the load sends the token (a 15-minute JWT outlives the run). */
  private async login(): Promise<string> {
    const client = new JsonHttpClient('127.0.0.1', config.port, 1);
    const res = await client.request('POST', '/v1/auth/login', JSON.stringify(this.ledger!.admin));
    if (res.status !== 200) throw new Error(`login failed: HTTP ${res.status} ${res.body.slice(0, 200)}`);
    return (JSON.parse(res.body) as { accessToken: string }).accessToken;
  }

  async setUp(): Promise<void> {
    if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} not found: run npm run build first (npm run bench:ledger does)`);
    log(`setting up ${new URL(config.databaseUrl).pathname.slice(1)}: asset CNY, 1 bank account, ${config.wallets} wallets`);
    this.ledger = await createScratchLedger({ url: config.databaseUrl, wallets: config.wallets, funding: config.funding, log });
    log(`setup done in ${fmt(this.ledger.setupSeconds)} s`);

    this.admin = new Client({ connectionString: config.databaseUrl });
    await this.admin.connect();

    const profiling = config.profile.some((s) => config.scenarios.includes(s));
    this.api = new ApiProcess({
      mainJs: API_MAIN,
      port: config.port,
      nodeArgs: profiling ? ['-r', PRELOAD] : [],
      env: {
        NODE_ENV: 'production',
        // Production requires its own secrets; the bench makes throwaway ones.
        JWT_SECRET: randomBytes(32).toString('base64'),
        PII_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        PII_HMAC_KEY: randomBytes(32).toString('base64'),
        DATABASE_URL: config.databaseUrl,
        REDIS_URL: config.redisUrl,
        QUEUE_PREFIX: 'forest-ledger-bench',
        LOG_LEVEL: config.apiLogLevel,
        DB_POOL_SIZE: String(config.apiPoolSize),
        API_PROCESSES: process.env.BENCH_API_PROCESSES ?? '1',
        DEMO_DATA: 'false',
        ...(profiling ? { BENCH_PROFILE_DIR: PROFILE_DIR } : {}),
      },
    });
    await this.api.waitHealthy();
    this.token = await this.login();
    log(`API up: pid ${this.api.pid}, port ${config.port}, LOG_LEVEL=${config.apiLogLevel}, DB_POOL_SIZE=${config.apiPoolSize}${profiling ? ', CPU profiler preloaded' : ''}`);

    const { rows } = await this.admin.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const postmaster = CpuMeter.postmasterOf(rows[0].pid);
    this.meter = new CpuMeter(this.api.pid, postmaster, new URL(config.databaseUrl).pathname.slice(1));
    if (postmaster === null) log('PostgreSQL processes are not visible in /proc: no CPU breakdown for the database');
  }

  async versions(): Promise<{ postgres: string; settings: Record<string, string> }> {
    const admin = this.admin!;
    const { rows } = await admin.query<{ v: string }>(`SELECT current_setting('server_version') AS v`);
    const settings = await admin.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN ('shared_buffers', 'synchronous_commit', 'fsync', 'wal_level', 'max_wal_size', 'autovacuum', 'max_connections', 'jit', 'work_mem', 'shared_preload_libraries') ORDER BY name`,
    );
    return { postgres: rows[0].v, settings: Object.fromEntries(settings.rows.map((r) => [r.name, r.unit ? `${r.setting} ${r.unit}` : r.setting])) };
  }

  private async count(sql: string, prefix: string): Promise<number> {
    const { rows } = await this.admin!.query<{ n: number }>(sql, [`${prefix}%`]);
    return rows[0].n;
  }

  private async waitForProfile(n: number): Promise<string | null> {
    const file = join(PROFILE_DIR, `profile-${n}.cpuprofile`);
    for (let i = 0; i < 100; i++) {
      if (existsSync(file)) {
        await new Promise((r) => setTimeout(r, 300)); // let the write finish
        return file;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return null;
  }

  private async measure(scenario: Scenario, side: 'service' | 'baseline'): Promise<RunReport> {
    const admin = this.admin!;
    const keyPrefix = `${scenario.name.toLowerCase()}-${side === 'service' ? 'svc' : 'raw'}-`;
    await admin.query('CHECKPOINT'); // every run starts without a pending checkpoint's I/O
    const others = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND state = 'active' AND datname IS DISTINCT FROM current_database()`,
    );
    const loadAverageBefore = os.loadavg().map((l) => Math.round(l * 100) / 100);
    const profile = side === 'service' && config.profile.includes(scenario.name);

    let http: JsonHttpClient | null = null;
    let pool: Pool | null = null;
    let op: Operation;
    if (side === 'service') {
      http = new JsonHttpClient('127.0.0.1', config.port, config.clients);
      http.defaultHeaders = { authorization: `Bearer ${this.token}` };
      op = scenario.service(http, keyPrefix);
    } else {
      pool = new Pool({ connectionString: config.databaseUrl, max: config.clients });
      op = scenario.baseline(new RawLedgerBaseline(pool, config.kind, this.ledger!.effectiveDate), keyPrefix);
    }
    let before: CpuSnapshot | null = null;
    let after: CpuSnapshot | null = null;
    // Read from timer callbacks while the load runs: never rejects (a failure just leaves WAL/op unknown).
    const lsn = () =>
      admin
        .query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')
        .then((r) => r.rows[0].lsn)
        .catch(() => null);
    // Set inside the callbacks below: an object keeps TypeScript from narrowing them to null here.
    const wal: { start: Promise<string | null> | null; end: Promise<string | null> | null } = { start: null, end: null };
    let result: LoadResult;
    try {
      result = await runLoad(op, {
        clients: config.clients,
        warmupSeconds: config.warmupSeconds,
        seconds: config.seconds,
        onWindowStart: () => {
          before = this.meter!.snapshot();
          wal.start = lsn();
          if (profile) this.api!.signal('SIGWINCH');
        },
        onWindowEnd: () => {
          after = this.meter!.snapshot();
          wal.end = lsn();
          if (profile) this.api!.signal('SIGWINCH');
        },
      });
    } finally {
      http?.close();
      await pool?.end();
    }
    const cpu = before && after ? CpuMeter.diff(before, after) : null;
    let walBytesPerOp: number | null = null;
    if (wal.start && wal.end && result.ops > 0) {
      const [from, to] = await Promise.all([wal.start, wal.end]);
      if (from !== null && to !== null) {
        const diff = await admin.query<{ bytes: string }>('SELECT pg_wal_lsn_diff($2::pg_lsn, $1::pg_lsn)::text AS bytes', [from, to]);
        walBytesPerOp = Number(diff.rows[0].bytes) / result.ops;
      }
    }
    const perOp = (seconds: number | null) => (seconds === null || result.ops === 0 ? null : (1000 * seconds) / result.ops);
    // Entries written through the API carry the caller's principal: `user:<id>/<key>`.
    const foundEntries = await this.count(`SELECT count(*)::int AS n FROM ledger_entries WHERE idempotency_key LIKE $1 OR idempotency_key LIKE '%/' || $1`, keyPrefix);
    const foundIdempotencyRows = side === 'service' ? await this.count(`SELECT count(*)::int AS n FROM idempotency_requests WHERE key LIKE $1`, keyPrefix) : null;
    const expectedEntries = result.totalOk * scenario.entriesPerOp;
    const expectedIdempotencyRows = side === 'service' ? result.totalOk : null;
    let profileSummary: ProfileSummary | null = null;
    if (profile) {
      const file = await this.waitForProfile(++this.profilesTaken);
      profileSummary = file ? summarizeProfile(file, 25) : null;
      if (!file) log('no CPU profile was written');
    }
    return {
      side,
      keyPrefix,
      result,
      entriesPerSecond: result.opsPerSecond * scenario.entriesPerOp,
      postingsPerSecond: result.opsPerSecond * scenario.postingsPerOp,
      cpu,
      cpuMsPerOp: cpu ? { client: perOp(cpu.benchProcess)!, api: side === 'service' ? perOp(cpu.api) : null, postgres: perOp(cpu.pgBench), postgresAux: perOp(cpu.pgAux) } : null,
      rowsCheck: {
        expectedEntries,
        foundEntries,
        expectedIdempotencyRows,
        foundIdempotencyRows,
        ok: foundEntries === expectedEntries && foundIdempotencyRows === expectedIdempotencyRows,
      },
      walBytesPerOp,
      otherActiveBackendsBefore: others.rows[0].n,
      loadAverageBefore,
      profile: profileSummary,
    };
  }

  /**
   * Once, before the first scenario: the service's requests of the scenarios in turn, unmeasured (own keys, so no run's
   * row count includes them). The first scenario measured right after the API started paid V8's compilation of the
   * hot paths (bench:history's H1: 0.72 ms of API CPU a request after a 2 s warm-up, 0.33 ms after 12 s).
   */
  async warmUp(): Promise<void> {
    const chosen = scenarios(this.ledger!).filter((s) => config.scenarios.includes(s.name));
    if (config.apiWarmupSeconds === 0 || !config.sides.includes('service') || chosen.length === 0) return;
    log(`warming the API up: ${config.apiWarmupSeconds} s of the service's requests (${chosen.map((s) => s.name).join(', ')} in turn; not measured)`);
    const http = new JsonHttpClient('127.0.0.1', config.port, config.clients);
    http.defaultHeaders = { authorization: `Bearer ${this.token}` };
    try {
      await warmUp(
        chosen.map((s) => s.service(http, `warm-${s.name.toLowerCase()}-`)),
        config.clients,
        config.apiWarmupSeconds,
      );
    } finally {
      http.close();
    }
  }

  async run(): Promise<ScenarioReport[]> {
    const reports: ScenarioReport[] = [];
    await this.warmUp();
    for (const scenario of scenarios(this.ledger!).filter((s) => config.scenarios.includes(s.name))) {
      log(`${scenario.name}: ${scenario.title}`);
      const runs: Partial<Record<'service' | 'baseline', RunReport>> = {};
      for (const side of config.sides) {
        const r = await this.measure(scenario, side);
        runs[side] = r;
        const ms = r.cpuMsPerOp;
        log(
          `  ${side.padEnd(8)} ${fmt(r.result.opsPerSecond)} ops/s (${fmt(r.postingsPerSecond, 0)} postings/s), p50 ${fmt(r.result.latency.p50Ms, 2)} ms, p99 ${fmt(r.result.latency.p99Ms, 2)} ms, ` +
            `errors ${r.result.errors}${ms ? `, CPU ms/op client ${fmt(ms.client, 2)} api ${ms.api === null ? '-' : fmt(ms.api, 2)} pg ${ms.postgres === null ? '-' : fmt(ms.postgres, 2)}` : ''}` +
            `${r.rowsCheck.ok ? '' : ' ROW COUNT MISMATCH'}`,
        );
      }
      const service = runs.service ?? null;
      const baseline = runs.baseline ?? null;
      const ratio = service && baseline ? service.result.opsPerSecond / baseline.result.opsPerSecond : Number.NaN;
      reports.push({
        name: scenario.name,
        title: scenario.title,
        goal: scenario.goal,
        entriesPerOp: scenario.entriesPerOp,
        postingsPerOp: scenario.postingsPerOp,
        service,
        baseline,
        ratio,
        goalMet: scenario.name === 'B3' ? (service?.postingsPerSecond ?? 0) >= 5000 : ratio >= 0.5,
      });
    }
    return reports;
  }

  /** The ledger invariants over everything both sides wrote, straight in SQL. */
  async invariants(): Promise<string[]> {
    const admin = this.admin!;
    const problems: string[] = [];
    const q = async (sql: string) => (await admin.query<{ problem: string }>(sql)).rows.map((r) => r.problem);
    problems.push(
      ...(await q(`SELECT 'entry ' || entry_id || ' does not balance' AS problem FROM ledger_postings
                   GROUP BY entry_id HAVING SUM(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END) <> 0 LIMIT 5`)),
      ...(await q(
        `SELECT 'signed balances of ' || asset_code || ' sum to ' || SUM(debits - credits) AS problem FROM ledger_accounts GROUP BY asset_code HAVING SUM(debits - credits) <> 0`,
      )),
      ...(await q(`SELECT 'cached totals of ' || a.code || ' differ from its postings' AS problem FROM ledger_accounts a LEFT JOIN (
                     SELECT account_id, SUM(amount) FILTER (WHERE side = 'DEBIT') AS d, SUM(amount) FILTER (WHERE side = 'CREDIT') AS c
                     FROM ledger_postings GROUP BY account_id) t ON t.account_id = a.id
                   WHERE a.debits <> COALESCE(t.d, 0) OR a.credits <> COALESCE(t.c, 0) LIMIT 5`)),
      ...(await q(`SELECT 'no-overdraft account ' || code || ' is below zero' AS problem FROM ledger_accounts
                   WHERE no_overdraft AND CASE normal_side WHEN 'DEBIT' THEN debits < credits ELSE credits < debits END LIMIT 5`)),
    );
    return problems;
  }

  setupSeconds(): number {
    return this.ledger?.setupSeconds ?? Number.NaN;
  }

  apiOutput(): { lines: number; tail: string[] } {
    return this.api?.output() ?? { lines: 0, tail: [] };
  }

  async tearDown(): Promise<{ code: number | null; signal: NodeJS.Signals | null } | null> {
    const exit = this.api ? await this.api.stop() : null;
    this.api = null;
    await this.admin?.end().catch(() => undefined);
    this.admin = null;
    await dropDatabase(config.databaseUrl);
    return exit;
  }
}

// ------------------------------------------------------------------ output

function printTables(reports: ScenarioReport[]): void {
  const ms = (v: number) => fmt(v, 2);
  console.log('\nResults (ops = HTTP requests for the service, transactions for the baseline; B3: 1 op = 1 batch):\n');
  console.log(
    renderTable(
      [
        'scenario',
        'svc ops/s',
        'svc p50 ms',
        'svc p99 ms',
        'raw ops/s',
        'raw p50 ms',
        'raw p99 ms',
        'svc/raw',
        'svc postings/s',
        'raw postings/s',
        'errors svc/raw',
        'goal',
        'met',
      ],
      reports.map((r) => [
        `${r.name} ${r.name === 'B3' ? `(batch ${r.entriesPerOp})` : ''}`.trim(),
        r.service ? fmt(r.service.result.opsPerSecond) : '-',
        r.service ? ms(r.service.result.latency.p50Ms) : '-',
        r.service ? ms(r.service.result.latency.p99Ms) : '-',
        r.baseline ? fmt(r.baseline.result.opsPerSecond) : '-',
        r.baseline ? ms(r.baseline.result.latency.p50Ms) : '-',
        r.baseline ? ms(r.baseline.result.latency.p99Ms) : '-',
        Number.isNaN(r.ratio) ? '-' : fmt(r.ratio, 2),
        r.service ? fmt(r.service.postingsPerSecond, 0) : '-',
        r.baseline ? fmt(r.baseline.postingsPerSecond, 0) : '-',
        `${r.service?.result.errors ?? '-'}/${r.baseline?.result.errors ?? '-'}`,
        r.goal,
        r.goalMet ? 'yes' : 'NO',
      ]),
    ),
  );
  const b3 = reports.find((r) => r.name === 'B3');
  if (b3?.service && b3.baseline) {
    console.log(
      `\nB3 service: ${fmt(b3.service.entriesPerSecond, 0)} entries/s, ${fmt(b3.service.postingsPerSecond, 0)} postings/s; ` +
        `baseline: ${fmt(b3.baseline.entriesPerSecond, 0)} entries/s, ${fmt(b3.baseline.postingsPerSecond, 0)} postings/s`,
    );
  }
  const cpuRows = reports.flatMap((r) =>
    runsOf(r).map((run) => {
      const c = run.cpu;
      const per = run.cpuMsPerOp;
      const total = per ? per.client + (per.api ?? 0) + (per.postgres ?? 0) + (per.postgresAux ?? 0) : Number.NaN;
      return [
        `${r.name} ${run.side}`,
        per ? ms(per.client) : '-',
        per?.api != null ? ms(per.api) : '-',
        per?.postgres != null ? ms(per.postgres) : '-',
        per?.postgresAux != null ? ms(per.postgresAux) : '-',
        ms(total),
        run.walBytesPerOp === null ? '-' : fmt(run.walBytesPerOp / 1024, 1),
        c?.machineBusyPercent != null ? fmt(c.machineBusyPercent, 0) : '-',
        c?.stealPercent != null ? fmt(c.stealPercent, 1) : '-',
        c?.pgOther != null ? fmt(c.pgOther, 1) : '-',
        c?.unattributed != null ? fmt(c.unattributed, 1) : '-',
        String(run.otherActiveBackendsBefore),
        run.loadAverageBefore[0].toFixed(2),
      ];
    }),
  );
  console.log(
    '\nCPU during the measured window, milliseconds per op (client = this process: HTTP client or pg client; pg = backends of the bench DB; aux = WAL writer, checkpointer, ...), and WAL written per op:\n',
  );
  console.log(
    renderTable(
      [
        'run',
        'client',
        'api',
        'pg',
        'pg aux',
        'total',
        'WAL KiB/op',
        'machine busy %',
        'steal %',
        'other DBs CPU s',
        'rest of machine CPU s',
        'other active backends',
        'load1 before',
      ],
      cpuRows,
    ),
  );
}

function printProfile(name: string, p: ProfileSummary, apiCpuSeconds: number | null): void {
  console.log(
    `\nCPU profile of the API during the ${name} service run: ${fmt(p.busyMs / 1000, 1)} s non-idle of ${fmt(p.totalMs / 1000, 1)} s sampled` +
      `${apiCpuSeconds === null ? '' : ` (the API process used ${fmt(apiCpuSeconds, 1)} CPU-s by /proc)`}; % of non-idle samples.\n` +
      `  Samples are wall-clock ticks: time the thread sat descheduled inside a syscall counts too (see ${SOCKET_WRITES_LABEL}).`,
  );
  console.log('\n  self time by layer:');
  for (const l of p.selfByLayer) console.log(`    ${fmt(l.percent, 1).padStart(5)}%  ${l.name}`);
  console.log('\n  self time by package / area:');
  for (const l of p.selfByPackage.slice(0, 15)) console.log(`    ${fmt(l.percent, 1).padStart(5)}%  ${l.name}`);
  console.log('\n  self time by function:');
  for (const l of p.selfByFunction.slice(0, 25)) console.log(`    ${fmt(l.percent, 1).padStart(5)}%  ${l.name}`);
  console.log('\n  inclusive time (app and library frames):');
  for (const l of p.inclusive.slice(0, 25)) console.log(`    ${fmt(l.percent, 1).padStart(5)}%  ${l.name}`);
}

// ------------------------------------------------------------------ main

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const cpus = os.cpus();
  let commit: string | null = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = null;
  }
  const bench = new Bench();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    log(`${signal}: stopping the API and dropping the scratch database`);
    bench
      .tearDown()
      .catch((e: unknown) => console.error(e))
      .finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let reports: ScenarioReport[] = [];
  let problems: string[] = [];
  let pg: { postgres: string; settings: Record<string, string> } = { postgres: 'unknown', settings: {} };
  let apiOutput: { lines: number; tail: string[] } = { lines: 0, tail: [] };
  let apiExit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  let setupSeconds = Number.NaN;
  try {
    await bench.setUp();
    pg = await bench.versions();
    console.log(
      `\nmachine: ${cpus.length} cores (${cpus[0]?.model ?? 'unknown CPU'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB; Node ${process.version}; PostgreSQL ${pg.postgres} ` +
        `(synchronous_commit=${pg.settings.synchronous_commit}, fsync=${pg.settings.fsync}, shared_buffers=${pg.settings.shared_buffers})`,
    );
    console.log(
      `runs: ${config.seconds} s each after ${config.warmupSeconds} s warm-up (the API warmed up once before, ${config.apiWarmupSeconds} s), ${config.clients} concurrent clients (closed loop); ` +
        `API LOG_LEVEL=${config.apiLogLevel} (per-request info logs off), DB_POOL_SIZE=${config.apiPoolSize}; baseline pg.Pool max=${config.clients}` +
        `${config.profile.length ? `; CPU PROFILER ON for ${config.profile.join(',')} service runs (their figures are perturbed)` : ''}\n`,
    );
    reports = await bench.run();
    problems = await bench.invariants();
  } finally {
    if (!interrupted) {
      apiOutput = bench.apiOutput();
      setupSeconds = bench.setupSeconds();
      apiExit = await bench.tearDown();
      log(`API stopped (${apiExit ? `code ${apiExit.code}, signal ${apiExit.signal}` : 'not started'}); scratch database dropped`);
    }
  }

  printTables(reports);
  for (const r of reports) if (r.service?.profile) printProfile(r.name, r.service.profile, r.service.cpu?.api ?? null);

  const errorRuns = reports.flatMap((r) =>
    runsOf(r)
      .filter((run) => run.result.totalErrors > 0)
      .map((run) => ({ scenario: r.name, run })),
  );
  const rowMismatches = reports.flatMap((r) =>
    runsOf(r)
      .filter((run) => !run.rowsCheck.ok)
      .map((run) => `${r.name} ${run.side}: ${JSON.stringify(run.rowsCheck)}`),
  );
  console.log(`\nrow checks (entries and idempotency rows written = successful requests): ${rowMismatches.length ? `MISMATCH\n  ${rowMismatches.join('\n  ')}` : 'ok'}`);
  console.log(`ledger invariants over all runs (balanced entries, zero-sum, cached totals, no overdraft): ${problems.length ? `VIOLATED\n  ${problems.join('\n  ')}` : 'ok'}`);
  console.log(`API output at LOG_LEVEL=${config.apiLogLevel}: ${apiOutput.lines} lines${apiOutput.lines ? `; last:\n  ${apiOutput.tail.slice(-5).join('\n  ')}` : ''}`);
  if (errorRuns.length) {
    const bar = '!'.repeat(100);
    console.log(`\n${bar}\n!!! ERRORS: ${errorRuns.length} run(s) had failed requests — their figures are NOT valid`);
    for (const { scenario, run } of errorRuns) {
      console.log(`!!! ${scenario} ${run.side}: ${run.result.totalErrors} failed (${run.result.errors} in the window)`);
      for (const k of run.result.errorKinds.slice(0, 5)) console.log(`!!!   ${k.count} × ${k.message}`);
    }
    console.log(bar);
  } else {
    console.log('errors: none (every request 2xx, every baseline transaction committed)');
  }

  const report = {
    startedAt,
    finishedAt: new Date().toISOString(),
    commit,
    machine: { cores: cpus.length, cpuModel: cpus[0]?.model ?? null, memoryGiB: Math.round(os.totalmem() / 2 ** 30), platform: `${os.platform()} ${os.release()}` },
    node: process.version,
    postgres: pg,
    config: {
      seconds: config.seconds,
      warmupSeconds: config.warmupSeconds,
      clients: config.clients,
      wallets: config.wallets,
      batchSize: config.batchSize,
      amount: config.amount,
      apiLogLevel: config.apiLogLevel,
      apiDbPoolSize: config.apiPoolSize,
      baselinePoolSize: config.clients,
      httpClient: 'node:http request + keep-alive Agent (lower client CPU than fetch/undici on this machine)',
      profiled: config.profile,
    },
    setupSeconds,
    scenarios: reports,
    goalsMet: reports.every((r) => r.goalMet),
    errors: errorRuns.length > 0,
    rowMismatches,
    invariantViolations: problems,
    apiOutput,
    apiExit,
  };
  mkdirSync(join(ROOT, 'reports'), { recursive: true });
  writeFileSync(REPORT_FILE, `${JSON.stringify(report, null, 2)}\n`);
  log(`report written to ${REPORT_FILE}`);
  if (errorRuns.length || problems.length || rowMismatches.length) process.exitCode = 2;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
