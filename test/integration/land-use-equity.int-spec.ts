import { Actor, equityContributionKey, walletOf } from '@forest-ledger/forestry';
import { inTransaction } from '@forest-ledger/platform';
import { declareAndApprove, DividendServices, dividendServices, fundProject, paidByDeclaration, staffUser } from '../factories/dividends.factory';
import { cancelContract, createContract, equityInput, LandUseServices, landUseServices, LandWorld, runDaily, seedLandWorld } from '../factories/land-use.factory';
import { balance, contributeInKind, createProject, issueSeries, refusal, seedParties, unitsOf } from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

/**
 * The EQUITY mode of state-land use (入股, DOMAIN.md §7): the land's appraised value becomes the
 * farm's IN_KIND_LAND contribution to the lessee's cooperation project at activation, the series
 * issued on the contributions gives the farm its units, and the project's dividends pay the farm its
 * share, all shown on the contract. Ledger invariants are checked after the file (test-database).
 */
const db = useTestDatabase();
let t: LandUseServices;
let d: DividendServices;
let world: LandWorld;
let maker: Actor;
let checker: Actor;

beforeAll(async () => {
  t = landUseServices(db.dataSource);
  d = dividendServices(t);
  world = await seedLandWorld(t, { collectiveParcels: 6 });
  await seedParties(t, [{ code: 'F-OTHER', kind: 'STATE_FARM', name: '另一国有林场' }]);
  maker = world.operator; // the farm's operator (one FARM_OPERATOR user per farm)
  checker = await staffUser(t, 'APPROVER');
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT (${sql})::int AS n`, params);
  return n;
}

const contributionsOf = (project: string) => count(`SELECT count(*) FROM project_contributions c JOIN coop_projects p ON p.id = c.project_id WHERE p.code = $1`, [project]);
const activate = (code: string) => inTransaction(t.ds, (em) => t.landUse.activate(em, code));

describe('an EQUITY contract into a cooperation project', () => {
  const P = 'EQ-MAIN';
  const Q = 'Q-MAIN';

  beforeAll(async () => {
    // 梨树村 in kind 900,000.00; the farm's stake will be the land of Q-MAIN, 1,500,000.00.
    await createProject(t, world, P, { collectiveRetainedRatio: '0.30' });
    await contributeInKind(t, P, world.collective, '900000.00');
  });

  it('is a draft linked to the project; activation books the IN_KIND_LAND contribution with the appraisal reference', async () => {
    const draft = await createContract(t, world, Q, equityInput(world, Q, P, { appraisalReference: '晋评报字(2025)第021号' }));
    expect(draft).toMatchObject({
      mode: 'EQUITY',
      state: 'DRAFT',
      lessor: { code: world.farm },
      lessee: { code: world.collective },
      rent: null,
      equity: { appraisedValue: '1500000.00', appraisalReference: '晋评报字(2025)第021号', project: P, contributionId: null, contributionEntryId: null, series: null },
    });
    expect(await contributionsOf(P)).toBe(1);

    const active = await activate(Q);
    expect(active.state).toBe('ACTIVE');
    const { contributions } = await t.projects.get(P, null);
    expect(contributions).toHaveLength(2);
    const stake = contributions.find((c) => c.partyCode === world.farm)!;
    expect(stake).toMatchObject({ role: 'FARM', kind: 'IN_KIND_LAND', state: 'VALUED', amount: '1500000.00', valuationDocument: '晋评报字(2025)第021号' });
    expect(stake.description).toContain(Q);
    expect(active.equity).toMatchObject({ contributionId: stake.id, contributionEntryId: stake.entryId, series: null });
    const [entry] = await t.ds.query<
      Array<{
        idempotency_key: string;
        kind: string;
        date: string;
      }>
    >(`SELECT idempotency_key, kind, effective_date::text AS date FROM ledger_entries WHERE id = $1`, [stake.entryId]);
    expect(entry).toEqual({ idempotency_key: `project-in-kind:${equityContributionKey(Q)}`, kind: 'PROJECT_IN_KIND', date: '2025-01-01' });
  });

  it('a replayed activation adds no second contribution', async () => {
    expect(await refusal(activate(Q))).toMatchObject({ code: 'CONTRACT_NOT_DRAFT' });
    expect(await contributionsOf(P)).toBe(2);
  });

  it('pays no rent: no schedule, no receivable, no land accounts, the daily job leaves it alone', async () => {
    expect(await t.landUse.schedule(Q)).toEqual([]);
    await runDaily(t, '2025-06-30');
    expect(await count(`SELECT count(*) FROM land_use_receivables r JOIN land_use_contracts c ON c.id = r.contract_id WHERE c.code = $1`, [Q])).toBe(0);
    expect(await count(`SELECT count(*) FROM ledger_accounts WHERE code LIKE $1`, [`land:${Q}:%`])).toBe(0);
    expect(
      await refusal(inTransaction(t.ds, (em) => t.landUseReceivables.recordPayment(em, Q, { amount: '1.00', receivedOn: '2025-06-30', bankReference: 'x' }, 'k-eq-pay'))),
    ).toMatchObject({
      code: 'NOT_RENTED',
    });
  });

  it('the series gives the farm appraised value / face value more units', async () => {
    await issueSeries(t, P, { seriesCode: P, faceValue: '1.00' });
    // 900,000 + 1,500,000 = 2,400,000 units at 1.00: the farm 1,500,000; the collective keeps 30 % of its
    // 900,000 (270,000) and its two villagers get 315,000 each.
    expect(await unitsOf(t, world.farm, P)).toBe('1500000');
    expect(await unitsOf(t, world.collective, P)).toBe('270000');
    expect(await unitsOf(t, world.villagers[0], P)).toBe('315000');
    const view = await t.landUse.get(Q);
    expect(view.equity?.series).toEqual({ code: P, faceValue: '1.00', unitsFromContract: '1500000', farmUnitsHeld: '1500000', distributions: [], distributedTotal: '0.00' });
  });

  it('a dividend pays the farm exactly its largest-remainder share, and the contract shows it', async () => {
    await fundProject(t, d, P, '1000.01');
    const declared = await declareAndApprove(t, d, maker, checker, { project: P, amount: '1000.01', recordDate: '2026-06-30', paymentDate: '2026-07-15' });
    expect(await d.dividends.distribute(declared.id)).toMatchObject({ state: 'DISTRIBUTED' });
    // 1,000.01 over 2,400,000 units, in 分 (100,001 分):
    //   farm      1,500,000 / 2,400,000 × 100,001 = 62,500.625   → 62,500, remainder 0.625
    //   collective  270,000 / 2,400,000 × 100,001 = 11,250.1125  → 11,250, remainder 0.1125
    //   villager    315,000 / 2,400,000 × 100,001 = 13,125.13125 → 13,125, remainder 0.13125 (× 2)
    // floors add up to 100,000 分: the one 分 left goes to the largest remainder, the farm's → 625.01.
    const paid = await paidByDeclaration(t, declared.id);
    expect(paid.get(walletOf(world.farm))).toBe('625.01');
    expect(paid.get(walletOf(world.collective))).toBe('112.50');
    expect(paid.get(walletOf(world.villagers[0]))).toBe('131.25');
    expect(paid.get(walletOf(world.villagers[1]))).toBe('131.25');
    expect(await balance(t, walletOf(world.farm))).toBe('625.01');

    const view = await t.landUse.get(Q);
    const [line] = (await d.dividends.lines(declared.id, { limit: 10 })).filter((l) => l.party === world.farm);
    expect(view.equity?.series).toEqual({
      code: P,
      faceValue: '1.00',
      unitsFromContract: '1500000',
      farmUnitsHeld: '1500000',
      distributions: [{ declarationId: declared.id, recordDate: '2026-06-30', paymentDate: '2026-07-15', units: '1500000', amount: '625.01', entryId: line.entryId }],
      distributedTotal: '625.01',
    });
  });

  it('is listed with the same stake as its own read shows', async () => {
    const listed = await t.landUse.list({ mode: 'EQUITY' }, null);
    expect(listed.every((v) => v.mode === 'EQUITY')).toBe(true);
    expect(listed.find((v) => v.code === Q)).toEqual(await t.landUse.get(Q));
    expect(listed.find((v) => v.code === Q)!.equity!.series!.distributions).toHaveLength(1);
  });
});

describe('the project of an EQUITY contract', () => {
  it('is required for EQUITY and refused for LEASE (400 naming projectCode)', async () => {
    const before = await count(`SELECT count(*) FROM land_use_contracts`);
    expect(await refusal(createContract(t, world, 'Q-NO-PROJECT', equityInput(world, 'Q-NO-PROJECT', 'EQ-MAIN', { projectCode: undefined })))).toMatchObject({
      code: 'INVALID_CONTRACT',
      kind: 'invalid',
      field: 'projectCode',
    });
    expect(await refusal(createContract(t, world, 'L-WITH-PROJECT', { projectCode: 'EQ-MAIN' }))).toMatchObject({
      code: 'INVALID_CONTRACT',
      kind: 'invalid',
      field: 'projectCode',
    });
    expect(await refusal(createContract(t, world, 'Q-UNKNOWN', equityInput(world, 'Q-UNKNOWN', 'NO-SUCH-PROJECT')))).toMatchObject({
      code: 'UNKNOWN_PROJECT',
      kind: 'not-found',
      field: 'projectCode',
    });
    expect(await count(`SELECT count(*) FROM land_use_contracts`)).toBe(before);
  });

  it('has the lessor as its farm and the lessee as its collective', async () => {
    await createProject(t, world, 'EQ-PARTIES');
    expect(await refusal(createContract(t, world, 'Q-OTHER-FARM', equityInput(world, 'Q-OTHER-FARM', 'EQ-PARTIES', { lessorCode: 'F-OTHER' })))).toMatchObject({
      code: 'NOT_THE_PROJECTS_PARTY',
      kind: 'rule',
      field: 'lessorCode',
    });
    expect(await refusal(createContract(t, world, 'Q-ENTERPRISE', equityInput(world, 'Q-ENTERPRISE', 'EQ-PARTIES', { lesseeCode: world.lessees[0] })))).toMatchObject({
      code: 'NOT_THE_PROJECTS_PARTY',
      field: 'lesseeCode',
    });
  });

  it('must still be a draft at creation', async () => {
    const error = await refusal(createContract(t, world, 'Q-ISSUED', equityInput(world, 'Q-ISSUED', 'EQ-MAIN')));
    expect(error).toMatchObject({ code: 'PROJECT_NOT_DRAFT', kind: 'conflict', field: 'projectCode', details: { project: 'EQ-MAIN', state: 'ACTIVE' } });
  });

  it('must still be a draft at activation: refused, nothing written', async () => {
    await createProject(t, world, 'EQ-LATE');
    await contributeInKind(t, 'EQ-LATE', world.collective, '900000.00');
    await createContract(t, world, 'Q-LATE', equityInput(world, 'Q-LATE', 'EQ-LATE', { appraisedValue: '300000.00' }));
    await issueSeries(t, 'EQ-LATE', { seriesCode: 'EQ-LATE' });
    const entries = await count(`SELECT count(*) FROM ledger_entries`);
    const error = await refusal(activate('Q-LATE'));
    expect(error).toMatchObject({ code: 'PROJECT_NOT_DRAFT', kind: 'conflict', details: { project: 'EQ-LATE', state: 'ACTIVE' } });
    expect(await count(`SELECT count(*) FROM ledger_entries`)).toBe(entries);
    expect(await contributionsOf('EQ-LATE')).toBe(1);
    expect((await t.landUse.get('Q-LATE')).state).toBe('DRAFT');
  });

  it('a draft EQUITY contract can be cancelled: nothing was booked, nothing to return', async () => {
    await createProject(t, world, 'EQ-CANCEL');
    await createContract(t, world, 'Q-CANCEL', equityInput(world, 'Q-CANCEL', 'EQ-CANCEL'));
    const cancelled = await cancelContract(t, 'Q-CANCEL', '评估报告被撤销');
    expect(cancelled).toMatchObject({ state: 'CANCELLED', cancellationReason: '评估报告被撤销', equity: { project: 'EQ-CANCEL', contributionId: null } });
    expect(await contributionsOf('EQ-CANCEL')).toBe(0);
    expect(await refusal(activate('Q-CANCEL'))).toMatchObject({ code: 'CONTRACT_NOT_DRAFT' });
  });
});
