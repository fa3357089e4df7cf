import { PdfRenderer, PdfRenderJob } from './pdf-renderer';

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
    const renderer = new PdfRenderer(1000, false);
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
    const renderer = new PdfRenderer(1000, false);
    const first = renderer.render(job, { n: 1 });
    const second = renderer.render(job, { n: 2 });
    finish();
    expect((await first)[0]).toBe(1);
    expect((await second)[0]).toBe(2);
    expect(renders()).toBe(2);
  });

  it('forgets the least recently used past its byte budget, and never caches a failure', async () => {
    const { job, renders, finish } = fakeJob();
    const renderer = new PdfRenderer(25, false); // two 10-byte PDFs fit, not three
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
