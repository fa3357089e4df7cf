import { spawn } from 'node:child_process';
import { join } from 'node:path';

/**
 * Issue #22's demo, CI-sized: `scripts/scale/scale-demo.ts` with SCALE_DEMO_SMALL=1 (200 holders) and the processes
 * run from source (SCALE_DEMO_RUNTIME=ts). Its own PostgreSQL primary and replica (5522/5523), 6-node Redis Cluster
 * (7110–7115), 2 APIs behind a round-robin proxy and 2 workers; a mixed load (transfers, 林票 trades, villagers'
 * pages from the replica, the public registry) while a dividend is distributed; one API and one worker killed in
 * the middle. The demo exits 0 only when every check passed: each acknowledged write once, each holder paid once,
 * the ledger invariants, the daily runs once for the day, replica lag within its bound, no 5xx but an outage's.
 */
const ROOT = join(__dirname, '..', '..');
jest.setTimeout(600_000);

describe('scale demo (CI-sized)', () => {
  it('survives an API and a worker killed under mixed load on a replica and a Redis Cluster, and every check passes', async () => {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'scripts/scale/scale-demo.ts'], {
      cwd: ROOT,
      env: { ...process.env, SCALE_DEMO_SMALL: '1', SCALE_DEMO_RUNTIME: 'ts', TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-40_000)));
    child.stderr.on('data', (c: Buffer) => (output = (output + c.toString()).slice(-40_000)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    if (code !== 0 || !output.includes('scale demo: all checks passed')) throw new Error(`scale demo exited ${code}:\n${output}`);
    const line = /^SCALE_DEMO_FIGURES (.*)$/m.exec(output);
    if (!line) throw new Error(`no figures in the demo's output:\n${output}`);
    const figures = JSON.parse(line[1]) as Record<string, unknown>;
    expect(figures.holdersPaidWrongly).toBe(0);
    expect(figures.ledgerInvariantViolations).toBe(0);
    expect(figures.serverErrors).toBe(0);
    expect(figures.transferEntriesFound).toBe(figures.transfersAcknowledged);
    expect(figures.dailyRunsNotOnce).toEqual([]);
  });
});
