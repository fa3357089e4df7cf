import { BANK_CLEARING_ACCOUNT, programmeClawbackPending, programmeReceivable, programmeReserved, programmeWallet, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import {
  addRule,
  apply,
  approve,
  approvedClaim,
  BASE_RULE,
  APPROVER,
  APPROVER_2,
  CLERK,
  createContract,
  createProgramme,
  freshParcels,
  reject,
  seedSubsidyWorld,
  SubsidyServices,
  subsidyServices,
  SubsidyWorld,
  topUp,
} from '../factories/subsidies.factory';
import { balance, refusal } from '../factories/tickets.factory';
import { afterHolderCommits } from '../setup/lock-race';
import { useTestDatabase } from '../setup/test-database';
import { outboxMark, outboxSince, rolledBack } from '../setup/outbox-events';

const db = useTestDatabase();
let s: SubsidyServices;
let world: SubsidyWorld;
let H: string;
let E: string;
const P = 'P-2025';

beforeAll(async () => {
  s = subsidyServices(db.dataSource);
  world = await seedSubsidyWorld(s, { parcels: 42 });
  H = world.households[0];
  E = world.outsider;
  await createProgramme(s, world, P, { budget: '100000.00' });
  await addRule(s, P, { effectiveFrom: '2024-01-01', rate: '30' });
  await addRule(s, P, { effectiveFrom: '2025-06-01', rate: '40' });
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT (${sql})::int AS n`, params);
  return n;
}
const entries = () => count(`SELECT count(*) FROM ledger_entries`);
const contracts = () => count(`SELECT count(*) FROM transfer_contracts`);
const payDue = (asOf: string) => s.instalments.payDueInstalments(asOf);

describe('transfer contracts (林权流转合同)', () => {
  it('registers a contract with its parcels, area, township and term', async () => {
    const parcels = freshParcels(world, 2);
    const view = await createContract(s, world, 'LZ-2025-001', { parcelIds: parcels, areaMu: '199.5000', mode: 'SUBCONTRACT', platformReference: 'SXNCCQ-2025-0042' });
    expect(view).toMatchObject({
      code: 'LZ-2025-001',
      state: 'REGISTERED',
      transferor: { code: H, kind: 'HOUSEHOLD' },
      transferee: { code: E, kind: 'ENTERPRISE' },
      township: { code: '140522101', name: '芹池镇' },
      areaMu: '199.5000',
      parcelsAreaMu: '200.0000',
      mode: 'SUBCONTRACT',
      startDate: '2025-01-01',
      endDate: '2029-12-31',
      termYears: 5,
      annualAmount: '2000.00',
      platformReference: 'SXNCCQ-2025-0042',
      certificate: null,
    });
    expect(view.parcels.map((p) => p.id).sort()).toEqual([...parcels].sort());
  });

  it.each([
    ['an area above the parcels', { areaMu: '100.0001' }, 'AREA_EXCEEDS_PARCELS'],
    ["an end beyond the transferor's rights term", { endDate: '2069-01-01' }, 'BEYOND_RIGHTS_TERM'],
    ['an unknown mode', { mode: 'SALE' as never }, 'INVALID_CONTRACT'],
    ['an end before the start', { endDate: '2024-12-31' }, 'INVALID_CONTRACT'],
    ['the same party on both sides', { transfereeCode: 'H-001' }, 'INVALID_CONTRACT'],
  ])('refuses %s and writes nothing', async (_, overrides, code) => {
    const before = await contracts();
    const error = await refusal(createContract(s, world, `LZ-BAD-${randomUUID().slice(0, 6)}`, overrides));
    expect(error.code).toBe(code);
    expect(await contracts()).toBe(before);
  });

  it('refuses parcels the transferor does not hold, and mortgaged parcels', async () => {
    expect((await refusal(createContract(s, world, 'LZ-OTHER', { parcelIds: [world.yanshanParcelIds[3]] }))).code).toBe('PARCEL_NOT_HELD_BY_TRANSFEROR');
    const [mortgaged] = freshParcels(world);
    await db.dataSource.query(`UPDATE parcels SET mortgaged = true WHERE id = $1`, [mortgaged]);
    const error = await refusal(createContract(s, world, 'LZ-MORTGAGED', { parcelIds: [mortgaged] }));
    expect(error.code).toBe('PARCEL_NOT_ATTACHABLE');
    expect(error.details).toMatchObject({ purpose: 'TRANSFER_CONTRACT', refused: [{ parcelId: mortgaged, reasons: ['MORTGAGED'] }] });
  });

  it('refuses a parcel already transferred over overlapping dates, not over later ones', async () => {
    const [parcel] = freshParcels(world);
    await createContract(s, world, 'LZ-FIRST', { parcelIds: [parcel] });
    expect((await refusal(createContract(s, world, 'LZ-OVERLAP', { parcelIds: [parcel], startDate: '2029-12-31', endDate: '2035-12-31' }))).code).toBe(
      'PARCEL_ALREADY_TRANSFERRED',
    );
    await expect(createContract(s, world, 'LZ-AFTER', { parcelIds: [parcel], startDate: '2030-01-01', endDate: '2035-12-31' })).resolves.toMatchObject({ state: 'REGISTERED' });
    expect((await refusal(createContract(s, world, 'LZ-FIRST', { parcelIds: freshParcels(world) }))).code).toBe('CONTRACT_EXISTS');
  });

  it('records an operating-rights certificate for 5 years or more, not for less', async () => {
    await createContract(s, world, 'LZ-CERT-5');
    const view = await inTransaction(db.dataSource, (em) =>
      s.contracts.recordCertificate(em, 'LZ-CERT-5', { certificateNo: '晋(2025)阳城县林地经营权第0001号', issuedOn: '2025-02-01' }),
    );
    expect(view.certificate).toEqual({ number: '晋(2025)阳城县林地经营权第0001号', issuedOn: '2025-02-01' });
    await createContract(s, world, 'LZ-CERT-4', { endDate: '2029-12-30' });
    const error = await refusal(inTransaction(db.dataSource, (em) => s.contracts.recordCertificate(em, 'LZ-CERT-4', { certificateNo: 'X-2', issuedOn: '2025-02-01' })));
    expect(error).toMatchObject({ code: 'CERTIFICATE_NOT_ELIGIBLE', details: { termYears: 4 } });
  });

  it('goes registered → active → ended on schedule, never ended before its end date', async () => {
    await createContract(s, world, 'LZ-LIFE', { startDate: '2020-01-01', endDate: '2024-12-31', areaMu: '60.0000' });
    expect((await refusal(inTransaction(db.dataSource, (em) => s.contracts.activate(em, 'LZ-LIFE', '2019-12-31')))).code).toBe('CONTRACT_STATE');
    await inTransaction(db.dataSource, (em) => s.contracts.activate(em, 'LZ-LIFE', '2020-01-01'));
    expect((await refusal(inTransaction(db.dataSource, (em) => s.contracts.end(em, 'LZ-LIFE', '2024-12-30')))).code).toBe('CONTRACT_STATE');
    const ended = await inTransaction(db.dataSource, (em) => s.contracts.end(em, 'LZ-LIFE', '2024-12-31'));
    expect(ended).toMatchObject({ state: 'ENDED', endedOn: '2024-12-31' });
  });
});

describe('programmes and rules', () => {
  it('is funded by a government fund only; top-ups move money from its wallet by one entry, replays once', async () => {
    expect(
      (await refusal(inTransaction(db.dataSource, (em) => s.programmes.createProgramme(em, { code: 'P-BAD', name: 'x', fundingPartyCode: E, regionCodes: ['140522'] })))).code,
    ).toBe('WRONG_PARTY_KIND');
    await createProgramme(s, world, 'P-TOPUP', { budget: '0' });
    const fundBefore = await balance(s, walletOf(world.fund));
    const k = randomUUID();
    const first = await topUp(s, 'P-TOPUP', '5000.00', k);
    const again = await topUp(s, 'P-TOPUP', '5000.00', k);
    expect(again).toMatchObject({ entryId: first.entryId, replayed: true });
    expect(await balance(s, walletOf(world.fund))).toBe(new Dec(fundBefore).minus(5000).toString());
    expect(await s.programmes.getProgramme('P-TOPUP')).toMatchObject({ budget: '5000.00', available: '5000.00', reserved: '0.00', paid: '0.00' });
    const error = await refusal(topUp(s, 'P-TOPUP', '99999999.00'));
    expect(error).toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
  });

  it('versions rules by effective date; refuses shares that do not sum to 100 % and a second version on one date', async () => {
    const programme = await s.programmes.getProgramme(P);
    expect(programme.rules.map((r) => [r.version, r.effectiveFrom, r.rate])).toEqual([
      [1, '2024-01-01', '30'],
      [2, '2025-06-01', '40'],
    ]);
    const bad = await refusal(
      addRule(s, P, {
        effectiveFrom: '2026-01-01',
        recipients: [
          { role: 'TRANSFEROR', share: '0.60' },
          { role: 'TRANSFEREE', share: '0.30' },
        ],
      }),
    );
    expect(bad).toMatchObject({ code: 'INVALID_RULE', field: 'recipients' });
    expect((await refusal(addRule(s, P, { effectiveFrom: '2025-06-01' }))).code).toBe('RULE_VERSION_EXISTS');
    expect(
      (await refusal(inTransaction(db.dataSource, (em) => s.programmes.addRule(em, P, { ...BASE_RULE, effectiveFrom: '2027-01-01' }, { userId: '9', role: 'FARM_OPERATOR' }))))
        .code,
    ).toBe('NOT_AN_APPROVER');
  });
});

describe('claims', () => {
  it('applies the rule version in force on the contract start date and records it: before the change the old rate', async () => {
    await createContract(s, world, 'LZ-OLD', { startDate: '2025-05-31', endDate: '2030-05-30' });
    await createContract(s, world, 'LZ-NEW', { startDate: '2025-06-01', endDate: '2030-05-31' });
    // Both applied after the change: the contract's start date decides, not the application date.
    const old = await apply(s, P, 'LZ-OLD', { appliedOn: '2025-07-01' });
    const fresh = await apply(s, P, 'LZ-NEW', { appliedOn: '2025-07-01' });
    expect(old).toMatchObject({ state: 'APPLIED', rule: { version: 1, effectiveFrom: '2024-01-01' }, amount: '3000.00' });
    expect(fresh).toMatchObject({ state: 'APPLIED', rule: { version: 2, effectiveFrom: '2025-06-01' }, amount: '4000.00' });
    const approved = await approve(s, old.id, { approvedOn: '2025-07-02' });
    expect(approved).toMatchObject({ state: 'APPROVED', rule: { version: 1 }, amount: '3000.00' });
  });

  it('shows the calculation: rate × area to the 分, shares by largest remainder', async () => {
    await createContract(s, world, 'LZ-CALC', { areaMu: '77.7777' });
    const claim = await apply(s, P, 'LZ-CALC');
    // 30 × 77.7777 = 2333.331 → 2333.33; 60 % = 1399.998 → 1399.99 + the leftover 分 (larger remainder) = 1400.00; 40 % = 933.332 → 933.33
    expect(claim.calculation).toMatchObject({
      rateBasis: 'PER_MU',
      rate: '30',
      areaMu: '77.7777',
      gross: '2333.33',
      afterContractCap: '2333.33',
      total: '2333.33',
      recipients: [
        { role: 'TRANSFEROR', party: H, share: '0.6', allocated: '1400.00', amount: '1400.00' },
        { role: 'TRANSFEREE', party: E, share: '0.4', allocated: '933.33', amount: '933.33' },
      ],
    });
    expect(claim.calculation!.steps[0]).toBe('30 元/亩 × 77.7777 亩 = 2333.33 元 (四舍五入到分)');
  });

  it('eligibility edge cases: exactly 5 years and exactly the minimum area are eligible; a day or 0.0001 亩 less is not, with the failed checks shown', async () => {
    await createContract(s, world, 'LZ-EDGE-OK', { areaMu: '50.0000', endDate: '2029-12-31' });
    await createContract(s, world, 'LZ-EDGE-TERM', { areaMu: '50.0000', endDate: '2029-12-30' });
    await createContract(s, world, 'LZ-EDGE-AREA', { areaMu: '49.9999', endDate: '2029-12-31' });
    const ok = await apply(s, P, 'LZ-EDGE-OK');
    expect(ok).toMatchObject({ state: 'APPLIED', eligible: true, amount: '1500.00' });
    expect(ok.eligibility.every((r) => r.met)).toBe(true);

    const term = await apply(s, P, 'LZ-EDGE-TERM');
    expect(term).toMatchObject({ state: 'INELIGIBLE', eligible: false });
    expect(term.eligibility.filter((r) => !r.met)).toEqual([{ check: 'MIN_TERM', met: false, required: '≥ 5 years', actual: '4 years (2025-01-01 – 2029-12-30)' }]);

    const area = await apply(s, P, 'LZ-EDGE-AREA');
    expect(area.eligibility.filter((r) => !r.met)).toEqual([{ check: 'MIN_AREA', met: false, required: '≥ 50.0000 亩', actual: '49.9999 亩' }]);

    const error = await refusal(approve(s, area.id));
    expect(error).toMatchObject({ code: 'CLAIM_NOT_ELIGIBLE', details: { failed: [{ check: 'MIN_AREA' }] } });
  });

  it('a claim outside the programme region or under a rule excluding the mode is ineligible for that reason', async () => {
    await createProgramme(s, world, 'P-DINGDIAN', { regionCodes: ['140522102'], budget: '0' });
    await addRule(s, 'P-DINGDIAN', { modes: ['EQUITY', 'COOPERATION'] });
    await createContract(s, world, 'LZ-QINCHI');
    const claim = await apply(s, 'P-DINGDIAN', 'LZ-QINCHI');
    expect(claim.eligibility.filter((r) => !r.met).map((r) => r.check)).toEqual(['REGION', 'MODE']);
  });

  it('refuses approval by the applicant, and by anyone but an APPROVER; writes nothing', async () => {
    await createContract(s, world, 'LZ-FOUR-EYES');
    const claim = await apply(s, P, 'LZ-FOUR-EYES', { actor: APPROVER_2 });
    const before = await entries();
    expect((await refusal(approve(s, claim.id, { actor: APPROVER_2 }))).code).toBe('SELF_APPROVAL');
    expect((await refusal(approve(s, claim.id, { actor: { userId: '404', role: 'ADMIN' } }))).code).toBe('NOT_AN_APPROVER');
    expect(await entries()).toBe(before);
    expect((await s.claims.getClaim(claim.id)).state).toBe('APPLIED');
    expect(await approve(s, claim.id, { actor: APPROVER })).toMatchObject({ state: 'APPROVED', appliedBy: APPROVER_2.userId, approvedBy: APPROVER.userId });
    expect((await s.claims.listClaims({ programmeCode: P, state: 'APPROVED' })).map((c) => c.contract)).toContain('LZ-FOUR-EYES');
  });

  it('is idempotent: the same apply key returns the claim, the same approve key the approval; one claim per contract and programme', async () => {
    await createContract(s, world, 'LZ-REPLAY');
    const k = randomUUID();
    const first = await apply(s, P, 'LZ-REPLAY', { key: k });
    expect((await apply(s, P, 'LZ-REPLAY', { key: k })).id).toBe(first.id);
    expect((await refusal(apply(s, P, 'LZ-REPLAY'))).code).toBe('CLAIM_EXISTS');
    const a = randomUUID();
    const approved = await approve(s, first.id, { key: a });
    const before = await entries();
    const again = await approve(s, first.id, { key: a });
    expect(again.reserveEntryId).toBe(approved.reserveEntryId);
    expect(await entries()).toBe(before);
    expect((await refusal(approve(s, first.id))).code).toBe('CLAIM_STATE');
  });

  it('reserves the approved amount and schedules the instalments: half on approval, half after a year', async () => {
    const claim = await approvedClaim(s, world, P, 'LZ-SCHEDULE');
    expect(claim.instalments.map((i) => [i.seq, i.dueDate, i.amount, i.state, i.splits])).toEqual([
      [
        1,
        '2025-03-10',
        '1500.00',
        'SCHEDULED',
        [
          { party: H, amount: '900.00' },
          { party: E, amount: '600.00' },
        ],
      ],
      [
        2,
        '2026-01-01',
        '1500.00',
        'SCHEDULED',
        [
          { party: H, amount: '900.00' },
          { party: E, amount: '600.00' },
        ],
      ],
    ]);
    const entry = await s.ledger.getEntry(claim.reserveEntryId!);
    expect(entry).toMatchObject({ kind: 'SUBSIDY_RESERVE', effectiveDate: '2025-03-10' });
    expect(entry.postings).toEqual([
      { account: programmeWallet(P), asset: 'CNY', side: 'DEBIT', amount: '3000.00' },
      { account: programmeReserved(P), asset: 'CNY', side: 'CREDIT', amount: '3000.00' },
    ]);
  });

  it('refuses an approval the budget cannot cover: nothing moves, the claim stays applied', async () => {
    await createProgramme(s, world, 'P-SMALL', { budget: '2999.99' });
    await addRule(s, 'P-SMALL');
    await createContract(s, world, 'LZ-SMALL');
    const claim = await apply(s, 'P-SMALL', 'LZ-SMALL');
    const before = await entries();
    const error = await refusal(approve(s, claim.id));
    expect(error).toMatchObject({ code: 'BUDGET_EXCEEDED', details: { available: '2999.99', requested: '3000.00' } });
    expect(await entries()).toBe(before);
    expect(await s.claims.getClaim(claim.id)).toMatchObject({ state: 'APPLIED', approvedBy: null, instalments: [], recipients: [] });
    expect(await balance(s, programmeWallet('P-SMALL'))).toBe('2999.99');
  });

  it('caps each recipient per year across claims: the second claim of the year gets what is left', async () => {
    await createProgramme(s, world, 'P-CAP', { budget: '100000.00' });
    await addRule(s, 'P-CAP', { capPerRecipientPerYear: '2000.00' });
    const first = await approvedClaim(s, world, 'P-CAP', 'LZ-CAP-1'); // 1800 / 1200
    expect(first.recipients.map((r) => r.amount)).toEqual(['1800.00', '1200.00']);
    const second = await approvedClaim(s, world, 'P-CAP', 'LZ-CAP-2');
    expect(second.recipients.map((r) => [r.party, r.amount])).toEqual([
      [H, '200.00'],
      [E, '800.00'],
    ]);
    expect(second.amount).toBe('1000.00');
    // The next year starts afresh.
    await createContract(s, world, 'LZ-CAP-3');
    const third = await approve(s, (await apply(s, 'P-CAP', 'LZ-CAP-3')).id, { approvedOn: '2026-02-01' });
    expect(third.amount).toBe('3000.00');
  });
});

describe('instalments', () => {
  it('the daily job run twice on the same day pays once; the second instalment waits for its date; then the claim is completed', async () => {
    await createProgramme(s, world, 'P-JOB', { budget: '3000.00' });
    await addRule(s, 'P-JOB');
    const claim = await approvedClaim(s, world, 'P-JOB', 'LZ-JOB');
    const first = await payDue('2025-03-10');
    const second = await payDue('2025-03-10');
    expect(first.paid.filter((p) => p.claimId === claim.id)).toHaveLength(1);
    expect(second.paid.filter((p) => p.claimId === claim.id)).toHaveLength(0);
    expect(await count(`SELECT count(*) FROM ledger_entries WHERE kind = 'SUBSIDY_PAYMENT' AND metadata ->> 'claim' = $1`, [claim.id])).toBe(1);
    const payment = await s.ledger.getEntry(first.paid.find((p) => p.claimId === claim.id)!.entryId);
    expect(payment).toMatchObject({ kind: 'SUBSIDY_PAYMENT', idempotencyKey: `subsidy-payment:${claim.id}:1`, effectiveDate: '2025-03-10' });
    expect(payment.postings).toEqual([
      { account: programmeReserved('P-JOB'), asset: 'CNY', side: 'DEBIT', amount: '1500.00' },
      { account: walletOf(H), asset: 'CNY', side: 'CREDIT', amount: '900.00' },
      { account: walletOf(E), asset: 'CNY', side: 'CREDIT', amount: '600.00' },
    ]);

    await payDue('2025-12-31');
    expect((await s.claims.getClaim(claim.id)).instalments.map((i) => i.state)).toEqual(['PAID', 'SCHEDULED']);
    expect((await refusal(inTransaction(db.dataSource, (em) => s.instalments.payInstalment(em, claim.id, 2, '2025-12-31')))).code).toBe('CLAIM_STATE');
    await Promise.all([payDue('2026-01-01'), payDue('2026-01-01'), payDue('2026-01-01')]);
    const done = await s.claims.getClaim(claim.id);
    expect(done.state).toBe('COMPLETED');
    expect(done.instalments.map((i) => [i.state, i.paidOn])).toEqual([
      ['PAID', '2025-03-10'],
      ['PAID', '2026-01-01'],
    ]);
    expect(done.recipients.map((r) => [r.party, r.paid])).toEqual([
      [H, '1800.00'],
      [E, '1200.00'],
    ]);
    expect(await count(`SELECT count(*) FROM ledger_entries WHERE kind = 'SUBSIDY_PAYMENT' AND metadata ->> 'claim' = $1`, [claim.id])).toBe(2);
    expect(await s.programmes.getProgramme('P-JOB')).toMatchObject({ budget: '3000.00', available: '0.00', reserved: '0.00', paid: '3000.00' });
  });
});

describe('claims and terminations at the same time', () => {
  it('a claim applied while the contract is being terminated waits for it and is INELIGIBLE: no open claim is left on a TERMINATED contract', async () => {
    await createProgramme(s, world, 'P-RACE', { budget: '10000.00' });
    await addRule(s, 'P-RACE');
    await createContract(s, world, 'LZ-RACE');
    const outcome = await afterHolderCommits(
      db.dataSource,
      (em) => s.clawbacks.terminateContract(em, 'LZ-RACE', { terminatedOn: '2026-06-30', reason: '双方协商解除' }, randomUUID()),
      (em) => s.claims.apply(em, { programmeCode: 'P-RACE', contractCode: 'LZ-RACE', appliedOn: '2026-07-01' }, CLERK, randomUUID()),
    );
    expect(outcome).toMatchObject({ status: 'fulfilled', value: { state: 'INELIGIBLE' } });
    expect(await count(`SELECT count(*) FROM subsidy_claims c JOIN transfer_contracts t ON t.id = c.contract_id WHERE t.code = 'LZ-RACE' AND c.state = 'APPLIED'`)).toBe(0);
  });
});

describe('clawback on early termination', () => {
  it('books what each recipient returns, pro rata to the unexpired term, to the 分, as receivables in one entry; recoveries settle them', async () => {
    await createProgramme(s, world, 'P-CLAW', { budget: '10000.00' });
    await addRule(s, 'P-CLAW');
    const claim = await approvedClaim(s, world, 'P-CLAW', 'LZ-CLAW');
    await inTransaction(db.dataSource, (em) => s.instalments.payInstalment(em, claim.id, 1, '2025-03-10'));
    await inTransaction(db.dataSource, (em) => s.instalments.payInstalment(em, claim.id, 2, '2026-01-01'));
    const k = randomUUID();
    const outcome = await inTransaction(db.dataSource, (em) =>
      s.clawbacks.terminateContract(em, 'LZ-CLAW', { terminatedOn: '2026-12-31', reason: '流入方经营困难, 双方协商解除' }, k),
    );
    const [after] = outcome.claims;
    // 3000.00 paid × 1096 unexpired / 1826 days = 1800.657… → 1800.66; by what each was paid (60/40): 1080.396 / 720.264 → 1080.40 / 720.26
    expect(after).toMatchObject({ state: 'CLAWBACK_DUE', clawback: { amount: '1800.66', calculation: { termDays: 1826, unexpiredDays: 1096, rate: '1', total: '1800.66' } } });
    expect(after.recipients.map((r) => [r.party, r.paid, r.clawback, r.outstanding])).toEqual([
      [H, '1800.00', '1080.40', '1080.40'],
      [E, '1200.00', '720.26', '720.26'],
    ]);
    const entry = await s.ledger.getEntry(after.clawback!.entryId!);
    expect(entry.kind).toBe('SUBSIDY_CLAWBACK');
    expect(entry.postings).toEqual([
      { account: programmeReceivable('P-CLAW', H), asset: 'CNY', side: 'DEBIT', amount: '1080.40' },
      { account: programmeReceivable('P-CLAW', E), asset: 'CNY', side: 'DEBIT', amount: '720.26' },
      { account: programmeClawbackPending('P-CLAW'), asset: 'CNY', side: 'CREDIT', amount: '1800.66' },
    ]);
    expect(await s.contracts.get('LZ-CLAW')).toMatchObject({ state: 'TERMINATED', terminatedOn: '2026-12-31', terminationReason: '流入方经营困难, 双方协商解除' });
    // A repeat of the termination changes nothing.
    const before = await entries();
    await inTransaction(db.dataSource, (em) => s.clawbacks.terminateContract(em, 'LZ-CLAW', { terminatedOn: '2026-12-31', reason: '流入方经营困难, 双方协商解除' }, k));
    expect(await entries()).toBe(before);

    // Set-off from the transferor's wallet, part repayment by the transferee through the bank.
    const available = await balance(s, programmeWallet('P-CLAW'));
    await inTransaction(db.dataSource, (em) => s.clawbacks.recover(em, claim.id, { partyCode: H, amount: '1080.40', source: 'WALLET', effectiveDate: '2027-01-15' }, randomUUID()));
    const rk = randomUUID();
    await inTransaction(db.dataSource, (em) =>
      s.clawbacks.recover(em, claim.id, { partyCode: E, amount: '300.00', source: 'BANK', bankReference: 'ICBC-20270120-0001', effectiveDate: '2027-01-20' }, rk),
    );
    await inTransaction(db.dataSource, (em) =>
      s.clawbacks.recover(em, claim.id, { partyCode: E, amount: '300.00', source: 'BANK', bankReference: 'ICBC-20270120-0001', effectiveDate: '2027-01-20' }, rk),
    );
    const tooMuch = await refusal(
      inTransaction(db.dataSource, (em) => s.clawbacks.recover(em, claim.id, { partyCode: E, amount: '420.27', source: 'BANK', bankReference: 'X' }, randomUUID())),
    );
    expect(tooMuch).toMatchObject({ code: 'NOTHING_TO_RECOVER', details: { outstanding: '420.26' } });
    const recovered = await s.claims.getClaim(claim.id);
    expect(recovered.state).toBe('CLAWBACK_DUE');
    expect(recovered.recipients.map((r) => [r.recovered, r.outstanding])).toEqual([
      ['1080.40', '0.00'],
      ['300.00', '420.26'],
    ]);
    expect(await balance(s, programmeWallet('P-CLAW'))).toBe(new Dec(available).plus('1380.40').toString());
    expect(await balance(s, programmeClawbackPending('P-CLAW'))).toBe('420.26');
    expect(await balance(s, programmeReceivable('P-CLAW', E))).toBe('420.26');
    await inTransaction(db.dataSource, (em) =>
      s.clawbacks.recover(em, claim.id, { partyCode: E, amount: '420.26', source: 'BANK', bankReference: 'ICBC-20270301-0002' }, randomUUID()),
    );
    expect((await s.claims.getClaim(claim.id)).state).toBe('RECOVERED');
    expect(await balance(s, BANK_CLEARING_ACCOUNT)).not.toBe('0');
  });

  it('cancels unpaid instalments (their reservation goes back to the budget) and claws back from what was paid only', async () => {
    await createProgramme(s, world, 'P-CLAW2', { budget: '10000.00' });
    await addRule(s, 'P-CLAW2');
    const claim = await approvedClaim(s, world, 'P-CLAW2', 'LZ-CLAW2');
    await inTransaction(db.dataSource, (em) => s.instalments.payInstalment(em, claim.id, 1, '2025-03-10'));
    expect(await balance(s, programmeWallet('P-CLAW2'))).toBe('7000');
    const outcome = await inTransaction(db.dataSource, (em) =>
      s.clawbacks.terminateContract(em, 'LZ-CLAW2', { terminatedOn: '2025-12-31', reason: '林地被依法征收' }, randomUUID()),
    );
    const [after] = outcome.claims;
    // 1500.00 paid × 1461 / 1826 = 1200.164… → 1200.16; 60/40 of it: 720.096 / 480.064 → 720.10 / 480.06
    expect(after.clawback).toMatchObject({ amount: '1200.16', calculation: { unexpiredDays: 1461 } });
    expect(after.recipients.map((r) => r.clawback)).toEqual(['720.10', '480.06']);
    expect(after.instalments.map((i) => i.state)).toEqual(['PAID', 'CANCELLED']);
    expect(await balance(s, programmeWallet('P-CLAW2'))).toBe('8500');
    expect(await balance(s, programmeReserved('P-CLAW2'))).toBe('0');
    expect((await refusal(inTransaction(db.dataSource, (em) => s.instalments.payInstalment(em, claim.id, 2, '2026-01-01')))).code).toBe('CLAIM_STATE');
  });

  it('an open claim is cancelled; a contract past its end date is ended, not terminated', async () => {
    await createContract(s, world, 'LZ-OPEN');
    const claim = await apply(s, P, 'LZ-OPEN');
    await inTransaction(db.dataSource, (em) => s.clawbacks.terminateContract(em, 'LZ-OPEN', { terminatedOn: '2025-06-30', reason: '协商解除' }, randomUUID()));
    expect((await s.claims.getClaim(claim.id)).state).toBe('CANCELLED');
    await createContract(s, world, 'LZ-LATE');
    expect(
      (await refusal(inTransaction(db.dataSource, (em) => s.clawbacks.terminateContract(em, 'LZ-LATE', { terminatedOn: '2029-12-31', reason: 'x' }, randomUUID())))).code,
    ).toBe('CONTRACT_STATE');
  });
});

describe('rejection by an approver', () => {
  /** The programme's budget figures and the number of entries: a rejection changes none of them. */
  const budget = async (programme: string) => {
    const p = await s.programmes.getProgramme(programme);
    return { available: p.available, reserved: p.reserved, paid: p.paid, entries: await entries() };
  };

  it('rejects an APPLIED claim with the reason, who and when; nothing is committed from the budget and no entry is written', async () => {
    await createContract(s, world, 'LZ-REJECT');
    const claim = await apply(s, P, 'LZ-REJECT');
    const before = await budget(P);
    const rejected = await reject(s, claim.id, { actor: APPROVER, reason: '流转合同未经村集体备案, 材料不实', rejectedOn: '2025-03-12' });
    expect(rejected).toMatchObject({
      id: claim.id,
      state: 'REJECTED',
      rejectedBy: APPROVER.userId,
      rejectedOn: '2025-03-12',
      rejectionReason: '流转合同未经村集体备案, 材料不实',
      approvedBy: null,
      reserveEntryId: null,
      recipients: [],
      instalments: [],
    });
    expect(await budget(P)).toEqual(before);
    expect(await s.claims.getClaim(claim.id)).toEqual(rejected);
    expect((await s.claims.listClaims({ programmeCode: P, state: 'REJECTED' })).map((c) => c.id)).toEqual([claim.id]);
    // A rejected claim can be neither approved nor rejected again.
    expect((await refusal(approve(s, claim.id, { actor: APPROVER_2 }))).code).toBe('CLAIM_STATE');
    expect((await refusal(reject(s, claim.id, { actor: APPROVER_2 }))).code).toBe('CLAIM_STATE');
  });

  it('refuses to reject an APPROVED claim: its reservation stays', async () => {
    const claim = await approvedClaim(s, world, P, 'LZ-REJECT-LATE');
    const before = await budget(P);
    const error = await refusal(reject(s, claim.id, { actor: APPROVER_2 }));
    expect(error).toMatchObject({ code: 'CLAIM_STATE', field: 'claim', details: { state: 'APPROVED' } });
    expect(await budget(P)).toEqual(before);
    expect(await s.claims.getClaim(claim.id)).toMatchObject({ state: 'APPROVED', rejectedBy: null, rejectionReason: null });
  });

  it('refuses the applicant, anyone but an APPROVER, and an empty or overlong reason; writes nothing', async () => {
    await createContract(s, world, 'LZ-REJECT-SELF');
    const claim = await apply(s, P, 'LZ-REJECT-SELF', { actor: APPROVER_2 });
    expect((await refusal(reject(s, claim.id, { actor: APPROVER_2 }))).code).toBe('SELF_REJECTION');
    expect((await refusal(reject(s, claim.id, { actor: { userId: '404', role: 'ADMIN' } }))).code).toBe('NOT_AN_APPROVER');
    expect(await refusal(reject(s, claim.id, { reason: '   ' }))).toMatchObject({ code: 'INVALID_CLAIM', field: 'reason' });
    expect(await refusal(reject(s, claim.id, { reason: '材'.repeat(501) }))).toMatchObject({ code: 'INVALID_CLAIM', field: 'reason' });
    expect(await s.claims.getClaim(claim.id)).toMatchObject({ state: 'APPLIED', rejectedBy: null, rejectedOn: null, rejectionReason: null });
    // A reason of exactly 500 characters is accepted.
    expect(await reject(s, claim.id, { reason: '材'.repeat(500) })).toMatchObject({ state: 'REJECTED', rejectedBy: APPROVER.userId });
  });

  it('is idempotent by key: a replay returns the first answer, even with another reason; the key cannot reject another claim', async () => {
    await createContract(s, world, 'LZ-REJECT-REPLAY');
    await createContract(s, world, 'LZ-REJECT-OTHER');
    const claim = await apply(s, P, 'LZ-REJECT-REPLAY');
    const other = await apply(s, P, 'LZ-REJECT-OTHER');
    const k = randomUUID();
    const first = await reject(s, claim.id, { key: k, reason: '材料不全' });
    const again = await reject(s, claim.id, { key: k, reason: '材料不全', actor: APPROVER });
    expect(again).toEqual(first);
    expect(await reject(s, claim.id, { key: k, reason: '另一个理由', rejectedOn: '2025-04-01' })).toEqual(first);
    expect((await refusal(reject(s, other.id, { key: k }))).code).toBe('IDEMPOTENCY_CONFLICT');
    expect((await s.claims.getClaim(other.id)).state).toBe('APPLIED');
  });

  it('lets the contract apply again after a rejection (one open claim still), and the new claim can be approved', async () => {
    await createContract(s, world, 'LZ-REAPPLY');
    const first = await apply(s, P, 'LZ-REAPPLY');
    expect((await refusal(apply(s, P, 'LZ-REAPPLY'))).code).toBe('CLAIM_EXISTS');
    await reject(s, first.id);
    const second = await apply(s, P, 'LZ-REAPPLY', { appliedOn: '2025-04-01' });
    expect(second).toMatchObject({ state: 'APPLIED', contract: 'LZ-REAPPLY' });
    expect(second.id).not.toBe(first.id);
    expect((await refusal(apply(s, P, 'LZ-REAPPLY'))).code).toBe('CLAIM_EXISTS');
    const approved = await approve(s, second.id, { actor: APPROVER_2, approvedOn: '2025-04-02' });
    expect(approved).toMatchObject({ state: 'APPROVED', amount: '3000.00' });
    expect((await s.claims.claimsOfContract('LZ-REAPPLY')).map((c) => [c.id, c.state])).toEqual([
      [first.id, 'REJECTED'],
      [second.id, 'APPROVED'],
    ]);
  });

  it('the schema itself refuses a REJECTED claim without its reason, and a rejection by the applicant', async () => {
    await createContract(s, world, 'LZ-REJECT-CHECK');
    const claim = await apply(s, P, 'LZ-REJECT-CHECK');
    await expect(
      db.dataSource.query(`UPDATE subsidy_claims SET state = 'REJECTED', rejected_by = '202', rejected_on = '2025-03-10', rejection_key = 'k-check' WHERE id = $1`, [claim.id]),
    ).rejects.toThrow(/ck_subsidy_claims_rejection/);
    await expect(
      db.dataSource.query(
        `UPDATE subsidy_claims SET state = 'REJECTED', rejected_by = applied_by, rejected_on = '2025-03-10', rejection_reason = 'x', rejection_key = 'k-check' WHERE id = $1`,
        [claim.id],
      ),
    ).rejects.toThrow(/ck_subsidy_claims_four_eyes_rejection/);
  });

  it('reports count a rejected claim as neither approved, reserved nor paid, and its contract once under the programme', async () => {
    await createProgramme(s, world, 'P-REJ-REPORT', { budget: '10000.00' });
    await addRule(s, 'P-REJ-REPORT');
    await createContract(s, world, 'LZ-REJ-REPORT');
    const first = await apply(s, 'P-REJ-REPORT', 'LZ-REJ-REPORT');
    await reject(s, first.id);
    const onlyRejected = await s.reports.report('140522', { programmeCode: 'P-REJ-REPORT' });
    expect(onlyRejected.programmes).toEqual([
      expect.objectContaining({
        code: 'P-REJ-REPORT',
        contracts: 0,
        transferredAreaMu: '0.0000',
        approvedClaims: 0,
        approved: '0.00',
        paid: '0.00',
        reserved: '0.00',
        remainingBudget: '10000.00',
      }),
    ]);
    const second = await apply(s, 'P-REJ-REPORT', 'LZ-REJ-REPORT');
    await approve(s, second.id);
    const report = await s.reports.report('140522', { programmeCode: 'P-REJ-REPORT' });
    expect(report.programmes).toEqual([
      expect.objectContaining({
        code: 'P-REJ-REPORT',
        contracts: 1,
        transferredAreaMu: '100.0000',
        approvedClaims: 1,
        approved: '3000.00',
        reserved: '3000.00',
        remainingBudget: '7000.00',
      }),
    ]);
    expect(report.townships.find((t) => t.code === '140522101')).toMatchObject({ contracts: 1, transferredAreaMu: '100.0000', approvedClaims: 1, approved: '3000.00' });
  });
});

describe('list reads', () => {
  /** A manager that counts its queries (the lists must not grow a query per row). */
  function counting(): { em: EntityManager; queries: () => number } {
    let n = 0;
    const base = db.dataSource.manager;
    const em = Object.create(base) as EntityManager;
    em.query = <T>(sql: string, params?: unknown[]): Promise<T> => {
      n += 1;
      return base.query<T>(sql, params);
    };
    return { em, queries: () => n };
  }

  it('lists programmes exactly as each reads alone, in a fixed number of queries', async () => {
    const one = counting();
    const first = await s.programmes.listProgrammes(1, one.em);
    const all = counting();
    const listed = await s.programmes.listProgrammes(200, all.em);
    expect(first).toHaveLength(1);
    expect(listed.length).toBeGreaterThan(3);
    expect(all.queries()).toBe(one.queries());
    expect(listed.map((p) => p.code)).toEqual([...listed.map((p) => p.code)].sort());
    for (const p of listed) expect(p).toEqual(await s.programmes.getProgramme(p.code));
  });

  it('lists contracts exactly as each reads alone, by number and filtered, in a fixed number of queries', async () => {
    const one = counting();
    await s.contracts.list({ limit: 1 }, one.em);
    const all = counting();
    const listed = await s.contracts.list({ limit: 200 }, all.em);
    expect(listed.length).toBeGreaterThan(10);
    expect(all.queries()).toBe(one.queries());
    expect(listed.map((c) => c.code)).toEqual([...listed.map((c) => c.code)].sort());
    for (const c of listed) expect(c).toEqual(await s.contracts.get(c.code));
    expect((await s.contracts.list({ state: 'TERMINATED', party: H, region: '140522', limit: 200 })).map((c) => c.code)).toEqual(
      listed.filter((c) => c.state === 'TERMINATED').map((c) => c.code),
    );
    expect(await s.contracts.list({ region: '140522102', limit: 200 })).toEqual([]);
    expect((await s.contracts.list({ limit: 2 })).map((c) => c.code)).toEqual(listed.slice(0, 2).map((c) => c.code));
  });

  it('lists claims exactly as each reads alone, in a fixed number of queries', async () => {
    const listed = await s.claims.listClaims({ programmeCode: P, limit: 200 });
    expect(listed.length).toBeGreaterThan(5);
    for (const c of listed) expect(c).toEqual(await s.claims.getClaim(c.id));
    const one = counting();
    await s.claims.claimsOfContract('LZ-REJECT', one.em);
    const two = counting();
    expect(await s.claims.claimsOfContract('LZ-REAPPLY', two.em)).toHaveLength(2);
    expect(two.queries()).toBe(one.queries());
  });
});

describe('the ledger stays whole', () => {
  it('no programme account is below zero and every programme balances: topped up = available + reserved + paid + released clawbacks', async () => {
    const rows = await db.dataSource.query<Array<{ code: string }>>(`SELECT code FROM subsidy_programmes ORDER BY code`);
    for (const { code } of rows) {
      const p = await s.programmes.getProgramme(code);
      for (const v of [p.available, p.reserved, p.clawbackPending]) expect(new Dec(v).isNegative()).toBe(false);
      const [{ recovered }] = await db.dataSource.query<Array<{ recovered: string }>>(
        `SELECT COALESCE(SUM(r.recovered_amount), 0)::text AS recovered FROM subsidy_claim_recipients r JOIN subsidy_claims c ON c.id = r.claim_id JOIN subsidy_programmes p ON p.id = c.programme_id WHERE p.code = $1`,
        [code],
      );
      expect(new Dec(p.available).plus(p.reserved).plus(p.paid).minus(recovered).toFixed(2)).toBe(p.budget);
    }
  });
});

describe('events (issue 17)', () => {
  it('subsidy.instalment_paid and subsidy.clawback_booked in their transactions, once each; none when rolled back', async () => {
    await createProgramme(s, world, 'P-EVT', { budget: '3000.00' });
    await addRule(s, 'P-EVT');
    const claim = await approvedClaim(s, world, 'P-EVT', 'LZ-EVT');
    const types = ['subsidy.instalment_paid', 'subsidy.clawback_booked'] as const;
    let mark = await outboxMark(db.dataSource);
    await rolledBack(db.dataSource, (em) => s.instalments.payInstalment(em, claim.id, 1, '2025-03-10'));
    expect(await outboxSince(db.dataSource, mark, [...types])).toEqual([]);
    const paid = await inTransaction(db.dataSource, (em) => s.instalments.payInstalment(em, claim.id, 1, '2025-03-10'));
    // Paying it again is a no-op: no second event.
    await inTransaction(db.dataSource, (em) => s.instalments.payInstalment(em, claim.id, 1, '2025-03-10'));
    expect((await outboxSince(db.dataSource, mark, [...types])).map((e) => [e.type, e.aggregate, e.data])).toEqual([
      [
        'subsidy.instalment_paid',
        { type: 'subsidy_claim', id: claim.id },
        {
          claimId: claim.id,
          programme: 'P-EVT',
          contract: 'LZ-EVT',
          seq: 1,
          amount: '1500.00',
          paidOn: '2025-03-10',
          splits: [
            { party: H, amount: '900.00' },
            { party: E, amount: '600.00' },
          ],
          claimCompleted: false,
          entryId: paid.entryId,
        },
      ],
    ]);
    const terminate = (em: EntityManager) => s.clawbacks.terminateContract(em, 'LZ-EVT', { terminatedOn: '2026-12-31', reason: '双方协商解除' }, 'evt-terminate');
    mark = await outboxMark(db.dataSource);
    await rolledBack(db.dataSource, terminate);
    expect(await outboxSince(db.dataSource, mark, [...types])).toEqual([]);
    const [after] = (await inTransaction(db.dataSource, terminate)).claims;
    const events = await outboxSince(db.dataSource, mark, [...types]);
    expect(events.map((e) => [e.type, e.aggregate])).toEqual([['subsidy.clawback_booked', { type: 'subsidy_claim', id: claim.id }]]);
    expect(events[0].data).toEqual({
      claimId: claim.id,
      programme: 'P-EVT',
      contract: 'LZ-EVT',
      terminatedOn: '2026-12-31',
      state: 'CLAWBACK_DUE',
      total: after.clawback!.amount,
      released: '1500.00',
      lines: after.recipients.map((r) => ({ party: r.party, amount: r.clawback })),
      unexpiredDays: 1096,
      termDays: 1826,
      entryId: after.clawback!.entryId,
    });
  });
});
