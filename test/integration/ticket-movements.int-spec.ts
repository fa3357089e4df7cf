import {
  BuyBackInput,
  EnforceInput,
  holderPledged,
  holderTickets,
  InheritanceInput,
  MovementOutcome,
  PLATFORM_FEES_ACCOUNT,
  PledgeInput,
  seriesIssued,
  TradeInput,
  walletOf,
} from '@forest-ledger/forestry';
import { LedgerError } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import {
  balance,
  certificateSeqs,
  deactivate,
  deposit,
  footprint,
  key,
  lishuSeries,
  oneTo,
  pledgedOf,
  refusal,
  seedParties,
  seedTicketWorld,
  TicketServices,
  ticketServices,
  TicketWorld,
  unitsOf,
} from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

/**
 * Movements of 林票 on PostgreSQL: trades (delivery versus payment), transfer restrictions, concurrent
 * sales, pledges, inheritance, buy-back and idempotent replays. Three series of the 梨树村 case (every
 * villager holds 6,300 units): OPEN with a guaranteed buy-back price and a farm holding, COLLECTIVE_MEMBERS
 * and NONE without.
 */
const db = useTestDatabase();
let t: TicketServices;
let world: TicketWorld;
let neighbour: TicketWorld;

const OPEN = 'MV-OPEN';
const MEMBERS = 'MV-MEMBERS';
const NONE = 'MV-NONE';
const BUYERS = Array.from({ length: 12 }, (_, i) => `I-${String(i + 1).padStart(2, '0')}`);
const DATE = '2026-06-01';

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  world = await seedTicketWorld(t, { villagers: 100, households: 40, parcels: 9 });
  neighbour = await seedTicketWorld(t, { collective: 'C-XDG', prefix: 'X-', villagers: 2, households: 1, parcels: 0 });
  await seedParties(t, [
    ...BUYERS.map((code, i) => ({ code, kind: 'INDIVIDUAL_BUYER' as const, name: `外村买家${i + 1}` })),
    { code: 'K-BANK-2', kind: 'BANK', name: '邮储银行阳城支行' },
  ]);
  await lishuSeries(t, world, OPEN, { farmCash: '300000.00', restriction: 'OPEN', guarantee: { buyBackPrice: '1.10', description: '林场按 1.10 元/份兜底回购' } });
  await lishuSeries(t, world, MEMBERS, { restriction: 'COLLECTIVE_MEMBERS' });
  await lishuSeries(t, world, NONE, { restriction: 'NONE' });
});

const v = (n: number): string => `V-${String(n).padStart(4, '0')}`;

function trade(series: string, input: Partial<TradeInput> & { seller: string; buyer: string; units: string }, k: string = key()): Promise<MovementOutcome> {
  return inTransaction(db.dataSource, (em) => t.movements.trade(em, series, { unitPrice: '1.00', effectiveDate: DATE, ...input }, k));
}
function pledge(series: string, input: Partial<PledgeInput> & { holder: string; units: string }, k: string = key()): Promise<MovementOutcome> {
  return inTransaction(db.dataSource, (em) =>
    t.movements.pledge(em, series, { pledgee: world.bank, contractReference: `质押合同-${input.holder}`, effectiveDate: DATE, ...input }, k),
  );
}
function release(pledgeId: string, k: string = key()): Promise<MovementOutcome> {
  return inTransaction(db.dataSource, (em) => t.movements.releasePledge(em, pledgeId, { documentReference: '解押通知书', effectiveDate: DATE }, k));
}
function enforce(pledgeId: string, input: EnforceInput = {}, k: string = key()): Promise<MovementOutcome> {
  return inTransaction(db.dataSource, (em) => t.movements.enforcePledge(em, pledgeId, { documentReference: '执行裁定书', effectiveDate: DATE, ...input }, k));
}
function inherit(series: string, input: Omit<InheritanceInput, 'documentReference'>, k: string = key()): Promise<MovementOutcome> {
  return inTransaction(db.dataSource, (em) => t.movements.inherit(em, series, { documentReference: '(2026)晋阳证字第88号', effectiveDate: DATE, ...input }, k));
}
function buyBack(series: string, input: Omit<BuyBackInput, 'effectiveDate'>, k: string = key()): Promise<MovementOutcome> {
  return inTransaction(db.dataSource, (em) => t.movements.buyBack(em, series, { effectiveDate: DATE, ...input }, k));
}

async function movementsOf(entryId: string): Promise<Array<Record<string, unknown>>> {
  return db.dataSource.query<Array<Record<string, unknown>>>(
    `SELECT m.kind, f.code AS "from", tp.code AS "to", m.units::text AS units, m.unit_price::text AS "unitPrice", m.amount::text AS amount, m.fee::text AS fee,
            m.document_reference AS "documentReference", to_char(m.effective_date, 'YYYY-MM-DD') AS "effectiveDate"
       FROM ticket_movements m LEFT JOIN parties f ON f.id = m.from_party_id JOIN parties tp ON tp.id = m.to_party_id WHERE m.entry_id = $1 ORDER BY m.id`,
    [entryId],
  );
}

async function holdingOf(series: string, party: string): Promise<{ seq: number; certificateNo: string; origin: string } | undefined> {
  const [row] = await db.dataSource.query<Array<{ seq: number; certificateNo: string; origin: string }>>(
    `SELECT h.seq, h.certificate_no AS "certificateNo", h.origin FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id JOIN parties p ON p.id = h.party_id WHERE s.code = $1 AND p.code = $2`,
    [series, party],
  );
  return row;
}

describe('trade: delivery versus payment in one entry', () => {
  it('moves units and money together; the buyer pays the fee on top; a new holder gets the next certificate number', async () => {
    await deposit(t, world.outsider, '5000.00');
    const before = await footprint(t, OPEN);
    expect(before.lastSeq).toBe(102);

    const outcome = await trade(OPEN, { seller: v(1), buyer: world.outsider, units: '1000', unitPrice: '1.20', fee: '5.00', contractReference: '林交所成交 2026-0001' });
    expect(outcome).toMatchObject({ series: OPEN, kind: 'TRADE', amount: '1200.00', fee: '5.00' });
    expect(outcome.positions).toEqual([
      { party: v(1), certificateNo: 'MV-OPEN-000003', units: '5300', pledgedUnits: '0', walletBalance: '1200.00' },
      { party: world.outsider, certificateNo: 'MV-OPEN-000103', units: '1000', pledgedUnits: '0', walletBalance: '3795.00' },
    ]);
    expect(await balance(t, PLATFORM_FEES_ACCOUNT)).toBe('5');
    const entry = await t.ledger.getEntry(outcome.entryId);
    expect(entry.kind).toBe('TICKET_TRADE');
    expect(entry.postings.map((p) => [p.account, p.side, p.amount])).toEqual([
      [holderTickets(v(1), OPEN), 'DEBIT', '1000'],
      [holderTickets(world.outsider, OPEN), 'CREDIT', '1000'],
      [walletOf(world.outsider), 'DEBIT', '1205.00'],
      [walletOf(v(1)), 'CREDIT', '1200.00'],
      [PLATFORM_FEES_ACCOUNT, 'CREDIT', '5.00'],
    ]);
    expect(await movementsOf(outcome.entryId)).toEqual([
      {
        kind: 'TRADE',
        from: v(1),
        to: world.outsider,
        units: '1000',
        unitPrice: '1.20',
        amount: '1200.00',
        fee: '5.00',
        documentReference: '林交所成交 2026-0001',
        effectiveDate: DATE,
      },
    ]);
    expect(await holdingOf(OPEN, world.outsider)).toEqual({ seq: 103, certificateNo: 'MV-OPEN-000103', origin: 'ACQUIRED' });
  });

  it('refuses a buyer without enough money (INSUFFICIENT_FUNDS): no units move, no movement, no holding, no certificate number used', async () => {
    const [poor, rich] = [BUYERS[10], BUYERS[11]];
    await deposit(t, poor, '999.99');
    const before = await footprint(t, OPEN);

    const error = await refusal(trade(OPEN, { seller: v(2), buyer: poor, units: '1000' }));
    expect(error).toBeInstanceOf(LedgerError);
    expect(error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', field: 'buyer', details: { account: walletOf(poor) } });
    expect(await footprint(t, OPEN)).toEqual(before);
    expect(await unitsOf(t, v(2), OPEN)).toBe('6300');
    expect(await balance(t, walletOf(poor))).toBe('999.99');
    expect(await balance(t, walletOf(v(2)))).toBe('0');
    expect(await holdingOf(OPEN, poor)).toBeUndefined();

    // The sequence did not advance: the next new holder gets the next number.
    await deposit(t, rich, '1000.00');
    const outcome = await trade(OPEN, { seller: v(2), buyer: rich, units: '1000' });
    expect(outcome.positions[1]).toMatchObject({ party: rich, certificateNo: `MV-OPEN-${String(before.lastSeq + 1).padStart(6, '0')}`, units: '1000', walletBalance: '0.00' });
    expect(await certificateSeqs(t, OPEN)).toEqual(oneTo(before.lastSeq + 1));
  });

  it('refuses the same party, a seller who holds nothing, units beyond the free ones, and dates outside issue date..today', async () => {
    const before = await footprint(t, OPEN);
    expect(await refusal(trade(OPEN, { seller: v(3), buyer: v(3), units: '1' }))).toMatchObject({ code: 'SAME_PARTY' });
    expect(await refusal(trade(OPEN, { seller: BUYERS[0], buyer: v(3), units: '1' }))).toMatchObject({ code: 'NOT_A_HOLDER', field: 'seller' });
    expect(await refusal(trade(OPEN, { seller: v(3), buyer: v(4), units: '6301' }))).toMatchObject({
      code: 'INSUFFICIENT_UNITS',
      details: { party: v(3), availableUnits: '6300' },
    });
    expect(await refusal(trade(OPEN, { seller: v(3), buyer: v(4), units: '1.5' }))).toMatchObject({ code: 'INVALID_AMOUNT' });
    expect(await refusal(trade(OPEN, { seller: v(3), buyer: v(4), units: '1', effectiveDate: '2025-02-28' }))).toMatchObject({ code: 'EFFECTIVE_DATE_OUT_OF_RANGE' });
    expect(await refusal(trade(OPEN, { seller: v(3), buyer: v(4), units: '1', effectiveDate: '2099-01-01' }))).toMatchObject({ code: 'EFFECTIVE_DATE_OUT_OF_RANGE' });
    expect(await refusal(trade(OPEN, { seller: v(3), buyer: 'NOBODY', units: '1' }))).toMatchObject({ code: 'UNKNOWN_PARTY', field: 'buyer' });
    expect(await footprint(t, OPEN)).toEqual(before);
  });

  it('refuses to move frozen units (ACCOUNT_FROZEN) until the account is unfrozen', async () => {
    const seller = v(5);
    await inTransaction(db.dataSource, (em) => t.ledger.setFrozen(em, holderTickets(seller, OPEN), true));
    await deposit(t, v(6), '10.00');
    const before = await footprint(t, OPEN);
    expect(await refusal(trade(OPEN, { seller, buyer: v(6), units: '10' }))).toMatchObject({ code: 'ACCOUNT_FROZEN' });
    expect(await refusal(pledge(OPEN, { holder: seller, units: '10' }))).toMatchObject({ code: 'ACCOUNT_FROZEN' });
    expect(await footprint(t, OPEN)).toEqual(before);
    expect(await unitsOf(t, seller, OPEN)).toBe('6300');

    await inTransaction(db.dataSource, (em) => t.ledger.setFrozen(em, holderTickets(seller, OPEN), false));
    expect((await trade(OPEN, { seller, buyer: v(6), units: '10' })).positions[0]).toMatchObject({ party: seller, units: '6290' });
  });
});

describe('transfer restrictions', () => {
  it('COLLECTIVE_MEMBERS: an outsider and a member of another collective are refused; a member and the collective may buy', async () => {
    await deposit(t, world.outsider, '1000.00');
    await deposit(t, neighbour.villagers[0], '1000.00');
    const before = await footprint(t, MEMBERS);
    const outsider = await refusal(trade(MEMBERS, { seller: v(1), buyer: world.outsider, units: '100' }));
    expect(outsider).toMatchObject({ code: 'TRANSFER_RESTRICTED', field: 'buyer', details: { restriction: 'COLLECTIVE_MEMBERS', collective: world.collective } });
    expect(outsider.message).toContain('梨树村股份经济合作社');
    expect(await refusal(trade(MEMBERS, { seller: v(1), buyer: neighbour.villagers[0], units: '100' }))).toMatchObject({ code: 'TRANSFER_RESTRICTED' });
    expect(await refusal(trade(MEMBERS, { seller: v(1), buyer: world.farm, units: '100' }))).toMatchObject({ code: 'TRANSFER_RESTRICTED' });
    expect(await footprint(t, MEMBERS)).toEqual(before);

    await deposit(t, v(2), '100.00');
    await expect(trade(MEMBERS, { seller: v(1), buyer: v(2), units: '100' })).resolves.toMatchObject({
      positions: [
        { party: v(1), units: '6200' },
        { party: v(2), units: '6400' },
      ],
    });
    await deposit(t, world.collective, '100.00');
    await expect(trade(MEMBERS, { seller: v(1), buyer: world.collective, units: '100' })).resolves.toMatchObject({
      positions: [
        { party: v(1), units: '6100' },
        { party: world.collective, units: '270100' },
      ],
    });
  });

  it('NONE: trades (even to a member) and pledges are refused; inheritance and buy-back are exempt', async () => {
    await deposit(t, v(2), '100.00');
    const before = await footprint(t, NONE);
    expect(await refusal(trade(NONE, { seller: v(1), buyer: v(2), units: '100' }))).toMatchObject({ code: 'TRANSFER_RESTRICTED', details: { restriction: 'NONE' } });
    expect(await refusal(pledge(NONE, { holder: v(1), units: '100' }))).toMatchObject({ code: 'TRANSFER_RESTRICTED' });
    expect(await footprint(t, NONE)).toEqual(before);

    // Inheritance, also to an heir outside the village.
    await expect(
      inherit(NONE, {
        from: v(5),
        heirs: [
          { party: v(6), units: '6000' },
          { party: BUYERS[9], units: '300' },
        ],
      }),
    ).resolves.toMatchObject({
      kind: 'INHERITANCE',
      positions: [
        { party: v(5), units: '0' },
        { party: v(6), units: '12300' },
        { party: BUYERS[9], units: '300' },
      ],
    });
    // Buy-back by the farm (not a member) at an agreed price.
    await deposit(t, world.farm, '100.00');
    await expect(buyBack(NONE, { holder: v(7), units: '100', unitPrice: '1.00' })).resolves.toMatchObject({ kind: 'BUY_BACK', amount: '100.00' });
    expect(await unitsOf(t, world.farm, NONE)).toBe('100');
  });
});

describe('concurrent sales of the same units', () => {
  it('10 concurrent trades of 1,000 of a holder’s 6,300 units: 6 succeed, 4 fail, the seller keeps 300, the buyers’ certificates are gapless', async () => {
    const seller = v(10);
    const buyers = BUYERS.slice(0, 10);
    for (const b of buyers) await deposit(t, b, '1000.00');
    const before = await footprint(t, OPEN);

    const results = await Promise.allSettled(buyers.map((buyer) => trade(OPEN, { seller, buyer, units: '1000', unitPrice: '1.00' })));
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [buyers[i]] : []));
    const lost = results.flatMap((r, i) => (r.status === 'rejected' ? [{ buyer: buyers[i], reason: r.reason as unknown }] : []));
    expect(won).toHaveLength(6);
    expect(lost).toHaveLength(4);
    for (const l of lost) expect(l.reason).toMatchObject({ code: 'INSUFFICIENT_UNITS', details: { party: seller } });

    expect(await unitsOf(t, seller, OPEN)).toBe('300');
    expect(await balance(t, walletOf(seller))).toBe('6000');
    const after = await footprint(t, OPEN);
    expect(after).toEqual({ ...before, entries: before.entries + 6, movements: before.movements + 6, holdings: before.holdings + 6, lastSeq: before.lastSeq + 6 });
    const seqs = (await Promise.all(won.map((b) => holdingOf(OPEN, b)))).map((h) => h!.seq).sort((a, b) => a - b);
    expect(seqs).toEqual(oneTo(6).map((i) => before.lastSeq + i));
    expect(await certificateSeqs(t, OPEN)).toEqual(oneTo(after.lastSeq));
    for (const l of lost) {
      expect(await holdingOf(OPEN, l.buyer)).toBeUndefined();
      expect(await balance(t, walletOf(l.buyer))).toBe('1000');
    }
  });
});

describe('pledge, release, enforcement', () => {
  it('refuses a pledgee that is not a bank (NOT_A_BANK) and more units than are free', async () => {
    const before = await footprint(t, OPEN);
    expect(await refusal(pledge(OPEN, { holder: v(20), units: '100', pledgee: world.outsider }))).toMatchObject({ code: 'NOT_A_BANK', field: 'pledgee' });
    expect(await refusal(pledge(OPEN, { holder: v(20), units: '100', pledgee: world.farm }))).toMatchObject({ code: 'NOT_A_BANK' });
    expect(await refusal(pledge(OPEN, { holder: v(20), units: '6301' }))).toMatchObject({ code: 'INSUFFICIENT_UNITS' });
    expect(await footprint(t, OPEN)).toEqual(before);
  });

  it('locks pledged units: they stay in the register and count for the holder, but cannot be traded; the free ones can', async () => {
    const pledged = await pledge(OPEN, { holder: v(20), units: '5000' });
    expect(pledged).toMatchObject({ kind: 'PLEDGE', positions: [{ party: v(20), units: '1300', pledgedUnits: '5000' }] });
    expect(pledged.pledgeId).toBeDefined();
    const [view] = await t.movements.pledges(db.dataSource.manager, OPEN, { holder: v(20) });
    expect(view).toMatchObject({
      id: pledged.pledgeId,
      holder: v(20),
      pledgee: world.bank,
      units: '5000',
      state: 'ACTIVE',
      contractReference: `质押合同-${v(20)}`,
      closingEntryId: null,
    });

    const line = (await t.series.register(OPEN)).lines.find((l) => l.partyCode === v(20));
    expect(line).toMatchObject({ units: '6300', pledgedUnits: '5000', certificateNo: 'MV-OPEN-000022' });
    expect(await t.certificates.get('MV-OPEN-000022', null)).toMatchObject({ units: '1300', pledgedUnits: '5000', faceAmount: '6300.00' });

    await deposit(t, v(21), '2000.00');
    const blocked = await refusal(trade(OPEN, { seller: v(20), buyer: v(21), units: '2000' }));
    expect(blocked).toMatchObject({ code: 'INSUFFICIENT_UNITS', details: { party: v(20), availableUnits: '1300' } });
    expect(blocked.message).toContain('1300 free units');
    await expect(trade(OPEN, { seller: v(20), buyer: v(21), units: '1300' })).resolves.toMatchObject({
      positions: [
        { party: v(20), units: '0', pledgedUnits: '5000' },
        { party: v(21), units: '7600' },
      ],
    });
    expect(await refusal(pledge(OPEN, { holder: v(20), units: '1' }))).toMatchObject({ code: 'INSUFFICIENT_UNITS' });
    expect(await refusal(inherit(OPEN, { from: v(20), heirs: [{ party: v(21), units: '1' }] }))).toMatchObject({
      code: 'PLEDGED_UNITS_OUTSTANDING',
      details: { pledgedUnits: '5000' },
    });
  });

  it('releases a pledge once (PLEDGE_NOT_ACTIVE the second time); the units are free again', async () => {
    const [{ id }] = await t.movements.pledges(db.dataSource.manager, OPEN, { holder: v(20), state: 'ACTIVE' });
    const released = await release(id);
    expect(released).toMatchObject({ kind: 'PLEDGE_RELEASE', pledgeId: id, positions: [{ party: v(20), units: '5000', pledgedUnits: '0' }] });
    const [view] = await t.movements.pledges(db.dataSource.manager, OPEN, { holder: v(20) });
    expect(view).toMatchObject({ state: 'RELEASED', closingEntryId: released.entryId });
    expect(view.closedAt).not.toBeNull();

    const before = await footprint(t, OPEN);
    const twice = await refusal(release(id));
    expect(twice).toMatchObject({ code: 'PLEDGE_NOT_ACTIVE', details: { state: 'RELEASED' } });
    expect(await refusal(enforce(id))).toMatchObject({ code: 'PLEDGE_NOT_ACTIVE' });
    expect(await refusal(release('999999'))).toMatchObject({ code: 'UNKNOWN_PLEDGE' });
    expect(await footprint(t, OPEN)).toEqual(before);
  });

  it('enforces a pledge to the bank on an OPEN series: the bank becomes a holder', async () => {
    const { pledgeId } = await pledge(OPEN, { holder: v(22), units: '3000' });
    const outcome = await enforce(pledgeId!);
    expect(outcome).toMatchObject({
      kind: 'PLEDGE_ENFORCEMENT',
      positions: [
        { party: v(22), units: '3300', pledgedUnits: '0' },
        { party: world.bank, units: '3000', pledgedUnits: '0' },
      ],
    });
    expect(await holdingOf(OPEN, world.bank)).toMatchObject({ origin: 'ACQUIRED' });
    expect(await movementsOf(outcome.entryId)).toEqual([
      { kind: 'PLEDGE_ENFORCEMENT', from: v(22), to: world.bank, units: '3000', unitPrice: null, amount: null, fee: null, documentReference: '执行裁定书', effectiveDate: DATE },
    ]);
    expect(await refusal(enforce(pledgeId!))).toMatchObject({ code: 'PLEDGE_NOT_ACTIVE', details: { state: 'ENFORCED' } });
  });

  it('enforces a pledge on a COLLECTIVE_MEMBERS series only to a member the bank names, not to the bank', async () => {
    const { pledgeId } = await pledge(MEMBERS, { holder: v(30), units: '2000', pledgee: 'K-BANK-2' });
    const before = await footprint(t, MEMBERS);
    expect(await refusal(enforce(pledgeId!))).toMatchObject({ code: 'TRANSFER_RESTRICTED', field: 'transferee' });
    expect(await refusal(enforce(pledgeId!, { transferee: world.outsider }))).toMatchObject({ code: 'TRANSFER_RESTRICTED' });
    expect(await refusal(enforce(pledgeId!, { transferee: v(30) }))).toMatchObject({ code: 'SAME_PARTY' });
    expect(await footprint(t, MEMBERS)).toEqual(before);

    const outcome = await enforce(pledgeId!, { transferee: v(31) });
    expect(outcome.positions).toEqual([
      { party: v(30), certificateNo: 'MV-MEMBERS-000031', units: '4300', pledgedUnits: '0' },
      { party: v(31), certificateNo: 'MV-MEMBERS-000032', units: '8300', pledgedUnits: '0' },
    ]);
    expect(await holdingOf(MEMBERS, 'K-BANK-2')).toBeUndefined();
  });
});

describe('inheritance', () => {
  it('splits a deceased (deactivated) holder’s units among the heirs, who must add up exactly (HEIRS_MISMATCH otherwise)', async () => {
    const deceased = v(40);
    await deactivate(t, deceased);
    const before = await footprint(t, OPEN);
    const mismatch = await refusal(
      inherit(OPEN, {
        from: deceased,
        heirs: [
          { party: v(41), units: '3000' },
          { party: v(42), units: '3000' },
        ],
      }),
    );
    expect(mismatch).toMatchObject({ code: 'HEIRS_MISMATCH', details: { heirsUnits: '6000', holderUnits: '6300' } });
    expect(await refusal(inherit(OPEN, { from: deceased, heirs: [{ party: v(41), units: '6301' }] }))).toMatchObject({ code: 'HEIRS_MISMATCH' });
    expect(await refusal(inherit(OPEN, { from: deceased, heirs: [{ party: deceased, units: '6300' }] }))).toMatchObject({ code: 'SAME_PARTY' });
    expect(await refusal(inherit(OPEN, { from: deceased, heirs: [] }))).toMatchObject({ code: 'INVALID_TICKET_INPUT' });
    expect(await footprint(t, OPEN)).toEqual(before);

    const outcome = await inherit(OPEN, {
      from: deceased,
      heirs: [
        { party: v(41), units: '3000' },
        { party: v(42), units: '3300' },
      ],
    });
    expect(outcome.positions).toEqual([
      { party: deceased, certificateNo: 'MV-OPEN-000042', units: '0', pledgedUnits: '0' },
      { party: v(41), certificateNo: 'MV-OPEN-000043', units: '9300', pledgedUnits: '0' },
      { party: v(42), certificateNo: 'MV-OPEN-000044', units: '9600', pledgedUnits: '0' },
    ]);
    expect((await movementsOf(outcome.entryId)).map((m) => [m.kind, m.from, m.to, m.units, m.documentReference])).toEqual([
      ['INHERITANCE', deceased, v(41), '3000', '(2026)晋阳证字第88号'],
      ['INHERITANCE', deceased, v(42), '3300', '(2026)晋阳证字第88号'],
    ]);
    expect((await t.series.register(OPEN)).lines.some((l) => l.partyCode === deceased)).toBe(false);
    // A deactivated party cannot be an heir, nor trade.
    expect(await refusal(inherit(OPEN, { from: v(41), heirs: [{ party: deceased, units: '9300' }] }))).toMatchObject({ code: 'PARTY_INACTIVE' });
  });
});

describe('buy-back by the issuing farm', () => {
  it('is refused while the farm’s wallet cannot pay (INSUFFICIENT_FUNDS), and nothing moves', async () => {
    expect(await balance(t, walletOf(world.farm))).toBe('0');
    const before = await footprint(t, OPEN);
    const error = await refusal(buyBack(OPEN, { holder: v(50), units: '1000' }));
    expect(error).toMatchObject({ code: 'INSUFFICIENT_FUNDS', field: 'units', details: { account: walletOf(world.farm) } });
    expect(await footprint(t, OPEN)).toEqual(before);
    expect(await unitsOf(t, v(50), OPEN)).toBe('6300');
    expect(await unitsOf(t, world.farm, OPEN)).toBe('300000');
  });

  it('pays the guaranteed price by default, or the agreed one; the units go to the farm’s holding', async () => {
    await deposit(t, world.farm, '10000.00');
    const guaranteed = await buyBack(OPEN, { holder: v(50), units: '1000', documentReference: '回购协议 2026-01' });
    expect(guaranteed).toMatchObject({ kind: 'BUY_BACK', amount: '1100.00' });
    expect(guaranteed.positions).toEqual([
      { party: v(50), certificateNo: 'MV-OPEN-000052', units: '5300', pledgedUnits: '0', walletBalance: '1100.00' },
      { party: world.farm, certificateNo: 'MV-OPEN-000001', units: '301000', pledgedUnits: '0', walletBalance: '8900.00' },
    ]);
    expect(await movementsOf(guaranteed.entryId)).toEqual([
      { kind: 'BUY_BACK', from: v(50), to: world.farm, units: '1000', unitPrice: '1.10', amount: '1100.00', fee: null, documentReference: '回购协议 2026-01', effectiveDate: DATE },
    ]);

    const agreed = await buyBack(OPEN, { holder: v(50), units: '333', unitPrice: '0.95' });
    expect(agreed).toMatchObject({
      amount: '316.35',
      positions: [
        { party: v(50), units: '4967', walletBalance: '1416.35' },
        { party: world.farm, units: '301333', walletBalance: '8583.65' },
      ],
    });
    expect(await refusal(buyBack(OPEN, { holder: world.farm, units: '1' }))).toMatchObject({ code: 'SAME_PARTY' });
  });

  it('needs a price when the project guarantees none (NO_GUARANTEED_PRICE); a farm without a holding gets a new certificate', async () => {
    const before = await footprint(t, MEMBERS);
    const error = await refusal(buyBack(MEMBERS, { holder: v(51), units: '100' }));
    expect(error).toMatchObject({ code: 'NO_GUARANTEED_PRICE', field: 'unitPrice' });
    expect(await footprint(t, MEMBERS)).toEqual(before);

    const outcome = await buyBack(MEMBERS, { holder: v(51), units: '100', unitPrice: '1.00' });
    expect(outcome.positions[1]).toMatchObject({ party: world.farm, certificateNo: `MV-MEMBERS-${String(before.lastSeq + 1).padStart(6, '0')}`, units: '100' });
    expect(await holdingOf(MEMBERS, world.farm)).toMatchObject({ origin: 'ACQUIRED' });
  });
});

describe('idempotency: the same key returns the same entry and changes nothing', () => {
  async function expectReplay(series: string, run: (k: string) => Promise<MovementOutcome>, parties: string[]): Promise<MovementOutcome> {
    const k = key();
    const first = await run(k);
    const state = async () => ({
      footprint: await footprint(t, series),
      units: await Promise.all(parties.map((p) => unitsOf(t, p, series))),
      pledged: await Promise.all(parties.map((p) => pledgedOf(t, p, series))),
      wallets: await Promise.all(parties.map((p) => balance(t, walletOf(p)))),
    });
    const before = await state();
    const second = await run(k);
    expect(second.entryId).toBe(first.entryId);
    expect(second.movementIds).toEqual(first.movementIds);
    expect(second.positions).toEqual(first.positions);
    expect(await state()).toEqual(before);
    return first;
  }

  it('trade', async () => {
    await deposit(t, v(61), '501.00');
    await expectReplay(OPEN, (k) => trade(OPEN, { seller: v(60), buyer: v(61), units: '500', fee: '1.00' }, k), [v(60), v(61)]);
  });

  it('pledge, release and enforcement', async () => {
    const pledged = await expectReplay(OPEN, (k) => pledge(OPEN, { holder: v(62), units: '600' }, k), [v(62)]);
    expect(await t.movements.pledges(db.dataSource.manager, OPEN, { holder: v(62) })).toHaveLength(1);
    await expectReplay(OPEN, (k) => release(pledged.pledgeId!, k), [v(62)]);
    const again = await pledge(OPEN, { holder: v(62), units: '700' });
    await expectReplay(OPEN, (k) => enforce(again.pledgeId!, {}, k), [v(62), world.bank]);
  });

  it('concurrent repeats of one trade (a client retrying) book it once', async () => {
    await deposit(t, v(67), '300.00');
    const k = key();
    const before = await footprint(t, OPEN);
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => trade(OPEN, { seller: v(66), buyer: v(67), units: '300' }, k)));
    expect(new Set(outcomes.map((o) => o.entryId)).size).toBe(1);
    expect(await footprint(t, OPEN)).toEqual({ ...before, entries: before.entries + 1, movements: before.movements + 1 });
    expect([await unitsOf(t, v(66), OPEN), await unitsOf(t, v(67), OPEN), await balance(t, walletOf(v(67)))]).toEqual(['6000', '6600', '0']);
  });

  it('inheritance and buy-back', async () => {
    await expectReplay(OPEN, (k) => inherit(OPEN, { from: v(63), heirs: [{ party: v(64), units: '6300' }] }, k), [v(63), v(64)]);
    await expectReplay(OPEN, (k) => buyBack(OPEN, { holder: v(65), units: '10' }, k), [v(65), world.farm]);
  });
});

describe('the series stays whole', () => {
  it('sum of every holder’s free and pledged units = the series issued account, for each series', async () => {
    await pledge(OPEN, { holder: v(70), units: '1234' });
    for (const series of [OPEN, MEMBERS, NONE]) {
      const [row] = await db.dataSource.query<Array<{ free: string; pledged: string }>>(
        `SELECT COALESCE(SUM(credits - debits) FILTER (WHERE code LIKE 'holder:%:tickets:' || $1), 0)::text AS free,
                COALESCE(SUM(credits - debits) FILTER (WHERE code LIKE 'holder:%:tickets:' || $1 || ':pledged'), 0)::text AS pledged
           FROM ledger_accounts WHERE asset_code = 'LP.' || $1`,
        [series],
      );
      const issued = await balance(t, seriesIssued(series));
      expect({ series, holders: String(BigInt(row.free) + BigInt(row.pledged)) }).toEqual({ series, holders: issued });
      const register = await t.series.register(series);
      expect(register.totalUnits).toBe(issued);
    }
    expect(await pledgedOf(t, v(70), OPEN)).toBe('1234');
    expect(await balance(t, holderPledged(v(70), OPEN))).toBe('1234');
  });
});
