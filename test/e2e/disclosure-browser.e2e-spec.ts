import type { ApiApplication } from '../../apps/api/src/app.setup';
import { DisclosuresService, formatYuan } from '@forest-ledger/forestry';
import { inTransaction } from '@forest-ledger/platform';
import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { DataSource } from 'typeorm';
import { dividendServices, fundProject, staffUser } from '../factories/dividends.factory';
import { DAXIGOU, YANGCHENG } from '../factories/parcels.factory';
import { deposit, key, lishuSeries, seedTicketWorld, ticketServices } from '../factories/tickets.factory';
import { pdfTextLayer } from '../setup/pdf-text';
import { createTestApp } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * The village's disclosure page (公示) in headless Chromium at 360 × 740: without logging in, it shows
 * the list published now (masked names, units, amounts as ¥1,575.00, the period's dates) and the round
 * an upheld objection superseded, fits the screen, runs under the API's CSP without errors, and links
 * the printable notice. Screenshot in test-artifacts/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const NAMES: Record<string, string> = { 'V-0001': '张守仁', 'V-0002': '李秀英', 'V-0003': '王建国', 'V-0004': '赵桂兰' };

const db = useTestDatabase();
let app: ApiApplication;
let browser: Browser;
let baseUrl: string;
let current: { id: string; startsOn: string; endsOn: string };

beforeAll(async () => {
  app = await createTestApp(db);
  const ds = app.get(DataSource);
  const t = ticketServices(ds);
  const d = dividendServices(t);
  const world = await seedTicketWorld(t, { villagers: 4, households: 2, parcels: 3, names: NAMES });
  await lishuSeries(t, world, 'PB-A');
  await deposit(t, 'V-0002', '1000.00');
  await fundProject(t, d, 'PB-A', '9000.00', '2026-06-15');
  const admin = await staffUser(t, 'ADMIN');
  const disclosures = app.get(DisclosuresService);
  await inTransaction(ds, (em) => disclosures.setDays(em, admin, YANGCHENG.code, 7));
  const declaration = await inTransaction(ds, (em) => d.dividends.declare(em, admin, { project: 'PB-A', amount: '9000.00', recordDate: '2026-07-01', paymentDate: '2026-07-01' }));
  const first = await inTransaction(ds, (em) => disclosures.publish(em, admin, { kind: 'DIVIDEND', subject: declaration.id }));
  const objected = await inTransaction(ds, (em) => disclosures.recordObjection(em, admin, first.id, { raisedBy: '李秀英', text: '漏登一笔交易' }));
  await inTransaction(ds, (em) => disclosures.resolveObjection(em, admin, first.id, objected.objections[0].id, { outcome: 'UPHELD', reason: '漏登' }));
  await inTransaction(ds, (em) => t.movements.trade(em, 'PB-A', { seller: 'V-0001', buyer: 'V-0002', units: '100', unitPrice: '1.00', effectiveDate: '2026-06-30' }, key()));
  current = await inTransaction(ds, (em) => disclosures.publish(em, admin, { kind: 'DIVIDEND', subject: declaration.id }));
  await app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  mkdirSync(ARTIFACTS, { recursive: true });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function phone(): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    // Chromium asks for /favicon.ico on its own whatever the page links; that 404 is not the page's.
    if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) problems.push(`${message.text()} ${message.location().url}`);
  });
  return { page, problems };
}

describe("the village's disclosure page in Chromium, 360 px wide", () => {
  it('shows the list published now and the superseded one, masked, with the dates, fitting the screen; the notice prints', async () => {
    const { page, problems } = await phone();
    await page.goto(`${baseUrl}/disclosure/${DAXIGOU.code}`);
    await page.locator('#current .notice').first().waitFor({ state: 'visible' });
    expect(await page.locator('#village-name').textContent()).toBe(DAXIGOU.name);
    const now = page.locator('#current .notice');
    expect(await now.count()).toBe(1);
    expect(await now.locator('.tag').textContent()).toBe('公示中');
    expect(await now.locator('.starts').textContent()).toBe(current.startsOn);
    expect(await now.locator('.ends').textContent()).toBe(current.endsOn);
    expect(await now.locator('tbody .name').allTextContents()).toEqual(['村集体经济组织', '张**', '李**', '王**', '赵**']);
    const amounts = await now.locator('tbody .amount').allTextContents();
    expect(amounts).toHaveLength(5);
    for (const a of amounts) expect(a).toMatch(/^¥\d{1,3}(,\d{3})*\.\d{2}$/);
    expect(await now.locator('.total').textContent()).toBe(formatYuan('9000.00'));
    const past = page.locator('#past .notice');
    expect(await past.count()).toBe(1);
    expect(await past.locator('.tag').textContent()).toBe('已更正，另行公示');
    expect(await past.locator('.objections').textContent()).toContain('成立 1');

    const text = (await page.locator('main').textContent()) ?? '';
    for (const leak of [...Object.values(NAMES), 'V-0001', '梨树村股份经济合作社']) expect([leak, text.includes(leak)]).toEqual([leak, false]);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(ARTIFACTS, 'disclosure-360.png'), fullPage: true });

    const href = await now.locator('a.pdf').getAttribute('href');
    expect(href).toBe(`/v1/public/disclosures/${current.id}/notice.pdf`);
    const pdf = await page.request.get(`${baseUrl}${href}`);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    expect((await pdfTextLayer(Buffer.from(await pdf.body()))).text).toContain('大西沟村林票分红公示');
    expect(problems).toEqual([]);
    await page.context().close();
  });

  it('says so for an unknown village, and shows an empty board for a village with nothing published', async () => {
    const { page, problems } = await phone();
    await page.goto(`${baseUrl}/disclosure/140522101299`);
    await page.locator('#status').getByText('没有这个村').waitFor();
    await page.goto(`${baseUrl}/disclosure/140522101202`);
    await page.locator('#current .empty').waitFor();
    expect(await page.locator('#current').textContent()).toBe('目前没有正在公示的名单');
    // The 404 of the unknown village's JSON is the only console error.
    expect(problems.filter((p) => !p.includes('404'))).toEqual([]);
    await page.context().close();
  });
});
