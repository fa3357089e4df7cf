import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CERTIFICATE_PDF, CertificatePdfInput, renderCertificatePdf } from '../tickets/certificate-pdf';
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
  // The built service forks dist's pdf-render.process.js; from the sources the same script runs through ts-node.
  const renderer = new PdfRenderer(0, { file: join(__dirname, 'pdf-render.process.ts'), execArgv: ['-r', 'ts-node/register/transpile-only'] });
  const input: CertificatePdfInput = {
    certificateNo: 'YC-DXG-2025-000003',
    seriesCode: 'YC-DXG-2025',
    seriesName: '阳城县大西沟村林票 2025',
    projectName: '芹池镇大西沟村国有林场—村集体合作经营项目',
    holderName: '张*仁',
    holderIdMasked: '140522********0310',
    holderIdKind: 'PERSON',
    units: '6300',
    faceValue: '100.00',
    faceAmount: '630000.00',
    faceAmountInWords: '陆拾叁万元整',
    parcels: [{ certificateNo: '晋(2019)阳城县不动产权第0001201号', areaMu: '100.00', location: '芹池镇大西沟村后沟第1小班' }],
    totalAreaMu: '100.00',
    issuer: '阳城县国有林场',
    issuedOn: '2025-03-01',
    printedAt: '2025-06-18',
    verificationCode: 'K7Q2-M9XW-4HTB-P3NA',
    verificationUrl: 'http://localhost:3000/v1/public/certificates/K7Q2M9XW4HTBP3NA',
    transferRestrictionLabel: '限本集体成员间转让',
  };

  afterAll(() => renderer.close());

  it('renders the same bytes as in this process, at nice 19 on every thread, and stops on close', async () => {
    const [there, here] = await Promise.all([renderer.render(CERTIFICATE_PDF, input), renderCertificatePdf(input)]);
    expect(there.equals(here)).toBe(true);

    const pid = renderer.renderPid;
    expect(pid).not.toBeNull();
    const nice = readdirSync(`/proc/${pid}/task`).map((tid) => Number(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8').split(') ')[1].split(' ')[16]));
    expect(new Set(nice)).toEqual(new Set([19]));

    await expect(renderer.render(CERTIFICATE_PDF, { ...input, printedAt: 'yesterday' })).rejects.toThrow('printedAt must be a date');
    await renderer.close();
    expect(renderer.renderPid).toBeNull();
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });
});
