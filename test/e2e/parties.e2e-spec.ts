import type { ApiApplication } from '../../apps/api/src/app.setup';
import { creditCodeCheckCharacter, organisationCodeCheckCharacter } from '@forest-ledger/forestry';
import { randomUUID } from 'node:crypto';
import request, { Response } from 'supertest';
import { csvBuffer, fixtureRecords, residentId, ROSTER_FIXTURE, sharedFixture, withCell } from '../fixtures/tables';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let app: ApiApplication;
const token: Record<string, string> = {};

const COUNTY = '140522';
const TOWNSHIP = '140522101';
const VILLAGE = '140522101201';
const HEAD_ID = residentId('1958-11-02', 701);
const SPOUSE_ID = residentId('1960-04-19', 702);

function creditCode(prefix: string, organisationBody: string): string {
  const first17 = `${prefix}${COUNTY}${organisationBody}${organisationCodeCheckCharacter(organisationBody)}`;
  return first17 + creditCodeCheckCharacter(first17);
}
const COLLECTIVE_ID = creditCode('N2', '05781234');

interface PartyBody {
  code: string;
  kind: string;
  name: string;
  region: { code: string; name: string; level: string } | null;
  idKind: string | null;
  idNumberMasked: string | null;
  mobileMasked: string | null;
  householdCode: string | null;
  collectiveCode: string | null;
  active: boolean;
  walletAccount: string;
}

interface ErrorBody {
  code: string;
  field?: string;
  details?: { errors?: Array<{ row: number; column: string; message: string }> };
}

/** Every response body seen, to check that no full ID number ever leaves except through reveal-id. */
const seen: string[] = [];
function record(res: Response): Response {
  seen.push(res.text);
  return res;
}

const as = (role: string) => `Bearer ${token[role]}`;
async function post(path: string, body: object, role = 'ADMIN', key: string = randomUUID()): Promise<Response> {
  return record(await request(app.getHttpServer()).post(path).set('Authorization', as(role)).set('Idempotency-Key', key).send(body));
}
async function get(path: string, role = 'ADMIN', auth = as(role)): Promise<Response> {
  return record(await request(app.getHttpServer()).get(path).set('Authorization', auth));
}

async function counts(): Promise<{ parties: number; accounts: number }> {
  const [row] = await db.dataSource.query<
    Array<{
      parties: number;
      accounts: number;
    }>
  >(`SELECT (SELECT count(*)::int FROM parties) AS parties, (SELECT count(*)::int FROM ledger_accounts) AS accounts`);
  return row;
}

beforeAll(async () => {
  app = await createTestApp(db);
  for (const role of ['ADMIN', 'APPROVER', 'AUDITOR']) token[role] = await tokenFor(app, role as 'ADMIN' | 'APPROVER' | 'AUDITOR');
});
afterAll(() => app?.close());

describe('regions and parties over HTTP', () => {
  let head: PartyBody;
  let spouse: PartyBody;

  it('ADMIN creates the region hierarchy; the hierarchy rules are 4xx', async () => {
    expect((await post('/v1/regions', { code: COUNTY, name: '阳城县', level: 'COUNTY' })).status).toBe(201);
    expect((await post('/v1/regions', { code: TOWNSHIP, name: '芹池镇', level: 'TOWNSHIP', parentCode: COUNTY })).status).toBe(201);
    const village = await post('/v1/regions', { code: VILLAGE, name: '大西沟村', level: 'VILLAGE', parentCode: TOWNSHIP });
    expect(village.status).toBe(201);
    expect(village.body).toEqual({ code: VILLAGE, name: '大西沟村', level: 'VILLAGE', parentCode: TOWNSHIP });
    const wrong = await post('/v1/regions', { code: '140522101202', name: '刘东村', level: 'VILLAGE', parentCode: COUNTY });
    expect(wrong.status).toBe(422);
    expect(wrong.body as ErrorBody).toMatchObject({ code: 'REGION_HIERARCHY', field: 'parentCode' });
    expect((await post('/v1/regions', { code: '1405', name: 'x', level: 'COUNTY' })).status).toBe(400);
    expect((await post('/v1/regions', { code: COUNTY, name: '阳城县', level: 'COUNTY' }, 'APPROVER')).status).toBe(403);

    const children = await get(`/v1/regions?parent=${TOWNSHIP}`, 'AUDITOR');
    expect(children.status).toBe(200);
    expect((children.body as Array<{ code: string }>).map((r) => r.code)).toEqual([VILLAGE]);
    expect(((await get(`/v1/regions?parent=${TOWNSHIP}&name=大西沟村`)).body as Array<{ code: string }>)[0].code).toBe(VILLAGE);
    expect((await get(`/v1/regions/${VILLAGE}`)).body).toMatchObject({ name: '大西沟村' });
  });

  it('ADMIN registers a collective, a household and villagers: each answer shows the ID masked, with its wallet', async () => {
    const collective = await post('/v1/parties', { kind: 'COLLECTIVE', name: '大西沟村股份经济合作社', code: 'C-DXG', regionCode: VILLAGE, idNumber: COLLECTIVE_ID });
    expect(collective.status).toBe(201);
    expect(collective.body as PartyBody).toMatchObject({ code: 'C-DXG', idKind: 'CREDIT_CODE', walletAccount: 'party:C-DXG:wallet:CNY', region: { code: VILLAGE } });
    const household = await post('/v1/parties', { kind: 'HOUSEHOLD', name: '卫国平户', code: 'H-DXG-T01', collectiveCode: 'C-DXG' });
    expect(household.status).toBe(201);

    const key = randomUUID();
    const body = { kind: 'VILLAGER', name: '卫国平', householdCode: 'H-DXG-T01', idNumber: HEAD_ID, mobile: '13812345678' };
    const first = await post('/v1/parties', body, 'ADMIN', key);
    expect(first.status).toBe(201);
    head = first.body as PartyBody;
    expect(head).toMatchObject({ kind: 'VILLAGER', householdCode: 'H-DXG-T01', collectiveCode: 'C-DXG', idKind: 'RESIDENT_ID', active: true });
    expect(head.idNumberMasked).toBe(`${HEAD_ID.slice(0, 4)}**********${HEAD_ID.slice(14)}`);
    const replay = await post('/v1/parties', body, 'ADMIN', key);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(head);
    expect((await post('/v1/parties', { ...body, idNumber: SPOUSE_ID }, 'ADMIN', key)).status).toBe(409);

    spouse = (await post('/v1/parties', { kind: 'VILLAGER', name: '原桂芳', householdCode: 'H-DXG-T01', idNumber: SPOUSE_ID })).body as PartyBody;
    expect(spouse.code).toMatch(/^V-\d{4}$/);

    const wallet = await get(`/v1/accounts/${encodeURIComponent(head.walletAccount)}`);
    expect(wallet.body).toMatchObject({ balance: '0.00', noOverdraft: true, type: 'LIABILITY', ownerRef: `party:${head.code}` });
  });

  it('refuses a duplicate ID number (409 PARTY_EXISTS) and a bad check character (400 naming idNumber)', async () => {
    const duplicate = await post('/v1/parties', { kind: 'INDIVIDUAL_BUYER', name: '卫某', idNumber: HEAD_ID.toLowerCase() });
    expect(duplicate.status).toBe(409);
    expect(duplicate.body as ErrorBody).toMatchObject({ code: 'PARTY_EXISTS', field: 'idNumber' });
    const bad = await post('/v1/parties', { kind: 'INDIVIDUAL_BUYER', name: '卫某', idNumber: HEAD_ID.slice(0, 17) + (HEAD_ID[17] === '1' ? '2' : '1') });
    expect(bad.status).toBe(400);
    expect(bad.body as ErrorBody).toMatchObject({ code: 'INVALID_ID_NUMBER', field: 'idNumber' });
    expect((await post('/v1/parties', { kind: 'INDIVIDUAL_BUYER', name: '卫某', idNumber: residentId('1990-01-01', 5) }, 'AUDITOR')).status).toBe(403);
  });

  it('keeps a mobile number sealed and shows it masked: on create, set, replaced and removed; bad numbers are a 400 naming the field (issue 17)', async () => {
    expect(head.mobileMasked).toBe('138****5678');
    expect((await get(`/v1/parties/${head.code}`)).body).toMatchObject({ mobileMasked: '138****5678' });
    const set = await post(`/v1/parties/${spouse.code}/mobile`, { mobile: '+86 139-2276-0121' });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ code: spouse.code, mobileMasked: '139****0121' });
    expect(JSON.stringify((await get(`/v1/parties?limit=500`)).body)).not.toMatch(/13812345678|13922760121/);
    const [row] = await db.dataSource.query<Array<{ mobile_cipher: string; phone: string | null }>>(`SELECT mobile_cipher, phone FROM parties WHERE code = $1`, [spouse.code]);
    expect(row.phone).toBeNull();
    expect(row.mobile_cipher).not.toContain('13922760121');
    for (const mobile of ['0356-4221158', '1392276012', 12345678901]) {
      const refused = await post(`/v1/parties/${spouse.code}/mobile`, { mobile });
      expect(refused.status).toBe(400);
      expect(refused.body as ErrorBody).toMatchObject({ field: 'mobile' });
    }
    expect((await post(`/v1/parties/${spouse.code}/mobile`, { mobile: '13800000000' }, 'AUDITOR')).status).toBe(403);
    expect((await post('/v1/parties/NOPE/mobile', { mobile: '13800000000' })).status).toBe(404);
    expect((await post(`/v1/parties/${spouse.code}/mobile`, { mobile: null })).body).toMatchObject({ mobileMasked: null });
  });

  it('a VILLAGER sees their own party and gets 404 for another villager, like an unknown code', async () => {
    token.VILLAGER = await tokenFor(app, 'VILLAGER', head.code);
    const own = await get(`/v1/parties/${head.code}`, 'VILLAGER');
    expect(own.status).toBe(200);
    expect((own.body as PartyBody).code).toBe(head.code);
    const other = await get(`/v1/parties/${spouse.code}`, 'VILLAGER');
    expect(other.status).toBe(404);
    expect(other.body as ErrorBody).toMatchObject({ code: 'UNKNOWN_PARTY' });
    expect((await get('/v1/parties/V-9999', 'VILLAGER')).status).toBe(404);
    const list = await get('/v1/parties', 'VILLAGER');
    expect((list.body as { items: PartyBody[] }).items.map((p) => p.code)).toEqual([head.code]);
    expect((await get('/v1/regions', 'VILLAGER')).status).toBe(403);
    expect(((await get('/v1/parties?kind=VILLAGER', 'AUDITOR')).body as { items: PartyBody[] }).items).toHaveLength(2);
  });

  it('sets a villager PIN; the villager then signs in with ID number and PIN', async () => {
    const pin = await post(`/v1/parties/${spouse.code}/villager-pin`, { pin: '482913' });
    expect(pin.status).toBe(200);
    expect(pin.body).toMatchObject({ partyCode: spouse.code, created: true });
    const login = await request(app.getHttpServer()).post('/v1/auth/villager-login').send({ idNumber: SPOUSE_ID, pin: '482913' });
    expect(login.status).toBe(200);
    const me = await get(`/v1/parties/${spouse.code}`, 'VILLAGER', `Bearer ${(login.body as { accessToken: string }).accessToken}`);
    expect(me.status).toBe(200);
  });

  it('reveals the full ID number only to an ADMIN with a reason, without storing the answer, and logs each reveal', async () => {
    expect((await post(`/v1/parties/${head.code}/reveal-id`, { reason: '核对' }, 'AUDITOR')).status).toBe(403);
    expect((await post(`/v1/parties/${head.code}/reveal-id`, {})).status).toBe(400);
    const revealed = await request(app.getHttpServer()).post(`/v1/parties/${head.code}/reveal-id`).set('Authorization', as('ADMIN')).send({ reason: '核对林权证权利人身份' });
    expect(revealed.status).toBe(200);
    expect(revealed.body).toEqual({ code: head.code, idKind: 'RESIDENT_ID', idNumber: HEAD_ID });
    const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM pii_access_log l JOIN parties p ON p.id = l.party_id WHERE p.code = $1 AND l.reason = '核对林权证权利人身份'`,
      [head.code],
    );
    expect(n).toBe(1);
  });

  it('no response but reveal-id, and no stored request or answer, holds a full ID number', async () => {
    for (const text of seen) for (const id of [HEAD_ID, SPOUSE_ID]) expect(text).not.toContain(id);
    const [stored] = await db.dataSource.query<Array<{ idem: string; parties: string }>>(
      `SELECT (SELECT string_agg(to_jsonb(r)::text, ' ') FROM idempotency_requests r) AS idem, (SELECT string_agg(to_jsonb(p)::text, ' ') FROM parties p) AS parties`,
    );
    for (const id of [HEAD_ID, SPOUSE_ID]) {
      expect(stored.idem).not.toContain(id.slice(4, 14));
      expect(stored.parties).not.toContain(id.slice(4, 14));
    }
  });

  it('deactivates through maker-checker: ADMIN requests, an APPROVER approves, the wallet is frozen', async () => {
    const requested = await post(`/v1/parties/${spouse.code}/deactivation-requests`, { reason: '户籍迁出' });
    expect(requested.status).toBe(201);
    const id = (requested.body as { id: string }).id;
    expect((await post(`/v1/approvals/${id}/approve`, {}, 'ADMIN')).status).toBe(403);
    const pending = await get('/v1/approvals?state=PENDING', 'AUDITOR');
    expect((pending.body as { items: Array<{ id: string }> }).items.map((a) => a.id)).toEqual([id]);
    const approved = await post(`/v1/approvals/${id}/approve`, {}, 'APPROVER');
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ state: 'APPROVED', payload: { partyCode: spouse.code } });
    expect((await post(`/v1/approvals/${id}/reject`, {}, 'APPROVER')).body as ErrorBody).toMatchObject({ code: 'APPROVAL_DECIDED' });
    expect(((await get(`/v1/parties/${spouse.code}`)).body as PartyBody).active).toBe(false);
    expect((await get(`/v1/accounts/${encodeURIComponent(spouse.walletAccount)}`)).body).toMatchObject({ frozen: true });
  });
});

describe('roster import over HTTP', () => {
  const records = fixtureRecords(ROSTER_FIXTURE);
  const upload = (buffer: Buffer, fileName: string) => ({ fileName, contentBase64: buffer.toString('base64') });

  beforeAll(async () => {
    const created = await post('/v1/parties', { kind: 'COLLECTIVE', name: '大西沟村集体（名册）', code: 'C-ROSTER', regionCode: VILLAGE, idNumber: creditCode('N2', '01234567') });
    expect(created.status).toBe(201);
  });

  it('answers 422 IMPORT_REJECTED with the row report and writes nothing', async () => {
    const bad = withCell(withCell(records, 30, '与户主关系', ''), 77, '联系电话', '12345');
    const before = await counts();
    const res = await post('/v1/parties/C-ROSTER/roster', upload(csvBuffer(bad), 'roster.csv'));
    expect(res.status).toBe(422);
    const body = res.body as ErrorBody;
    expect(body.code).toBe('IMPORT_REJECTED');
    expect(body.details?.errors?.map((e) => [e.row, e.column])).toEqual([
      [31, '与户主关系'],
      [78, '联系电话'],
    ]);
    expect(await counts()).toEqual(before);
  });

  it('answers 201 with the counts for the fixture; a file that is not a table is a 400', async () => {
    const before = await counts();
    const res = await post('/v1/parties/C-ROSTER/roster', upload(sharedFixture(ROSTER_FIXTURE), ROSTER_FIXTURE));
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ collectiveCode: 'C-ROSTER', households: 40, villagers: 104 });
    expect(await counts()).toEqual({ parties: before.parties + 144, accounts: before.accounts + 144 });
    const members = await get('/v1/parties?householdCode=H-DXG-001');
    expect((members.body as { items: PartyBody[] }).items.map((p) => p.name)).toEqual(['吴丽娟', '吴桂芳']);
    for (const id of records.slice(1).map((r) => r[3])) expect(members.text).not.toContain(id);

    expect((await post('/v1/parties/C-ROSTER/roster', upload(Buffer.alloc(0), 'empty.csv'))).status).toBe(400);
    expect((await post('/v1/parties/C-ROSTER/roster', { fileName: 'x.csv', contentBase64: '%%%' })).status).toBe(400);
    expect((await post('/v1/parties/C-ROSTER/roster', upload(sharedFixture(ROSTER_FIXTURE), ROSTER_FIXTURE), 'AUDITOR')).status).toBe(403);
  });
});
