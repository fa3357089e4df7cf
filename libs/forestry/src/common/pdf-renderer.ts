import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * A PDF renderer that is a pure function of its input (the certificate, the annual statement: same input and font,
 * same bytes), named so a worker thread can load it: `module` is the file that exports it (its `__filename`).
 */
export interface PdfRenderJob<T> {
  module: string;
  exportName: string;
  render: (input: T) => Promise<Buffer>;
}

/** Messages to and from the render thread. */
export interface PdfWorkerRequest {
  id: number;
  module: string;
  exportName: string;
  input: unknown;
}
export type PdfWorkerReply = { id: number; pdf: Uint8Array } | { id: number; error: string };

/** Rendered PDFs kept by content (about 75 KB a certificate): enough for a village's certificates on a dividend day. */
export const PDF_CACHE_MAX_BYTES = 64 * 1024 * 1024;

const WORKER_FILE = join(__dirname, 'pdf-render.worker.js');

/**
 * Renders PDFs off the event loop and remembers them by content.
 * - A render costs 200–300 ms of CPU (font subsetting); on the event loop it would stall every other request. In
 *   the built service it runs on one worker thread, so pages keep being served meanwhile; from TypeScript sources
 *   (tests) there is no compiled worker and it renders in-process.
 * - The bytes depend only on the input, so the cache key is a hash of the input itself: any change to the data a PDF
 *   shows (units, names, the print date) is a different key, and nothing needs invalidating; least recently used
 *   PDFs go first past PDF_CACHE_MAX_BYTES.
 * - Concurrent identical renders share one promise.
 * Callers check the reader's scope before asking: the cache only answers for an input the caller already holds.
 */
export class PdfRenderer {
  private readonly done = new Map<string, Buffer>();
  private cachedBytes = 0;
  private readonly inFlight = new Map<string, Promise<Buffer>>();
  private worker: Worker | null = null;
  private readonly pending = new Map<number, { resolve: (pdf: Buffer) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  constructor(
    private readonly maxBytes = PDF_CACHE_MAX_BYTES,
    private readonly useWorker = __filename.endsWith('.js') && existsSync(WORKER_FILE),
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
    const promise = (this.useWorker ? this.inWorker(job, input) : job.render(input)).then(
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

  private inWorker<T>(job: PdfRenderJob<T>, input: T): Promise<Buffer> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: PdfWorkerRequest = { id, module: job.module, exportName: job.exportName, input };
      worker.postMessage(request);
      worker.ref(); // keeps the process alive while a render is owed
    });
  }

  private start(): Worker {
    const worker = new Worker(WORKER_FILE);
    worker.unref();
    worker.on('message', (reply: PdfWorkerReply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      if (waiting === undefined) return;
      if ('error' in reply) waiting.reject(new Error(reply.error));
      else waiting.resolve(Buffer.from(reply.pdf.buffer, reply.pdf.byteOffset, reply.pdf.byteLength));
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = null; // the next render starts a new thread
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the PDF render thread exited (code ${code})`)));
    this.worker = worker;
    return worker;
  }

  /** Stops the render thread (shutdown); a later render starts a new one. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }
}

/** One per process: the certificates and the annual statements share the thread and the cache. */
export const pdfRenderer = new PdfRenderer();
