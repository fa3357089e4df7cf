/**
 * `npm run bench:history` — B6 of issue 21: reads over a long history, through the real HTTP API, each
 * next to raw SQL for the same answer in the same run.
 *
 * Loads HISTORY_POSTINGS postings (10,000,000) over HISTORY_YEARS (5) years straight in SQL (generate_series,
 * not the API: the hash chain of this history is not a real one, so ledger:verify is not run on it) into
 * HISTORY_ACCOUNTS accounts (100,000): HISTORY_HOT (5) clearing accounts take one posting of 90 % of the
 * entries (≈ 9 % of all postings each, ~900,000 at 10 M), the rest spread over the wallets; 10 % of the
 * entries move units of a ticket asset TKT to one of 10 % of the accounts (a series' register).
 * Then, with BENCH_CLIENTS (16) clients in a closed loop:
 *
 *   H1  balance of an account (one in ten a hot one) as of a random past date  GET /v1/accounts/:code/balance?asOf=
 *   H2  the same on the hot accounts only
 *   H3  a statement page (50 lines) from a random date              GET /v1/accounts/:code/statement
 *   H4  trial balance as of a random date (BENCH_TB_CLIENTS, 2)     GET /v1/reports/trial-balance?asOf=
 *   H5  register of the TKT series as of a random date: the ledger read a series' register makes
 *       (LedgerReportsService.balancesOfAssetAsOf, in this process: no route serves it alone)
 *
 * Each next to "raw": the same answer in one SQL statement over the year, month and day totals
 * (ledger_account_years, _months, _days; + postings for the page; for H1–H3 the service's own prepared statement,
 * ACCOUNT_TOTALS_AS_OF_SQL and STATEMENT_SQL, run from a pg pool), and "sum": the same answer summing postings (what the ledger did before ledger_account_days).
 * Environment: HISTORY_POSTINGS, HISTORY_ACCOUNTS, HISTORY_HOT, HISTORY_YEARS, BENCH_SECONDS (10),
 * BENCH_WARMUP_SECONDS (2: per run), BENCH_API_WARMUP_SECONDS (15: once, after the API starts: its H1–H3 requests in turn, unmeasured), BENCH_CLIENTS (16), BENCH_TB_CLIENTS (2), BENCH_PORT (3999), BENCH_SCENARIOS
 * (H1,…), BENCH_SKIP_SUM (1: leave out the posting-sum runs), BENCH_DATABASE_URL (…/forest_ledger_history_bench), REDIS_URL,
 * BENCH_API_PROCESSES (1: API processes on the port, as bench:ledger), BENCH_API_POOL_SIZE (4: DB_POOL_SIZE of each), HISTORY_REUSE (1: measure again on the history an earlier run loaded with the same sizes the same day, instead of loading it anew;
 * migrations added since are applied to it first), BENCH_PROFILE (a list of scenarios: CPU-profile the API, every process of it, during those service runs; perturbs their figures).
 * Each run prints the CPU per operation of the bench process, the API and the bench database's PostgreSQL backends (/proc).
 */
import { createAdmin } from '@forest-ledger/access';
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ACCOUNT_TOTALS_AS_OF_SQL, LedgerReportsService, LedgerService, rowsAsOfSql, STATEMENT_SQL } from '@forest-ledger/ledger';
import { ensureDatabase, inTransaction, migrate, openDataSource } from '@forest-ledger/platform';
import { ApiProcess } from './lib/api-process';
import { CpuMeter, CpuSnapshot } from './lib/cpu';
import { summarizeProfile } from './lib/cpu-profile-summary';
import { JsonHttpClient } from './lib/http-client';
import { LoadResult, Operation, runLoad, warmUp } from './lib/load';
import { inPgTransaction } from './lib/raw-baseline';
import { dropDatabase } from './lib/scratch-ledger';
import { fmt, renderTable } from './lib/stats';
import { intEnv } from './lib/env';

const config = {
  postings: intEnv('HISTORY_POSTINGS', 10_000_000, 1000, 100_000_000),
  accounts: intEnv('HISTORY_ACCOUNTS', 100_000, 100, 10_000_000),
  hot: intEnv('HISTORY_HOT', 5, 1, 100),
  years: intEnv('HISTORY_YEARS', 5, 1, 50),
  seconds: intEnv('BENCH_SECONDS', 10, 1, 3600),
  warmupSeconds: intEnv('BENCH_WARMUP_SECONDS', 2, 0, 600),
  /** Once, after the API starts and before the first scenario: the service's requests, unmeasured. */
  apiWarmupSeconds: intEnv('BENCH_API_WARMUP_SECONDS', 15, 0, 600),
  /**
   * DB_POOL_SIZE of each API process. 4, not the service's default 20: these reads are CPU-bound in PostgreSQL, and on a
   * 2-core database more sessions at once only share the cores worse (one API process, H1: PostgreSQL 0.13 ms of CPU a
   * balance with 4 connections, 0.24 ms with 8; p99 9 ms against 23 ms). See README, "Sizing the connection pool".
   */
  apiPoolSize: intEnv('BENCH_API_POOL_SIZE', 4, 1, 200),
  clients: intEnv('BENCH_CLIENTS', 16, 1, 500),
  tbClients: intEnv('BENCH_TB_CLIENTS', 2, 1, 500),
  port: intEnv('BENCH_PORT', 3999, 1, 65535),
  scenarios: (process.env.BENCH_SCENARIOS ?? 'H1,H2,H3,H4,H5').split(',').map((s) => s.trim().toUpperCase()),
  skipSum: process.env.BENCH_SKIP_SUM === '1',
  profile: (process.env.BENCH_PROFILE ?? '')
    .split(',')
    .map((s) => s.trim().toUpperCase())
    .filter(Boolean),
  databaseUrl: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/forest_ledger_history_bench',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};

const ROOT = resolve(__dirname, '..', '..');
const API_MAIN = join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const PRELOAD = join(__dirname, 'cpu-profile.preload.js');
const PROFILE_DIR = join(ROOT, 'reports', 'bench-history-profiles', new Date().toISOString().replace(/[:.]/g, '-'));
const CHUNK = 500_000; // entries per load statement
const log = (msg: string) => console.log(`[history ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)];

interface History {
  start: string;
  days: number;
  hot: string[];
  wallets: { first: number; count: number };
  admin: { username: string; password: string };
}

const walletCode = (i: number) => `h:wallet:${String(i).padStart(7, '0')}:CNY`;

/** Scratch database, migrated; accounts through SQL with the columns openAccount writes; the history by generate_series. */
async function load(ds: DataSource): Promise<History> {
  const ledger = new LedgerService(ds);
  await inTransaction(ds, async (em) => {
    await ledger.createAsset(em, { code: 'CNY', scale: 2 });
    await ledger.createAsset(em, { code: 'TKT', scale: 0 });
    await ledger.openAccount(em, { code: 'h:issuer:TKT', asset: 'TKT', type: 'ASSET' });
  });
  const holders = Math.max(1, Math.floor(config.accounts / 10));
  const wallets = config.accounts - config.hot - holders - 1;
  await ds.query(
    `INSERT INTO ledger_accounts (code, asset_code, type, normal_side, owner_ref)
     SELECT 'h:clearing:' || i || ':CNY', 'CNY', 'ASSET', 'DEBIT', NULL FROM generate_series(1, $1::int) i ORDER BY i`,
    [config.hot],
  );
  await ds.query(
    `INSERT INTO ledger_accounts (code, asset_code, type, normal_side, owner_ref)
     SELECT 'h:wallet:' || lpad(i::text, 7, '0') || ':CNY', 'CNY', 'LIABILITY', 'CREDIT', 'party:w' || i FROM generate_series(1, $1::int) i ORDER BY i`,
    [wallets],
  );
  await ds.query(
    `INSERT INTO ledger_accounts (code, asset_code, type, normal_side, owner_ref)
     SELECT 'h:holder:' || lpad(i::text, 7, '0') || ':TKT', 'TKT', 'LIABILITY', 'CREDIT', 'party:t' || i FROM generate_series(1, $1::int) i ORDER BY i`,
    [holders],
  );
  const [ids] = await ds.query<Array<{ issuer: number; hot0: number; wallet0: number; wallet_span: number; holder0: number; holder_span: number }>>(
    `SELECT (SELECT id FROM ledger_accounts WHERE code = 'h:issuer:TKT')::int AS issuer,
            (SELECT min(id) FROM ledger_accounts WHERE code LIKE 'h:clearing:%')::int AS hot0,
            (SELECT min(id) FROM ledger_accounts WHERE code LIKE 'h:wallet:%')::int AS wallet0,
            (SELECT max(id) - min(id) + 1 FROM ledger_accounts WHERE code LIKE 'h:wallet:%')::int AS wallet_span,
            (SELECT min(id) FROM ledger_accounts WHERE code LIKE 'h:holder:%')::int AS holder0,
            (SELECT max(id) - min(id) + 1 FROM ledger_accounts WHERE code LIKE 'h:holder:%')::int AS holder_span`,
  );
  if (ids.wallet_span !== wallets || ids.holder_span !== holders) throw new Error('account ids are not contiguous: cannot address them by offset');
  const [{ start, days }] = await ds.query<Array<{ start: string; days: number }>>(
    `SELECT (current_date - make_interval(years => $1::int))::date::text AS start, (current_date - (current_date - make_interval(years => $1::int))::date) AS days`,
    [config.years],
  );
  const entries = Math.ceil(config.postings / 2);
  const started = Date.now();
  for (let lo = 1; lo <= entries; lo += CHUNK) {
    const hi = Math.min(entries, lo + CHUNK - 1);
    await inTransaction(ds, async (em) => {
      // per entry: its day, whether it moves TKT, its two accounts (debit, credit) and amount
      await em.query(
        `CREATE TEMP TABLE gen ON COMMIT DROP AS
         SELECT g AS id, ($3::date + floor(random() * $4::int)::int) AS d, t, a, b, amt FROM (
           SELECT g, t,
                  CASE WHEN t THEN $5::bigint ELSE $6::bigint + floor(random() * $7::int)::int END AS x,
                  CASE WHEN t THEN $8::bigint + floor(random() * $9::int)::int ELSE $10::bigint + floor(random() * $11::int)::int END AS y,
                  random() < 0.5 AS flip,
                  CASE WHEN t THEN (1 + floor(random() * 100))::numeric ELSE round((1 + random() * 999)::numeric, 2) END AS amt
           FROM (SELECT g, random() < 0.1 AS t FROM generate_series($1::bigint, $2::bigint) g) s
         ) r, LATERAL (SELECT CASE WHEN flip AND NOT t THEN y ELSE x END AS a, CASE WHEN flip AND NOT t THEN x ELSE y END AS b) ab`,
        [lo, hi, start, days, ids.issuer, ids.hot0, config.hot, ids.holder0, holders, ids.wallet0, wallets],
      );
      await em.query(
        `INSERT INTO ledger_entries (id, idempotency_key, kind, effective_date, booked_at, hash)
         SELECT id, 'history-' || id, 'BENCH_HISTORY', d, d::timestamptz + interval '12 hours', 'bench' FROM gen`,
      );
      await em.query(
        `INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount, effective_date)
         SELECT id, 0, a, 'DEBIT', amt, d FROM gen UNION ALL SELECT id, 1, b, 'CREDIT', amt, d FROM gen`,
      );
    });
    log(`loaded ${(2 * hi).toLocaleString('en-US')} postings (${fmt((Date.now() - started) / 1000)} s)`);
  }
  await ds.query(`SELECT setval(pg_get_serial_sequence('ledger_entries', 'id'), (SELECT max(id) FROM ledger_entries))`);
  await ds.query(
    `UPDATE ledger_accounts a SET debits = t.d, credits = t.c FROM (
       SELECT account_id, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0) AS d, COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0) AS c
       FROM ledger_postings GROUP BY account_id) t WHERE t.account_id = a.id`,
  );
  // the day totals as the migration backfills them, stored in date order as a ledger posting day by day writes them
  // (the trial balance reads one month of day rows through the index by day: scattered rows would cost a page each)
  await ds.query(
    `INSERT INTO ledger_account_days (account_id, day, debits, credits)
     SELECT account_id, effective_date, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
     FROM ledger_postings GROUP BY account_id, effective_date ORDER BY effective_date, account_id`,
  );
  // the month and year totals: what the migration sums from the postings, summed here from the day totals (the same figures, fewer rows)
  await ds.query(
    `INSERT INTO ledger_account_months (account_id, month, debits, credits)
     SELECT account_id, date_trunc('month', day::timestamp)::date, SUM(debits), SUM(credits) FROM ledger_account_days GROUP BY 1, 2 ORDER BY 2, 1`,
  );
  await ds.query(
    `INSERT INTO ledger_account_years (account_id, year, debits, credits)
     SELECT account_id, date_trunc('year', month::timestamp)::date, SUM(debits), SUM(credits) FROM ledger_account_months GROUP BY 1, 2 ORDER BY 2, 1`,
  );
  await ds.query('VACUUM ANALYZE');
  log(`history loaded in ${fmt((Date.now() - started) / 1000)} s`);
  const admin = (await createAdmin(ds, 'history-bench'))!;
  const hot = Array.from({ length: config.hot }, (_, i) => `h:clearing:${i + 1}:CNY`);
  const history: History = { start, days, hot, wallets: { first: 1, count: wallets }, admin };
  // For HISTORY_REUSE: what was loaded, with which sizes (a scratch database's own table, not the schema's).
  await ds.query(`CREATE TABLE bench_history_meta (sizes jsonb NOT NULL, history jsonb NOT NULL)`);
  await ds.query(`INSERT INTO bench_history_meta VALUES ($1, $2)`, [JSON.stringify(loadSizes()), JSON.stringify(history)]);
  return history;
}

/** The sizes a loaded history was made with, and the day (its dates count back from it). */
function loadSizes(): Record<string, number | string> {
  return { postings: config.postings, accounts: config.accounts, hot: config.hot, years: config.years, day: new Date().toISOString().slice(0, 10) };
}

/** The history an earlier run loaded into the database with the same sizes today, if any. */
async function loadedHistory(): Promise<History | null> {
  const client = new Client({ connectionString: config.databaseUrl });
  try {
    await client.connect();
  } catch {
    return null; // no such database yet
  }
  try {
    const rows = await client.query<{ sizes: Record<string, unknown>; history: History }>(`SELECT sizes, history FROM bench_history_meta`).catch(() => null);
    const row = rows?.rows[0];
    return row && Object.entries(loadSizes()).every(([key, value]) => row.sizes[key] === value) ? row.history : null;
  } finally {
    await client.end();
  }
}

interface Side {
  label: string;
  clients: number;
  op: Operation;
}

interface Scenario {
  name: string;
  title: string;
  goal: string;
  goalMs: number;
  sides: Side[];
}

async function main(): Promise<void> {
  if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} not found: run npm run build first (npm run bench:history does)`);
  const reused = process.env.HISTORY_REUSE === '1' ? await loadedHistory() : null;
  if (!reused) {
    await dropDatabase(config.databaseUrl);
    await ensureDatabase(config.databaseUrl);
  }
  const ds = await openDataSource(config.databaseUrl, config.clients);
  let api: ApiProcess | null = null;
  let pool: Pool | null = null;
  let http: JsonHttpClient | null = null;
  try {
    if (reused) {
      const started = Date.now();
      const applied = await migrate(ds);
      log(
        `reusing the history loaded earlier today (HISTORY_REUSE=1)${applied.length ? `; migrations applied to it in ${fmt((Date.now() - started) / 1000)} s: ${applied.join(', ')}` : ''}`,
      );
    } else {
      await migrate(ds);
      log(`loading ${config.postings.toLocaleString('en-US')} postings over ${config.years} years into ${config.accounts.toLocaleString('en-US')} accounts (${config.hot} hot)`);
    }
    const h = reused ?? (await load(ds));
    const [{ counts }] = await ds.query<Array<{ counts: { postings: number; days: number; months: number; years: number; hotPostings: number } }>>(
      `SELECT json_build_object('postings', (SELECT count(*) FROM ledger_postings), 'days', (SELECT count(*) FROM ledger_account_days),
         'months', (SELECT count(*) FROM ledger_account_months), 'years', (SELECT count(*) FROM ledger_account_years),
         'hotPostings', (SELECT count(*) FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id WHERE a.code = $1)) AS counts`,
      [h.hot[0]],
    );
    log(`rows: ${JSON.stringify(counts)}`);

    const profiling = config.profile.some((name) => config.scenarios.includes(name));
    api = new ApiProcess({
      mainJs: API_MAIN,
      port: config.port,
      nodeArgs: profiling ? ['-r', PRELOAD] : [],
      startTimeoutMs: 120_000, // 30 s is not always enough on a busy 2-core machine
      env: {
        ...(profiling ? { BENCH_PROFILE_DIR: PROFILE_DIR } : {}),
        NODE_ENV: 'production',
        JWT_SECRET: randomBytes(32).toString('base64'),
        PII_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        PII_HMAC_KEY: randomBytes(32).toString('base64'),
        DATABASE_URL: config.databaseUrl,
        REDIS_URL: config.redisUrl,
        QUEUE_PREFIX: 'forest-ledger-history-bench',
        LOG_LEVEL: 'warn',
        DB_POOL_SIZE: String(config.apiPoolSize),
        DEMO_DATA: 'false',
        API_PROCESSES: process.env.BENCH_API_PROCESSES ?? '1',
      },
    });
    await api.waitHealthy();
    http = new JsonHttpClient('127.0.0.1', config.port, config.clients);
    const login = await http.request('POST', '/v1/auth/login', JSON.stringify(h.admin));
    if (login.status !== 200) throw new Error(`login failed: HTTP ${login.status}`);
    http.defaultHeaders = { authorization: `Bearer ${(JSON.parse(login.body) as { accessToken: string }).accessToken}` };
    pool = new Pool({ connectionString: config.databaseUrl, max: config.clients });
    const [{ pid: backend }] = (await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows;
    const meter = new CpuMeter(api.pid, CpuMeter.postmasterOf(backend), new URL(config.databaseUrl).pathname.slice(1));
    const reports = new LedgerReportsService(ds);

    const date = () => {
      const d = new Date(`${h.start}T00:00:00Z`);
      d.setUTCDate(d.getUTCDate() + Math.floor(Math.random() * h.days));
      return d.toISOString().slice(0, 10);
    };
    // one request in ten on a hot account, so the p99 includes them; the rest on a random wallet
    const anyAccount = () => (Math.random() < 0.1 ? pick(h.hot) : walletCode(1 + Math.floor(Math.random() * h.wallets.count)));
    const get = async (path: string) => {
      const res = await http!.request('GET', path);
      if (res.status !== 200) throw new Error(`GET ${path.split('?')[0]}: HTTP ${res.status} ${res.body.slice(0, 120)}`);
    };
    const sql =
      (text: string, params: () => unknown[]): Operation =>
      async () => {
        await pool!.query(text, params());
      };
    // the service's own statements, prepared as the service runs them (named: parsed and planned once per connection)
    const prepared =
      (name: string, text: string, params: () => unknown[]): Operation =>
      async () => {
        await pool!.query({ name, text, values: params() });
      };
    const balanceRaw = (next: () => string) => prepared('balance', ACCOUNT_TOTALS_AS_OF_SQL, () => [next(), date(), null]);
    const balanceSum = (next: () => string) =>
      sql(
        `SELECT a.code, COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'DEBIT'), 0), COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'CREDIT'), 0)
         FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id AND p.effective_date <= $2::date WHERE a.code = $1 GROUP BY a.id`,
        () => [next(), date()],
      );
    const statementPage = `SELECT p.id, p.entry_id, e.kind, e.memo, p.effective_date, p.side, p.amount FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id
         WHERE p.account_id = (SELECT id FROM ledger_accounts WHERE code = $1) AND p.effective_date BETWEEN $2::date AND current_date ORDER BY p.effective_date, p.id LIMIT 50`;
    const today = () => new Date().toISOString().slice(0, 10);
    // a page of 50 as the service asks it (one row more, to know whether there is a next page)
    const statementRaw = prepared('statement', STATEMENT_SQL, () => [anyAccount(), date(), today(), null, null, 51, null]);
    const statementSum = sql(
      `SELECT (SELECT COALESCE(SUM(CASE side WHEN 'DEBIT' THEN amount ELSE -amount END), 0) FROM ledger_postings
                WHERE account_id = (SELECT id FROM ledger_accounts WHERE code = $1) AND effective_date < $2::date) AS opening, page.*
       FROM (${statementPage}) page`,
      () => [anyAccount(), date()],
    );
    // serial, as the service runs it (LedgerReportsService.trialBalance: a parallel plan doubles the time of two at once)
    const tbRawText = `SELECT a.asset_code, SUM(GREATEST(t.net, 0)), SUM(GREATEST(-t.net, 0)) FROM ledger_accounts a
       JOIN (SELECT account_id, SUM(debits - credits) AS net FROM (${rowsAsOfSql('$1::date')}) r GROUP BY account_id) t ON t.account_id = a.id GROUP BY a.asset_code`;
    const tbRaw: Operation = () =>
      inPgTransaction(pool!, async (client) => {
        await client.query('SET LOCAL max_parallel_workers_per_gather = 0');
        await client.query(tbRawText, [date()]);
      });
    const tbSum = sql(
      `SELECT a.asset_code, SUM(GREATEST(t.d - t.c, 0)), SUM(GREATEST(t.c - t.d, 0)) FROM ledger_accounts a
       JOIN (SELECT account_id, SUM(amount) FILTER (WHERE side = 'DEBIT') AS d, SUM(amount) FILTER (WHERE side = 'CREDIT') AS c
             FROM ledger_postings WHERE effective_date <= $1::date GROUP BY account_id) t ON t.account_id = a.id GROUP BY a.asset_code`,
      () => [date()],
    );
    const registerRaw = sql(
      `SELECT a.code, a.owner_ref, SUM(d.credits - d.debits) AS units FROM ledger_accounts a
       JOIN (${rowsAsOfSql('$1::date', `account_id IN (SELECT id FROM ledger_accounts WHERE asset_code = 'TKT' AND type = 'LIABILITY')`)}) d ON d.account_id = a.id
       GROUP BY a.id HAVING SUM(d.credits - d.debits) <> 0 ORDER BY a.code`,
      () => [date()],
    );
    const registerSum = sql(
      `SELECT a.code, a.owner_ref, SUM(CASE p.side WHEN 'CREDIT' THEN p.amount ELSE -p.amount END) AS units FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
       WHERE a.asset_code = 'TKT' AND a.type = 'LIABILITY' AND p.effective_date <= $1::date GROUP BY a.id HAVING SUM(CASE p.side WHEN 'CREDIT' THEN p.amount ELSE -p.amount END) <> 0 ORDER BY a.code`,
      () => [date()],
    );
    const C = config.clients;
    const T = config.tbClients;
    const scenarios: Scenario[] = [
      {
        name: 'H1',
        title: 'balance as of a random date, random account',
        goal: 'p99 < 20 ms',
        goalMs: 20,
        sides: [
          { label: 'service', clients: C, op: () => get(`/v1/accounts/${encodeURIComponent(anyAccount())}/balance?asOf=${date()}`) },
          { label: 'raw', clients: C, op: balanceRaw(anyAccount) },
          { label: 'sum', clients: C, op: balanceSum(anyAccount) },
        ],
      },
      {
        name: 'H2',
        title: `balance as of a random date, hot accounts (~${Math.round((0.45 * config.postings) / config.hot).toLocaleString('en-US')} postings each)`,
        goal: 'p99 < 20 ms',
        goalMs: 20,
        sides: [
          { label: 'service', clients: C, op: () => get(`/v1/accounts/${encodeURIComponent(pick(h.hot))}/balance?asOf=${date()}`) },
          { label: 'raw', clients: C, op: balanceRaw(() => pick(h.hot)) },
          { label: 'sum', clients: C, op: balanceSum(() => pick(h.hot)) },
        ],
      },
      {
        name: 'H3',
        title: 'statement page of 50 from a random date (half on hot accounts)',
        goal: 'p99 < 50 ms',
        goalMs: 50,
        sides: [
          {
            label: 'service',
            clients: C,
            op: () => get(`/v1/accounts/${encodeURIComponent(anyAccount())}/statement?from=${date()}&to=${today()}&limit=50`),
          },
          { label: 'raw', clients: C, op: statementRaw },
          { label: 'sum', clients: C, op: statementSum },
        ],
      },
      {
        name: 'H4',
        title: `trial balance as of a random date (${T} clients)`,
        goal: 'p99 < 2,000 ms',
        goalMs: 2000,
        sides: [
          { label: 'service', clients: T, op: () => get(`/v1/reports/trial-balance?asOf=${date()}`) },
          { label: 'raw', clients: T, op: tbRaw },
          { label: 'sum', clients: T, op: tbSum },
        ],
      },
      {
        name: 'H5',
        title: `register of TKT (${Math.floor(config.accounts / 10).toLocaleString('en-US')} holder accounts) as of a random date, in-process`,
        goal: 'p99 < 2,000 ms',
        goalMs: 2000,
        sides: [
          {
            label: 'service',
            clients: T,
            op: async () => {
              await reports.balancesOfAssetAsOf('TKT', 'LIABILITY', date());
            },
          },
          { label: 'raw', clients: T, op: registerRaw },
          { label: 'sum', clients: T, op: registerSum },
        ],
      },
    ];
    const rows: string[][] = [];
    // The API as a long-running service is: its code compiled by V8's optimising tiers and PostgreSQL's backends warm.
    // Measured straight after start, the first scenario paid the start's JIT: H1 cost the API 0.72 ms of CPU a request
    // after a 2 s warm-up and 0.33 ms after 12 s (same build, same data, one run after the other).
    if (config.apiWarmupSeconds > 0) {
      const warm = scenarios.filter((x) => config.scenarios.includes(x.name) && ['H1', 'H2', 'H3'].includes(x.name)).map((x) => x.sides.find((side) => side.label === 'service')!);
      if (warm.length > 0) {
        log(`warming the API up: ${config.apiWarmupSeconds} s of the service's ${warm.length === 1 ? 'requests' : 'requests, the scenarios in turn'} (not measured)`);
        await warmUp(
          warm.map((side) => side.op),
          config.clients,
          config.apiWarmupSeconds,
        );
      }
    }
    let linesBefore = api.output().lines;
    for (const s of scenarios.filter((x) => config.scenarios.includes(x.name))) {
      log(`${s.name}: ${s.title}`);
      const results = new Map<string, LoadResult>();
      for (const side of s.sides.filter((x) => !(config.skipSum && x.label === 'sum'))) {
        await pool.query('SELECT 1');
        const profile = side.label === 'service' && config.profile.includes(s.name);
        const window: { before: CpuSnapshot | null; after: CpuSnapshot | null } = { before: null, after: null };
        const r = await runLoad(side.op, {
          clients: side.clients,
          warmupSeconds: config.warmupSeconds,
          seconds: config.seconds,
          onWindowStart: () => {
            window.before = meter.snapshot();
            if (profile) signalApi(api!, 'SIGWINCH');
          },
          onWindowEnd: () => {
            window.after = meter.snapshot();
            if (profile) signalApi(api!, 'SIGWINCH');
          },
        });
        results.set(side.label, r);
        const printed = side.label === 'service' ? api.output() : null;
        const cpu = window.before && window.after ? CpuMeter.diff(window.before, window.after) : null;
        const perOp = (seconds: number | null) => (seconds === null || r.ops === 0 ? '?' : fmt((1000 * seconds) / r.ops, 3));
        log(
          `  ${side.label.padEnd(7)} ${fmt(r.opsPerSecond)} ops/s, p50 ${fmt(r.latency.p50Ms, 2)} ms, p99 ${fmt(r.latency.p99Ms, 2)} ms, errors ${r.totalErrors}` +
            `${r.errorKinds.length ? ` (${r.errorKinds[0].message})` : ''}` +
            (cpu
              ? `; CPU ms/op: api ${side.label === 'service' ? perOp(cpu.api) : '-'}, postgres ${perOp(cpu.pgBench)}, bench ${perOp(cpu.benchProcess)}; machine busy ${fmt(cpu.machineBusyPercent ?? 0)} %, other DBs ${fmt(cpu.pgOther ?? 0, 1)} CPU-s`
              : ''),
        );
        if (printed && printed.lines > linesBefore) log(`  the API logged ${printed.lines - linesBefore} lines (LOG_LEVEL=warn); the last: ${printed.tail.at(-1)}`);
        if (printed) linesBefore = printed.lines;
        if (profile) await printProfiles(s.name);
      }
      const svc = results.get('service')!;
      const raw = results.get('raw')!;
      const sum = results.get('sum');
      rows.push([
        s.name,
        fmt(svc.opsPerSecond),
        fmt(svc.latency.p50Ms, 2),
        fmt(svc.latency.p99Ms, 2),
        fmt(raw.opsPerSecond),
        fmt(raw.latency.p50Ms, 2),
        fmt(raw.latency.p99Ms, 2),
        fmt(svc.opsPerSecond / raw.opsPerSecond, 2),
        sum ? fmt(sum.opsPerSecond) : '-',
        sum ? fmt(sum.latency.p99Ms, 2) : '-',
        `${svc.totalErrors}/${raw.totalErrors}/${sum?.totalErrors ?? '-'}`,
        s.goal,
        svc.totalErrors === 0 && svc.latency.p99Ms < s.goalMs ? 'yes' : 'NO',
      ]);
    }
    const cpus = os.cpus();
    console.log(
      `\nmachine: ${cpus.length} cores (${cpus[0]?.model ?? 'unknown'}), load average before the table ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${JSON.stringify(counts)}; ${config.seconds} s per run after ${config.warmupSeconds} s warm-up\n` +
        "raw = the same answer in one SQL statement over the year, month and day totals (H1–H3: the service's prepared statement); sum = the answer summing postings (the design before ledger_account_days)\n",
    );
    console.log(
      renderTable(
        ['scenario', 'svc ops/s', 'svc p50 ms', 'svc p99 ms', 'raw ops/s', 'raw p50 ms', 'raw p99 ms', 'svc/raw', 'sum ops/s', 'sum p99 ms', 'errors svc/raw/sum', 'goal', 'met'],
        rows,
      ),
    );
  } finally {
    http?.close();
    await pool?.end();
    if (api) await api.stop();
    await ds.destroy();
    if (process.env.HISTORY_REUSE === '1')
      log(`API stopped, scratch database kept for the next HISTORY_REUSE=1 run (drop it with: dropdb ${new URL(config.databaseUrl).pathname.slice(1)})`);
    else {
      await dropDatabase(config.databaseUrl);
      log('API stopped, scratch database dropped');
    }
  }
}

/** A signal to the API process and its node:cluster workers (the preload toggles the profiler in each on SIGWINCH). */
function signalApi(api: ApiProcess, signal: NodeJS.Signals): void {
  api.signal(signal);
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === api.pid) process.kill(Number(name), signal);
    } catch {
      // gone meanwhile
    }
  }
}

let profilesSeen = 0;

/** The profiles the API's processes wrote since the last call: the top of each. */
async function printProfiles(scenario: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 1500)); // let the processes write them
  const files = existsSync(PROFILE_DIR) ? readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.cpuprofile')) : [];
  const fresh = files.map((f) => join(PROFILE_DIR, f)).slice(profilesSeen);
  profilesSeen = files.length;
  for (const file of fresh) {
    const p = summarizeProfile(file, 25);
    console.log(`\nCPU profile of an API process during the ${scenario} service run: ${fmt(p.busyMs / 1000, 1)} s non-idle of ${fmt(p.totalMs / 1000, 1)} s (${file})`);
    for (const [title, lines] of [
      ['self by layer', p.selfByLayer],
      ['self by package', p.selfByPackage.slice(0, 12)],
      ['self by function', p.selfByFunction.slice(0, 25)],
      ['inclusive', p.inclusive.slice(0, 30)],
    ] as const) {
      console.log(`  ${title}:`);
      for (const l of lines) console.log(`    ${fmt(l.percent, 1).padStart(5)}%  ${l.name}`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
