import { BANK_CLEARING_ACCOUNT, businessToday, projectCapitalToReceive, projectCommitments, projectInKind, projectInKindCapital, projectWallet } from '@forest-ledger/forestry';
import { inTransaction } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import {
  balance,
  contribute,
  contributeCash,
  contributeInKind,
  createProject,
  issueSeries,
  key,
  refusal,
  seedTicketWorld,
  takeParcels,
  TicketServices,
  ticketServices,
  TicketWorld,
} from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let t: TicketServices;
let world: TicketWorld;

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  world = await seedTicketWorld(t, { villagers: 10, households: 4, parcels: 24 });
});

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT (${sql})::int AS n`, params);
  return n;
}

const projectCount = () => count(`SELECT count(*) FROM coop_projects`);
const entryCount = () => count(`SELECT count(*) FROM ledger_entries`);

/** The project's money paid out through the bank (there is no payout service yet): wallet → bank clearing. */
function payOut(project: string, amount: string) {
  return inTransaction(db.dataSource, (em) =>
    t.ledger.post(em, {
      idempotencyKey: `test-payout:${randomUUID()}`,
      kind: 'TEST_PAYOUT',
      effectiveDate: '2025-06-30',
      postings: [
        { account: projectWallet(project), side: 'DEBIT', amount },
        { account: BANK_CLEARING_ACCOUNT, side: 'CREDIT', amount },
      ],
    }),
  );
}

describe('ProjectsService.create', () => {
  it('creates a draft with its parcels, term and accounts', async () => {
    const parcels = takeParcels(world, 2);
    const view = await createProject(t, world, 'P-CREATE', {
      parcelIds: parcels,
      areaMu: '1399.5000',
      termYears: 20,
      guarantee: { buyBackPrice: '1.05', description: '兜底回购' },
    });

    expect(view).toMatchObject({
      code: 'P-CREATE',
      state: 'DRAFT',
      farm: { code: world.farm },
      collective: { code: world.collective },
      areaMu: '1399.5000',
      parcelsAreaMu: '1400.0000',
      startDate: '2025-01-01',
      endDate: '2045-01-01',
      collectiveRetainedRatio: '0.3',
      memberWeighting: 'PER_PERSON',
      guarantee: { buyBackPrice: '1.05', description: '兜底回购', yieldPerMu: null, referencePrice: null },
      totalContributions: '0.00',
      contributions: [],
      walletBalance: '0.00',
      seriesCode: null,
    });
    expect(view.parcels.map((p) => p.id).sort()).toEqual([...parcels].sort());
    for (const account of [projectWallet, projectCommitments, projectCapitalToReceive, projectInKind, projectInKindCapital])
      expect(await balance(t, account('P-CREATE'))).toBe('0');
  });

  it.each([2, 21, 3.5, 0])('refuses a term of %p years (TERM_OUT_OF_RANGE) and writes nothing', async (termYears) => {
    const before = await projectCount();
    const error = await refusal(createProject(t, world, `P-TERM-${String(termYears).replace('.', '_')}`, { termYears }));
    expect(error).toMatchObject({ code: 'TERM_OUT_OF_RANGE', field: 'termYears', details: { min: 3, max: 20 } });
    expect(error.message).toContain('from 3 to 20');
    expect(await projectCount()).toBe(before);
  });

  it('accepts the bounds of the term, 3 and 20 years', async () => {
    await expect(createProject(t, world, 'P-TERM-3', { termYears: 3 })).resolves.toMatchObject({ termYears: 3, endDate: '2028-01-01' });
    await expect(createProject(t, world, 'P-TERM-20', { termYears: 20 })).resolves.toMatchObject({ termYears: 20, endDate: '2045-01-01' });
  });

  it('refuses a parcel already under another open project (PARCEL_IN_OTHER_PROJECT)', async () => {
    const [parcel] = takeParcels(world);
    await createProject(t, world, 'P-BUSY-A', { parcelIds: [parcel] });
    const [other] = takeParcels(world);
    const before = await projectCount();

    const error = await refusal(createProject(t, world, 'P-BUSY-B', { parcelIds: [other, parcel] }));
    expect(error).toMatchObject({ code: 'PARCEL_IN_OTHER_PROJECT', field: 'parcelIds', details: { parcels: [{ parcelId: parcel, project: 'P-BUSY-A' }] } });
    expect(error.message).toContain('P-BUSY-A');
    expect(await projectCount()).toBe(before);
  });

  it('lets only one of two concurrent projects take the same parcel', async () => {
    const [parcel] = takeParcels(world);
    const results = await Promise.allSettled(['P-RACE-A', 'P-RACE-B', 'P-RACE-C'].map((code) => createProject(t, world, code, { parcelIds: [parcel] })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'PARCEL_IN_OTHER_PROJECT' });
    expect(await count(`SELECT count(*) FROM coop_project_parcels WHERE parcel_id = $1`, [parcel])).toBe(1);
  });

  it('refuses a mortgaged parcel (PARCEL_NOT_ATTACHABLE)', async () => {
    const [parcel] = takeParcels(world);
    await db.dataSource.query(`UPDATE parcels SET mortgaged = true WHERE id = $1`, [parcel]);

    const error = await refusal(createProject(t, world, 'P-MORTGAGED', { parcelIds: [parcel] }));
    expect(error).toMatchObject({ code: 'PARCEL_NOT_ATTACHABLE', details: { refused: [{ parcelId: parcel, reasons: ['MORTGAGED'] }] } });
    expect(await count(`SELECT count(*) FROM coop_projects WHERE code = 'P-MORTGAGED'`)).toBe(0);
  });

  it("refuses an area above the parcels' (AREA_EXCEEDS_PARCELS)", async () => {
    const parcels = takeParcels(world, 2);
    const error = await refusal(createProject(t, world, 'P-AREA', { parcelIds: parcels, areaMu: '1400.0001' }));
    expect(error).toMatchObject({ code: 'AREA_EXCEEDS_PARCELS', field: 'areaMu', details: { parcelsAreaMu: '1400.0000' } });
    await expect(createProject(t, world, 'P-AREA', { parcelIds: parcels, areaMu: '1400.0000' })).resolves.toMatchObject({ areaMu: '1400.0000' });
  });

  it('refuses a second project with the same code (PROJECT_EXISTS)', async () => {
    await createProject(t, world, 'P-TWICE');
    expect(await refusal(createProject(t, world, 'P-TWICE'))).toMatchObject({ code: 'PROJECT_EXISTS' });
  });
});

describe('ProjectsService contributions', () => {
  let project: string;

  beforeAll(async () => {
    project = (await createProject(t, world, 'P-CONTRIB')).code;
  });

  it('records cash paid in with its bank reference: bank → project wallet', async () => {
    const before = await entryCount();
    const missing = await refusal(contribute(t, project, { partyCode: world.farm, kind: 'CASH', paid: true, amount: '500000.00' }));
    expect(missing).toMatchObject({ code: 'INVALID_PROJECT', field: 'bankReference' });
    expect(await entryCount()).toBe(before);

    const outcome = await contribute(t, project, {
      partyCode: world.farm,
      kind: 'CASH',
      paid: true,
      amount: '500000.00',
      bankReference: 'ICBC-20250101-0001',
      effectiveDate: '2025-01-01',
    });
    expect(outcome.contribution).toMatchObject({
      partyCode: world.farm,
      role: 'FARM',
      kind: 'CASH',
      state: 'PAID',
      amount: '500000.00',
      bankReference: 'ICBC-20250101-0001',
      callEntryId: null,
    });
    expect(outcome.walletBalance).toBe('500000.00');
    const entry = await t.ledger.getEntry(outcome.entryId);
    expect(entry.kind).toBe('PROJECT_INVESTMENT');
    expect(entry.postings.map((p) => [p.account, p.side, p.amount])).toEqual([
      [BANK_CLEARING_ACCOUNT, 'DEBIT', '500000.00'],
      [projectWallet(project), 'CREDIT', '500000.00'],
    ]);
  });

  it('records a commitment and its call: one entry moves the money bank → wallet and settles the commitment', async () => {
    const committed = await contribute(t, project, { partyCode: world.farm, kind: 'CASH', paid: false, amount: '300000.00', effectiveDate: '2025-01-01' });
    expect(committed.contribution).toMatchObject({ state: 'COMMITTED', bankReference: null });
    expect(committed.walletBalance).toBe('500000.00');
    expect(await balance(t, projectCommitments(project))).toBe('300000');
    expect(await balance(t, projectCapitalToReceive(project))).toBe('300000');

    const noReference = await refusal(inTransaction(db.dataSource, (em) => t.projects.callContribution(em, project, committed.contribution.id, { bankReference: ' ' }, key())));
    expect(noReference).toMatchObject({ code: 'INVALID_PROJECT', field: 'bankReference' });

    const callKey = key();
    const called = await inTransaction(db.dataSource, (em) =>
      t.projects.callContribution(em, project, committed.contribution.id, { bankReference: 'ICBC-20250301-0002', effectiveDate: '2025-03-01' }, callKey),
    );
    expect(called.contribution).toMatchObject({
      id: committed.contribution.id,
      state: 'PAID',
      bankReference: 'ICBC-20250301-0002',
      entryId: committed.entryId,
      callEntryId: called.entryId,
    });
    expect(called.walletBalance).toBe('800000.00');
    expect(await balance(t, projectCommitments(project))).toBe('0');
    expect(await balance(t, projectCapitalToReceive(project))).toBe('0');
    const entry = await t.ledger.getEntry(called.entryId);
    expect(entry.kind).toBe('PROJECT_CAPITAL_CALL');
    expect(entry.postings.map((p) => [p.account, p.side, p.amount])).toEqual([
      [BANK_CLEARING_ACCOUNT, 'DEBIT', '300000.00'],
      [projectWallet(project), 'CREDIT', '300000.00'],
      [projectCapitalToReceive(project), 'DEBIT', '300000.00'],
      [projectCommitments(project), 'CREDIT', '300000.00'],
    ]);

    // The same call again is the same entry; another call of a paid contribution is refused.
    const entries = await entryCount();
    const replay = await inTransaction(db.dataSource, (em) =>
      t.projects.callContribution(em, project, committed.contribution.id, { bankReference: 'ICBC-20250301-0002', effectiveDate: '2025-03-01' }, callKey),
    );
    expect(replay.entryId).toBe(called.entryId);
    expect(replay.walletBalance).toBe('800000.00');
    expect(await entryCount()).toBe(entries);
    const again = await refusal(inTransaction(db.dataSource, (em) => t.projects.callContribution(em, project, committed.contribution.id, { bankReference: 'ICBC-X' }, key())));
    expect(again).toMatchObject({ code: 'CONTRIBUTION_NOT_COMMITTED' });
    expect(await refusal(inTransaction(db.dataSource, (em) => t.projects.callContribution(em, project, '999999', { bankReference: 'ICBC-X' }, key())))).toMatchObject({
      code: 'UNKNOWN_CONTRIBUTION',
    });
  });

  it('records an in-kind contribution only with its valuation document', async () => {
    const before = await entryCount();
    const missing = await refusal(contribute(t, project, { partyCode: world.collective, kind: 'IN_KIND_LAND', amount: '900000.00' }));
    expect(missing).toMatchObject({ code: 'INVALID_PROJECT', field: 'valuationDocument' });
    const withBank = await refusal(contribute(t, project, { partyCode: world.collective, kind: 'IN_KIND_TREES', amount: '1.00', valuationDocument: 'X', bankReference: 'Y' }));
    expect(withBank).toMatchObject({ code: 'INVALID_PROJECT', field: 'bankReference' });
    expect(await entryCount()).toBe(before);

    const outcome = await contribute(t, project, {
      partyCode: world.collective,
      kind: 'IN_KIND_LAND',
      amount: '900000.00',
      valuationDocument: '晋阳评字(2025)第017号',
      effectiveDate: '2025-01-01',
    });
    expect(outcome.contribution).toMatchObject({ role: 'COLLECTIVE', kind: 'IN_KIND_LAND', state: 'VALUED', valuationDocument: '晋阳评字(2025)第017号' });
    expect(outcome.walletBalance).toBe('800000.00'); // in kind: no money
    expect(await balance(t, projectInKind(project))).toBe('900000');
    expect(await balance(t, projectInKindCapital(project))).toBe('900000');
  });

  it('refuses a party that is neither the farm nor the collective', async () => {
    expect(await refusal(contribute(t, project, { partyCode: world.outsider, kind: 'CASH', paid: true, amount: '1.00', bankReference: 'B' }))).toMatchObject({
      code: 'NOT_A_PROJECT_PARTY',
    });
  });

  it('replays a contribution with the same key: same entry, nothing changes', async () => {
    const k = key();
    const first = await contributeCash(t, project, world.farm, '100.00', k);
    const [entries, contributions] = [await entryCount(), await count(`SELECT count(*) FROM project_contributions`)];
    const second = await contributeCash(t, project, world.farm, '100.00', k);
    expect(second.entryId).toBe(first.entryId);
    expect(second.contribution.id).toBe(first.contribution.id);
    expect(second.walletBalance).toBe(first.walletBalance);
    expect([await entryCount(), await count(`SELECT count(*) FROM project_contributions`)]).toEqual([entries, contributions]);
    const view = await t.projects.get(project, null);
    expect(view.totalContributions).toBe('1700100.00');
  });

  it('freezes the contributions once the 林票 are issued (PROJECT_NOT_DRAFT); a commitment can still be called', async () => {
    const commitment = await contribute(t, project, { partyCode: world.farm, kind: 'CASH', paid: false, amount: '99900.00', effectiveDate: '2025-01-01' });
    const issued = await issueSeries(t, project, { seriesCode: 'P-CONTRIB-S' });
    expect(issued.series.totalUnits).toBe('1800000');
    expect((await t.projects.get(project, null)).state).toBe('ACTIVE');

    const before = await entryCount();
    for (const input of [
      { partyCode: world.farm, kind: 'CASH' as const, paid: true, amount: '100.00', bankReference: 'B-LATE' },
      { partyCode: world.collective, kind: 'IN_KIND_TREES' as const, amount: '100.00', valuationDocument: 'V-LATE' },
    ]) {
      const error = await refusal(contribute(t, project, input));
      expect(error).toMatchObject({ code: 'PROJECT_NOT_DRAFT', field: 'project' });
      expect(error.message).toContain('ACTIVE');
    }
    expect(await entryCount()).toBe(before);

    const called = await inTransaction(db.dataSource, (em) =>
      t.projects.callContribution(em, project, commitment.contribution.id, { bankReference: 'ICBC-LATE', effectiveDate: '2025-04-01' }, key()),
    );
    expect(called.contribution.state).toBe('PAID');
  });

  it('replays a contribution after the issuance instead of refusing it', async () => {
    const k = key();
    const draft = (await createProject(t, world, 'P-REPLAY-LATE')).code;
    const first = await contributeInKind(t, draft, world.collective, '1000.00', k);
    await issueSeries(t, draft, { seriesCode: 'P-REPLAY-LATE' });
    const replay = await contributeInKind(t, draft, world.collective, '1000.00', k);
    expect(replay.entryId).toBe(first.entryId);
    expect(replay.contribution.id).toBe(first.contribution.id);
  });
});

describe('issuance refusals', () => {
  it('refuses contributions that are not a whole number of units (NOT_WHOLE_UNITS) with a clear message, and writes nothing', async () => {
    const project = (await createProject(t, world, 'P-FRACTION')).code;
    await contributeInKind(t, project, world.collective, '900000.50');
    const before = { entries: await entryCount(), accounts: await count(`SELECT count(*) FROM ledger_accounts`), holdings: await count(`SELECT count(*) FROM ticket_holdings`) };

    const error = await refusal(issueSeries(t, project, { seriesCode: 'P-FRACTION' }));
    expect(error).toMatchObject({ code: 'NOT_WHOLE_UNITS', field: 'contributions', details: { total: '900000.50', faceValue: '1.00' } });
    expect(error.message).toBe('total contributions 900000.50 CNY are not a whole number of units of face value 1.00 CNY: 900000 units and 0.50 CNY over');

    const hundred = await refusal(issueSeries(t, project, { seriesCode: 'P-FRACTION', faceValue: '100.00' }));
    expect(hundred.message).toContain('9000 units and 0.50 CNY over');

    expect({ entries: await entryCount(), accounts: await count(`SELECT count(*) FROM ledger_accounts`), holdings: await count(`SELECT count(*) FROM ticket_holdings`) }).toEqual(
      before,
    );
    expect(await count(`SELECT count(*) FROM ticket_series WHERE code = 'P-FRACTION'`)).toBe(0);
    expect(await count(`SELECT count(*) FROM ledger_assets WHERE code = 'LP.P-FRACTION'`)).toBe(0);
    expect((await t.projects.get(project, null)).state).toBe('DRAFT');

    // Each line must be whole units too, even when the total is.
    await contributeInKind(t, project, world.collective, '0.50');
    const line = await refusal(issueSeries(t, project, { seriesCode: 'P-FRACTION' }));
    expect(line).toMatchObject({ code: 'NOT_WHOLE_UNITS', field: 'contributions[0].amount' });
    expect(line.message).toContain('contribution 900000.50 CNY of C-LSC is not a whole number of units of face value 1.00 CNY');
  });

  it('refuses a project without contributions (NO_CONTRIBUTIONS)', async () => {
    const project = (await createProject(t, world, 'P-EMPTY')).code;
    expect(await refusal(issueSeries(t, project, { seriesCode: 'P-EMPTY' }))).toMatchObject({ code: 'NO_CONTRIBUTIONS' });
  });
});

describe('ProjectsService.close', () => {
  it('refuses a draft (PROJECT_NOT_ACTIVE) and a project before its term ends (TERM_NOT_ENDED)', async () => {
    const project = (await createProject(t, world, 'P-RUNNING', { termYears: 10 })).code;
    expect(await refusal(inTransaction(db.dataSource, (em) => t.projects.close(em, project)))).toMatchObject({ code: 'PROJECT_NOT_ACTIVE' });
    await contributeInKind(t, project, world.collective, '1000.00');
    await issueSeries(t, project, { seriesCode: 'P-RUNNING' });

    const error = await refusal(inTransaction(db.dataSource, (em) => t.projects.close(em, project)));
    expect(error).toMatchObject({ code: 'TERM_NOT_ENDED', field: 'closedOn', details: { endDate: '2035-01-01' } });
    expect(await refusal(inTransaction(db.dataSource, (em) => t.projects.close(em, project, '2034-12-31')))).toMatchObject({ code: 'TERM_NOT_ENDED' });
    expect((await t.projects.get(project, null)).state).toBe('ACTIVE');
  });

  it('refuses a closing date in the future (a running project cannot be closed by naming a date past its term)', async () => {
    const project = (await createProject(t, world, 'P-FUTURE', { termYears: 3 })).code;
    await contributeInKind(t, project, world.collective, '1000.00');
    await issueSeries(t, project, { seriesCode: 'P-FUTURE' });

    const error = await refusal(inTransaction(db.dataSource, (em) => t.projects.close(em, project, '2028-01-01')));
    expect(error).toMatchObject({ code: 'INVALID_PROJECT', field: 'closedOn' });
    expect(error.message).toContain(businessToday());
    expect((await t.projects.get(project, null)).state).toBe('ACTIVE');
  });

  it('refuses to close while money is in the wallet or a commitment is unpaid (PROJECT_NOT_SETTLED), then closes; its 林票 stop moving and its parcels are free again', async () => {
    const [parcel] = takeParcels(world);
    const project = (await createProject(t, world, 'P-ENDED', { parcelIds: [parcel], startDate: '2021-01-01', termYears: 3 })).code;
    await contributeCash(t, project, world.farm, '5000.00');
    const commitment = await contribute(t, project, { partyCode: world.farm, kind: 'CASH', paid: false, amount: '2000.00', effectiveDate: '2021-01-01' });
    await contributeInKind(t, project, world.collective, '3000.00');
    await issueSeries(t, project, { seriesCode: 'P-ENDED' });

    const unsettled = await refusal(inTransaction(db.dataSource, (em) => t.projects.close(em, project)));
    expect(unsettled).toMatchObject({ code: 'PROJECT_NOT_SETTLED', details: { walletBalance: '5000.00', unpaidCommitments: '2000.00' } });
    expect(unsettled.message).toContain('wallet 5000.00 CNY');

    await inTransaction(db.dataSource, (em) =>
      t.projects.callContribution(em, project, commitment.contribution.id, { bankReference: 'ICBC-CALL', effectiveDate: '2025-03-01' }, key()),
    );
    await payOut(project, '5000.00');
    expect(await refusal(inTransaction(db.dataSource, (em) => t.projects.close(em, project)))).toMatchObject({
      code: 'PROJECT_NOT_SETTLED',
      details: { walletBalance: '2000.00', unpaidCommitments: '0.00' },
    });
    await payOut(project, '2000.00');

    const closed = await inTransaction(db.dataSource, (em) => t.projects.close(em, project, '2024-01-01'));
    expect(closed.state).toBe('CLOSED');
    expect(closed.closedAt).not.toBeNull();

    const trade = await refusal(
      inTransaction(db.dataSource, (em) =>
        t.movements.trade(em, 'P-ENDED', { seller: world.farm, buyer: world.villagers[0], units: '1', unitPrice: '1.00', effectiveDate: '2025-06-01' }, key()),
      ),
    );
    expect(trade).toMatchObject({ code: 'SERIES_CLOSED' });
    await expect(createProject(t, world, 'P-AFTER', { parcelIds: [parcel] })).resolves.toMatchObject({ state: 'DRAFT' });
  });
});
