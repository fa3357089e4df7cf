import { landDeposit, landIncome, landLesseeCredit, landReceivable } from '@forest-ledger/forestry';
import { LedgerReportsService } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import { activeContract, entriesOf, LandUseServices, landUseServices, LandWorld, pay, runDaily, runEveryDay, seedLandWorld, takeStateParcels } from '../factories/land-use.factory';
import { balance, refusal } from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';
import { outboxMark, outboxSince, rolledBack } from '../setup/outbox-events';

const db = useTestDatabase();
let t: LandUseServices;
let world: LandWorld;

beforeAll(async () => {
  t = landUseServices(db.dataSource);
  world = await seedLandWorld(t, { stateParcels: 40 });
});

/** 4,000.00 a year billed quarterly (1,000.00 a quarter) from 2025-01-01, at the default 0.05 %/day: 0.50 a day per overdue quarter. */
const QUARTERLY = { startDate: '2025-01-01', endDate: '2027-12-31', rent: { kind: 'FIXED' as const, annualAmount: '4000.00' }, billingFrequency: 'QUARTERLY' as const };

const schedule = (code: string) => t.landUse.schedule(code);
const owed = (code: string) => balance(t, landReceivable(code));

describe('the daily job', () => {
  it('raises each receivable once when run twice on one day, and accrues each late-fee day once', async () => {
    await activeContract(t, world, 'D-TWICE', QUARTERLY);
    await activeContract(t, world, 'D-TWICE-B', { ...QUARTERLY, lesseeCode: world.lessees[1], startDate: '2025-03-01' });
    const first = await runDaily(t, '2025-04-01');
    const second = await runDaily(t, '2025-04-01');
    expect(first.raised).toBeGreaterThanOrEqual(4); // both contracts' Q1 and Q2 (and other files' contracts, none here yet)
    expect(second).toMatchObject({ raised: 0, lateFeeEntries: 0, lateFees: '0.00' });
    expect((await entriesOf(t, 'D-TWICE', 'LAND_USE_RENT_RAISED')).map((e) => [e.key, e.date])).toEqual([
      ['land-use:D-TWICE:raise:1', '2025-01-01'],
      ['land-use:D-TWICE:raise:2', '2025-04-01'],
    ]);
    // Q1 overdue from 2 January through 1 April: 90 days × 0.50.
    const fees = await entriesOf(t, 'D-TWICE', 'LAND_USE_LATE_FEE');
    expect(fees).toHaveLength(90);
    expect([fees[0].date, fees[89].date]).toEqual(['2025-01-02', '2025-04-01']);
    expect(await owed('D-TWICE')).toBe('2045');
    expect((await schedule('D-TWICE')).slice(0, 3).map((p) => [p.state, p.principalOutstanding, p.lateFeeAccrued, p.lateFeeAccruedThrough])).toEqual([
      ['RAISED', '1000.00', '45.00', '2025-04-01'],
      ['RAISED', '1000.00', '0.00', null],
      ['SCHEDULED', '0.00', '0.00', null],
    ]);
    // B: 1 – 31 March is 31 of 90 days: 344.44, overdue 2 March – 1 April = 31 days × 0.17 (0.17222 rounded) = 5.27, and Q2.
    expect(await owed('D-TWICE-B')).toBe('1349.71');
  });

  it('raises once when two runs of the same day race', async () => {
    await activeContract(t, world, 'D-RACE', { ...QUARTERLY, startDate: '2025-04-01' });
    await Promise.all([runDaily(t, '2025-04-03'), runDaily(t, '2025-04-03')]);
    expect(await entriesOf(t, 'D-RACE', 'LAND_USE_RENT_RAISED')).toHaveLength(1);
    expect(await entriesOf(t, 'D-RACE', 'LAND_USE_LATE_FEE')).toHaveLength(2);
    expect(await owed('D-RACE')).toBe('1001');
  });

  it('counts late-fee days across a month end (and 29 February) the same day by day as in one catch-up run', async () => {
    // 2025-01-31 – 2025-03-31 is 60 of 90 days: 6666.67; 3.33 a day (3.333335) from 1 February.
    const input = { startDate: '2025-01-31', endDate: '2025-12-31', rent: { kind: 'FIXED' as const, annualAmount: '40000.00' }, billingFrequency: 'QUARTERLY' as const };
    await activeContract(t, world, 'D-MONTH-DAILY', input);
    await activeContract(t, world, 'D-MONTH-CATCHUP', input);
    await runEveryDay(t, '2025-01-30', '2025-02-03');
    expect((await schedule('D-MONTH-DAILY'))[0]).toMatchObject({ amount: '6666.67', lateFeeAccrued: '9.99', lateFeeAccruedThrough: '2025-02-03' });
    expect((await entriesOf(t, 'D-MONTH-DAILY', 'LAND_USE_LATE_FEE')).map((e) => e.date)).toEqual(['2025-02-01', '2025-02-02', '2025-02-03']);
    expect((await schedule('D-MONTH-CATCHUP'))[0]).toMatchObject({ lateFeeAccrued: '9.99' });
    // A leap year: due 2024-02-28, by 1 March two days (28 February is the due date; 29 February and 1 March are late).
    await activeContract(t, world, 'D-LEAP', { startDate: '2024-02-28', endDate: '2024-12-31', rent: { kind: 'FIXED' as const, annualAmount: '3660.00' } });
    await runDaily(t, '2024-03-01');
    const [leap] = await schedule('D-LEAP');
    expect(leap).toMatchObject({ days: 308, periodDays: 366, amount: '3080.00', lateFeeAccrued: '3.08', lateFeeAccruedThrough: '2024-03-01' }); // 1.54 × 2
  });

  it('stops at the cap: the day that reaches it accrues only the rest, later days nothing', async () => {
    // 100.00 a quarter at 3 %/day: 3.00 a day; 33 days = 99.00, the 34th adds 1.00.
    const input = { ...QUARTERLY, rent: { kind: 'FIXED' as const, annualAmount: '400.00' }, lateFeeDailyRate: '0.03' };
    await activeContract(t, world, 'D-CAP', input);
    await activeContract(t, world, 'D-CAP-HALF', { ...input, lateFeeCapRatio: '0.5' });
    await runDaily(t, '2025-02-03');
    expect((await schedule('D-CAP'))[0].lateFeeAccrued).toBe('99.00');
    await runDaily(t, '2025-02-04');
    expect((await schedule('D-CAP'))[0].lateFeeAccrued).toBe('100.00');
    expect((await entriesOf(t, 'D-CAP', 'LAND_USE_LATE_FEE')).at(-1)).toMatchObject({ date: '2025-02-04' });
    await runDaily(t, '2025-03-31');
    expect((await schedule('D-CAP'))[0]).toMatchObject({ lateFeeAccrued: '100.00', lateFeeAccruedThrough: '2025-03-31' });
    expect(await entriesOf(t, 'D-CAP', 'LAND_USE_LATE_FEE')).toHaveLength(34);
    expect((await schedule('D-CAP-HALF'))[0].lateFeeAccrued).toBe('50.00');
  });
});

describe('payments', () => {
  it('settle three overdue periods oldest first, each late fee before its principal, in one entry', async () => {
    await activeContract(t, world, 'P-THREE', QUARTERLY);
    await runDaily(t, '2025-07-10');
    // Late fees through 10 July: Q1 190 days, Q2 100 days, Q3 9 days, 0.50 a day each.
    expect((await schedule('P-THREE')).slice(0, 3).map((p) => [p.principalOutstanding, p.lateFeeOutstanding])).toEqual([
      ['1000.00', '95.00'],
      ['1000.00', '50.00'],
      ['1000.00', '4.50'],
    ]);
    expect(await owed('P-THREE')).toBe('3149.5');
    const entriesBefore = await t.ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ledger_entries`);
    const outcome = await pay(t, 'P-THREE', '2200.00', '2025-07-10');
    expect(outcome.settlement.lines).toEqual([
      { seq: 1, kind: 'LATE_FEE', amount: '95.00' },
      { seq: 1, kind: 'PRINCIPAL', amount: '1000.00' },
      { seq: 2, kind: 'LATE_FEE', amount: '50.00' },
      { seq: 2, kind: 'PRINCIPAL', amount: '1000.00' },
      { seq: 3, kind: 'LATE_FEE', amount: '4.50' },
      { seq: 3, kind: 'PRINCIPAL', amount: '50.50' },
    ]);
    expect(outcome).toMatchObject({ receivable: '949.50', lesseeCredit: '0.00', settlement: { source: 'PAYMENT', amount: '2200.00', toCredit: '0.00' } });
    const [{ n }] = await t.ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ledger_entries`);
    expect(n).toBe(entriesBefore[0].n + 1);
    // The next day only Q3's rest is overdue: 949.50 × 0.0005 = 0.47475 → 0.47.
    await runDaily(t, '2025-07-11');
    expect(await owed('P-THREE')).toBe('949.97');
  });

  it('replays a payment under the same key, and refuses one dated before the late fees already accrued', async () => {
    await activeContract(t, world, 'P-REPLAY', QUARTERLY);
    await runDaily(t, '2025-01-20');
    const k = randomUUID();
    const first = await pay(t, 'P-REPLAY', '300.00', '2025-01-20', k);
    const again = await pay(t, 'P-REPLAY', '300.00', '2025-01-20', k);
    expect(again).toMatchObject({ replayed: true, settlement: { id: first.settlement.id, entryId: first.settlement.entryId } });
    expect(await refusal(pay(t, 'P-REPLAY', '10.00', '2025-01-19'))).toMatchObject({ code: 'PAYMENT_BEFORE_ACCRUED_FEES', field: 'receivedOn' });
  });

  it('keeps an overpayment as the lessee credit, used by the next period when it is raised', async () => {
    await activeContract(t, world, 'P-CREDIT', QUARTERLY);
    await runDaily(t, '2025-01-01');
    await pay(t, 'P-CREDIT', '1500.00', '2025-01-01');
    expect([await owed('P-CREDIT'), await balance(t, landLesseeCredit('P-CREDIT'))]).toEqual(['0', '500']);
    await runDaily(t, '2025-04-01');
    expect([await owed('P-CREDIT'), await balance(t, landLesseeCredit('P-CREDIT'))]).toEqual(['500', '0']);
    const raised = await new LedgerReportsService(db.dataSource).listEntries({ account: landLesseeCredit('P-CREDIT') });
    expect(raised.items[0]).toMatchObject({ kind: 'LAND_USE_RENT_RAISED', idempotencyKey: 'land-use:P-CREDIT:raise:2', metadata: { creditApplied: '500.00' } });
    expect((await schedule('P-CREDIT'))[1]).toMatchObject({ principalOutstanding: '500.00' });
    // Late fee on the 500.00 still owed: 0.25 a day.
    await runDaily(t, '2025-04-05');
    expect((await schedule('P-CREDIT'))[1].lateFeeAccrued).toBe('1.00');
  });
});

describe('waivers of late fees', () => {
  it('are refused to the contract creator and to a non-APPROVER, and accepted from another APPROVER with a reason', async () => {
    await activeContract(t, world, 'W-FEE', QUARTERLY);
    await runDaily(t, '2025-01-21'); // 20 days: 10.00
    const waive = (actor = world.approver, amount?: string, k = randomUUID()) =>
      inTransaction(t.ds, (em) => t.landUseReceivables.waiveLateFee(em, 'W-FEE', { periodSeq: 1, amount, reason: '疫情期间减免' }, actor, k));
    expect(await refusal(waive(world.creator))).toMatchObject({ code: 'NOT_AN_APPROVER', field: 'role' });
    expect(await refusal(waive(world.operator))).toMatchObject({ code: 'NOT_AN_APPROVER' });
    expect(await refusal(waive(world.approver, '10.01'))).toMatchObject({ code: 'NO_LATE_FEE_TO_WAIVE', field: 'amount' });
    const k = randomUUID();
    const done = await waive(world.approver, '6.00', k);
    expect(done).toMatchObject({ amount: '6.00', lateFeeOutstanding: '4.00', replayed: false });
    expect(await waive(world.approver, '6.00', k)).toMatchObject({ replayed: true, entryId: done.entryId });
    expect(await owed('W-FEE')).toBe('1004');
    expect(await balance(t, landIncome('W-FEE'))).toBe('1004');
    expect(await refusal(inTransaction(t.ds, (em) => t.landUseReceivables.waiveLateFee(em, 'W-FEE', { periodSeq: 2, reason: 'x' }, world.approver, randomUUID())))).toMatchObject({
      code: 'NO_LATE_FEE_TO_WAIVE',
    });
    // Waived fees still count toward the cap; the rest of the fee is still owed and payable.
    const paid = await pay(t, 'W-FEE', '1004.00', '2025-01-21');
    expect(paid.settlement.lines).toEqual([
      { seq: 1, kind: 'LATE_FEE', amount: '4.00' },
      { seq: 1, kind: 'PRINCIPAL', amount: '1000.00' },
    ]);
  });
});

describe('the close', () => {
  it('applies the deposit at an early termination: unused days credited, the rest of the deposit returned', async () => {
    await activeContract(t, world, 'T-RETURN', { ...QUARTERLY, deposit: '2000.00' });
    await runDaily(t, '2025-01-01');
    const view = await inTransaction(t.ds, (em) =>
      t.landUseClosing.terminate(em, 'T-RETURN', { terminatedOn: '2025-05-15', reason: '承租方经营困难，双方协商解除', deposit: 'RETURN' }, 'term-1'),
    );
    // By 15 May: Q1 fee 134 days = 67.00, Q2 raised on 1 April with 44 days = 22.00. Q2 used 45 of 91 days: 494.51, 505.49 credited.
    expect(view).toMatchObject({ state: 'TERMINATED', terminatedOn: '2025-05-15', terminationReason: '承租方经营困难，双方协商解除', receivable: '0.00', lesseeCredit: '0.00' });
    expect(view.settlement).toMatchObject({
      periodCredit: { seq: 2, usedDays: 45, days: 91, amount: '505.49' },
      depositHeld: '2000.00',
      depositApplied: '1583.51',
      depositReturned: '416.49',
      depositForfeited: '0.00',
      remainingOwed: '0.00',
      cancelledPeriods: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
    });
    expect(await balance(t, landDeposit('T-RETURN'))).toBe('0');
    expect(await balance(t, landIncome('T-RETURN'))).toBe('1583.51'); // 1000 + 67 + 1000 + 22 − 505.49
    // Replayed under the same key; the job no longer touches it.
    await expect(
      inTransaction(t.ds, (em) => t.landUseClosing.terminate(em, 'T-RETURN', { terminatedOn: '2025-05-15', reason: 'x', deposit: 'RETURN' }, 'term-1')),
    ).resolves.toMatchObject({ state: 'TERMINATED' });
    await runDaily(t, '2025-07-01');
    expect((await schedule('T-RETURN')).map((p) => p.state).slice(0, 3)).toEqual(['RAISED', 'RAISED', 'CANCELLED']);
    expect(await owed('T-RETURN')).toBe('0');
  });

  it('reports what remains owed when the deposit does not cover it, and takes a payment of it', async () => {
    await activeContract(t, world, 'T-SHORT', { ...QUARTERLY, deposit: '500.00' });
    const view = await inTransaction(t.ds, (em) =>
      t.landUseClosing.terminate(em, 'T-SHORT', { terminatedOn: '2025-05-15', reason: '违约', deposit: 'FORFEIT', forfeitReason: '承租方违约，保证金不予退还' }, randomUUID()),
    );
    expect(view.settlement).toMatchObject({ depositApplied: '500.00', depositForfeited: '0.00', remainingOwed: '1083.51' });
    expect(await refusal(pay(t, 'T-SHORT', '1083.52', '2025-06-01'))).toMatchObject({ code: 'PAYMENT_EXCEEDS_OWED' });
    await expect(pay(t, 'T-SHORT', '1083.51', '2025-06-01')).resolves.toMatchObject({ receivable: '0.00' });
    expect(
      await refusal(inTransaction(t.ds, (em) => t.landUseClosing.terminate(em, 'T-SHORT', { terminatedOn: '2025-05-15', reason: 'x', deposit: 'RETURN' }, randomUUID()))),
    ).toMatchObject({
      code: 'CONTRACT_NOT_ACTIVE',
    });
  });

  it('ends at the term: the deposit returned, or forfeited with a reason', async () => {
    const annual = { startDate: '2025-01-01', endDate: '2025-12-31', rent: { kind: 'FIXED' as const, annualAmount: '1000.00' }, deposit: '300.00' };
    await activeContract(t, world, 'E-RETURN', annual);
    await activeContract(t, world, 'E-FORFEIT', annual);
    for (const code of ['E-RETURN', 'E-FORFEIT']) {
      await inTransaction(t.ds, (em) => t.landUseReceivables.runDaily(em, '2025-01-01'));
      await pay(t, code, '1000.00', '2025-01-01');
    }
    expect(await refusal(inTransaction(t.ds, (em) => t.landUseClosing.endTerm(em, 'E-RETURN', { endedOn: '2025-12-30', deposit: 'RETURN' }, randomUUID())))).toMatchObject({
      code: 'TERM_NOT_ENDED',
    });
    const returned = await inTransaction(t.ds, (em) => t.landUseClosing.endTerm(em, 'E-RETURN', { endedOn: '2025-12-31', deposit: 'RETURN' }, randomUUID()));
    expect(returned).toMatchObject({ state: 'ENDED', settlement: { depositReturned: '300.00', depositForfeited: '0.00', remainingOwed: '0.00' }, deposit: { held: '0.00' } });
    expect(await refusal(inTransaction(t.ds, (em) => t.landUseClosing.endTerm(em, 'E-FORFEIT', { endedOn: '2025-12-31', deposit: 'FORFEIT' }, randomUUID())))).toMatchObject({
      field: 'forfeitReason',
    });
    const forfeited = await inTransaction(t.ds, (em) =>
      t.landUseClosing.endTerm(em, 'E-FORFEIT', { endedOn: '2026-01-05', deposit: 'FORFEIT', forfeitReason: '林地植被破坏，按合同第九条没收' }, randomUUID()),
    );
    expect(forfeited).toMatchObject({ state: 'ENDED', income: '1300.00', settlement: { depositForfeited: '300.00', forfeitReason: '林地植被破坏，按合同第九条没收' } });
  });
});

describe('reports', () => {
  it('ages receivables per lessee and per farm: current, 1–30, 31–90, 91–365, over 365 days', async () => {
    // Separate lessees, no late fees (rate 0), so only principals age.
    await t.ds.query(`INSERT INTO parties (code, kind, name) VALUES ('E-AGE-1', 'ENTERPRISE', '账龄测试一'), ('E-AGE-2', 'ENTERPRISE', '账龄测试二')`);
    const base = { lateFeeDailyRate: '0', rent: { kind: 'FIXED' as const, annualAmount: '4000.00' }, billingFrequency: 'QUARTERLY' as const, endDate: '2026-12-31' };
    await activeContract(t, world, 'A-OLD', { ...base, lesseeCode: 'E-AGE-1', startDate: '2024-01-01', parcelIds: takeStateParcels(world) });
    await activeContract(t, world, 'A-FEB', { ...base, lesseeCode: 'E-AGE-1', startDate: '2025-02-01', parcelIds: takeStateParcels(world) });
    await activeContract(t, world, 'A-NEW', {
      ...base,
      lesseeCode: 'E-AGE-2',
      startDate: '2025-04-15',
      billingFrequency: 'ANNUAL',
      rent: { kind: 'FIXED', annualAmount: '5000.00' },
    });
    await runDaily(t, '2025-04-15');
    const aging = await t.landUseReports.aging('2025-04-15');
    // A-OLD: due 2024-01-01 (470 days) and 2024-04-01 (379) over a year; 2024-07-01, 2024-10-01, 2025-01-01 in 91–365; 2025-04-01 (14) in 1–30.
    // A-FEB: 1 Feb – 31 Mar is 59 of 90 days (655.56), due 2025-02-01 (73 days); Q2 due 2025-04-01 (14). A-NEW: prorated 261/365 of 5000.00, due today.
    expect(aging.lessees.find((l) => l.code === 'E-AGE-1')).toEqual({
      code: 'E-AGE-1',
      name: '账龄测试一',
      current: '0.00',
      days1To30: '2000.00',
      days31To90: '655.56',
      days91To365: '3000.00',
      over365: '2000.00',
      total: '7655.56',
    });
    expect(aging.lessees.find((l) => l.code === 'E-AGE-2')).toMatchObject({ current: '3575.34', days1To30: '0.00', total: '3575.34' });
    const farm = aging.farms.find((f) => f.code === world.farm)!;
    expect(farm.total).toBe(aging.total.total);
    const lesseesTotal = aging.lessees.reduce((sum, l) => sum + Math.round(Number(l.total) * 100), 0); // cents, exact in a JS number at this size
    expect(Math.round(Number(farm.total) * 100)).toBe(lesseesTotal);
  });

  it('sums cash received per year: rent, deposits in, deposits and credit returned', async () => {
    const cash = await t.landUseReports.cashByYear();
    const y2025 = cash.find((y) => y.year === 2025)!;
    expect(Number(y2025.rentReceived)).toBeGreaterThan(0);
    expect(y2025.depositsReceived).toBe('3100.00'); // 2000 + 500 + 300 + 300
    expect(y2025.depositsReturned).toBe('716.49'); // 416.49 + 300.00
    expect(cash.map((y) => y.year)).toEqual([...cash.map((y) => y.year)].sort());
  });
});

describe('events (issue 17)', () => {
  it('land_use.receivable_raised per period raised and land_use.late_fee_accrued per run, in the run’s transaction; none when it rolls back', async () => {
    const contract = await activeContract(t, world, 'D-EVENTS', { ...QUARTERLY, lesseeCode: world.lessees[0] });
    const mine = async (mark: string) =>
      (await outboxSince(db.dataSource, mark, ['land_use.receivable_raised', 'land_use.late_fee_accrued'])).filter((e) => e.aggregate.id === 'D-EVENTS');
    const mark = await outboxMark(db.dataSource);
    await rolledBack(db.dataSource, (em) => t.landUseReceivables.runDaily(em, '2025-01-03'));
    expect(await mine(mark)).toEqual([]);
    await runDaily(t, '2025-01-03');
    const events = await mine(mark);
    expect(events.map((e) => [e.type, e.aggregate.type])).toEqual([
      ['land_use.receivable_raised', 'land_use_contract'],
      ['land_use.late_fee_accrued', 'land_use_contract'],
    ]);
    const raised = (await entriesOf(t, 'D-EVENTS', 'LAND_USE_RENT_RAISED'))[0];
    expect(events[0].data).toEqual({
      contract: 'D-EVENTS',
      lessee: contract.lessee.code,
      receivableId: events[0].data.receivableId,
      periodSeq: 1,
      periodStart: '2025-01-01',
      periodEnd: '2025-03-31',
      dueDate: '2025-01-01',
      amount: '1000.00',
      creditApplied: '0.00',
      entryId: raised.id,
    });
    const fees = await entriesOf(t, 'D-EVENTS', 'LAND_USE_LATE_FEE');
    expect(events[1].data).toEqual({
      contract: 'D-EVENTS',
      lessee: contract.lessee.code,
      accruedThrough: '2025-01-03',
      total: '1.00',
      days: [
        { date: '2025-01-02', amount: '0.50', periods: { '1': '0.50' } },
        { date: '2025-01-03', amount: '0.50', periods: { '1': '0.50' } },
      ],
      entryIds: fees.map((f) => f.id),
    });
    // The same day again books nothing, so no event either.
    const again = await outboxMark(db.dataSource);
    await runDaily(t, '2025-01-03');
    expect(await mine(again)).toEqual([]);
  });
});
