/**
 * `npm run bench:dividend` — a 林票 series with 100,000 holders and a dividend distributed to all of
 * them through DividendDistributionService (what the worker's job runs), next to a raw-SQL baseline that inserts
 * the same rows (lines, entries, postings, account totals) in one transaction with `pg`.
 *
 * Goal (issue 5): distribution under 20 s end to end (declare → approve → snapshot → every chunk),
 * within 3× of the baseline.
 *
 * Environment: BENCH_HOLDERS (100000), BENCH_CHUNK (5000), BENCH_AMOUNT (123456.78),
 * BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/forest_ledger_dividend_bench; dropped and recreated).
 */
import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
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

function intEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name}=${raw}: expected an integer from ${min} to ${max}`);
  return value;
}

const config = {
  holders: intEnv('BENCH_HOLDERS', 100_000, 10, 1_000_000),
  chunk: intEnv('BENCH_CHUNK', 5000, 10, 50_000),
  amount: process.env.BENCH_AMOUNT ?? '123456.78',
  url: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/forest_ledger_dividend_bench',
};
const PROJECT = 'BENCH-DIV';
const RECORD = '2026-06-30';
const PAYMENT = '2026-07-15';

const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
const seconds = (from: bigint) => Number(process.hrtime.bigint() - from) / 1e9;

async function recreate(url: string): Promise<void> {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[a-z0-9_]*bench[a-z0-9_]*$/.test(name)) throw new Error(`refusing to drop ${name}: the scratch database must be named *bench*`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
  await ensureDatabase(url);
}

async function main(): Promise<void> {
  log(`holders ${config.holders}, chunk ${config.chunk}, amount ${config.amount}, database ${new URL(config.url).pathname.slice(1)}`);
  const setupStart = process.hrtime.bigint();
  await recreate(config.url);
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
    await inTransaction(ds, (em) => series.issue(em, PROJECT, { seriesCode: PROJECT, faceValue: '1.00', transferRestriction: 'OPEN', issuedOn: '2025-03-01' }, randomUUID()));
    log(`issued ${PROJECT} to ${config.holders} villagers through SeriesService.issue in ${seconds(issueStart).toFixed(1)} s`);
    await inTransaction(ds, (em) =>
      cashFlows.recordIncome(em, PROJECT, { kind: 'HARVEST_FINAL', amount: config.amount, bankReference: 'BENCH-INCOME', effectiveDate: '2026-05-01' }, randomUUID()),
    );
    const users = await ds.query<Array<{ id: string }>>(
      `INSERT INTO users (username, display_name, role, password_hash) VALUES ('bench-maker', 'bench-maker', 'ADMIN', 'x'), ('bench-checker', 'bench-checker', 'APPROVER', 'x') RETURNING id`,
    );
    await ds.query('VACUUM ANALYZE');
    const setupSeconds = seconds(setupStart);
    log(`setup ${setupSeconds.toFixed(1)} s`);

    // ---------------------------------------------------------------- the service, end to end
    const start = process.hrtime.bigint();
    const cpuStart = process.cpuUsage();
    const draft = await inTransaction(ds, (em) =>
      declarations.declare(
        em,
        { userId: users[0].id, role: 'ADMIN' },
        { project: PROJECT, amount: config.amount, recordDate: RECORD, paymentDate: PAYMENT, chunkSize: config.chunk },
      ),
    );
    await inTransaction(ds, (em) => declarations.approve(em, draft.id, { userId: users[1].id, role: 'APPROVER' }));
    const snapshotStart = process.hrtime.bigint();
    await inTransaction(ds, (em) => distribution.startDistribution(em, draft.id));
    const snapshotSeconds = seconds(snapshotStart);
    const outcome = await distribution.distribute(draft.id);
    const serviceSeconds = seconds(start);
    const cpu = process.cpuUsage(cpuStart);
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
    const baselineSeconds = await rawBaseline(config.url, draft.id);
    log(`raw SQL baseline: the same rows in ${baselineSeconds.toFixed(2)} s (rolled back)`);
    const ratio = serviceSeconds / baselineSeconds;
    console.log('');
    console.log(`holders              ${config.holders}`);
    console.log(`setup (not measured) ${setupSeconds.toFixed(1)} s`);
    console.log(`service end to end   ${serviceSeconds.toFixed(2)} s   goal < 20 s   ${serviceSeconds < 20 ? 'OK' : 'MISSED'}`);
    console.log(`  of which node CPU  ${nodeCpuSeconds.toFixed(2)} s (the rest is PostgreSQL and waiting for a core)`);
    console.log(`raw SQL baseline     ${baselineSeconds.toFixed(2)} s`);
    console.log(
      `load average         ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${os.cpus().length} cores`,
    );
    console.log(`ratio                ${ratio.toFixed(2)}×   goal ≤ 3×   ${ratio <= 3 ? 'OK' : 'MISSED'}`);
  } finally {
    await ds.destroy();
  }
}

/**
 * The minimum the distribution must write, in plain SQL in one transaction: a declaration, its
 * 100,000 lines, the entries (≤ 999 credits each) with a hash each, their postings, the locked
 * account totals. Same tables, same constraints and indexes; rolled back so the database is unchanged.
 */
async function rawBaseline(url: string, declarationId: string): Promise<number> {
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
      const keys: string[] = [];
      const hashes: string[] = [];
      const p = { key: [] as string[], seq: [] as number[], account: [] as string[], side: [] as string[], amount: [] as string[] };
      for (let i = 0, part = 0; i < paying.length; i += 999, part++) {
        const slice = paying.slice(i, i + 999);
        const key = `baseline:${decl.id}:${part}`;
        const total = slice.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2);
        keys.push(key);
        hashes.push(
          createHash('sha256')
            .update(`${key}|${slice.map((l) => `${l.wallet}:${l.amount}`).join(',')}`)
            .digest('hex'),
        );
        p.key.push(key);
        p.seq.push(0);
        p.account.push(reserve.id);
        p.side.push('DEBIT');
        p.amount.push(total);
        slice.forEach((l, j) => {
          p.key.push(key);
          p.seq.push(j + 1);
          p.account.push(l.wallet_id);
          p.side.push('CREDIT');
          p.amount.push(l.amount);
        });
      }
      await client.query(
        `WITH e AS (
           INSERT INTO ledger_entries (idempotency_key, kind, effective_date, booked_at, hash)
           SELECT t.key, 'BENCH_BASELINE', $3::date, now(), t.hash FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(key, hash, ord) ORDER BY t.ord RETURNING id, idempotency_key
         )
         INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount, effective_date)
         SELECT e.id, x.seq, x.account_id, x.side, x.amount, $3::date
           FROM unnest($4::text[], $5::smallint[], $6::bigint[], $7::text[], $8::numeric[]) AS x(key, seq, account_id, side, amount) JOIN e ON e.idempotency_key = x.key`,
        [keys, hashes, PAYMENT, p.key, p.seq, p.account, p.side, p.amount],
      );
      await client.query(
        `UPDATE ledger_accounts a SET debits = a.debits + v.debits, credits = a.credits + v.credits, head_hash = 'baseline'
           FROM (SELECT x.id, COALESCE(SUM(x.amount) FILTER (WHERE x.side = 'DEBIT'), 0) AS debits, COALESCE(SUM(x.amount) FILTER (WHERE x.side = 'CREDIT'), 0) AS credits
                   FROM unnest($1::bigint[], $2::text[], $3::numeric[]) AS x(id, side, amount) GROUP BY x.id) v
          WHERE a.id = v.id`,
        [p.account, p.side, p.amount],
      );
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
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
