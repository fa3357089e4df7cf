import type { ApiApplication } from '../../apps/api/src/app.setup';
import { getQueueToken } from '@nestjs/bullmq';
import { businessToday, DividendDistributionService } from '@forest-ledger/forestry';
import { dividendJobId, QueueName } from '@forest-ledger/platform';
import { Queue } from 'bullmq';
import ExcelJS from 'exceljs';
import { DataSource } from 'typeorm';
import { DAXIGOU, YANGCHENG } from '../factories/parcels.factory';
import { seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { apiClient, binary } from '../setup/http-client';
import { pdfTextLayer } from '../setup/pdf-text';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * Collective income-right shares (集体林地收益权证书, issue 18 §2) over HTTP: a scheme of the collective
 * alone, quantified per household (WEIGHTED), issued with certificates, income paid as a dividend
 * exact to the 分, the restriction and inheritance rules of the 林票 register, the county's progress.
 */

const db = useTestDatabase();
let app: ApiApplication;
let t: TicketServices;
let world: TicketWorld;
const token: Record<string, string> = {};
const S = 'SY-LSC-2026';
const today = businessToday();

const { post, get, http, as } = apiClient(
  () => app,
  (role) => token[role],
);

beforeAll(async () => {
  app = await createTestApp(db);
  t = ticketServices(app.get(DataSource));
  // Seven villagers in three households: H-001 V-0001 (户主), V-0004, V-0007; H-002 V-0002, V-0005; H-003 V-0003, V-0006.
  world = await seedTicketWorld(t, { villagers: 7, households: 3, parcels: 2 });
  // The collective's own land (村集体统一经营).
  await t.ds.query(`UPDATE parcels SET holder_party_id = (SELECT id FROM parties WHERE code = $1) WHERE id = ANY($2::bigint[])`, [world.collective, world.parcelIds]);
  token.ADMIN = await tokenFor(app, 'ADMIN');
  token.APPROVER = await tokenFor(app, 'APPROVER');
  token.V1 = await tokenFor(app, 'VILLAGER', 'V-0001');
  token.V2 = await tokenFor(app, 'VILLAGER', 'V-0002');
});
afterAll(() => app?.close());

describe('collective income-right schemes', () => {
  const scheme = () => ({
    code: S,
    name: '梨树村集体林地收益权量化',
    collectiveCode: world.collective,
    parcelIds: world.parcelIds,
    areaMu: '1000.0000',
    startDate: today,
    termYears: 30,
    censusDate: today,
    basis: 'WEIGHTED',
    householdWeight: '0.40',
    retainedRatio: '0.20',
    totalUnits: '1000',
    faceValue: '1.00',
  });

  it('refuses bad bodies naming the field, and callers other than an ADMIN', async () => {
    expect((await post('/v1/income-right-schemes', { ...scheme(), basis: 'BY_LUCK' }).expect(400)).body).toMatchObject({ field: 'basis' });
    expect((await post('/v1/income-right-schemes', { ...scheme(), censusDate: '2999-01-01' }).expect(400)).body).toMatchObject({ field: 'censusDate' });
    expect((await post('/v1/income-right-schemes', { ...scheme(), householdWeight: '1.5' }).expect(400)).body).toMatchObject({ field: 'householdWeight' });
    await post('/v1/income-right-schemes', scheme(), 'V1').expect(403);
  });

  it('creates the scheme; the parcel claims list it with its dates', async () => {
    const res = await post('/v1/income-right-schemes', scheme()).expect(201);
    expect(res.body).toMatchObject({
      code: S,
      state: 'DRAFT',
      collective: { code: world.collective },
      rule: { basis: 'WEIGHTED', householdWeight: '0.4', personWeight: '0.6' },
      seriesCode: null,
    });
    const claims = await get(`/v1/parcels/${world.parcelIds[0]}/claims`).expect(200);
    const end = `${Number(today.slice(0, 4)) + 30}${today.slice(4)}`;
    expect((claims.body as { claims: unknown[] }).claims).toEqual([expect.objectContaining({ kind: 'INCOME_RIGHT_SCHEME', code: S, state: 'DRAFT', from: today, to: end })]);
    // The same land cannot back a second scheme (one forest, one claim).
    expect((await post('/v1/income-right-schemes', { ...scheme(), code: 'SY-TWICE' }).expect(422)).body).toMatchObject({ code: 'PARCEL_IN_OTHER_PROJECT' });
  });

  it('previews: 800 units to households (320 per household, 480 per person), equal claims equal units, the rest with the collective', async () => {
    const res = await get(`/v1/income-right-schemes/${S}/issuance-preview?seriesCode=${S}`).expect(200);
    expect((res.body as { split: unknown }).split).toMatchObject({
      households: 3,
      persons: 7,
      poolUnits: '800',
      unitsPerHousehold: '106',
      unitsPerPerson: '68',
      remainderUnits: '6',
      collectiveUnits: '206',
    });
    expect((res.body as { holdings: Array<{ party: string; units: string }> }).holdings.map((h) => [h.party, h.units])).toEqual([
      [world.collective, '206'],
      ['V-0001', '310'],
      ['V-0002', '242'],
      ['V-0003', '242'],
    ]);
  });

  let disclosureId = '';
  it('where the village asks for 公示, the households’ list must be published and its period passed before certificates are issued', async () => {
    await post(`/v1/regions/${DAXIGOU.code}/disclosure-days`, { disclosureDays: 7 }).expect(200);
    const issue = () => post(`/v1/income-right-schemes/${S}/issuance`, { seriesCode: S });
    expect((await issue().expect(422)).body).toMatchObject({ code: 'DISCLOSURE_REQUIRED', field: 'disclosure' });
    await post('/v1/disclosures', { kind: 'INCOME_RIGHT_ISSUANCE', subject: S }).expect(400);
    const published = (await post('/v1/disclosures', { kind: 'INCOME_RIGHT_ISSUANCE', subject: S, seriesCode: S }).expect(201)).body as { id: string; totalUnits: string };
    disclosureId = published.id;
    expect(published.totalUnits).toBe('1000');
    const lines = (await get(`/v1/disclosures/${published.id}/lines`).expect(200)).body as Array<{ units: string; amount: string | null; name: string }>;
    // The list the village reads: each household head and the collective, with the units the preview plans; names masked.
    expect(lines.map((l) => l.units).sort()).toEqual(['206', '242', '242', '310']);
    expect(lines.every((l) => l.amount === null)).toBe(true);
    expect((await issue().expect(422)).body).toMatchObject({ code: 'DISCLOSURE_PERIOD_OPEN' });
    // The period passes (the round is dated back, as the disclosures tests do); the region turns 公示 off again, and the published round still binds.
    await t.ds.query(`UPDATE disclosures SET published_on = published_on - 8, starts_on = starts_on - 8, ends_on = ends_on - 8 WHERE id = $1`, [published.id]);
    await post(`/v1/regions/${DAXIGOU.code}/disclosure-days`, { disclosureDays: 0 }).expect(200);
  });

  it('issues one holding per household in its head’s name, with a certificate titled 集体林地收益权证书', async () => {
    const key = 'issue-sy-1';
    const res = await post(`/v1/income-right-schemes/${S}/issuance`, { seriesCode: S }, 'ADMIN', key).expect(201);
    expect((await get(`/v1/disclosures/${disclosureId}`).expect(200)).body).toMatchObject({ state: 'CONCLUDED', concludedByAct: `收益权证书发放 ${S}` });
    expect((res.body as { issuance: unknown }).issuance).toMatchObject({
      series: { code: S, instrument: 'INCOME_RIGHT', farm: null, transferRestriction: 'COLLECTIVE_MEMBERS', totalUnits: '1000' },
    });
    expect((res.body as { issuance: { certificates: unknown } }).issuance.certificates).toEqual({ first: `${S}-000001`, last: `${S}-000004` });
    const replay = await post(`/v1/income-right-schemes/${S}/issuance`, { seriesCode: S }, 'ADMIN', key).expect(201);
    expect(replay.body).toEqual(res.body);
    const pdf = await http().get(`/v1/certificates/${S}-000002/pdf`).set(as('V1')).buffer(true).parse(binary).expect(200);
    const text = (await pdfTextLayer(pdf.body as Buffer)).text;
    expect(text).toContain('集体林地收益权证书');
    expect(text).toContain('证书编号');
    expect(text).toContain('310 份');
    expect(text).toContain('户主，全户共有');
    // A villager sees its own certificate only.
    await get(`/v1/certificates/${S}-000002`, 'V2').expect(404);
    const portal = await get('/v1/me/portal', 'V1').expect(200);
    expect((portal.body as { holdings: unknown[] }).holdings).toEqual([expect.objectContaining({ instrument: 'INCOME_RIGHT', certificateNo: `${S}-000002`, units: '310' })]);
  });

  it('units follow the register rules: no trade outside the collective, no buy-back, inheritance exempt but exact', async () => {
    const trade = await post(`/v1/series/${S}/trades`, { seller: 'V-0001', buyer: world.outsider, units: '10', unitPrice: '1.00' }).expect(422);
    expect(trade.body).toMatchObject({ code: 'TRANSFER_RESTRICTED', field: 'buyer' });
    await post(`/v1/series/${S}/buy-backs`, { holder: 'V-0002', units: '1', unitPrice: '1.00' }).expect(422);
    const wrong = await post(`/v1/series/${S}/inheritances`, { from: 'V-0003', heirs: [{ party: 'V-0006', units: '200' }], documentReference: '(2026)晋阳证字第1号' }).expect(422);
    expect(wrong.body).toMatchObject({ code: 'HEIRS_MISMATCH' });
    await post(`/v1/series/${S}/inheritances`, { from: 'V-0003', heirs: [{ party: 'V-0006', units: '242' }], documentReference: '(2026)晋阳证字第1号' }).expect(201);
  });

  it("the land's rent is paid to the scheme's holders, exact to the 分", async () => {
    await post(`/v1/projects/${S}/income`, { kind: 'RENT', amount: '777.77', bankReference: 'BK-SY-RENT-1' }).expect(201);
    const draft = await post('/v1/dividends', { project: S, amount: '777.77', recordDate: today, paymentDate: today, memo: '2026 年流转租金分红' }).expect(201);
    const id = (draft.body as { id: string }).id;
    await post(`/v1/dividends/${id}/approve`, {}, 'APPROVER').expect(200);
    await (await app.get<Queue>(getQueueToken(QueueName.Dividends)).getJob(dividendJobId(id, 1)))?.remove();
    expect((await app.get(DividendDistributionService).distribute(id)).state).toBe('DISTRIBUTED');
    const lines = (await get(`/v1/dividends/${id}/lines?limit=100`).expect(200)).body as Array<{ party: string; amount: string }>;
    // 206, 310, 242, 242 of 1,000 units: 160.22062, 241.1087, 188.22034 ×2; the largest remainder gets the last 分.
    expect(Object.fromEntries(lines.map((l) => [l.party, l.amount]))).toEqual({ [world.collective]: '160.22', 'V-0001': '241.11', 'V-0002': '188.22', 'V-0006': '188.22' });
    const portal = await get('/v1/me/portal', 'V1').expect(200);
    expect((portal.body as { dividends: unknown[] }).dividends).toEqual([expect.objectContaining({ amount: '241.11' })]);
  });

  it("reports progress against the county's dates, as JSON and Excel with numeric cells", async () => {
    await post(`/v1/regions/${DAXIGOU.code}/income-right-targets`, { targets: [{ dueDate: '2026-01-31', share: '0.40' }] }).expect(422);
    await post(`/v1/regions/${YANGCHENG.code}/income-right-targets`, {
      targets: [
        { dueDate: '2026-07-31', share: '0.40' },
        { dueDate: '2026-08-31', share: '0.80' },
        { dueDate: '2026-09-30', share: '1' },
      ],
    }).expect(201);
    const res = await get(`/v1/regions/${YANGCHENG.code}/income-right-progress?asOf=${today}`).expect(200);
    const lines = (res.body as { lines: Array<{ code: string }> }).lines;
    const village = lines.find((l) => l.code === DAXIGOU.code);
    // H-003's head died: its heir V-0006 is still of H-003, so three households issued of three.
    expect(village).toMatchObject({ level: 'VILLAGE', householdsToIssue: 3, householdsIssued: 3, issuedShare: '1', onTrack: true });
    expect(lines.at(-1)).toMatchObject({ level: 'TOTAL', householdsIssued: 3 });
    const before = await get(`/v1/regions/${YANGCHENG.code}/income-right-progress?asOf=2026-01-01`).expect(200);
    expect((before.body as { lines: unknown[] }).lines.at(-1)).toMatchObject({ householdsIssued: 0, due: null });
    const xlsx = await http().get(`/v1/regions/${YANGCHENG.code}/income-right-progress.xlsx?asOf=${today}`).set(as('ADMIN')).buffer(true).parse(binary).expect(200);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(xlsx.body as ExcelJS.Buffer);
    const sheet = workbook.worksheets[0];
    const row = sheet.getRows(4, sheet.rowCount - 3)!.find((r) => r.getCell(2).value === DAXIGOU.code)!;
    expect([row.getCell(4).value, row.getCell(5).value, row.getCell(6).value, row.getCell(10).value]).toEqual([3, 3, 1, '是']);
    await get(`/v1/regions/${YANGCHENG.code}/income-right-progress`, 'V1').expect(403);
  });
});
