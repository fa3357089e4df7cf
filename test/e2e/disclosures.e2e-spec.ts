import type { ApiApplication } from '../../apps/api/src/app.setup';
import { businessToday, DividendDistributionService, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { DAXIGOU, QINCHI, YANGCHENG } from '../factories/parcels.factory';
import { balance, contributeInKind, createProject, deposit, key, lishuSeries, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { apiClient, binary } from '../setup/http-client';
import { pdfTextLayer } from '../setup/pdf-text';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * Village disclosure (公示, issue 18 §3) over HTTP: the region's days, a dividend's list published,
 * objected to, upheld, corrected and published again, cleared after its period and approved (the
 * distribution paying exactly the list); a dismissed objection; approvals refused in the period, with
 * an objection open, without a list or with an outdated one; a 林票 issuance gated the same way; a
 * region at 0 days unchanged; the public page's JSON and the printed notice masked.
 */

const db = useTestDatabase();
let app: ApiApplication;
let t: TicketServices;
let world: TicketWorld;
const token: Record<string, string> = {};
const { http, post, get } = apiClient(
  () => app,
  (role) => token[role],
);

const SERIES = 'GS-A';
const DRAFT = 'GS-DRAFT';
const NAMES: Record<string, string> = { 'V-0001': '张守仁', 'V-0002': '李秀英', 'V-0003': '王建国', 'V-0004': '赵桂兰' };

interface DisclosureBody {
  id: string;
  subjectKind: string;
  subjectId: string;
  round: number;
  state: string;
  phase: string;
  days: number;
  publishedOn: string;
  startsOn: string;
  endsOn: string;
  clearsOn: string;
  totalUnits: string;
  totalAmount: string | null;
  lineCount: number;
  closeReason: string | null;
  concludedByAct: string | null;
  objections: Array<{ id: string; state: string; raisedBy: string; text: string; resolution: string | null }>;
}

/** What the answers of this file carry: a disclosure, a declaration, an issuance or an error. */
type Answer = DisclosureBody & { code: string; field?: string; message: string; series: { code: string } } & Array<DisclosureBody>;
const body = (res: request.Response): Answer => res.body as Answer;

const plusDays = (date: string, days: number) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Moves a round's period `days` into the past, as if it had been published that much earlier. */
async function age(id: string, days = 8): Promise<void> {
  await t.ds.query(`UPDATE disclosures SET published_on = published_on - $2::int, starts_on = starts_on - $2::int, ends_on = ends_on - $2::int WHERE id = $1`, [id, days]);
  await t.ds.query(`UPDATE disclosure_objections SET raised_on = raised_on - $2::int WHERE disclosure_id = $1`, [id, days]);
}

async function declare(amount: string, recordDate = '2026-07-01'): Promise<string> {
  const res = await post('/v1/dividends', { project: SERIES, amount, recordDate, paymentDate: recordDate }).expect(201);
  return body(res).id;
}

async function fund(amount: string): Promise<void> {
  await post(`/v1/projects/${SERIES}/income`, { kind: 'PRE_DIVIDEND', amount, bankReference: `BK-${key().slice(0, 8)}`, effectiveDate: '2026-06-15' }).expect(201);
}

const approve = (id: string) => post(`/v1/dividends/${id}/approve`, {}, 'APPROVER');
const publishDividend = (id: string) => post('/v1/disclosures', { kind: 'DIVIDEND', subject: id });

function expectRefusal(res: request.Response, code: string): void {
  expect([res.status, body(res).code, body(res).field]).toEqual([422, code, 'disclosure']);
}

beforeAll(async () => {
  app = await createTestApp(db);
  t = ticketServices(app.get(DataSource));
  world = await seedTicketWorld(t, { villagers: 4, households: 2, parcels: 6, names: NAMES });
  await lishuSeries(t, world, SERIES);
  token.ADMIN = await tokenFor(app, 'ADMIN');
  token.APPROVER = await tokenFor(app, 'APPROVER');
  token.AUDITOR = await tokenFor(app, 'AUDITOR');
  token.V1 = await tokenFor(app, 'VILLAGER', 'V-0001');
  await fund('20000.00');
  for (const v of ['V-0002', 'V-0004']) await deposit(t, v, '1000.00');
}, 60_000);

afterAll(async () => {
  await app?.close();
});

describe('a region at 0 days (or none set) keeps today’s behaviour', () => {
  it('approves without any list, and refuses to publish one (DISCLOSURE_OFF)', async () => {
    expect((await get(`/v1/regions/${DAXIGOU.code}/disclosure-days`).expect(200)).body).toEqual({ region: DAXIGOU.code, disclosureDays: null, effectiveDays: 0 });
    const id = await declare('100.00');
    const refused = await publishDividend(id).expect(422);
    expect([body(refused).code, body(refused).field]).toEqual(['DISCLOSURE_OFF', 'subject']);
    expect(body(await approve(id).expect(200)).state).toBe('APPROVED');
    await post(`/v1/dividends/${id}/cancel`, {}, 'APPROVER').expect(200);
  });
});

describe('the days per region', () => {
  it('a county sets 7; its villages inherit; a village may override with 0; bad values are 400s naming the field', async () => {
    expect((await post(`/v1/regions/${YANGCHENG.code}/disclosure-days`, { disclosureDays: 7 }).expect(200)).body).toEqual({
      region: YANGCHENG.code,
      disclosureDays: 7,
      effectiveDays: 7,
    });
    expect((await get(`/v1/regions/${QINCHI.code}/disclosure-days`).expect(200)).body).toEqual({ region: QINCHI.code, disclosureDays: null, effectiveDays: 7 });
    expect((await get(`/v1/regions/${DAXIGOU.code}/disclosure-days`).expect(200)).body).toEqual({ region: DAXIGOU.code, disclosureDays: null, effectiveDays: 7 });
    for (const bad of [-1, 91, 1.5, '7']) {
      const res = await post(`/v1/regions/${DAXIGOU.code}/disclosure-days`, { disclosureDays: bad }).expect(400);
      expect(JSON.stringify(res.body)).toContain('disclosureDays');
    }
    await post(`/v1/regions/${DAXIGOU.code}/disclosure-days`, { disclosureDays: 7 }, 'APPROVER').expect(403);
    await post('/v1/regions/999999/disclosure-days', { disclosureDays: 7 }).expect(404);
  });
});

describe('a dividend: published → objection → upheld → corrected and published again → period over → approved', () => {
  let declaration: string;
  let first: DisclosureBody;
  let second: DisclosureBody;

  it('approval without a list is refused: DISCLOSURE_REQUIRED', async () => {
    declaration = await declare('9000.00');
    expectRefusal(await approve(declaration), 'DISCLOSURE_REQUIRED');
  });

  it('publishes the allocation as it would be paid, names masked, the period from tomorrow for 7 days', async () => {
    const res = await publishDividend(declaration).expect(201);
    first = res.body as DisclosureBody;
    const today = businessToday();
    expect(first).toMatchObject({ subjectKind: 'DIVIDEND', subjectId: declaration, round: 1, state: 'PUBLISHED', phase: 'IN_PERIOD', days: 7, totalAmount: '9000.00' });
    expect([first.publishedOn, first.startsOn, first.endsOn, first.clearsOn]).toEqual([today, plusDays(today, 1), plusDays(today, 7), plusDays(today, 8)]);
    const lines = (await get(`/v1/disclosures/${first.id}/lines`).expect(200)).body as Array<{ party: string; name: string; shownName: string; units: string; amount: string }>;
    expect(lines.map((l) => l.party)).toEqual([world.collective, 'V-0001', 'V-0002', 'V-0003', 'V-0004']);
    expect(lines.map((l) => l.shownName)).toEqual(['村集体经济组织', '张**', '李**', '王**', '赵**']);
    expect(lines.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2)).toBe('9000.00');
    expect(lines.reduce((s, l) => s.plus(l.units), new Dec(0)).toFixed(0)).toBe(first.totalUnits);
    // The same list again is no new round.
    expect(body(await publishDividend(declaration).expect(422)).code).toBe('PLAN_UNCHANGED');
  });

  it('approval in the period is refused: DISCLOSURE_PERIOD_OPEN, with the dates', async () => {
    const res = await approve(declaration);
    expectRefusal(res, 'DISCLOSURE_PERIOD_OPEN');
    expect(body(res).message).toContain(first.endsOn);
  });

  it('an objection is recorded; after the period it still blocks: OBJECTION_OPEN', async () => {
    const res = await post(`/v1/disclosures/${first.id}/objections`, { raisedBy: '李秀英（V-0002 户）', text: '我 6 月 30 日买的 100 份林票没有算进去' }).expect(201);
    expect(body(res).objections).toEqual([expect.objectContaining({ state: 'OPEN', raisedBy: '李秀英（V-0002 户）', raisedOn: businessToday() })]);
    await post(`/v1/disclosures/${first.id}/objections`, { raisedBy: '', text: 'x' }).expect(400);
    await post(`/v1/disclosures/${first.id}/objections`, { raisedBy: 'x', text: 'y', raisedOn: plusDays(businessToday(), 1) }).expect(400);
    await age(first.id);
    expectRefusal(await approve(declaration), 'OBJECTION_OPEN');
    expect(body(await get(`/v1/disclosures/${first.id}`).expect(200)).phase).toBe('OBJECTION_OPEN');
  });

  it('upheld: the round is superseded; approval needs a new round, and the unchanged plan cannot be it', async () => {
    const objection = body(await get(`/v1/disclosures/${first.id}`).expect(200)).objections[0].id;
    const res = await post(`/v1/disclosures/${first.id}/objections/${objection}/resolve`, { outcome: 'UPHELD', reason: '交易在登记日前已成交，漏登' }, 'APPROVER').expect(200);
    expect(res.body).toMatchObject({ state: 'SUPERSEDED', phase: 'SUPERSEDED', objections: [{ state: 'UPHELD', resolution: '交易在登记日前已成交，漏登' }] });
    expect(body(res).closeReason).toContain(`objection #${objection} upheld`);
    expect(body(await post(`/v1/disclosures/${first.id}/objections/${objection}/resolve`, { outcome: 'DISMISSED', reason: 'again' }).expect(422)).code).toBe('DISCLOSURE_STATE');
    expectRefusal(await approve(declaration), 'DISCLOSURE_REQUIRED');
    expect(body(await publishDividend(declaration).expect(422)).code).toBe('PLAN_UNCHANGED');
    expect(body(await post(`/v1/disclosures/${first.id}/objections`, { raisedBy: 'x', text: 'y' }).expect(422)).code).toBe('DISCLOSURE_STATE');
  });

  it('the corrected plan (the trade booked before the record date) is published as round 2', async () => {
    await inTransaction(t.ds, (em) => t.movements.trade(em, SERIES, { seller: 'V-0001', buyer: 'V-0002', units: '100', unitPrice: '1.00', effectiveDate: '2026-06-30' }, key()));
    second = (await publishDividend(declaration).expect(201)).body as DisclosureBody;
    expect(second).toMatchObject({ round: 2, state: 'PUBLISHED', phase: 'IN_PERIOD', totalAmount: '9000.00' });
    expectRefusal(await approve(declaration), 'DISCLOSURE_PERIOD_OPEN');
  });

  it('once the period is over with no objection open, approval goes ahead and concludes the round; the distribution pays exactly the list', async () => {
    await age(second.id);
    expect(body(await get(`/v1/disclosures/${second.id}`).expect(200)).phase).toBe('CLEARED');
    expect(body(await approve(declaration).expect(200)).state).toBe('APPROVED');
    const concluded = (await get(`/v1/disclosures/${second.id}`).expect(200)).body as DisclosureBody;
    expect(concluded).toMatchObject({ state: 'CONCLUDED', phase: 'CONCLUDED', concludedByAct: `分红方案 #${declaration} 批准` });
    expect(body(await post(`/v1/disclosures/${second.id}/objections`, { raisedBy: 'x', text: 'late' }).expect(422)).code).toBe('DISCLOSURE_STATE');

    const lines = (await get(`/v1/disclosures/${second.id}/lines`).expect(200)).body as Array<{ party: string; amount: string }>;
    const before = await Promise.all(lines.map((l) => balance(t, walletOf(l.party))));
    expect((await app.get(DividendDistributionService).distribute(declaration)).state).toBe('DISTRIBUTED');
    const after = await Promise.all(lines.map((l) => balance(t, walletOf(l.party))));
    expect(lines.map((l, i) => new Dec(after[i]).minus(before[i]).toFixed(2))).toEqual(lines.map((l) => l.amount));
  });

  it('every state change is in the audit trail with its command', async () => {
    const rows = await t.ds.query<Array<{ method: string; path: string; outcome: string }>>(
      `SELECT method, path, outcome FROM audit_log WHERE path LIKE '/v1/disclosures%' OR path LIKE '/v1/regions/%/disclosure-days' ORDER BY id`,
    );
    const done = rows.filter((r) => r.outcome === 'SUCCESS').map((r) => `${r.method} ${r.path.replace(/\/\d+(?=\/|$)/g, '/:id')}`);
    expect(done).toEqual(
      expect.arrayContaining([
        'POST /v1/regions/:id/disclosure-days',
        'POST /v1/disclosures',
        'POST /v1/disclosures/:id/objections',
        'POST /v1/disclosures/:id/objections/:id/resolve',
      ]),
    );
  });
});

describe('a dismissed objection', () => {
  it('is answered with its reason, and approval goes ahead after the period', async () => {
    const id = await declare('1000.00');
    const published = (await publishDividend(id).expect(201)).body as DisclosureBody;
    const objected = (await post(`/v1/disclosures/${published.id}/objections`, { raisedBy: '王建国', text: '分红太少' }).expect(201)).body as DisclosureBody;
    await age(published.id);
    expectRefusal(await approve(id), 'OBJECTION_OPEN');
    await post(`/v1/disclosures/${published.id}/objections/${objected.objections[0].id}/resolve`, { outcome: 'DISMISSED' }).expect(400);
    await post(`/v1/disclosures/${published.id}/objections/${objected.objections[0].id}/resolve`, { outcome: 'MAYBE', reason: 'x' }).expect(400);
    const res = await post(`/v1/disclosures/${published.id}/objections/${objected.objections[0].id}/resolve`, {
      outcome: 'DISMISSED',
      reason: '按登记日持有份数分配，符合章程',
    }).expect(200);
    expect(res.body).toMatchObject({ state: 'PUBLISHED', phase: 'CLEARED', objections: [{ state: 'DISMISSED', resolution: '按登记日持有份数分配，符合章程' }] });
    expect(body(await approve(id).expect(200)).state).toBe('APPROVED');
    await post(`/v1/dividends/${id}/cancel`, {}, 'APPROVER').expect(200);
  });

  it('a list that no longer matches the plan is refused at approval: DISCLOSURE_OUTDATED', async () => {
    const id = await declare('500.00', '2026-08-01');
    const published = (await publishDividend(id).expect(201)).body as DisclosureBody;
    await age(published.id);
    await inTransaction(t.ds, (em) => t.movements.trade(em, SERIES, { seller: 'V-0003', buyer: 'V-0004', units: '10', unitPrice: '1.00', effectiveDate: '2026-07-31' }, key()));
    expectRefusal(await approve(id), 'DISCLOSURE_OUTDATED');
    // Withdrawn, it needs a new list.
    expect(body(await post(`/v1/disclosures/${published.id}/withdraw`, { reason: '名单有变，重新公示' }).expect(200)).state).toBe('WITHDRAWN');
    expectRefusal(await approve(id), 'DISCLOSURE_REQUIRED');
    await post(`/v1/dividends/${id}/cancel`, {}, 'APPROVER').expect(200);
  });
});

describe('a declaration cancelled while its list is up', () => {
  it('takes the list down (WITHDRAWN, with the reason)', async () => {
    const id = await declare('200.00', '2026-08-01');
    const published = body(await publishDividend(id).expect(201));
    await post(`/v1/dividends/${id}/cancel`, {}, 'APPROVER').expect(200);
    expect(body(await get(`/v1/disclosures/${published.id}`).expect(200))).toMatchObject({ state: 'WITHDRAWN', closeReason: `分红方案 #${id} 已撤销` });
  });
});

describe('an objection racing the approval', () => {
  it('either is recorded first and blocks the approval, or finds the round concluded: never both', async () => {
    const id = await declare('300.00', '2026-08-01');
    const published = body(await publishDividend(id).expect(201));
    await age(published.id);
    const [approval, objection] = await Promise.all([approve(id), post(`/v1/disclosures/${published.id}/objections`, { raisedBy: '赵桂兰', text: '最后一天提出的异议' })]);
    const outcome = [approval.status, objection.status];
    if (approval.status === 200) expect([outcome, body(objection).code]).toEqual([[200, 422], 'DISCLOSURE_STATE']);
    else expect([outcome, body(approval).code]).toEqual([[422, 201], 'OBJECTION_OPEN']);
    const state = body(await get(`/v1/disclosures/${published.id}`).expect(200)).state;
    expect(state).toBe(approval.status === 200 ? 'CONCLUDED' : 'PUBLISHED');
    if (approval.status === 200) await post(`/v1/dividends/${id}/cancel`, {}, 'APPROVER').expect(200);
    else await post(`/v1/disclosures/${published.id}/withdraw`, { reason: 'test' }).expect(200);
  });
});

describe('a 林票 issuance is gated the same way', () => {
  it('refused without a list, in the period, and with another face value; issued once the list clears', async () => {
    await createProject(t, world, DRAFT);
    await contributeInKind(t, DRAFT, world.collective, '100000.00');
    const issue = (faceValue: string) => post(`/v1/projects/${DRAFT}/issuance`, { seriesCode: DRAFT, faceValue, transferRestriction: 'OPEN' });
    expectRefusal(await issue('1.00'), 'DISCLOSURE_REQUIRED');
    await post('/v1/disclosures', { kind: 'TICKET_ISSUANCE', subject: DRAFT }).expect(400);
    const published = (await post('/v1/disclosures', { kind: 'TICKET_ISSUANCE', subject: DRAFT, seriesCode: DRAFT, faceValue: '1.00' }).expect(201)).body as DisclosureBody;
    const preview = (await get(`/v1/projects/${DRAFT}/issuance-preview?seriesCode=${DRAFT}&faceValue=1.00`).expect(200)).body as {
      holdings: Array<{ party: string; units: string }>;
    };
    const lines = (await get(`/v1/disclosures/${published.id}/lines`).expect(200)).body as Array<{ party: string; units: string; amount: string | null; role: string }>;
    expect(lines.map((l) => [l.party, l.units, l.amount])).toEqual(preview.holdings.map((h) => [h.party, h.units, null]));
    expect(published).toMatchObject({ totalUnits: '100000', totalAmount: null });
    expectRefusal(await issue('1.00'), 'DISCLOSURE_PERIOD_OPEN');
    await age(published.id);
    expectRefusal(await issue('2.00'), 'DISCLOSURE_OUTDATED');
    expect(body(await issue('1.00').expect(201)).series.code).toBe(DRAFT);
    expect((await get(`/v1/disclosures/${published.id}`).expect(200)).body).toMatchObject({ state: 'CONCLUDED', concludedByAct: `林票发行 ${DRAFT}` });
  });
});

describe('reads', () => {
  it('staff list by village and state; scoped callers and unknown ids are refused', async () => {
    const list = (await get(`/v1/disclosures?village=${DAXIGOU.code}`, 'AUDITOR').expect(200)).body as DisclosureBody[];
    expect(list.length).toBeGreaterThanOrEqual(5);
    expect(body(await get('/v1/disclosures?state=CONCLUDED').expect(200)).every((d: DisclosureBody) => d.state === 'CONCLUDED')).toBe(true);
    await get('/v1/disclosures', 'V1').expect(403);
    await get('/v1/disclosures/999999').expect(404);
    await get('/v1/disclosures/abc').expect(404);
  });

  it('the public JSON shows the village’s lists masked, with the period’s dates, no codes and no full names; the printed notice likewise', async () => {
    const res = await http().get(`/v1/public/villages/${DAXIGOU.code}/disclosures`).expect(200);
    const body = res.body as {
      village: { name: string; township: string; county: string };
      current: unknown[];
      past: Array<{ id: string; kind: string; phaseLabel: string; totalAmount: string | null; startsOn: string; endsOn: string; lines: Array<{ name: string }> }>;
    };
    expect(body.village).toEqual({ code: DAXIGOU.code, name: DAXIGOU.name, township: QINCHI.name, county: YANGCHENG.name });
    expect(body.past.length).toBeGreaterThanOrEqual(5);
    const text = JSON.stringify(body);
    for (const leak of [...Object.values(NAMES), ...world.villagers, world.collective, world.farm, '梨树村股份经济合作社', '官庄国有林场', ...world.households])
      expect([leak, text.includes(leak)]).toEqual([leak, false]);
    expect(text).toContain('张**');
    const dividend = body.past.find((d) => d.kind === 'DIVIDEND' && d.phaseLabel === '公示期满，已实施' && d.totalAmount === '9000.00')!;
    expect(dividend.lines.map((l) => l.name)).toEqual(['村集体经济组织', '张**', '李**', '王**', '赵**']);

    const pdf = await http().get(`/v1/public/disclosures/${dividend.id}/notice.pdf`).buffer(true).parse(binary).expect(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const { text: pdfText } = await pdfTextLayer(pdf.body as Buffer);
    expect(pdfText).toContain('大西沟村林票分红公示');
    expect(pdfText).toContain(`公示期：${dividend.startsOn} 至 ${dividend.endsOn}`);
    expect(pdfText).toContain('张**');
    expect(pdfText).toContain('¥9,000.00');
    for (const leak of [...Object.values(NAMES), ...world.villagers]) expect([leak, pdfText.includes(leak)]).toEqual([leak, false]);

    await http().get('/v1/public/villages/140522101299/disclosures').expect(404);
    await http().get(`/v1/public/villages/${QINCHI.code}/disclosures`).expect(404);
    await http().get('/v1/public/disclosures/999999/notice.pdf').expect(404);
  });
});
