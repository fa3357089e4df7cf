import { createAdmin } from '@forest-ledger/access';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { EntryDraft, LedgerService, normalSideOf } from '@forest-ledger/ledger';
import { ensureDatabase, inTransaction, migrate, openDataSource } from '@forest-ledger/platform';

export interface BenchAccount {
  id: string;
  code: string;
}

export interface ScratchLedger {
  url: string;
  asset: string;
  bank: string;
  wallets: BenchAccount[];
  effectiveDate: string;
  setupSeconds: number;
  /** An ADMIN user the load logs in as (every route needs a caller). */
  admin: { username: string; password: string };
}

export interface SetupOptions {
  url: string;
  wallets: number;
  /** Opening balance of every wallet, a decimal string at the asset's scale. */
  funding: string;
  log: (msg: string) => void;
}

export const ASSET = 'CNY';
const FUNDING_BATCH = 2000;

function adminUrl(url: string): string {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return admin.toString();
}

function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!/^[a-z0-9_]*bench[a-z0-9_]*$/.test(name)) throw new Error(`refusing to drop/recreate ${name}: the scratch database must be named *bench*`);
  return name;
}

export async function dropDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const client = new Client({ connectionString: adminUrl(url) });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export function today(): string {
  return new Date().toISOString().slice(0, 10);
}

/**
 * Drops and recreates the scratch database, migrates it, and books the starting position through
 * the real LedgerService: asset CNY (scale 2), a bank account (ASSET) and `wallets` LIABILITY
 * accounts with noOverdraft, each funded bank → wallet by batch entries (so balances, postings and
 * hash chains are exactly what the service itself would have written).
 */
export async function createScratchLedger(options: SetupOptions): Promise<ScratchLedger> {
  const started = process.hrtime.bigint();
  await dropDatabase(options.url);
  await ensureDatabase(options.url);
  const ds: DataSource = await openDataSource(options.url, 4);
  try {
    const ran = await migrate(ds);
    options.log(`created ${databaseName(options.url)}, ran ${ran.length} migrations`);
    const ledger = new LedgerService(ds);
    const bank = 'bench:bank:CNY';
    await inTransaction(ds, async (em) => {
      await ledger.createAsset(em, { code: ASSET, scale: 2, description: 'Renminbi (bench)' });
      await ledger.openAccount(em, { code: bank, asset: ASSET, type: 'ASSET', ownerRef: 'bench:bank' });
    });
    // Opening 10,000 accounts one by one through the service is ~30k round trips for no insight:
    // one INSERT with exactly the columns openAccount writes.
    await ds.query(
      `INSERT INTO ledger_accounts (code, asset_code, type, normal_side, owner_ref, no_overdraft, metadata)
       SELECT 'bench:wallet:' || lpad(i::text, 5, '0') || ':CNY', $2, 'LIABILITY', $3, 'bench:party:' || lpad(i::text, 5, '0'), true, '{}'::jsonb
       FROM generate_series(1, $1::int) AS i`,
      [options.wallets, ASSET, normalSideOf('LIABILITY')],
    );
    const wallets = await ds.query<BenchAccount[]>(`SELECT id::text AS id, code FROM ledger_accounts WHERE code LIKE 'bench:wallet:%' ORDER BY code`);
    if (wallets.length !== options.wallets) throw new Error(`expected ${options.wallets} wallets, found ${wallets.length}`);

    const effectiveDate = today();
    for (let from = 0; from < wallets.length; from += FUNDING_BATCH) {
      const drafts: EntryDraft[] = wallets.slice(from, from + FUNDING_BATCH).map((w, i) => ({
        idempotencyKey: `bench-funding-${from + i}`,
        kind: 'BENCH_FUNDING',
        effectiveDate,
        memo: 'bench opening balance',
        postings: [
          { account: bank, side: 'DEBIT', amount: options.funding },
          { account: w.code, side: 'CREDIT', amount: options.funding },
        ],
      }));
      await inTransaction(ds, (em) => ledger.postBatch(em, drafts));
    }
    options.log(`funded ${wallets.length} wallets with ${options.funding} ${ASSET} each`);
    // Fresh tables: give the planner statistics now (autovacuum may be off, as on the dev server).
    await ds.query('VACUUM ANALYZE');
    const admin = (await createAdmin(ds, 'bench'))!;
    return { url: options.url, asset: ASSET, bank, wallets, effectiveDate, setupSeconds: Number(process.hrtime.bigint() - started) / 1e9, admin };
  } finally {
    await ds.destroy();
  }
}
