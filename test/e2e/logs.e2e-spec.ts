import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { TEST_REDIS_URL } from '../setup/databases';
import { kernelFreePort, until } from '../setup/processes';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
const ROOT = join(__dirname, '..', '..');
/** From the ports given to this test file's author (3480-3489). */
let PORT = 0;
beforeAll(async () => {
  PORT = await kernelFreePort();
});

interface LogLine {
  level: number;
  time: number;
  msg: string;
  url?: string;
  openapi?: string;
  version?: string;
  req?: { method: string; url: string };
}

/** Runs apps/api/src/main.ts as `npm run start:api` would (from the sources), until `act` is done; its stdout and exit code. */
async function runApi(
  env: Record<string, string>,
  act: (api: { label: string; lastOutput: string; alive(): boolean; assertAlive(while_: string): void }) => Promise<unknown>,
): Promise<{ stdout: string; code: number | null }> {
  const api = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      DEMO_DATA: 'false',
      ...env,
    },
  });
  let stdout = '';
  api.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  api.stderr.resume();
  const exited = new Promise<number | null>((resolve) => api.once('exit', resolve));
  try {
    const alive = () => api.exitCode === null;
    await act({
      label: 'api',
      get lastOutput() {
        return stdout;
      },
      alive,
      assertAlive: (while_: string) => {
        if (!alive()) throw new Error(`the API died while ${while_}:\n${stdout}`);
      },
    });
  } finally {
    if (api.exitCode === null) api.kill('SIGTERM');
  }
  return { stdout, code: await exited };
}

function jsonLines(stdout: string): LogLine[] {
  return stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch (error: unknown) {
        if (error instanceof SyntaxError) throw new Error(`a stdout line is not JSON: ${line}`);
        throw error;
      }
    });
}

describe('logs: pino JSON from the first line to the last', () => {
  it('every stdout line of a start, some requests and a stop is JSON; the start-up line names the URL, the OpenAPI URL and the version', async () => {
    const { stdout } = await runApi({ PORT: String(PORT), DEPLOYMENT_ID: `test-${db.name}` }, async (api) => {
      await until('the API answering', async () => ((await fetch(`http://127.0.0.1:${PORT}/health/live`).catch(() => undefined))?.ok ? true : undefined), {
        timeoutMs: 90_000,
        everyMs: 250,
        process: api,
      });
      await fetch(`http://127.0.0.1:${PORT}/health/ready`);
      await fetch(`http://127.0.0.1:${PORT}/no-such-route`);
    });
    const lines = jsonLines(stdout);
    expect(lines.every((l) => typeof l.level === 'number' && typeof l.time === 'number')).toBe(true);
    const started = lines.find((l) => l.msg === 'forest-ledger API started');
    expect(started).toMatchObject({ url: `http://0.0.0.0:${PORT}`, openapi: `http://0.0.0.0:${PORT}/docs`, version: expect.stringMatching(/^\d+\.\d+\.\d+/) as unknown });
  }, 120_000);

  it('above info (pino-http off), a line logged while answering a request still names the request', async () => {
    // Redis is a port nobody listens on: a login then warns that its limits are counted in memory, inside the request.
    const port = await kernelFreePort();
    const deadRedis = `redis://127.0.0.1:${await kernelFreePort()}`;
    const { stdout } = await runApi({ PORT: String(port), LOG_LEVEL: 'warn', REDIS_URL: deadRedis, DEPLOYMENT_ID: `warn-${db.name.slice(-20)}` }, async (api) => {
      await until('the API answering', async () => ((await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined))?.ok ? true : undefined), {
        timeoutMs: 90_000,
        everyMs: 250,
        process: api,
      });
      const login = await fetch(`http://127.0.0.1:${port}/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'nobody-here', password: 'not-the-password-1' }),
      });
      expect(login.status).toBe(401);
      await until('the login limits warning', () => Promise.resolve(api.lastOutput.includes('Redis unreachable') ? true : undefined), {
        timeoutMs: 30_000,
        everyMs: 200,
        process: api,
      });
    });
    const warning = jsonLines(stdout).find((l) => l.msg.startsWith('Redis unreachable'));
    expect(warning).toMatchObject({ level: 40, req: { method: 'POST', url: '/v1/auth/login' } });
  }, 150_000);

  it('a start that fails says why in one JSON line and exits with 1', async () => {
    const { stdout, code } = await runApi({ PORT: 'not-a-port' }, (api) =>
      until('the API exiting', () => Promise.resolve(api.alive() ? undefined : true), { timeoutMs: 60_000, everyMs: 200 }),
    );
    expect(code).toBe(1);
    const lines = jsonLines(stdout);
    expect(lines.at(-1)).toMatchObject({ level: 60, msg: expect.stringContaining('PORT') as unknown });
  }, 120_000);
});
