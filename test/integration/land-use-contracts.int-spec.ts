import { BANK_CLEARING_ACCOUNT, LandUseContractsService } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import {
  activeContract,
  cancelContract,
  createContract,
  entriesOf,
  equityInput,
  LandUseServices,
  landUseServices,
  LandWorld,
  runDaily,
  seedLandWorld,
  takeStateParcels,
} from '../factories/land-use.factory';
import { createProject, refusal } from '../factories/tickets.factory';
import { expectNumericXlsx } from '../setup/xlsx-check';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let t: LandUseServices;
let world: LandWorld;

beforeAll(async () => {
  t = landUseServices(db.dataSource);
  world = await seedLandWorld(t);
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT (${sql})::int AS n`, params);
  return n;
}

const contractCount = () => count(`SELECT count(*) FROM land_use_contracts`);

describe('the 20-year cap (Civil Code §705)', () => {
  it('accepts a lease of exactly 20 years and refuses 20 years and a day, writing nothing', async () => {
    await expect(createContract(t, world, 'L-20Y', { startDate: '2025-01-01', endDate: '2044-12-31' })).resolves.toMatchObject({ state: 'DRAFT', endDate: '2044-12-31' });
    const before = await contractCount();
    const error = await refusal(createContract(t, world, 'L-20Y1D', { startDate: '2025-01-01', endDate: '2045-01-01' }));
    expect(error).toMatchObject({ code: 'LEASE_TOO_LONG', field: 'endDate', details: { latestEndDate: '2044-12-31' } });
    expect(await contractCount()).toBe(before);
  });

  it('applies the same cap to a concession, not to an equity contract', async () => {
    expect(await refusal(createContract(t, world, 'C-21Y', { mode: 'CONCESSION', startDate: '2025-01-01', endDate: '2045-01-01' }))).toMatchObject({ code: 'LEASE_TOO_LONG' });
    await expect(createContract(t, world, 'C-20Y', { mode: 'CONCESSION', permittedUses: ['TOURISM'], startDate: '2025-01-01', endDate: '2044-12-31' })).resolves.toMatchObject({
      mode: 'CONCESSION',
    });
    await createProject(t, world, 'P-Q25Y');
    const equity = await createContract(t, world, 'Q-25Y', equityInput(world, 'Q-25Y', 'P-Q25Y', { endDate: '2049-12-31', appraisalReference: '晋评报字(2025)第018号' }));
    expect(equity).toMatchObject({
      mode: 'EQUITY',
      rent: null,
      equity: { appraisedValue: '1500000.00', appraisalReference: '晋评报字(2025)第018号', project: 'P-Q25Y', contributionId: null, series: null },
    });
  });

  it('renews by a new contract of at most 20 years linked to the old one, once', async () => {
    const [parcel] = takeStateParcels(world);
    await activeContract(t, world, 'L-OLD', { parcelIds: [parcel], startDate: '2025-01-01', endDate: '2029-12-31' });
    expect(
      await refusal(createContract(t, world, 'L-RENEW-LONG', { parcelIds: [parcel], renewsContractCode: 'L-OLD', startDate: '2030-01-01', endDate: '2050-01-01' })),
    ).toMatchObject({ code: 'LEASE_TOO_LONG' });
    expect(
      await refusal(createContract(t, world, 'L-RENEW-EARLY', { parcelIds: [parcel], renewsContractCode: 'L-OLD', startDate: '2029-06-01', endDate: '2039-12-31' })),
    ).toMatchObject({
      code: 'INVALID_RENEWAL',
      field: 'startDate',
    });
    const renewal = await createContract(t, world, 'L-RENEW', { parcelIds: [parcel], renewsContractCode: 'L-OLD', startDate: '2030-01-01', endDate: '2049-12-31' });
    expect(renewal.renewsContract).toBe('L-OLD');
    expect((await t.landUse.get('L-OLD')).renewedBy).toBe('L-RENEW');
    expect(
      await refusal(createContract(t, world, 'L-RENEW-2', { parcelIds: [parcel], renewsContractCode: 'L-OLD', startDate: '2030-01-01', endDate: '2039-12-31' })),
    ).toMatchObject({ code: 'INVALID_RENEWAL' });
    expect(
      await refusal(createContract(t, world, 'L-RENEW-OTHER', { lesseeCode: world.lessees[1], renewsContractCode: 'L-RENEW', startDate: '2050-01-01', endDate: '2059-12-31' })),
    ).toMatchObject({
      code: 'INVALID_RENEWAL',
    });
  });
});

describe('contract checks', () => {
  it('requires state land: every parcel held by the lessor', async () => {
    const error = await refusal(createContract(t, world, 'L-COLLECTIVE-LAND', { parcelIds: [world.parcelIds[0]] }));
    expect(error).toMatchObject({ code: 'PARCEL_NOT_LESSORS', field: 'parcelIds' });
  });

  it('refuses a parcel under another contract in overlapping dates, and a lessor that is not a state farm', async () => {
    const [parcel] = takeStateParcels(world);
    await createContract(t, world, 'L-BUSY', { parcelIds: [parcel], startDate: '2025-01-01', endDate: '2027-12-31' });
    expect(await refusal(createContract(t, world, 'L-BUSY-2', { parcelIds: [parcel], startDate: '2027-12-31', endDate: '2030-12-31' }))).toMatchObject({
      code: 'PARCEL_IN_OTHER_CONTRACT',
    });
    await expect(createContract(t, world, 'L-AFTER', { parcelIds: [parcel], startDate: '2028-01-01', endDate: '2030-12-31' })).resolves.toMatchObject({ state: 'DRAFT' });
    expect(await refusal(createContract(t, world, 'L-NOT-FARM', { lessorCode: world.collective }))).toMatchObject({ code: 'WRONG_PARTY', field: 'lessorCode' });
    expect(await refusal(createContract(t, world, 'L-AREA', { areaMu: '500.0001' }))).toMatchObject({ code: 'AREA_EXCEEDS_PARCELS' });
    expect(await refusal(createContract(t, world, 'L-USE', { permittedUses: ['OTHER'] }))).toMatchObject({ code: 'INVALID_CONTRACT', field: 'otherUse' });
    expect(await refusal(createContract(t, world, 'L-EQ-RENT', { mode: 'EQUITY', appraisedValue: '1.00', appraisalReference: 'x' }))).toMatchObject({ field: 'rent' });
  });

  it('needs the deposit received before activation, and books it bank → deposit held', async () => {
    await createContract(t, world, 'L-DEP', { deposit: '6000.00' });
    expect(await refusal(inTransaction(t.ds, (em) => t.landUse.activate(em, 'L-DEP')))).toMatchObject({ code: 'DEPOSIT_NOT_RECEIVED' });
    const k = randomUUID();
    await inTransaction(t.ds, (em) => t.landUse.receiveDeposit(em, 'L-DEP', { receivedOn: '2024-12-20', bankReference: 'B-1' }, k));
    await inTransaction(t.ds, (em) => t.landUse.receiveDeposit(em, 'L-DEP', { receivedOn: '2024-12-20', bankReference: 'B-1' }, k)); // a replay
    expect(await refusal(inTransaction(t.ds, (em) => t.landUse.receiveDeposit(em, 'L-DEP', { receivedOn: '2024-12-20', bankReference: 'B-2' }, randomUUID())))).toMatchObject({
      code: 'DEPOSIT_ALREADY_RECEIVED',
    });
    const view = await inTransaction(t.ds, (em) => t.landUse.activate(em, 'L-DEP'));
    expect(view).toMatchObject({ state: 'ACTIVE', deposit: { amount: '6000.00', received: true, held: '6000.00' } });
    expect((await t.ledger.getAccount('land:L-DEP:deposit:CNY')).ownerRef).toBe(`party:${world.lessees[0]}`);
    expect((await t.ledger.getAccount('land:L-DEP:receivable:CNY')).ownerRef).toBe(`party:${world.farm}`);
  });
});

describe('the stored schedule', () => {
  it('compounds 5 % a year over 10 years against a hand-computed table, rounded to the 分 each year', async () => {
    await activeContract(t, world, 'L-ESC', {
      startDate: '2025-01-01',
      endDate: '2034-12-31',
      rent: { kind: 'FIXED', annualAmount: '10000.00' },
      escalation: { kind: 'PERCENT', everyYears: 1, percent: '5' },
    });
    const schedule = await t.landUse.schedule('L-ESC');
    // 10000 × 1.05 = 10500.00; × 1.05 = 11025.00; 11576.25; 12155.0625 → 12155.06; 12762.813 → 12762.81; 13400.9505 → 13400.95;
    // 14070.9975 → 14071.00; 14774.55; 15513.2775 → 15513.28
    expect(schedule.map((p) => [p.seq, p.dueDate, p.contractYear, p.amount, p.state])).toEqual([
      [1, '2025-01-01', 1, '10000.00', 'SCHEDULED'],
      [2, '2026-01-01', 2, '10500.00', 'SCHEDULED'],
      [3, '2027-01-01', 3, '11025.00', 'SCHEDULED'],
      [4, '2028-01-01', 4, '11576.25', 'SCHEDULED'],
      [5, '2029-01-01', 5, '12155.06', 'SCHEDULED'],
      [6, '2030-01-01', 6, '12762.81', 'SCHEDULED'],
      [7, '2031-01-01', 7, '13400.95', 'SCHEDULED'],
      [8, '2032-01-01', 8, '14071.00', 'SCHEDULED'],
      [9, '2033-01-01', 9, '14774.55', 'SCHEDULED'],
      [10, '2034-01-01', 10, '15513.28', 'SCHEDULED'],
    ]);
    expect(schedule[4].calculation).toBe('年租金 12155.06 元 (第 5 合同年)');
  });

  it('steps a per-亩 rent every 3 years, billed half-yearly', async () => {
    await activeContract(t, world, 'L-STEP', {
      areaMu: '400.0000',
      startDate: '2025-01-01',
      endDate: '2031-12-31',
      rent: { kind: 'PER_MU', ratePerMuYear: '30.00' },
      escalation: { kind: 'STEP', everyYears: 3, step: '1200.00' },
      billingFrequency: 'SEMI_ANNUAL',
    });
    const amounts = (await t.landUse.schedule('L-STEP')).map((p) => p.amount);
    expect(amounts).toEqual([...Array(6).fill('6000.00'), ...Array(6).fill('6600.00'), '7200.00', '7200.00']);
  });

  it('prorates the first and the last periods by days of their calendar period', async () => {
    await activeContract(t, world, 'L-PRO-A', { startDate: '2025-03-15', endDate: '2027-06-30', rent: { kind: 'FIXED', annualAmount: '36500.00' } });
    expect((await t.landUse.schedule('L-PRO-A')).map((p) => [p.periodStart, p.periodEnd, p.dueDate, p.days, p.periodDays, p.amount])).toEqual([
      ['2025-03-15', '2025-12-31', '2025-03-15', 292, 365, '29200.00'],
      ['2026-01-01', '2026-12-31', '2026-01-01', 365, 365, '36500.00'],
      ['2027-01-01', '2027-06-30', '2027-01-01', 181, 365, '18100.00'],
    ]);
    // Quarterly: 9125.00 a quarter; 10 Feb – 31 Mar is 50 of 90 days (5069.444…), 1 Oct – 20 Nov 51 of 92 (5058.423…).
    await activeContract(t, world, 'L-PRO-Q', { startDate: '2025-02-10', endDate: '2025-11-20', rent: { kind: 'FIXED', annualAmount: '36500.00' }, billingFrequency: 'QUARTERLY' });
    const quarterly = await t.landUse.schedule('L-PRO-Q');
    expect(quarterly.map((p) => [p.periodStart, p.periodEnd, p.days, p.periodDays, p.amount])).toEqual([
      ['2025-02-10', '2025-03-31', 50, 90, '5069.44'],
      ['2025-04-01', '2025-06-30', 91, 91, '9125.00'],
      ['2025-07-01', '2025-09-30', 92, 92, '9125.00'],
      ['2025-10-01', '2025-11-20', 51, 92, '5058.42'],
    ]);
    expect(quarterly[0].calculation).toBe('年租金 36500.00 元 (第 1 合同年) ÷ 4 = 9125.00 × 50/90 天 = 5069.44');
  });

  it('counts 366 days in a leap year (a schedule spanning 29 February)', async () => {
    // One whole contract year: January 2025 closes it and bills the rest of its rent (was 31/365 = 3108.49, the year 36,608.49).
    await activeContract(t, world, 'L-LEAP', { startDate: '2024-02-01', endDate: '2025-01-31', rent: { kind: 'FIXED', annualAmount: '36600.00' } });
    expect((await t.landUse.schedule('L-LEAP')).map((p) => [p.periodStart, p.periodEnd, p.days, p.periodDays, p.amount])).toEqual([
      ['2024-02-01', '2024-12-31', 335, 366, '33500.00'],
      ['2025-01-01', '2025-01-31', 31, 365, '3100.00'],
    ]);
    await activeContract(t, world, 'L-LEAP-Q', {
      startDate: '2024-01-01',
      endDate: '2024-12-31',
      rent: { kind: 'FIXED', annualAmount: '36600.00' },
      billingFrequency: 'QUARTERLY',
    });
    expect((await t.landUse.schedule('L-LEAP-Q')).map((p) => [p.periodDays, p.amount])).toEqual([
      [91, '9150.00'],
      [91, '9150.00'],
      [92, '9150.00'],
      [92, '9150.00'],
    ]);
  });

  it('stores no schedule for an equity contract, and the daily job leaves it alone', async () => {
    await createProject(t, world, 'P-QEQ');
    await activeContract(t, world, 'Q-EQ', equityInput(world, 'Q-EQ', 'P-QEQ', { endDate: '2034-12-31', appraisedValue: '800000.00', appraisalReference: '评估报告 2025-07' }));
    expect(await t.landUse.schedule('Q-EQ')).toEqual([]);
    await runDaily(t, '2023-12-31'); // before any contract's first due date: nothing else is raised
    expect(await count(`SELECT count(*) FROM ledger_entries WHERE metadata ->> 'contract' = 'Q-EQ'`)).toBe(0);
    expect(
      await refusal(inTransaction(t.ds, (em) => t.landUseReceivables.recordPayment(em, 'Q-EQ', { amount: '1.00', receivedOn: '2025-06-30', bankReference: 'x' }, randomUUID()))),
    ).toMatchObject({ code: 'NOT_RENTED' });
  });
});

describe('the register', () => {
  it('lists every contract with totals per mode, as JSON and in the workbook', async () => {
    const register = await t.landUseReports.register();
    const esc = register.lines.find((l) => l.code === 'L-ESC')!;
    expect(esc).toMatchObject({ mode: 'LEASE', state: 'ACTIVE', scheduledRent: '125778.90', outstanding: '0.00', appraisedValue: null });
    const equity = register.totals.find((m) => m.mode === 'EQUITY')!;
    expect(equity).toMatchObject({ contracts: 2, appraisedValue: '2300000.00', scheduledRent: '0.00' });
    const lease = register.totals.find((m) => m.mode === 'LEASE')!;
    expect(lease.contracts).toBe(register.lines.filter((l) => l.mode === 'LEASE').length);
    expect(lease.depositHeld).toBe('6000.00');
    const { fileName, buffer } = await t.landUseReports.reportsWorkbook('2025-06-30');
    expect(fileName).toBe('国有林地有偿使用报表-2025-06-30.xlsx');
    const book = await expectNumericXlsx(buffer, ['账龄-承租方', '账龄-林场']);
    expect(book.worksheets.map((s) => s.name)).toEqual(['账龄-承租方', '账龄-林场', '合同台账', '年度收款']);
    expect(book.getWorksheet('合同台账')!.rowCount).toBe(1 + register.lines.length + 3);
  });
});

describe('cancelling a draft', () => {
  const entriesFor = (code: string) => count(`SELECT count(*) FROM ledger_entries WHERE metadata ->> 'contract' = $1`, [code]);

  it('cancels a draft without a deposit: CANCELLED with the reason, no entry, its parcels free again', async () => {
    const [parcel] = takeStateParcels(world);
    await createContract(t, world, 'X-PLAIN', { parcelIds: [parcel] });
    const cancelled = await cancelContract(t, 'X-PLAIN', '承租方放弃签约');
    expect(cancelled).toMatchObject({ state: 'CANCELLED', cancellationReason: '承租方放弃签约', terminatedOn: null, deposit: { received: false, held: '0.00' } });
    expect(cancelled.closedAt).not.toBeNull();
    expect(cancelled.settlement).toMatchObject({ depositHeld: '0.00', depositReturned: '0.00', remainingOwed: '0.00' });
    expect(await entriesFor('X-PLAIN')).toBe(0);
    await expect(createContract(t, world, 'X-PLAIN-NEXT', { parcelIds: [parcel] })).resolves.toMatchObject({ state: 'DRAFT' });
    expect(await refusal(inTransaction(t.ds, (em) => t.landUse.activate(em, 'X-PLAIN')))).toMatchObject({ code: 'CONTRACT_NOT_DRAFT' });
  });

  it('returns a deposit already received in the same transaction: one entry deposit → bank, the deposit account back to 0.00', async () => {
    await createContract(t, world, 'X-DEP', { deposit: '6000.00' });
    await inTransaction(t.ds, (em) => t.landUse.receiveDeposit(em, 'X-DEP', { receivedOn: '2024-12-20', bankReference: 'B-X-DEP' }, randomUUID()));
    expect((await t.ledger.getAccount('land:X-DEP:deposit:CNY')).balance).toBe('6000.00');
    const k = randomUUID();
    const cancelled = await cancelContract(t, 'X-DEP', '规划调整，合同未生效', k);
    expect(cancelled).toMatchObject({ state: 'CANCELLED', deposit: { amount: '6000.00', received: true, held: '0.00' } });
    expect(cancelled.settlement).toMatchObject({
      key: k,
      depositHeld: '6000.00',
      depositApplied: '0.00',
      depositReturned: '6000.00',
      depositForfeited: '0.00',
      remainingOwed: '0.00',
    });
    expect((await t.ledger.getAccount('land:X-DEP:deposit:CNY')).balance).toBe('0.00');
    const returned = (await entriesOf(t, 'X-DEP', 'LAND_USE_DEPOSIT_SETTLED')).map(({ key, date, amount }) => ({ key, date, amount }));
    expect(returned).toEqual([{ key: `land-use-close:${k}:deposit`, date: (cancelled.settlement as { closedOn: string }).closedOn, amount: '6000.00' }]);
    const postings = await t.ds.query<Array<{ code: string; side: string; amount: string }>>(
      `SELECT a.code, p.side, p.amount::text AS amount FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id JOIN ledger_accounts a ON a.id = p.account_id WHERE e.idempotency_key = $1 ORDER BY p.side`,
      [`land-use-close:${k}:deposit`],
    );
    expect(postings).toEqual([
      { code: BANK_CLEARING_ACCOUNT, side: 'CREDIT', amount: '6000.00' },
      { code: 'land:X-DEP:deposit:CNY', side: 'DEBIT', amount: '6000.00' },
    ]);

    // A replay (same key) answers the same and books nothing more; another cancellation is refused.
    expect(await cancelContract(t, 'X-DEP', '规划调整，合同未生效', k)).toEqual(cancelled);
    expect(await entriesFor('X-DEP')).toBe(2);
    expect(await refusal(cancelContract(t, 'X-DEP', '再次取消'))).toMatchObject({ code: 'CONTRACT_NOT_CANCELLABLE', field: 'contract' });
    expect(await refusal(inTransaction(t.ds, (em) => t.landUse.receiveDeposit(em, 'X-DEP', { receivedOn: '2024-12-21', bankReference: 'B-X-DEP-2' }, randomUUID())))).toMatchObject(
      {
        code: 'DEPOSIT_ALREADY_RECEIVED',
      },
    );
  });

  it('refuses to cancel an active contract (terminate it instead), writing nothing', async () => {
    await activeContract(t, world, 'X-ACTIVE', { deposit: '1000.00' });
    const before = await entriesFor('X-ACTIVE');
    const error = await refusal(cancelContract(t, 'X-ACTIVE'));
    expect(error).toMatchObject({ code: 'CONTRACT_NOT_CANCELLABLE', kind: 'conflict', field: 'contract', details: { state: 'ACTIVE' } });
    expect(error.message).toContain('terminate');
    expect(await entriesFor('X-ACTIVE')).toBe(before);
    expect((await t.landUse.get('X-ACTIVE')).state).toBe('ACTIVE');
    expect(await refusal(cancelContract(t, 'X-ACTIVE', ' '))).toMatchObject({ code: 'CONTRACT_NOT_CANCELLABLE' });
  });

  it('needs a reason', async () => {
    await createContract(t, world, 'X-NO-REASON');
    expect(await refusal(cancelContract(t, 'X-NO-REASON', ' '))).toMatchObject({ code: 'INVALID_CONTRACT', field: 'reason' });
    expect((await t.landUse.get('X-NO-REASON')).state).toBe('DRAFT');
  });
});

describe('the register and cancelled drafts', () => {
  it('lists a cancelled draft with its state but leaves it out of the totals per mode, counting it in `cancelled`', async () => {
    const leaseTotal = async () => {
      const register = await t.landUseReports.register();
      return { register, lease: register.totals.find((m) => m.mode === 'LEASE')! };
    };
    const { lease: before } = await leaseTotal();
    expect(before.cancelled).toBeGreaterThan(0); // X-PLAIN, X-DEP above
    const [parcel] = takeStateParcels(world);
    await createContract(t, world, 'X-REG', { parcelIds: [parcel], areaMu: '123.4567', deposit: '2500.00' });
    await inTransaction(t.ds, (em) => t.landUse.receiveDeposit(em, 'X-REG', { receivedOn: '2024-12-20', bankReference: 'B-X-REG' }, randomUUID()));
    const { lease: draft } = await leaseTotal();
    expect(draft).toMatchObject({
      contracts: before.contracts + 1,
      cancelled: before.cancelled,
      areaMu: new Dec(before.areaMu).plus('123.4567').toFixed(4),
      depositHeld: new Dec(before.depositHeld).plus('2500').toFixed(2),
    });

    await cancelContract(t, 'X-REG');
    const { register, lease: after } = await leaseTotal();
    expect(register.lines.find((l) => l.code === 'X-REG')).toMatchObject({ mode: 'LEASE', state: 'CANCELLED', areaMu: '123.4567', depositHeld: '0.00' });
    expect(after).toEqual({ ...before, cancelled: before.cancelled + 1 });
    for (const total of register.totals) {
      const lines = register.lines.filter((l) => l.mode === total.mode);
      expect([total.contracts, total.cancelled]).toEqual([lines.filter((l) => l.state !== 'CANCELLED').length, lines.filter((l) => l.state === 'CANCELLED').length]);
      expect(total.areaMu).toBe(
        lines
          .filter((l) => l.state !== 'CANCELLED')
          .reduce((s, l) => s.plus(l.areaMu), new Dec(0))
          .toFixed(4),
      );
    }
  });
});

describe('listing contracts', () => {
  const partyId = async (code: string) => (await t.ds.query<Array<{ id: string }>>(`SELECT id::text AS id FROM parties WHERE code = $1`, [code]))[0].id;
  const codes = async (where: string, params: unknown[] = []) =>
    (await t.ds.query<Array<{ code: string }>>(`SELECT c.code FROM land_use_contracts c WHERE ${where} ORDER BY c.code`, params)).map((r) => r.code);

  it('lists every contract by code, each as its own read shows it, in a fixed number of queries', async () => {
    const spy = jest.spyOn(t.ds.manager, 'query');
    const listed = await t.landUse.list({}, null);
    const queries = spy.mock.calls.length;
    spy.mockRestore();
    expect(listed.length).toBeGreaterThan(20);
    expect(queries).toBeLessThanOrEqual(6);
    expect(listed.map((v) => v.code)).toEqual(await codes('true'));
    expect(new Set(listed.map((v) => v.mode))).toEqual(new Set(['LEASE', 'CONCESSION', 'EQUITY']));
    for (const view of listed) expect(view).toEqual(await t.landUse.get(view.code));
  });

  it('filters by state, mode and party (lessor or lessee)', async () => {
    const listed = async (filter: Parameters<LandUseContractsService['list']>[0]) => (await t.landUse.list(filter, null)).map((v) => v.code);
    expect(await listed({ state: 'CANCELLED' })).toEqual(await codes(`c.state = 'CANCELLED'`));
    expect(await listed({ mode: 'EQUITY' })).toEqual(await codes(`c.mode = 'EQUITY'`));
    expect(await listed({ state: 'ACTIVE', mode: 'LEASE' })).toEqual(await codes(`c.state = 'ACTIVE' AND c.mode = 'LEASE'`));
    const lessee = await partyId(world.lessees[1]);
    expect(await listed({ party: world.lessees[1] })).toEqual(await codes(`c.lessee_party_id = $1::bigint`, [lessee]));
    expect(await listed({ party: world.farm })).toEqual(await codes('true'));
    expect(await listed({ party: 'NOBODY' })).toEqual([]);
  });

  it("a farm's scope sees only the contracts it lets; any other contract is UNKNOWN_CONTRACT, like an unknown code", async () => {
    const farm = { lessorPartyId: await partyId(world.farm) };
    const other = { lessorPartyId: await partyId(world.lessees[0]) };
    expect((await t.landUse.list({}, farm)).map((v) => v.code)).toEqual(await codes('true'));
    expect(await t.landUse.list({}, other)).toEqual([]);
    expect(await t.landUse.list({}, { lessorPartyId: '0' })).toEqual([]);
    await expect(t.landUse.assertInScope('L-ESC', farm)).resolves.toBeUndefined();
    await expect(t.landUse.assertInScope('L-NONE', null)).resolves.toBeUndefined();
    for (const [code, scope] of [
      ['L-ESC', other],
      ['L-NONE', farm],
    ] as const) {
      expect(await refusal(t.landUse.assertInScope(code, scope))).toMatchObject({ code: 'UNKNOWN_CONTRACT', kind: 'not-found', field: 'contract' });
    }
  });
});
