import { AccessService } from '@forest-ledger/access';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { Dec } from '@forest-ledger/ledger';
import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { activeContract, landUseServices, LandUseServices, LandWorld, seedLandWorld, takeStateParcels } from '../factories/land-use.factory';
import { contributeInKind, createProject } from '../factories/tickets.factory';
import { contractOf } from '../setup/contract';
import { apiClient, binary } from '../setup/http-client';
import { createTestApp, tokenFor } from '../setup/test-app';
import { assertLedgerInvariants } from '../setup/invariants';
import { expectNumericXlsx } from '../setup/xlsx-check';
import { useTestDatabase } from '../setup/test-database';

/**
 * Paid use of state forest land (国有林地有偿使用, issue 8) over HTTP: a lease (the 20-year cap),
 * its deposit, activation and schedule, the daily job run twice, a payment settling the oldest
 * first, the four-eyes late-fee waiver, early termination applying the deposit, the aging report
 * as JSON and Excel, replays, bad input that writes nothing, and who may do what; an EQUITY contract
 * into a cooperation project (its stake booked at activation) and the cancellation of drafts.
 */

const db = useTestDatabase();
let app: ApiApplication;
let t: LandUseServices;
let world: LandWorld;
const token: Record<string, string> = {};

const C1 = 'GYLD-HTTP-001';
/** Created through the library by world.creator, an APPROVER: the four-eyes rule, not the role, refuses its waivers. */
const C2 = 'GYLD-LIB-002';

interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}

const { post, get } = apiClient(
  () => app,
  (role) => token[role],
  // Every answer is checked against the OpenAPI document (issue 20, item 10).
  contractOf(() => app),
);

async function footprint(): Promise<Record<string, number>> {
  const [row] = await t.ds.query<Array<Record<string, number>>>(
    `SELECT (SELECT count(*)::int FROM ledger_entries) AS entries, (SELECT count(*)::int FROM land_use_contracts) AS contracts,
            (SELECT count(*)::int FROM land_use_periods) AS periods, (SELECT count(*)::int FROM land_use_receivables) AS receivables`,
  );
  return row;
}

async function refused(path: string, body: object, status: number, code: string, field?: string, role = 'ADMIN'): Promise<ErrorBody> {
  const res = await post(path, body, role).expect(status);
  const error = res.body as ErrorBody;
  expect([path, error.code, error.field]).toEqual([path, code, field ?? error.field]);
  return error;
}

/** A 10-year LEASE of one state parcel (500 亩; 100 亩 used) to the first lessee: 12,000.00 a year billed annually in advance, a 5,000.00 deposit. */
function leaseBody(code: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    code,
    lessorCode: world.farm,
    lesseeCode: world.lessees[0],
    mode: 'LEASE',
    parcelIds: takeStateParcels(world),
    areaMu: '100.0000',
    permittedUses: ['FOREST_WELLNESS', 'NATURE_EDUCATION'],
    startDate: '2025-01-01',
    endDate: '2034-12-31',
    rent: { kind: 'FIXED', annualAmount: '12000.00' },
    billingFrequency: 'ANNUAL',
    deposit: '5000.00',
    ...overrides,
  };
}

beforeAll(async () => {
  app = await createTestApp(db);
  t = landUseServices(app.get(DataSource));
  world = await seedLandWorld(t, { stateParcels: 20 });
  token.ADMIN = await tokenFor(app, 'ADMIN');
  token.APPROVER = await tokenFor(app, 'APPROVER');
  token.AUDITOR = await tokenFor(app, 'AUDITOR');
  token.FARM_OPERATOR = (await app.get(AccessService).tokenFor(world.operator.userId)).accessToken;
  token.OTHER_OPERATOR = await tokenFor(app, 'FARM_OPERATOR', world.lessees[1]);
  token.VILLAGER = await tokenFor(app, 'VILLAGER', world.villagers[0]);
  token.CREATOR = (await app.get(AccessService).tokenFor(world.creator.userId)).accessToken;
  await activeContract(t, world, C2, { lesseeCode: world.lessees[1] });
});
afterAll(() => app?.close());

describe('state forest land over HTTP', () => {
  it('refuses a lease of 21 years (422 naming endDate) and bad input (400 naming the field), writing nothing', async () => {
    const before = await footprint();
    const tooLong = await refused('/v1/land-use-contracts', leaseBody('GYLD-BAD-1', { endDate: '2045-12-31' }), 422, 'LEASE_TOO_LONG', 'endDate');
    expect(tooLong.message).toContain('2044-12-31');
    await refused('/v1/land-use-contracts', leaseBody('GYLD-BAD-2', { areaMu: 100 }), 400, 'VALIDATION_FAILED', 'areaMu');
    await refused('/v1/land-use-contracts', leaseBody('GYLD-BAD-3', { endDate: '2034-02-30' }), 400, 'VALIDATION_FAILED', 'endDate');
    await refused('/v1/land-use-contracts', leaseBody('GYLD-BAD-4', { mode: 'SALE' }), 400, 'VALIDATION_FAILED', 'mode');
    await refused('/v1/land-use-contracts', leaseBody('GYLD-BAD-5', { extra: 1 }), 400, 'VALIDATION_FAILED', 'extra');
    await refused('/v1/land-use-contracts', leaseBody('gyld-lower'), 400, 'VALIDATION_FAILED', 'code');
    await refused('/v1/land-use-contracts', leaseBody('GYLD-BAD-6', { areaMu: '500.0001' }), 422, 'AREA_EXCEEDS_PARCELS', 'areaMu');
    await refused(`/v1/land-use-contracts/${C2}/payments`, { amount: '-1.00', receivedOn: '2025-01-05', bankReference: 'X' }, 400, 'VALIDATION_FAILED', 'amount');
    await refused(`/v1/land-use-contracts/${C2}/payments`, { amount: '1.00', receivedOn: '2025-01-32', bankReference: 'X' }, 400, 'VALIDATION_FAILED', 'receivedOn');
    await refused('/v1/land-use-jobs/daily', { asOf: '2025/01/01' }, 400, 'VALIDATION_FAILED', 'asOf');
    expect(await footprint()).toEqual(before);
  });

  it('creates a lease (a replay returns the same body), receives the deposit, activates it and shows the schedule with its calculations', async () => {
    const key = randomUUID();
    const body = leaseBody(C1);
    const created = await post('/v1/land-use-contracts', body, 'FARM_OPERATOR', key).expect(201);
    expect(created.body).toMatchObject({
      code: C1,
      mode: 'LEASE',
      state: 'DRAFT',
      lessor: { code: world.farm },
      lessee: { code: world.lessees[0] },
      areaMu: '100.0000',
      deposit: { amount: '5000.00', received: false },
    });
    const replay = await post('/v1/land-use-contracts', body, 'FARM_OPERATOR', key).expect(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(created.body);
    expect((await post('/v1/land-use-contracts', { ...body, areaMu: '99.0000' }, 'FARM_OPERATOR', key).expect(409)).body.code).toBe('IDEMPOTENCY_CONFLICT');

    const deposit = await post(`/v1/land-use-contracts/${C1}/deposit`, { receivedOn: '2025-01-01', bankReference: 'DEP-HTTP-1' }).expect(200);
    expect(deposit.body.deposit).toEqual({ amount: '5000.00', received: true, held: '5000.00' });
    const active = await post(`/v1/land-use-contracts/${C1}/activate`, {}).expect(200);
    expect(active.body.state).toBe('ACTIVE');

    const schedule = (await get(`/v1/land-use-contracts/${C1}/schedule`, 'AUDITOR').expect(200)).body as Array<{
      seq: number;
      dueDate: string;
      amount: string;
      calculation: string;
      state: string;
    }>;
    expect(schedule).toHaveLength(10);
    expect(schedule[0]).toMatchObject({ seq: 1, dueDate: '2025-01-01', amount: '12000.00', state: 'SCHEDULED' });
    expect(schedule[9]).toMatchObject({ seq: 10, amount: '12000.00' });
    expect(schedule.every((p) => p.calculation.length > 0)).toBe(true);
  });

  it('run-daily raises each receivable once (run twice) and accrues late fees', async () => {
    const first = await post('/v1/land-use-jobs/daily', { asOf: '2025-01-01' }).expect(200);
    expect(first.body).toMatchObject({ asOf: '2025-01-01', contracts: 2, raised: 2 });
    const second = await post('/v1/land-use-jobs/daily', { asOf: '2025-01-01' }).expect(200);
    expect(second.body).toMatchObject({ raised: 0, lateFeeEntries: 0, lateFees: '0.00' });
    // 2025-01-02 … 2025-03-01: 59 days × 12,000.00 × 0.05 % = 354.00 per contract.
    const fees = await post('/v1/land-use-jobs/daily', { asOf: '2025-03-01' }).expect(200);
    expect(fees.body).toMatchObject({ raised: 0, lateFees: '708.00' });
    expect((await get(`/v1/land-use-contracts/${C1}`).expect(200)).body.receivable).toBe('12354.00');
  });

  it('a waiver by the contract creator is refused; another APPROVER waives with a reason', async () => {
    const before = await footprint();
    const own = await post(`/v1/land-use-contracts/${C2}/late-fee-waivers`, { periodSeq: 1, amount: '100.00', reason: '自己批准' }, 'CREATOR').expect(403);
    expect(own.body.code).toBe('NOT_AN_APPROVER');
    expect(await footprint()).toEqual(before);
    const waived = await post(`/v1/land-use-contracts/${C2}/late-fee-waivers`, { periodSeq: 1, amount: '100.00', reason: '疫情期间减免' }, 'APPROVER').expect(201);
    expect(waived.body).toMatchObject({ contract: C2, periodSeq: 1, amount: '100.00', lateFeeOutstanding: '254.00', replayed: false });
  });

  it('a payment settles the oldest open receivable first, late fee before principal', async () => {
    await post('/v1/land-use-jobs/daily', { asOf: '2026-01-10' }).expect(200);
    const paid = await post(`/v1/land-use-contracts/${C1}/payments`, { amount: '15000.00', receivedOn: '2026-01-10', bankReference: 'PAY-HTTP-1' }).expect(201);
    const lines = paid.body.settlement.lines as Array<{ seq: number; kind: string; amount: string }>;
    expect(lines.map((l) => [l.seq, l.kind])).toEqual([
      [1, 'LATE_FEE'],
      [1, 'PRINCIPAL'],
      [2, 'LATE_FEE'],
      [2, 'PRINCIPAL'],
    ]);
    expect(lines[1].amount).toBe('12000.00');
    expect(lines.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2)).toBe('15000.00');
    const schedule = (await get(`/v1/land-use-contracts/${C1}/schedule`).expect(200)).body as Array<{ principalOutstanding: string; lateFeeOutstanding: string }>;
    expect([schedule[0].principalOutstanding, schedule[0].lateFeeOutstanding]).toEqual(['0.00', '0.00']);
  });

  it('early termination applies the deposit and reports what remains owed', async () => {
    const ended = await post(`/v1/land-use-contracts/${C1}/termination`, { terminatedOn: '2026-06-30', reason: '承租方经营调整', deposit: 'RETURN' }, 'FARM_OPERATOR').expect(200);
    expect(ended.body).toMatchObject({ code: C1, state: 'TERMINATED', terminatedOn: '2026-06-30', deposit: { held: '0.00' } });
    const settlement = ended.body.settlement as { depositApplied: string; depositReturned: string; remainingOwed: string };
    expect(settlement.depositApplied).toBe('5000.00');
    expect(settlement.depositReturned).toBe('0.00');
    expect(new Dec(settlement.remainingOwed).gt(0)).toBe(true);
  });

  it('reports aging per lessee and per farm as JSON and the workbook as .xlsx', async () => {
    const aging = (await get('/v1/land-use-reports/aging?asOf=2026-06-30', 'AUDITOR').expect(200)).body as {
      lessees: Array<Record<string, string>>;
      farms: Array<Record<string, string>>;
      total: Record<string, string>;
    };
    expect(aging.farms.map((f) => f.code)).toEqual([world.farm]);
    expect(aging.lessees.map((l) => l.code).sort()).toEqual([...world.lessees].sort());
    const buckets = ['current', 'days1To30', 'days31To90', 'days91To365', 'over365'];
    expect(buckets.reduce((s, b) => s.plus(aging.total[b]), new Dec(0)).toFixed(2)).toBe(aging.total.total);
    expect(new Dec(aging.total.total).gt(0)).toBe(true);
    expect((await get('/v1/land-use-reports/register', 'APPROVER').expect(200)).body.lines).toHaveLength(2);
    expect((await get('/v1/land-use-reports/cash', 'AUDITOR').expect(200)).body.length).toBeGreaterThan(0);

    const res = await get('/v1/land-use-reports/workbook.xlsx?asOf=2026-06-30', 'AUDITOR').buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(new Uint8Array(res.body as Buffer).buffer);
    expect(book.worksheets.length).toBeGreaterThanOrEqual(3);
    expect((await get('/v1/land-use-reports/aging?asOf=2026-02-30', 'AUDITOR').expect(400)).body.field).toBe('asOf');
  });

  it('checks roles: readers, the farm operator of the lessor only, APPROVER waivers, ADMIN job runs', async () => {
    const before = await footprint();
    await get('/v1/land-use-contracts', 'VILLAGER').expect(403);
    await get('/v1/land-use-reports/aging', 'FARM_OPERATOR').expect(403);
    await post('/v1/land-use-contracts', leaseBody('GYLD-ROLE-1'), 'AUDITOR').expect(403);
    await refused('/v1/land-use-contracts', leaseBody('GYLD-ROLE-2', { lessorCode: world.lessees[1] }), 403, 'FORBIDDEN', 'lessorCode', 'FARM_OPERATOR');
    await post(`/v1/land-use-contracts/${C2}/late-fee-waivers`, { periodSeq: 1, reason: 'x' }, 'ADMIN').expect(403);
    await post('/v1/land-use-jobs/daily', {}, 'APPROVER').expect(403);
    await post(`/v1/land-use-contracts/${C2}/payments`, { amount: '1.00', receivedOn: '2026-01-10', bankReference: 'X' }, 'OTHER_OPERATOR').expect(404);
    await get(`/v1/land-use-contracts/${C2}`, 'OTHER_OPERATOR').expect(404);
    expect(await footprint()).toEqual(before);
    expect((await get('/v1/land-use-contracts', 'OTHER_OPERATOR').expect(200)).body).toEqual([]);
    expect((await get('/v1/land-use-contracts', 'FARM_OPERATOR').expect(200)).body.map((c: { code: string }) => c.code)).toEqual([C2, C1].sort());
    expect((await get(`/v1/land-use-contracts/${C1}`, 'FARM_OPERATOR').expect(200)).body.state).toBe('TERMINATED');
  });
});

describe('equity and cancellation over HTTP', () => {
  const P = 'EQ-HTTP';
  const Q = 'GYLD-EQ-001';

  /** An EQUITY contract of one state parcel into project P: the collective is the lessee, 1,500,000.00 appraised. */
  const equityBody = (code: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const { rent: _rent, billingFrequency: _frequency, deposit: _deposit, ...lease } = leaseBody(code);
    return {
      ...lease,
      mode: 'EQUITY',
      lesseeCode: world.collective,
      endDate: '2044-12-31',
      appraisedValue: '1500000.00',
      appraisalReference: '晋评报字(2025)第031号',
      projectCode: P,
      ...overrides,
    };
  };
  const contributionsOfP = async () =>
    (await t.ds.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM project_contributions c JOIN coop_projects p ON p.id = c.project_id WHERE p.code = $1`, [P]))[0].n;

  beforeAll(async () => {
    await createProject(t, world, P);
    await contributeInKind(t, P, world.collective, '900000.00');
  });

  it('refuses an EQUITY contract without projectCode, a LEASE with one, and a malformed one (400 naming projectCode), writing nothing', async () => {
    const before = await footprint();
    const missing = await refused('/v1/land-use-contracts', equityBody('GYLD-EQ-BAD-1', { projectCode: undefined }), 400, 'INVALID_CONTRACT', 'projectCode');
    expect(missing.message).toContain('projectCode');
    await refused('/v1/land-use-contracts', leaseBody('GYLD-EQ-BAD-2', { projectCode: P }), 400, 'INVALID_CONTRACT', 'projectCode');
    await refused('/v1/land-use-contracts', equityBody('GYLD-EQ-BAD-3', { projectCode: 'eq http' }), 400, 'VALIDATION_FAILED', 'projectCode');
    await refused('/v1/land-use-contracts', equityBody('GYLD-EQ-BAD-4', { projectCode: 'NO-SUCH' }), 404, 'UNKNOWN_PROJECT', 'projectCode');
    await refused('/v1/land-use-contracts', equityBody('GYLD-EQ-BAD-5', { lesseeCode: world.lessees[0] }), 422, 'NOT_THE_PROJECTS_PARTY', 'lesseeCode');
    expect(await footprint()).toEqual(before);
  });

  it('creates an EQUITY contract with projectCode; activation books the stake once (a replay returns the same body)', async () => {
    const created = await post('/v1/land-use-contracts', equityBody(Q), 'FARM_OPERATOR').expect(201);
    expect(created.body).toMatchObject({
      code: Q,
      mode: 'EQUITY',
      state: 'DRAFT',
      lessee: { code: world.collective },
      rent: null,
      equity: { project: P, contributionId: null, series: null },
    });
    const key = randomUUID();
    const active = await post(`/v1/land-use-contracts/${Q}/activate`, {}, 'FARM_OPERATOR', key).expect(200);
    expect(active.body).toMatchObject({ state: 'ACTIVE', equity: { appraisedValue: '1500000.00', appraisalReference: '晋评报字(2025)第031号', project: P, series: null } });
    expect(active.body.equity.contributionId).toMatch(/^\d+$/);
    const replay = await post(`/v1/land-use-contracts/${Q}/activate`, {}, 'FARM_OPERATOR', key).expect(200);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(active.body);
    expect((await post(`/v1/land-use-contracts/${Q}/activate`, {}, 'FARM_OPERATOR').expect(422)).body.code).toBe('CONTRACT_NOT_DRAFT');
    expect(await contributionsOfP()).toBe(2);
    const project = (await get(`/v1/projects/${P}`).expect(200)).body as { contributions: Array<{ partyCode: string; kind: string; amount: string; valuationDocument: string }> };
    expect(project.contributions.find((c) => c.partyCode === world.farm)).toMatchObject({ kind: 'IN_KIND_LAND', amount: '1500000.00', valuationDocument: '晋评报字(2025)第031号' });
  });

  it('cancels a draft with a received deposit: the deposit goes back, a replay returns the same body', async () => {
    const code = 'GYLD-CANCEL-1';
    await post('/v1/land-use-contracts', leaseBody(code), 'FARM_OPERATOR').expect(201);
    await post(`/v1/land-use-contracts/${code}/deposit`, { receivedOn: '2025-01-01', bankReference: 'DEP-CANCEL-1' }).expect(200);
    await post(`/v1/land-use-contracts/${code}/cancel`, { reason: '取消' }, 'AUDITOR').expect(403);
    await refused(`/v1/land-use-contracts/${code}/cancel`, {}, 400, 'VALIDATION_FAILED', 'reason');
    const key = randomUUID();
    const cancelled = await post(`/v1/land-use-contracts/${code}/cancel`, { reason: '承租方未取得经营许可' }, 'FARM_OPERATOR', key).expect(200);
    expect(cancelled.body).toMatchObject({ code, state: 'CANCELLED', cancellationReason: '承租方未取得经营许可', deposit: { amount: '5000.00', received: true, held: '0.00' } });
    expect(cancelled.body.settlement).toMatchObject({ depositHeld: '5000.00', depositReturned: '5000.00', remainingOwed: '0.00' });
    const replay = await post(`/v1/land-use-contracts/${code}/cancel`, { reason: '承租方未取得经营许可' }, 'FARM_OPERATOR', key).expect(200);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(cancelled.body);
    expect((await get(`/v1/land-use-contracts?state=CANCELLED`).expect(200)).body.map((c: { code: string }) => c.code)).toEqual([code]);
  });

  it("refuses to cancel an active contract (409, terminate instead) and another farm's contract (404)", async () => {
    const before = await footprint();
    const error = await refused(`/v1/land-use-contracts/${C2}/cancel`, { reason: '取消' }, 409, 'CONTRACT_NOT_CANCELLABLE', 'contract');
    expect(error.message).toContain('terminate');
    await refused(`/v1/land-use-contracts/${C2}/cancel`, { reason: '取消' }, 404, 'UNKNOWN_CONTRACT', 'contract', 'OTHER_OPERATOR');
    expect(await footprint()).toEqual(before);
  });
});

describe('rent schedules by contract year over HTTP (issue 13)', () => {
  interface Part {
    contractYear: number;
    partStart: string;
    partEnd: string;
    days: number;
    annualRent: string;
    amount: string;
    basis: string;
  }
  interface Period {
    seq: number;
    periodStart: string;
    periodEnd: string;
    contractYear: number;
    amount: string;
    calculation: string;
    state: string;
    parts: Part[];
  }
  const E5 = 'GYLD-ESC-5Y';
  /** 12,000.00 a year from 2026-02-15, +5 % a year, quarterly in advance, 5 years; no deposit, no late fee (the figures are the rent's). */
  const escalatingBody = (code: string, overrides: Record<string, unknown> = {}) =>
    leaseBody(code, {
      startDate: '2026-02-15',
      endDate: '2031-02-14',
      escalation: { kind: 'PERCENT', everyYears: 1, percent: '5' },
      billingFrequency: 'QUARTERLY',
      deposit: '0.00',
      lateFeeDailyRate: '0',
      ...overrides,
    });
  const total = (periods: Period[]) => periods.reduce((s, p) => s.plus(p.amount), new Dec(0)).toFixed(2);
  const withoutState = (periods: Period[]) => periods.map(({ state: _state, ...p }) => p);

  it('returns the planned schedule on create and on GET …/schedule of the draft: the anniversary quarter 1,500.00 + 1,575.00, the term 66,307.58', async () => {
    const created = await post('/v1/land-use-contracts', escalatingBody(E5), 'FARM_OPERATOR').expect(201);
    const planned = created.body.schedule as Period[];
    expect(created.body.state).toBe('DRAFT');
    expect(planned).toHaveLength(21);
    expect(planned.every((p) => p.state === 'PLANNED')).toBe(true);
    expect(planned[4]).toMatchObject({ seq: 5, periodStart: '2027-01-01', periodEnd: '2027-03-31', contractYear: 1, amount: '3075.00' });
    expect(planned[4].parts.map((p) => [p.contractYear, p.partStart, p.partEnd, p.days, p.annualRent, p.amount])).toEqual([
      [1, '2027-01-01', '2027-02-14', 45, '12000.00', '1500.00'],
      [2, '2027-02-15', '2027-03-31', 45, '12600.00', '1575.00'],
    ]);
    expect(total(planned)).toBe('66307.58');
    const perYear = new Map<number, Dec>();
    for (const part of planned.flatMap((p) => p.parts)) perYear.set(part.contractYear, (perYear.get(part.contractYear) ?? new Dec(0)).plus(part.amount));
    expect([...perYear.values()].map((v) => v.toFixed(2))).toEqual(['12000.00', '12600.00', '13230.00', '13891.50', '14586.08']);
    // One numbering of contract years: the JSON's contractYear is the 第 n 合同年 of the calculation.
    for (const p of planned) {
      expect(p.calculation).toContain(`第 ${p.contractYear} 合同年`);
      for (const part of p.parts) expect(p.calculation).toContain(`第 ${part.contractYear} 合同年`);
    }
    expect(planned[0].calculation).toBe('年租金 12000.00 元 (第 1 合同年) ÷ 4 = 3000.00 × 45/90 天 = 1500.00');
    expect((await get(`/v1/land-use-contracts/${E5}/schedule`, 'AUDITOR').expect(200)).body).toEqual(planned);

    // The Excel export: a row per part, labelled as in the JSON; the total per contract year.
    const res = await get(`/v1/land-use-contracts/${E5}/schedule.xlsx`, 'FARM_OPERATOR').buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toContain('spreadsheetml');
    const book = await expectNumericXlsx(res.body as Buffer, ['租金计划', '合同年合计']);
    const rows = book.getWorksheet('租金计划')!.getSheetValues().slice(2) as unknown[][];
    const partRows = planned.flatMap((p) => p.parts.map((part) => [p.seq, `第 ${part.contractYear} 合同年`, part.partStart, part.partEnd, Number(part.amount), 'PLANNED']));
    expect(rows.slice(0, -1).map((r) => [r[1], r[4], r[5], r[6], r[10], r[12]])).toEqual(partRows);
    expect([rows[4].slice(1, 5), rows[5].slice(1, 5)]).toEqual([
      [5, '2027-01-01~2027-03-31', '2027-01-01', '第 1 合同年'],
      [5, '2027-01-01~2027-03-31', '2027-01-01', '第 2 合同年'],
    ]);
    expect(rows[rows.length - 1][10]).toBe(66307.58);
    const years = (book.getWorksheet('合同年合计')!.getSheetValues().slice(2) as unknown[][]).map((r) => [r[1], r[3]]);
    expect(years).toEqual([
      ['第 1 合同年', 12000],
      ['第 2 合同年', 12600],
      ['第 3 合同年', 13230],
      ['第 4 合同年', 13891.5],
      ['第 5 合同年', 14586.08],
      ['合计', 66307.58],
    ]);
    await get(`/v1/land-use-contracts/${E5}/schedule.xlsx`, 'OTHER_OPERATOR').expect(404);
  });

  it('raises nothing for a draft; activation stores the planned periods; termination inside the split quarter gives back its unused days at year 2’s rent', async () => {
    const receivablesOf = async () =>
      (
        await t.ds.query<
          Array<{
            n: number;
          }>
        >(`SELECT count(*)::int AS n FROM land_use_receivables r JOIN land_use_contracts c ON c.id = r.contract_id WHERE c.code = $1`, [E5])
      )[0].n;
    await post('/v1/land-use-jobs/daily', { asOf: '2026-03-01' }).expect(200); // the first period is due 2026-02-15: not raised while DRAFT
    expect(await receivablesOf()).toBe(0);
    const planned = (await get(`/v1/land-use-contracts/${E5}/schedule`).expect(200)).body as Period[];
    await post(`/v1/land-use-contracts/${E5}/activate`, {}, 'FARM_OPERATOR').expect(200);
    const stored = (await get(`/v1/land-use-contracts/${E5}/schedule`).expect(200)).body as Period[];
    expect(stored.every((p) => p.state === 'SCHEDULED')).toBe(true);
    expect(withoutState(stored)).toEqual(withoutState(planned));

    // Used 2027-01-01..02-28: all of year 1's 45 days and 14 of year 2's 45; back: 1575.00 − 1575.00 × 14/45 (490.00) = 1085.00
    // (pro rata over the whole quarter it would be 3075.00 × 31/90 = 1059.17).
    const ended = await post(`/v1/land-use-contracts/${E5}/termination`, { terminatedOn: '2027-02-28', reason: '承租方转产', deposit: 'RETURN' }, 'FARM_OPERATOR').expect(200);
    expect(ended.body.settlement).toMatchObject({ periodCredit: { seq: 5, usedDays: 59, days: 90, amount: '1085.00' }, remainingOwed: '12490.00' }); // 1500 + 3 × 3000 + 3075 − 1085
    expect(ended.body.receivable).toBe('12490.00');
    const after = (await get(`/v1/land-use-contracts/${E5}/schedule`).expect(200)).body as Period[];
    expect(after.map((p) => p.state)).toEqual([...Array(5).fill('RAISED'), ...Array(16).fill('CANCELLED')]);
  });

  it('bills the four quarters of a 13,891.50 year 3,472.88 × 3 + 3,472.86', async () => {
    const code = 'GYLD-ESC-4Y';
    await post('/v1/land-use-contracts', escalatingBody(code, { startDate: '2026-01-01', endDate: '2029-12-31' }), 'FARM_OPERATOR').expect(201);
    const schedule = (await get(`/v1/land-use-contracts/${code}/schedule`).expect(200)).body as Period[];
    const year4 = schedule.filter((p) => p.contractYear === 4);
    expect(year4.map((p) => [p.periodStart, p.amount, p.parts[0].basis])).toEqual([
      ['2029-01-01', '3472.88', 'FULL'],
      ['2029-04-01', '3472.88', 'FULL'],
      ['2029-07-01', '3472.88', 'FULL'],
      ['2029-10-01', '3472.86', 'REMAINDER'],
    ]);
    expect(total(year4)).toBe('13891.50');
    expect(total(schedule)).toBe('51721.50'); // 12000.00 + 12600.00 + 13230.00 + 13891.50
  });

  it('leaves the ledger balanced', async () => {
    await assertLedgerInvariants(t.ds);
  });
});
