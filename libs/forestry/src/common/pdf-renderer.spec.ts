import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModuleKind, ScriptTarget, transpileModule } from 'typescript';
import { PdfRenderer, PdfRenderJob } from './pdf-renderer';
import { unavailabilityOf, WorkQueueFullError } from '@forest-ledger/platform';

/** A fake renderer: counts its renders, answers when told. */
function fakeJob(): { job: PdfRenderJob<{ n: number }>; renders: () => number; finish: () => void } {
  let renders = 0;
  const waiting: Array<() => void> = [];
  const job: PdfRenderJob<{ n: number }> = {
    module: __filename,
    exportName: 'fake',
    render: (input) => {
      renders++;
      if (input.n < 0) return Promise.reject(new Error('bad input'));
      return new Promise((resolve) => waiting.push(() => resolve(Buffer.alloc(10, input.n))));
    },
  };
  return { job, renders: () => renders, finish: () => waiting.splice(0).forEach((w) => w()) };
}

describe('PdfRenderer', () => {
  it('renders concurrent identical inputs once, and answers later ones from the cache', async () => {
    const { job, renders, finish } = fakeJob();
    const renderer = new PdfRenderer(1000, null);
    const both = Promise.all([renderer.render(job, { n: 1 }), renderer.render(job, { n: 1 })]);
    finish();
    const [a, b] = await both;
    expect(a.equals(Buffer.alloc(10, 1))).toBe(true);
    expect(b).toBe(a);
    expect(await renderer.render(job, { n: 1 })).toBe(a);
    expect(renders()).toBe(1);
  });

  it('renders again when the content changes (the input is the key)', async () => {
    const { job, renders, finish } = fakeJob();
    const renderer = new PdfRenderer(1000, null);
    const first = renderer.render(job, { n: 1 });
    const second = renderer.render(job, { n: 2 });
    finish();
    expect((await first)[0]).toBe(1);
    expect((await second)[0]).toBe(2);
    expect(renders()).toBe(2);
  });

  it('forgets the least recently used past its byte budget, and never caches a failure', async () => {
    const { job, renders, finish } = fakeJob();
    const renderer = new PdfRenderer(25, null); // two 10-byte PDFs fit, not three
    for (const n of [1, 2]) {
      const p = renderer.render(job, { n });
      finish();
      await p;
    }
    await renderer.render(job, { n: 1 }); // 1 is now the most recent
    const third = renderer.render(job, { n: 3 });
    finish();
    await third;
    expect(renders()).toBe(3);
    await renderer.render(job, { n: 1 }); // still cached
    expect(renders()).toBe(3);
    const again = renderer.render(job, { n: 2 }); // evicted: rendered again
    finish();
    await again;
    expect(renders()).toBe(4);

    await expect(renderer.render(job, { n: -1 })).rejects.toThrow('bad input');
    await expect(renderer.render(job, { n: -1 })).rejects.toThrow('bad input');
    expect(renders()).toBe(6);
  });
});

describe('PdfRenderer in its render process', () => {
  // The built service forks dist's pdf-render.process.js; here the same source, transpiled to a scratch folder, with a
  // stand-in renderer in plain JavaScript, so that the child (at nice 19 on a busy machine) has little to start.
  const dir = mkdtempSync(join(tmpdir(), 'pdf-render-'));
  const source = readFileSync(join(__dirname, 'pdf-render.process.ts'), 'utf8');
  writeFileSync(join(dir, 'pdf-render.process.js'), transpileModule(source, { compilerOptions: { module: ModuleKind.CommonJS, target: ScriptTarget.ES2022 } }).outputText);
  writeFileSync(
    join(dir, 'stand-in.js'),
    `exports.render = async ({ n, delayMs, fail }) => {
       await new Promise((resolve) => setTimeout(resolve, delayMs));
       if (fail) throw new Error('bad input');
       return Buffer.from(Array.from({ length: n }, (_, i) => (i * 7) % 256));
     };`,
  );
  const job: PdfRenderJob<{ n: number; delayMs: number; fail?: boolean }> = {
    module: join(dir, 'stand-in.js'),
    exportName: 'render',
    render: () => Promise.reject(new Error('renders in the child')),
  };
  const renderer = new PdfRenderer(0, { file: join(dir, 'pdf-render.process.js'), execArgv: [] });
  const bounded = new PdfRenderer(1000, { file: join(dir, 'pdf-render.process.js'), execArgv: [] }, 2);

  afterAll(async () => {
    await bounded.close();
    await renderer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers with the exact bytes, one render at a time in arrival order, at nice 19 on every thread, and stops on close', async () => {
    const finished: string[] = [];
    const slow = renderer.render(job, { n: 100_000, delayMs: 300 }).then((pdf) => (finished.push('slow'), pdf));
    const quick = renderer.render(job, { n: 10, delayMs: 0 }).then((pdf) => (finished.push('quick'), pdf));
    const [bytes] = await Promise.all([slow, quick]);
    expect(bytes.equals(Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7) % 256)))).toBe(true);
    expect(finished).toEqual(['slow', 'quick']);

    const pid = renderer.renderPid;
    expect(pid).not.toBeNull();
    const nice = readdirSync(`/proc/${pid}/task`).map((tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]));
    expect(new Set(nice)).toEqual(new Set([19]));

    await expect(renderer.render(job, { n: 1, delayMs: 0, fail: true })).rejects.toThrow('bad input');
    await renderer.close();
    expect(renderer.renderPid).toBeNull();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('refuses a render past its bound at once (WorkQueueFullError, a 503), but never one it is already making or has made', async () => {
    const first = bounded.render(job, { n: 1, delayMs: 400 });
    const second = bounded.render(job, { n: 2, delayMs: 0 });
    await expect(bounded.render(job, { n: 3, delayMs: 0 })).rejects.toBeInstanceOf(WorkQueueFullError); // refused: a queued one would resolve
    expect(unavailabilityOf(new WorkQueueFullError('full'))).toMatchObject({ cause: 'WORK_QUEUE_FULL', retryAfterSeconds: 2 });
    const sameAsFirst = bounded.render(job, { n: 1, delayMs: 400 }); // under way: shared, not refused
    expect(sameAsFirst).toBe(first);
    await Promise.all([first, second]);
    await expect(bounded.render(job, { n: 1, delayMs: 400 })).resolves.toHaveLength(1); // from the cache
    await expect(bounded.render(job, { n: 3, delayMs: 0 })).resolves.toHaveLength(3); // room again
  });
});
