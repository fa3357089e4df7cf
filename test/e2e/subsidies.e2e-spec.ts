import type { ApiApplication } from '../../apps/api/src/app.setup';
import { programmeReceivable, programmeReserved, programmeWallet, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DINGDIAN, QINCHI, YANGCHENG } from '../factories/parcels.factory';
import { freshParcels, seedSubsidyWorld, SubsidyServices, subsidyServices, SubsidyWorld } from '../factories/subsidies.factory';
import { apiClient, binary, ledgerBalances } from '../setup/http-client';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * Transfer subsidies (林权流转奖补, issue 7) over HTTP: a contract, a programme with its budget and a
 * rule version, a claim with its eligibility and calculation, four-eyes approval reserving the
 * budget, an instalment paid, refusals that move nothing, early termination with clawback and its
 * recovery, the report as JSON and Excel, replays, bad input and who may do what.
 */

const db = useTestDatabase();
let app: ApiApplication;
let s: SubsidyServices;
let world: SubsidyWorld;
let H: string;
let E: string;
const token: Record<string, string> = {};

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const P = 'P-HTTP';
const C1 = 'LZ-HTTP-001';

interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}
interface ClaimBody {
  id: string;
  programme: string;
  contract: string;
  state: string;
  rule: { id: string; version: number; effectiveFrom: string } | null;
  eligible: boolean;
  eligibility: Array<{ check: string; met: boolean; required: string; actual: string }>;
  calculation: { gross: string; total: string; steps: string[]; recipients: Array<{ party: string; amount: string }> } | null;
  amount: string;
  appliedBy: string;
  approvedBy: string | null;
  reserveEntryId: string | null;
  recipients: Array<{ party: string; amount: string; paid: string; clawback: string | null; recovered: string; outstanding: string }>;
  instalments: Array<{ seq: number; dueDate: string; amount: string; state: string; entryId: string | null }>;
  clawback: { amount: string; entryId: string | null; calculation: { termDays: number; unexpiredDays: number; total: string } } | null;
}

const { http, post, get } = apiClient(
  () => app,
  (role) => token[role],
);

/** Balances now of ledger accounts (by code, as decimal text; "0" when the account does not exist). */
async function balances(...codes: string[]): Promise<Record<string, string>> {
  const found = await ledgerBalances(s.ds, codes);
  return Object.fromEntries(codes.map((c) => [c, found[c].toFixed(2)]));
}

/** What any subsidy command could write: a refused one must leave all of it unchanged. */
async function footprint(): Promise<Record<string, number>> {
  const [row] = await s.ds.query<Array<Record<string, number>>>(
    `SELECT (SELECT count(*)::int FROM ledger_entries) AS entries, (SELECT count(*)::int FROM ledger_accounts) AS accounts,
            (SELECT count(*)::int FROM transfer_contracts) AS contracts, (SELECT count(*)::int FROM subsidy_programmes) AS programmes,
            (SELECT count(*)::int FROM subsidy_rules) AS rules, (SELECT count(*)::int FROM subsidy_claims) AS claims,
            (SELECT count(*)::int FROM subsidy_claims WHERE approved_by IS NOT NULL) AS approved,
            (SELECT count(*)::int FROM subsidy_claim_recipients) AS recipients, (SELECT count(*)::int FROM subsidy_instalments) AS instalments`,
  );
  return row;
}

async function refused(path: string, body: object, status: number, code: string, field?: string, role = 'ADMIN'): Promise<ErrorBody> {
  const res = await post(path, body, role).expect(status);
  const error = res.body as ErrorBody;
  expect([path, error.code, error.field]).toEqual([path, code, field ?? error.field]);
  return error;
}

/** A LEASE of fresh parcels of H to E: 2025-01-01 – 2029-12-31 (5 years), 100 亩 a parcel. */
function contractBody(code: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    code,
    transferorCode: H,
    transfereeCode: E,
    parcelIds: freshParcels(world),
    areaMu: '100.0000',
    mode: 'LEASE',
    startDate: '2025-01-01',
    endDate: '2029-12-31',
    priceTerms: '每亩每年租金 20 元, 每年 12 月 31 日前支付',
    annualAmount: '2000.00',
    ...overrides,
  };
}

/** 30 元/亩, ≥ 5 years and ≥ 50 亩, 60 % transferor / 40 % transferee, half on approval and half after a year, full clawback pro rata. */
const RULE = {
  effectiveFrom: '2024-01-01',
  rateBasis: 'PER_MU',
  rate: '30',
  minTermYears: 5,
  minAreaMu: '50.0000',
  recipients: [
    { role: 'TRANSFEROR', share: '0.60' },
    { role: 'TRANSFEREE', share: '0.40' },
  ],
  instalments: [
    { share: '0.50', afterContractYears: 0 },
    { share: '0.50', afterContractYears: 1 },
  ],
  clawbackRate: '1',
};

beforeAll(async () => {
  app = await createTestApp(db);
  s = subsidyServices(app.get(DataSource));
  // 芹池镇 大西沟村: H-001 holds 30 parcels of 100 亩 (rights 2019-01-01 – 2068-12-31); E-OUTSIDE an enterprise; G-FUND a government fund with 1,000,000.00.
  world = await seedSubsidyWorld(s, { parcels: 30 });
  H = world.households[0];
  E = world.outsider;
  token.ADMIN = await tokenFor(app, 'ADMIN');
  token.APPROVER = await tokenFor(app, 'APPROVER');
  token.APPROVER_2 = await tokenFor(app, 'APPROVER');
  token.AUDITOR = await tokenFor(app, 'AUDITOR');
  token.FARM_OPERATOR = await tokenFor(app, 'FARM_OPERATOR', world.farm);
  token.VILLAGER = await tokenFor(app, 'VILLAGER', world.villagers[0]);
});
afterAll(() => app?.close());

describe('transfer subsidies over HTTP', () => {
  let claim: ClaimBody;

  it('registers a contract (a replay with the same key returns the same body) and a programme with a budget top-up and a rule version', async () => {
    const key = randomUUID();
    const body = contractBody(C1);
    const created = await post('/v1/transfer-contracts', body, 'ADMIN', key).expect(201);
    expect(created.body).toMatchObject({
      code: C1,
      state: 'REGISTERED',
      transferor: { code: H },
      transferee: { code: E },
      township: { code: QINCHI.code },
      areaMu: '100.0000',
      termYears: 5,
      certificate: null,
    });
    const replay = await post('/v1/transfer-contracts', body, 'ADMIN', key).expect(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(created.body);
    expect((await post('/v1/transfer-contracts', { ...body, areaMu: '99.0000' }, 'ADMIN', key).expect(409)).body.code).toBe('IDEMPOTENCY_CONFLICT');

    const programme = await post('/v1/subsidy-programmes', { code: P, name: '阳城县流转奖补 (HTTP)', fundingPartyCode: world.fund, regionCodes: [YANGCHENG.code] }).expect(201);
    expect(programme.body).toMatchObject({ code: P, fundingParty: { code: world.fund }, budget: '0.00', available: '0.00', accounts: { wallet: programmeWallet(P) } });
    const topUp = await post(`/v1/subsidy-programmes/${P}/top-ups`, { amount: '10000.00', effectiveDate: '2025-01-02' }).expect(201);
    expect(topUp.body).toMatchObject({ available: '10000.00', replayed: false });
    const rule = await post(`/v1/subsidy-programmes/${P}/rules`, RULE, 'APPROVER').expect(201);
    expect(rule.body).toMatchObject({ version: 1, effectiveFrom: '2024-01-01', rate: '30', minAreaMu: '50.0000', clawbackRate: '1' });
    const rules = await get(`/v1/subsidy-programmes/${P}/rules`, 'AUDITOR').expect(200);
    expect(rules.body.map((r: { version: number }) => r.version)).toEqual([1]);
    expect((await get(`/v1/subsidy-programmes/${P}`, 'AUDITOR').expect(200)).body).toMatchObject({ budget: '10000.00', available: '10000.00', reserved: '0.00' });
    expect((await get('/v1/subsidy-programmes', 'APPROVER').expect(200)).body.map((p: { code: string }) => p.code)).toEqual([P]);
  });

  it('refuses bad input with 400/422 naming the field, and writes nothing', async () => {
    const before = await footprint();
    await refused('/v1/transfer-contracts', contractBody('LZ-BAD-1', { areaMu: 100 }), 400, 'VALIDATION_FAILED', 'areaMu');
    await refused('/v1/transfer-contracts', contractBody('LZ-BAD-2', { endDate: '2029-02-30' }), 400, 'VALIDATION_FAILED', 'endDate');
    await refused('/v1/transfer-contracts', contractBody('LZ-BAD-3', { mode: 'SALE' }), 400, 'VALIDATION_FAILED', 'mode');
    await refused('/v1/transfer-contracts', contractBody('LZ-BAD-4', { areaMu: '100.0001' }), 422, 'AREA_EXCEEDS_PARCELS', 'areaMu');
    await refused('/v1/transfer-contracts', contractBody('LZ-BAD-5', { endDate: '2069-01-01' }), 422, 'BEYOND_RIGHTS_TERM', 'endDate');
    await refused('/v1/transfer-contracts', contractBody('LZ-BAD-6', { extra: 1 }), 400, 'VALIDATION_FAILED', 'extra');
    await refused('/v1/subsidy-programmes', { code: 'P-BAD', name: 'x', fundingPartyCode: E, regionCodes: [YANGCHENG.code] }, 422, 'WRONG_PARTY_KIND', 'fundingPartyCode');
    await refused('/v1/subsidy-programmes', { code: 'p-lower', name: 'x', fundingPartyCode: world.fund, regionCodes: [YANGCHENG.code] }, 400, 'VALIDATION_FAILED', 'code');
    await refused(`/v1/subsidy-programmes/${P}/top-ups`, { amount: '-5.00' }, 400, 'VALIDATION_FAILED', 'amount');
    await refused(`/v1/subsidy-programmes/${P}/top-ups`, { amount: '5.001' }, 400, 'INVALID_AMOUNT', 'amount');
    const shares = {
      ...RULE,
      effectiveFrom: '2026-01-01',
      recipients: [
        { role: 'TRANSFEROR', share: '0.60' },
        { role: 'TRANSFEREE', share: '0.30' },
      ],
    };
    await refused(`/v1/subsidy-programmes/${P}/rules`, shares, 400, 'INVALID_RULE', 'recipients');
    await refused(
      `/v1/subsidy-programmes/${P}/rules`,
      { ...RULE, effectiveFrom: '2026-01-01', recipients: [{ role: 'OWNER', share: '1' }] },
      400,
      'VALIDATION_FAILED',
      'recipients[0].role',
    );
    await refused(`/v1/subsidy-programmes/${P}/rules`, { ...RULE, effectiveFrom: '2026-01-01', minTermYears: '5' }, 400, 'VALIDATION_FAILED', 'minTermYears');
    await refused(`/v1/subsidy-programmes/${P}/rules`, RULE, 409, 'RULE_VERSION_EXISTS', 'effectiveFrom');
    await refused('/v1/subsidy-claims', { programmeCode: P, contractCode: 'LZ-NOPE' }, 404, 'UNKNOWN_CONTRACT');
    await refused('/v1/subsidy-claims', { programmeCode: P, contractCode: C1, appliedOn: '2025-13-01' }, 400, 'VALIDATION_FAILED', 'appliedOn');
    expect(await footprint()).toEqual(before);
    expect((await get('/v1/subsidy-reports?region=nope', 'AUDITOR').expect(400)).body.field).toBe('region');
  });

  it('a claim shows eligibility per rule and the calculation; the submitter cannot approve it, another APPROVER does and the budget is reserved', async () => {
    const res = await post('/v1/subsidy-claims', { programmeCode: P, contractCode: C1, appliedOn: '2025-03-01' }, 'APPROVER').expect(201);
    claim = res.body as ClaimBody;
    expect(claim).toMatchObject({
      programme: P,
      contract: C1,
      state: 'APPLIED',
      eligible: true,
      rule: { version: 1, effectiveFrom: '2024-01-01' },
      amount: '3000.00',
      approvedBy: null,
    });
    expect(claim.eligibility.map((r) => [r.check, r.met])).toEqual([
      ['RULE_IN_FORCE', true],
      ['CONTRACT_IN_FORCE', true],
      ['REGION', true],
      ['MIN_TERM', true],
      ['MIN_AREA', true],
      ['MODE', true],
      ['TRANSFEROR_KIND', true],
      ['TRANSFEREE_KIND', true],
    ]);
    expect(claim.calculation).toMatchObject({
      gross: '3000.00',
      total: '3000.00',
      recipients: [
        { party: H, amount: '1800.00' },
        { party: E, amount: '1200.00' },
      ],
    });
    expect(claim.calculation!.steps[0]).toBe('30 元/亩 × 100.0000 亩 = 3000.00 元 (四舍五入到分)');
    expect((await get(`/v1/subsidy-claims/${claim.id}`, 'AUDITOR').expect(200)).body).toEqual(claim);

    const before = await footprint();
    const self = await refused(`/v1/subsidy-claims/${claim.id}/approve`, { approvedOn: '2025-03-10' }, 403, 'SELF_APPROVAL', 'claim', 'APPROVER');
    expect(self.message).toMatch(/applicant/);
    await post(`/v1/subsidy-claims/${claim.id}/approve`, { approvedOn: '2025-03-10' }, 'ADMIN').expect(403);
    expect(await footprint()).toEqual(before);

    const approved = await post(`/v1/subsidy-claims/${claim.id}/approve`, { approvedOn: '2025-03-10' }, 'APPROVER_2').expect(200);
    claim = approved.body as ClaimBody;
    expect(claim).toMatchObject({ state: 'APPROVED', amount: '3000.00' });
    expect(claim.approvedBy).not.toBe(claim.appliedBy);
    expect(claim.instalments.map((i) => [i.seq, i.dueDate, i.amount, i.state])).toEqual([
      [1, '2025-03-10', '1500.00', 'SCHEDULED'],
      [2, '2026-01-01', '1500.00', 'SCHEDULED'],
    ]);
    expect(await balances(programmeWallet(P), programmeReserved(P))).toEqual({ [programmeWallet(P)]: '7000.00', [programmeReserved(P)]: '3000.00' });
    expect((await get(`/v1/subsidy-programmes/${P}`, 'AUDITOR').expect(200)).body).toMatchObject({ budget: '10000.00', available: '7000.00', reserved: '3000.00' });
    expect((await post(`/v1/subsidy-claims/${claim.id}/approve`, {}, 'APPROVER_2').expect(422)).body.code).toBe('CLAIM_STATE');
  });

  it('pays the due instalment once, like the daily job (a replay returns the same report)', async () => {
    const walletsBefore = await balances(walletOf(H), walletOf(E));
    const key = randomUUID();
    const run = await post('/v1/subsidy-instalments/pay-due', { asOf: '2025-03-10' }, 'ADMIN', key).expect(200);
    expect(run.body).toMatchObject({ asOf: '2025-03-10', refused: [] });
    expect(run.body.paid).toEqual([{ claimId: claim.id, seq: 1, entryId: expect.any(String) }]);
    const replay = await post('/v1/subsidy-instalments/pay-due', { asOf: '2025-03-10' }, 'ADMIN', key).expect(200);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(run.body);
    expect((await post('/v1/subsidy-instalments/pay-due', { asOf: '2025-03-10' }).expect(200)).body.paid).toEqual([]);
    const instalments = await get(`/v1/subsidy-claims/${claim.id}/instalments`, 'AUDITOR').expect(200);
    expect(instalments.body.map((i: { state: string; entryId: string | null }) => [i.state, i.entryId])).toEqual([
      ['PAID', run.body.paid[0].entryId],
      ['SCHEDULED', null],
    ]);
    const walletsAfter = await balances(walletOf(H), walletOf(E));
    expect(new Dec(walletsAfter[walletOf(H)]).minus(walletsBefore[walletOf(H)]).toFixed(2)).toBe('900.00');
    expect(new Dec(walletsAfter[walletOf(E)]).minus(walletsBefore[walletOf(E)]).toFixed(2)).toBe('600.00');
  });

  it('refuses a claim beyond the remaining budget with nothing moved', async () => {
    await post('/v1/transfer-contracts', contractBody('LZ-HTTP-BIG', { parcelIds: freshParcels(world, 3), areaMu: '300.0000' })).expect(201);
    const big = (await post('/v1/subsidy-claims', { programmeCode: P, contractCode: 'LZ-HTTP-BIG', appliedOn: '2025-03-01' }).expect(201)).body as ClaimBody;
    expect(big).toMatchObject({ state: 'APPLIED', amount: '9000.00' });
    const before = await footprint();
    const budget = await balances(programmeWallet(P), programmeReserved(P));
    const error = await refused(`/v1/subsidy-claims/${big.id}/approve`, { approvedOn: '2025-03-10' }, 422, 'BUDGET_EXCEEDED', 'claim', 'APPROVER');
    expect(error.details).toMatchObject({ requested: '9000.00' });
    expect(await footprint()).toEqual(before);
    expect(await balances(programmeWallet(P), programmeReserved(P))).toEqual(budget);
    expect((await get(`/v1/subsidy-claims/${big.id}`, 'APPROVER').expect(200)).body).toMatchObject({ state: 'APPLIED', approvedBy: null, instalments: [] });
  });

  it('two concurrent approvals that together exceed the budget: one is refused, the budget never goes negative', async () => {
    await post('/v1/subsidy-programmes', { code: 'P-RACE', name: '并发审批', fundingPartyCode: world.fund, regionCodes: [QINCHI.code] }).expect(201);
    await post('/v1/subsidy-programmes/P-RACE/top-ups', { amount: '5000.00', effectiveDate: '2025-01-02' }).expect(201);
    await post('/v1/subsidy-programmes/P-RACE/rules', RULE, 'APPROVER').expect(201);
    const ids: string[] = [];
    for (const code of ['LZ-RACE-1', 'LZ-RACE-2']) {
      await post('/v1/transfer-contracts', contractBody(code)).expect(201);
      ids.push(((await post('/v1/subsidy-claims', { programmeCode: 'P-RACE', contractCode: code, appliedOn: '2025-03-01' }).expect(201)).body as ClaimBody).id);
    }
    const results = await Promise.all(ids.map((id, i) => post(`/v1/subsidy-claims/${id}/approve`, { approvedOn: '2025-03-10' }, i === 0 ? 'APPROVER' : 'APPROVER_2')));
    expect(results.map((r) => r.status).sort()).toEqual([200, 422]);
    expect(results.find((r) => r.status === 422)!.body.code).toBe('BUDGET_EXCEEDED');
    expect(await balances(programmeWallet('P-RACE'), programmeReserved('P-RACE'))).toEqual({ [programmeWallet('P-RACE')]: '2000.00', [programmeReserved('P-RACE')]: '3000.00' });
  });

  it('keeps an ineligible claim listing its failed rules, and refuses to approve it', async () => {
    await post('/v1/transfer-contracts', contractBody('LZ-HTTP-SHORT', { endDate: '2029-12-30', areaMu: '49.0000' })).expect(201);
    const res = await post('/v1/subsidy-claims', { programmeCode: P, contractCode: 'LZ-HTTP-SHORT', appliedOn: '2025-03-01' }).expect(201);
    const ineligible = res.body as ClaimBody;
    expect(ineligible).toMatchObject({ state: 'INELIGIBLE', eligible: false });
    expect(ineligible.eligibility.filter((r) => !r.met)).toEqual([
      { check: 'MIN_TERM', met: false, required: '≥ 5 years', actual: '4 years (2025-01-01 – 2029-12-30)' },
      { check: 'MIN_AREA', met: false, required: '≥ 50.0000 亩', actual: '49.0000 亩' },
    ]);
    const error = await refused(`/v1/subsidy-claims/${ineligible.id}/approve`, {}, 422, 'CLAIM_NOT_ELIGIBLE', 'claim', 'APPROVER_2');
    expect((error.details!.failed as Array<{ check: string }>).map((f) => f.check)).toEqual(['MIN_TERM', 'MIN_AREA']);
    const listed = await get(`/v1/subsidy-programmes/${P}/claims?state=INELIGIBLE`, 'AUDITOR').expect(200);
    expect(listed.body.map((c: ClaimBody) => c.contract)).toEqual(['LZ-HTTP-SHORT']);
    await get(`/v1/subsidy-programmes/${P}/claims?state=NOPE`, 'AUDITOR').expect(400);
  });

  it('contract lifecycle: activation, the operating-rights certificate (5 years or more), ending on schedule only', async () => {
    await post('/v1/transfer-contracts', contractBody('LZ-HTTP-LIFE', { startDate: '2020-01-01', endDate: '2024-12-31', areaMu: '60.0000' })).expect(201);
    expect((await post('/v1/transfer-contracts/LZ-HTTP-LIFE/activate', { asOf: '2019-12-31' }).expect(422)).body.code).toBe('CONTRACT_STATE');
    expect((await post('/v1/transfer-contracts/LZ-HTTP-LIFE/activate', { asOf: '2020-01-01' }).expect(200)).body.state).toBe('ACTIVE');
    const certificate = await post('/v1/transfer-contracts/LZ-HTTP-LIFE/certificate', { certificateNo: '晋(2020)阳城县林地经营权第0007号', issuedOn: '2020-02-01' }).expect(200);
    expect(certificate.body.certificate).toEqual({ number: '晋(2020)阳城县林地经营权第0007号', issuedOn: '2020-02-01' });
    const short = await post('/v1/transfer-contracts/LZ-HTTP-SHORT/certificate', { certificateNo: 'X-1', issuedOn: '2025-02-01' }).expect(422);
    expect(short.body).toMatchObject({ code: 'CERTIFICATE_NOT_ELIGIBLE', details: { termYears: 4 } });
    expect((await post('/v1/transfer-contracts/LZ-HTTP-LIFE/end', { endedOn: '2024-12-30' }).expect(422)).body.field).toBe('endedOn');
    expect((await post('/v1/transfer-contracts/LZ-HTTP-LIFE/end', { endedOn: '2024-12-31' }).expect(200)).body).toMatchObject({ state: 'ENDED', endedOn: '2024-12-31' });
    const listed = await get(`/v1/transfer-contracts?party=${H}&state=ENDED`, 'AUDITOR').expect(200);
    expect(listed.body.map((c: { code: string }) => c.code)).toEqual(['LZ-HTTP-LIFE']);
    const inTownship = await get(`/v1/transfer-contracts?region=${QINCHI.code}`, 'APPROVER').expect(200);
    expect(inTownship.body.map((c: { code: string }) => c.code)).toEqual([C1, 'LZ-HTTP-BIG', 'LZ-HTTP-LIFE', 'LZ-HTTP-SHORT', 'LZ-RACE-1', 'LZ-RACE-2']);
    expect((await get(`/v1/transfer-contracts?region=${DINGDIAN.code}`, 'APPROVER').expect(200)).body).toEqual([]);
    expect((await get('/v1/transfer-contracts/LZ-HTTP-NOPE', 'AUDITOR').expect(404)).body.code).toBe('UNKNOWN_CONTRACT');
  });

  it('early termination claws back pro rata to the unexpired term as receivables; recoveries by set-off and bank settle them', async () => {
    const res = await post(`/v1/transfer-contracts/${C1}/termination`, { terminatedOn: '2025-12-31', reason: '林地被依法征收' }).expect(200);
    expect(res.body).toMatchObject({ contract: C1, terminatedOn: '2025-12-31' });
    const [after] = res.body.claims as ClaimBody[];
    // 1500.00 paid × 1461 unexpired / 1826 days = 1200.164… → 1200.16; by what each was paid (60/40): 720.10 / 480.06
    expect(after).toMatchObject({ id: claim.id, state: 'CLAWBACK_DUE', clawback: { amount: '1200.16', calculation: { termDays: 1826, unexpiredDays: 1461, total: '1200.16' } } });
    expect(after.recipients.map((r) => [r.party, r.paid, r.clawback, r.outstanding])).toEqual([
      [H, '900.00', '720.10', '720.10'],
      [E, '600.00', '480.06', '480.06'],
    ]);
    expect(after.instalments.map((i) => i.state)).toEqual(['PAID', 'CANCELLED']);
    expect(await balances(programmeWallet(P), programmeReserved(P), programmeReceivable(P, H))).toEqual({
      [programmeWallet(P)]: '8500.00',
      [programmeReserved(P)]: '0.00',
      [programmeReceivable(P, H)]: '720.10',
    });
    expect((await get(`/v1/transfer-contracts/${C1}`, 'AUDITOR').expect(200)).body).toMatchObject({
      state: 'TERMINATED',
      terminatedOn: '2025-12-31',
      terminationReason: '林地被依法征收',
    });

    const recoveries = `/v1/subsidy-claims/${claim.id}/recoveries`;
    const before = await footprint();
    await refused(recoveries, { partyCode: E, amount: '100.00', source: 'BANK' }, 400, 'INVALID_CLAIM', 'bankReference');
    await refused(recoveries, { partyCode: E, amount: '480.07', source: 'BANK', bankReference: 'ICBC-1' }, 422, 'NOTHING_TO_RECOVER', 'amount');
    await refused(recoveries, { partyCode: E, amount: '1.00', source: 'CASH' }, 400, 'VALIDATION_FAILED', 'source');
    expect(await footprint()).toEqual(before);
    expect((await post(recoveries, { partyCode: H, amount: '720.10', source: 'WALLET', effectiveDate: '2026-01-15' }).expect(201)).body.state).toBe('CLAWBACK_DUE');
    const done = await post(recoveries, { partyCode: E, amount: '480.06', source: 'BANK', bankReference: 'ICBC-20260120-0001', effectiveDate: '2026-01-20' }).expect(201);
    expect(done.body.state).toBe('RECOVERED');
    expect(done.body.recipients.map((r: { outstanding: string }) => r.outstanding)).toEqual(['0.00', '0.00']);
    expect((await balances(programmeWallet(P)))[programmeWallet(P)]).toBe('9700.16');
    expect((await get(`/v1/transfer-contracts/${C1}/claims`, 'AUDITOR').expect(200)).body.map((c: ClaimBody) => c.state)).toEqual(['RECOVERED']);
  });

  it('reports per township and per programme as JSON and as an Excel workbook', async () => {
    const res = await get(`/v1/subsidy-reports?region=${YANGCHENG.code}&programme=${P}`, 'AUDITOR').expect(200);
    expect(res.body.region).toEqual({ code: YANGCHENG.code, name: '阳城县', level: 'COUNTY' });
    const qinchi = res.body.townships.find((t: { code: string }) => t.code === QINCHI.code);
    // Claims under P: C1 (100 亩, approved 3000.00, paid 1500.00, clawed back 1200.16 and recovered), LZ-HTTP-BIG (300 亩, applied), LZ-HTTP-SHORT (49 亩, ineligible).
    expect(qinchi).toEqual({
      code: QINCHI.code,
      name: '芹池镇',
      contracts: 3,
      transferredAreaMu: '449.0000',
      approvedClaims: 1,
      approved: '3000.00',
      paid: '1500.00',
      clawedBack: '1200.16',
      recovered: '1200.16',
      unrecovered: '0.00',
      hasPilot: true,
    });
    expect(res.body.townshipsWithoutPilot).toContain(DINGDIAN.code);
    expect(res.body.programmes).toEqual([
      expect.objectContaining({ code: P, budget: '10000.00', reserved: '0.00', remainingBudget: '9700.16', approved: '3000.00', paid: '1500.00', contracts: 2 }),
    ]);

    const file = await get(`/v1/subsidy-reports.xlsx?region=${YANGCHENG.code}&programme=${P}`, 'APPROVER').buffer(true).parse(binary).expect(200);
    expect(file.headers['content-type']).toBe(XLSX);
    expect(file.headers['content-disposition']).toContain(`filename="subsidies-${YANGCHENG.code}-${P}.xlsx"`);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(new Uint8Array(file.body as Buffer).buffer);
    expect(book.worksheets.map((w) => w.name)).toEqual(['乡镇奖补', '奖补项目']);
    const towns = book.getWorksheet('乡镇奖补')!;
    const row = towns.getRows(2, towns.rowCount - 1)!.find((r) => r.getCell(1).value === QINCHI.code)!;
    expect([row.getCell(2).value, row.getCell(3).value, row.getCell(4).value, row.getCell(5).value, row.getCell(6).value, row.getCell(10).value]).toEqual([
      '芹池镇',
      3,
      449,
      3000,
      1500,
      '是',
    ]);
    expect(book.getWorksheet('奖补项目')!.getRow(2).getCell(1).value).toBe(P);
  });

  it('lets only the declared roles in: ADMIN writes, APPROVER rules and approvals, staff readers read, scoped roles nothing', async () => {
    for (const role of ['FARM_OPERATOR', 'VILLAGER']) {
      await get('/v1/transfer-contracts', role).expect(403);
      await get(`/v1/subsidy-claims/${claim.id}`, role).expect(403);
      await get(`/v1/subsidy-reports?region=${YANGCHENG.code}`, role).expect(403);
      await post('/v1/subsidy-claims', { programmeCode: P, contractCode: C1 }, role).expect(403);
    }
    await post('/v1/transfer-contracts', contractBody('LZ-HTTP-DENIED'), 'APPROVER').expect(403);
    await post('/v1/subsidy-programmes', { code: 'P-DENIED', name: 'x', fundingPartyCode: world.fund, regionCodes: [YANGCHENG.code] }, 'AUDITOR').expect(403);
    await post(`/v1/subsidy-programmes/${P}/top-ups`, { amount: '1.00' }, 'APPROVER').expect(403);
    await post(`/v1/subsidy-programmes/${P}/rules`, { ...RULE, effectiveFrom: '2027-01-01' }, 'AUDITOR').expect(403);
    await post('/v1/subsidy-instalments/pay-due', {}, 'APPROVER').expect(403);
    await post(`/v1/transfer-contracts/${C1}/termination`, { terminatedOn: '2025-12-31', reason: 'x' }, 'APPROVER').expect(403);
    await post(`/v1/subsidy-claims/${claim.id}/recoveries`, { partyCode: H, amount: '1.00', source: 'WALLET' }, 'APPROVER').expect(403);
    await http().get(`/v1/subsidy-programmes/${P}`).expect(401);
    // An ADMIN may add a rule version as well as an APPROVER.
    expect((await post(`/v1/subsidy-programmes/${P}/rules`, { ...RULE, effectiveFrom: '2027-01-01', rate: '40' }, 'ADMIN').expect(201)).body.version).toBe(2);
  });

  it('documents every subsidy route in the OpenAPI document, with response schemas and the xlsx media type', async () => {
    type Operation = { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string; items?: { $ref?: string } } }> }> };
    const doc = (await http().get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, Operation>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const routes: Array<[string, string, string]> = [
      ['post', '/v1/transfer-contracts', '201'],
      ['get', '/v1/transfer-contracts', '200'],
      ['get', '/v1/transfer-contracts/{code}', '200'],
      ['get', '/v1/transfer-contracts/{code}/claims', '200'],
      ['post', '/v1/transfer-contracts/{code}/activate', '200'],
      ['post', '/v1/transfer-contracts/{code}/certificate', '200'],
      ['post', '/v1/transfer-contracts/{code}/end', '200'],
      ['post', '/v1/transfer-contracts/{code}/termination', '200'],
      ['post', '/v1/subsidy-programmes', '201'],
      ['get', '/v1/subsidy-programmes', '200'],
      ['get', '/v1/subsidy-programmes/{code}', '200'],
      ['post', '/v1/subsidy-programmes/{code}/top-ups', '201'],
      ['get', '/v1/subsidy-programmes/{code}/rules', '200'],
      ['post', '/v1/subsidy-programmes/{code}/rules', '201'],
      ['get', '/v1/subsidy-programmes/{code}/claims', '200'],
      ['post', '/v1/subsidy-claims', '201'],
      ['get', '/v1/subsidy-claims/{id}', '200'],
      ['post', '/v1/subsidy-claims/{id}/approve', '200'],
      ['post', '/v1/subsidy-claims/{id}/reject', '200'],
      ['get', '/v1/subsidy-claims/{id}/instalments', '200'],
      ['post', '/v1/subsidy-claims/{id}/recoveries', '201'],
      ['post', '/v1/subsidy-instalments/pay-due', '200'],
      ['get', '/v1/subsidy-reports', '200'],
      ['get', '/v1/subsidy-reports.xlsx', '200'],
    ];
    for (const [method, path, status] of routes) {
      const content = doc.paths[path]?.[method]?.responses[status]?.content;
      expect([method, path, status, content === undefined ? 'undocumented' : 'documented']).toEqual([method, path, status, 'documented']);
    }
    expect(Object.keys(doc.paths['/v1/subsidy-reports.xlsx'].get.responses['200'].content ?? {})).toEqual([XLSX]);
    expect(doc.paths['/v1/subsidy-claims/{id}/approve'].post.responses['200'].content?.['application/json'].schema?.$ref).toBe('#/components/schemas/ClaimResponse');
    expect(Object.keys(doc.components.schemas.ClaimResponse.properties ?? {})).toEqual(expect.arrayContaining(['eligibility', 'calculation', 'instalments', 'clawback']));
  });
});

describe('rejecting a claim over HTTP', () => {
  const PR = 'P-HTTP-REJ';
  const CR = 'LZ-HTTP-REJ';
  let applied: ClaimBody;

  beforeAll(async () => {
    await post('/v1/subsidy-programmes', { code: PR, name: '驳回测试', fundingPartyCode: world.fund, regionCodes: [YANGCHENG.code] }).expect(201);
    await post(`/v1/subsidy-programmes/${PR}/top-ups`, { amount: '10000.00', effectiveDate: '2025-01-02' }).expect(201);
    await post(`/v1/subsidy-programmes/${PR}/rules`, RULE, 'APPROVER').expect(201);
    await post('/v1/transfer-contracts', contractBody(CR)).expect(201);
    applied = (await post('/v1/subsidy-claims', { programmeCode: PR, contractCode: CR, appliedOn: '2025-03-01' }, 'APPROVER').expect(201)).body as ClaimBody;
  });

  it('refuses a missing, empty or overlong reason with a 400 naming reason, the filer with a 403, an ADMIN with a 403; writes nothing', async () => {
    const path = `/v1/subsidy-claims/${applied.id}/reject`;
    const before = await footprint();
    await refused(path, { rejectedOn: '2025-03-10' }, 400, 'VALIDATION_FAILED', 'reason', 'APPROVER_2');
    await refused(path, { reason: '' }, 400, 'VALIDATION_FAILED', 'reason', 'APPROVER_2');
    await refused(path, { reason: '材'.repeat(501) }, 400, 'VALIDATION_FAILED', 'reason', 'APPROVER_2');
    await refused(path, { reason: 'x', rejectedOn: '2025-02-30' }, 400, 'VALIDATION_FAILED', 'rejectedOn', 'APPROVER_2');
    const self = await refused(path, { reason: '材料不全' }, 403, 'SELF_REJECTION', 'claim', 'APPROVER');
    expect(self.message).toMatch(/applicant/);
    await post(path, { reason: '材料不全' }, 'ADMIN').expect(403);
    await post(path, { reason: '材料不全' }, 'AUDITOR').expect(403);
    expect(await footprint()).toEqual(before);
    expect((await get(`/v1/subsidy-claims/${applied.id}`, 'AUDITOR').expect(200)).body).toMatchObject({
      state: 'APPLIED',
      rejectedBy: null,
      rejectedOn: null,
      rejectionReason: null,
    });
    expect((await post('/v1/subsidy-claims/999999999/reject', { reason: '材料不全' }, 'APPROVER_2').expect(404)).body.code).toBe('UNKNOWN_CLAIM');
  });

  it('another APPROVER rejects it with the reason and date: nothing moves, a replay returns the same answer, the contract may apply again', async () => {
    const budget = await balances(programmeWallet(PR), programmeReserved(PR));
    const entries = (await footprint()).entries;
    const key = randomUUID();
    const body = { reason: '流转合同签字与备案材料不符', rejectedOn: '2025-03-10' };
    const res = await post(`/v1/subsidy-claims/${applied.id}/reject`, body, 'APPROVER_2', key).expect(200);
    const rejected = res.body as ClaimBody & { rejectedBy: string; rejectedOn: string; rejectionReason: string };
    expect(rejected).toMatchObject({
      id: applied.id,
      state: 'REJECTED',
      rejectedOn: '2025-03-10',
      rejectionReason: '流转合同签字与备案材料不符',
      approvedBy: null,
      reserveEntryId: null,
      instalments: [],
    });
    expect(rejected.rejectedBy).not.toBe(rejected.appliedBy);
    expect(await balances(programmeWallet(PR), programmeReserved(PR))).toEqual(budget);
    expect((await footprint()).entries).toBe(entries);
    expect((await get(`/v1/subsidy-claims/${applied.id}`, 'AUDITOR').expect(200)).body).toEqual(rejected);

    const replay = await post(`/v1/subsidy-claims/${applied.id}/reject`, body, 'APPROVER_2', key).expect(200);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(rejected);
    expect((await post(`/v1/subsidy-claims/${applied.id}/reject`, { ...body, reason: '另一个理由' }, 'APPROVER_2', key).expect(409)).body.code).toBe('IDEMPOTENCY_CONFLICT');
    expect((await post(`/v1/subsidy-claims/${applied.id}/reject`, body, 'APPROVER').expect(422)).body.code).toBe('CLAIM_STATE');
    expect((await post(`/v1/subsidy-claims/${applied.id}/approve`, {}, 'APPROVER_2').expect(422)).body.code).toBe('CLAIM_STATE');
    expect((await get(`/v1/subsidy-programmes/${PR}/claims?state=REJECTED`, 'AUDITOR').expect(200)).body.map((c: ClaimBody) => c.id)).toEqual([applied.id]);

    const again = (await post('/v1/subsidy-claims', { programmeCode: PR, contractCode: CR, appliedOn: '2025-04-01' }).expect(201)).body as ClaimBody;
    expect(again).toMatchObject({ state: 'APPLIED', contract: CR });
    expect((await get(`/v1/transfer-contracts/${CR}/claims`, 'AUDITOR').expect(200)).body.map((c: ClaimBody) => [c.id, c.state])).toEqual([
      [applied.id, 'REJECTED'],
      [again.id, 'APPLIED'],
    ]);
  });

  it('refuses to reject an approved claim with 422 CLAIM_STATE: its reservation stays', async () => {
    const [claim] = (await get(`/v1/subsidy-programmes/${PR}/claims?state=APPLIED`, 'AUDITOR').expect(200)).body as ClaimBody[];
    await post(`/v1/subsidy-claims/${claim.id}/approve`, { approvedOn: '2025-04-02' }, 'APPROVER').expect(200);
    const budget = await balances(programmeWallet(PR), programmeReserved(PR));
    expect(budget).toEqual({ [programmeWallet(PR)]: '7000.00', [programmeReserved(PR)]: '3000.00' });
    const error = await refused(`/v1/subsidy-claims/${claim.id}/reject`, { reason: '材料不全' }, 422, 'CLAIM_STATE', 'claim', 'APPROVER_2');
    expect(error.details).toMatchObject({ state: 'APPROVED' });
    expect(await balances(programmeWallet(PR), programmeReserved(PR))).toEqual(budget);
  });
});
