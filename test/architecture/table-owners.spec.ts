import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * One owner per table: only the owner's store files name a table in SQL. A feature that needs another's
 * data calls that feature's store or service. Migrations are the schema and are exempt; so are tests
 * and benchmarks (they check the tables from outside). A new table must be given an owner here.
 */
const ROOT = join(__dirname, '..', '..');

/** Owner → [files that may name its tables (regular expression over the path), its tables]. */
const OWNERS: Record<string, { files: RegExp; tables: string[] }> = {
  ledger: { files: /^libs\/ledger\/src\//, tables: ['ledger_assets', 'ledger_accounts', 'ledger_entries', 'ledger_postings'] },
  idempotency: { files: /^libs\/platform\/src\/idempotency\/[\w.-]+\.(store|service)\.ts$/, tables: ['idempotency_requests'] },
  scheduledRuns: { files: /^libs\/platform\/src\/queue\/scheduled-runs\.store\.ts$/, tables: ['scheduled_runs'] },
  access: { files: /^libs\/(access\/src|forestry\/src\/access)\/.*\.store\.ts$/, tables: ['users', 'api_keys', 'audit_log', 'approvals'] },
  parties: { files: /^libs\/forestry\/src\/parties\/.*\.store\.ts$/, tables: ['parties', 'pii_access_log'] },
  regions: { files: /^libs\/forestry\/src\/regions\/.*\.store\.ts$/, tables: ['regions'] },
  parcels: { files: /^libs\/forestry\/src\/parcels\/.*\.store\.ts$/, tables: ['parcels'] },
  projects: { files: /^libs\/forestry\/src\/projects\/.*\.store\.ts$/, tables: ['coop_projects', 'coop_project_parcels', 'project_contributions'] },
  tickets: { files: /^libs\/forestry\/src\/tickets\/.*\.store\.ts$/, tables: ['ticket_series', 'ticket_holdings', 'ticket_movements', 'ticket_pledges'] },
  dividends: {
    files: /^libs\/forestry\/src\/dividends\/.*\.store\.ts$/,
    tables: ['project_cash_flows', 'dividend_declarations', 'dividend_lines', 'payout_batches', 'payout_lines', 'party_bank_cards'],
  },
  carbon: {
    files: /^libs\/forestry\/src\/carbon\/.*\.store\.ts$/,
    tables: [
      'carbon_projects',
      'carbon_project_parcels',
      'carbon_revenue_rules',
      'carbon_issuances',
      'carbon_listings',
      'carbon_sales',
      'carbon_retirements',
      'carbon_serial_blocks',
    ],
  },
  subsidies: {
    files: /^libs\/forestry\/src\/subsidies\/.*\.store\.ts$/,
    tables: [
      'subsidy_programmes',
      'subsidy_programme_regions',
      'subsidy_rules',
      'subsidy_claims',
      'subsidy_claim_recipients',
      'subsidy_instalments',
      'transfer_contracts',
      'transfer_contract_parcels',
    ],
  },
  landUse: {
    files: /^libs\/forestry\/src\/land-use\/.*\.store\.ts$/,
    tables: [
      'land_use_contracts',
      'land_use_contract_parcels',
      'land_use_periods',
      'land_use_receivables',
      'land_use_settlements',
      'land_use_settlement_lines',
      'land_use_waivers',
    ],
  },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) return name === 'migrations' || name === 'node_modules' ? [] : sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The tables a file names in SQL: after FROM, JOIN, INTO, UPDATE, TABLE, REFERENCES or COPY (comments removed). */
export function tablesNamedIn(source: string, tables: ReadonlySet<string>): Set<string> {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/[^\n]*/g, '$1');
  const found = new Set<string>();
  for (const m of code.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE|TABLE|REFERENCES|COPY)\s+(?:ONLY\s+)?"?([a-z_][a-z0-9_]*)"?/gi)) {
    if (tables.has(m[1])) found.add(m[1]);
  }
  return found;
}

const OWNER_OF = new Map(Object.entries(OWNERS).flatMap(([owner, { tables }]) => tables.map((t) => [t, owner] as const)));
const ALL_TABLES = new Set(OWNER_OF.keys());
const FILES = [...sourceFiles('apps'), ...sourceFiles('libs')].map((f) => relative(ROOT, join(ROOT, f)).split('\\').join('/'));

describe('one owner per table', () => {
  it('finds tables in SQL text and not in prose', () => {
    const named = tablesNamedIn('const parties = 1; // FROM parties\n/* JOIN parcels */ q(`SELECT * FROM parties p JOIN ledger_accounts a ON true`)', ALL_TABLES);
    expect([...named].sort()).toEqual(['ledger_accounts', 'parties']);
  });

  it('every table of the schema has an owner', () => {
    const migrations = readdirSync(join(ROOT, 'libs/platform/src/database/migrations')).map((f) => readFileSync(join(ROOT, 'libs/platform/src/database/migrations', f), 'utf8'));
    const created = new Set(migrations.flatMap((m) => [...m.matchAll(/CREATE TABLE (?:IF NOT EXISTS )?"?([a-z_][a-z0-9_]*)"?/gi)].map((x) => x[1])));
    const dropped = new Set(migrations.flatMap((m) => [...m.matchAll(/DROP TABLE (?:IF EXISTS )?"?([a-z_][a-z0-9_]*)"?/gi)].map((x) => x[1])));
    const unowned = [...created].filter((t) => !OWNER_OF.has(t) && !dropped.has(t) && t !== 'migrations');
    expect(unowned).toEqual([]);
  });

  it('only the owner names its tables in SQL (apps and libs, migrations exempt)', () => {
    const trespasses = FILES.flatMap((file) => {
      const named = tablesNamedIn(readFileSync(join(ROOT, file), 'utf8'), ALL_TABLES);
      return [...named].filter((t) => !OWNERS[OWNER_OF.get(t)!].files.test(file)).map((t) => `${file} names ${t} (owner: ${OWNER_OF.get(t)})`);
    });
    expect(trespasses).toEqual([]);
  });
});

describe('file size', () => {
  it('no source file over 500 lines without "Over 500 lines because …" in its first 10 lines', () => {
    const long = FILES.filter((file) => {
      const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
      return lines.length > 500 && !lines.slice(0, 10).some((l) => /Over 500 lines because/.test(l));
    }).map((file) => `${file}: ${readFileSync(join(ROOT, file), 'utf8').split('\n').length} lines`);
    expect(long).toEqual([]);
  });
});
