import { ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';

export interface ApiProcessOptions {
  mainJs: string;
  port: number;
  env: Record<string, string>;
  /** Extra node flags, e.g. ['-r', '<preload>'] for profiling. */
  nodeArgs?: string[];
  startTimeoutMs?: number;
}

/** The real API as a child process (`node dist/apps/api/src/main.js`), with its output kept for diagnosis. */
export class ApiProcess {
  readonly child: ChildProcess;
  private readonly tail: string[] = [];
  private lines = 0;
  private exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private readonly exitPromise: Promise<void>;

  constructor(private readonly options: ApiProcessOptions) {
    this.child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.mainJs], {
      // Production refuses to start without PUBLIC_BASE_URL (certificates' verification links); the bench serves itself.
      env: { ...process.env, PUBLIC_BASE_URL: `http://127.0.0.1:${options.port}`, ...options.env, PORT: String(options.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        for (const line of parts) this.keep(line);
      });
    }
    this.exitPromise = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        this.exited = { code, signal };
        resolve();
      }),
    );
  }

  private keep(line: string): void {
    if (line.trim() === '') return;
    this.lines++;
    this.tail.push(line.length > 500 ? `${line.slice(0, 500)}…` : line);
    if (this.tail.length > 30) this.tail.shift();
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Lines the service printed so far (with LOG_LEVEL=warn only warnings and errors) and the last few. */
  output(): { lines: number; tail: string[] } {
    return { lines: this.lines, tail: [...this.tail] };
  }

  /** Polls GET /health until 200, failing early if the process dies. */
  async waitHealthy(): Promise<void> {
    const deadline = Date.now() + (this.options.startTimeoutMs ?? 30_000);
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`API exited during start-up (code ${this.exited.code}, signal ${this.exited.signal}):\n${this.tail.join('\n')}`);
      const status = await new Promise<number>((resolve) => {
        const req = http.get({ host: '127.0.0.1', port: this.options.port, path: '/health', agent: false, timeout: 2000 }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('timeout', () => req.destroy(new Error('timeout')));
        req.on('error', (e) => {
          last = e.message;
          resolve(0);
        });
      });
      if (status === 200) return;
      if (status !== 0) last = `HTTP ${status}`;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`API not healthy after ${this.options.startTimeoutMs ?? 30_000} ms (${last}):\n${this.tail.join('\n')}`);
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child.kill(signal);
  }

  /** SIGTERM (graceful shutdown hooks), SIGKILL after `graceMs`. */
  async stop(graceMs = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exited) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exitPromise;
      clearTimeout(timer);
    }
    return this.exited ?? { code: null, signal: null };
  }
}
