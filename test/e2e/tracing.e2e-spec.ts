import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { TEST_REDIS_URL } from '../setup/databases';
import { kernelFreePort, until } from '../setup/processes';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
const ROOT = join(__dirname, '..', '..');
let PORT = 0;
let api: ChildProcess;
let output = '';
const alive = {
  label: 'api',
  get lastOutput() {
    return output;
  },
  assertAlive: (while_: string) => {
    if (api.exitCode !== null) throw new Error(`the API died while ${while_}:\n${output}`);
  },
};

beforeAll(async () => {
  PORT = await kernelFreePort();
  // The API as main.ts starts it (tracing is set up before anything loads), spans printed on stdout.
  api = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/api/src/main.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'),
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      DEPLOYMENT_ID: `test-${db.name}`,
      PORT: String(PORT),
      DEMO_DATA: 'false',
      OTEL_TRACES_EXPORTER: 'console',
      OTEL_SERVICE_NAME: 'forest-ledger-api-test',
    },
  });
  const keep = (chunk: Buffer) => (output += chunk.toString());
  api.stdout?.on('data', keep);
  api.stderr?.on('data', keep);
});
afterAll(async () => {
  if (api.exitCode === null) {
    api.kill('SIGTERM');
    await new Promise((resolve) => api.once('exit', resolve));
  }
});

describe('tracing (OTEL_TRACES_EXPORTER=console)', () => {
  it('logs one start-up line, and a request gives an HTTP span named by route with the correlation id, and PostgreSQL spans in its trace', async () => {
    await until('the API answering', async () => ((await fetch(`http://127.0.0.1:${PORT}/health/live`).catch(() => undefined))?.ok ? true : undefined), {
      timeoutMs: 90_000,
      everyMs: 250,
      process: alive,
    });
    // The log line reaches this process through a pipe: it may come after the first answer.
    const started = await until('the start-up line', () => Promise.resolve(output.split('\n').find((l) => l.includes('"forest-ledger API started"') && l.endsWith('}'))), {
      timeoutMs: 10_000,
      everyMs: 100,
      process: alive,
    });
    const line = JSON.parse(started) as Record<string, unknown>;
    expect(line).toMatchObject({ version: expect.any(String), deploymentId: `test-${db.name}`, tracing: 'console', redis: expect.stringContaining('127.0.0.1') });
    expect(String(line.postgres)).toContain(db.name);
    expect(started).not.toMatch(/postgres:\/\//); // hosts only, never a URL with credentials

    const correlationId = `trace-${randomUUID()}`;
    const res = await fetch(`http://127.0.0.1:${PORT}/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': correlationId },
      body: JSON.stringify({ username: 'nobody-at-all', password: 'not-the-password' }),
    });
    expect(res.status).toBe(401);
    const at = await until(
      'the request span printed',
      () => Promise.resolve(output.includes(`'forest_ledger.correlation_id': '${correlationId}'`) ? output.indexOf(correlationId) : undefined),
      {
        timeoutMs: 10_000,
        everyMs: 100,
        process: alive,
      },
    );
    const before = output.slice(0, at);
    const traceId = /traceId: '([0-9a-f]{32})'/g;
    const ids = [...before.matchAll(traceId)];
    const requestTrace = ids[ids.length - 1][1];
    const requestSpan = output.slice(ids[ids.length - 1].index, output.indexOf('\n}', at));
    expect(requestSpan).toContain("name: 'POST /v1/auth/login'");
    expect(requestSpan).toContain("'http.route': '/v1/auth/login'");
    // The user lookup ran in the same trace (a child of the request's span).
    const spansOfTrace = output.split(/\n(?=\{\n)/).filter((block) => block.includes(`traceId: '${requestTrace}'`));
    expect(spansOfTrace.some((block) => /'db\.system(\.name)?': 'postgresql'/.test(block))).toBe(true);
  });
});
