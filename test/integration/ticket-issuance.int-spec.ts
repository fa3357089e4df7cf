import { AccessService } from '@forest-ledger/access';
import { holderTickets, PartiesService, PartyAccessDirectory, PiiCipher, RegionsService, seriesIssued } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import fc from 'fast-check';
import Redis from 'ioredis';
import {
  balance,
  certificateSeqs,
  contributeCash,
  contributeInKind,
  createProject,
  issueSeries,
  key,
  lishuSeries,
  oneTo,
  deactivate,
  footprint,
  refusal,
  seedTicketWorld,
  TicketServices,
  ticketServices,
  TicketWorld,
} from '../factories/tickets.factory';
import { ROSTER_FIXTURE, sharedFixture } from '../fixtures/tables';
import { TEST_REDIS_URL } from '../setup/databases';
import { pdfTextLayer } from '../setup/pdf-text';
import { useTestDatabase } from '../setup/test-database';

/**
 * Issuance of 林票 on PostgreSQL, through the real services: the 梨树村 case (100 villagers in 40
 * households), its variants (equal claims get equal units, the remainder stays with the collective),
 * the preview, and a batch issuance to 2,500 villagers.
 */
const db = useTestDatabase();
let t: TicketServices;
let world: TicketWorld;

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  world = await seedTicketWorld(t, { villagers: 100, households: 40, parcels: 30 });
});

interface HoldingRow {
  party: string;
  seq: number;
  certificateNo: string;
  origin: string;
  issuedUnits: string;
  units: string;
  household: string | null;
  entryId: string;
}

/** Every holding of a series with its issued units, its free units now and the entry that issued it. */
async function holdings(series: string): Promise<HoldingRow[]> {
  return await db.dataSource.query<HoldingRow[]>(
    `SELECT p.code AS party, h.seq, h.certificate_no AS "certificateNo", h.origin, h.issued_units::text AS "issuedUnits",
            (a.credits - a.debits)::text AS units, hh.code AS household, m.entry_id::text AS "entryId"
       FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id JOIN parties p ON p.id = h.party_id LEFT JOIN parties hh ON hh.id = p.household_id
       JOIN ledger_accounts a ON a.code = 'holder:' || p.code || ':tickets:' || s.code
       LEFT JOIN ticket_movements m ON m.series_id = s.id AND m.kind = 'ISSUANCE' AND m.to_party_id = p.id
      WHERE s.code = $1 ORDER BY h.seq`,
    [series],
  );
}

const sum = (values: string[]): string => values.reduce((s, v) => s.plus(v), new Dec(0)).toFixed(0);
const cert = (series: string, seq: number) => `${series}-${String(seq).padStart(6, '0')}`;

/** What every issuance must satisfy: units add up, certificates gapless, ledger = register. */
async function expectConsistent(series: string, totalUnits: string): Promise<HoldingRow[]> {
  const rows = await holdings(series);
  expect(sum(rows.map((r) => r.units))).toBe(totalUnits);
  expect(sum(rows.map((r) => r.issuedUnits))).toBe(totalUnits);
  expect(rows.map((r) => r.seq)).toEqual(oneTo(rows.length));
  expect(rows.map((r) => r.certificateNo)).toEqual(oneTo(rows.length).map((i) => cert(series, i)));
  expect(await balance(t, seriesIssued(series))).toBe(totalUnits);
  return rows;
}

describe('梨树村 × 官庄国有林场: 900,000 CNY in kind, face value 1.00, 30 % retained, 100 villagers in 40 households', () => {
  it('PER_PERSON: the collective keeps 270,000, each villager gets 6,300, in one ledger entry; certificates 000001..000101', async () => {
    const outcome = await lishuSeries(t, world, 'LS-PP', { memberWeighting: 'PER_PERSON' });
    expect(outcome.plan).toMatchObject({
      totalUnits: '900000',
      collectiveUnits: '900000',
      retainedUnits: '270000',
      membersUnits: '630000',
      memberWeighting: 'PER_PERSON',
      holdings: 101,
    });
    expect(outcome.series).toMatchObject({
      code: 'LS-PP',
      assetCode: 'LP.LS-PP',
      faceValue: '1.00',
      totalUnits: '900000',
      holders: 101,
      transferRestriction: 'OPEN',
      issuedOn: '2025-03-01',
    });
    expect(outcome.certificates).toEqual({ first: 'LS-PP-000001', last: 'LS-PP-000101' });
    expect(outcome.entryIds).toHaveLength(1);

    const rows = await expectConsistent('LS-PP', '900000');
    expect(rows[0]).toMatchObject({ party: world.collective, origin: 'COLLECTIVE', units: '270000', certificateNo: 'LS-PP-000001' });
    expect(rows.slice(1).map((r) => [r.party, r.origin, r.units])).toEqual(world.villagers.map((v) => [v, 'MEMBER', '6300']));
    expect(new Set(rows.map((r) => r.entryId))).toEqual(new Set(outcome.entryIds));

    const entry = await t.ledger.getEntry(outcome.entryIds[0]);
    expect(entry).toMatchObject({ kind: 'TICKET_ISSUANCE', effectiveDate: '2025-03-01' });
    expect(entry.postings).toHaveLength(102);
    expect(entry.postings[0]).toMatchObject({ account: seriesIssued('LS-PP'), side: 'DEBIT', amount: '900000' });
    expect(entry.postings.slice(1).every((p) => p.side === 'CREDIT')).toBe(true);
    expect((await t.projects.get('LS-PP', null)).state).toBe('ACTIVE');
  });

  it('with a farm cash contribution: the farm holds its 300,000 first, then the collective and the members', async () => {
    const outcome = await lishuSeries(t, world, 'LS-FARM', { farmCash: '300000.00' });
    expect(outcome.plan).toMatchObject({ totalUnits: '1200000', collectiveUnits: '900000', retainedUnits: '270000', membersUnits: '630000', holdings: 102 });
    expect(outcome.entryIds).toHaveLength(1);
    const rows = await expectConsistent('LS-FARM', '1200000');
    expect(rows.slice(0, 2).map((r) => [r.certificateNo, r.party, r.origin, r.units])).toEqual([
      ['LS-FARM-000001', world.farm, 'FARM', '300000'],
      ['LS-FARM-000002', world.collective, 'COLLECTIVE', '270000'],
    ]);
    expect(rows.slice(2).every((r) => r.origin === 'MEMBER' && r.units === '6300')).toBe(true);
    expect(rows[101].certificateNo).toBe('LS-FARM-000102');
  });

  it("PER_HOUSEHOLD (收益权量化到户): one holding of 15,750 per household, in its head's name: 41 certificates", async () => {
    const outcome = await lishuSeries(t, world, 'LS-HH', { memberWeighting: 'PER_HOUSEHOLD' });
    expect(outcome.plan).toMatchObject({ totalUnits: '900000', retainedUnits: '270000', membersUnits: '630000', memberWeighting: 'PER_HOUSEHOLD', holdings: 41 });
    expect(outcome.plan.split).toMatchObject({ basis: 'PER_HOUSEHOLD', claims: 40, unitsPerClaim: '15750', remainderUnits: '0' });
    const rows = await expectConsistent('LS-HH', '900000');
    const members = rows.filter((r) => r.origin === 'MEMBER');
    expect(members.map((r) => [r.party, r.household, r.units])).toEqual(world.households.map((h) => [world.headOf.get(h)!, h, '15750']));
  });

  it('an uneven pool, PER_PERSON: 6,300 each, the 9 left over stay with the collective (270,004 + 9), whatever the roster order', async () => {
    // 900,013 units: 70 % = 630,009.1 → a pool of 630,009; 100 × 6,300 and 9 over.
    const outcome = await lishuSeries(t, world, 'LS-ODD', { collectiveInKind: '900013.00' });
    expect(outcome.plan).toMatchObject({ totalUnits: '900013', retainedUnits: '270013', membersUnits: '630000' });
    expect(outcome.plan.split).toMatchObject({ poolUnits: '630009', unitsPerClaim: '6300', remainderUnits: '9', retainedByRatioUnits: '270004' });
    const rows = await expectConsistent('LS-ODD', '900013');
    expect(rows[0]).toMatchObject({ party: world.collective, units: '270013' });
    expect(rows.slice(1).every((r) => r.units === '6300')).toBe(true);
  });

  it('an uneven pool, PER_HOUSEHOLD: 15,750 per household, the 7 left over stay with the collective', async () => {
    // 900,010 units: 630,007 to the members = 40 × 15,750 + 7.
    const outcome = await lishuSeries(t, world, 'LS-ODD-HH', { collectiveInKind: '900010.00', memberWeighting: 'PER_HOUSEHOLD' });
    expect(outcome.plan).toMatchObject({ totalUnits: '900010', retainedUnits: '270010', membersUnits: '630000' });
    const rows = await expectConsistent('LS-ODD-HH', '900010');
    expect(rows.slice(1).every((r) => r.units === '15750' && world.headOf.get(r.household!) === r.party)).toBe(true);
  });

  it('a ratio whose share is not a whole unit: the ratio keeps at least its exact share, every member gets 6, the remainder stays', async () => {
    const outcome = await lishuSeries(t, world, 'LS-RATIO', { collectiveInKind: '1001.00', collectiveRetainedRatio: '0.333333' });
    // 1001 × 0.666667 = 667.333667 → a pool of 667: 6 each, 67 over; 334 + 67 retained.
    expect(outcome.plan).toMatchObject({ totalUnits: '1001', retainedUnits: '401', membersUnits: '600' });
    const rows = await expectConsistent('LS-RATIO', '1001');
    expect(rows.slice(1).every((r) => r.units === '6')).toBe(true);
  });

  it('replays the issuance with the same key: same series and entries, nothing new; another key is refused', async () => {
    await createProject(t, world, 'LS-IDEM', { parcels: 1 });
    await contributeInKind(t, 'LS-IDEM', world.collective, '900000.00');
    const k = key();
    const first = await issueSeries(t, 'LS-IDEM', { seriesCode: 'LS-IDEM' }, k);
    const [{ n: entriesBefore }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ledger_entries`);
    const again = await issueSeries(t, 'LS-IDEM', { seriesCode: 'LS-IDEM' }, k);
    expect(again.plan).toEqual(first.plan); // the split too, as recorded on the issuance entry
    expect(again.plan.split).toMatchObject({ claims: 100, unitsPerClaim: '6300' });
    expect(again.entryIds).toEqual(first.entryIds);
    expect(again.certificates).toEqual(first.certificates);
    expect(again.series).toEqual(first.series);
    const [{ n: entriesAfter }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ledger_entries`);
    expect(entriesAfter).toBe(entriesBefore);
    await expectConsistent('LS-IDEM', '900000');

    expect(await refusal(issueSeries(t, 'LS-IDEM', { seriesCode: 'LS-IDEM-2' }, key()))).toMatchObject({ code: 'PROJECT_NOT_DRAFT' });
  });

  it('refuses an issue date after today (EFFECTIVE_DATE_OUT_OF_RANGE): units issued in the future would be in no register today', async () => {
    await createProject(t, world, 'LS-FUTURE', { parcels: 1 });
    await contributeInKind(t, 'LS-FUTURE', world.collective, '100.00');
    const error = await refusal(issueSeries(t, 'LS-FUTURE', { seriesCode: 'LS-FUTURE', issuedOn: '2099-01-01' }));
    expect(error).toMatchObject({ code: 'EFFECTIVE_DATE_OUT_OF_RANGE', field: 'issuedOn' });
    expect((await t.projects.get('LS-FUTURE', null)).state).toBe('DRAFT');
    await expect(issueSeries(t, 'LS-FUTURE', { seriesCode: 'LS-FUTURE', issuedOn: undefined })).resolves.toMatchObject({ series: { totalUnits: '100' } });
  });

  it('refuses a series code that is taken (SERIES_EXISTS)', async () => {
    await createProject(t, world, 'LS-TAKEN', { parcels: 1 });
    await contributeInKind(t, 'LS-TAKEN', world.collective, '100.00');
    expect(await refusal(issueSeries(t, 'LS-TAKEN', { seriesCode: 'LS-PP' }))).toMatchObject({ code: 'SERIES_EXISTS' });
  });
});

describe('梨树村-style: 4,410 member units among 100 villagers in 40 households', () => {
  // 6,300 collective units at 30 %: the ratio keeps 1,890, the members' pool is 4,410.
  it('per person: 44 each, never 45 for the first ten in the roster; the collective keeps 1,890 + 10 = 1,900', async () => {
    const outcome = await lishuSeries(t, world, 'LS-4410', { collectiveInKind: '6300.00' });
    expect(outcome.plan).toMatchObject({ collectiveUnits: '6300', retainedUnits: '1900', membersUnits: '4400', holdings: 101 });
    expect(outcome.plan.split).toEqual({
      basis: 'PER_PERSON',
      claims: 100,
      poolUnits: '4410',
      unitsPerClaim: '44',
      remainderUnits: '10',
      retainedByRatioUnits: '1890',
      explanation:
        "4410 member units (the collective's 6300 less 1890 kept at retained ratio 0.3) among 100 members: 44 each; the 10 that cannot be divided equally stay with the collective, which keeps 1890 + 10 = 1900",
    });
    const rows = await expectConsistent('LS-4410', '6300');
    expect(rows[0]).toMatchObject({ party: world.collective, origin: 'COLLECTIVE', units: '1900' });
    expect(rows.slice(1).map((r) => [r.party, r.units])).toEqual(world.villagers.map((v) => [v, '44']));
  });

  it("per household: 110 for each of the 40 households, one holding and one certificate per household in its head's name; the collective keeps 1,900", async () => {
    const outcome = await lishuSeries(t, world, 'LS-4410-HH', { collectiveInKind: '6300.00', memberWeighting: 'PER_HOUSEHOLD' });
    expect(outcome.plan).toMatchObject({ retainedUnits: '1900', membersUnits: '4400', holdings: 41 });
    expect(outcome.plan.split).toMatchObject({ basis: 'PER_HOUSEHOLD', claims: 40, unitsPerClaim: '110', remainderUnits: '10', retainedByRatioUnits: '1890' });
    expect(outcome.certificates).toEqual({ first: 'LS-4410-HH-000001', last: 'LS-4410-HH-000041' });
    const rows = await expectConsistent('LS-4410-HH', '6300');
    expect(rows[0]).toMatchObject({ party: world.collective, units: '1900' });
    expect(rows.slice(1).map((r) => [r.party, r.household, r.origin, r.units])).toEqual(world.households.map((h) => [world.headOf.get(h)!, h, 'MEMBER', '110']));
    // Nobody but the heads holds anything: V-0041 lives in H-001 (headed by V-0001).
    expect(await balance(t, holderTickets('V-0041', 'LS-4410-HH'))).toBe('0');

    const certificate = await t.certificates.get(rows[1].certificateNo, null);
    expect(certificate).toMatchObject({ holder: { code: 'V-0001', name: '村民甲1' }, household: { code: 'H-001', name: 'H-001户' }, origin: 'MEMBER', units: '110' });
    expect(await t.certificates.verify(certificate.verificationCode)).toMatchObject({ holderName: '村**1（户主，全户共有）', units: '110' });
    // Per person there is no household on the certificate.
    const perPerson = await t.certificates.get('LS-4410-000002', null);
    expect(perPerson).toMatchObject({ holder: { code: 'V-0001' }, household: null });
  });

  it('the preview shows the same plan, with names, and writes nothing', async () => {
    await createProject(t, world, 'LS-PREVIEW', { parcels: 1, memberWeighting: 'PER_HOUSEHOLD' });
    await contributeInKind(t, 'LS-PREVIEW', world.collective, '6300.00');
    const [{ n: before }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ledger_entries`);
    const preview = await t.series.preview('LS-PREVIEW', { seriesCode: 'LS-PREVIEW', faceValue: '1.00' });
    const [{ n: after }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ledger_entries`);
    expect(after).toBe(before);
    expect(preview).toMatchObject({ project: 'LS-PREVIEW', retainedUnits: '1900', membersUnits: '4400', split: { claims: 40, unitsPerClaim: '110', remainderUnits: '10' } });
    expect(preview.holdings[0]).toEqual({ party: world.collective, name: '梨树村股份经济合作社', role: 'COLLECTIVE', units: '1900', certificateNo: 'LS-PREVIEW-000001' });
    expect(preview.holdings[1]).toEqual({ party: 'V-0001', name: '村民甲1', role: 'MEMBER', units: '110', household: 'H-001', certificateNo: 'LS-PREVIEW-000002' });

    const issued = await issueSeries(t, 'LS-PREVIEW', { seriesCode: 'LS-PREVIEW' });
    const { holdings: planned, project, ...plan } = preview;
    expect(project).toBe('LS-PREVIEW');
    expect(issued.plan).toEqual({ ...plan, holdings: planned.length });
    expect((await holdings(issued.series.code)).map((r) => [r.certificateNo, r.party, r.units])).toEqual(planned.map((h) => [h.certificateNo, h.party, h.units]));
    expect(await refusal(t.series.preview('LS-PREVIEW', { seriesCode: 'LS-PREVIEW', faceValue: '1.00' }))).toMatchObject({ code: 'PROJECT_NOT_DRAFT' });
  });

  it('per household with a household whose head is gone: HOUSEHOLD_HEAD naming it, in the preview and the issuance, nothing written', async () => {
    const w = await seedTicketWorld(t, { collective: 'C-HEADLESS', prefix: 'HL-', villagers: 6, households: 3, parcels: 1 });
    await createProject(t, w, 'HL-2025', { parcelIds: w.parcelIds, collectiveCode: w.collective, memberWeighting: 'PER_HOUSEHOLD' });
    await contributeInKind(t, 'HL-2025', w.collective, '1000.00');
    await deactivate(t, w.headOf.get('HL-H-002')!); // HL-V-0002, head of HL-H-002 (with HL-V-0005)
    const expected = { code: 'HOUSEHOLD_HEAD', field: 'members', details: { households: [{ household: 'HL-H-002', heads: [] }] } };
    expect(await refusal(t.series.preview('HL-2025', { seriesCode: 'HL-2025', faceValue: '1.00' }))).toMatchObject(expected);
    const error = await refusal(issueSeries(t, 'HL-2025', { seriesCode: 'HL-2025' }));
    expect(error).toMatchObject(expected);
    expect(error.message).toContain('HL-H-002 (no head)');
    expect(await footprint(t, 'HL-2025')).toBeUndefined();
    expect(await certificateSeqs(t, 'HL-2025')).toEqual([]);
    expect((await t.projects.get('HL-2025', null)).state).toBe('DRAFT');
  });
});

describe('the fixture roster of 大西沟村, imported (40 households, 104 villagers), issued per household', () => {
  let redis: Redis | undefined;
  afterAll(async () => {
    await redis?.quit();
  });

  it("each household's 110 units go to the villager the roster names 户主, on a certificate naming the household; the collective keeps 1,900", async () => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    const pii = new PiiCipher(t.env.PII_ENCRYPTION_KEY, t.env.PII_HMAC_KEY);
    const access = new AccessService(t.ds, { ...t.env, QUEUE_PREFIX: `test-${db.name}` }, new PartyAccessDirectory(pii), redis);
    const parties = new PartiesService(t.ds, t.ledger, pii, access, new RegionsService(t.ds));
    // The collective and a parcel; its one seeded household has no villager, so no claim.
    const w = await seedTicketWorld(t, { collective: 'C-ROSTER', prefix: 'R-', villagers: 0, households: 1, parcels: 1 });
    const imported = await inTransaction(t.ds, (em) => parties.importRoster(em, 'C-ROSTER', sharedFixture(ROSTER_FIXTURE), ROSTER_FIXTURE));
    expect(imported).toMatchObject({ ok: true, households: 40, villagers: 104 });
    await createProject(t, w, 'DXG-ROSTER', { parcelIds: w.parcelIds, collectiveCode: w.collective, memberWeighting: 'PER_HOUSEHOLD' });
    await contributeInKind(t, 'DXG-ROSTER', w.collective, '6300.00');

    const outcome = await issueSeries(t, 'DXG-ROSTER', { seriesCode: 'DXG-ROSTER' });
    expect(outcome.plan).toMatchObject({ retainedUnits: '1900', membersUnits: '4400', holdings: 41, split: { claims: 40, unitsPerClaim: '110', remainderUnits: '10' } });
    const heads = await t.ds.query<Array<{ code: string; household: string }>>(
      `SELECT v.code, h.code AS household FROM parties v JOIN parties h ON h.id = v.household_id JOIN parties c ON c.id = v.collective_id
        WHERE c.code = 'C-ROSTER' AND v.metadata ->> 'relation' = '户主' ORDER BY v.code`,
    );
    expect(heads).toHaveLength(40);
    const rows = await expectConsistent('DXG-ROSTER', '6300');
    expect(rows.slice(1).map((r) => [r.party, r.household, r.units])).toEqual(heads.map((h) => [h.code, h.household, '110']));
    const certificate = await t.certificates.get(rows[1].certificateNo, null);
    expect(certificate).toMatchObject({ household: { code: 'H-DXG-001', name: '吴丽娟户' }, holder: { name: '吴丽娟' }, units: '110' });
    // The paper names the head, masked, as holding for the whole household.
    const { text, pages } = await pdfTextLayer((await t.certificates.pdf(certificate.certificateNo, null)).buffer);
    expect(pages).toBe(1);
    expect(text).toContain('吴*娟（户主，全户共有）');
  });
});

describe('a batch issuance: 2,500 villagers', () => {
  let big: TicketWorld;

  beforeAll(async () => {
    big = await seedTicketWorld(t, { collective: 'C-BIG', prefix: 'B-', villagers: 2500, households: 800, parcels: 1 });
    await createProject(t, big, 'BIG-2025', { parcelIds: big.parcelIds, collectiveCode: big.collective });
    await contributeInKind(t, 'BIG-2025', big.collective, '5000000.00');
  });

  it('leaves nothing behind when it fails in the middle (the second of three entries)', async () => {
    await db.dataSource.query(`
      CREATE FUNCTION test_fail_issuance() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT code FROM ledger_accounts WHERE id = NEW.account_id) = 'holder:B-V-1500:tickets:BIG-2025' THEN
          RAISE EXCEPTION 'test: failure in the middle of the issuance';
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_fail_issuance BEFORE INSERT ON ledger_postings FOR EACH ROW EXECUTE FUNCTION test_fail_issuance();`);
    const k = key();
    try {
      await expect(issueSeries(t, 'BIG-2025', { seriesCode: 'BIG-2025' }, k)).rejects.toThrow('failure in the middle of the issuance');
    } finally {
      await db.dataSource.query(`DROP TRIGGER test_fail_issuance ON ledger_postings; DROP FUNCTION test_fail_issuance();`);
    }
    const [left] = await db.dataSource.query<Array<Record<string, unknown>>>(
      `SELECT (SELECT count(*)::int FROM ledger_entries WHERE idempotency_key LIKE $1) AS entries,
              (SELECT count(*)::int FROM ledger_assets WHERE code = 'LP.BIG-2025') AS assets,
              (SELECT count(*)::int FROM ledger_accounts WHERE asset_code = 'LP.BIG-2025') AS accounts,
              (SELECT count(*)::int FROM ticket_series WHERE code = 'BIG-2025') AS series,
              (SELECT state FROM coop_projects WHERE code = 'BIG-2025') AS state`,
      [`ticket-issuance:${k}:%`],
    );
    expect(left).toEqual({ entries: 0, assets: 0, accounts: 0, series: 0, state: 'DRAFT' });

    // The same command again (same key) goes through once the cause is gone.
    const outcome = await issueSeries(t, 'BIG-2025', { seriesCode: 'BIG-2025' }, k);
    expect(outcome.entryIds).toHaveLength(3);
  });

  it('is an atomic batch of 3 entries of at most 999 holders; the holders add up to the total; certificates gapless', async () => {
    const outcome = await t.series.get('BIG-2025', null);
    expect(outcome).toMatchObject({ totalUnits: '5000000', holders: 2501 });
    const entries = await db.dataSource.query<Array<{ id: string; key: string; metadata: { part: number; parts: number }; postings: number }>>(
      `SELECT e.id::text AS id, e.idempotency_key AS key, e.metadata, count(p.*)::int AS postings
         FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id WHERE e.kind = 'TICKET_ISSUANCE' AND e.metadata ->> 'series' = 'BIG-2025'
        GROUP BY e.id ORDER BY e.id`,
    );
    expect(entries.map((e) => [e.metadata.part, e.metadata.parts, e.postings])).toEqual([
      [1, 3, 1000],
      [2, 3, 1000],
      [3, 3, 504],
    ]);
    const rows = await expectConsistent('BIG-2025', '5000000');
    expect(rows).toHaveLength(2501);
    expect(rows[0]).toMatchObject({ party: big.collective, units: '1500000' });
    expect(rows.slice(1).every((r) => r.units === '1400')).toBe(true);
    // Each holding points at the entry that credited it: holders 1-999 the first, and so on.
    expect([rows[0], rows[998], rows[999], rows[1997], rows[1998], rows[2500]].map((r) => r.entryId)).toEqual([0, 0, 1, 1, 2, 2].map((i) => entries[i].id));
    for (const [i, e] of entries.entries()) {
      const credited = await db.dataSource.query<Array<{ s: string }>>(`SELECT sum(amount)::text AS s FROM ledger_postings WHERE entry_id = $1 AND side = 'CREDIT'`, [e.id]);
      expect({ part: i + 1, credited: credited[0].s }).toEqual({
        part: i + 1,
        credited: i === 0 ? String(1500000 + 998 * 1400) : i === 1 ? String(999 * 1400) : String(503 * 1400),
      });
    }
    expect(await balance(t, holderTickets('B-V-2500', 'BIG-2025'))).toBe('1400');
  });
});

describe('property: any collective, any contributions (through the real service)', () => {
  let run = 0;

  it('issues units that add up exactly to the total, keeps at least the exact retained share, numbers certificates gaplessly', async () => {
    const faceValues = ['1.00', '0.50', '2.50', '100.00'];
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          villagers: fc.integer({ min: 1, max: 30 }),
          householdsPer: fc.integer({ min: 1, max: 30 }),
          collectiveUnits: fc.integer({ min: 1, max: 2_000_000 }),
          farmUnits: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 1_000_000 })),
          ratioPercent: fc.integer({ min: 0, max: 100 }),
          face: fc.constantFrom(...faceValues),
          weighting: fc.constantFrom('PER_PERSON' as const, 'PER_HOUSEHOLD' as const),
        }),
        async (c) => {
          run += 1;
          const households = Math.min(c.householdsPer, c.villagers);
          const code = `PROP-${run}`;
          const w = await seedTicketWorld(t, { collective: `C-PROP-${run}`, prefix: `Q${run}-`, villagers: c.villagers, households, parcels: 1 });
          const ratio = new Dec(c.ratioPercent).div(100);
          await createProject(t, w, code, { parcelIds: w.parcelIds, collectiveCode: w.collective, collectiveRetainedRatio: ratio.toFixed(2), memberWeighting: c.weighting });
          const face = new Dec(c.face);
          if (c.farmUnits > 0) await contributeCash(t, code, w.farm, face.times(c.farmUnits).toFixed(2));
          await contributeInKind(t, code, w.collective, face.times(c.collectiveUnits).toFixed(2));
          const outcome = await issueSeries(t, code, { seriesCode: code, faceValue: c.face });

          const total = String(c.farmUnits + c.collectiveUnits);
          const rows = await expectConsistent(code, total);
          expect(outcome.entryIds).toHaveLength(1);
          const of = (origin: string) => rows.filter((r) => r.origin === origin);
          expect(sum(of('FARM').map((r) => r.units))).toBe(String(c.farmUnits));
          const retained = new Dec(sum(of('COLLECTIVE').map((r) => r.units)));
          const members = of('MEMBER');
          const membersUnits = new Dec(sum(members.map((r) => r.units)));
          // Member units + retained = the collective's units; the ratio's share is kept.
          expect(retained.plus(membersUnits).toFixed(0)).toBe(String(c.collectiveUnits));
          expect(retained.greaterThanOrEqualTo(ratio.times(c.collectiveUnits))).toBe(true);
          // Equal claims get equal units, and what is left over is less than one unit per claim.
          const claims = c.weighting === 'PER_PERSON' ? c.villagers : households;
          const pool = new Dec(1).minus(ratio).times(c.collectiveUnits).floor();
          expect(new Set(members.map((r) => r.units)).size).toBeLessThanOrEqual(1);
          expect(members).toHaveLength(pool.lessThan(claims) ? 0 : claims);
          expect(pool.minus(membersUnits).lessThan(claims)).toBe(true);
          expect(outcome.plan.split).toMatchObject({ claims, poolUnits: pool.toFixed(0), remainderUnits: pool.minus(membersUnits).toFixed(0) });
          // Per household: one holder per household, its head.
          if (c.weighting === 'PER_HOUSEHOLD') expect(members.map((r) => r.party).sort()).toEqual(members.length === 0 ? [] : [...w.headOf.values()].sort());
        },
      ),
      { numRuns: 15 },
    );
  });
});
