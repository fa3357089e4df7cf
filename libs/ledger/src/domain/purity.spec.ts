import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The ledger core imports no framework: only decimal.js, Node's crypto, libs/common (which imports nothing) and its own files. */
describe('ledger domain purity', () => {
  const allowed = new Set(['decimal.js', 'node:crypto', '@forest-ledger/common']);
  const files = readdirSync(__dirname).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));

  it.each(files)('%s imports only decimal.js, node:crypto, @forest-ledger/common and relative modules', (file) => {
    const source = readFileSync(join(__dirname, file), 'utf8');
    const imports = [...source.matchAll(/(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/g)].map((m) => m[1]);
    expect(imports.filter((m) => !m.startsWith('.') && !allowed.has(m))).toEqual([]);
  });
});
