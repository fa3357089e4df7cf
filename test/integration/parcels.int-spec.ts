import { AuthUser } from '@forest-ledger/access';
import { CERTIFICATE_STATE_LABELS, CERTIFICATE_STATES, CertificateState, ParcelError, ParcelsService, PiiCipher, SUMMARY_HEADERS } from '@forest-ledger/forestry';
import { inTransaction, loadEnv } from '@forest-ledger/platform';
import Decimal from 'decimal.js';
import ExcelJS from 'exceljs';
import { DataSource, EntityManager } from 'typeorm';
import { DAXIGOU, DINGDIAN, holdersOf, Person, QINCHI, registerPersons, rosterPeople, seedRegions, XIAODONGGOU, YANGCHENG, YANSHAN } from '../factories/parcels.factory';
import { csvBuffer, fixtureRecords, generateParcelRecords, PARCELS_FIXTURE, Records, residentId, sharedFixture, withCell, xlsxBuffer } from '../fixtures/tables';
import { expectNumericXlsx } from '../setup/xlsx-check';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
const env = loadEnv({});
const pii = new PiiCipher(env.PII_ENCRYPTION_KEY, env.PII_HMAC_KEY);
let service: ParcelsService;

const FIXTURE = fixtureRecords(PARCELS_FIXTURE);
const HEADER = FIXTURE[0];
const col = (header: string) => HEADER.indexOf(header);
const ROSTER = rosterPeople();
const YANSHAN_RECORDS = generateParcelRecords(40, { village: YANSHAN.name, township: DINGDIAN.name, seed: 7 });

class Rollback extends Error {}

/** Runs `work` in a transaction that is always rolled back, so each variant starts from the same state. */
async function rolledBack<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
  let result: T | undefined;
  await db.dataSource
    .transaction(async (em) => {
      result = await work(em);
      throw new Rollback();
    })
    .catch((error: unknown) => {
      if (!(error instanceof Rollback)) throw error;
    });
  return result as T;
}

function importInto(em: EntityManager, villageCode: string, buffer: Buffer, fileName = 'parcels.csv') {
  return service.importVillageTable(em, villageCode, buffer, fileName, { today: '2026-01-01' });
}

async function parcelCount(ds: DataSource | EntityManager = db.dataSource, villageCode = DAXIGOU.code): Promise<number> {
  const [{ n }] = await ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM parcels p JOIN regions v ON v.id = p.village_id WHERE v.code = $1`, [villageCode]);
  return n;
}

/** Stored parcels without generated columns, for comparing imports of the same table in different formats. */
async function storedParcels(em: EntityManager): Promise<unknown[]> {
  return em.query(
    `SELECT certificate_no, real_estate_unit_no, h.code AS holder, v.code AS village, location, forest_compartment, sub_compartment, area_mu::text,
            forest_type, main_species, rights_start::text, rights_end::text, certificate_state, mortgaged, seized, remarks
       FROM parcels p JOIN parties h ON h.id = p.holder_party_id JOIN regions v ON v.id = p.village_id ORDER BY certificate_no`,
  );
}

async function rejection(promise: Promise<unknown>): Promise<ParcelError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ParcelError);
  return error as ParcelError;
}

// ------------------------------------------------------------------ expected figures, straight from the tables

const STATE_OF_LABEL = new Map(CERTIFICATE_STATES.map((s) => [CERTIFICATE_STATE_LABELS[s], s]));

interface Expected {
  parcels: number;
  areaMu: string;
  byState: Record<CertificateState, { parcels: number; areaMu: string }>;
  mortgaged: { parcels: number; areaMu: string };
  seized: { parcels: number; areaMu: string };
}

function expectedFigures(...tables: Records[]): Expected {
  const rows = tables.flatMap((t) =>
    t
      .slice(1)
      .map((r) => ({ area: r[col('面积(亩)')], state: STATE_OF_LABEL.get(r[col('发证状态')])!, mortgaged: r[col('是否抵押')] === '是', seized: r[col('是否查封')] === '是' })),
  );
  const figure = (selected: typeof rows) => ({ parcels: selected.length, areaMu: selected.reduce((s, r) => s.plus(r.area), new Decimal(0)).toFixed(4) });
  return {
    ...figure(rows),
    byState: Object.fromEntries(CERTIFICATE_STATES.map((s) => [s, figure(rows.filter((r) => r.state === s))])) as Expected['byState'],
    mortgaged: figure(rows.filter((r) => r.mortgaged)),
    seized: figure(rows.filter((r) => r.seized)),
  };
}

const ZERO: Expected = expectedFigures([HEADER]);

function user(role: AuthUser['role'], partyCode: string | null = null): AuthUser {
  return { userId: '1', role, partyId: partyCode ? '1' : null, partyCode, displayName: role, via: 'token' };
}
const ADMIN = user('ADMIN');

beforeAll(async () => {
  service = new ParcelsService(db.dataSource, pii);
  await seedRegions(db.dataSource);
  await registerPersons(db.dataSource, pii, DAXIGOU.code, ROSTER);
  await registerPersons(db.dataSource, pii, YANSHAN.code, holdersOf(YANSHAN_RECORDS, 'Y'));
});

describe('ParcelsService.importVillageTable', () => {
  it('refuses an unknown region and a region that is not a village', async () => {
    const file = sharedFixture(PARCELS_FIXTURE);
    expect(await rejection(inTransaction(db.dataSource, (em) => importInto(em, '999999999999', file)))).toMatchObject({ code: 'UNKNOWN_REGION', kind: 'not-found' });
    expect(await rejection(inTransaction(db.dataSource, (em) => importInto(em, QINCHI.code, file)))).toMatchObject({ code: 'REGION_NOT_A_VILLAGE', kind: 'invalid' });
    expect(await parcelCount()).toBe(0);
  });

  it('imports the shared fixture: 60 parcels, 2486.1769 亩, every field', async () => {
    await rolledBack(async (em) => {
      const result = await importInto(em, DAXIGOU.code, sharedFixture(PARCELS_FIXTURE), PARCELS_FIXTURE);
      expect(result).toEqual({ ok: true, villageCode: DAXIGOU.code, imported: 60, areaMu: '2486.1769' });
      expect(await parcelCount(em)).toBe(60);
      const [{ total }] = await em.query<Array<{ total: string }>>(`SELECT sum(area_mu)::text AS total FROM parcels`);
      expect(total).toBe('2486.1769');
      const [first] = (await storedParcels(em)) as Array<Record<string, unknown>>;
      const holder = ROSTER.find((p) => p.idNumber === '140522198309110690')!;
      expect(first).toEqual({
        certificate_no: '晋(2025)阳城县不动产权第0001001号',
        real_estate_unit_no: '140522101201JA00001W00000000',
        holder: holder.code,
        village: DAXIGOU.code,
        location: '芹池镇大西沟村后沟',
        forest_compartment: '10',
        sub_compartment: '14',
        area_mu: '29.8000',
        forest_type: '用材林',
        main_species: '华山松',
        rights_start: '2008-01-01',
        rights_end: '2077-12-31',
        certificate_state: 'ISSUED_TO_HOUSEHOLD',
        mortgaged: false,
        seized: false,
        remarks: null,
      });
    });
    expect(await parcelCount()).toBe(0);
  });

  it('stores the same parcels from the GB18030 CSV and the .xlsx variants of the table', async () => {
    const reference = await rolledBack(async (em) => {
      await importInto(em, DAXIGOU.code, sharedFixture(PARCELS_FIXTURE));
      return storedParcels(em);
    });
    expect(reference).toHaveLength(60);
    const variants: Array<[string, Buffer]> = [
      ['parcels-gbk.csv', csvBuffer(FIXTURE, { encoding: 'gb18030' })],
      ['parcels.xlsx', await xlsxBuffer(FIXTURE)],
      ['parcels-text.xlsx', await xlsxBuffer(FIXTURE, { typed: false })],
    ];
    for (const [name, buffer] of variants) {
      const stored = await rolledBack(async (em) => {
        expect(await importInto(em, DAXIGOU.code, buffer, name)).toMatchObject({ ok: true, imported: 60, areaMu: '2486.1769' });
        return storedParcels(em);
      });
      expect({ name, stored }).toEqual({ name, stored: reference });
    }
  });

  it('rejects a table with bad rows in the middle, naming every row, and writes nothing', async () => {
    const unregistered = residentId('1971-03-05', 987);
    expect(ROSTER.some((p) => p.idNumber === unregistered)).toBe(false);
    let records = withCell(FIXTURE, 30, '面积(亩)', '0');
    records = withCell(records, 31, '终止日期', '2007-12-31');
    records = withCell(records, 32, '林权证号', FIXTURE[5][col('林权证号')]);
    records = withCell(records, 33, '坐落', '芹池镇石门村后沟');
    records = withCell(records, 34, '证件号码', unregistered);
    records = withCell(records, 35, '权利人', '王错名');
    records = withCell(records, 36, '坐落', `芹池镇${XIAODONGGOU.name}前坡`);

    const result = await inTransaction(db.dataSource, (em) => importInto(em, DAXIGOU.code, csvBuffer(records)));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    // Record i is row i + 1 (the header is row 1).
    expect(result.errors.map((e) => [e.row, e.column])).toEqual([
      [31, '面积(亩)'],
      [32, '终止日期'],
      [33, '林权证号'],
      [34, '坐落'],
      [35, '证件号码'],
      [36, '权利人'],
      [37, '坐落'],
    ]);
    const messages = result.errors.map((e) => e.message);
    expect(messages[0]).toMatch(/area must be greater than 0/);
    expect(messages[1]).toMatch(/end date 2007-12-31 is before start date 2008-01-01/);
    expect(messages[2]).toMatch(/duplicates row 6/);
    expect(messages[3]).toMatch(/unknown village/);
    expect(messages[4]).toBe('权利人未登记，请先导入花名册 / right holder is not registered: import the roster first');
    expect(messages[5]).toMatch(/right holder "王错名" does not match the name registered/);
    expect(messages[6]).toMatch(/another village \(小东沟村\)/);
    expect(messages.join('\n')).not.toContain(unregistered);
    expect(await parcelCount()).toBe(0);
  });

  it('reports holder errors in the same report as cell errors', async () => {
    let records = withCell(FIXTURE, 3, '面积(亩)', '-1');
    records = withCell(records, 50, '证件号码', residentId('1980-02-02', 654));
    const result = await inTransaction(db.dataSource, (em) => importInto(em, DAXIGOU.code, csvBuffer(records)));
    expect(result.ok ? [] : result.errors.map((e) => e.row)).toEqual([4, 51]);
  });

  it('imports the table once; a second import finds every certificate number registered', async () => {
    const first = await inTransaction(db.dataSource, (em) => importInto(em, DAXIGOU.code, sharedFixture(PARCELS_FIXTURE)));
    expect(first).toEqual({ ok: true, villageCode: DAXIGOU.code, imported: 60, areaMu: '2486.1769' });

    const workbook = await xlsxBuffer(FIXTURE);
    const again = await inTransaction(db.dataSource, (em) => importInto(em, DAXIGOU.code, workbook, 'again.xlsx'));
    expect(again.ok).toBe(false);
    if (again.ok) return;
    expect(again.errors).toHaveLength(60);
    expect(again.errors.every((e) => e.column === '林权证号' && /certificate number is already registered/.test(e.message))).toBe(true);
    expect(again.errors.map((e) => e.row)).toEqual(FIXTURE.slice(1).map((_, i) => i + 2));
    expect(await parcelCount()).toBe(60);
  });

  it('refuses the same land under another certificate number: its 不动产单元号 is registered already', async () => {
    // The fixture is in (previous test). The same table with new certificate numbers: a re-registration of the same land.
    const records: Records = FIXTURE.map((row, i) => (i === 0 ? row : row.map((cell, c) => (c === col('林权证号') ? cell.replace('第000', '第009') : cell))));
    const result = await rolledBack((em) => importInto(em, DAXIGOU.code, csvBuffer(records)));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    const withUnit = FIXTURE.slice(1).filter((row) => row[col('不动产单元号')] !== '').length;
    expect(withUnit).toBeGreaterThan(0);
    expect(result.errors).toHaveLength(withUnit);
    expect(result.errors[0]).toMatchObject({ row: 2, column: '不动产单元号', message: expect.stringContaining(`不动产单元号已登记于${FIXTURE[1][col('林权证号')]}`) });
    expect(await parcelCount()).toBe(60);
  });

  it('loses a race for the same certificate numbers cleanly: the later import is rejected, not half-written', async () => {
    const file = csvBuffer(YANSHAN_RECORDS);
    const winner = db.dataSource.createQueryRunner();
    await winner.connect();
    await winner.startTransaction();
    try {
      expect(await importInto(winner.manager, YANSHAN.code, file)).toMatchObject({ ok: true, imported: 40 });
      // The loser checked the register before the winner committed, so it reaches the INSERT and waits there.
      const loser = inTransaction(db.dataSource, (em) => importInto(em, YANSHAN.code, file));
      for (let i = 0; i < 200; i++) {
        const [{ waiting }] = await db.dataSource.query<Array<{ waiting: number }>>(
          `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        if (waiting > 0) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      await winner.commitTransaction();
      const lost = await loser;
      expect(lost.ok).toBe(false);
      if (!lost.ok) {
        expect(lost.errors).toHaveLength(40);
        expect(lost.errors[0].message).toMatch(/registered meanwhile by another import/);
      }
    } finally {
      if (winner.isTransactionActive) await winner.rollbackTransaction();
      await winner.release();
    }
    expect(await parcelCount(db.dataSource, YANSHAN.code)).toBe(40);
  });
});

describe('ParcelsService.summary', () => {
  const daxigou = expectedFigures(FIXTURE);
  const yanshan = expectedFigures(YANSHAN_RECORDS);
  const county = expectedFigures(FIXTURE, YANSHAN_RECORDS);

  it('sums a village exactly, per certificate state, mortgaged and seized', async () => {
    expect(daxigou.parcels).toBe(60);
    expect(daxigou.areaMu).toBe('2486.1769');
    expect(daxigou.mortgaged.parcels).toBe(7);
    expect(daxigou.seized.parcels).toBe(1);
    const summary = await service.summary(DAXIGOU.code);
    expect(summary.region).toEqual({ code: DAXIGOU.code, name: DAXIGOU.name, level: 'VILLAGE' });
    expect(summary.villages).toEqual([{ code: DAXIGOU.code, name: DAXIGOU.name, townshipCode: QINCHI.code, townshipName: QINCHI.name, ...daxigou }]);
    expect(summary.townships).toEqual([]);
    expect(summary.total).toEqual(daxigou);
  });

  it('lists every village of a township, with or without parcels, and the township total', async () => {
    const summary = await service.summary(QINCHI.code);
    expect(summary.villages.map((v) => [v.code, v.parcels, v.areaMu])).toEqual([
      [DAXIGOU.code, 60, '2486.1769'],
      [XIAODONGGOU.code, 0, '0.0000'],
    ]);
    expect(summary.villages[1]).toMatchObject(ZERO);
    expect(summary.townships).toEqual([{ code: QINCHI.code, name: QINCHI.name, ...daxigou }]);
    expect(summary.total).toEqual(daxigou);
  });

  it('totals a county over its townships', async () => {
    const summary = await service.summary(YANGCHENG.code);
    expect(summary.villages.map((v) => v.code)).toEqual([DAXIGOU.code, XIAODONGGOU.code, YANSHAN.code]);
    expect(summary.villages[2]).toMatchObject(yanshan);
    expect(summary.townships).toEqual([
      { code: QINCHI.code, name: QINCHI.name, ...daxigou },
      { code: DINGDIAN.code, name: DINGDIAN.name, ...yanshan },
    ]);
    expect(summary.total).toEqual(county);
    expect(summary.total.areaMu).toBe(new Decimal(daxigou.areaMu).plus(yanshan.areaMu).toFixed(4));
    const states = CERTIFICATE_STATES.reduce((n, s) => n + summary.total.byState[s].parcels, 0);
    expect(states).toBe(100);
  });

  it('refuses an unknown region', async () => {
    expect(await rejection(service.summary('000000'))).toMatchObject({ code: 'UNKNOWN_REGION' });
  });

  it('exports the summary as a workbook with Chinese headers and numeric cells from the exact totals', async () => {
    const { fileName, buffer } = await service.summaryWorkbook(YANGCHENG.code);
    expect(fileName).toBe('宗地汇总-阳城县-140522.xlsx');
    const workbook = await expectNumericXlsx(buffer, ['宗地汇总']);
    const sheet = workbook.worksheets[0];
    expect(sheet.name).toBe('宗地汇总');
    const values = (rowNumber: number) => (sheet.getRow(rowNumber).values as ExcelJS.CellValue[]).slice(1);
    const headers = values(1);
    expect(headers).toEqual([...SUMMARY_HEADERS]);
    expect(headers.slice(0, 7)).toEqual(['乡镇', '村', '区划代码', '宗地数', '总面积(亩)', '发放到户宗数', '发放到户面积(亩)']);
    expect(headers).toEqual(expect.arrayContaining(['已打印盖章未发放宗数', '已打印未盖章面积(亩)', '未打印未盖章宗数', '抵押宗数', '查封面积(亩)']));

    const rows = Array.from({ length: sheet.rowCount - 1 }, (_, i) => values(i + 2));
    expect(rows.map((r) => r.slice(0, 3))).toEqual([
      [QINCHI.name, DAXIGOU.name, DAXIGOU.code],
      [QINCHI.name, XIAODONGGOU.name, XIAODONGGOU.code],
      [QINCHI.name, '小计', QINCHI.code],
      [DINGDIAN.name, YANSHAN.name, YANSHAN.code],
      [DINGDIAN.name, '小计', DINGDIAN.code],
      [YANGCHENG.name, '合计', YANGCHENG.code],
    ]);
    const at = (row: unknown[], header: string) => row[headers.indexOf(header)];
    const total = rows[rows.length - 1];
    expect(at(total, '宗地数')).toBe(100);
    expect(at(total, '总面积(亩)')).toBe(Number(county.areaMu));
    expect(at(rows[0], '总面积(亩)')).toBe(2486.1769);
    expect(at(rows[0], '发放到户宗数')).toBe(daxigou.byState.ISSUED_TO_HOUSEHOLD.parcels);
    expect(at(rows[0], '发放到户面积(亩)')).toBe(Number(daxigou.byState.ISSUED_TO_HOUSEHOLD.areaMu));
    expect(at(rows[0], '抵押宗数')).toBe(7);
    expect(at(rows[0], '查封宗数')).toBe(1);
    expect(at(rows[1], '总面积(亩)')).toBe(0);
    expect(sheet.getRow(2).getCell(headers.indexOf('总面积(亩)') + 1).numFmt).toBe('0.0000');
    expect(sheet.getRow(2).getCell(headers.indexOf('宗地数') + 1).numFmt).toBe('0');
  });
});

describe('ParcelsService reads', () => {
  const holder = ROSTER.find((p) => p.idNumber === FIXTURE[1][col('证件号码')])!;
  const ownCertificates = FIXTURE.slice(1)
    .filter((r) => r[col('证件号码')] === holder.idNumber)
    .map((r) => r[col('林权证号')]);
  const other: Person = ROSTER.find((p) => p.idNumber === FIXTURE[2][col('证件号码')])!;

  it('gets a parcel by id and by certificate number, with the holder and the region names', async () => {
    const byNumber = await service.get(ADMIN, '晋（2025）阳城县不动产权第0001001号');
    expect(byNumber).toMatchObject({
      certificateNo: '晋(2025)阳城县不动产权第0001001号',
      holderCode: holder.code,
      holderName: '李永胜',
      holderIdMasked: '1405**********0690',
      villageName: DAXIGOU.name,
      townshipName: QINCHI.name,
      countyName: YANGCHENG.name,
      areaMu: '29.8000',
      certificateState: 'ISSUED_TO_HOUSEHOLD',
      certificateStateLabel: '发放到户',
    });
    expect(await service.get(ADMIN, byNumber.id)).toEqual(byNumber);
    expect(await rejection(service.get(ADMIN, '999999'))).toMatchObject({ code: 'UNKNOWN_PARCEL', kind: 'not-found' });
  });

  it('pages by id and filters by region, holder, state, mortgaged and seized', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await service.list(ADMIN, { regionCode: QINCHI.code, limit: 25, after });
      seen.push(...page.items.map((p) => p.id));
      after = page.nextCursor ?? undefined;
    } while (after);
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
    expect([...seen].sort((a, b) => Number(a) - Number(b))).toEqual(seen);

    expect((await service.list(ADMIN, { regionCode: YANGCHENG.code, limit: 500 })).items).toHaveLength(100);
    expect((await service.list(ADMIN, { regionCode: YANSHAN.code, limit: 500 })).items).toHaveLength(40);
    expect((await service.list(ADMIN, { regionCode: DAXIGOU.code, mortgaged: true })).items).toHaveLength(7);
    expect((await service.list(ADMIN, { regionCode: DAXIGOU.code, seized: true })).items).toHaveLength(1);
    expect((await service.list(ADMIN, { regionCode: DAXIGOU.code, certificateState: 'NOT_PRINTED' })).items).toHaveLength(expectedFigures(FIXTURE).byState.NOT_PRINTED.parcels);
    expect((await service.list(ADMIN, { holderCode: holder.code })).items.map((p) => p.certificateNo).sort()).toEqual([...ownCertificates].sort());
    expect(await rejection(service.list(ADMIN, { after: 'not-a-cursor' }))).toMatchObject({ code: 'INVALID_CURSOR' });
    expect(await rejection(service.list(ADMIN, { regionCode: '404' }))).toMatchObject({ code: 'UNKNOWN_REGION' });
  });

  it('shows a villager only the parcels they hold; any other is not found', async () => {
    const villager = user('VILLAGER', holder.code);
    const own = await service.list(villager, {});
    expect(own.items.map((p) => p.certificateNo).sort()).toEqual([...ownCertificates].sort());
    expect(own.items.every((p) => p.holderIdMasked === '1405**********0690')).toBe(true);
    expect((await service.list(villager, { regionCode: YANGCHENG.code, holderCode: other.code })).items).toEqual([]);
    const others = await service.get(ADMIN, FIXTURE[2][col('林权证号')]);
    expect(others.holderCode).toBe(other.code);
    expect(await rejection(service.get(villager, others.id))).toMatchObject({ code: 'UNKNOWN_PARCEL' });
    expect(await rejection(service.get(villager, others.certificateNo))).toMatchObject({ code: 'UNKNOWN_PARCEL' });
    expect((await service.get(villager, own.items[0].id)).id).toBe(own.items[0].id);
  });

  it('lets a farm operator list by region only, without holder ID numbers', async () => {
    const operator = user('FARM_OPERATOR', 'F-YCLC');
    expect(await rejection(service.list(operator, {}))).toMatchObject({ code: 'REGION_REQUIRED', kind: 'invalid' });
    const page = await service.list(operator, { regionCode: DAXIGOU.code, limit: 500 });
    expect(page.items).toHaveLength(60);
    expect(page.items.every((p) => p.holderIdMasked === null && p.holderName !== '')).toBe(true);
    expect((await service.get(operator, page.items[0].id)).holderIdMasked).toBeNull();
  });
});

describe('ParcelsService.assertAttachable', () => {
  const certificateOf = (predicate: (row: string[]) => boolean) => FIXTURE.slice(1).find(predicate)![col('林权证号')];
  let ids: { clean: string; mortgaged: string; seized: string; notIssued: string };

  beforeAll(async () => {
    const idOf = async (certificateNo: string) => (await service.get(ADMIN, certificateNo)).id;
    ids = {
      clean: await idOf(certificateOf((r) => r[col('发证状态')] === '发放到户' && r[col('是否抵押')] === '否' && r[col('是否查封')] === '否')),
      mortgaged: await idOf(certificateOf((r) => r[col('发证状态')] === '发放到户' && r[col('是否抵押')] === '是')),
      seized: await idOf(certificateOf((r) => r[col('是否查封')] === '是')),
      notIssued: await idOf(certificateOf((r) => r[col('发证状态')] === '已打印未盖章' && r[col('是否抵押')] === '否')),
    };
  });

  it('accepts a clean parcel and returns it', async () => {
    const parcels = await inTransaction(db.dataSource, (em) => service.assertAttachable(em, [ids.clean, ids.clean], 'COOPERATION_PROJECT'));
    expect(parcels).toHaveLength(1);
    expect(parcels[0]).toMatchObject({ id: ids.clean, areaMu: expect.stringMatching(/^\d+\.\d{4}$/) });
  });

  it('refuses mortgaged, seized, not-issued and unknown parcels, each with its reasons', async () => {
    const error = await rejection(inTransaction(db.dataSource, (em) => service.assertAttachable(em, [ids.clean, ids.mortgaged, ids.seized, ids.notIssued, '987654321'], 'LEASE')));
    expect(error).toMatchObject({ code: 'PARCEL_NOT_ATTACHABLE', kind: 'rule', field: 'parcelIds' });
    const refused = (error.details as { purpose: string; refused: Array<{ parcelId: string; reasons: string[]; certificateNo: string | null }> }).refused;
    expect((error.details as { purpose: string }).purpose).toBe('LEASE');
    const reasonsOf = Object.fromEntries(refused.map((r) => [r.parcelId, r.reasons]));
    expect(reasonsOf[ids.mortgaged]).toEqual(['MORTGAGED']);
    expect(reasonsOf[ids.seized]).toContain('SEIZED');
    expect(reasonsOf[ids.notIssued]).toEqual(['CERTIFICATE_NOT_ISSUED']);
    expect(reasonsOf['987654321']).toEqual(['UNKNOWN_PARCEL']);
    expect(reasonsOf[ids.clean]).toBeUndefined();
    expect(refused.find((r) => r.parcelId === '987654321')?.certificateNo).toBeNull();
    expect(error.message).toMatch(/mortgaged/);
  });

  it('holds the parcels FOR SHARE until the caller commits: nobody can mortgage them meanwhile', async () => {
    const holderTx = db.dataSource.createQueryRunner();
    await holderTx.connect();
    await holderTx.startTransaction();
    try {
      await service.assertAttachable(holderTx.manager, [ids.clean], 'TRANSFER_CONTRACT');
      const blocked = await db.dataSource
        .transaction(async (em) => {
          await em.query(`SET LOCAL lock_timeout = '200ms'`);
          await em.query(`UPDATE parcels SET mortgaged = true WHERE id = $1`, [ids.clean]);
        })
        .then(
          () => 'updated',
          (e: { driverError?: { code?: string } }) => e.driverError?.code,
        );
      expect(blocked).toBe('55P03');
    } finally {
      await holderTx.rollbackTransaction();
      await holderTx.release();
    }
  });
});
