import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Redis from 'ioredis';

const ROOT = join(__dirname, '..', '..');

/** A child process whose last output is kept for the error message when it dies unexpectedly. */
class ChildHandle {
  protected child!: ChildProcess;
  protected output = '';
  private stopping = false;
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  exited!: Promise<void>;

  constructor(readonly label: string) {}

  protected start(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv }): void {
    this.output = '';
    this.stopping = false;
    this.exit = null;
    this.child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-64_000));
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.output += `\n${error.message}`;
        this.exit ??= { code: null, signal: null };
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
    });
    // Never leave a child behind, whatever way the test process ends.
    const child = this.child;
    process.once('exit', () => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Throws, with the process's last output, when it has died unless killed here. */
  assertAlive(while_: string): void {
    if (this.exit && !this.stopping) throw new Error(`${this.label} died (code ${this.exit.code}, signal ${this.exit.signal}) while ${while_}; its last output:\n${this.output}`);
  }

  /** The last output, for a failure message. */
  get lastOutput(): string {
    return this.output;
  }

  /** Sends `signal`, and SIGKILL if the process is still there after `graceMs`. */
  async kill(signal: NodeJS.Signals, graceMs = 5_000): Promise<void> {
    if (!this.child || this.exit) return;
    this.stopping = true;
    this.child.kill(signal);
    const grace = new AbortController();
    const stopped = await Promise.race([this.exited.then(() => true), sleep(graceMs, false, { signal: grace.signal }).catch(() => false)]);
    grace.abort();
    if (!stopped) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** `node apps/worker/src/main.ts` (ts-node, path aliases) with the given environment on top of the test's. */
export class WorkerProcess extends ChildHandle {
  constructor(label: string, env: Record<string, string>) {
    super(label);
    this.start(process.execPath, ['-r', 'ts-node/register/transpile-only', '-r', 'tsconfig-paths/register', 'apps/worker/src/main.ts'], {
      cwd: ROOT,
      env: { ...process.env, TS_NODE_PROJECT: join(ROOT, 'tsconfig.json'), NODE_ENV: 'test', LOG_LEVEL: 'warn', NO_COLOR: '1', DB_POOL_SIZE: '5', ...env },
    });
  }
}

/**
 * A Redis server of the test's own (never the machine's): no persistence, so a restart comes back
 * empty. Started in the foreground as a child, so the test can SIGKILL it and nothing outlives it.
 */
export class RedisServer extends ChildHandle {
  constructor(readonly port: number) {
    super(`redis-server :${port}`);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.start('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {});
    await until(`waiting for ${this.label}`, async () => ((await this.ping()) ? true : undefined), { timeoutMs: 10_000, everyMs: 50, process: this });
  }

  private async ping(): Promise<boolean> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } catch {
      return false;
    } finally {
      client.disconnect();
    }
  }
}

/** Polls `probe` every `everyMs` until it returns a value; fails on timeout or when `process` dies. */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  options: { timeoutMs: number; everyMs: number; process?: { assertAlive(while_: string): void; readonly label: string; readonly lastOutput: string } },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.process?.assertAlive(what);
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) {
      const output = options.process ? `; the last output of ${options.process.label}:\n${options.process.lastOutput}` : '';
      throw new Error(`timed out after ${options.timeoutMs} ms ${what}${output}`);
    }
    await sleep(options.everyMs);
  }
}

/** A port the kernel says is free now (a fixed one can be held by a process an earlier, killed run left behind). */
export async function kernelFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
