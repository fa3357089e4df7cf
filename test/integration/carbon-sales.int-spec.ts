import { CarbonReadsService, carbonBuffer, carbonIssued, carbonRevenue, holderCredits, walletOf } from '@forest-ledger/forestry';
import { allocate, Dec, LedgerError } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { allTo, blocksOf, CarbonService, carbonReadsService, carbonService, createCarbonProject, issueCredits, list, order } from '../factories/carbon.factory';
import { balance, deposit, key, lishuSeries, refusal, seedParties, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';
import { outboxMark, outboxSince, rolledBack } from '../setup/outbox-events';

/**
 * Forestry carbon credits on PostgreSQL: issuance with serial blocks and buffer, vintages, listings,
 * orders settled in one entry (payment, delivery FIFO by vintage with split blocks, revenue shares),
 * concurrency, and the per-vintage invariant. The 将乐常口村 case (DOMAIN.md §5) is the fixture.
 */
const db = useTestDatabase();
let t: TicketServices;
let c: CarbonService;
let world: TicketWorld;

const COMPANY = 'E-CO';
const AGGREGATOR = 'E-AGG';
const POOR = 'E-POOR';
const BUYERS = Array.from({ length: 6 }, (_, i) => `E-B${i + 1}`);
const SERIES = 'LS-CARBON';

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  c = carbonService(t);
  world = await seedTicketWorld(t, { villagers: 12, households: 4, parcels: 20 });
  await seedParties(t, [
    { code: COMPANY, kind: 'ENTERPRISE', name: '某科技有限公司' },
    { code: AGGREGATOR, kind: 'ENTERPRISE', name: '某碳资产管理公司' },
    { code: POOR, kind: 'ENTERPRISE', name: '资金不足公司' },
    ...BUYERS.map((code, i) => ({ code, kind: 'ENTERPRISE' as const, name: `买家${i + 1}` })),
  ]);
  await lishuSeries(t, world, SERIES);
});

const sum = (amounts: string[]): string => amounts.reduce((s, a) => s.plus(a), new Dec(0)).toFixed(2);
const personRule = { shares: [{ kind: 'PER_PERSON' as const, collective: 'C-LSC', ratio: '1' }] };

describe('the 将乐常口村 case: 12,723 t issued, sold 2,723 t at 15.00 and 10,000 t at 10.00, shared per person', () => {
  const CK = 'CK';

  it('issues one serial block to the owner in one TCO2E entry (0 % buffer)', async () => {
    await createCarbonProject(t, c, world, CK, { revenueRule: personRule });
    const input = { vintageStart: '2016-01-01', vintageEnd: '2020-12-31', verificationReference: '核查报告 CK', issuedOn: '2021-05-01', quantity: '12723' };
    const mark = await outboxMark(db.dataSource);
    await rolledBack(db.dataSource, (em) => c.issue(em, CK, input, key()));
    expect(await outboxSince(db.dataSource, mark, ['carbon.issued'])).toEqual([]);
    const issuance = await inTransaction(db.dataSource, (em) => c.issue(em, CK, input, key()));
    // carbon.issued in the issuance's transaction (issue 17).
    expect((await outboxSince(db.dataSource, mark, ['carbon.issued'])).map((e) => [e.aggregate, e.data])).toEqual([
      [
        { type: 'carbon_project', id: CK },
        {
          issuanceId: issuance.id,
          project: CK,
          owner: world.farm,
          vintage: '2020',
          vintageStart: '2016-01-01',
          vintageEnd: '2020-12-31',
          quantity: '12723',
          bufferQuantity: '0',
          serialStart: '1',
          serialEnd: '12723',
          verificationReference: '核查报告 CK',
          issuedOn: '2021-05-01',
          entryId: issuance.entryId,
        },
      ],
    ]);
    expect(issuance).toMatchObject({ vintage: '2020', quantity: '12723', bufferQuantity: '0', serialBlock: 'FFCER-CK-2020-1-12723', serials: { start: '1', end: '12723' } });
    const entry = await t.ledger.getEntry(issuance.entryId);
    expect(entry.kind).toBe('CARBON_ISSUANCE');
    expect(entry.postings.map((p) => [p.account, p.side, p.amount, p.asset])).toEqual([
      [carbonIssued(CK), 'DEBIT', '12723.000', 'TCO2E'],
      [holderCredits(world.farm, CK), 'CREDIT', '12723.000', 'TCO2E'],
    ]);
    expect(await blocksOf(t, CK)).toEqual([['1', '12723', 'HELD', world.farm]]);
  });

  it('sells 2,723 t for 40,845.00 and 10,000 t for 100,000.00 in one entry each; every villager’s share is exact to the 分', async () => {
    await deposit(t, COMPANY, '50000.00');
    await deposit(t, AGGREGATOR, '100000.00');
    const l1 = await list(t, c, CK, { seller: world.farm, unitPrice: '15.00', quantity: '2723' });
    const l2 = await list(t, c, CK, { seller: world.farm, unitPrice: '10.00', quantity: '10000' });
    const s1 = await order(t, c, l1.id, { buyer: COMPANY, quantity: '2723' });
    const s2 = await order(t, c, l2.id, { buyer: AGGREGATOR, quantity: '10000' });

    expect(s1).toMatchObject({ grossAmount: '40845.00', quantity: '2723', unitPrice: '15.00', ruleVersion: 1, serialBlocks: ['FFCER-CK-2020-1-2723'] });
    expect(s2).toMatchObject({ grossAmount: '100000.00', serialBlocks: ['FFCER-CK-2020-2724-12723'], entryIds: [expect.any(String)] });
    const expected = allocate(
      '40845.00',
      world.villagers.map(() => 1),
      2,
    ).map((d) => d.toFixed(2));
    expect(s1.shares.map((s) => s.amount)).toEqual(expected);
    expect(sum(s1.shares.map((s) => s.amount))).toBe('40845.00');
    expect(sum(s2.shares.map((s) => s.amount))).toBe('100000.00');

    const entry = await t.ledger.getEntry(s1.entryIds[0]);
    expect(entry.kind).toBe('CARBON_SALE');
    expect(entry.postings.slice(0, 5).map((p) => [p.account, p.side, p.amount])).toEqual([
      [walletOf(COMPANY), 'DEBIT', '40845.00'],
      [carbonRevenue(CK), 'CREDIT', '40845.00'],
      [holderCredits(world.farm, CK), 'DEBIT', '2723.000'],
      [holderCredits(COMPANY, CK), 'CREDIT', '2723.000'],
      [carbonRevenue(CK), 'DEBIT', '40845.00'],
    ]);
    expect(entry.postings).toHaveLength(5 + world.villagers.length);
    expect(await balance(t, carbonRevenue(CK))).toBe('0');
    expect(await balance(t, walletOf(COMPANY))).toBe('9155');
    expect(await balance(t, walletOf(world.villagers[0]))).toBe(new Dec(s1.shares[0].amount).plus(s2.shares[0].amount).toString());
    expect(await balance(t, holderCredits(world.farm, CK))).toBe('0');
    expect(await blocksOf(t, CK)).toEqual([
      ['1', '2723', 'HELD', COMPANY],
      ['2724', '12723', 'HELD', AGGREGATOR],
    ]);
    expect(await c.getListing(l1.id)).toMatchObject({ quantityAvailable: '0', state: 'SOLD_OUT' });
    expect(await c.checkInvariant(CK)).toMatchObject({
      ok: true,
      vintages: [{ issued: '12723', held: '12723', reserved: '0', retired: '0', buffer: '0', cancelled: '0', ok: true }],
    });
  });

  it('a resale by the aggregator pays the aggregator the whole price; the rule is not applied (ruleVersion null)', async () => {
    const listing = await list(t, c, CK, { seller: AGGREGATOR, unitPrice: '12.00', quantity: '100' });
    const villager = await balance(t, walletOf(world.villagers[0]));
    const aggregator = await balance(t, walletOf(AGGREGATOR));
    await deposit(t, COMPANY, '1200.00');
    const sale = await order(t, c, listing.id, { buyer: COMPANY, quantity: '100' });
    expect(sale).toMatchObject({
      seller: AGGREGATOR,
      grossAmount: '1200.00',
      ruleVersion: null,
      shares: [{ share: 0, party: AGGREGATOR, amount: '1200.00' }],
      serialBlocks: ['FFCER-CK-2020-2724-2823'],
    });
    expect(new Dec(await balance(t, walletOf(AGGREGATOR))).minus(aggregator).toFixed(2)).toBe('1200.00');
    expect(await balance(t, walletOf(world.villagers[0]))).toBe(villager);
    expect(await balance(t, holderCredits(COMPANY, CK))).toBe('2823');
  });

  it('replays an order under the same key without selling twice', async () => {
    await createCarbonProject(t, c, world, 'CK-REPLAY', { revenueRule: personRule });
    await issueCredits(t, c, 'CK-REPLAY', { quantity: '10' });
    const listing = await list(t, c, 'CK-REPLAY', { seller: world.farm, unitPrice: '1.00', quantity: '10' });
    await deposit(t, COMPANY, '10.00');
    const k = key();
    const first = await order(t, c, listing.id, { buyer: COMPANY, quantity: '4' }, k);
    const again = await order(t, c, listing.id, { buyer: COMPANY, quantity: '4' }, k);
    expect(again).toEqual(first);
    expect(await refusal(order(t, c, listing.id, { buyer: COMPANY, quantity: '5' }, k))).toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
    expect(await c.getListing(listing.id)).toMatchObject({ quantityAvailable: '6' });
  });
});

describe('issuance: serials continue per project, the buffer is rounded down, vintages never overlap', () => {
  const BUF = 'BUF';

  beforeAll(async () => {
    await createCarbonProject(t, c, world, BUF, { bufferRatio: '0.15' });
  });

  it('withholds floor(15 %) to the buffer (the top serials) and continues numbering after the last unit', async () => {
    const first = await issueCredits(t, c, BUF, { quantity: '1005', vintageStart: '2016-01-01', vintageEnd: '2020-12-31' });
    expect(first).toMatchObject({ quantity: '1005', bufferQuantity: '150', serialBlock: 'FFCER-BUF-2020-1-1005' }); // 150.75 → 150
    const entry = await t.ledger.getEntry(first.entryId);
    expect(entry.postings.map((p) => [p.account, p.side, p.amount])).toEqual([
      [carbonIssued(BUF), 'DEBIT', '1005.000'],
      [holderCredits(world.farm, BUF), 'CREDIT', '855.000'],
      [carbonBuffer(BUF), 'CREDIT', '150.000'],
    ]);
    const second = await issueCredits(t, c, BUF, { quantity: '6', vintageStart: '2021-01-01', vintageEnd: '2025-12-31', issuedOn: '2026-03-01' });
    expect(second).toMatchObject({ bufferQuantity: '0', serialBlock: 'FFCER-BUF-2025-1006-1011' }); // 0.9 → 0
    expect(await blocksOf(t, BUF)).toEqual([
      ['1', '855', 'HELD', world.farm],
      ['856', '1005', 'BUFFER', null],
      ['1006', '1011', 'HELD', world.farm],
    ]);
    expect((await c.getProject(BUF)).lastSerial).toBe('1011');
  });

  it('refuses an overlapping vintage, one outside the crediting period, a draft project and fractional tonnes; nothing is written', async () => {
    const before = await blocksOf(t, BUF);
    for (const [vintageStart, vintageEnd] of [
      ['2020-12-31', '2021-06-30'],
      ['2016-06-01', '2016-06-30'],
      ['2017-01-01', '2017-12-31'],
    ]) {
      expect(await refusal(issueCredits(t, c, BUF, { quantity: '10', vintageStart, vintageEnd, issuedOn: '2026-03-01' }))).toMatchObject({ code: 'VINTAGE_OVERLAPS' });
    }
    expect(await refusal(issueCredits(t, c, BUF, { quantity: '10', vintageStart: '2030-01-01', vintageEnd: '2036-01-01', issuedOn: '2036-02-01' }))).toMatchObject({
      code: 'VINTAGE_OUTSIDE_CREDITING_PERIOD',
    });
    expect(await refusal(issueCredits(t, c, BUF, { quantity: '1.5', vintageStart: '2026-01-01', vintageEnd: '2026-12-31', issuedOn: '2027-01-01' }))).toMatchObject({
      code: 'INVALID_CARBON_INPUT',
      field: 'quantity',
    });
    await createCarbonProject(t, c, world, 'DRAFT', { draft: true });
    expect(await refusal(issueCredits(t, c, 'DRAFT', { quantity: '10' }))).toMatchObject({ code: 'CARBON_PROJECT_NOT_REGISTERED' });
    expect(await refusal(issueCredits(t, c, BUF, { quantity: '10', vintageStart: '2026-01-01', vintageEnd: '2026-06-30', issuedOn: '2099-01-01' }))).toMatchObject({
      code: 'INVALID_CARBON_INPUT',
      field: 'issuedOn',
    });
    expect(await refusal(issueCredits(t, c, BUF, { quantity: '10', vintageStart: '2026-01-01', vintageEnd: '2026-06-30', issuedOn: '2026-06-29' }))).toMatchObject({
      code: 'INVALID_CARBON_INPUT',
      field: 'issuedOn',
    });
    expect(await blocksOf(t, BUF)).toEqual(before);
    expect(await balance(t, carbonIssued(BUF))).toBe('1011');
  });

  it('refuses a parcel already under an open carbon project', async () => {
    const { parcelIds } = await c.getProject(BUF);
    expect(await refusal(createCarbonProject(t, c, world, 'TWICE', { parcelIds }))).toMatchObject({ code: 'PARCEL_ALREADY_CLAIMED', kind: 'conflict', field: 'parcelIds' });
  });
});

describe('orders take FIFO by vintage and split blocks at the exact boundary', () => {
  const FIFO = 'FIFO';
  let listingId: string;

  beforeAll(async () => {
    await createCarbonProject(t, c, world, FIFO);
    // Issued newest first: FIFO is by vintage, not by issuance order or serial.
    await issueCredits(t, c, FIFO, { quantity: '50', vintageStart: '2021-01-01', vintageEnd: '2025-12-31', issuedOn: '2026-01-15' });
    await issueCredits(t, c, FIFO, { quantity: '100', vintageStart: '2016-01-01', vintageEnd: '2020-12-31' });
    listingId = (await list(t, c, FIFO, { seller: world.farm, unitPrice: '2.00', quantity: '150' })).id;
    for (const b of BUYERS.slice(0, 3)) await deposit(t, b, '1000.00');
  });

  it('one less than the oldest block: the block keeps its last serial', async () => {
    const sale = await order(t, c, listingId, { buyer: BUYERS[0], quantity: '99' });
    expect(sale.serialBlocks).toEqual(['FFCER-FIFO-2020-51-149']);
  });

  it('one more than what is left of it: its last serial and the first of the next vintage', async () => {
    const sale = await order(t, c, listingId, { buyer: BUYERS[1], quantity: '2' });
    expect(sale.serialBlocks).toEqual(['FFCER-FIFO-2020-150-150', 'FFCER-FIFO-2025-1-1']);
  });

  it('exactly the whole of what is left: no split, nothing remains', async () => {
    const sale = await order(t, c, listingId, { buyer: BUYERS[2], quantity: '49' });
    expect(sale.serialBlocks).toEqual(['FFCER-FIFO-2025-2-50']);
    expect(await blocksOf(t, FIFO)).toEqual([
      ['1', '1', 'HELD', BUYERS[1]],
      ['2', '50', 'HELD', BUYERS[2]],
      ['51', '149', 'HELD', BUYERS[0]],
      ['150', '150', 'HELD', BUYERS[1]],
    ]);
    expect(await balance(t, holderCredits(BUYERS[1], FIFO))).toBe('2');
    expect(await refusal(order(t, c, listingId, { buyer: BUYERS[2], quantity: '1' }))).toMatchObject({ code: 'LISTING_NOT_OPEN' });
    expect((await c.checkInvariant(FIFO)).ok).toBe(true);
  });

  it('a listing of one vintage reserves only its serials; cancelling returns them', async () => {
    const VIN = 'VIN';
    await createCarbonProject(t, c, world, VIN);
    await issueCredits(t, c, VIN, { quantity: '10', vintageStart: '2016-01-01', vintageEnd: '2020-12-31' });
    const newer = await issueCredits(t, c, VIN, { quantity: '10', vintageStart: '2021-01-01', vintageEnd: '2025-12-31', issuedOn: '2026-01-15' });
    const listing = await list(t, c, VIN, { seller: world.farm, unitPrice: '3.00', quantity: '4', issuanceId: newer.id });
    expect(await blocksOf(t, VIN)).toEqual([
      ['1', '10', 'HELD', world.farm],
      ['11', '14', 'RESERVED', world.farm],
      ['15', '20', 'HELD', world.farm],
    ]);
    expect((await c.checkInvariant(VIN)).vintages.map((v) => [v.held, v.reserved])).toEqual([
      ['10', '0'],
      ['6', '4'],
    ]);
    await inTransaction(db.dataSource, (em) => c.cancelListing(em, listing.id));
    expect((await blocksOf(t, VIN)).map((b) => b[2])).toEqual(['HELD', 'HELD', 'HELD']);
    expect(await refusal(list(t, c, VIN, { seller: world.farm, unitPrice: '3.00', quantity: '21' }))).toMatchObject({ code: 'INSUFFICIENT_CREDITS', details: { available: '20' } });
  });
});

describe('revenue shares sum exactly to the sale amount', () => {
  async function saleWith(code: string, rule: Parameters<CarbonService['setRevenueRule']>[2], quantity: string, unitPrice: string, effectiveDate = '2021-06-01') {
    await createCarbonProject(t, c, world, code, { revenueRule: rule, coopProjectCode: SERIES });
    await issueCredits(t, c, code, { quantity: '1000' });
    const listing = await list(t, c, code, { seller: world.farm, unitPrice, quantity: '1000' });
    await deposit(t, COMPANY, '100000.00');
    return { listing, sale: await order(t, c, listing.id, { buyer: COMPANY, quantity, effectiveDate }) };
  }

  it('fixed percentages: 10 % farm, 30 % collective, 60 % per person', async () => {
    const rule = {
      shares: [
        { kind: 'PARTY' as const, party: world.farm, ratio: '0.10' },
        { kind: 'PARTY' as const, party: world.collective, ratio: '0.30' },
        { kind: 'PER_PERSON' as const, collective: world.collective, ratio: '0.60' },
      ],
    };
    const farmBefore = await balance(t, walletOf(world.farm));
    const { sale } = await saleWith('PCT', rule, '7', '13.33'); // 93.31
    expect(sale.grossAmount).toBe('93.31');
    expect(sale.shares.slice(0, 2)).toEqual([
      { share: 0, party: world.farm, amount: '9.33' },
      { share: 1, party: world.collective, amount: '27.99' },
    ]);
    expect(sale.shares.slice(2)).toHaveLength(12); // 55.99 among 12 villagers
    expect(
      sale.shares
        .slice(2)
        .map((s) => s.party)
        .sort(),
    ).toEqual(world.villagers); // in party-id order
    expect(sum(sale.shares.map((s) => s.amount))).toBe('93.31');
    expect(new Dec(await balance(t, walletOf(world.farm))).minus(farmBefore).toFixed(2)).toBe('9.33');
  });

  it('a buyer that also has a share pays the price and receives its share in the same entry', async () => {
    await createCarbonProject(t, c, world, 'SELF', { revenueRule: { shares: [{ kind: 'PARTY', party: world.collective, ratio: '1' }] }, coopProjectCode: SERIES });
    await issueCredits(t, c, 'SELF', { quantity: '10' });
    const listing = await list(t, c, 'SELF', { seller: world.farm, unitPrice: '2.50', quantity: '10' });
    await deposit(t, world.collective, '10.00');
    const before = await balance(t, walletOf(world.collective));
    const sale = await order(t, c, listing.id, { buyer: world.collective, quantity: '4' });
    expect(sale.shares).toEqual([{ share: 0, party: world.collective, amount: '10.00' }]);
    expect(await balance(t, walletOf(world.collective))).toBe(before);
    expect(await balance(t, holderCredits(world.collective, 'SELF'))).toBe('4');
  });

  it('per household: the 4 households of the collective', async () => {
    const { sale } = await saleWith('HH', { shares: [{ kind: 'PER_HOUSEHOLD', collective: world.collective, ratio: '1' }] }, '1', '0.07');
    expect(sale.shares).toEqual([
      { share: 0, party: world.households[0], amount: '0.02' },
      { share: 0, party: world.households[1], amount: '0.02' },
      { share: 0, party: world.households[2], amount: '0.02' },
      { share: 0, party: world.households[3], amount: '0.01' },
    ]);
  });

  it('pro rata to 林票 units of the linked series held at the sale date (later trades do not count)', async () => {
    // V-0001 sells 2,500 of its 52,500 units to V-0002 effective 2026-06-01.
    await deposit(t, world.villagers[1], '2500.00');
    await inTransaction(db.dataSource, (em) =>
      t.movements.trade(em, SERIES, { seller: world.villagers[0], buyer: world.villagers[1], units: '2500', unitPrice: '1.00', effectiveDate: '2026-06-01' }, key()),
    );
    const rule = { shares: [{ kind: 'TICKET_UNITS' as const, ratio: '1' }] };
    const before = await saleWith('UNITS', rule, '9', '1000.01', '2026-05-31'); // 9,000.09 over 900,000 units: 0.01 per 1,000 units, 9 分 left over
    const after = await order(t, c, before.listing.id, { buyer: COMPANY, quantity: '9', effectiveDate: '2026-06-01' });
    for (const sale of [before.sale, after]) expect(sum(sale.shares.map((s) => s.amount))).toBe('9000.09');
    const byParty = (shares: typeof after.shares) => new Map(shares.map((s) => [s.party, s.amount]));
    const [b, a] = [byParty(before.sale.shares), byParty(after.shares)];
    // 270,000 / 900,000 → 2,700.027 and 52,500 / 900,000 → 525.00525: the collective's remainder is the largest.
    expect(b.get(world.collective)).toBe('2700.03');
    expect([b.get(world.villagers[0]), b.get(world.villagers[1])]).toEqual(['525.01', '525.01']);
    expect([a.get(world.villagers[0]), a.get(world.villagers[1])]).toEqual(['500.00', '550.01']); // 50,000 → 500.005, 55,000 → 550.0055
    for (const [date, sale] of [
      ['2026-05-31', before.sale],
      ['2026-06-01', after],
    ] as const) {
      const register = await t.series.register(SERIES, date);
      expect(sale.shares.map((s) => [s.party, s.amount])).toEqual(
        register.lines.map((l, i) => [
          l.partyCode,
          allocate(
            '9000.09',
            register.lines.map((x) => x.units),
            2,
          )[i].toFixed(2),
        ]),
      );
    }
  });

  it('rule versions: a new rule applies to later sales; each sale records the version it used', async () => {
    const { listing, sale } = await saleWith('VER', allTo(world.farm), '1', '5.00');
    expect(sale.ruleVersion).toBe(1);
    const v2 = await inTransaction(db.dataSource, (em) => c.setRevenueRule(em, 'VER', allTo(world.collective)));
    expect(v2.version).toBe(2);
    const later = await order(t, c, listing.id, { buyer: COMPANY, quantity: '1' });
    expect(later).toMatchObject({ ruleVersion: 2, shares: [{ party: world.collective, amount: '5.00' }] });
    expect((await c.getSale(sale.id)).ruleVersion).toBe(1);
    // An unknown or malformed id is a typed 404, not a crash.
    for (const unknown of ['999999999', 'abc'])
      expect(
        await c.getSale(unknown).then(
          () => null,
          (e: unknown) => e,
        ),
      ).toMatchObject({ code: 'UNKNOWN_SALE', kind: 'not-found', field: 'id' });
    expect(await refusal(inTransaction(db.dataSource, (em) => c.setRevenueRule(em, 'VER', { shares: [{ kind: 'PARTY', party: world.farm, ratio: '0.99' }] })))).toMatchObject({
      code: 'INVALID_REVENUE_RULE',
    });
  });
});

describe('a village of 1,200 members: more shares than one entry holds', () => {
  it('settles in one atomic batch (sale entry + share entry), the shares exact to the 分', async () => {
    const big = await seedTicketWorld(t, { collective: 'C-BIG', prefix: 'B-', villagers: 1200, households: 300, parcels: 1 });
    await createCarbonProject(t, c, big, 'BIG', { revenueRule: { shares: [{ kind: 'PER_PERSON', collective: 'C-BIG', ratio: '1' }] } });
    await issueCredits(t, c, 'BIG', { quantity: '1000' });
    const listing = await list(t, c, 'BIG', { seller: world.farm, unitPrice: '12.34', quantity: '1000' });
    await deposit(t, AGGREGATOR, '12340.00');
    const sale = await order(t, c, listing.id, { buyer: AGGREGATOR, quantity: '1000' });
    expect(sale.entryIds).toHaveLength(2);
    expect(sale.shares).toHaveLength(1200);
    expect(sum(sale.shares.map((s) => s.amount))).toBe('12340.00');
    const [first, second] = await Promise.all(sale.entryIds.map((id) => t.ledger.getEntry(id)));
    expect([first.kind, first.postings.length, second.kind, second.postings.length]).toEqual(['CARBON_SALE', 4 + 1 + 990, 'CARBON_REVENUE_SHARE', 1 + 210]);
    expect(await balance(t, carbonRevenue('BIG'))).toBe('0');
    const [{ paid }] = await db.dataSource.query<
      Array<{
        paid: string;
      }>
    >(`SELECT sum(credits - debits)::text AS paid FROM ledger_accounts WHERE code LIKE 'party:B-V-%:wallet:CNY'`);
    expect(paid).toBe('12340.00');
  });
});

describe('money and concurrency', () => {
  it('a buyer without enough money is refused (INSUFFICIENT_FUNDS) and nothing moves', async () => {
    await createCarbonProject(t, c, world, 'POOR');
    await issueCredits(t, c, 'POOR', { quantity: '100' });
    const listing = await list(t, c, 'POOR', { seller: world.farm, unitPrice: '10.00', quantity: '100' });
    await deposit(t, POOR, '99.99');
    const blocks = await blocksOf(t, 'POOR');
    const farm = await balance(t, walletOf(world.farm));
    const error = await refusal(order(t, c, listing.id, { buyer: POOR, quantity: '10' }));
    expect(error).toBeInstanceOf(LedgerError);
    expect(error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', field: 'buyer', details: { party: POOR } });
    expect(await blocksOf(t, 'POOR')).toEqual(blocks);
    expect(await c.getListing(listing.id)).toMatchObject({ quantityAvailable: '100', state: 'OPEN' });
    expect(await balance(t, walletOf(POOR))).toBe('99.99');
    expect(await balance(t, walletOf(world.farm))).toBe(farm);
    expect(await balance(t, holderCredits(POOR, 'POOR'))).toBe('0');
    const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM carbon_sales WHERE listing_id = $1`, [listing.id]);
    expect(n).toBe(0);
    expect(await refusal(order(t, c, listing.id, { buyer: world.farm, quantity: '1' }))).toMatchObject({ code: 'INVALID_CARBON_INPUT', field: 'buyer' });
    expect(await refusal(order(t, c, listing.id, { buyer: POOR, quantity: '101' }))).toMatchObject({ code: 'INSUFFICIENT_CREDITS', details: { available: '100' } });
    expect(await refusal(order(t, c, listing.id, { buyer: POOR, quantity: '1', effectiveDate: '2099-01-01' }))).toMatchObject({
      code: 'INVALID_CARBON_INPUT',
      field: 'effectiveDate',
    });
  });

  it('six concurrent orders of 2 t for the last 10 t: five succeed, one is refused, no tonne is sold twice', async () => {
    await createCarbonProject(t, c, world, 'LAST');
    await issueCredits(t, c, 'LAST', { quantity: '10' });
    const listing = await list(t, c, 'LAST', { seller: world.farm, unitPrice: '1.00', quantity: '10' });
    for (const b of BUYERS) await deposit(t, b, '2.00');
    const results = await Promise.allSettled(BUYERS.map((buyer) => order(t, c, listing.id, { buyer, quantity: '2' })));
    const sold = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(sold).toHaveLength(5);
    expect(refused).toHaveLength(1);
    expect(refused[0].reason).toMatchObject({ code: expect.stringMatching(/^(INSUFFICIENT_CREDITS|LISTING_NOT_OPEN)$/) as string });
    const blocks = await blocksOf(t, 'LAST');
    expect(blocks.map((b) => [b[0], b[1]])).toEqual([
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
      ['7', '8'],
      ['9', '10'],
    ]);
    expect(new Set(blocks.map((b) => b[3])).size).toBe(5);
    expect(await balance(t, holderCredits(world.farm, 'LAST'))).toBe('0');
    expect((await c.checkInvariant('LAST')).ok).toBe(true);
  });
});

describe('the scoped reads of the carbon routes (CarbonReadsService)', () => {
  let reads: CarbonReadsService;
  let listingId: string;
  let saleId: string;

  beforeAll(async () => {
    reads = carbonReadsService(t, c);
    await createCarbonProject(t, c, world, 'RD-FARM', { parcels: 2 });
    await createCarbonProject(t, c, world, 'RD-COLL', { ownerCode: world.collective, revenueRule: allTo(world.collective), draft: true });
    await inTransaction(t.ds, (em) => c.setRevenueRule(em, 'RD-FARM', { shares: [{ kind: 'PARTY', party: world.collective, ratio: '1' }] }));
    await issueCredits(t, c, 'RD-FARM', { quantity: '30' });
    listingId = (await list(t, c, 'RD-FARM', { seller: world.farm, unitPrice: '5.00', quantity: '20' })).id;
    await deposit(t, BUYERS[3], '100.00');
    saleId = (await order(t, c, listingId, { buyer: BUYERS[3], quantity: '4' })).id;
  });

  it('lists projects by code in three queries whatever their number, each as getProject shows it; an owner sees only its own', async () => {
    const spy = jest.spyOn(t.ds.manager, 'query');
    const all = await c.listProjects({});
    const queries = spy.mock.calls.length;
    spy.mockRestore();
    expect(all.length).toBeGreaterThan(5);
    expect(queries).toBe(3);
    expect(all.map((p) => p.code)).toEqual([...all.map((p) => p.code)].sort());
    for (const code of ['RD-FARM', 'RD-COLL']) expect(all.find((p) => p.code === code)).toEqual(await c.getProject(code));
    expect(all.find((p) => p.code === 'RD-FARM')!.revenueRule.version).toBe(2);
    expect((await c.listProjects({ owner: world.collective })).map((p) => p.code)).toEqual(['RD-COLL']);
    expect((await c.listProjects({ owner: world.collective, state: 'REGISTERED' })).map((p) => p.code)).toEqual([]);
    expect((await c.listProjects({ owner: world.farm })).every((p) => p.owner === world.farm)).toBe(true);
    expect(await c.listProjects({ owner: 'NOBODY' })).toEqual([]);
  });

  it('a project is visible to its owner and to staff; another owner gets UNKNOWN_CARBON_PROJECT, like an unknown code', async () => {
    await expect(reads.projectFor('RD-COLL', null)).resolves.toMatchObject({ code: 'RD-COLL', owner: world.collective });
    await expect(reads.projectFor('RD-COLL', world.collective)).resolves.toMatchObject({ code: 'RD-COLL' });
    expect(await refusal(reads.projectFor('RD-COLL', world.farm))).toMatchObject({ code: 'UNKNOWN_CARBON_PROJECT', field: 'project' });
    expect(await refusal(reads.projectFor('RD-NONE', null))).toMatchObject({ code: 'UNKNOWN_CARBON_PROJECT', field: 'project' });
  });

  it('lists listings newest first, by project and state', async () => {
    const ofProject = await reads.listListings({ project: 'RD-FARM' });
    expect(ofProject).toEqual([await c.getListing(listingId)]);
    expect(ofProject[0]).toMatchObject({ seller: world.farm, quantityListed: '20', quantityAvailable: '16', state: 'OPEN' });
    expect(await reads.listListings({ project: 'RD-FARM', state: 'SOLD_OUT' })).toEqual([]);
    expect(await reads.listListings({ project: 'RD-FARM', seller: world.farm })).toEqual(ofProject);
    expect(await reads.listListings({ project: 'RD-FARM', seller: world.collective })).toEqual([]);
    const ids = (await reads.listListings({})).map((l) => BigInt(l.id));
    expect(ids).toEqual([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
  });

  it('a sale is visible to its buyer, its seller and staff; to anyone else it is UNKNOWN_SALE, like an unknown or malformed id', async () => {
    const sale = await c.getSale(saleId);
    await expect(reads.saleFor(saleId, null)).resolves.toEqual(sale);
    // Each side sees the sale with its own revenue share only (issue 14): the buyer has none, here the collective takes all.
    await expect(reads.saleFor(saleId, { party: BUYERS[3], side: 'buyer' })).resolves.toEqual({ ...sale, shares: [] });
    await expect(reads.saleFor(saleId, { party: world.farm, side: 'seller' })).resolves.toEqual({ ...sale, shares: [] });
    for (const scope of [
      { party: BUYERS[4], side: 'buyer' as const },
      { party: world.farm, side: 'buyer' as const },
      { party: BUYERS[3], side: 'seller' as const },
    ]) {
      expect(await refusal(reads.saleFor(saleId, scope))).toMatchObject({ code: 'UNKNOWN_SALE', field: 'sale' });
    }
    for (const id of ['999999999', 'abc', '']) expect(await refusal(reads.saleFor(id, null))).toMatchObject({ code: 'UNKNOWN_SALE', field: 'sale' });
  });

  it('shows the serial blocks of a project with owner and listing; an unknown project is UNKNOWN_CARBON_PROJECT', async () => {
    const blocks = await reads.serialBlocks('RD-FARM');
    expect(blocks.map((b) => [b.serialBlock, b.quantity, b.status, b.owner, b.listingId])).toEqual([
      ['FFCER-RD-FARM-2020-1-4', '4', 'HELD', BUYERS[3], null],
      ['FFCER-RD-FARM-2020-5-20', '16', 'RESERVED', world.farm, listingId],
      ['FFCER-RD-FARM-2020-21-30', '10', 'HELD', world.farm, null],
    ]);
    expect(await reads.serialBlocks('RD-COLL')).toEqual([]);
    expect(await refusal(reads.serialBlocks('RD-NONE'))).toMatchObject({ code: 'UNKNOWN_CARBON_PROJECT', field: 'project' });
  });
});

describe('the invariant', () => {
  it('holds for every project and vintage after everything above: issued = held + reserved + retired + buffer + cancelled, and the ledger agrees', async () => {
    const projects = await db.dataSource.query<Array<{ code: string }>>(`SELECT code FROM carbon_projects ORDER BY code`);
    expect(projects.length).toBeGreaterThan(10);
    for (const { code } of projects) expect(await c.checkInvariant(code)).toMatchObject({ ok: true, ledgerMismatches: [] });
  });
});
