import type { ApiApplication } from '../../apps/api/src/app.setup';
import { DEMO_SERIES, formatYuan, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { PortalVillager, PortalWorld, seedPortalWorld } from '../factories/portal.factory';
import { apiClient, binary } from '../setup/http-client';
import { pdfTextLayer } from '../setup/pdf-text';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * The villagers' page over HTTP (issue 5): the static page and its files, the villager's own data
 * (tickets, dividends, wallet, payouts) and nobody else's, the annual statement PDF, and bad input.
 */

const db = useTestDatabase();
let app: ApiApplication;
let world: PortalWorld;
const tokens: Record<string, string> = {};

interface Overview {
  asOf: string;
  holder: { code: string; name: string; idMasked: string | null };
  holdings: Array<{
    certificateNo: string;
    series: string;
    units: string;
    pledgedUnits: string;
    faceValue: string;
    faceAmount: string;
    pledges: Array<{ pledgee: string; units: string }>;
  }>;
  dividends: Array<{ declarationId: string; paymentDate: string; units: string; amountPerUnit: string; amount: string; paid: boolean }>;
  wallet: { account: string; balance: string };
  payouts: Array<{ amount: string; state: string; paidOn: string | null; cardMasked: string | null }>;
  statementYears: number[];
}

const { http } = apiClient(
  () => app,
  (role) => tokens[role],
);
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** The PDF's text layer, every page, spaces removed (pdf2json splits runs of CJK text). */
async function pdfText(buffer: Buffer): Promise<string> {
  return (await pdfTextLayer(buffer)).text.replace(/\s+/g, '');
}

async function login(v: PortalVillager): Promise<string> {
  const res = await http().post('/v1/auth/villager-login').send({ idNumber: v.idNumber, pin: v.pin }).expect(200);
  return (res.body as { accessToken: string }).accessToken;
}

beforeAll(async () => {
  app = await createTestApp(db, { LOG_LEVEL: 'error' });
  world = await seedPortalWorld(app);
  tokens.villager = await login(world.villager);
  tokens.pledger = await login(world.pledger);
  tokens.admin = await tokenFor(app, 'ADMIN');
  tokens.buyer = await tokenFor(app, 'BUYER', 'V-0004');
});

afterAll(async () => {
  await app?.close();
});

describe('the page', () => {
  it('serves the page, its script and style without a login, under the security headers', async () => {
    const page = await http().get('/portal').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<html lang="zh-CN">');
    expect(page.text).toContain('name="viewport" content="width=device-width, initial-scale=1"');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const script = await http().get('/portal/portal.js').expect(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.text).toContain('/v1/me/portal');
    const style = await http().get('/portal/portal.css').expect(200);
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    await http().get('/portal/other.js').expect(404);
  });
});

describe('GET /v1/me/portal', () => {
  it('shows V-0001 their own tickets, three dividends, the payout to their card and their wallet', async () => {
    const res = await http().get('/v1/me/portal').set(bearer(tokens.villager)).expect(200);
    const body = res.body as Overview;
    expect(body.holder).toEqual({ code: 'V-0001', name: world.villager.name, idMasked: '1405**********0310' });
    expect(body.holdings).toHaveLength(1);
    const [holding] = body.holdings;
    expect(holding).toMatchObject({ series: DEMO_SERIES, faceValue: '100.00', pledgedUnits: '0', pledges: [] });
    const units = holding.units;
    expect(holding.faceAmount).toBe(`${units}00.00`);
    // Newest first: 10.00 today, 50.00 on New Year's day, the demo's 5.00 on 2025-12-31; each credited.
    const per = (amount: string) => new Dec(units).times(amount).toFixed(2);
    expect(body.dividends.map((d) => [d.paymentDate, d.amountPerUnit, d.units, d.amount, d.paid])).toEqual([
      [world.today, '10.000000', units, per('10'), true],
      [world.newYear, '50.000000', units, per('50'), true],
      ['2025-12-31', '5.000000', units, per('5'), true],
    ]);
    // The trade's 10,550.00 and the first two dividends went to the card; the last stays in the wallet.
    expect(body.payouts).toEqual([
      expect.objectContaining({ amount: new Dec(per('55')).plus('10550').toFixed(2), state: 'PAID', paidOn: world.today, cardMasked: expect.stringMatching(/1234$/) }),
    ]);
    expect(body.wallet).toEqual({ account: walletOf('V-0001'), balance: per('10') });
    expect(body.statementYears[body.statementYears.length - 1]).toBe(2025);
    expect(body.statementYears[0]).toBe(Number(body.asOf.slice(0, 4)));
  });

  it('shows V-0002 their pledged units and the bank, and nothing of V-0001', async () => {
    const res = await http().get('/v1/me/portal').set(bearer(tokens.pledger)).expect(200);
    const body = res.body as Overview;
    expect(body.holder.code).toBe('V-0002');
    expect(body.holdings[0]).toMatchObject({ pledgedUnits: '200', pledges: [{ pledgee: '中国工商银行阳城支行', units: '200' }] });
    // Pledged units still earn: the dividend counts free + pledged units.
    const held = new Dec(body.holdings[0].units).plus(200).toFixed(0);
    expect(body.dividends.map((d) => d.units)).toEqual([held, held, held]);
    expect(body.payouts).toEqual([]);
    expect(JSON.stringify(body)).not.toContain('V-0001');
    expect(JSON.stringify(body)).not.toContain(world.villager.name);
  });

  it('is for villagers only: staff and buyers get a 403, no login a 401', async () => {
    await http().get('/v1/me/portal').set(bearer(tokens.admin)).expect(403);
    await http().get('/v1/me/portal').set(bearer(tokens.buyer)).expect(403);
    await http().get('/v1/me/portal').expect(401);
  });

  it("lets a villager download their own certificate, and not another villager's", async () => {
    const mine = (await http().get('/v1/me/portal').set(bearer(tokens.villager))).body as Overview;
    const theirs = (await http().get('/v1/me/portal').set(bearer(tokens.pledger))).body as Overview;
    const pdf = await http().get(`/v1/certificates/${mine.holdings[0].certificateNo}/pdf`).set(bearer(tokens.villager)).buffer(true).parse(binary).expect(200);
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    await http().get(`/v1/certificates/${theirs.holdings[0].certificateNo}/pdf`).set(bearer(tokens.villager)).expect(404);
  });
});

describe('GET /v1/me/annual-statement', () => {
  it('is a PDF of the year: holdings, the dividends with ¥ amounts, the payout and the wallet', async () => {
    const overview = (await http().get('/v1/me/portal').set(bearer(tokens.villager))).body as Overview;
    const per = (amount: string) => formatYuan(new Dec(overview.holdings[0].units).times(amount).toFixed(2));
    const year = world.today.slice(0, 4);
    const res = await http().get(`/v1/me/annual-statement?year=${year}`).set(bearer(tokens.villager)).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toMatch(/^attachment;/);
    expect(res.headers['cache-control']).toBe('no-store');
    const text = await pdfText(res.body as Buffer);
    const paidOut = formatYuan(new Dec(overview.holdings[0].units).times(55).plus('10550').toFixed(2));
    for (const expected of [`林账${year}年度对账单`, world.villager.name, '1405**********0310', DEMO_SERIES, per('50'), per('10'), per('60'), paidOut, '已到卡', '期末余额']) {
      expect(text).toContain(expected.replace(/\s+/g, ''));
    }
  });

  it('names the field and the rule for a bad year', async () => {
    for (const year of ['1999', 'abc', '2026.5', '']) {
      const res = await http().get(`/v1/me/annual-statement?year=${year}`).set(bearer(tokens.villager)).expect(400);
      expect(res.body).toMatchObject({ field: 'year' });
    }
    const future = await http().get('/v1/me/annual-statement?year=2999').set(bearer(tokens.villager)).expect(400);
    expect(future.body).toMatchObject({ field: 'year', message: expect.stringContaining('year must be a whole year from 2000') });
    await http().get('/v1/me/annual-statement?year=2026').set(bearer(tokens.admin)).expect(403);
  });
});

describe('the statement figures', () => {
  it('agree with the ledger: opening + in − out = closing', async () => {
    const overview = (await http().get('/v1/me/portal').set(bearer(tokens.villager))).body as Overview;
    const fromDemo = new Dec(overview.holdings[0].units).times(5);
    const res = await http().get('/v1/me/annual-statement?year=2025').set(bearer(tokens.villager)).buffer(true).parse(binary).expect(200);
    const text = await pdfText(res.body as Buffer);
    // 2025: the trade's 10,550.00 and the demo's pre-dividend came in; nothing went out.
    expect(text).toContain('2025-12-31');
    expect(text).toContain(`合计${formatYuan(fromDemo.toFixed(2))}`);
    expect(text).toContain('本年无兑付');
    const inflow = formatYuan(fromDemo.plus('10550').toFixed(2));
    expect(text).toContain(`¥0.00${inflow}¥0.00${inflow}`);
  });
});
