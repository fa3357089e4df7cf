import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { OWNERS } from './table-owners';

/**
 * One owner per table: only the owner's store files name a table in SQL. A feature that needs another's
 * data calls that feature's store or service. Migrations are the schema and are exempt; so are tests
 * and benchmarks (they check the tables from outside). A new table must be given an owner here.
 */
const ROOT = join(__dirname, '..', '..');

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
