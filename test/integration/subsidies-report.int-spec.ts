import { inTransaction } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import { addRule, apply, approve, createContract, createProgramme, seedSubsidyWorld, SubsidyServices, subsidyServices, SubsidyWorld } from '../factories/subsidies.factory';
import { DINGDIAN, QINCHI, YANGCHENG } from '../factories/parcels.factory';
import { expectNumericXlsx } from '../setup/xlsx-check';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let s: SubsidyServices;
let world: SubsidyWorld;

const pay = (claimId: string, seq: number, on: string) => inTransaction(db.dataSource, (em) => s.instalments.payInstalment(em, claimId, seq, on));

/**
 * The fixture, by hand (rule: 30.00 元/亩, ≥ 5 years, ≥ 50 亩, 60/40, half on approval and half after a year, full clawback):
 *   芹池镇  Q1 100.0000 亩  approved 3000.00, both halves paid (3000.00); terminated 2026-12-31: clawback 3000 × 1096/1826 = 1800.66
 *                           (1080.40 transferor, 720.26 transferee); the transferor sets off 1080.40 from the wallet
 *           Q2  77.7777 亩  approved 30 × 77.7777 = 2333.33 (1400.00 / 933.33); first half paid: 700.00 + 466.67 = 1166.67
 *           Q3  60.0000 亩  applied, not approved
 *           Q4  49.0000 亩  ineligible (below 50 亩)
 *   町店镇  D1  80.0000 亩  applied, not approved → no pilot yet
 *   Programme P-R: budget 20000.00; approved 5333.33; paid 4166.67; still reserved 1166.66; remaining 20000.00 − 5333.33 + 1080.40 = 15747.07.
 */
beforeAll(async () => {
  s = subsidyServices(db.dataSource);
  world = await seedSubsidyWorld(s, { parcels: 6 });
  await createProgramme(s, world, 'P-R', { budget: '20000.00' });
  await addRule(s, 'P-R');
  await createProgramme(s, world, 'P-R2', { budget: '0', regionCodes: [DINGDIAN.code] });

  await createContract(s, world, 'Q1');
  await createContract(s, world, 'Q2', { areaMu: '77.7777' });
  await createContract(s, world, 'Q3', { areaMu: '60.0000' });
  await createContract(s, world, 'Q4', { areaMu: '49.0000' });
  await createContract(s, world, 'D1', { transferorCode: world.yanshanHousehold, parcelIds: [world.yanshanParcelIds[0]], areaMu: '80.0000' });

  const q1 = await approve(s, (await apply(s, 'P-R', 'Q1')).id);
  const q2 = await approve(s, (await apply(s, 'P-R', 'Q2')).id);
  await apply(s, 'P-R', 'Q3');
  await apply(s, 'P-R', 'Q4');
  await apply(s, 'P-R', 'D1');
  await pay(q1.id, 1, '2025-03-10');
  await pay(q1.id, 2, '2026-01-01');
  await pay(q2.id, 1, '2025-03-10');
  await inTransaction(db.dataSource, (em) => s.clawbacks.terminateContract(em, 'Q1', { terminatedOn: '2026-12-31', reason: '协商解除' }, randomUUID()));
  await inTransaction(db.dataSource, (em) =>
    s.clawbacks.recover(em, q1.id, { partyCode: world.households[0], amount: '1080.40', source: 'WALLET', effectiveDate: '2027-01-10' }, randomUUID()),
  );
});

describe('subsidy report per township and per programme', () => {
  it('matches the hand-computed fixture', async () => {
    const report = await s.reports.report(YANGCHENG.code);
    expect(report.region).toEqual({ code: YANGCHENG.code, name: '阳城县', level: 'COUNTY' });
    expect(report.townships).toEqual([
      {
        code: QINCHI.code,
        name: '芹池镇',
        contracts: 4,
        transferredAreaMu: '286.7777',
        approvedClaims: 2,
        approved: '5333.33',
        paid: '4166.67',
        clawedBack: '1800.66',
        recovered: '1080.40',
        unrecovered: '720.26',
        hasPilot: true,
      },
      {
        code: DINGDIAN.code,
        name: '町店镇',
        contracts: 1,
        transferredAreaMu: '80.0000',
        approvedClaims: 0,
        approved: '0.00',
        paid: '0.00',
        clawedBack: '0.00',
        recovered: '0.00',
        unrecovered: '0.00',
        hasPilot: false,
      },
    ]);
    expect(report.total).toEqual({
      contracts: 5,
      transferredAreaMu: '366.7777',
      approvedClaims: 2,
      approved: '5333.33',
      paid: '4166.67',
      clawedBack: '1800.66',
      recovered: '1080.40',
      unrecovered: '720.26',
    });
    expect(report.townshipsWithoutPilot).toEqual([DINGDIAN.code]);
    expect(report.programmes).toEqual([
      {
        code: 'P-R',
        name: '林权流转奖补 P-R',
        contracts: 4,
        transferredAreaMu: '317.7777',
        approvedClaims: 2,
        approved: '5333.33',
        paid: '4166.67',
        clawedBack: '1800.66',
        recovered: '1080.40',
        unrecovered: '720.26',
        budget: '20000.00',
        reserved: '1166.66',
        remainingBudget: '15747.07',
      },
      {
        code: 'P-R2',
        name: '林权流转奖补 P-R2',
        contracts: 0,
        transferredAreaMu: '0.0000',
        approvedClaims: 0,
        approved: '0.00',
        paid: '0.00',
        clawedBack: '0.00',
        recovered: '0.00',
        unrecovered: '0.00',
        budget: '0.00',
        reserved: '0.00',
        remainingBudget: '0.00',
      },
    ]);
    const programme = await s.programmes.getProgramme('P-R');
    expect(programme).toMatchObject({ budget: '20000.00', available: '15747.07', reserved: '1166.66', paid: '4166.67', clawbackPending: '720.26' });
  });

  it('for one township, only that township', async () => {
    const report = await s.reports.report(DINGDIAN.code);
    expect(report.townships.map((t) => [t.code, t.contracts, t.hasPilot])).toEqual([[DINGDIAN.code, 1, false]]);
    expect(report.programmes.map((p) => p.code)).toEqual(['P-R', 'P-R2']);
  });

  it('as an Excel workbook with the same figures', async () => {
    const book = await expectNumericXlsx(await s.reports.reportWorkbook(YANGCHENG.code), ['乡镇奖补']);
    const towns = book.getWorksheet('乡镇奖补')!;
    const values = (row: number) => (towns.getRow(row).values as unknown[]).slice(1);
    expect(values(1)).toEqual(['乡镇代码', '乡镇', '流转合同数', '流转面积(亩)', '批准奖补(元)', '已拨付(元)', '应收回(元)', '已收回(元)', '未收回(元)', '是否有试点']);
    expect(values(2)).toEqual([QINCHI.code, '芹池镇', 4, 286.7777, 5333.33, 4166.67, 1800.66, 1080.4, 720.26, '是']);
    expect(values(3)).toEqual([DINGDIAN.code, '町店镇', 1, 80, 0, 0, 0, 0, 0, '否']);
    expect(values(4).slice(1, 9)).toEqual(['合计', 5, 366.7777, 5333.33, 4166.67, 1800.66, 1080.4, 720.26]);
    const programmes = book.getWorksheet('奖补项目')!;
    expect((programmes.getRow(2).values as unknown[]).slice(1)).toEqual(['P-R', '林权流转奖补 P-R', 20000, 4, 317.7777, 5333.33, 4166.67, 1166.66, 1800.66, 720.26, 15747.07]);
  });

  it('reads the report in eight queries whatever the number of programmes', async () => {
    const counted = async () => {
      const spy = jest.spyOn(db.dataSource, 'query');
      const report = await s.reports.report(YANGCHENG.code);
      const queries = spy.mock.calls.length;
      spy.mockRestore();
      return { report, queries };
    };
    const before = await counted();
    expect(before.queries).toBe(8);
    await createProgramme(s, world, 'P-R3', { budget: '500.00' });
    const after = await counted();
    expect(after.queries).toBe(8);
    expect(after.report.programmes.map((p) => p.code)).toEqual(['P-R', 'P-R2', 'P-R3']);
    expect(after.report.programmes.slice(0, 2)).toEqual(before.report.programmes);
    expect(after.report.programmes[2]).toMatchObject({ budget: '500.00', reserved: '0.00', remainingBudget: '500.00', approvedClaims: 0 });
  });
});
