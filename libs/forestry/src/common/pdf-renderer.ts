import { ChildProcess, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { missingServiceV8Flags, WorkQueueFullError } from '@forest-ledger/platform';

/**
 * A PDF renderer that is a pure function of its input (the certificate, the annual statement: same input and font,
 * same bytes), named so the render process can load it: `module` is the file that exports it (its `__filename`).
 */
export interface PdfRenderJob<T> {
  module: string;
  exportName: string;
  render: (input: T) => Promise<Buffer>;
  /** An input to render at start-up (warmUp), so that the first real render finds the font parsed and the code compiled. */
  sample?: T;
}

/** Messages to and from the render process. */
export interface PdfRenderRequest {
  id: number;
  module: string;
  exportName: string;
  input: unknown;
}
export type PdfRenderReply = { id: number; pdf: Uint8Array } | { id: number; error: string };

/** Renders of each sample at start-up: the first few renders of a fresh process are the slow ones. */
const WARM_UP_RENDERS = 5;

/**
 * Renders one render process may owe at once (a certificate is 40–60 ms of CPU warm, so about two seconds of work):
 * past it a render is refused at once (503 WORK_QUEUE_FULL, Retry-After 2 s) instead of queued behind a backlog that
 * only grows while the machine is saturated. Answers from the cache, and a render already under way for the same
 * input, are never refused.
 */
export const MAX_QUEUED_RENDERS = 32;

/** Rendered PDFs kept by content (about 75 KB a certificate): enough for a village's certificates on a dividend day. */
export const PDF_CACHE_MAX_BYTES = 64 * 1024 * 1024;

/** How to start the render process: its script and node's flags for it. */
export interface RenderProcessOptions {
  file: string;
  execArgv: string[];
}

/**
 * The compiled render process, with only the service's V8 flags (not this process's execArgv: a preload, an inspector
 * port), which also cut the render's garbage collection (a certificate 46 → 36 ms of CPU); null from TypeScript sources.
 */
function builtRenderProcess(): RenderProcessOptions | null {
  const file = join(__dirname, 'pdf-render.process.js');
  return __filename.endsWith('.js') && existsSync(file) ? { file, execArgv: missingServiceV8Flags([]) } : null;
}

/**
 * Renders PDFs off the event loop and remembers them by content.
 * - A certificate costs 40–60 ms of CPU once warm (font subsetting and shaping), a few hundred ms while cold; on the
 *   event loop it would stall every other request. In the built service it runs in one child process per API
 *   process, at nice 19 (pdf-render.process), so that on a busy machine the API's requests take the CPU first and
 *   renders the rest: a thread could not be niced from Node, and competed with the event loops as an equal. From
 *   TypeScript sources (tests) there is no compiled child and it renders in-process.
 * - The bytes depend only on the input, so the cache key is a hash of the input itself: any change to the data a PDF
 *   shows (units, names, the print date) is a different key, and nothing needs invalidating; least recently used
 *   PDFs go first past PDF_CACHE_MAX_BYTES.
 * - Concurrent identical renders share one promise.
 * - At most MAX_QUEUED_RENDERS renders are owed at once; past that a new one is refused (WorkQueueFullError → 503).
 * Callers check the reader's scope before asking: the cache only answers for an input the caller already holds.
 */
export class PdfRenderer {
  private readonly done = new Map<string, Buffer>();
  private cachedBytes = 0;
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  private child: ChildProcess | null = null;
  private readonly pending = new Map<number, { resolve: (pdf: Buffer) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  constructor(
    private readonly maxBytes = PDF_CACHE_MAX_BYTES,
    /** null: render in this process (tests from TypeScript sources). */
    private readonly renderProcess: RenderProcessOptions | null = builtRenderProcess(),
    private readonly maxQueued = MAX_QUEUED_RENDERS,
  ) {}

  render<T>(job: PdfRenderJob<T>, input: T): Promise<Buffer> {
    const key = createHash('sha256')
      .update(`${job.module}#${job.exportName}\n${JSON.stringify(input)}`)
      .digest('base64');
    const cached = this.done.get(key);
    if (cached !== undefined) {
      this.done.delete(key); // re-inserted: most recently used last
      this.done.set(key, cached);
      return Promise.resolve(cached);
    }
    const running = this.inFlight.get(key);
    if (running !== undefined) return running;
    if (this.renderProcess && this.pending.size >= this.maxQueued) {
      return Promise.reject(new WorkQueueFullError(`${this.pending.size} PDF renders are already waiting in this process (at most ${this.maxQueued})`));
    }
    const promise = (this.renderProcess ? this.inChild(this.renderProcess, job, input) : job.render(input)).then(
      (pdf) => {
        this.inFlight.delete(key);
        this.remember(key, pdf);
        return pdf;
      },
      (error: unknown) => {
        this.inFlight.delete(key);
        throw error;
      },
    );
    this.inFlight.set(key, promise);
    return promise;
  }

  private remember(key: string, pdf: Buffer): void {
    if (pdf.length > this.maxBytes) return;
    this.done.set(key, pdf);
    this.cachedBytes += pdf.length;
    for (const [oldKey, old] of this.done) {
      if (this.cachedBytes <= this.maxBytes) break;
      this.done.delete(oldKey);
      this.cachedBytes -= old.length;
    }
  }

  private inChild<T>(options: RenderProcessOptions, job: PdfRenderJob<T>, input: T): Promise<Buffer> {
    const child = this.child ?? this.start(options);
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: PdfRenderRequest = { id, module: job.module, exportName: job.exportName, input };
      child.send(request);
      child.channel?.ref(); // keeps this process alive while a render is owed
    });
  }

  private start(options: RenderProcessOptions): ChildProcess {
    const child = fork(options.file, [], {
      execArgv: options.execArgv,
      serialization: 'advanced', // the PDF's bytes as a Uint8Array, not as JSON
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.unref();
    child.channel?.unref();
    child.on('message', (reply: PdfRenderReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) child.channel?.unref();
      if (waiting === undefined) return;
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else waiting.resolve(Buffer.from(reply.pdf.buffer, reply.pdf.byteOffset, reply.pdf.byteLength));
    });
    const fail = (error: Error) => {
      if (this.child === child) this.child = null; // the next render starts a new process
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(`the PDF render process exited (${signal ?? `code ${code}`})`)));
    this.child = child;
    return child;
  }

  /**
   * Starts the render process and has it render the job's sample WARM_UP_RENDERS times, at nice 19: a cold process
   * spends about a second of CPU on its first certificate (modules, the CJK font's tables, then code not yet compiled),
   * which on a busy machine the lowest priority stretches to many seconds of the first villagers' wait. A no-op when
   * rendering in-process.
   */
  warmUp<T>(job: PdfRenderJob<T>): void {
    const options = this.renderProcess;
    if (options === null || job.sample === undefined) return;
    for (let i = 0; i < WARM_UP_RENDERS; i++) {
      // A failing sample (no font) fails the same way, with its cause, on the first real render.
      this.inChild(options, job, job.sample).catch(() => undefined);
    }
  }

  /** The render process's pid while it runs. */
  get renderPid(): number | null {
    return this.child?.pid ?? null;
  }

  /** Stops the render process (shutdown); a later render starts a new one. */
  async close(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill();
    await exited;
  }
}

/** One per process: the certificates and the annual statements share the render process and the cache. */
export const pdfRenderer = new PdfRenderer();
