import { holderTickets, seriesIssued } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import fc from 'fast-check';
import {
  balance,
  contributeCash,
  contributeInKind,
  createProject,
  issueSeries,
  key,
  lishuSeries,
  oneTo,
  refusal,
  seedTicketWorld,
  TicketServices,
  ticketServices,
  TicketWorld,
} from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

/**
 * Issuance of 林票 on PostgreSQL, through the real services: the 梨树村 case (100 villagers in 40
 * households), its variants, and a batch issuance to 2,500 villagers.
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
  return (await db.dataSource.query(
    `SELECT p.code AS party, h.seq, h.certificate_no AS "certificateNo", h.origin, h.issued_units::text AS "issuedUnits",
            (a.credits - a.debits)::text AS units, hh.code AS household, m.entry_id::text AS "entryId"
       FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id JOIN parties p ON p.id = h.party_id LEFT JOIN parties hh ON hh.id = p.household_id
       JOIN ledger_accounts a ON a.code = 'holder:' || p.code || ':tickets:' || s.code
       LEFT JOIN ticket_movements m ON m.series_id = s.id AND m.kind = 'ISSUANCE' AND m.to_party_id = p.id
      WHERE s.code = $1 ORDER BY h.seq`,
    [series],
  )) as HoldingRow[];
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
    expect(outcome.plan).toMatchObject({ totalUnits: '900000', collectiveUnits: '900000', retainedUnits: '270000', membersUnits: '630000', memberWeighting: 'PER_PERSON', holdings: 101 });
    expect(outcome.series).toMatchObject({ code: 'LS-PP', assetCode: 'LP.LS-PP', faceValue: '1.00', totalUnits: '900000', holders: 101, transferRestriction: 'OPEN', issuedOn: '2025-03-01' });
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

  it('PER_HOUSEHOLD: every household weighs the same (15,750); its members split it (5,250 × 3 or 7,875 × 2)', async () => {
    const outcome = await lishuSeries(t, world, 'LS-HH', { memberWeighting: 'PER_HOUSEHOLD' });
    expect(outcome.plan).toMatchObject({ totalUnits: '900000', retainedUnits: '270000', membersUnits: '630000', memberWeighting: 'PER_HOUSEHOLD', holdings: 101 });
    const rows = await expectConsistent('LS-HH', '900000');
    const members = rows.filter((r) => r.origin === 'MEMBER');
    expect(members.map((r) => r.party)).toEqual(world.villagers); // certificates in party-code order, also per household
    const byHousehold = new Map<string, string[]>();
    for (const r of members) byHousehold.set(r.household!, [...(byHousehold.get(r.household!) ?? []), r.units]);
    expect(byHousehold.size).toBe(40);
    for (const [household, units] of byHousehold) {
      expect({ household, total: sum(units) }).toEqual({ household, total: '15750' });
      expect(units).toEqual(units.length === 3 ? ['5250', '5250', '5250'] : ['7875', '7875']);
    }
    expect([...byHousehold.values()].filter((u) => u.length === 3)).toHaveLength(20);
  });

  it('an uneven pool, PER_PERSON: the collective keeps the fraction of a unit, the 9 extra units go to the 9 lowest codes, nothing is lost', async () => {
    // 900,013 units: 70 % = 630,009.1 → the members get 630,009, the collective 270,004 (≥ 30 % = 270,003.9).
    const outcome = await lishuSeries(t, world, 'LS-ODD', { collectiveInKind: '900013.00' });
    expect(outcome.plan).toMatchObject({ totalUnits: '900013', retainedUnits: '270004', membersUnits: '630009' });
    const rows = await expectConsistent('LS-ODD', '900013');
    expect(rows[0]).toMatchObject({ party: world.collective, units: '270004' });
    const members = rows.slice(1);
    expect(members.filter((r) => r.units === '6301').map((r) => r.party)).toEqual(world.villagers.slice(0, 9));
    expect(members.slice(9).every((r) => r.units === '6300')).toBe(true);
    expect(sum(members.map((r) => r.units))).toBe('630009');
  });

  it('an uneven pool, PER_HOUSEHOLD: the 7 extra units go to the 7 lowest household codes, inside each to the lowest member code', async () => {
    // 900,010 units: 630,007 to the members = 40 × 15,750 + 7.
    const outcome = await lishuSeries(t, world, 'LS-ODD-HH', { collectiveInKind: '900010.00', memberWeighting: 'PER_HOUSEHOLD' });
    expect(outcome.plan).toMatchObject({ totalUnits: '900010', retainedUnits: '270003', membersUnits: '630007' });
    const rows = await expectConsistent('LS-ODD-HH', '900010');
    const units = new Map(rows.map((r) => [r.party, r.units]));
    // H-001 holds V-0001, V-0041, V-0081 (round-robin): 15,751 → 5,251 + 5,250 + 5,250.
    expect(['V-0001', 'V-0041', 'V-0081'].map((v) => units.get(v))).toEqual(['5251', '5250', '5250']);
    expect(['V-0007', 'V-0047', 'V-0087'].map((v) => units.get(v))).toEqual(['5251', '5250', '5250']);
    expect(['V-0008', 'V-0048', 'V-0088'].map((v) => units.get(v))).toEqual(['5250', '5250', '5250']);
    expect(['V-0021', 'V-0061'].map((v) => units.get(v))).toEqual(['7875', '7875']);
    expect(sum(rows.slice(1).map((r) => r.units))).toBe('630007');
  });

  it('a ratio whose share is not a whole unit: retained ≥ the exact share, the members never get more than theirs', async () => {
    const outcome = await lishuSeries(t, world, 'LS-RATIO', { collectiveInKind: '1001.00', collectiveRetainedRatio: '0.333333' });
    // 1001 × 0.666667 = 667.333667 → 667 to the members (6 or 7 each: 67 × 7 + 33 × 6), 334 retained.
    expect(outcome.plan).toMatchObject({ totalUnits: '1001', retainedUnits: '334', membersUnits: '667' });
    const rows = await expectConsistent('LS-RATIO', '1001');
    expect(rows.slice(1).filter((r) => r.units === '7').map((r) => r.party)).toEqual(world.villagers.slice(0, 67));
  });

  it('replays the issuance with the same key: same series and entries, nothing new; another key is refused', async () => {
    await createProject(t, world, 'LS-IDEM', { parcels: 1 });
    await contributeInKind(t, 'LS-IDEM', world.collective, '900000.00');
    const k = key();
    const first = await issueSeries(t, 'LS-IDEM', { seriesCode: 'LS-IDEM' }, k);
    const [{ n: entriesBefore }] = (await db.dataSource.query(`SELECT count(*)::int AS n FROM ledger_entries`)) as Array<{ n: number }>;
    const again = await issueSeries(t, 'LS-IDEM', { seriesCode: 'LS-IDEM' }, k);
    expect(again.entryIds).toEqual(first.entryIds);
    expect(again.certificates).toEqual(first.certificates);
    expect(again.series).toEqual(first.series);
    const [{ n: entriesAfter }] = (await db.dataSource.query(`SELECT count(*)::int AS n FROM ledger_entries`)) as Array<{ n: number }>;
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
    const [left] = (await db.dataSource.query(
      `SELECT (SELECT count(*)::int FROM ledger_entries WHERE idempotency_key LIKE $1) AS entries,
              (SELECT count(*)::int FROM ledger_assets WHERE code = 'LP.BIG-2025') AS assets,
              (SELECT count(*)::int FROM ledger_accounts WHERE asset_code = 'LP.BIG-2025') AS accounts,
              (SELECT count(*)::int FROM ticket_series WHERE code = 'BIG-2025') AS series,
              (SELECT state FROM coop_projects WHERE code = 'BIG-2025') AS state`,
      [`ticket-issuance:${k}:%`],
    )) as Array<Record<string, unknown>>;
    expect(left).toEqual({ entries: 0, assets: 0, accounts: 0, series: 0, state: 'DRAFT' });

    // The same command again (same key) goes through once the cause is gone.
    const outcome = await issueSeries(t, 'BIG-2025', { seriesCode: 'BIG-2025' }, k);
    expect(outcome.entryIds).toHaveLength(3);
  });

  it('is an atomic batch of 3 entries of at most 999 holders; the holders add up to the total; certificates gapless', async () => {
    const outcome = await t.series.get('BIG-2025', null);
    expect(outcome).toMatchObject({ totalUnits: '5000000', holders: 2501 });
    const entries = (await db.dataSource.query(
      `SELECT e.id::text AS id, e.idempotency_key AS key, e.metadata, count(p.*)::int AS postings
         FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id WHERE e.kind = 'TICKET_ISSUANCE' AND e.metadata ->> 'series' = 'BIG-2025'
        GROUP BY e.id ORDER BY e.id`,
    )) as Array<{ id: string; key: string; metadata: { part: number; parts: number }; postings: number }>;
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
      const credited = (await db.dataSource.query(`SELECT sum(amount)::text AS s FROM ledger_postings WHERE entry_id = $1 AND side = 'CREDIT'`, [e.id])) as Array<{ s: string }>;
      expect({ part: i + 1, credited: credited[0].s }).toEqual({ part: i + 1, credited: i === 0 ? String(1500000 + 998 * 1400) : i === 1 ? String(999 * 1400) : String(503 * 1400) });
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
          const pool = new Dec(c.collectiveUnits).minus(retained);
          expect(retained.greaterThanOrEqualTo(ratio.times(c.collectiveUnits))).toBe(true);
          expect(retained.greaterThanOrEqualTo(ratio.times(c.collectiveUnits).floor())).toBe(true);
          expect(pool.lessThanOrEqualTo(new Dec(1).minus(ratio).times(c.collectiveUnits))).toBe(true);
          expect(sum(of('MEMBER').map((r) => r.units))).toBe(pool.toFixed(0));
          // Each member gets the floor or the ceiling of their exact share.
          const size = new Map<string, number>();
          for (const v of w.villagers) size.set(w.householdOf.get(v)!, (size.get(w.householdOf.get(v)!) ?? 0) + 1);
          const units = new Map(of('MEMBER').map((r) => [r.party, new Dec(r.units)]));
          for (const v of w.villagers) {
            const exact = c.weighting === 'PER_PERSON' ? pool.div(c.villagers) : pool.div(households).div(size.get(w.householdOf.get(v)!)!);
            const got = units.get(v) ?? new Dec(0);
            expect(got.greaterThanOrEqualTo(exact.floor()) && got.lessThanOrEqualTo(exact.ceil())).toBe(true);
          }
        },
      ),
      { numRuns: 15 },
    );
  });
});
