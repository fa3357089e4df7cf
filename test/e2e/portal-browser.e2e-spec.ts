import type { ApiApplication } from '../../apps/api/src/app.setup';
import { formatUnits, formatYuan } from '@forest-ledger/forestry';
import { mkdirSync } from 'node:fs';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Browser, chromium, Page } from 'playwright-core';
import { PortalVillager, PortalWorld, seedPortalWorld } from '../factories/portal.factory';
import { createTestApp } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * The villagers' page in a real browser (Debian's headless Chromium driven by playwright-core) on a
 * 360-pixel-wide phone screen: a villager logs in with ID number and PIN, sees their tickets, their
 * dividends as ¥12,345.67 and their wallet, downloads their annual statement; a second villager then
 * sees only their own. Screenshots go to test-artifacts/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');

const db = useTestDatabase();
let app: ApiApplication;
let world: PortalWorld;
let browser: Browser;
let baseUrl: string;

beforeAll(async () => {
  app = await createTestApp(db);
  world = await seedPortalWorld(app);
  await app.listen(0, '127.0.0.1');
  baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  mkdirSync(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await app?.close();
});

async function phone(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, locale: 'zh-CN', acceptDownloads: true });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  (page as Page & { problems: string[] }).problems = problems;
  return page;
}

const problemsOf = (page: Page): string[] => (page as Page & { problems: string[] }).problems;

async function logIn(page: Page, v: PortalVillager): Promise<void> {
  await page.goto(`${baseUrl}/portal`);
  await page.getByLabel('身份证号').fill(v.idNumber);
  await page.getByLabel('密码（6 位数字）', { exact: true }).fill(v.pin);
  await page.getByRole('button', { name: '登录' }).click();
  await page.locator('#home').waitFor({ state: 'visible' });
}

describe("the villagers' page in Chromium, 360 px wide", () => {
  it('refuses a wrong PIN with a message in Chinese', async () => {
    const page = await phone();
    await page.goto(`${baseUrl}/portal`);
    await page.getByLabel('身份证号').fill(world.villager.idNumber);
    await page.getByLabel('密码（6 位数字）', { exact: true }).fill('000000');
    await page.getByRole('button', { name: '登录' }).click();
    await expectText(page, '#login-error', '身份证号或密码不正确');
    expect(await page.locator('#home').isVisible()).toBe(false);
    await page.context().close();
  });

  it('shows V-0001 their tickets, dividends and wallet, fitting the screen, and downloads the statement', async () => {
    const page = await phone();
    await logIn(page, world.villager);
    const overview = (await (
      await page.request.get(`${baseUrl}/v1/me/portal`, {
        headers: { Authorization: `Bearer ${await page.evaluate<string | null>("sessionStorage.getItem('forest-ledger.portal.token')")}` },
      })
    ).json()) as {
      holdings: Array<{ certificateNo: string; units: string }>;
      dividends: Array<{ amount: string; units: string; amountPerUnit: string }>;
      wallet: { balance: string };
    };
    expect(await page.locator('#holder-name').textContent()).toBe(world.villager.name);
    expect(await page.locator('#wallet-balance').textContent()).toBe(formatYuan(overview.wallet.balance));
    const holding = page.locator('.holding');
    await expect1(holding);
    expect(await holding.textContent()).toContain(overview.holdings[0].certificateNo);
    expect(await holding.locator('.units').textContent()).toBe(`${formatUnits(overview.holdings[0].units)} 份`);
    const amounts = await page.locator('.dividend .amount').allTextContents();
    expect(amounts).toEqual(overview.dividends.map((d) => formatYuan(d.amount)));
    // The amount per unit as a villager reads it: no trailing zeros, and no "约" when units × it is exactly their amount (here: whole yuan per unit).
    const perUnit = await page.locator('.dividend .per-unit').allTextContents();
    expect(perUnit).toEqual(overview.dividends.map((d) => `按 ${formatUnits(d.units)} 份分得，每份 ${d.amountPerUnit.replace(/\.?0+$/, '')} 元`));
    // A grouped amount, as the issue asks: e.g. ¥12,345.67.
    expect(amounts.some((a) => /^¥\d{1,3}(,\d{3})+\.\d{2}$/.test(a))).toBe(true);
    expect(await page.locator('.payout .amount').allTextContents()).toHaveLength(1);

    // Nothing wider than the phone: no sideways scrolling.
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(360);
    await page.screenshot({ path: join(ARTIFACTS, 'portal-360-villager.png'), fullPage: true });

    const year = world.today.slice(0, 4);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `${year} 年` }).click()]);
    expect(download.suggestedFilename()).toBe(`林账年度对账单-${year}.pdf`);
    const path = await download.path();
    expect(path).toBeTruthy();
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });

  it('shows V-0002 only their own data, with their pledge', async () => {
    const page = await phone();
    await logIn(page, world.villager);
    const firstCertificate = (await page.locator('.holding dd').nth(1).textContent()) ?? '';
    await page.getByRole('button', { name: '退出' }).click();
    await page.locator('#login').waitFor({ state: 'visible' });

    await logIn(page, world.pledger);
    expect(await page.locator('#holder-name').textContent()).toBe(world.pledger.name);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toContain('质押给 中国工商银行阳城支行 200 份');
    expect(text).not.toContain(world.villager.name);
    expect(firstCertificate).toMatch(/^YC-DXG-2025-\d{6}$/);
    expect(text).not.toContain(firstCertificate);
    expect(await page.locator('#payouts').textContent()).toBe('暂无兑付');
    await page.screenshot({ path: join(ARTIFACTS, 'portal-360-pledger.png'), fullPage: true });
    expect(problemsOf(page)).toEqual([]);
    await page.context().close();
  });
});

describe('changing the PIN on the page', () => {
  it('refuses a wrong current PIN, changes it with the right one, and only the new PIN logs in afterwards', async () => {
    const page = await phone();
    await logIn(page, world.pledger);
    await page.getByText('修改密码').click();
    const change = async (current: string, next: string, again = next) => {
      await page.getByLabel('原密码', { exact: true }).fill(current);
      await page.getByLabel('新密码（6 位数字）').fill(next);
      await page.getByLabel('再输一次新密码').fill(again);
      await page.getByRole('button', { name: '确认修改' }).click();
    };
    await change(world.pledger.pin, '135790', '135791');
    await expectText(page, '#pin-message', '两次输入的新密码不一致');
    await change('000000', '135790');
    await expectText(page, '#pin-message', '原密码不正确');
    await change(world.pledger.pin, '135790');
    await expectText(page, '#pin-message', '密码已修改');
    await page.getByRole('button', { name: '退出' }).click();

    await page.getByLabel('身份证号').fill(world.pledger.idNumber);
    await page.getByLabel('密码（6 位数字）', { exact: true }).fill(world.pledger.pin);
    await page.getByRole('button', { name: '登录' }).click();
    await expectText(page, '#login-error', '身份证号或密码不正确');
    await logIn(page, { ...world.pledger, pin: '135790' });
    expect(await page.locator('#holder-name').textContent()).toBe(world.pledger.name);
    expect(problemsOf(page).filter((p) => !/status of 4\d\d/.test(p))).toEqual([]);
    await page.context().close();
  });
});

async function expectText(page: Page, selector: string, text: string): Promise<void> {
  await page.locator(selector).filter({ hasText: text }).waitFor({ state: 'visible', timeout: 10_000 });
}

async function expect1(locator: ReturnType<Page['locator']>): Promise<void> {
  expect(await locator.count()).toBe(1);
}
