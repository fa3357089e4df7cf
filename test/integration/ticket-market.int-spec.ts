import { businessToday, holderListed, holderTickets, PLATFORM_FEES_ACCOUNT, TicketListingInput, TicketMarketService, TicketTakeInput, walletOf } from '@forest-ledger/forestry';
import { LedgerReads } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { declareAndApprove, dividendServices, fundProject, staffUser } from '../factories/dividends.factory';
import { balance, deposit, key, lishuSeries, refusal, seedParties, seedTicketWorld, TicketServices, ticketServices, TicketWorld, unitsOf } from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

/**
 * The 林票 market (挂牌/摘牌) on PostgreSQL: listings reserve units in the holder's listed account; takes
 * settle delivery versus payment in one entry (fee included), partial fills, concurrent takers of the
 * last units, withdrawal and expiry returning units, the restriction, pledged units and the closed register.
 */
const db = useTestDatabase();
let t: TicketServices;
let market: TicketMarketService;
let world: TicketWorld;

const OPEN = 'MK-OPEN';
const MEMBERS = 'MK-MEMBERS';
const NONE = 'MK-NONE';
const BUYERS = ['I-01', 'I-02', 'I-03', 'I-04', 'I-05'];
const v = (n: number): string => `V-${String(n).padStart(4, '0')}`;
const today = businessToday();
const inDays = (days: number): string => new Date(Date.parse(`${today}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  market = new TicketMarketService(db.dataSource, t.ledger, new LedgerReads(), t.series);
  world = await seedTicketWorld(t, { villagers: 10, households: 4, parcels: 9 });
  await seedParties(
    t,
    BUYERS.map((code, i) => ({ code, kind: 'INDIVIDUAL_BUYER' as const, name: `买家${i + 1}` })),
  );
  for (const b of [...BUYERS, world.outsider, v(2)]) await deposit(t, b, '1000000.00');
  await lishuSeries(t, world, OPEN, { restriction: 'OPEN' });
  await lishuSeries(t, world, MEMBERS, { restriction: 'COLLECTIVE_MEMBERS' });
  await lishuSeries(t, world, NONE, { restriction: 'NONE' });
});

const list = (series: string, input: Partial<TicketListingInput> & { seller: string; units: string }, k = key()) =>
  inTransaction(db.dataSource, (em) => market.createListing(em, series, { unitPrice: '1.25', expiresOn: inDays(30), ...input }, k));
const take = (listing: string, input: TicketTakeInput, k = key()) => inTransaction(db.dataSource, (em) => market.take(em, listing, input, k));
const withdraw = (listing: string, k = key()) => inTransaction(db.dataSource, (em) => market.withdraw(em, listing, k));

describe('listing (挂牌)', () => {
  it('moves the units into the listed account: they stay the holder’s in the register but cannot be traded, pledged or inherited', async () => {
    const free = BigInt(await unitsOf(t, v(1), OPEN));
    const k = key();
    const listing = await list(OPEN, { seller: v(1), units: '1000' }, k);
    expect(listing).toMatchObject({ series: OPEN, seller: v(1), unitPrice: '1.25', unitsListed: '1000', unitsAvailable: '1000', feeRate: '0', state: 'OPEN' });
    expect(await list(OPEN, { seller: v(1), units: '1000' }, k)).toEqual(listing); // a replay
    expect(await unitsOf(t, v(1), OPEN)).toBe(String(free - 1000n));
    expect(await balance(t, holderListed(v(1), OPEN))).toBe('1000');
    const register = await t.series.register(OPEN);
    expect(register.lines.find((l) => l.partyCode === v(1))!.units).toBe(String(free));

    const tooMany = await refusal(
      inTransaction(db.dataSource, (em) => t.movements.trade(em, OPEN, { seller: v(1), buyer: v(3), units: String(free - 999n), unitPrice: '1.00' }, key())),
    );
    expect(tooMany.code).toBe('INSUFFICIENT_UNITS');
    const pledge = await refusal(
      inTransaction(db.dataSource, (em) => t.movements.pledge(em, OPEN, { holder: v(1), pledgee: world.bank, units: String(free - 999n), contractReference: 'ZY-1' }, key())),
    );
    expect(pledge.code).toBe('INSUFFICIENT_UNITS');
    const inherit = await refusal(
      inTransaction(db.dataSource, (em) =>
        t.movements.inherit(em, OPEN, { from: v(1), heirs: [{ party: v(5), units: String(free - 1000n) }], documentReference: '公证书' }, key()),
      ),
    );
    expect(inherit).toMatchObject({ code: 'LISTED_UNITS_OUTSTANDING', details: { listedUnits: '1000' } });
    await withdraw(listing.id);
  });

  it('refuses pledged units (only free units can be listed), a non-transferable series, bad prices and dates', async () => {
    const free = BigInt(await unitsOf(t, v(4), OPEN));
    await inTransaction(db.dataSource, (em) => t.movements.pledge(em, OPEN, { holder: v(4), pledgee: world.bank, units: '100', contractReference: 'ZY-4' }, key()));
    const pledged = await refusal(list(OPEN, { seller: v(4), units: String(free) }));
    expect(pledged).toMatchObject({ code: 'INSUFFICIENT_UNITS', field: 'units', details: { party: v(4), availableUnits: String(free - 100n) } });
    expect(await unitsOf(t, v(4), OPEN)).toBe(String(free - 100n));
    expect((await refusal(list(NONE, { seller: v(4), units: '1' }))).code).toBe('TRANSFER_RESTRICTED');
    expect((await refusal(list(OPEN, { seller: v(4), units: '1', unitPrice: '1.234' }))).field).toBe('unitPrice');
    expect((await refusal(list(OPEN, { seller: v(4), units: '1', expiresOn: inDays(-1) }))).field).toBe('expiresOn');
    expect((await refusal(list(OPEN, { seller: v(4), units: '1', expiresOn: inDays(400) }))).field).toBe('expiresOn');
    expect((await refusal(list(OPEN, { seller: v(4), units: '1', feeRate: '1' }))).field).toBe('feeRate');
    expect((await refusal(list(OPEN, { seller: 'I-01', units: '1' }))).code).toBe('NOT_A_HOLDER');
  });
});

describe('take (摘牌)', () => {
  it('partial fills: delivery versus payment in one entry, the fee on top, SOLD_OUT at the last unit; the price history has no parties', async () => {
    const listing = await list(OPEN, { seller: v(2), units: '500', unitPrice: '1.33', feeRate: '0.01' });
    const walletBefore = await balance(t, walletOf(v(2)));
    const feesBefore = await balance(t, PLATFORM_FEES_ACCOUNT);
    const k = key();
    const first = await take(listing.id, { buyer: 'I-01', units: '301' }, k);
    expect(first.take).toMatchObject({ buyer: 'I-01', units: '301', unitPrice: '1.33', amount: '400.33', fee: '4.00', effectiveDate: today });
    expect(first.listing).toMatchObject({ unitsAvailable: '199', state: 'OPEN' });
    expect(await take(listing.id, { buyer: 'I-01', units: '301' }, k)).toEqual(first); // a replay
    const entry = await t.ledger.getEntry(first.take.entryId);
    expect(entry.kind).toBe('TICKET_MARKET_TRADE');
    expect(entry.postings.map((p) => [p.account, p.side, p.amount])).toEqual([
      [holderListed(v(2), OPEN), 'DEBIT', '301'],
      [holderTickets('I-01', OPEN), 'CREDIT', '301'],
      [walletOf('I-01'), 'DEBIT', '404.33'],
      [walletOf(v(2)), 'CREDIT', '400.33'],
      [PLATFORM_FEES_ACCOUNT, 'CREDIT', '4.00'],
    ]);
    const over = await refusal(take(listing.id, { buyer: 'I-02', units: '200' }));
    expect(over).toMatchObject({ code: 'INSUFFICIENT_UNITS', field: 'units', details: { availableUnits: '199' } });
    const last = await take(listing.id, { buyer: 'I-02', units: '199' });
    expect(last.listing).toMatchObject({ unitsAvailable: '0', state: 'SOLD_OUT' });
    expect((await refusal(take(listing.id, { buyer: 'I-03', units: '1' }))).code).toBe('LISTING_NOT_OPEN');
    expect(await balance(t, holderListed(v(2), OPEN))).toBe('0');
    expect(await unitsOf(t, 'I-02', OPEN)).toBe('199');
    expect(BigInt(Math.round(Number(await balance(t, walletOf(v(2)))) * 100)) - BigInt(Math.round(Number(walletBefore) * 100))).toBe(66500n); // 400.33 + 264.67
    expect(Number(await balance(t, PLATFORM_FEES_ACCOUNT)) - Number(feesBefore)).toBeCloseTo(6.65, 2);

    const history = await market.priceHistory(OPEN);
    expect(history.lastPrice).toEqual({ date: today, unitPrice: '1.33' });
    expect(history.trades.slice(-2)).toEqual([
      { date: today, units: '301', unitPrice: '1.33' },
      { date: today, units: '199', unitPrice: '1.33' },
    ]);
    expect(JSON.stringify(history)).not.toMatch(/V-0002|I-0[12]/);
    const csv = await market.priceHistoryCsv(OPEN);
    expect(csv.split('\r\n')[0]).toContain('date');
    expect(csv).toContain(`${today},199,1.33\r\n`);

    const valued = await market.valueAtLastPrice(await t.series.register(OPEN));
    expect(valued.lastPrice).toEqual({ date: today, unitPrice: '1.33' });
    expect(valued.lines.find((l) => l.partyCode === 'I-02')!.indicativeValue).toBe('264.67');
  });

  it('concurrent takers of the last units: never more than listed', async () => {
    const listing = await list(OPEN, { seller: v(3), units: '10', unitPrice: '2.00' });
    const results = await Promise.allSettled(BUYERS.map((b) => take(listing.id, { buyer: b, units: '3' })));
    const ok = results.filter((r) => r.status === 'fulfilled');
    expect(ok).toHaveLength(3);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as { code: string }).code).toBe('INSUFFICIENT_UNITS');
    const final = await market.getListing(listing.id);
    expect(final).toMatchObject({ unitsAvailable: '1', state: 'OPEN' });
    expect(final.takes.reduce((s, x) => s + Number(x.units), 0)).toBe(9);
    expect(await balance(t, holderListed(v(3), OPEN))).toBe('1');
    await withdraw(listing.id);
  });

  it('the transfer restriction applies to the buyer; the seller cannot take its own listing', async () => {
    const listing = await list(MEMBERS, { seller: v(5), units: '50' });
    const outsider = await refusal(take(listing.id, { buyer: world.outsider, units: '10' }));
    expect(outsider).toMatchObject({ code: 'TRANSFER_RESTRICTED', field: 'buyer', details: { restriction: 'COLLECTIVE_MEMBERS' } });
    expect((await refusal(take(listing.id, { buyer: v(5), units: '1' }))).code).toBe('SAME_PARTY');
    const member = await take(listing.id, { buyer: v(2), units: '10' });
    expect(member.take.units).toBe('10');
    expect((await refusal(take(listing.id, { buyer: 'I-05', units: '1' }))).code).toBe('TRANSFER_RESTRICTED');
  });

  it('a buyer who cannot pay is refused, nothing moves', async () => {
    const listing = await list(OPEN, { seller: v(6), units: '10', unitPrice: '5000.00' });
    const poor = await refusal(take(listing.id, { buyer: v(7), units: '1' }));
    expect(poor).toMatchObject({ code: 'INSUFFICIENT_FUNDS', field: 'buyer' });
    expect((await market.getListing(listing.id)).unitsAvailable).toBe('10');
  });

  it('REGISTER_CLOSED: no take dated on or before the record date of an approved dividend', async () => {
    const d = dividendServices(t);
    const maker = await staffUser(t, 'ADMIN');
    const checker = await staffUser(t, 'APPROVER');
    const listing = await list(OPEN, { seller: v(8), units: '20' });
    await fundProject(t, d, OPEN, '1000.00', today);
    const declaration = await declareAndApprove(t, d, maker, checker, { project: OPEN, amount: '100.00', recordDate: today, paymentDate: inDays(10) });
    const closed = await refusal(take(listing.id, { buyer: 'I-04', units: '5' }));
    expect(closed).toMatchObject({ code: 'REGISTER_CLOSED', field: 'effectiveDate', details: { declarationId: declaration.id, recordDate: today } });
    expect((await market.getListing(listing.id)).unitsAvailable).toBe('20');
    // Withdrawing changes no owner and no register column: allowed while the register is closed.
    expect((await withdraw(listing.id)).state).toBe('WITHDRAWN');
    await inTransaction(db.dataSource, (em) => d.dividends.cancel(em, declaration.id, checker));
  });
});

describe('withdrawal and expiry', () => {
  it('withdrawal returns the unsold units; a replay answers the same, another key is LISTING_NOT_OPEN', async () => {
    const before = await unitsOf(t, v(9), OPEN);
    const listing = await list(OPEN, { seller: v(9), units: '40' });
    await take(listing.id, { buyer: 'I-03', units: '15' });
    const k = key();
    const withdrawn = await withdraw(listing.id, k);
    expect(withdrawn).toMatchObject({ state: 'WITHDRAWN', unitsListed: '40', unitsAvailable: '0' });
    expect(await withdraw(listing.id, k)).toEqual(withdrawn);
    expect((await refusal(withdraw(listing.id))).code).toBe('LISTING_NOT_OPEN');
    expect(await unitsOf(t, v(9), OPEN)).toBe(String(BigInt(before) - 15n));
    expect(await balance(t, holderListed(v(9), OPEN))).toBe('0');
  });

  it('expiry: a listing past its last day cannot be taken and the daily run returns its units, once', async () => {
    const before = await unitsOf(t, v(10), OPEN);
    const listing = await list(OPEN, { seller: v(10), units: '70', expiresOn: today });
    await take(listing.id, { buyer: 'I-05', units: '20' });
    expect((await market.expireDue(today)).expired).not.toContain(listing.id); // its last day is today
    const tomorrow = inDays(1);
    // Seen from tomorrow: due.
    const run = await market.expireDue(tomorrow);
    expect(run.expired).toContain(listing.id);
    expect(await market.getListing(listing.id)).toMatchObject({ state: 'EXPIRED', unitsAvailable: '0' });
    expect((await market.expireDue(tomorrow)).expired).not.toContain(listing.id);
    expect(await unitsOf(t, v(10), OPEN)).toBe(String(BigInt(before) - 20n));
    expect(await balance(t, holderListed(v(10), OPEN))).toBe('0');
    expect((await refusal(take(listing.id, { buyer: 'I-05', units: '1' }))).code).toBe('LISTING_NOT_OPEN');
  });

  it('scopes: a holder sees its own listings only; a buyer the market', async () => {
    const own = await market.listings({ series: OPEN }, { ownerRefs: [`party:${v(9)}`] });
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((l) => l.seller === v(9))).toBe(true);
    const everyone = await market.listings({ series: OPEN });
    expect(new Set(everyone.map((l) => l.seller)).size).toBeGreaterThan(1);
    const anonymous = await market.listings({ series: OPEN }, { market: true, ownerRefs: ['party:I-05'] });
    expect(anonymous.map((l) => l.id)).toEqual(everyone.map((l) => l.id));
    expect(new Set(anonymous.map((l) => l.seller))).toEqual(new Set(['']));
    const foreign = everyone.find((l) => l.seller !== v(9))!;
    expect((await refusal(market.getListing(foreign.id, { ownerRefs: [`party:${v(9)}`] }))).code).toBe('UNKNOWN_LISTING');
  });
});
