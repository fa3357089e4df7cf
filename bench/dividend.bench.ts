/**
 * `npm run bench:dividend` — a 林票 series with 100,000 holders and a dividend distributed to all of
 * them through DividendDistributionService (what the worker's job runs), next to a raw-SQL baseline that inserts
 * the same rows (lines, entries, postings, account totals) in one transaction with `pg`.
 *
 * The issuance of the series (SeriesService.issue, in the setup) is timed too, next to its own raw baseline
 * (lib/issuance-baseline.ts). Both baselines write what the service must write (day totals and outbox events
 * included); the figure without those two is printed as well (issue 5's baseline).
 *
 * Goals: distribution under 20 s end to end (declare → approve → snapshot → every chunk), within 1.5× of its
 * baseline; issuance within 2× of its baseline (issue 21).
 *
 * Environment: BENCH_HOLDERS (100000), BENCH_CHUNK (5000), BENCH_AMOUNT (123456.78), BENCH_TRACE_SQL=1 (statements per phase),
 * BENCH_PROFILE_DIR (a V8 CPU profile of the service's distribution, declare to last chunk, written there and summarised),
 * BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/forest_ledger_dividend_bench; dropped and recreated).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { Client } from 'pg';
import {
  BANK_CLEARING_ACCOUNT,
  DividendDeclarationsService,
  DividendDistributionService,
  ParcelsService,
  ProjectCashFlowsService,
  PiiCipher,
  projectDividendReserve,
  ProjectsService,
  SeriesService,
  walletOf,
} from '@forest-ledger/forestry';
import { Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { ensureDatabase, inTransaction, loadEnv, migrate, openDataSource } from '@forest-ledger/platform';
import { ConnectionWindow, rawIssuanceBaseline } from './lib/issuance-baseline';
import { RawEntry, writeRawEntries } from './lib/raw-entries';
import { InProcessProfile } from './lib/in-process-profile';
import { SqlTrace } from './lib/sql-trace';
import { CpuBreakdown, CpuMeter } from './lib/cpu';
import { intEnv } from './lib/env';
import { dropDatabase } from './lib/scratch-ledger';

const config = {
  holders: intEnv('BENCH_HOLDERS', 100_000, 10, 1_000_000),
  chunk: intEnv('BENCH_CHUNK', 5000, 10, 50_000),
  amount: process.env.BENCH_AMOUNT ?? '123456.78',
  url: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/forest_ledger_dividend_bench',
};
const trace = new SqlTrace(process.env.BENCH_TRACE_SQL === '1');
const profile = new InProcessProfile(process.env.BENCH_PROFILE_DIR, 'dividend-distribution');
const PROJECT = 'BENCH-DIV';
const RECORD = '2026-06-30';
const PAYMENT = '2026-07-15';
/**
 * The baseline's own payment date, a day, month and year nobody has posted on: run second on the same database with the
 * service's date, it found the day, month and year rows the service had just created and only added to them, cheaper
 * than the inserts (with their foreign-key checks) the service had to make for each new holder (measured: the baseline
 * took 9.6–10.2 s that way and 11.6 s on a date of its own, issue 21's round five).
 */
const BASELINE_PAYMENT = '2027-08-16';

const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

async function main(): Promise<void> {
  log(`holders ${config.holders}, chunk ${config.chunk}, amount ${config.amount}, database ${new URL(config.url).pathname.slice(1)}`);
  const setupStart = process.hrtime.bigint();
  await dropDatabase(config.url);
  await ensureDatabase(config.url);
  const ds = await openDataSource(config.url, 4);
  const env = loadEnv({ DATABASE_URL: config.url });
  const pii = new PiiCipher(env.PII_ENCRYPTION_KEY, env.PII_HMAC_KEY);
  const ledger = new LedgerService(ds);
  const parcels = new ParcelsService(ds, pii);
  const reads = new LedgerReads();
  const projects = new ProjectsService(ds, ledger, parcels, env, reads);
  const series = new SeriesService(ds, ledger, projects, reads);
  const cashFlows = new ProjectCashFlowsService(ds, ledger, reads, projects);
  const declarations = new DividendDeclarationsService(ds, ledger, projects, series, cashFlows);
  const distribution = new DividendDistributionService(ds, ledger, reads, series, declarations);
  try {
    await migrate(ds);
    const [backend] = await ds.query<Array<{ pid: number }>>('SELECT pg_backend_pid() AS pid');
    const meter = new CpuMeter(null, CpuMeter.postmasterOf(backend.pid), new URL(config.url).pathname.slice(1));
    const cpuOf = new Map<string, CpuBreakdown>();
    // A baseline's own connection: measured from its opening to its closing (a backend that ended is not in /proc).
    const measuredConnection = (phase: string): ConnectionWindow => {
      let before = meter.snapshot();
      return {
        start: () => (before = meter.snapshot()),
        end: () => cpuOf.set(phase, CpuMeter.diff(before, meter.snapshot())),
      };
    };
    // Parties straight in SQL (a roster import of 100,000 is not what is measured); then the real issuance.
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
         SELECT 'H-' || lpad(i::text, 5, '0'), 'HOUSEHOLD', '户' || i, ${village}, (SELECT id FROM parties WHERE code = 'C-BENCH') FROM generate_series(1, $1::int) AS i`,
        [Math.ceil(config.holders / 10)],
      );
      await em.query(
        `INSERT INTO parties (code, kind, name, region_id, household_id, collective_id)
         SELECT 'V-' || lpad(i::text, 6, '0'), 'VILLAGER', '村民' || i, ${village}, h.id, h.collective_id
           FROM generate_series(1, $1::int) AS i JOIN parties h ON h.code = 'H-' || lpad(((i - 1) / 10 + 1)::text, 5, '0')`,
        [config.holders],
      );
      await ledger.ensureAsset(em, { code: 'CNY', scale: 2, description: '人民币 (分)' });
      await ledger.ensureAccount(em, { code: BANK_CLEARING_ACCOUNT, asset: 'CNY', type: 'ASSET', ownerRef: 'platform' });
      const codes = await em.query<Array<{ code: string }>>(`SELECT code FROM parties ORDER BY id`);
      await ledger.openAccounts(
        em,
        codes.map((p) => ({ code: walletOf(p.code), asset: 'CNY', type: 'LIABILITY' as const, ownerRef: `party:${p.code}`, noOverdraft: true })),
      );
      await em.query(
        `INSERT INTO parcels (certificate_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu, forest_type, main_species, rights_start, rights_end, certificate_state)
         VALUES ('晋(2019)阳城县不动产权第0000001号', (SELECT id FROM parties WHERE code = 'H-00001'), ${village}, '梨树村后山', '12', '001', 3000, '商品林', '油松', '2019-01-01', '2068-12-31', 'ISSUED_TO_HOUSEHOLD')`,
      );
    });
    const [parcel] = await ds.query<Array<{ id: string }>>(`SELECT id FROM parcels`);
    await inTransaction(ds, (em) =>
      projects.create(em, {
        code: PROJECT,
        name: '基准测试合作经营项目',
        farmCode: 'F-BENCH',
        collectiveCode: 'C-BENCH',
        projectType: 'EXISTING_FOREST',
        areaMu: '2000.0000',
        startDate: '2025-01-01',
        termYears: 10,
        managementFeeRate: '0.08',
        collectiveRetainedRatio: '0',
        parcelIds: [parcel.id],
      }),
    );
    const units = new Dec(config.holders).times(10).toFixed(2);
    await inTransaction(ds, (em) =>
      projects.addContribution(
        em,
        PROJECT,
        { partyCode: 'C-BENCH', kind: 'IN_KIND_LAND', amount: units, valuationDocument: '评估报告', effectiveDate: '2025-01-01' },
        randomUUID(),
      ),
    );
    const issueStart = process.hrtime.bigint();
    trace.set('issuance');
    const beforeIssue = meter.snapshot();
    await inTransaction(ds, (em) => series.issue(em, PROJECT, { seriesCode: PROJECT, faceValue: '1.00', transferRestriction: 'OPEN', issuedOn: '2025-03-01' }, randomUUID()));
    cpuOf.set('issuance', CpuMeter.diff(beforeIssue, meter.snapshot()));
    const issueSeconds = seconds(issueStart);
    log(`issued ${PROJECT} to ${config.holders} villagers through SeriesService.issue in ${issueSeconds.toFixed(2)} s`);
    await inTransaction(ds, (em) =>
      cashFlows.recordIncome(em, PROJECT, { kind: 'HARVEST_FINAL', amount: config.amount, bankReference: 'BENCH-INCOME', effectiveDate: '2026-05-01' }, randomUUID()),
    );
    trace.set('setup');
    const users = await ds.query<Array<{ id: string }>>(
      `INSERT INTO users (username, display_name, role, password_hash) VALUES ('bench-maker', 'bench-maker', 'ADMIN', 'x'), ('bench-checker', 'bench-checker', 'APPROVER', 'x') RETURNING id`,
    );
    await ds.query('VACUUM ANALYZE');
    const setupSeconds = seconds(setupStart);
    log(`setup ${setupSeconds.toFixed(1)} s`);

    // ---------------------------------------------------------------- the service, end to end
    await profile.start();
    const start = process.hrtime.bigint();
    trace.set('declare+approve');
    const cpuStart = process.cpuUsage();
    const beforeSnapshot = meter.snapshot();
    const draft = await inTransaction(ds, (em) =>
      declarations.declare(
        em,
        { userId: users[0].id, role: 'ADMIN' },
        { project: PROJECT, amount: config.amount, recordDate: RECORD, paymentDate: PAYMENT, chunkSize: config.chunk },
      ),
    );
    await inTransaction(ds, (em) => declarations.approve(em, draft.id, { userId: users[1].id, role: 'APPROVER' }));
    const snapshotStart = process.hrtime.bigint();
    trace.set('snapshot');
    await inTransaction(ds, (em) => distribution.startDistribution(em, draft.id));
    const snapshotSeconds = seconds(snapshotStart);
    const afterSnapshot = meter.snapshot();
    cpuOf.set('declare, approve, snapshot', CpuMeter.diff(beforeSnapshot, afterSnapshot));
    trace.set('chunks');
    const outcome = await distribution.distribute(draft.id);
    cpuOf.set('chunks', CpuMeter.diff(afterSnapshot, meter.snapshot()));
    const serviceSeconds = seconds(start);
    const cpu = process.cpuUsage(cpuStart);
    await profile.stopAndPrint();
    const nodeCpuSeconds = (cpu.user + cpu.system) / 1e6;
    if (outcome.state !== 'DISTRIBUTED' || outcome.progress.holdersDone !== config.holders || outcome.progress.amountDistributed !== new Dec(config.amount).toFixed(2)) {
      throw new Error(`distribution incomplete: ${JSON.stringify(outcome)}`);
    }
    const [{ reserve }] = await ds.query<
      Array<{
        reserve: string;
      }>
    >(`SELECT (credits - debits)::text AS reserve FROM ledger_accounts WHERE code = $1`, [projectDividendReserve(PROJECT)]);
    if (!new Dec(reserve).isZero()) throw new Error(`reserve left ${reserve}`);
    log(
      `service: ${config.holders} holders paid in ${serviceSeconds.toFixed(2)} s (snapshot ${snapshotSeconds.toFixed(2)} s, ${outcome.progress.chunksTotal} chunks ${(serviceSeconds - snapshotSeconds).toFixed(2)} s)`,
    );

    // ---------------------------------------------------------------- raw-SQL baseline of the same rows
    trace.set('baseline');
    const baselineSeconds = await rawBaseline(config.url, draft.id, true, measuredConnection('dividend baseline'));
    log(`raw SQL baseline: the same rows in ${baselineSeconds.toFixed(2)} s (rolled back)`);
    const coreSeconds = await rawBaseline(config.url, draft.id, false);
    log(`raw SQL baseline without day totals and outbox (issue 5's): ${coreSeconds.toFixed(2)} s (rolled back)`);
    const sameDaySeconds = await rawBaseline(config.url, draft.id, true, undefined, PAYMENT);
    log(`raw SQL baseline on the service's payment date (adding to the period rows the service created): ${sameDaySeconds.toFixed(2)} s (rolled back)`);
    trace.set('issuance baseline');
    const issueBaseline = await rawIssuanceBaseline(config.url, PROJECT, true, measuredConnection('issuance baseline'));
    const issueCore = await rawIssuanceBaseline(config.url, PROJECT, false);
    log(`raw SQL issuance baseline: ${issueBaseline.toFixed(2)} s (without day totals and outbox ${issueCore.toFixed(2)} s; rolled back)`);
    const ratio = serviceSeconds / baselineSeconds;
    trace.print();
    console.log('');
    console.log('CPU per phase (s): wall, this process (node), PostgreSQL backends of the bench database, the machine busy (both cores, all processes)');
    for (const [phase, c] of cpuOf)
      console.log(
        `  ${phase.padEnd(28)} wall ${c.seconds.toFixed(2).padStart(6)}  node ${c.benchProcess.toFixed(2).padStart(6)}  pg ${(c.pgBench?.toFixed(2) ?? '-').padStart(6)}  machine ${(c.machineBusyPercent?.toFixed(0) ?? '-').padStart(3)} %`,
      );
    console.log('');
    console.log(`holders              ${config.holders}`);
    console.log(`setup (not measured) ${setupSeconds.toFixed(1)} s`);
    console.log(`service end to end   ${serviceSeconds.toFixed(2)} s   goal < 20 s   ${serviceSeconds < 20 ? 'OK' : 'MISSED'}`);
    console.log(`  of which node CPU  ${nodeCpuSeconds.toFixed(2)} s (the rest is PostgreSQL and waiting for a core)`);
    console.log(`  snapshot           ${snapshotSeconds.toFixed(2)} s, chunks ${(serviceSeconds - snapshotSeconds).toFixed(2)} s (declare + approve included)`);
    console.log(`raw SQL baseline     ${baselineSeconds.toFixed(2)} s (lines, entries, postings, day totals, outbox, totals)`);
    console.log(
      `  on the service's own payment date ${sameDaySeconds.toFixed(2)} s (its period rows exist then: updates, not inserts): ratio ${(serviceSeconds / sameDaySeconds).toFixed(2)}× (how rounds 1–4 measured)`,
    );
    console.log(`  without day totals and outbox ${coreSeconds.toFixed(2)} s: ratio ${(serviceSeconds / coreSeconds).toFixed(2)}×`);
    console.log(`issuance service     ${issueSeconds.toFixed(2)} s (SeriesService.issue, one transaction)`);
    console.log(`issuance baseline    ${issueBaseline.toFixed(2)} s (without day totals and outbox ${issueCore.toFixed(2)} s)`);
    console.log(`issuance ratio       ${(issueSeconds / issueBaseline).toFixed(2)}×   goal ≤ 2×   ${issueSeconds / issueBaseline <= 2 ? 'OK' : 'MISSED'}`);
    console.log(
      `load average         ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${os.cpus().length} cores`,
    );
    console.log(`dividend ratio       ${ratio.toFixed(2)}×   goal ≤ 1.5× (issue 21)   ${ratio <= 1.5 ? 'OK' : 'MISSED'}`);
  } finally {
    await ds.destroy();
  }
}

/**
 * The minimum the distribution must write, in plain SQL in one transaction: a declaration, its
 * 100,000 lines, the entries (≤ 999 credits each) with a hash each, their postings, the locked
 * account totals. Same tables, same constraints and indexes; rolled back so the database is unchanged.
 */
async function rawBaseline(url: string, declarationId: string, full: boolean, window?: ConnectionWindow, date = BASELINE_PAYMENT): Promise<number> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const lines = (
      await client.query<{ party_id: string; account_id: string; units: string; amount: string; wallet_id: string; wallet: string }>(
        `SELECT l.party_id::text, l.holder_account_id::text AS account_id, l.units::text, l.amount::text, a.id::text AS wallet_id, a.code AS wallet
           FROM dividend_lines l JOIN parties p ON p.id = l.party_id JOIN ledger_accounts a ON a.code = 'party:' || p.code || ':wallet:CNY'
          WHERE l.declaration_id = $1 ORDER BY l.seq`,
        [declarationId],
      )
    ).rows;
    const [reserve] = (await client.query<{ id: string }>(`SELECT id::text FROM ledger_accounts WHERE code = $1`, [projectDividendReserve(PROJECT)])).rows;
    const start = process.hrtime.bigint();
    window?.start();
    await client.query('BEGIN');
    try {
      const [decl] = (
        await client.query<{ id: string }>(
          `INSERT INTO dividend_declarations (project_id, series_id, amount, record_date, payment_date, declared_by, state)
           SELECT project_id, series_id, amount, record_date, payment_date, declared_by, 'DISTRIBUTING' FROM dividend_declarations WHERE id = $1 RETURNING id::text`,
          [declarationId],
        )
      ).rows;
      // The approval's reserve (spent by the service run above): re-credited, as the approval would.
      await client.query(`UPDATE ledger_accounts SET credits = credits + $2 WHERE id = $1`, [reserve.id, lines.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2)]);
      const ids = [reserve.id, ...lines.map((l) => l.wallet_id)];
      await client.query(`SELECT id FROM ledger_accounts WHERE id = ANY($1::bigint[]) ORDER BY id FOR UPDATE`, [ids]);
      const paying = lines.filter((l) => !new Dec(l.amount).isZero());
      const entries: RawEntry[] = [];
      for (let i = 0, part = 0; i < paying.length; i += 999, part++) {
        const slice = paying.slice(i, i + 999);
        const total = slice.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2);
        entries.push({
          key: `baseline:${decl.id}:${part}`,
          postings: [
            { accountId: reserve.id, code: projectDividendReserve(PROJECT), side: 'DEBIT', amount: total },
            ...slice.map((l) => ({ accountId: l.wallet_id, code: l.wallet, side: 'CREDIT' as const, amount: l.amount })),
          ],
        });
      }
      await writeRawEntries(client, entries, 'BENCH_BASELINE', date, full);
      await client.query(
        `INSERT INTO dividend_lines (declaration_id, seq, party_id, holder_account_id, units, amount, chunk)
         SELECT $1, t.n, t.party_id, t.account_id, t.units, t.amount, 1 FROM unnest($2::bigint[], $3::bigint[], $4::numeric[], $5::numeric[]) WITH ORDINALITY AS t(party_id, account_id, units, amount, n)`,
        [decl.id, lines.map((l) => l.party_id), lines.map((l) => l.account_id), lines.map((l) => l.units), lines.map((l) => l.amount)],
      );
      return seconds(start);
    } finally {
      await client.query('ROLLBACK');
    }
  } finally {
    window?.end();
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
