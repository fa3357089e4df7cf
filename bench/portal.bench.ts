/**
 * `npm run bench:portal` — the villagers' page under load (issue 21): a village of BENCH_VILLAGERS villagers
 * holding 林票 of two series, with three dividends (two paid into the wallets, one paid out to their cards),
 * each with their own VILLAGER login; then BENCH_CLIENTS concurrent clients (distinct logins) each loading
 * `GET /v1/me/portal` in a closed loop, every BENCH_PDF_EVERY-th request the certificate PDF instead.
 * Next to it, a raw-SQL baseline: the same data read with one minimal statement per page straight through `pg`,
 * with the same concurrency, so the ratio shows the service's overhead.
 *
 * Environment: BENCH_VILLAGERS (1000), BENCH_CLIENTS (500), BENCH_SECONDS (15), BENCH_WARMUP_SECONDS (3: seconds of
 * load before the window, counted from when every client has sent its first request, i.e. after the longest first
 * think time of 1.5 × BENCH_THINK_MS), BENCH_THINK_MS (0: closed loop; e.g. 2000 for phones that pause between
 * loads), BENCH_PDF_EVERY (20),
 * BENCH_API_PROCESSES (1), BENCH_POOL (20, the API's DB_POOL_SIZE and the baseline's pool), BENCH_PORT (4021),
 * BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/forest_ledger_portal_bench; dropped and recreated), REDIS_URL,
 * BENCH_PROFILE=1 (the API's CPU profile over the service's window, summarised), BENCH_API_MAIN (another build of the API).
 */
import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { Pool } from 'pg';
import { Hs256Jwt } from '@forest-ledger/access';
import {
  BANK_CLEARING_ACCOUNT,
  BankCardsService,
  DividendDeclarationsService,
  DividendDistributionService,
  ParcelsService,
  PayoutsService,
  PiiCipher,
  ProjectCashFlowsService,
  ProjectsService,
  RegionsService,
  SeriesService,
  walletOf,
} from '@forest-ledger/forestry';
import { Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { ensureDatabase, inTransaction, keyRing, loadEnv, migrate, openDataSource } from '@forest-ledger/platform';
import { DataSource } from 'typeorm';
import { ApiProcess } from './lib/api-process';
import { CpuBreakdown, CpuMeter, CpuSnapshot } from './lib/cpu';
import { summarizeProfile } from './lib/cpu-profile-summary';
import { JsonHttpClient } from './lib/http-client';
import { LoadResult, Operation, runLoad } from './lib/load';
import { dropDatabase } from './lib/scratch-ledger';
import { fmt, renderTable, summarize } from './lib/stats';
import { intEnv } from './lib/env';

const config = {
  villagers: intEnv('BENCH_VILLAGERS', 1000, 10, 200_000),
  clients: intEnv('BENCH_CLIENTS', 500, 1, 5000),
  seconds: intEnv('BENCH_SECONDS', 15, 1, 3600),
  warmup: intEnv('BENCH_WARMUP_SECONDS', 3, 0, 600),
  thinkMs: intEnv('BENCH_THINK_MS', 0, 0, 60_000),
  pdfEvery: intEnv('BENCH_PDF_EVERY', 20, 0, 1_000_000),
  apiProcesses: intEnv('BENCH_API_PROCESSES', 1, 1, 16),
  pool: intEnv('BENCH_POOL', 20, 1, 500),
  port: intEnv('BENCH_PORT', 4021, 1, 65535),
  url: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/forest_ledger_portal_bench',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  profile: process.env.BENCH_PROFILE === '1',
};
// Every client thinks before its first request too (0.5–1.5 × BENCH_THINK_MS): the warm-up's seconds of load start
// once all of them have sent one, so the window measures the steady state and not the first seconds' ramp.
const warmupSeconds = config.warmup + (1.5 * config.thinkMs) / 1000;
const PROFILE_DIR = join(resolve(__dirname, '..', '..'), 'reports', 'bench-portal-profiles', new Date().toISOString().replace(/[:.]/g, '-'));
const ROOT = resolve(__dirname, '..', '..');
// BENCH_API_MAIN: another build of the API (e.g. the previous commit's dist) for an old-vs-new comparison in one sitting.
const API_MAIN = process.env.BENCH_API_MAIN ?? join(ROOT, 'dist', 'apps', 'api', 'src', 'main.js');
const PROJECTS = ['BENCH-PORTAL-A', 'BENCH-PORTAL-B'];
const log = (msg: string) => console.log(`[portal ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const pad = (i: number) => String(i).padStart(6, '0');

interface Villager {
  code: string;
  certificateNo: string;
  token: string;
}

/** The village, through the services (issuance, dividends, payouts) after the parties and logins straight in SQL. */
async function seed(ds: DataSource, secrets: { jwt: string; piiKey: string; piiHmac: string }): Promise<Villager[]> {
  const env = loadEnv({ DATABASE_URL: config.url, JWT_SECRET: secrets.jwt, PII_ENCRYPTION_KEY: secrets.piiKey, PII_HMAC_KEY: secrets.piiHmac });
  const pii = new PiiCipher(env.PII_ENCRYPTION_KEY, env.PII_HMAC_KEY);
  const ledger = new LedgerService(ds);
  const reads = new LedgerReads();
  const projects = new ProjectsService(ds, ledger, new ParcelsService(ds, pii), env, reads);
  const series = new SeriesService(ds, ledger, projects, reads);
  const cashFlows = new ProjectCashFlowsService(ds, ledger, reads, projects);
  const declarations = new DividendDeclarationsService(ds, ledger, projects, series, cashFlows);
  const distribution = new DividendDistributionService(ds, ledger, reads, series, declarations);
  const payouts = new PayoutsService(ds, ledger, reads, pii, projects, new RegionsService(ds));
  const cards = new BankCardsService(pii);

  await inTransaction(ds, async (em) => {
    await em.query(
      `WITH c AS (INSERT INTO regions (code, name, level) VALUES ('140522', '阳城县', 'COUNTY') RETURNING id),
            t AS (INSERT INTO regions (code, name, level, parent_id) SELECT '140522101', '芹池镇', 'TOWNSHIP', id FROM c RETURNING id)
       INSERT INTO regions (code, name, level, parent_id) SELECT '140522101201', '大西沟村', 'VILLAGE', id FROM t`,
    );
    const village = `(SELECT id FROM regions WHERE code = '140522101201')`;
    await em.query(
      `INSERT INTO parties (code, kind, name, region_id) VALUES ('F-BENCH', 'STATE_FARM', '官庄国有林场', ${village}), ('C-BENCH', 'COLLECTIVE', '梨树村股份经济合作社', ${village})`,
    );
    await em.query(
      `INSERT INTO parties (code, kind, name, region_id, collective_id)
       SELECT 'H-' || lpad(i::text, 6, '0'), 'HOUSEHOLD', '户' || i, ${village}, (SELECT id FROM parties WHERE code = 'C-BENCH') FROM generate_series(1, $1::int) AS i`,
      [Math.ceil(config.villagers / 4)],
    );
    await em.query(
      `INSERT INTO parties (code, kind, name, region_id, household_id, collective_id)
       SELECT 'V-' || lpad(i::text, 6, '0'), 'VILLAGER', '村民' || i, ${village}, h.id, h.collective_id
         FROM generate_series(1, $1::int) AS i JOIN parties h ON h.code = 'H-' || lpad(((i - 1) / 4 + 1)::text, 6, '0')`,
      [config.villagers],
    );
    await ledger.ensureAsset(em, { code: 'CNY', scale: 2, description: '人民币 (分)' });
    await ledger.ensureAccount(em, { code: BANK_CLEARING_ACCOUNT, asset: 'CNY', type: 'ASSET', ownerRef: 'platform' });
    const codes = await em.query<Array<{ code: string }>>(`SELECT code FROM parties ORDER BY id`);
    await ledger.openAccounts(
      em,
      codes.map((p) => ({ code: walletOf(p.code), asset: 'CNY', type: 'LIABILITY' as const, ownerRef: `party:${p.code}`, noOverdraft: true })),
    );
    for (const [i, project] of PROJECTS.entries()) {
      await em.query(
        `INSERT INTO parcels (certificate_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu, forest_type, main_species, rights_start, rights_end, certificate_state)
         VALUES ($1, (SELECT id FROM parties WHERE code = 'H-000001'), ${village}, '梨树村后山', '12', $2, 3000, '商品林', '油松', '2019-01-01', '2068-12-31', 'ISSUED_TO_HOUSEHOLD')`,
        [`晋(2019)阳城县不动产权第000000${i + 1}号 ${project}`, `00${i + 1}`],
      );
    }
  });
  const [maker, checker] = await ds.query<Array<{ id: string }>>(
    `INSERT INTO users (username, display_name, role, password_hash) VALUES ('bench-maker', 'bench-maker', 'ADMIN', 'x'), ('bench-checker', 'bench-checker', 'APPROVER', 'x') RETURNING id`,
  );
  const parcelIds = (await ds.query<Array<{ id: string }>>(`SELECT id::text AS id FROM parcels ORDER BY id`)).map((r) => r.id);
  for (const [i, project] of PROJECTS.entries()) {
    await inTransaction(ds, (em) =>
      projects.create(em, {
        code: project,
        name: `基准测试合作经营项目${i + 1}`,
        farmCode: 'F-BENCH',
        collectiveCode: 'C-BENCH',
        projectType: 'EXISTING_FOREST',
        areaMu: '2000.0000',
        startDate: '2025-01-01',
        termYears: 10,
        managementFeeRate: '0.08',
        collectiveRetainedRatio: '0',
        parcelIds: [parcelIds[i]],
      }),
    );
    const units = new Dec(config.villagers).times(10 * (i + 1)).toFixed(2);
    await inTransaction(ds, (em) =>
      projects.addContribution(
        em,
        project,
        { partyCode: 'C-BENCH', kind: 'IN_KIND_LAND', amount: units, valuationDocument: '评估报告', effectiveDate: '2025-01-01' },
        randomUUID(),
      ),
    );
    await inTransaction(ds, (em) =>
      series.issue(
        em,
        project,
        { seriesCode: project, faceValue: '1.00', transferRestriction: i === 0 ? 'OPEN' : 'COLLECTIVE_MEMBERS', issuedOn: `2025-0${3 + i}-01` },
        randomUUID(),
      ),
    );
  }
  const pay = async (project: string, amount: string, record: string, payment: string) => {
    await inTransaction(ds, (em) =>
      cashFlows.recordIncome(em, project, { kind: 'HARVEST_FINAL', amount, bankReference: `BENCH-${randomUUID()}`, effectiveDate: record }, randomUUID()),
    );
    const draft = await inTransaction(ds, (em) =>
      declarations.declare(em, { userId: maker.id, role: 'ADMIN' }, { project, amount, recordDate: record, paymentDate: payment, chunkSize: 5000 }),
    );
    await inTransaction(ds, (em) => declarations.approve(em, draft.id, { userId: checker.id, role: 'APPROVER' }));
    await inTransaction(ds, (em) => distribution.startDistribution(em, draft.id));
    const outcome = await distribution.distribute(draft.id);
    if (outcome.state !== 'DISTRIBUTED') throw new Error(`dividend on ${project} ended ${outcome.state}`);
  };
  await pay(PROJECTS[0], new Dec(config.villagers).times(37.5).toFixed(2), '2026-03-31', '2026-04-15');
  await pay(PROJECTS[1], new Dec(config.villagers).times(61.2).toFixed(2), '2026-06-30', '2026-07-15');
  await inTransaction(ds, async (em) => {
    for (let i = 1; i <= config.villagers; i++) await cards.setBankCard(em, `V-${pad(i)}`, { bankName: '阳城农商银行', cardNumber: `6222000000${pad(i)}` });
  });
  const batch = await inTransaction(ds, (em) => payouts.createBatch(em, { userId: maker.id, role: 'ADMIN' }, { scope: 'PROJECT', code: PROJECTS[0] }));
  await inTransaction(ds, (em) => payouts.confirmPaid(em, batch.batch.id, { bankReference: 'BENCH-PAY-1', paidOn: '2026-08-01' }));
  await pay(PROJECTS[0], new Dec(config.villagers).times(12.3).toFixed(2), '2026-09-30', '2026-10-15');

  // One VILLAGER login per villager, and a token for each signed the way the API signs them (its key ring, its claims).
  const users = await ds.query<Array<{ id: string; party_id: string; code: string; name: string; certificate_no: string }>>(
    `WITH u AS (
       INSERT INTO users (username, display_name, role, pin_hash, party_id)
       SELECT NULL, p.name, 'VILLAGER', 'x', p.id FROM parties p WHERE p.kind = 'VILLAGER' RETURNING id, party_id
     )
     SELECT u.id::text AS id, u.party_id::text AS party_id, p.code, p.name,
            (SELECT h.certificate_no FROM ticket_holdings h WHERE h.party_id = p.id ORDER BY h.id LIMIT 1) AS certificate_no
       FROM u JOIN parties p ON p.id = u.party_id ORDER BY p.code`,
  );
  const jwt = new Hs256Jwt(keyRing(env, 'JWT_SECRETS'));
  const villagers: Villager[] = [];
  for (const u of users) {
    const token = await jwt.sign({ sub: u.id, role: 'VILLAGER', pid: u.party_id, pcode: u.code, name: u.name }, 3600);
    villagers.push({ code: u.code, certificateNo: u.certificate_no, token });
  }
  await ds.query('VACUUM ANALYZE');
  return villagers;
}

/** What the page shows, in one statement: the holder, their holdings with series and balances, dividends, wallet, payouts, first posting. */
const RAW_PAGE_SQL = `
  WITH p AS (SELECT id, code, name, id_masked FROM parties WHERE code = $1),
       acc AS (SELECT a.id, a.code, (a.credits - a.debits) AS balance FROM ledger_accounts a WHERE a.owner_ref = 'party:' || $1)
  SELECT p.code, p.name, p.id_masked,
    (SELECT json_agg(json_build_object('certificateNo', h.certificate_no, 'series', s.code, 'name', s.name, 'faceValue', s.face_value, 'project', pr.code,
              'projectName', pr.name, 'restriction', s.transfer_restriction, 'issuedOn', s.issued_on,
              'units', (SELECT COALESCE(SUM(acc.balance), 0) FROM acc WHERE acc.code IN ('holder:' || $1 || ':tickets:' || s.code, 'holder:' || $1 || ':tickets:' || s.code || ':listed')),
              'pledged', (SELECT COALESCE(SUM(acc.balance), 0) FROM acc WHERE acc.code = 'holder:' || $1 || ':tickets:' || s.code || ':pledged')) ORDER BY s.issued_on DESC, s.code)
       FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id JOIN coop_projects pr ON pr.id = s.project_id WHERE h.party_id = p.id) AS holdings,
    (SELECT json_agg(json_build_object('declaration', l.declaration_id, 'units', l.units, 'amount', l.amount, 'perUnit', d.amount_per_unit, 'record', d.record_date,
              'payment', d.payment_date, 'paid', l.entry_id IS NOT NULL, 'series', s.code, 'projectName', pr.name) ORDER BY d.payment_date DESC, l.declaration_id DESC)
       FROM dividend_lines l JOIN dividend_declarations d ON d.id = l.declaration_id JOIN ticket_series s ON s.id = d.series_id JOIN coop_projects pr ON pr.id = d.project_id
      WHERE l.party_id = p.id) AS dividends,
    (SELECT balance FROM acc WHERE acc.code = 'party:' || $1 || ':wallet:CNY') AS wallet,
    (SELECT json_agg(json_build_object('id', l.id, 'amount', l.amount, 'state', l.state, 'paidOn', b.paid_on, 'bank', c.bank_name, 'card', c.card_masked) ORDER BY l.id DESC)
       FROM payout_lines l JOIN payout_batches b ON b.id = l.batch_id LEFT JOIN party_bank_cards c ON c.party_id = l.party_id WHERE l.party_id = p.id) AS payouts,
    (SELECT min(lp.effective_date) FROM ledger_postings lp WHERE lp.account_id IN (SELECT id FROM acc)) AS first_posting
  FROM p`;

function report(name: string, r: LoadResult): string[] {
  return [name, fmt(r.opsPerSecond), fmt(r.latency.p50Ms), fmt(r.latency.p90Ms), fmt(r.latency.p99Ms), fmt(r.latency.maxMs), String(r.errors)];
}

async function main(): Promise<void> {
  if (!existsSync(API_MAIN)) throw new Error(`${API_MAIN} not found: run npm run build first (npm run bench:portal does)`);
  if (config.villagers < config.clients)
    throw new Error(`BENCH_VILLAGERS (${config.villagers}) must be at least BENCH_CLIENTS (${config.clients}): every client is a distinct villager`);
  log(`villagers ${config.villagers}, clients ${config.clients}, ${config.seconds} s (+${warmupSeconds} s warm-up), think ${config.thinkMs} ms, PDF every ${config.pdfEvery}`);
  const setupStart = process.hrtime.bigint();
  await dropDatabase(config.url);
  await ensureDatabase(config.url);
  const secrets = { jwt: randomBytes(32).toString('base64'), piiKey: randomBytes(32).toString('base64'), piiHmac: randomBytes(32).toString('base64') };
  const ds = await openDataSource(config.url, 4);
  let villagers: Villager[];
  try {
    await migrate(ds);
    villagers = await seed(ds, secrets);
  } finally {
    await ds.destroy();
  }
  log(`setup ${(Number(process.hrtime.bigint() - setupStart) / 1e9).toFixed(1)} s: ${villagers.length} villagers with logins`);

  const api = new ApiProcess({
    mainJs: API_MAIN,
    port: config.port,
    startTimeoutMs: 90_000, // two API processes booting on a machine that other runs keep busy took over 30 s
    nodeArgs: config.profile ? ['-r', join(__dirname, 'cpu-profile.preload.js')] : [],
    env: {
      ...(config.profile ? { BENCH_PROFILE_DIR: PROFILE_DIR } : {}),
      NODE_ENV: 'production',
      JWT_SECRET: secrets.jwt,
      PII_ENCRYPTION_KEY: secrets.piiKey,
      PII_HMAC_KEY: secrets.piiHmac,
      DATABASE_URL: config.url,
      REDIS_URL: config.redisUrl,
      QUEUE_PREFIX: 'forest-ledger-portal-bench',
      LOG_LEVEL: 'warn',
      DB_POOL_SIZE: String(config.pool),
      API_PROCESSES: String(config.apiProcesses),
      DEMO_DATA: 'false',
    },
  });
  const pool = new Pool({ connectionString: config.url, max: config.pool });
  try {
    await api.waitHealthy();
    const http = new JsonHttpClient('127.0.0.1', config.port, config.clients);
    const get = async (v: Villager, path: string, type: string) => {
      const res = await http.request('GET', path, undefined, { authorization: `Bearer ${v.token}`, accept: type });
      if (res.status !== 200) throw new Error(`GET ${path.replace(/\/[^/]+\/pdf$/, '/…/pdf')}: HTTP ${res.status} ${res.body.slice(0, 120)}`);
      return res.body;
    };
    // Check once that the page is the villager's own before loading it.
    const first = JSON.parse(await get(villagers[0], '/v1/me/portal', 'application/json')) as {
      holder: { code: string };
      holdings: unknown[];
      dividends: unknown[];
      payouts: unknown[];
    };
    if (first.holder.code !== villagers[0].code || first.holdings.length !== 2 || first.dividends.length !== 3 || first.payouts.length !== 1) {
      throw new Error(`unexpected page: ${JSON.stringify(first).slice(0, 300)}`);
    }
    const think = () => (config.thinkMs > 0 ? new Promise((r) => setTimeout(r, config.thinkMs * (0.5 + Math.random()))) : Promise.resolve());
    const pdfLatencies: number[] = [];
    const pageLatencies: number[] = [];
    let measuring = false;
    let n = 0;
    const service: Operation = async (c) => {
      await think();
      const v = villagers[c];
      const started = process.hrtime.bigint();
      if (config.pdfEvery > 0 && ++n % config.pdfEvery === 0) {
        const pdf = await get(v, `/v1/certificates/${encodeURIComponent(v.certificateNo)}/pdf`, 'application/pdf');
        if (!pdf.startsWith('%PDF-')) throw new Error('certificate: not a PDF');
        if (measuring) pdfLatencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      } else {
        await get(v, '/v1/me/portal', 'application/json');
        if (measuring) pageLatencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    };
    // CPU per page: the API (its cluster workers and their PDF render processes included) and the bench database's backends, over each window.
    const { rows: backend } = await pool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const meter = new CpuMeter(api.pid, CpuMeter.postmasterOf(backend[0].pid), new URL(config.url).pathname.slice(1));
    const cpu: { before: CpuSnapshot | null; after: CpuSnapshot | null } = { before: null, after: null };
    const window = {
      warmupSeconds,
      seconds: config.seconds,
      onWindowStart: () => ((measuring = true), (cpu.before = meter.snapshot())),
      onWindowEnd: () => ((measuring = false), (cpu.after = meter.snapshot())),
    };
    const cpuOf = (): CpuBreakdown | null => (cpu.before && cpu.after ? CpuMeter.diff(cpu.before, cpu.after) : null);
    const loadStart = os.loadavg();
    if (config.profile) mkdirSync(PROFILE_DIR, { recursive: true });
    const profiled = {
      ...window,
      onWindowStart: () => (window.onWindowStart(), config.profile && api.signal('SIGWINCH')),
      onWindowEnd: () => (window.onWindowEnd(), config.profile && api.signal('SIGWINCH')),
    };
    const svc = await runLoad(service, { clients: config.clients, ...profiled });
    const svcCpu = cpuOf();
    const rawLatencies: number[] = [];
    const raw = await runLoad(
      async (c) => {
        await think();
        const started = process.hrtime.bigint();
        const { rows } = await pool.query(RAW_PAGE_SQL, [villagers[c].code]);
        if (rows.length !== 1) throw new Error('raw page: no holder');
        if (measuring) rawLatencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      },
      { clients: config.clients, ...window },
    );
    const rawCpu = cpuOf();
    // Latencies from the request's start (after any think time), not runLoad's (which include it).
    raw.latency = summarize(rawLatencies);
    const page = summarize(pageLatencies);
    const pdf = summarize(pdfLatencies);
    const pagesPerSecond = page.count / config.seconds;
    console.log('');
    console.log(
      renderTable(
        ['scenario', 'ops/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'errors'],
        [
          report('service: page + PDF mix', { ...svc, latency: summarize([...pageLatencies, ...pdfLatencies]) }),
          ['  of which the page', fmt(pagesPerSecond), fmt(page.p50Ms), fmt(page.p90Ms), fmt(page.p99Ms), fmt(page.maxMs), ''],
          ['  of which the certificate PDF', fmt(pdf.count / config.seconds), fmt(pdf.p50Ms), fmt(pdf.p90Ms), fmt(pdf.p99Ms), fmt(pdf.maxMs), ''],
          report('raw SQL baseline (page only)', raw),
        ],
      ),
    );
    const perPage = (seconds: number | null | undefined, pages: number) => (seconds == null || pages === 0 ? '-' : fmt((1000 * seconds) / pages, 2));
    const cpuRow = (name: string, c: CpuBreakdown | null, pages: number) => [
      name,
      perPage(c?.api, pages),
      perPage(c?.apiRenders, pages),
      perPage(c?.pgBench, pages),
      perPage(c?.pgAux, pages),
      perPage(c?.benchProcess, pages),
      c?.machineBusyPercent != null ? fmt(c.machineBusyPercent, 0) : '-',
      c?.unattributed != null ? fmt(c.unattributed, 1) : '-',
    ];
    console.log(
      "\nCPU during the measured window, ms per page (api: its processes and their PDF render processes, PDFs included; pg: the bench database's backends; client: this process):\n",
    );
    console.log(
      renderTable(
        ['run', 'api', 'of which renders', 'pg', 'pg aux', 'client', 'machine busy %', 'rest of machine CPU s'],
        [cpuRow('service', svcCpu, page.count), cpuRow('raw SQL baseline', rawCpu, raw.ops)],
      ),
    );
    if (config.profile) {
      const file = join(PROFILE_DIR, 'profile-1.cpuprofile');
      for (let i = 0; i < 100 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 500));
      const p = summarizeProfile(file, 20);
      console.log(`\nAPI CPU profile over the service's window: busy ${fmt(p.busyMs, 0)} of ${fmt(p.totalMs, 0)} ms (${file})`);
      console.log(
        renderTable(
          ['layer', 'self ms', '%'],
          p.selfByLayer.map((l) => [l.name, fmt(l.ms, 0), fmt(l.percent)]),
        ),
      );
      console.log(
        renderTable(
          ['inclusive', 'ms', '%'],
          p.inclusive.map((l) => [l.name.slice(0, 110), fmt(l.ms, 0), fmt(l.percent)]),
        ),
      );
    }
    for (const e of [...svc.errorKinds, ...raw.errorKinds].slice(0, 5)) console.log(`error ×${e.count}: ${e.message}`);
    console.log('');
    console.log(`clients ${config.clients} (distinct villagers), think ${config.thinkMs} ms, API processes ${config.apiProcesses}, DB pool ${config.pool}`);
    console.log(`page throughput / raw baseline   ${(pagesPerSecond / raw.opsPerSecond).toFixed(2)}`);
    console.log(`page p99 / raw p99               ${(page.p99Ms / raw.latency.p99Ms).toFixed(2)}   page p99 goal < 100 ms: ${page.p99Ms < 100 ? 'OK' : 'MISSED'}`);
    console.log(
      `load average ${loadStart.map((l) => l.toFixed(1)).join(' ')} at start, ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at end, on ${os.cpus().length} cores`,
    );
  } finally {
    await pool.end();
    const out = await api.stop();
    if (out.code !== 0 && out.signal === null) log(`API exit ${String(out.code)}: ${api.output().tail.slice(-5).join(' | ')}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
