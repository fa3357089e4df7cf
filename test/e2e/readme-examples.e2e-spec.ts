import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_REDIS_URL } from '../setup/databases';
import { until } from '../setup/processes';
import { useTestDatabase } from '../setup/test-database';

/**
 * The README's runnable examples, run as a newcomer would: `scripts/start.ts --migrate-only` on a
 * fresh database (first admin, demo data), the API started from the sources, then every ```bash
 * block marked `<!-- example -->` in the README, in order, in one bash session. The only changes:
 * `localhost:3000` becomes this test's port, `<printed on first start>` the password the start
 * printed, and `curl` fails on an answer that is not 2xx (`--fail-with-body`), which fails the test.
 */
const db = useTestDatabase();
const ROOT = join(__dirname, '..', '..');
const TS_NODE = ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register'];

/** The marked blocks of README.md, in order. */
export function readmeExamples(markdown: string): string[] {
  return [...markdown.matchAll(/<!-- example -->\s*\n```bash\n([\s\S]*?)\n```/g)].map((m) => m[1]);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function run(command: string, args: string[], env: Record<string, string>, cwd = ROOT): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('the README examples', () => {
  const examples = readmeExamples(readFileSync(join(ROOT, 'README.md'), 'utf8'));
  let api: ChildProcess | undefined;
  let apiOutput = '';
  const work = mkdtempSync(join(tmpdir(), 'readme-examples-'));

  afterAll(() => {
    if (api?.exitCode === null) api.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  });

  it('are marked: the quick start, users, 林票 trades and market, carbon, the queue dashboard', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    expect(examples.join('\n')).toContain('/v1/carbon/listings/$LISTING/orders');
  });

  it('run against a service started on a fresh database with the demo data, every answer 2xx', async () => {
    const port = await freePort();
    const env = {
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      DEMO_DATA: 'true',
      PORT: String(port),
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
    };

    const prepared = await run(process.execPath, [...TS_NODE, 'scripts/start.ts', '--migrate-only'], env);
    expect({ code: prepared.code, stderr: prepared.stderr }).toEqual({ code: 0, stderr: '' });
    const password = prepared.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { password?: string; msg?: string })
      .find((l) => l.password !== undefined)?.password;
    expect(prepared.stdout).toContain('loaded the demo data set');
    expect(password).toEqual(expect.any(String));

    api = spawn(process.execPath, [...TS_NODE, 'apps/api/src/main.ts'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    api.stdout?.on('data', (chunk: Buffer) => (apiOutput += chunk.toString()));
    api.stderr?.on('data', (chunk: Buffer) => (apiOutput += chunk.toString()));
    const handle = {
      label: 'api',
      get lastOutput() {
        return apiOutput;
      },
      assertAlive: (while_: string) => {
        if (api?.exitCode !== null) throw new Error(`the API died while ${while_}:\n${apiOutput}`);
      },
    };
    await until('the API answering', async () => ((await fetch(`http://127.0.0.1:${port}/health/ready`).catch(() => undefined))?.ok ? true : undefined), {
      timeoutMs: 120_000,
      everyMs: 250,
      process: handle,
    });

    const script = [
      'set -euo pipefail',
      // Every answer must be 2xx: a 4xx or 5xx ends the script with its body on stdout.
      'curl() { command curl --fail-with-body -sS "$@"; }',
      ...examples.map((block, i) => `echo "== example ${i + 1}" >&2\nset -x\n${block}\nset +x`),
    ]
      .join('\n')
      .replaceAll('localhost:3000', `127.0.0.1:${port}`)
      .replaceAll('<printed on first start>', password!);
    const result = await run('bash', ['-c', script], {}, work);
    if (result.code !== 0) throw new Error(`a README example failed (exit ${result.code}):\n--- stderr\n${result.stderr.slice(-4000)}\n--- stdout\n${result.stdout.slice(-4000)}`);
    // The 林票 listing example left 15 of 20 units; the carbon order bought 100 tonnes.
    expect(result.stdout).toContain('"unitsAvailable":"15"');
  }, 300_000);
});
