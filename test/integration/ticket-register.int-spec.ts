import { formatVerificationCode, REGISTER_HEADERS, RegisterView, TradeInput } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { pdfTextLayer as textLayer } from '../setup/pdf-text';
import { deposit, key, lishuSeries, refusal, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { expectNumericXlsx } from '../setup/xlsx-check';
import { useTestDatabase } from '../setup/test-database';

/**
 * The holder register (股东名册) at past dates, its Excel export, the certificate PDF and the public
 * verification, on the 梨树村 case: issued 2025-03-01, every villager 6,300 units × 1.00 CNY.
 */
const db = useTestDatabase();
let t: TicketServices;
let world: TicketWorld;

const SERIES = 'RG-2025';
const v = (n: number): string => `V-${String(n).padStart(4, '0')}`;

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  world = await seedTicketWorld(t, { villagers: 100, households: 40, parcels: 3, names: { 'V-0001': '张守仁', 'V-0002': '李明' } });
  await lishuSeries(t, world, SERIES, { restriction: 'OPEN' });
});

function trade(input: Partial<TradeInput> & { seller: string; buyer: string; units: string; effectiveDate: string }) {
  return inTransaction(db.dataSource, (em) => t.movements.trade(em, SERIES, { unitPrice: '1.00', ...input }, key()));
}

function unitsByParty(register: RegisterView): Map<string, string> {
  return new Map(register.lines.map((l) => [l.partyCode, l.units]));
}

function expectSharesExact(register: RegisterView): void {
  const total = new Dec(register.totalUnits);
  expect(register.lines.reduce((s, l) => s.plus(l.units), new Dec(0)).toFixed(0)).toBe(register.totalUnits);
  for (const l of register.lines) {
    expect(l.share).toMatch(/^[01]\.\d{10}$/);
    expect(new Dec(l.share).minus(new Dec(l.units).div(total)).abs().lessThan('1e-10')).toBe(true);
  }
  expect(register.lines.reduce((s, l) => s.plus(l.share), new Dec(0)).equals(1)).toBe(true);
}

describe('the register at a past date, after later transfers', () => {
  beforeAll(async () => {
    await deposit(t, v(3), '1000.00');
    await trade({ seller: v(2), buyer: v(3), units: '1000', effectiveDate: '2025-09-01' });
    await deposit(t, world.outsider, '500.00');
    await trade({ seller: v(3), buyer: world.outsider, units: '500', effectiveDate: '2026-02-01' });
    // Booked later, effective earlier than the outsider's purchase: a pledge in 2025.
    await inTransaction(db.dataSource, (em) =>
      t.movements.pledge(em, SERIES, { holder: v(4), pledgee: world.bank, units: '4000', contractReference: '质押 2025-77', effectiveDate: '2025-12-01' }, key()),
    );
  });

  it('is empty before the issue date and shows the issuance on it', async () => {
    expect(await t.series.register(SERIES, '2025-02-28')).toEqual({ series: SERIES, asOf: '2025-02-28', totalUnits: '0', pledgedUnits: '0', holders: 0, lines: [] });
    const issued = await t.series.register(SERIES, '2025-03-01');
    expect(issued).toMatchObject({ totalUnits: '900000', holders: 101 });
    expect(issued.lines[0]).toEqual({
      certificateNo: 'RG-2025-000001',
      partyCode: world.collective,
      name: '梨树村股份经济合作社',
      idMasked: null,
      origin: 'COLLECTIVE',
      units: '270000',
      pledgedUnits: '0',
      share: '0.3000000000',
    });
    expect(issued.lines.slice(1).every((l) => l.units === '6300' && l.share === '0.0070000000' && l.origin === 'MEMBER')).toBe(true);
    expectSharesExact(issued);
  });

  it('as of the day before a trade shows the old holdings, as of its date the new', async () => {
    const before = unitsByParty(await t.series.register(SERIES, '2025-08-31'));
    expect([before.get(v(2)), before.get(v(3)), before.get(world.outsider)]).toEqual(['6300', '6300', undefined]);

    const on = unitsByParty(await t.series.register(SERIES, '2025-09-01'));
    expect([on.get(v(2)), on.get(v(3)), on.get(world.outsider)]).toEqual(['5300', '7300', undefined]);

    const dayBefore = await t.series.register(SERIES, '2026-01-31');
    expect(unitsByParty(dayBefore).get(world.outsider)).toBeUndefined();
    expect(dayBefore.holders).toBe(101);

    const later = await t.series.register(SERIES, '2026-02-01');
    expect([unitsByParty(later).get(v(3)), unitsByParty(later).get(world.outsider)]).toEqual(['6800', '500']);
    expect(later.holders).toBe(102);
    expect(later.lines[later.lines.length - 1]).toMatchObject({ certificateNo: 'RG-2025-000102', partyCode: world.outsider, origin: 'ACQUIRED', units: '500' });
    for (const register of [dayBefore, later]) {
      expect(register.totalUnits).toBe('900000');
      expectSharesExact(register);
    }
  });

  it('counts pledged units for their holder from the pledge date on', async () => {
    const before = (await t.series.register(SERIES, '2025-11-30')).lines.find((l) => l.partyCode === v(4));
    const after = (await t.series.register(SERIES, '2025-12-01')).lines.find((l) => l.partyCode === v(4));
    expect(before).toMatchObject({ units: '6300', pledgedUnits: '0' });
    expect(after).toMatchObject({ units: '6300', pledgedUnits: '4000' });
  });

  it('shares that do not divide evenly still add up to exactly 1 (largest remainder, 10 decimals)', async () => {
    await deposit(t, v(5), '1.00');
    await trade({ seller: v(6), buyer: v(5), units: '1', effectiveDate: '2026-03-01' });
    const register = await t.series.register(SERIES, '2026-03-01');
    expect(register.lines.find((l) => l.partyCode === v(5))!.share).toMatch(/^0\.007001111[12]$/); // 6301 / 900000 = 0.00700111…
    expectSharesExact(register);
  });

  it('refuses a movement back-dated before the units arrived (the register of the days between would show a negative holding)', async () => {
    await deposit(t, v(7), '100.00');
    const error = await refusal(trade({ seller: world.outsider, buyer: v(7), units: '100', effectiveDate: '2026-01-15' }));
    expect(error).toMatchObject({ code: 'EFFECTIVE_DATE_OUT_OF_RANGE', field: 'effectiveDate' });
    expect(error.message).toContain('2026-02-01');
    const release = await refusal(
      inTransaction(db.dataSource, async (em) => {
        const [pledge] = await t.movements.pledges(em, SERIES, { holder: v(4) });
        return t.movements.releasePledge(em, pledge.id, { effectiveDate: '2025-11-30' }, key());
      }),
    );
    expect(release).toMatchObject({ code: 'EFFECTIVE_DATE_OUT_OF_RANGE' });
    for (const asOf of ['2025-12-31', '2026-01-15', '2026-01-31']) {
      const register = await t.series.register(SERIES, asOf);
      expect(register.lines.every((l) => new Dec(l.units).greaterThanOrEqualTo(0) && new Dec(l.pledgedUnits).greaterThanOrEqualTo(0))).toBe(true);
    }
    // On or after the last movement of those units it is fine.
    await expect(trade({ seller: world.outsider, buyer: v(7), units: '100', effectiveDate: '2026-02-01' })).resolves.toMatchObject({
      positions: [{ units: '400' }, { units: '6400' }],
    });
  });
});

describe('the register as an Excel workbook', () => {
  it('opens with exceljs and its rows are the register’s', async () => {
    const asOf = '2026-02-01';
    const register = await t.series.register(SERIES, asOf);
    const { fileName, buffer } = await t.certificates.registerWorkbook(SERIES, asOf);
    expect(fileName).toBe(`林票持有人名册-${SERIES}-${asOf}.xlsx`);

    const workbook = await expectNumericXlsx(buffer, ['股东名册']);
    const sheet = workbook.getWorksheet('股东名册')!;
    const values = (n: number): unknown[] => Array.from({ length: 8 }, (_, i) => sheet.getRow(n).getCell(i + 1).value ?? null);
    expect(values(1)[0]).toBe(`林票 ${SERIES} 持有人名册 截至 ${asOf}`);
    expect(values(2)).toEqual([...REGISTER_HEADERS]);
    expect(sheet.rowCount).toBe(2 + register.lines.length + 1);
    const origin: Record<string, string> = { FARM: '林场出资', COLLECTIVE: '村集体留存', MEMBER: '村民分配', ACQUIRED: '受让/继承' };
    register.lines.forEach((line, i) => {
      const [certificateNo, partyCode, name, idMasked, originLabel, units, pledgedUnits, share] = values(3 + i);
      expect({
        certificateNo,
        partyCode,
        name,
        idMasked: idMasked === null ? '' : idMasked,
        originLabel,
        units: String(units),
        pledgedUnits: String(pledgedUnits),
        share: new Dec(String(share)).toFixed(10),
      }).toEqual({
        certificateNo: line.certificateNo,
        partyCode: line.partyCode,
        name: line.name,
        idMasked: line.idMasked ?? '',
        originLabel: origin[line.origin],
        units: line.units,
        pledgedUnits: line.pledgedUnits,
        share: line.share,
      });
    });
    const total = values(3 + register.lines.length);
    expect(total[0]).toBe('合计');
    expect(total[2]).toBe(`${register.holders} 户/人`);
    expect(total[5]).toBe(900000);
    // The share is a number with ten places shown (was text before #20): 1 shown as 1.0000000000.
    expect([total[7], sheet.getRow(3 + register.lines.length).getCell(8).numFmt]).toEqual([1, '0.0000000000']);
  });
});

describe('certificates', () => {
  it('renders the PDF of a holding: the masked name and the 大写 amount in its text layer', async () => {
    const certificateNo = 'RG-2025-000002';
    const view = await t.certificates.get(certificateNo, null);
    expect(view).toMatchObject({ holder: { code: v(1), name: '张守仁' }, units: '6300', faceAmount: '6300.00', faceAmountInWords: '陆仟叁佰元整', transferRestriction: 'OPEN' });

    const { fileName, buffer } = await t.certificates.pdf(certificateNo, { ownerRefs: [`party:${v(1)}`] });
    expect(fileName).toBe(`林票-${certificateNo}.pdf`);
    expect(buffer.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const { text, pages } = await textLayer(buffer);
    expect(pages).toBe(1);
    for (const expected of ['张*仁', '陆仟叁佰元整', certificateNo, view.verificationCode, '官庄国有林场', '可自由转让']) expect(text).toContain(expected);
    expect(text).not.toContain('张守仁');
  });

  it('is not shown to another villager (UNKNOWN_CERTIFICATE)', async () => {
    expect(await refusal(t.certificates.pdf('RG-2025-000002', { ownerRefs: [`party:${v(9)}`] }))).toMatchObject({ code: 'UNKNOWN_CERTIFICATE' });
    expect(await refusal(t.certificates.get('RG-2025-999999', null))).toMatchObject({ code: 'UNKNOWN_CERTIFICATE' });
  });

  it('verifies a printed code with or without dashes, in lower case; refuses an unknown one', async () => {
    const { verificationCode } = await t.certificates.get('RG-2025-000002', null);
    expect(verificationCode).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    const raw = verificationCode.replace(/-/g, '');
    expect(formatVerificationCode(raw)).toBe(verificationCode);
    for (const typed of [verificationCode, raw, verificationCode.toLowerCase(), ` ${raw.toLowerCase()} `]) {
      await expect(t.certificates.verify(typed)).resolves.toMatchObject({
        valid: true,
        certificateNo: 'RG-2025-000002',
        series: SERIES,
        holderName: '张*仁',
        units: '6300',
        pledgedUnits: '0',
        faceValue: '1.00',
        issuer: '官庄国有林场',
      });
    }
    const unknown = raw.startsWith('0') ? `1${raw.slice(1)}` : `0${raw.slice(1)}`;
    expect(await refusal(t.certificates.verify(unknown))).toMatchObject({ code: 'UNKNOWN_CERTIFICATE' });
    expect(await refusal(t.certificates.verify('not a code'))).toMatchObject({ code: 'UNKNOWN_CERTIFICATE' });
  });

  it('says a certificate whose holder sold everything is no longer valid; the collective keeps its name unmasked', async () => {
    await deposit(t, v(8), '6300.00');
    await trade({ seller: v(10), buyer: v(8), units: '6300', effectiveDate: '2026-03-01' });
    const { verificationCode } = await t.certificates.get('RG-2025-000011', null);
    await expect(t.certificates.verify(verificationCode)).resolves.toMatchObject({ valid: false, units: '0' });
    const collective = await t.certificates.get('RG-2025-000001', null);
    await expect(t.certificates.verify(collective.verificationCode)).resolves.toMatchObject({ valid: true, holderName: '梨树村股份经济合作社', units: '270000' });
  });
});
