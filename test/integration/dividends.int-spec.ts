import { Actor, BANK_CLEARING_ACCOUNT, DividendError, holderTickets, projectDividendReserve, projectWallet, walletOf } from '@forest-ledger/forestry';
import { ChainVerifier, Dec, LedgerError } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { declareAndApprove, DividendServices, dividendServices, fundProject, paidByDeclaration, staffUser } from '../factories/dividends.factory';
import { balance, deposit, footprint, key, lishuSeries, refusal, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { EntityManager } from 'typeorm';
import { useTestDatabase } from '../setup/test-database';

/**
 * Dividends on PostgreSQL: income and costs, the distributable amount, declaration and maker-checker
 * approval, the reserve, record-date entitlements and the register closed at them, staleness of
 * declarations approved before that rule, the chunked distribution (exactly once, resumable).
 * Ledger invariants are checked after the file (test-database).
 */
const db = useTestDatabase();
let t: TicketServices;
let d: DividendServices;
let world: TicketWorld;
let trio: TicketWorld;
let thousand: TicketWorld;
let maker: Actor;
let checker: Actor;

const RECORD = '2026-06-30';
const PAYMENT = '2026-07-15';

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  d = dividendServices(t);
  world = await seedTicketWorld(t, { villagers: 10, households: 4, parcels: 30 });
  trio = await seedTicketWorld(t, { collective: 'C-TRIO', prefix: 'T-', villagers: 3, households: 1, parcels: 3 });
  thousand = await seedTicketWorld(t, { collective: 'C-KILO', prefix: 'M-', villagers: 1000, households: 100, parcels: 3 });
  maker = await staffUser(t, 'FARM_OPERATOR');
  checker = await staffUser(t, 'APPROVER');
});

const v = (n: number): string => `V-${String(n).padStart(4, '0')}`;

/** A 梨树村 series in `w` with every unit to the members (no collective share), funded with `funds` CNY. */
async function project(code: string, w: TicketWorld, funds: string, options: { retained?: string } = {}): Promise<void> {
  await lishuSeries(t, w, code, { collectiveRetainedRatio: options.retained ?? '0', collectiveInKind: '900000.00' });
  await fundProject(t, d, code, funds);
}

async function linesOf(id: string): Promise<Array<{ party: string; units: string; amount: string; seq: number }>> {
  return (await d.dividends.lines(id, { limit: 10_000 })).map((l) => ({ party: l.party, units: l.units, amount: l.amount, seq: l.seq }));
}

/** A trade at 0.01 CNY per unit, the buyer's money deposited first. */
async function trade(series: string, seller: string, buyer: string, units: string, effectiveDate: string) {
  await deposit(t, buyer, new Dec(units).times('0.01').toFixed(2));
  return inTransaction(db.dataSource, (em) => t.movements.trade(em, series, { seller, buyer, units, unitPrice: '0.01', effectiveDate }, key()));
}

describe('income and costs of a project', () => {
  const P = 'DV-FLOWS';
  beforeAll(async () => {
    await lishuSeries(t, world, P, { guarantee: { yieldPerMu: '13', referencePrice: '600.00', description: '保底 13 m³/亩' }, areaMu: '100.0000' });
  });

  it('income, a cost and the management fee are one entry each on the project wallet', async () => {
    const income = await inTransaction(db.dataSource, (em) =>
      d.dividends.recordIncome(em, P, { kind: 'HARVEST_THINNING', amount: '12345.67', bankReference: 'BK-001', effectiveDate: '2026-05-01' }, key()),
    );
    expect(income).toMatchObject({ kind: 'INCOME', incomeKind: 'HARVEST_THINNING', amount: '12345.67', walletBalance: '12345.67' });
    const fee = await inTransaction(db.dataSource, (em) => d.dividends.chargeManagementFee(em, P, { incomeId: income.id, effectiveDate: '2026-05-02' }, key()));
    expect(fee).toMatchObject({ kind: 'MANAGEMENT_FEE', amount: '987.65', baseFlowId: income.id, walletBalance: '11358.02' });
    expect(fee.calculation).toMatchObject({ base: '12345.67', rate: '0.08' });
    expect(await balance(t, walletOf(world.farm))).toBe('987.65');
    const again = await refusal(inTransaction(db.dataSource, (em) => d.dividends.chargeManagementFee(em, P, { incomeId: income.id }, key())));
    expect(again.code).toBe('FEE_ALREADY_CHARGED');
    const cost = await inTransaction(db.dataSource, (em) =>
      d.dividends.recordCost(em, P, { amount: '358.02', bankReference: 'BK-002', description: '抚育间伐人工费', effectiveDate: '2026-05-03' }, key()),
    );
    expect(cost.walletBalance).toBe('11000.00');
    const flows = await d.dividends.cashFlows(P);
    expect(flows.map((f) => f.kind)).toEqual(['INCOME', 'MANAGEMENT_FEE', 'COST']);
  });

  it('a replayed income (same key) books once', async () => {
    const k = key();
    const input = { kind: 'CARBON' as const, amount: '100.00', bankReference: 'BK-003', effectiveDate: '2026-05-04' };
    const first = await inTransaction(db.dataSource, (em) => d.dividends.recordIncome(em, P, input, k));
    const second = await inTransaction(db.dataSource, (em) => d.dividends.recordIncome(em, P, input, k));
    expect(second.id).toBe(first.id);
    expect(await balance(t, projectWallet(P))).toBe('11100');
  });

  it('the guarantee top-up shows its calculation and pays the shortfall into the wallet', async () => {
    const topUp = await inTransaction(db.dataSource, (em) =>
      d.dividends.recordGuaranteeTopUp(em, P, { mode: 'YIELD', actualVolumeM3: '1150', bankReference: 'BK-FARM-01', effectiveDate: '2026-05-05' }, key()),
    );
    expect(topUp).toMatchObject({ kind: 'GUARANTEE_TOP_UP', amount: '90000.00', walletBalance: '101100.00' });
    expect(topUp.calculation).toMatchObject({ mode: 'YIELD', topUp: '90000.00', figures: { guaranteedVolumeM3: '1300', shortfallM3: '150' } });
    const notTriggered = await refusal(
      inTransaction(db.dataSource, (em) => d.dividends.recordGuaranteeTopUp(em, P, { mode: 'YIELD', actualVolumeM3: '1300', bankReference: 'BK-X' }, key())),
    );
    expect(notTriggered.code).toBe('NO_GUARANTEE');
  });
});

describe('declaration and approval', () => {
  const P = 'DV-APPROVE';
  beforeAll(() => project(P, world, '1000.00'));

  it('refuses approval by the declarer, and by anyone not an APPROVER', async () => {
    const approverMaker = await staffUser(t, 'APPROVER');
    const draft = await inTransaction(db.dataSource, (em) => d.dividends.declare(em, approverMaker, { project: P, amount: '100.00', recordDate: RECORD, paymentDate: PAYMENT }));
    const self = await refusal(inTransaction(db.dataSource, (em) => d.dividends.approve(em, draft.id, approverMaker)));
    expect(self.code).toBe('SAME_USER_APPROVAL');
    const admin = await staffUser(t, 'ADMIN');
    expect((await refusal(inTransaction(db.dataSource, (em) => d.dividends.approve(em, draft.id, admin)))).code).toBe('NOT_AN_APPROVER');
    expect((await d.dividends.get(draft.id)).state).toBe('DRAFT');
    expect(await balance(t, projectWallet(P))).toBe('1000');
    const approved = await inTransaction(db.dataSource, (em) => d.dividends.approve(em, draft.id, checker));
    expect(approved).toMatchObject({ state: 'APPROVED', approvedBy: checker.userId });
    await inTransaction(db.dataSource, (em) => d.dividends.cancel(em, draft.id, checker));
  });

  it('approved after its payment date, the reserve is dated the payment date, so no payment precedes its reserve', async () => {
    const late = await declareAndApprove(t, d, maker, checker, { project: P, amount: '10.00', recordDate: RECORD, paymentDate: PAYMENT });
    const [reserve] = await db.dataSource.query<Array<{ date: string }>>(`SELECT to_char(effective_date, 'YYYY-MM-DD') AS date FROM ledger_entries WHERE idempotency_key = $1`, [
      `dividend-reserve:${late.id}`,
    ]);
    expect(reserve.date).toBe(PAYMENT);
    await inTransaction(db.dataSource, (em) => d.dividends.cancel(em, late.id, checker));
  });

  it('a declaration beyond the distributable income is refused, naming the figures', async () => {
    const e = await refusal(inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: P, amount: '1000.01', recordDate: RECORD, paymentDate: PAYMENT })));
    expect(e).toMatchObject({ code: 'EXCEEDS_DISTRIBUTABLE', field: 'amount', details: { distributable: '1000.00', incomeTotal: '1000.00' } });
    expect(e.message).toContain('收入 1000.00 − 成本 0.00 − 管理费 0.00 − 已宣告分红 0.00 = 可分配 1000.00 元');
  });

  it('approval reserves the amount: the wallet cannot spend it; cancelling releases it', async () => {
    const declared = await declareAndApprove(t, d, maker, checker, { project: P, amount: '800.00', recordDate: RECORD, paymentDate: PAYMENT });
    expect(await balance(t, projectWallet(P))).toBe('200');
    expect(await balance(t, projectDividendReserve(P))).toBe('800');
    const spend = await refusal(inTransaction(db.dataSource, (em) => d.dividends.recordCost(em, P, { amount: '300.00', bankReference: 'BK-C', description: '支出' }, key())));
    expect(spend.code).toBe('EXCEEDS_WALLET');
    // A second declaration cannot count the same income either: 1000 − 800 − 150 leaves 50.
    const second = await inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: P, amount: '150.00', recordDate: RECORD, paymentDate: PAYMENT }));
    const tooMuch = await refusal(inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: P, amount: '100.00', recordDate: RECORD, paymentDate: PAYMENT })));
    expect(tooMuch).toMatchObject({ code: 'EXCEEDS_DISTRIBUTABLE', details: { distributable: '50.00', dividendsDeclared: '950.00' } });
    await inTransaction(db.dataSource, (em) => d.dividends.approve(em, second.id, checker));
    const cancelled = await inTransaction(db.dataSource, (em) => d.dividends.cancel(em, declared.id, checker));
    expect(cancelled.state).toBe('CANCELLED');
    expect(await balance(t, projectWallet(P))).toBe('850');
    expect(await balance(t, projectDividendReserve(P))).toBe('150');
    expect((await refusal(inTransaction(db.dataSource, (em) => d.dividends.approve(em, declared.id, checker)))).code).toBe('DECLARATION_STATE');
    await inTransaction(db.dataSource, (em) => d.dividends.cancel(em, second.id, maker));
    expect(await balance(t, projectDividendReserve(P))).toBe('0');
  });
});

describe('exact distribution', () => {
  it('3 equal holders and 100.00 → 33.34 / 33.33 / 33.33, the extra 分 to the lowest holder account id', async () => {
    await project('DV-TRIO', trio, '100.00');
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'DV-TRIO', amount: '100.00', recordDate: RECORD, paymentDate: PAYMENT });
    const outcome = await d.dividends.distribute(decl.id);
    expect(outcome).toMatchObject({ state: 'DISTRIBUTED', progress: { holdersTotal: 3, holdersDone: 3, amountDistributed: '100.00' } });
    const ids = await db.dataSource.query<Array<{ owner_ref: string }>>(`SELECT owner_ref FROM ledger_accounts WHERE code = ANY($1) ORDER BY id`, [
      trio.villagers.map((p) => holderTickets(p, 'DV-TRIO')),
    ]);
    const lines = await linesOf(decl.id);
    expect(lines.map((l) => `party:${l.party}`)).toEqual(ids.map((r) => r.owner_ref));
    expect(lines.map((l) => [l.units, l.amount])).toEqual([
      ['300000', '33.34'],
      ['300000', '33.33'],
      ['300000', '33.33'],
    ]);
    const view = await d.dividends.get(decl.id);
    expect(view).toMatchObject({ totalUnits: '900000', amountPerUnit: '0.000111' });
    const paid = await paidByDeclaration(t, decl.id);
    expect([...paid.values()].sort()).toEqual(['33.33', '33.33', '33.34']);
    expect(await balance(t, projectDividendReserve('DV-TRIO'))).toBe('0');
    const mine = await d.dividends.dividendsOf(lines[0].party);
    expect(mine).toEqual([expect.objectContaining({ project: 'DV-TRIO', units: '300000', amount: '33.34', amountPerUnit: '0.000111', paymentDate: PAYMENT, paid: true })]);
  });

  it('0.01 among 1,000 holders: one 分 to the first holder, exactly once, across chunks', async () => {
    await project('DV-KILO', thousand, '0.01');
    const decl = await declareAndApprove(t, d, maker, checker, { project: 'DV-KILO', amount: '0.01', recordDate: RECORD, paymentDate: PAYMENT, chunkSize: 300 });
    const outcome = await d.dividends.distribute(decl.id);
    expect(outcome).toMatchObject({ state: 'DISTRIBUTED', progress: { holdersTotal: 1000, holdersDone: 1000, chunksTotal: 4, chunksDone: 4, amountDistributed: '0.01' } });
    const lines = await linesOf(decl.id);
    expect(lines).toHaveLength(1000);
    expect(lines.filter((l) => l.amount !== '0.00')).toEqual([expect.objectContaining({ seq: 1, amount: '0.01' })]);
    const paid = await paidByDeclaration(t, decl.id);
    expect([...paid.entries()]).toEqual([[walletOf(lines[0].party), '0.01']]);
    expect(await balance(t, projectDividendReserve('DV-KILO'))).toBe('0');
  });
});

describe('entitlement at the record date', () => {
  const P = 'DV-RECORD';
  beforeAll(() => project(P, world, '7000.00'));

  it('a holder with zero units at the record date gets nothing; transfers after it change nothing; pledged units earn', async () => {
    // Before the record date: V-0001 sells everything to V-0002; V-0003 pledges half of its units.
    await trade(P, v(1), v(2), '90000', '2026-06-10');
    await inTransaction(db.dataSource, (em) =>
      t.movements.pledge(em, P, { holder: v(3), pledgee: world.bank, units: '45000', contractReference: 'ZY-1', effectiveDate: '2026-06-11' }, key()),
    );
    // After the record date (booked before the approval): V-0004 sells everything to the outsider.
    await trade(P, v(4), world.outsider, '90000', '2026-07-01');
    const decl = await declareAndApprove(t, d, maker, checker, { project: P, amount: '7000.00', recordDate: RECORD, paymentDate: PAYMENT });
    // After the approval, dated after the record date: not stale.
    await trade(P, v(5), v(6), '1000', '2026-07-02');
    const outcome = await d.dividends.distribute(decl.id);
    expect(outcome.state).toBe('DISTRIBUTED');
    const byParty = new Map((await linesOf(decl.id)).map((l) => [l.party, l]));
    expect(byParty.has(v(1))).toBe(false);
    expect(byParty.has(world.outsider)).toBe(false);
    expect(byParty.get(v(2))).toMatchObject({ units: '180000', amount: '1400.00' });
    expect(byParty.get(v(3))).toMatchObject({ units: '90000', amount: '700.00' });
    expect(byParty.get(v(4))).toMatchObject({ units: '90000', amount: '700.00' });
    expect(byParty.get(v(5))).toMatchObject({ units: '90000', amount: '700.00' });
    expect(byParty.get(v(6))).toMatchObject({ units: '90000', amount: '700.00' });
    expect(byParty.size).toBe(9);
    expect((await paidByDeclaration(t, decl.id)).has(walletOf(world.outsider))).toBe(false);
  });
});

describe('the register closes at the record date of an approved dividend', () => {
  const P = 'DV-CLOSED';
  beforeAll(async () => {
    await project(P, world, '700.00');
    await deposit(t, world.farm, '1000.00');
  });

  const closed = async (work: Promise<unknown>, declarationId: string, recordDate: string) => {
    const e = await refusal(work);
    expect(e).toMatchObject({ code: 'REGISTER_CLOSED', kind: 'rule', field: 'effectiveDate', details: { declarationId, recordDate } });
    expect(e.message).toContain(`#${declarationId}`);
    expect(e.message).toContain(recordDate);
  };

  it('refuses every kind of movement dated on or before the record date of a paid declaration; nothing moves', async () => {
    const pledge = await inTransaction(db.dataSource, (em) =>
      t.movements.pledge(em, P, { holder: v(7), pledgee: world.bank, units: '100', contractReference: 'ZY-C1', effectiveDate: '2026-06-20' }, key()),
    );
    const decl = await declareAndApprove(t, d, maker, checker, { project: P, amount: '700.00', recordDate: RECORD, paymentDate: PAYMENT });
    expect((await d.dividends.distribute(decl.id)).state).toBe('DISTRIBUTED');
    const register = await t.series.register(P, RECORD);
    const before = await footprint(t, P);
    await deposit(t, v(2), '1000.00');

    await closed(trade(P, v(1), v(2), '100', RECORD), decl.id, RECORD);
    await closed(
      inTransaction(db.dataSource, (em) =>
        t.movements.inherit(em, P, { from: v(3), heirs: [{ party: v(4), units: '90000' }], documentReference: '(2026)晋阳证字第9号', effectiveDate: '2026-06-01' }, key()),
      ),
      decl.id,
      RECORD,
    );
    await closed(
      inTransaction(db.dataSource, (em) => t.movements.pledge(em, P, { holder: v(5), pledgee: world.bank, units: '10', contractReference: 'ZY-C2', effectiveDate: RECORD }, key())),
      decl.id,
      RECORD,
    );
    await closed(
      inTransaction(db.dataSource, (em) => t.movements.releasePledge(em, pledge.pledgeId!, { effectiveDate: RECORD }, key())),
      decl.id,
      RECORD,
    );
    await closed(
      inTransaction(db.dataSource, (em) => t.movements.enforcePledge(em, pledge.pledgeId!, { effectiveDate: '2026-06-25' }, key())),
      decl.id,
      RECORD,
    );
    await closed(
      inTransaction(db.dataSource, (em) => t.movements.buyBack(em, P, { holder: v(6), units: '10', unitPrice: '0.01', effectiveDate: '2026-06-29' }, key())),
      decl.id,
      RECORD,
    );
    expect(await footprint(t, P)).toEqual(before);
    expect(await t.series.register(P, RECORD)).toEqual(register);

    // The day after the record date is open: the register of the record date stays as it was paid.
    await trade(P, v(1), v(2), '100', '2026-07-01');
    await inTransaction(db.dataSource, (em) => t.movements.enforcePledge(em, pledge.pledgeId!, { effectiveDate: '2026-07-01' }, key()));
    expect(await t.series.register(P, RECORD)).toEqual(register);
    const lines = await linesOf(decl.id);
    expect(lines.map((l) => [l.party, l.units]).sort()).toEqual(
      register.lines
        .filter((r) => r.units !== '0')
        .map((r) => [r.partyCode, r.units])
        .sort(),
    );
    expect(lines.reduce((sum, l) => sum.plus(l.amount), new Dec(0)).toFixed(2)).toBe('700.00');
  });

  it('an APPROVED declaration closes the register, a DRAFT does not, and cancelling reopens it', async () => {
    const Q = 'DV-CLOSE2';
    await project(Q, world, '100.00');
    await deposit(t, v(2), '10.00');
    const draft = await inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: Q, amount: '100.00', recordDate: '2026-08-31', paymentDate: '2026-09-15' }));
    await trade(Q, v(1), v(2), '10', '2026-08-15');
    const approved = await inTransaction(db.dataSource, (em) => d.dividends.approve(em, draft.id, checker));
    await closed(trade(Q, v(1), v(2), '10', '2026-08-20'), approved.id, '2026-08-31');
    await inTransaction(db.dataSource, (em) => d.dividends.cancel(em, approved.id, checker));
    await trade(Q, v(1), v(2), '10', '2026-08-20');
    expect((await t.series.register(Q, '2026-08-31')).lines.find((l) => l.partyCode === v(2))?.units).toBe('90020');
  });

  it('a declaration approved before the rule, whose register a later movement changed, still stops as STALE and pays once re-approved', async () => {
    const S = 'DV-STALE';
    await project(S, world, '700.00');
    const decl = await declareAndApprove(t, d, maker, checker, { project: S, amount: '700.00', recordDate: RECORD, paymentDate: PAYMENT });
    // What a movement booked before the register closed by rule looked like: the declaration was APPROVED, the movement went through.
    await inTransaction(db.dataSource, async (em) => {
      await em.query(`UPDATE dividend_declarations SET state = 'DRAFT' WHERE id = $1`, [decl.id]);
      await deposit(t, v(2), '900.00', em);
      await t.movements.trade(em, S, { seller: v(1), buyer: v(2), units: '90000', unitPrice: '0.01', effectiveDate: '2026-06-25' }, key());
      await em.query(`UPDATE dividend_declarations SET state = 'APPROVED' WHERE id = $1`, [decl.id]);
    });
    const stopped = await d.dividends.distribute(decl.id);
    expect(stopped.state).toBe('STALE');
    expect(stopped.staleReason).toMatch(/dated 2026-06-25 .* re-approve/);
    expect(await linesOf(decl.id)).toEqual([]);
    expect(await paidByDeclaration(t, decl.id)).toEqual(new Map());
    expect((await d.dividends.distribute(decl.id)).state).toBe('STALE');
    expect(await balance(t, projectDividendReserve(S))).toBe('700');
    // Re-approval by the declarer is still refused; by an approver it takes the holdings as they now stand.
    expect((await refusal(inTransaction(db.dataSource, (em) => d.dividends.approve(em, decl.id, maker)))).code).toBe('NOT_AN_APPROVER');
    await inTransaction(db.dataSource, (em) => d.dividends.approve(em, decl.id, checker));
    expect((await d.dividends.distribute(decl.id)).state).toBe('DISTRIBUTED');
    const byParty = new Map((await linesOf(decl.id)).map((l) => [l.party, l.amount]));
    expect(byParty.has(v(1))).toBe(false);
    expect(byParty.get(v(2))).toBe('140.00');
  });
});

describe('a movement racing an approval', () => {
  const P = 'DV-RACE';
  beforeAll(async () => {
    await project(P, world, '1000.00');
    await deposit(t, v(2), '1000.00');
  });

  type Settled<T> = { value?: T; error?: unknown; done: boolean };
  function track<T>(promise: Promise<T>): { state: Settled<T>; finished: Promise<Settled<T>> } {
    const state: Settled<T> = { done: false };
    const finished = promise.then(
      (value) => Object.assign(state, { value, done: true }),
      (error: unknown) => Object.assign(state, { error, done: true }),
    );
    return { state, finished };
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const tradeNow = (em: EntityManager, date: string) => t.movements.trade(em, P, { seller: v(1), buyer: v(2), units: '10', unitPrice: '0.01', effectiveDate: date }, key());

  it('a movement arriving while the approval holds the series waits for it, then is refused', async () => {
    const draft = await inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: P, amount: '10.00', recordDate: '2026-07-10', paymentDate: '2026-07-10' }));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const approval = track(
      db.dataSource.transaction(async (em) => {
        const view = await d.dividends.approve(em, draft.id, checker);
        locked();
        await gate;
        return view;
      }),
    );
    await holding;
    const movement = track(db.dataSource.transaction((em) => tradeNow(em, '2026-07-10')));
    await sleep(300);
    expect(movement.state.done).toBe(false);
    release();
    expect((await approval.finished).value?.state).toBe('APPROVED');
    expect((await movement.finished).error).toMatchObject({ code: 'REGISTER_CLOSED', details: { declarationId: draft.id } });
  });

  it('an approval arriving while a movement holds the series waits for it, then counts it', async () => {
    const draft = await inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: P, amount: '10.00', recordDate: '2026-07-20', paymentDate: '2026-07-20' }));
    const before = (await t.series.register(P, '2026-07-20')).lines.find((l) => l.partyCode === v(2))!.units;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const holding = new Promise<void>((r) => (locked = r));
    const movement = track(
      db.dataSource.transaction(async (em) => {
        const outcome = await tradeNow(em, '2026-07-20');
        locked();
        await gate;
        return outcome;
      }),
    );
    await holding;
    const approval = track(db.dataSource.transaction((em) => d.dividends.approve(em, draft.id, checker)));
    await sleep(300);
    expect(approval.state.done).toBe(false);
    release();
    expect((await movement.finished).error).toBeUndefined();
    expect((await approval.finished).value?.state).toBe('APPROVED');
    expect((await d.dividends.distribute(draft.id)).state).toBe('DISTRIBUTED');
    const line = (await linesOf(draft.id)).find((l) => l.party === v(2))!;
    expect(line.units).toBe(new Dec(before).plus(10).toFixed(0));
  });

  it('started together, either the movement counts or it is refused: the paid register is never changed', async () => {
    for (const day of ['01', '02', '03', '04', '05']) {
      const recordDate = `2026-08-${day}`;
      const draft = await inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: P, amount: '10.00', recordDate, paymentDate: recordDate }));
      const [approval, movement] = await Promise.all([
        track(inTransaction(db.dataSource, (em) => d.dividends.approve(em, draft.id, checker))).finished,
        track(inTransaction(db.dataSource, (em) => tradeNow(em, recordDate))).finished,
      ]);
      expect(approval.value?.state).toBe('APPROVED');
      if (movement.error !== undefined) expect(movement.error).toMatchObject({ code: 'REGISTER_CLOSED' });
      expect((await d.dividends.distribute(draft.id)).state).toBe('DISTRIBUTED');
      const register = await t.series.register(P, recordDate);
      expect((await linesOf(draft.id)).map((l) => [l.party, l.units]).sort()).toEqual(
        register.lines
          .filter((l) => l.units !== '0')
          .map((l) => [l.partyCode, l.units])
          .sort(),
      );
    }
  });
});

describe('only distributable income is paid as a dividend', () => {
  const P = 'DV-DIST';
  beforeAll(async () => {
    // The farm's 5,000.00 cash is capital: in the wallet, never distributable.
    await lishuSeries(t, world, P, { collectiveRetainedRatio: '0', farmCash: '5000.00' });
    const income = await inTransaction(db.dataSource, (em) =>
      d.dividends.recordIncome(em, P, { kind: 'HARVEST_FINAL', amount: '1000.00', bankReference: 'BK-D1', effectiveDate: '2026-05-01' }, key()),
    );
    await inTransaction(db.dataSource, (em) => d.dividends.recordIncome(em, P, { kind: 'CARBON', amount: '200.00', bankReference: 'BK-D2', effectiveDate: '2026-05-02' }, key()));
    await inTransaction(db.dataSource, (em) =>
      d.dividends.recordGuaranteeTopUp(
        em,
        P,
        { mode: 'RETURN', principal: '1000.00', annualRate: '0.05', years: '1', actualReturn: '0.00', bankReference: 'BK-D3', effectiveDate: '2026-05-03' },
        key(),
      ),
    );
    await inTransaction(db.dataSource, (em) => d.dividends.chargeManagementFee(em, P, { incomeId: income.id, effectiveDate: '2026-05-04' }, key()));
    await inTransaction(db.dataSource, (em) =>
      d.dividends.recordCost(em, P, { amount: '100.00', bankReference: 'BK-D4', description: '抚育人工费', effectiveDate: '2026-05-05' }, key()),
    );
  });

  it('shows the calculation line by line: 1,000.00 + 200.00 + 50.00 − 100.00 − 80.00 = 1,070.00', async () => {
    const view = await d.dividends.distributable(P);
    expect(view).toMatchObject({
      project: P,
      incomeTotal: '1250.00',
      costs: '100.00',
      managementFees: '80.00',
      dividends: [],
      dividendsDeclared: '0.00',
      distributable: '1070.00',
      formula: '收入 1250.00 − 成本 100.00 − 管理费 80.00 − 已宣告分红 0.00 = 可分配 1070.00 元',
    });
    expect(view.income.map((i) => [i.kind, i.amount])).toEqual([
      ['HARVEST_FINAL', '1000.00'],
      ['HARVEST_THINNING', '0.00'],
      ['PRE_DIVIDEND', '0.00'],
      ['CARBON', '200.00'],
      ['RENT', '0.00'],
      ['OTHER', '0.00'],
      ['GUARANTEE_TOP_UP', '50.00'],
    ]);
    expect(await balance(t, projectWallet(P))).toBe('6070');
    const early = await d.dividends.distributable(P, '2026-05-02');
    expect(early).toMatchObject({ asOf: '2026-05-02', incomeTotal: '1200.00', costs: '0.00', managementFees: '0.00', distributable: '1200.00' });
  });

  it('refuses the contributed cash as a dividend, and anything above the distributable amount, at declaration and at approval', async () => {
    const before = await footprintOfDeclarations();
    const capital = await refusal(
      inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: P, amount: '5000.00', recordDate: RECORD, paymentDate: PAYMENT })),
    );
    expect(capital).toMatchObject({ code: 'EXCEEDS_DISTRIBUTABLE', field: 'amount', details: { distributable: '1070.00' } });
    expect(capital.message).toContain('收入 1250.00 − 成本 100.00 − 管理费 80.00 − 已宣告分红 0.00 = 可分配 1070.00 元');
    expect(capital.message).toContain('contributed capital is not distributable');
    expect(
      (await refusal(inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: P, amount: '1070.01', recordDate: RECORD, paymentDate: PAYMENT })))).code,
    ).toBe('EXCEEDS_DISTRIBUTABLE');
    expect(await footprintOfDeclarations()).toBe(before);

    const draft = await inTransaction(db.dataSource, (em) => d.dividends.declare(em, maker, { project: P, amount: '1000.00', recordDate: RECORD, paymentDate: PAYMENT }));
    expect(await d.dividends.distributable(P)).toMatchObject({
      dividends: [{ id: draft.id, state: 'DRAFT', amount: '1000.00', recordDate: RECORD }],
      dividendsDeclared: '1000.00',
      distributable: '70.00',
    });
    // A cost since the declaration: at approval 1,250.00 − 200.00 − 80.00 = 970.00 is less than the 1,000.00.
    await inTransaction(db.dataSource, (em) =>
      d.dividends.recordCost(em, P, { amount: '100.00', bankReference: 'BK-D5', description: '防火巡护', effectiveDate: '2026-05-06' }, key()),
    );
    const atApproval = await refusal(inTransaction(db.dataSource, (em) => d.dividends.approve(em, draft.id, checker)));
    expect(atApproval).toMatchObject({ code: 'EXCEEDS_DISTRIBUTABLE', details: { distributable: '970.00', dividendsDeclared: '0.00' } });
    expect(atApproval.message).toContain(`declaration #${draft.id} itself left out`);
    expect(await d.dividends.get(draft.id)).toMatchObject({ state: 'DRAFT', reserveEntryId: null });
    await inTransaction(db.dataSource, (em) => d.dividends.cancel(em, draft.id, maker));
    const paid = await declareAndApprove(t, d, maker, checker, { project: P, amount: '970.00', recordDate: RECORD, paymentDate: PAYMENT });
    expect((await d.dividends.distribute(paid.id)).state).toBe('DISTRIBUTED');
    expect(await d.dividends.distributable(P)).toMatchObject({ dividendsDeclared: '970.00', distributable: '0.00' });
    expect(await balance(t, projectWallet(P))).toBe('5000');
  });

  async function footprintOfDeclarations(): Promise<number> {
    const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM dividend_declarations`);
    return n;
  }
});

describe('resumable, exactly once', () => {
  const P = 'DV-RESUME';
  beforeAll(() => project(P, world, '1000.00', { retained: '0.30' }));

  it('stopping after some chunks and resuming (twice at once) pays every holder once', async () => {
    const decl = await declareAndApprove(t, d, maker, checker, { project: P, amount: '1000.00', recordDate: RECORD, paymentDate: PAYMENT, chunkSize: 3 });
    const partial = await d.dividends.distribute(decl.id, { maxChunks: 2 });
    expect(partial).toMatchObject({ state: 'DISTRIBUTING', progress: { holdersTotal: 11, holdersDone: 6, chunksTotal: 4, chunksDone: 2 } });
    const progress = await d.dividends.progress(decl.id);
    expect(progress).toMatchObject({ state: 'DISTRIBUTING', holdersDone: 6, holdersTotal: 11 });
    expect(new Dec(progress.amountDistributed).greaterThan(0)).toBe(true);
    const [a, b] = await Promise.all([d.dividends.distribute(decl.id), d.dividends.distribute(decl.id)]);
    expect([a.state, b.state]).toEqual(['DISTRIBUTED', 'DISTRIBUTED']);
    const paid = await paidByDeclaration(t, decl.id);
    const lines = await linesOf(decl.id);
    expect(paid.size).toBe(11);
    for (const l of lines) expect(paid.get(walletOf(l.party))).toBe(l.amount);
    expect(lines.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2)).toBe('1000.00');
    expect(lines.map((l) => l.party)).toContain(world.collective);
    expect(await balance(t, projectDividendReserve(P))).toBe('0');
    // A chunk replayed by its key is a ledger replay, never a second payment.
    const [{ n }] = await db.dataSource.query<
      Array<{
        n: number;
      }>
    >(`SELECT count(*)::int AS n FROM ledger_entries WHERE idempotency_key LIKE $1`, [`dividend:${decl.id}:chunk:%`]);
    expect(n).toBe(4);
    expect((await refusal(inTransaction(db.dataSource, (em) => d.dividends.cancel(em, decl.id, checker)))).code).toBe('DECLARATION_STATE');
  });
});

describe('errors are typed', () => {
  it('unknown declarations are not found', async () => {
    const e = await refusal(d.dividends.get('999999'));
    expect(e).toBeInstanceOf(DividendError);
    expect(e.kind).toBe('not-found');
    expect(LedgerError).toBeDefined();
  });
});

describe('the next chunk planned during the write of this one', () => {
  const P = 'DV-AHEAD';
  beforeAll(() => project(P, world, '1000.00', { retained: '0.30' }));

  it('is planned again when its accounts moved meanwhile (a holder paid, the reserve touched): chain intact, each holder paid once', async () => {
    const decl = await declareAndApprove(t, d, maker, checker, { project: P, amount: '1000.00', recordDate: RECORD, paymentDate: PAYMENT, chunkSize: 3 });
    const reserve = projectDividendReserve(P);
    const posted = jest.spyOn(t.ledger, 'postBatch');
    let withPlanAhead: boolean[] = [];
    const post = (key: string, debit: string, credit: string) =>
      inTransaction(db.dataSource, (em) =>
        t.ledger.post(em, {
          idempotencyKey: `${key}:${decl.id}`,
          kind: 'TEST_MOVE',
          effectiveDate: PAYMENT,
          postings: [
            { account: debit, side: 'DEBIT', amount: '1.00' },
            { account: credit, side: 'CREDIT', amount: '1.00' },
          ],
        }),
      );
    try {
      // Between the chunks, after the next one was planned: a credit to a holder of chunk 2; the reserve in and out
      // (same totals, a new chain head) before chunk 3; chunk 4 planned ahead and untouched.
      const outcome = await d.dividends.distribute(decl.id, {
        onProgress: async (progress) => {
          if (progress.chunksDone === 1) await post('ahead-holder', BANK_CLEARING_ACCOUNT, walletOf((await linesOf(decl.id))[3].party));
          if (progress.chunksDone === 2) {
            await post('ahead-reserve-in', BANK_CLEARING_ACCOUNT, reserve);
            await post('ahead-reserve-out', reserve, BANK_CLEARING_ACCOUNT);
          }
        },
      });
      expect(outcome).toMatchObject({ state: 'DISTRIBUTED', progress: { holdersDone: 11, chunksDone: 4, amountDistributed: '1000.00' } });
      withPlanAhead = posted.mock.calls.map(([, , options]) => options?.ahead != null);
    } finally {
      posted.mockRestore();
    }
    // Chunks 2 to 4 came with a plan made ahead; the first two of those plans were stale: written, they would break the chain.
    expect(withPlanAhead).toEqual([false, true, true, true]);
    const paid = await paidByDeclaration(t, decl.id);
    const lines = await linesOf(decl.id);
    expect(paid.size).toBe(11);
    for (const l of lines) expect(paid.get(walletOf(l.party))).toBe(l.amount);
    expect(await balance(t, reserve)).toBe('0');
    expect(await new ChainVerifier(db.dataSource).verify()).toMatchObject({ ok: true });
  });
});
