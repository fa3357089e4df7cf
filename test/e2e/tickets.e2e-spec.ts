import type { ApiApplication } from '../../apps/api/src/app.setup';
import { BANK_CLEARING_ACCOUNT, businessToday, holderPledged, holderTickets, PLATFORM_FEES_ACCOUNT, REGISTER_HEADERS, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { deposit, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { apiClient, binary, ledgerBalances } from '../setup/http-client';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * A cooperation project and its 林票 over HTTP, from creation to buy-back: contributions, issuance,
 * register, trades (with replay), pledges, inheritance, buy-back, the certificate and its public
 * verification, refusals that write nothing, and who may do what.
 */

const db = useTestDatabase();
let app: ApiApplication;
let t: TicketServices;
let world: TicketWorld;
const token: Record<string, string> = {};

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const PROJECT = 'LSC-2025';
const SERIES = 'LSC-2025';
const OLD_PROJECT = 'LSC-2015';
const OTHER_FARM = 'F-OTHER';
/** An heir from outside the collective: inheritance is exempt from the transfer restriction. */
const OUTSIDE_HEIR = 'P-HEIR';
const TODAY = businessToday();
const cert = (seq: number) => `${SERIES}-${String(seq).padStart(6, '0')}`;

interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}
interface Position {
  party: string;
  certificateNo: string;
  units: string;
  pledgedUnits: string;
  walletBalance?: string;
}
interface MovementBody {
  series: string;
  kind: string;
  entryId: string;
  movementIds: string[];
  pledgeId?: string;
  amount?: string;
  fee?: string;
  positions: Position[];
}
interface ContributionOutcomeBody {
  project: string;
  contribution: { id: string; state: string; amount: string; role: string; kind: string; callEntryId: string | null };
  entryId: string;
  walletBalance: string;
}
interface RegisterBody {
  series: string;
  asOf: string;
  totalUnits: string;
  holders: number;
  lines: Array<{ certificateNo: string; partyCode: string; origin: string; units: string; pledgedUnits: string; share: string }>;
}

const { http, as, post, get } = apiClient(
  () => app,
  (role) => token[role],
);

/** Balances now of ledger accounts (by code; "0" when the account does not exist). */
async function balances(...codes: string[]): Promise<Record<string, string>> {
  const found = await ledgerBalances(t.ds, codes);
  return Object.fromEntries(codes.map((c) => [c, found[c].toString()]));
}
const units = (party: string, series = SERIES) => holderTickets(party, series);

/** What any command could write: a refused one must leave all of it unchanged. */
async function footprint(): Promise<Record<string, number>> {
  const [row] = await t.ds.query<Array<Record<string, number>>>(
    `SELECT (SELECT count(*)::int FROM ledger_entries) AS entries, (SELECT count(*)::int FROM ledger_accounts) AS accounts,
            (SELECT count(*)::int FROM ticket_movements) AS movements, (SELECT count(*)::int FROM ticket_holdings) AS holdings,
            (SELECT count(*)::int FROM ticket_pledges) AS pledges, (SELECT count(*)::int FROM coop_projects) AS projects,
            (SELECT count(*)::int FROM project_contributions) AS contributions, (SELECT COALESCE(sum(last_certificate_seq), 0)::int FROM ticket_series) AS seqs`,
  );
  return row;
}

beforeAll(async () => {
  app = await createTestApp(db);
  t = ticketServices(app.get(DataSource));
  // F-GZLC (farm), C-LSC (collective), K-BANK, E-OUTSIDE; villagers V-0001…V-0006 in households H-001…H-003
  // (headed by V-0001…V-0003); three 500 亩 parcels (the third for the per-household project at the end).
  world = await seedTicketWorld(t, { villagers: 6, households: 3, parcels: 3, parcelAreaMu: '500.0000' });
  await t.ds.query(`INSERT INTO parties (code, kind, name) VALUES ($1, 'STATE_FARM', '另一国有林场'), ($2, 'INDIVIDUAL_BUYER', '外村继承人')`, [OTHER_FARM, OUTSIDE_HEIR]);
  token.ADMIN = await tokenFor(app, 'ADMIN');
  token.AUDITOR = await tokenFor(app, 'AUDITOR');
  token.FARM_OPERATOR = await tokenFor(app, 'FARM_OPERATOR', world.farm);
  token.OTHER_FARM_OPERATOR = await tokenFor(app, 'FARM_OPERATOR', OTHER_FARM);
  token.VILLAGER = await tokenFor(app, 'VILLAGER', 'V-0001');
});
afterAll(() => app?.close());

describe('a cooperation project and its 林票 over HTTP', () => {
  it("a FARM_OPERATOR creates a project of its own farm, not of another (403 naming farmCode); another farm's operator cannot see it (404)", async () => {
    const body = {
      code: PROJECT,
      name: '梨树村油松合作经营项目',
      farmCode: world.farm,
      collectiveCode: world.collective,
      projectType: 'EXISTING_FOREST',
      parcelIds: [world.parcelIds[0]],
      areaMu: '400.0000',
      startDate: '2025-01-01',
      termYears: 10,
      managementFeeRate: '0.08',
      collectiveRetainedRatio: '0.30',
      memberWeighting: 'PER_PERSON',
      guarantee: { description: '期满按每份 100 元兜底回购', buyBackPrice: '100.00' },
    };
    const before = await footprint();
    const foreign = await post('/v1/projects', { ...body, farmCode: OTHER_FARM }, 'FARM_OPERATOR').expect(403);
    expect(foreign.body as ErrorBody).toMatchObject({ code: 'FORBIDDEN', field: 'farmCode' });
    expect(await footprint()).toEqual(before);

    const created = await post('/v1/projects', body, 'FARM_OPERATOR').expect(201);
    expect(created.body).toMatchObject({
      code: PROJECT,
      state: 'DRAFT',
      farm: { code: world.farm },
      collective: { code: world.collective },
      areaMu: '400.0000',
      parcelsAreaMu: '500.0000',
      endDate: '2035-01-01',
      guarantee: { buyBackPrice: '100.00' },
      walletAccount: `project:${PROJECT}:wallet:CNY`,
      walletBalance: '0.00',
      seriesCode: null,
    });

    await get(`/v1/projects/${PROJECT}`, 'FARM_OPERATOR').expect(200);
    expect(((await get('/v1/projects?state=DRAFT', 'AUDITOR').expect(200)).body as Array<{ code: string }>).map((p) => p.code)).toEqual([PROJECT]);
    const hidden = await get(`/v1/projects/${PROJECT}`, 'OTHER_FARM_OPERATOR').expect(404);
    expect((hidden.body as ErrorBody).code).toBe('UNKNOWN_PROJECT');
    expect((await get('/v1/projects', 'OTHER_FARM_OPERATOR').expect(200)).body).toEqual([]);
    const write = await post(
      `/v1/projects/${PROJECT}/contributions`,
      { partyCode: world.farm, kind: 'CASH', amount: '1.00', paid: true, bankReference: 'X' },
      'OTHER_FARM_OPERATOR',
    ).expect(404);
    expect((write.body as ErrorBody).code).toBe('UNKNOWN_PROJECT');
    await get(`/v1/projects/${PROJECT}`, 'VILLAGER').expect(403);
  });

  it('records contributions: cash paid, cash committed then called, land in kind', async () => {
    const paid = await post(
      `/v1/projects/${PROJECT}/contributions`,
      { partyCode: world.farm, kind: 'CASH', amount: '300000.00', paid: true, bankReference: 'ICBC-20250102-001' },
      'FARM_OPERATOR',
    ).expect(201);
    expect(paid.body as ContributionOutcomeBody).toMatchObject({
      project: PROJECT,
      contribution: { role: 'FARM', kind: 'CASH', state: 'PAID', amount: '300000.00' },
      walletBalance: '300000.00',
    });

    const committed = await post(`/v1/projects/${PROJECT}/contributions`, { partyCode: world.farm, kind: 'CASH', amount: '100000.00', paid: false }).expect(201);
    const commitment = (committed.body as ContributionOutcomeBody).contribution;
    expect(commitment).toMatchObject({ state: 'COMMITTED', callEntryId: null });
    expect((committed.body as ContributionOutcomeBody).walletBalance).toBe('300000.00');
    expect(await balances(`project:${PROJECT}:commitments:CNY`)).toEqual({ [`project:${PROJECT}:commitments:CNY`]: '100000' });

    const called = await http()
      .post(`/v1/projects/${PROJECT}/contributions/${commitment.id}/call`)
      .set(as('FARM_OPERATOR'))
      .set('Idempotency-Key', randomUUID())
      .send({ bankReference: 'ICBC-20250301-007' })
      .expect(200);
    expect(called.body as ContributionOutcomeBody).toMatchObject({ contribution: { id: commitment.id, state: 'PAID' }, walletBalance: '400000.00' });
    expect((called.body as ContributionOutcomeBody).contribution.callEntryId).toBe((called.body as ContributionOutcomeBody).entryId);
    const again = await post(`/v1/projects/${PROJECT}/contributions/${commitment.id}/call`, { bankReference: 'ICBC-20250301-008' }).expect(422);
    expect((again.body as ErrorBody).code).toBe('CONTRIBUTION_NOT_COMMITTED');

    const inKind = await post(`/v1/projects/${PROJECT}/contributions`, {
      partyCode: world.collective,
      kind: 'IN_KIND_LAND',
      amount: '600000.00',
      valuationDocument: '晋林评字(2025)第017号',
    }).expect(201);
    expect(inKind.body as ContributionOutcomeBody).toMatchObject({ contribution: { role: 'COLLECTIVE', state: 'VALUED' }, walletBalance: '400000.00' });

    const project = (await get(`/v1/projects/${PROJECT}`).expect(200)).body as { totalContributions: string; contributions: unknown[] };
    expect(project.totalContributions).toBe('1000000.00');
    expect(project.contributions).toHaveLength(3);
  });

  it('issues the 林票: the farm by contribution, the collective 30 % retained, its six members 70 % per person; the project is ACTIVE', async () => {
    const issued = await post(`/v1/projects/${PROJECT}/issuance`, { seriesCode: SERIES, faceValue: '100.00', transferRestriction: 'COLLECTIVE_MEMBERS' }, 'FARM_OPERATOR').expect(
      201,
    );
    expect(issued.body).toMatchObject({
      series: {
        code: SERIES,
        assetCode: `LP.${SERIES}`,
        faceValue: '100.00',
        totalUnits: '10000',
        transferRestriction: 'COLLECTIVE_MEMBERS',
        issuedOn: TODAY,
        holders: 8,
        guaranteedBuyBackPrice: '100.00',
      },
      plan: {
        totalUnits: '10000',
        collectiveUnits: '6000',
        retainedUnits: '1800',
        membersUnits: '4200',
        memberWeighting: 'PER_PERSON',
        split: { basis: 'PER_PERSON', claims: 6, poolUnits: '4200', unitsPerClaim: '700', remainderUnits: '0', retainedByRatioUnits: '1800' },
        holdings: 8,
      },
      certificates: { first: cert(1), last: cert(8) },
    });
    expect((issued.body as { entryIds: string[] }).entryIds).toHaveLength(1);
    expect((await get(`/v1/projects/${PROJECT}`).expect(200)).body).toMatchObject({ state: 'ACTIVE', seriesCode: SERIES });
    const late = await post(`/v1/projects/${PROJECT}/contributions`, { partyCode: world.farm, kind: 'CASH', amount: '100.00', paid: true, bankReference: 'LATE' }).expect(422);
    expect((late.body as ErrorBody).code).toBe('PROJECT_NOT_DRAFT');

    expect(await balances(`series:${SERIES}:issued`, units(world.farm), units(world.collective), ...world.villagers.map((v) => units(v)))).toEqual({
      [`series:${SERIES}:issued`]: '10000',
      [units(world.farm)]: '4000',
      [units(world.collective)]: '1800',
      ...Object.fromEntries(world.villagers.map((v) => [units(v), '700'])),
    });
  });

  it('shows the series (scoped) and its register, whose shares add up to exactly 1', async () => {
    expect(((await get('/v1/series', 'VILLAGER').expect(200)).body as Array<{ code: string }>).map((s) => s.code)).toEqual([SERIES]);
    expect((await get(`/v1/series/${SERIES}`, 'VILLAGER').expect(200)).body).toMatchObject({ code: SERIES, project: PROJECT, farm: { code: world.farm } });
    expect((await get('/v1/series', 'OTHER_FARM_OPERATOR').expect(200)).body).toEqual([]);
    await get(`/v1/series/${SERIES}`, 'OTHER_FARM_OPERATOR').expect(404);

    const register = (await get(`/v1/series/${SERIES}/register?asOf=${TODAY}`, 'AUDITOR').expect(200)).body as RegisterBody;
    expect(register).toMatchObject({ series: SERIES, asOf: TODAY, totalUnits: '10000', holders: 8 });
    expect(register.lines.map((l) => [l.certificateNo, l.partyCode, l.origin, l.units])).toEqual([
      [cert(1), world.farm, 'FARM', '4000'],
      [cert(2), world.collective, 'COLLECTIVE', '1800'],
      ...world.villagers.map((v, i) => [cert(i + 3), v, 'MEMBER', '700']),
    ]);
    expect(register.lines.reduce((sum, l) => sum.plus(l.share), new Dec(0)).toFixed(10)).toBe('1.0000000000');
    expect(register.lines[0].share).toBe('0.4000000000');

    await get(`/v1/series/${SERIES}/register`, 'FARM_OPERATOR').expect(200);
    expect(((await get(`/v1/series/${SERIES}/register`, 'OTHER_FARM_OPERATOR').expect(404)).body as ErrorBody).code).toBe('UNKNOWN_SERIES');
    await get(`/v1/series/${SERIES}/register`, 'VILLAGER').expect(403);
    expect(((await get(`/v1/series/${SERIES}/register?asOf=2025-02-30`, 'AUDITOR').expect(400)).body as ErrorBody).field).toBe('asOf');
  });

  const trade = { seller: 'V-0001', buyer: 'V-0002', units: '100', unitPrice: '12.50', fee: '5.00', contractReference: 'LQJY-2025-00042' };
  const tradeKey = randomUUID();
  let traded: MovementBody;

  it('trades delivery versus payment (the buyer pays the fee on top); a replay answers the same and moves nothing; the key with another body is a 409', async () => {
    const receipt = {
      kind: 'BANK_RECEIPT',
      effectiveDate: TODAY,
      memo: '村民存入 银行流水 2025-0042',
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount: '5000.00' },
        { account: walletOf('V-0002'), side: 'CREDIT', amount: '5000.00' },
      ],
    };
    await post('/v1/entries', receipt).expect(201);

    const first = await post(`/v1/series/${SERIES}/trades`, trade, 'ADMIN', tradeKey).expect(201);
    expect(first.headers['idempotency-replayed']).toBe('false');
    traded = first.body as MovementBody;
    expect(traded).toMatchObject({ series: SERIES, kind: 'TRADE', amount: '1250.00', fee: '5.00' });
    expect(traded.positions).toEqual([
      { party: 'V-0001', certificateNo: cert(3), units: '600', pledgedUnits: '0', walletBalance: '1250.00' },
      { party: 'V-0002', certificateNo: cert(4), units: '800', pledgedUnits: '0', walletBalance: '3745.00' },
    ]);
    const after = await balances(units('V-0001'), units('V-0002'), walletOf('V-0001'), walletOf('V-0002'), PLATFORM_FEES_ACCOUNT);
    expect(after).toEqual({ [units('V-0001')]: '600', [units('V-0002')]: '800', [walletOf('V-0001')]: '1250', [walletOf('V-0002')]: '3745', [PLATFORM_FEES_ACCOUNT]: '5' });

    const before = await footprint();
    const replay = await post(`/v1/series/${SERIES}/trades`, trade, 'ADMIN', tradeKey).expect(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(traded);
    expect(await balances(units('V-0001'), units('V-0002'), walletOf('V-0001'), walletOf('V-0002'), PLATFORM_FEES_ACCOUNT)).toEqual(after);

    const conflict = await post(`/v1/series/${SERIES}/trades`, { ...trade, units: '101' }, 'ADMIN', tradeKey).expect(409);
    expect((conflict.body as ErrorBody).code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await footprint()).toEqual(before);
  });

  it('never moves 林票 units by a raw ledger entry or reversal (422 ASSET_MANAGED): only the 林票 operations keep the register and its rules', async () => {
    const before = await footprint();
    const raw = await post('/v1/entries', {
      kind: 'TRANSFER',
      effectiveDate: TODAY,
      postings: [
        { account: walletOf('V-0002'), side: 'DEBIT', amount: '1.00' },
        { account: walletOf('V-0001'), side: 'CREDIT', amount: '1.00' },
        { account: units('V-0001'), side: 'DEBIT', amount: '1' },
        { account: units('V-0002'), side: 'CREDIT', amount: '1' },
      ],
    }).expect(422);
    expect(raw.body as ErrorBody).toMatchObject({ code: 'ASSET_MANAGED', field: 'entry.postings[2].account' });
    const reversal = await post(`/v1/entries/${traded.entryId}/reverse`, {}).expect(422);
    expect((reversal.body as ErrorBody).code).toBe('ASSET_MANAGED');
    expect(await footprint()).toEqual(before);
  });

  it('refuses bad inputs with 400/404/422 naming the field, and writes nothing', async () => {
    const before = await footprint();
    const wallets = await balances(units('V-0001'), units('V-0002'), walletOf('V-0002'));
    const refused = async (path: string, body: object, status: number, code: string, field: string) => {
      const res = await post(path, body);
      expect([path, JSON.stringify(body), res.status, (res.body as ErrorBody).code, (res.body as ErrorBody).field]).toEqual([path, JSON.stringify(body), status, code, field]);
    };
    const trades = `/v1/series/${SERIES}/trades`;
    await refused(trades, { ...trade, units: '1.5' }, 400, 'VALIDATION_FAILED', 'units');
    await refused(trades, { ...trade, units: 10 }, 400, 'VALIDATION_FAILED', 'units');
    await refused(trades, { ...trade, unitPrice: 12.5 }, 400, 'VALIDATION_FAILED', 'unitPrice');
    await refused(trades, { ...trade, unitPrice: '12.505' }, 400, 'INVALID_AMOUNT', 'unitPrice');
    await refused(trades, { ...trade, fee: '-1.00' }, 400, 'VALIDATION_FAILED', 'fee');
    await refused(trades, { ...trade, effectiveDate: '2025-13-01' }, 400, 'VALIDATION_FAILED', 'effectiveDate');
    await refused(trades, { ...trade, effectiveDate: '2024-12-31' }, 422, 'EFFECTIVE_DATE_OUT_OF_RANGE', 'effectiveDate');
    await refused(trades, { ...trade, price: '12.50' }, 400, 'VALIDATION_FAILED', 'price');
    await refused(trades, { ...trade, buyer: 'V-9999' }, 404, 'UNKNOWN_PARTY', 'buyer');
    await refused(trades, { ...trade, buyer: 'v-0002' }, 400, 'VALIDATION_FAILED', 'buyer');
    await refused(trades, { ...trade, buyer: 'V-0001' }, 422, 'SAME_PARTY', 'buyer');
    // COLLECTIVE_MEMBERS: a trade may only go to the collective or its members.
    await refused(trades, { ...trade, buyer: world.outsider }, 422, 'TRANSFER_RESTRICTED', 'buyer');
    await refused(trades, { ...trade, units: '5000' }, 422, 'INSUFFICIENT_UNITS', 'units');
    const broke = await post(trades, { ...trade, seller: 'V-0003', buyer: 'V-0005' }).expect(422);
    expect(broke.body as ErrorBody).toMatchObject({ code: 'INSUFFICIENT_FUNDS', field: 'buyer', details: { account: walletOf('V-0005'), balance: '0.00' } });
    await refused(`/v1/series/NOPE/trades`, trade, 404, 'UNKNOWN_SERIES', 'series');
    await refused(`/v1/series/${SERIES}/inheritances`, { from: 'V-0004', heirs: [{ party: 'V-0005', units: '700' }] }, 400, 'VALIDATION_FAILED', 'documentReference');
    await refused(
      `/v1/series/${SERIES}/inheritances`,
      { from: 'V-0004', heirs: [{ party: 'V-0005', units: 'x' }], documentReference: 'D' },
      400,
      'VALIDATION_FAILED',
      'heirs[0].units',
    );
    await refused(`/v1/series/${SERIES}/inheritances`, { from: 'V-0004', heirs: [], documentReference: 'D' }, 400, 'VALIDATION_FAILED', 'heirs');
    await refused(`/v1/series/${SERIES}/inheritances`, { from: 'V-0004', heirs: [{ party: 'V-0005', units: '600' }], documentReference: 'D' }, 422, 'HEIRS_MISMATCH', 'heirs');
    await refused(`/v1/series/${SERIES}/pledges`, { holder: 'V-0001', pledgee: world.outsider, units: '10', contractReference: 'C' }, 422, 'NOT_A_BANK', 'pledgee');
    await refused(`/v1/series/${SERIES}/pledges`, { holder: 'V-0001', pledgee: world.bank, units: '10' }, 400, 'VALIDATION_FAILED', 'contractReference');
    await refused(`/v1/series/${SERIES}/buy-backs`, { holder: 'V-0001', units: '0' }, 400, 'VALIDATION_FAILED', 'units');
    await refused(`/v1/projects/${PROJECT}/contributions`, { partyCode: world.farm, kind: 'GOLD', amount: '1.00' }, 400, 'VALIDATION_FAILED', 'kind');
    await refused(`/v1/projects/${PROJECT}/issuance`, { seriesCode: 'lower', faceValue: '1.00', transferRestriction: 'OPEN' }, 400, 'VALIDATION_FAILED', 'seriesCode');
    await refused(
      '/v1/projects',
      {
        code: 'X-1',
        name: 'x',
        farmCode: world.farm,
        collectiveCode: world.collective,
        projectType: 'EXISTING_FOREST',
        parcelIds: [world.parcelIds[1]],
        areaMu: 400,
        startDate: '2025-01-01',
        termYears: 10,
        managementFeeRate: '0.08',
      },
      400,
      'VALIDATION_FAILED',
      'areaMu',
    );
    await refused(
      '/v1/projects',
      {
        code: 'X-1',
        name: 'x',
        farmCode: world.farm,
        collectiveCode: world.collective,
        projectType: 'EXISTING_FOREST',
        parcelIds: [world.parcelIds[1]],
        areaMu: '400',
        startDate: '2025-01-01',
        termYears: 10,
        managementFeeRate: '0.08',
        guarantee: { buyBackPrice: 100 },
      },
      400,
      'VALIDATION_FAILED',
      'guarantee.buyBackPrice',
    );
    await refused(
      '/v1/projects',
      {
        code: 'X-1',
        name: 'x',
        farmCode: world.farm,
        collectiveCode: world.collective,
        projectType: 'EXISTING_FOREST',
        parcelIds: [world.parcelIds[0]],
        areaMu: '400',
        startDate: '2025-01-01',
        termYears: 10,
        managementFeeRate: '0.08',
      },
      422,
      'PARCEL_IN_OTHER_PROJECT',
      'parcelIds',
    );
    expect(await footprint()).toEqual(before);
    expect(await balances(units('V-0001'), units('V-0002'), walletOf('V-0002'))).toEqual(wallets);
  });

  it('pledges units to the bank: pledged units cannot be sold (422 INSUFFICIENT_UNITS); the pledge is released, another enforced (its transferee checked)', async () => {
    const pledged = (await post(`/v1/series/${SERIES}/pledges`, { holder: 'V-0001', pledgee: world.bank, units: '500', contractReference: 'NSH-ZY-2025-0007' }).expect(201))
      .body as MovementBody;
    expect(pledged).toMatchObject({ kind: 'PLEDGE', positions: [{ party: 'V-0001', units: '100', pledgedUnits: '500' }] });
    const pledgeId = pledged.pledgeId!;

    const before = await footprint();
    const blocked = await post(`/v1/series/${SERIES}/trades`, { ...trade, units: '200' }).expect(422);
    expect(blocked.body as ErrorBody).toMatchObject({ code: 'INSUFFICIENT_UNITS', field: 'units', details: { party: 'V-0001', availableUnits: '100' } });
    expect(await footprint()).toEqual(before);

    const listed = (await get(`/v1/series/${SERIES}/pledges?holder=V-0001&state=ACTIVE`, 'AUDITOR').expect(200)).body as Array<{
      id: string;
      units: string;
      state: string;
      pledgee: string;
    }>;
    expect(listed).toEqual([expect.objectContaining({ id: pledgeId, units: '500', state: 'ACTIVE', pledgee: world.bank })]);
    await get(`/v1/series/${SERIES}/pledges`, 'FARM_OPERATOR').expect(403);

    const released = await http()
      .post(`/v1/pledges/${pledgeId}/release`)
      .set(as('ADMIN'))
      .set('Idempotency-Key', randomUUID())
      .send({ documentReference: 'NSH-JC-2025-0002' })
      .expect(200);
    expect(released.body as MovementBody).toMatchObject({ kind: 'PLEDGE_RELEASE', pledgeId, positions: [{ party: 'V-0001', units: '600', pledgedUnits: '0' }] });
    expect(((await post(`/v1/pledges/${pledgeId}/release`, {}).expect(422)).body as ErrorBody).code).toBe('PLEDGE_NOT_ACTIVE');

    const second = (
      (await post(`/v1/series/${SERIES}/pledges`, { holder: 'V-0001', pledgee: world.bank, units: '300', contractReference: 'NSH-ZY-2025-0011' }).expect(201)).body as MovementBody
    ).pledgeId!;
    // The bank itself is not a member of the collective: under COLLECTIVE_MEMBERS it must name a member.
    const toBank = await post(`/v1/pledges/${second}/enforce`, {}).expect(422);
    expect(toBank.body as ErrorBody).toMatchObject({ code: 'TRANSFER_RESTRICTED', field: 'transferee' });
    const enforced = await http()
      .post(`/v1/pledges/${second}/enforce`)
      .set(as('ADMIN'))
      .set('Idempotency-Key', randomUUID())
      .send({ transferee: 'V-0003', documentReference: '(2025)晋0522执 88 号' })
      .expect(200);
    expect(enforced.body as MovementBody).toMatchObject({
      kind: 'PLEDGE_ENFORCEMENT',
      positions: [
        { party: 'V-0001', units: '300', pledgedUnits: '0' },
        { party: 'V-0003', units: '1000', pledgedUnits: '0' },
      ],
    });
    const states = ((await get(`/v1/series/${SERIES}/pledges?holder=V-0001`).expect(200)).body as Array<{ state: string }>).map((p) => p.state);
    expect(states).toEqual(['RELEASED', 'ENFORCED']);
    expect(await balances(holderPledged('V-0001', SERIES))).toEqual({ [holderPledged('V-0001', SERIES)]: '0' });
  });

  it("passes a deceased holder's units to the heirs, one of them from outside the collective (inheritance is exempt from the restriction)", async () => {
    const inherited = await post(`/v1/series/${SERIES}/inheritances`, {
      from: 'V-0004',
      heirs: [
        { party: 'V-0005', units: '400' },
        { party: OUTSIDE_HEIR, units: '300' },
      ],
      documentReference: '(2025)晋阳证字第 118 号',
    }).expect(201);
    expect(inherited.body as MovementBody).toMatchObject({
      kind: 'INHERITANCE',
      positions: [
        { party: 'V-0004', units: '0' },
        { party: 'V-0005', units: '1100' },
        { party: OUTSIDE_HEIR, certificateNo: cert(9), units: '300' },
      ],
    });
    expect((inherited.body as MovementBody).movementIds).toHaveLength(2);
  });

  it("buys back at the guaranteed price from the farm's wallet: refused while it is empty (nothing moves), then paid; only the issuing farm", async () => {
    const body = { holder: 'V-0006', units: '100', documentReference: '兑现申请 2025-003' };
    const watched = [units('V-0006'), units(world.farm), walletOf('V-0006'), walletOf(world.farm)];
    const before = await footprint();
    const start = await balances(...watched);
    const broke = await post(`/v1/series/${SERIES}/buy-backs`, body, 'FARM_OPERATOR').expect(422);
    expect(broke.body as ErrorBody).toMatchObject({ code: 'INSUFFICIENT_FUNDS', field: 'units', details: { account: walletOf(world.farm), balance: '0.00' } });
    expect(await footprint()).toEqual(before);
    expect(await balances(...watched)).toEqual(start);

    expect(((await post(`/v1/series/${SERIES}/buy-backs`, body, 'OTHER_FARM_OPERATOR').expect(404)).body as ErrorBody).code).toBe('UNKNOWN_SERIES');

    await deposit(t, world.farm, '10000.00');
    // The farm is not a member of the collective: buy-backs are exempt from the restriction.
    const bought = await post(`/v1/series/${SERIES}/buy-backs`, body, 'FARM_OPERATOR').expect(201);
    expect(bought.body as MovementBody).toMatchObject({ kind: 'BUY_BACK', amount: '10000.00' });
    expect(await balances(...watched)).toEqual({ [units('V-0006')]: '600', [units(world.farm)]: '4100', [walletOf('V-0006')]: '10000', [walletOf(world.farm)]: '0' });
  });

  it('keeps the register exact after the movements, and downloads it as an .xlsx attachment that opens', async () => {
    const register = (await get(`/v1/series/${SERIES}/register`, 'AUDITOR').expect(200)).body as RegisterBody;
    const held = register.lines.filter((l) => l.units !== '0');
    expect(held.reduce((sum, l) => sum.plus(l.units), new Dec(0)).toFixed(0)).toBe('10000');
    expect(register.lines.reduce((sum, l) => sum.plus(l.share), new Dec(0)).toFixed(10)).toBe('1.0000000000');
    expect(Object.fromEntries(held.map((l) => [l.partyCode, l.units]))).toEqual({
      [world.farm]: '4100',
      [world.collective]: '1800',
      'V-0001': '300',
      'V-0002': '800',
      'V-0003': '1000',
      'V-0005': '1100',
      'V-0006': '600',
      [OUTSIDE_HEIR]: '300',
    });

    const res = await get(`/v1/series/${SERIES}/register.xlsx?asOf=${TODAY}`, 'AUDITOR').buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe(XLSX);
    expect(res.headers['content-disposition']).toBe(
      `attachment; filename="register-${SERIES}-${TODAY}.xlsx"; filename*=UTF-8''${encodeURIComponent(`林票持有人名册-${SERIES}-${TODAY}.xlsx`)}`,
    );
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(res.body as Buffer).buffer);
    const sheet = workbook.worksheets[0];
    expect((sheet.getRow(2).values as ExcelJS.CellValue[]).slice(1)).toEqual([...REGISTER_HEADERS]);
    const total = (sheet.getRow(sheet.rowCount).values as ExcelJS.CellValue[]).slice(1);
    // 持有比例 is a number shown with ten places since #20 (was text '1.0000000000').
    expect([total[0], total[5], total[7], sheet.getRow(sheet.rowCount).getCell(8).numFmt]).toEqual(['合计', 10000, 1, '0.0000000000']);
    expect(sheet.rowCount).toBe(2 + register.lines.length + 1);

    // The issuing farm gets the totals and its own line: the holders' lines are theirs (issue 14).
    const farms = (await get(`/v1/series/${SERIES}/register`, 'FARM_OPERATOR').expect(200)).body as RegisterBody;
    expect({ ...farms, lines: farms.lines.map((l) => l.partyCode) }).toEqual({ ...register, lines: [world.farm] });
    const own = await get(`/v1/series/${SERIES}/register.xlsx`, 'FARM_OPERATOR').buffer(true).parse(binary).expect(200);
    expect(own.headers['content-disposition']).toBe(res.headers['content-disposition']); // asOf defaults to today
    const ownBook = new ExcelJS.Workbook();
    await ownBook.xlsx.load(new Uint8Array(own.body as Buffer).buffer);
    const ownSheet = ownBook.worksheets[0];
    expect([ownSheet.rowCount, ownSheet.getRow(3).getCell(2).value, ownSheet.getRow(4).getCell(6).value]).toEqual([4, world.farm, 10000]);
    await get(`/v1/series/${SERIES}/register.xlsx`, 'OTHER_FARM_OPERATOR').expect(404);
  });

  it("shows a villager their own certificate (JSON and PDF) and not another's; anyone verifies the printed code without logging in", async () => {
    const mine = (await get(`/v1/certificates/${cert(3)}`, 'VILLAGER').expect(200)).body as {
      certificateNo: string;
      holder: { code: string };
      units: string;
      faceAmount: string;
      faceAmountInWords: string;
      verificationCode: string;
      verificationUrl: string;
    };
    expect(mine).toMatchObject({ certificateNo: cert(3), holder: { code: 'V-0001' }, units: '300', faceAmount: '30000.00', faceAmountInWords: '叁万元整' });
    expect(mine.verificationCode).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/);
    expect(((await get(`/v1/certificates/${cert(4)}`, 'VILLAGER').expect(404)).body as ErrorBody).code).toBe('UNKNOWN_CERTIFICATE');
    await get(`/v1/certificates/${cert(4)}/pdf`, 'VILLAGER').expect(404);
    // A certificate states one holder's units: not even the issuing farm reads another's (issue 14).
    await get(`/v1/certificates/${cert(4)}`, 'FARM_OPERATOR').expect(404);
    await get(`/v1/certificates/${cert(4)}`, 'OTHER_FARM_OPERATOR').expect(404);

    const pdf = await get(`/v1/certificates/${cert(3)}/pdf`, 'VILLAGER')
      .buffer(true)
      .parse(binary)
      .expect(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`inline; filename="certificate-${cert(3)}.pdf"; filename*=UTF-8''${encodeURIComponent(`林票-${cert(3)}.pdf`)}`);
    expect((pdf.body as Buffer).subarray(0, 5).toString('latin1')).toBe('%PDF-');

    expect(mine.verificationUrl).toMatch(/\/v1\/public\/certificates\/[0-9A-Z]{16}$/);
    const verified = await http().get(`/v1/public/certificates/${mine.verificationCode.toLowerCase()}`).expect(200);
    expect(verified.body).toMatchObject({ valid: true, certificateNo: cert(3), series: SERIES, units: '300', pledgedUnits: '0', faceValue: '100.00', issuer: '官庄国有林场' });
    expect((verified.body as { holderName: string }).holderName).toMatch(/^村\*+1$/);
    expect(JSON.stringify(verified.body)).not.toContain('V-0001');
    const wrong = await http().get('/v1/public/certificates/0000-0000-0000-0000').expect(404);
    expect((wrong.body as ErrorBody).code).toBe('UNKNOWN_CERTIFICATE');
    await http().get('/v1/public/certificates/not-a-code').expect(404);
  });

  it('lets only the roles of each route move units', async () => {
    const before = await footprint();
    await post(`/v1/series/${SERIES}/trades`, { ...trade, units: '1' }, 'VILLAGER').expect(403);
    await post(`/v1/series/${SERIES}/trades`, { ...trade, units: '1' }, 'FARM_OPERATOR').expect(403);
    await post(`/v1/series/${SERIES}/pledges`, { holder: 'V-0002', pledgee: world.bank, units: '1', contractReference: 'C' }, 'AUDITOR').expect(403);
    await post(`/v1/series/${SERIES}/buy-backs`, { holder: 'V-0002', units: '1' }, 'VILLAGER').expect(403);
    await post(`/v1/projects/${PROJECT}/close`, {}, 'AUDITOR').expect(403);
    expect(await footprint()).toEqual(before);
  });

  it("closes a project only after its term and once settled; a closed project's units no longer move", async () => {
    const early = await post(`/v1/projects/${PROJECT}/close`, {}).expect(422);
    expect(early.body as ErrorBody).toMatchObject({ code: 'TERM_NOT_ENDED', field: 'closedOn' });

    // An older project with land only (nothing in its wallet), whose three-year term has ended.
    await post('/v1/projects', {
      code: OLD_PROJECT,
      name: '梨树村早期合作项目',
      farmCode: world.farm,
      collectiveCode: world.collective,
      projectType: 'JOINT_AFFORESTATION',
      parcelIds: [world.parcelIds[1]],
      areaMu: '500',
      startDate: '2015-01-01',
      termYears: 3,
      managementFeeRate: '0',
    }).expect(201);
    await post(`/v1/projects/${OLD_PROJECT}/contributions`, {
      partyCode: world.collective,
      kind: 'IN_KIND_TREES',
      amount: '50000.00',
      valuationDocument: '晋林评字(2015)第003号',
    }).expect(201);
    await post(`/v1/projects/${OLD_PROJECT}/issuance`, { seriesCode: OLD_PROJECT, faceValue: '100.00', transferRestriction: 'OPEN' }).expect(201);
    await post(`/v1/projects/${OLD_PROJECT}/close`, {}, 'OTHER_FARM_OPERATOR').expect(404);
    const closed = await http().post(`/v1/projects/${OLD_PROJECT}/close`).set(as('FARM_OPERATOR')).set('Idempotency-Key', randomUUID()).send({ closedOn: TODAY }).expect(200);
    expect(closed.body).toMatchObject({ code: OLD_PROJECT, state: 'CLOSED' });
    const frozen = await post(`/v1/series/${OLD_PROJECT}/trades`, { seller: 'V-0001', buyer: 'V-0002', units: '1', unitPrice: '1.00' }).expect(422);
    expect((frozen.body as ErrorBody).code).toBe('SERIES_CLOSED');
  });

  it('documents every route of projects and 林票 in the OpenAPI document, with the file media types', async () => {
    type Operation = { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> };
    const doc = (await http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, Operation>> };
    const routes: Array<[string, string, string]> = [
      ['post', '/v1/projects', '201'],
      ['get', '/v1/projects', '200'],
      ['get', '/v1/projects/{code}', '200'],
      ['post', '/v1/projects/{code}/contributions', '201'],
      ['post', '/v1/projects/{code}/contributions/{id}/call', '200'],
      ['get', '/v1/projects/{code}/issuance-preview', '200'],
      ['post', '/v1/projects/{code}/issuance', '201'],
      ['post', '/v1/projects/{code}/close', '200'],
      ['get', '/v1/series', '200'],
      ['get', '/v1/series/{code}', '200'],
      ['get', '/v1/series/{code}/register', '200'],
      ['get', '/v1/series/{code}/register.xlsx', '200'],
      ['post', '/v1/series/{code}/trades', '201'],
      ['post', '/v1/series/{code}/inheritances', '201'],
      ['post', '/v1/series/{code}/pledges', '201'],
      ['get', '/v1/series/{code}/pledges', '200'],
      ['post', '/v1/pledges/{id}/release', '200'],
      ['post', '/v1/pledges/{id}/enforce', '200'],
      ['post', '/v1/series/{code}/buy-backs', '201'],
      ['get', '/v1/certificates/{certificateNo}', '200'],
      ['get', '/v1/certificates/{certificateNo}/pdf', '200'],
      ['get', '/v1/public/certificates/{code}', '200'],
    ];
    for (const [method, path, status] of routes) {
      const content = doc.paths[path]?.[method]?.responses[status]?.content;
      expect([method, path, status, content === undefined ? 'undocumented' : 'documented']).toEqual([method, path, status, 'documented']);
    }
    expect(Object.keys(doc.paths['/v1/series/{code}/register.xlsx'].get.responses['200'].content ?? {})).toEqual([XLSX]);
    expect(Object.keys(doc.paths['/v1/certificates/{certificateNo}/pdf'].get.responses['200'].content ?? {})).toEqual(['application/pdf']);
    expect(doc.paths['/v1/series/{code}/trades'].post.responses['201'].content?.['application/json'].schema?.$ref).toBe('#/components/schemas/MovementResponse');
  });
});

describe("per household over HTTP: the preview, then one holding per household in its head's name", () => {
  const HH = 'LSC-HH';
  interface PreviewBody {
    retainedUnits: string;
    membersUnits: string;
    split: { basis: string; claims: number; poolUnits: string; unitsPerClaim: string; remainderUnits: string; retainedByRatioUnits: string; explanation: string };
    holdings: Array<{ party: string; name: string; role: string; units: string; certificateNo: string; household?: string }>;
  }

  it('previews 500 units: the pool of 350 gives each of the 3 households 116; the 2 left over stay with the collective (150 + 2); nothing written', async () => {
    await post('/v1/projects', {
      code: HH,
      name: '梨树村按户量化项目',
      farmCode: world.farm,
      collectiveCode: world.collective,
      projectType: 'EXISTING_FOREST',
      parcelIds: [world.parcelIds[2]],
      areaMu: '500',
      startDate: '2025-01-01',
      termYears: 10,
      managementFeeRate: '0',
      memberWeighting: 'PER_HOUSEHOLD',
    }).expect(201);
    await post(`/v1/projects/${HH}/contributions`, { partyCode: world.collective, kind: 'IN_KIND_LAND', amount: '50000.00', valuationDocument: '晋林评字(2025)第021号' }).expect(
      201,
    );
    const before = await footprint();
    const preview = (await get(`/v1/projects/${HH}/issuance-preview?seriesCode=${HH}&faceValue=100.00`, 'AUDITOR').expect(200)).body as PreviewBody;
    expect(await footprint()).toEqual(before);
    expect(preview).toMatchObject({
      retainedUnits: '152',
      membersUnits: '348',
      split: { basis: 'PER_HOUSEHOLD', claims: 3, poolUnits: '350', unitsPerClaim: '116', remainderUnits: '2', retainedByRatioUnits: '150' },
    });
    expect(preview.split.explanation).toBe(
      "350 member units (the collective's 500 less 150 kept at retained ratio 0.3) among 3 households (each held by its head): 116 each; the 2 that cannot be divided equally stay with the collective, which keeps 150 + 2 = 152",
    );
    expect(preview.holdings.map((h) => [h.certificateNo, h.party, h.role, h.household ?? null, h.units])).toEqual([
      [`${HH}-000001`, world.collective, 'COLLECTIVE', null, '152'],
      [`${HH}-000002`, 'V-0001', 'MEMBER', 'H-001', '116'],
      [`${HH}-000003`, 'V-0002', 'MEMBER', 'H-002', '116'],
      [`${HH}-000004`, 'V-0003', 'MEMBER', 'H-003', '116'],
    ]);
    expect(preview.holdings[1].name).toBe('村民甲1');

    // The farm's operator sees its own project's preview; another farm's does not (404); a villager may not (403).
    await get(`/v1/projects/${HH}/issuance-preview?seriesCode=${HH}&faceValue=100.00`, 'FARM_OPERATOR').expect(200);
    await get(`/v1/projects/${HH}/issuance-preview?seriesCode=${HH}&faceValue=100.00`, 'OTHER_FARM_OPERATOR').expect(404);
    await get(`/v1/projects/${HH}/issuance-preview?seriesCode=${HH}&faceValue=100.00`, 'VILLAGER').expect(403);
    expect((await get(`/v1/projects/${HH}/issuance-preview?seriesCode=${HH}&faceValue=abc`).expect(400)).body as ErrorBody).toMatchObject({ field: 'faceValue' });
    expect((await get(`/v1/projects/${HH}/issuance-preview?faceValue=100.00`).expect(400)).body as ErrorBody).toMatchObject({ field: 'seriesCode' });
    expect((await get(`/v1/projects/${HH}/issuance-preview?seriesCode=${HH}&faceValue=300.00`).expect(422)).body as ErrorBody).toMatchObject({ code: 'NOT_WHOLE_UNITS' });
    expect((await get(`/v1/projects/${PROJECT}/issuance-preview?seriesCode=X&faceValue=100.00`).expect(422)).body as ErrorBody).toMatchObject({ code: 'PROJECT_NOT_DRAFT' });
  });

  it("issues as previewed: the heads hold their households' units, and each certificate names the household", async () => {
    const issued = await post(`/v1/projects/${HH}/issuance`, { seriesCode: HH, faceValue: '100.00', transferRestriction: 'COLLECTIVE_MEMBERS' }).expect(201);
    expect(issued.body).toMatchObject({
      plan: { retainedUnits: '152', membersUnits: '348', holdings: 4, split: { claims: 3, unitsPerClaim: '116', remainderUnits: '2' } },
      certificates: { first: `${HH}-000001`, last: `${HH}-000004` },
    });
    expect(await balances(units(world.collective, HH), ...world.villagers.map((v) => units(v, HH)))).toEqual({
      [units(world.collective, HH)]: '152',
      [units('V-0001', HH)]: '116',
      [units('V-0002', HH)]: '116',
      [units('V-0003', HH)]: '116',
      [units('V-0004', HH)]: '0',
      [units('V-0005', HH)]: '0',
      [units('V-0006', HH)]: '0',
    });
    const certificate = (await get(`/v1/certificates/${HH}-000002`, 'VILLAGER').expect(200)).body as {
      holder: { code: string };
      household: { code: string; name: string } | null;
      units: string;
    };
    expect(certificate).toMatchObject({ holder: { code: 'V-0001' }, household: { code: 'H-001', name: 'H-001户' }, units: '116' });
    expect(((await get(`/v1/certificates/${HH}-000001`).expect(200)).body as { household: unknown }).household).toBeNull();
  });
});
