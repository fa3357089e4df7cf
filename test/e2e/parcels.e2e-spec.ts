import type { ApiApplication } from '../../apps/api/src/app.setup';
import { PiiCipher } from '@forest-ledger/forestry';
import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import { DAXIGOU, QINCHI, registerOrganisation, registerPersons, rosterPeople, seedRegions, YANGCHENG } from '../factories/parcels.factory';
import { csvBuffer, fixtureRecords, PARCELS_FIXTURE, sharedFixture, withCell } from '../fixtures/tables';
import { apiClient, binary } from '../setup/http-client';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let app: ApiApplication;
const token: Record<string, string> = {};

const FIXTURE = fixtureRecords(PARCELS_FIXTURE);
const col = (header: string) => FIXTURE[0].indexOf(header);
const ROSTER = rosterPeople();
const FARM = 'F-YCLC';
/** The holder of the first row (李永胜) and of the second (吴振华). */
const OWNER = ROSTER.find((p) => p.idNumber === FIXTURE[1][col('证件号码')])!;
const OTHER = ROSTER.find((p) => p.idNumber === FIXTURE[2][col('证件号码')])!;
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface ParcelBody {
  id: string;
  certificateNo: string;
  holderCode: string;
  holderName: string;
  holderIdMasked: string | null;
  areaMu: string;
  mortgaged: boolean;
  seized: boolean;
  certificateState: string;
}

interface AreaCount {
  parcels: number;
  areaMu: string;
}

interface SummaryBody {
  region: { code: string; name: string; level: string };
  villages: Array<AreaCount & { code: string; name: string; byState: Record<string, AreaCount> }>;
  townships: Array<AreaCount & { code: string }>;
  total: AreaCount & { byState: Record<string, AreaCount>; mortgaged: AreaCount; seized: AreaCount };
}

beforeAll(async () => {
  app = await createTestApp(db);
  // The app's own PII keys, so that the import finds the holders by the same HMAC.
  const pii = app.get(PiiCipher);
  await seedRegions(db.dataSource);
  await registerPersons(db.dataSource, pii, DAXIGOU.code, ROSTER);
  await registerOrganisation(db.dataSource, FARM, '阳城县国有林场');
  token.ADMIN = await tokenFor(app, 'ADMIN');
  token.AUDITOR = await tokenFor(app, 'AUDITOR');
  token.FARM_OPERATOR = await tokenFor(app, 'FARM_OPERATOR', FARM);
  token.VILLAGER = await tokenFor(app, 'VILLAGER', OWNER.code);
});
afterAll(() => app?.close());

const { http, as } = apiClient(
  () => app,
  (role) => token[role],
);
const importBody = (buffer: Buffer, fileName = PARCELS_FIXTURE) => ({ fileName, contentBase64: buffer.toString('base64') });
const importPath = `/v1/regions/${DAXIGOU.code}/parcel-imports`;

describe('POST /v1/regions/:villageCode/parcel-imports', () => {
  it('refuses a table with bad rows with 422 IMPORT_REJECTED naming each row, and writes nothing', async () => {
    let records = withCell(FIXTURE, 20, '面积(亩)', '0');
    records = withCell(records, 40, '终止日期', '2000-01-01');
    const res = await http()
      .post(importPath)
      .set(as('ADMIN'))
      .set('Idempotency-Key', randomUUID())
      .send(importBody(csvBuffer(records), 'bad.csv'))
      .expect(422);
    expect(res.body.code).toBe('IMPORT_REJECTED');
    expect(res.body.details.errors).toEqual([
      { row: 21, column: '面积(亩)', message: '面积必须大于0 / area must be greater than 0' },
      { row: 41, column: '终止日期', message: expect.stringContaining('end date 2000-01-01 is before start date 2008-01-01') },
    ]);
    const list = await http().get(`/v1/parcels?regionCode=${DAXIGOU.code}`).set(as('ADMIN')).expect(200);
    expect(list.body.items).toEqual([]);
  });

  it('is for ADMIN only, needs an Idempotency-Key, and reads only tables', async () => {
    await http()
      .post(importPath)
      .set(as('AUDITOR'))
      .set('Idempotency-Key', randomUUID())
      .send(importBody(sharedFixture(PARCELS_FIXTURE)))
      .expect(403);
    await http()
      .post(importPath)
      .send(importBody(sharedFixture(PARCELS_FIXTURE)))
      .expect(401);
    const noKey = await http()
      .post(importPath)
      .set(as('ADMIN'))
      .send(importBody(sharedFixture(PARCELS_FIXTURE)))
      .expect(400);
    expect(noKey.body.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    const notBase64 = await http().post(importPath).set(as('ADMIN')).set('Idempotency-Key', randomUUID()).send({ fileName: 'x.csv', contentBase64: '***' }).expect(400);
    expect(notBase64.body.field).toBe('contentBase64');
    const empty = await http().post(importPath).set(as('ADMIN')).set('Idempotency-Key', randomUUID()).send({ fileName: 'x.csv', contentBase64: '' }).expect(400);
    expect(empty.body.code).toBe('IMPORT_EMPTY_FILE');
    const township = await http()
      .post(`/v1/regions/${QINCHI.code}/parcel-imports`)
      .set(as('ADMIN'))
      .set('Idempotency-Key', randomUUID())
      .send(importBody(sharedFixture(PARCELS_FIXTURE)))
      .expect(400);
    expect(township.body.code).toBe('REGION_NOT_A_VILLAGE');
    await http()
      .post('/v1/regions/999999999999/parcel-imports')
      .set(as('ADMIN'))
      .set('Idempotency-Key', randomUUID())
      .send(importBody(sharedFixture(PARCELS_FIXTURE)))
      .expect(404);
  });

  it('imports the village table: 201 with the count and the exact area; a replay returns the first answer', async () => {
    const key = randomUUID();
    const body = importBody(sharedFixture(PARCELS_FIXTURE));
    const res = await http().post(importPath).set(as('ADMIN')).set('Idempotency-Key', key).send(body).expect(201);
    expect(res.body).toEqual({ villageCode: DAXIGOU.code, imported: 60, areaMu: '2486.1769' });
    const replay = await http().post(importPath).set(as('ADMIN')).set('Idempotency-Key', key).send(body).expect(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(res.body);

    const again = await http().post(importPath).set(as('ADMIN')).set('Idempotency-Key', randomUUID()).send(body).expect(422);
    expect(again.body.details.errors).toHaveLength(60);
    expect((await http().get(`/v1/parcels?regionCode=${DAXIGOU.code}&limit=500`).set(as('ADMIN')).expect(200)).body.items).toHaveLength(60);
  });
});

describe('GET /v1/regions/:code/parcel-summary(.xlsx)', () => {
  it('answers the summary as JSON', async () => {
    const res = await http().get(`/v1/regions/${YANGCHENG.code}/parcel-summary`).set(as('AUDITOR')).expect(200);
    const summary = res.body as SummaryBody;
    expect(summary.region).toEqual({ code: YANGCHENG.code, name: YANGCHENG.name, level: 'COUNTY' });
    expect(summary.total).toMatchObject({ parcels: 60, areaMu: '2486.1769', mortgaged: { parcels: 7 }, seized: { parcels: 1 } });
    expect(summary.total.byState.ISSUED_TO_HOUSEHOLD.parcels).toBe(FIXTURE.filter((r) => r[col('发证状态')] === '发放到户').length);
    expect(summary.villages.find((v) => v.code === DAXIGOU.code)).toMatchObject({ parcels: 60, areaMu: '2486.1769' });
    expect(summary.townships.find((t) => t.code === QINCHI.code)).toMatchObject({ parcels: 60, areaMu: '2486.1769' });
    await http().get(`/v1/regions/${YANGCHENG.code}/parcel-summary`).set(as('FARM_OPERATOR')).expect(200);
    await http().get(`/v1/regions/${YANGCHENG.code}/parcel-summary`).set(as('VILLAGER')).expect(403);
    await http().get('/v1/regions/404/parcel-summary').set(as('ADMIN')).expect(404);
  });

  it('downloads the summary as an .xlsx attachment with a UTF-8 file name', async () => {
    const res = await http().get(`/v1/regions/${QINCHI.code}/parcel-summary.xlsx`).set(as('ADMIN')).buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe(XLSX);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="parcel-summary-${QINCHI.code}.xlsx"; filename*=UTF-8''${encodeURIComponent(`宗地汇总-芹池镇-${QINCHI.code}.xlsx`)}`,
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(res.body as Buffer).buffer);
    const sheet = workbook.worksheets[0];
    const headers = (sheet.getRow(1).values as ExcelJS.CellValue[]).slice(1);
    expect(headers.slice(0, 5)).toEqual(['乡镇', '村', '区划代码', '宗地数', '总面积(亩)']);
    const rows = Array.from({ length: sheet.rowCount - 1 }, (_, i) => (sheet.getRow(i + 2).values as ExcelJS.CellValue[]).slice(1, 6));
    expect(rows).toEqual([
      [QINCHI.name, DAXIGOU.name, DAXIGOU.code, 60, 2486.1769],
      [QINCHI.name, '小东沟村', '140522101202', 0, 0],
      [QINCHI.name, '合计', QINCHI.code, 60, 2486.1769],
    ]);
  });
});

describe('GET /v1/parcels', () => {
  it("shows a villager the parcels they hold only; another holder's parcel is a 404", async () => {
    const own = (await http().get('/v1/parcels').set(as('VILLAGER')).expect(200)).body.items as ParcelBody[];
    const expected = FIXTURE.slice(1)
      .filter((r) => r[col('证件号码')] === OWNER.idNumber)
      .map((r) => r[col('林权证号')]);
    expect(own.map((p) => p.certificateNo).sort()).toEqual(expected.sort());
    expect(own.every((p) => p.holderCode === OWNER.code)).toBe(true);
    await http().get(`/v1/parcels/${own[0].id}`).set(as('VILLAGER')).expect(200);

    const [theirs] = (await http().get(`/v1/parcels?holderCode=${OTHER.code}`).set(as('ADMIN')).expect(200)).body.items as ParcelBody[];
    expect(theirs.holderIdMasked).toMatch(/^\d{4}\*{10}[\dX]{4}$/);
    const hidden = await http().get(`/v1/parcels/${theirs.id}`).set(as('VILLAGER')).expect(404);
    expect(hidden.body.code).toBe('UNKNOWN_PARCEL');
    await http()
      .get(`/v1/parcels/${encodeURIComponent(theirs.certificateNo)}`)
      .set(as('VILLAGER'))
      .expect(404);
    await http()
      .get(`/v1/parcels/${encodeURIComponent(theirs.certificateNo)}`)
      .set(as('AUDITOR'))
      .expect(200);
  });

  it('lets a farm operator list by region, without holder ID numbers', async () => {
    const missing = await http().get('/v1/parcels').set(as('FARM_OPERATOR')).expect(400);
    expect(missing.body.code).toBe('REGION_REQUIRED');
    const page = await http().get(`/v1/parcels?regionCode=${QINCHI.code}&mortgaged=true`).set(as('FARM_OPERATOR')).expect(200);
    const items = page.body.items as ParcelBody[];
    expect(items).toHaveLength(7);
    expect(items.every((p) => p.mortgaged && p.holderIdMasked === null)).toBe(true);
    const bad = await http().get('/v1/parcels?certificateState=LOST').set(as('ADMIN')).expect(400);
    expect(bad.body.code).toBe('VALIDATION_FAILED');
  });
});

describe('POST /v1/parcels/attachability-checks', () => {
  it('accepts a clean parcel and refuses mortgaged, seized or not-issued ones with their reasons', async () => {
    const all = (await http().get(`/v1/parcels?regionCode=${DAXIGOU.code}&limit=500`).set(as('ADMIN')).expect(200)).body.items as ParcelBody[];
    const clean = all.find((p) => p.certificateState === 'ISSUED_TO_HOUSEHOLD' && !p.mortgaged && !p.seized)!;
    const mortgaged = all.find((p) => p.mortgaged)!;
    const seized = all.find((p) => p.seized)!;
    const notIssued = all.find((p) => p.certificateState === 'NOT_PRINTED' && !p.mortgaged && !p.seized)!;

    const ok = await http()
      .post('/v1/parcels/attachability-checks')
      .set(as('FARM_OPERATOR'))
      .set('Idempotency-Key', randomUUID())
      .send({ parcelIds: [clean.id], purpose: 'COOPERATION_PROJECT' })
      .expect(200);
    expect(ok.body).toEqual({ ok: true, purpose: 'COOPERATION_PROJECT', parcels: [expect.objectContaining({ id: clean.id, areaMu: clean.areaMu })] });

    const refused = await http()
      .post('/v1/parcels/attachability-checks')
      .set(as('ADMIN'))
      .set('Idempotency-Key', randomUUID())
      .send({ parcelIds: [clean.id, mortgaged.id, seized.id, notIssued.id], purpose: 'TRANSFER_CONTRACT' })
      .expect(422);
    expect(refused.body.code).toBe('PARCEL_NOT_ATTACHABLE');
    const reasons = Object.fromEntries((refused.body.details.refused as Array<{ parcelId: string; reasons: string[] }>).map((r) => [r.parcelId, r.reasons]));
    expect(Object.keys(reasons).sort()).toEqual([mortgaged.id, seized.id, notIssued.id].sort());
    expect(reasons[mortgaged.id]).toContain('MORTGAGED');
    expect(reasons[seized.id]).toContain('SEIZED');
    expect(reasons[notIssued.id]).toEqual(['CERTIFICATE_NOT_ISSUED']);

    await http()
      .post('/v1/parcels/attachability-checks')
      .set(as('AUDITOR'))
      .set('Idempotency-Key', randomUUID())
      .send({ parcelIds: [clean.id], purpose: 'LEASE' })
      .expect(403);
    const invalid = await http()
      .post('/v1/parcels/attachability-checks')
      .set(as('ADMIN'))
      .set('Idempotency-Key', randomUUID())
      .send({ parcelIds: ['abc'], purpose: 'LEASE' })
      .expect(400);
    expect(invalid.body.field).toMatch(/^parcelIds/);
  });
});

describe('OpenAPI', () => {
  it('documents the parcel routes, the 1 MB body limit of the import and the workbook media type', async () => {
    const doc = (await http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { description?: string; responses: Record<string, { content?: Record<string, unknown> }> }>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/regions/{villageCode}/parcel-imports',
        '/v1/parcels',
        '/v1/parcels/{id}',
        '/v1/regions/{code}/parcel-summary',
        '/v1/regions/{code}/parcel-summary.xlsx',
        '/v1/parcels/attachability-checks',
      ]),
    );
    expect(doc.paths['/v1/regions/{villageCode}/parcel-imports'].post.description).toMatch(/limited to 1 MB/);
    expect(Object.keys(doc.paths['/v1/regions/{code}/parcel-summary.xlsx'].get.responses['200'].content ?? {})).toEqual([XLSX]);
  });
});
