import { DomainError } from '@forest-ledger/common';
import {
  Actor,
  DeclarationState,
  holderPledged,
  holderTickets,
  INCOME_KINDS,
  managementFee,
  MovementOutcome,
  projectDividendReserve,
  projectWallet,
  RegisterView,
} from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import fc from 'fast-check';
import { EntityManager } from 'typeorm';
import { DividendServices, dividendServices, paidByDeclaration, staffUser } from '../factories/dividends.factory';
import { deposit, key, lishuSeries, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

/**
 * Over 500 lines because the model, its commands and the invariants read best side by side.
 *
 * Model-based test of a series' life (issue 13): random sequences of issue, trade, pledge, release,
 * enforcement, inheritance, buy-back, income, guarantee top-up, cost, management fee, declaration,
 * approval, cancellation and distribution (the worker's service, in-process; to the end or stopped
 * after a few chunks, as a worker that died leaves it), with effective dates drawn around the record
 * dates, run against PostgreSQL and against a small in-memory model.
 *
 * Each command's outcome must be one the model allows (a refusal only for a reason the model sees),
 * and after every command: units are conserved and every holder's free and pledged units are the
 * model's; the register at the record date of every approved or paid declaration is what it was at
 * approval; each declaration being or done paying has lines that are its register, sum exactly to its
 * amount, and no holder credited twice or other than its line; no no-overdraft account is negative;
 * the distributable amount, wallet and reserve are the model's.
 * One database; every run issues a fresh project and series. Seeded: MODEL_SEED=<n> replays a run.
 */
const db = useTestDatabase();
const SEED = Number(process.env.MODEL_SEED ?? Date.now() % 2_147_483_647);
const RUNS = Number(process.env.MODEL_RUNS ?? 40);

let t: TicketServices;
let d: DividendServices;
let world: TicketWorld;
let maker: Actor;
let checker: Actor;
let runNo = 0;
/** Outcomes seen, by command and answer (e.g. 'trade REGISTER_CLOSED'), printed at the end: what the runs exercised. */
const seen = new Map<string, number>();
const timing = { act: 0, check: 0, setup: 0 };
const count = (what: string) => seen.set(what, (seen.get(what) ?? 0) + 1);

const ISSUED_ON = '2025-03-01';
const RECORD_DATES = ['2026-03-31', '2026-06-30', '2026-09-30'];
const dayShift = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
/** Effective dates of movements: the day before, of and after each record date, and one late date. */
const MOVEMENT_DATES = [...RECORD_DATES.flatMap((r) => [dayShift(r, -1), r, dayShift(r, 1)]), '2026-11-30'];
const CASH_DATES = ['2026-01-15', '2026-05-01', '2026-08-01'];
const CLOSING: readonly DeclarationState[] = ['APPROVED', 'DISTRIBUTING', 'DISTRIBUTED'];

interface Declaration {
  id: string;
  amount: Dec;
  recordDate: string;
  state: DeclarationState;
  /** The register at the record date when it was approved. */
  snapshot?: RegisterView;
  /** Paid to holders so far (out of the reserve), by the chunks run. */
  paid: Dec;
}

interface Model {
  series: string;
  parties: string[];
  free: Map<string, bigint>;
  pledged: Map<string, bigint>;
  /** Parties with a holding (certificate) in the series: once held, always. */
  holding: Set<string>;
  /** Latest effective date of a posting on each holder account ('<party>' free, '<party>:pledged'). */
  last: Map<string, string>;
  /** Unit changes per owner by effective date, issuance included: the register at any date. */
  history: Array<{ date: string; party: string; free: bigint; pledged: bigint }>;
  pledges: Array<{ id: string; holder: string; units: bigint; active: boolean }>;
  incomes: Array<{ id: string; amount: Dec; feeCharged: boolean }>;
  incomeTotal: Dec;
  costs: Dec;
  fees: Dec;
  wallet: Dec;
  reserve: Dec;
  declarations: Declaration[];
  totalUnits: bigint;
}

type Real = Record<string, never>;

// ------------------------------------------------------------------ model arithmetic

const units = (m: Model, party: string) => m.free.get(party) ?? 0n;
const pledgedOf = (m: Model, party: string) => m.pledged.get(party) ?? 0n;
const lastOf = (m: Model, account: string) => m.last.get(account) ?? '0000-00-00';
const closedUpTo = (m: Model): string | null =>
  m.declarations.filter((x) => CLOSING.includes(x.state)).reduce<string | null>((max, x) => (max === null || x.recordDate > max ? x.recordDate : max), null);
const declaredExcept = (m: Model, except: Declaration | null) =>
  m.declarations.filter((x) => x !== except && x.state !== 'CANCELLED').reduce((s, x) => s.plus(x.amount), new Dec(0));
const distributable = (m: Model, except: Declaration | null = null) => m.incomeTotal.minus(m.costs).minus(m.fees).minus(declaredExcept(m, except));

function move(m: Model, date: string, party: string, free: bigint, pledged: bigint): void {
  m.free.set(party, units(m, party) + free);
  m.pledged.set(party, pledgedOf(m, party) + pledged);
  if (free !== 0n && date > lastOf(m, party)) m.last.set(party, date);
  if (pledged !== 0n && date > lastOf(m, `${party}:pledged`)) m.last.set(`${party}:pledged`, date);
  m.history.push({ date, party, free, pledged });
}

/** Units (free + pledged) and pledged units per owner at the end of `date`, owners with units only. */
function registerAt(m: Model, date: string): Map<string, { units: bigint; pledged: bigint }> {
  const out = new Map<string, { units: bigint; pledged: bigint }>();
  for (const h of m.history.filter((x) => x.date <= date)) {
    const e = out.get(h.party) ?? { units: 0n, pledged: 0n };
    out.set(h.party, { units: e.units + h.free + h.pledged, pledged: e.pledged + h.pledged });
  }
  for (const [party, e] of out) if (e.units === 0n) out.delete(party);
  return out;
}

/** The reasons a movement may be refused for, as the model sees them. */
function movementReasons(m: Model, date: string, debited: string[], checks: Array<[boolean, string]>): string[] {
  const reasons = checks.filter(([applies]) => applies).map(([, code]) => code);
  const closed = closedUpTo(m);
  if (closed !== null && date <= closed) reasons.push('REGISTER_CLOSED');
  if (debited.some((account) => date < lastOf(m, account))) reasons.push('EFFECTIVE_DATE_OUT_OF_RANGE');
  return reasons;
}

// ------------------------------------------------------------------ running a command against both

/**
 * Runs `work` in one transaction. Refused: the code must be among `reasons` and nothing changes in
 * the model. Accepted: `reasons` must be empty, then `apply` updates the model.
 */
async function attempt<T>(label: string, reasons: string[], work: (em: EntityManager) => Promise<T>, apply: (outcome: T) => void | Promise<void>): Promise<void> {
  let outcome: T;
  const name = label.split(' ')[0];
  try {
    outcome = await inTransaction(t.ds, work);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    if (!reasons.includes(error.code))
      throw new Error(`${label}: refused ${error.code} (${error.message}), the model expected ${reasons.length ? reasons.join(' or ') : 'success'}`);
    count(`${name} ${error.code}`);
    return;
  }
  if (reasons.length > 0) throw new Error(`${label}: accepted, the model expected a refusal: ${reasons.join(' or ')}`);
  count(`${name} ok`);
  await apply(outcome);
}

async function invariants(m: Model): Promise<void> {
  // Units conserved, and each holder's free and pledged units are the model's.
  const rows = await t.ds.query<
    Array<{
      code: string;
      type: string;
      balance: string;
    }>
  >(`SELECT code, type, (credits - debits)::text AS balance FROM ledger_accounts WHERE asset_code = $1`, [`LP.${m.series}`]);
  const held = rows.filter((r) => r.type === 'LIABILITY').reduce((s, r) => s + BigInt(r.balance), 0n);
  expect(held).toBe(m.totalUnits);
  const actual = new Map(rows.map((r) => [r.code, BigInt(r.balance)]));
  for (const p of m.parties) {
    expect([p, actual.get(holderTickets(p, m.series)) ?? 0n, actual.get(holderPledged(p, m.series)) ?? 0n]).toEqual([p, units(m, p), pledgedOf(m, p)]);
  }
  // The register at the record date of every approved or paid declaration is what it was at approval.
  for (const decl of m.declarations.filter((x) => CLOSING.includes(x.state))) {
    expect([decl.id, await t.series.register(m.series, decl.recordDate)]).toEqual([decl.id, decl.snapshot]);
  }
  // Every declaration being or done paying: its lines are the register at its record date, one per owner, summing exactly
  // to its amount; each holder is credited once (paidByDeclaration throws on a second credit), exactly its line, and all
  // of them once DISTRIBUTED.
  for (const decl of m.declarations.filter((x) => x.state === 'DISTRIBUTING' || x.state === 'DISTRIBUTED')) await paidExactly(m, decl);
  // No no-overdraft account below zero (anywhere in the database).
  const overdrawn = await t.ds.query<
    Array<{
      code: string;
    }>
  >(`SELECT code FROM ledger_accounts WHERE no_overdraft AND CASE normal_side WHEN 'DEBIT' THEN debits < credits ELSE credits < debits END LIMIT 5`);
  expect(overdrawn).toEqual([]);
  // The distributable amount, the wallet and the reserve are the model's.
  const view = await d.dividends.distributable(m.series);
  expect(view.distributable).toBe(distributable(m).toFixed(2));
  const money = await t.ds.query<Array<{ code: string; balance: string }>>(`SELECT code, (credits - debits)::text AS balance FROM ledger_accounts WHERE code = ANY($1::text[])`, [
    [projectWallet(m.series), projectDividendReserve(m.series)],
  ]);
  const balanceOf = (code: string) => new Dec(money.find((r) => r.code === code)?.balance ?? 0).toFixed(2);
  expect([balanceOf(projectWallet(m.series)), balanceOf(projectDividendReserve(m.series))]).toEqual([m.wallet.toFixed(2), m.reserve.toFixed(2)]);
}

async function paidExactly(m: Model, decl: Declaration): Promise<void> {
  const lines = await d.dividends.lines(decl.id, { limit: 10_000 });
  const expected = registerAt(m, decl.recordDate);
  expect([decl.id, lines.map((l) => [l.party, BigInt(l.units)]).sort()]).toEqual([decl.id, [...expected].map(([party, e]) => [party, e.units]).sort()]);
  expect([decl.id, new Set(lines.map((l) => l.party)).size]).toEqual([decl.id, lines.length]);
  expect([decl.id, lines.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2)]).toEqual([decl.id, decl.amount.toFixed(2)]);
  const paid = await paidByDeclaration(t, decl.id);
  const owed = new Map(lines.filter((l) => l.amount !== '0.00').map((l) => [`party:${l.party}:wallet:CNY`, l.amount]));
  for (const [wallet, amount] of paid) expect([decl.id, wallet, amount]).toEqual([decl.id, wallet, owed.get(wallet)]);
  if (decl.state === 'DISTRIBUTED') expect([decl.id, paid.size]).toEqual([decl.id, owed.size]);
  const total = [...paid.values()].reduce((s, a) => s.plus(a), new Dec(0));
  expect([decl.id, total.toFixed(2)]).toEqual([decl.id, decl.paid.toFixed(2)]);
}

/** A command: `check` says whether it applies to the model's state; `act` runs it against both. */
function command(label: string, check: (m: Readonly<Model>) => boolean, act: (m: Model) => Promise<void>): fc.AsyncCommand<Model, Real> {
  return {
    check,
    run: async (m) => {
      const a = Date.now();
      await act(m);
      const b = Date.now();
      await invariants(m);
      timing.act += b - a;
      timing.check += Date.now() - b;
    },
    toString: () => label,
  };
}

// ------------------------------------------------------------------ the commands

const partyIndex = fc.nat({ max: 1000 });
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length];
const movementDate = fc.constantFrom(...MOVEMENT_DATES);
const someUnits = fc.integer({ min: 1, max: 250 });
const cents = (min: number, max: number) => fc.integer({ min, max }).map((n) => new Dec(n).div(100));

const tradeCommand = ({ s, b, u, date }: { s: number; b: number; u: number; date: string }) =>
  command(
    `trade(${s}→${b}, ${u}, ${date})`,
    (m) => pick(m.parties, s) !== pick(m.parties, b),
    async (m) => {
      const [seller, buyer] = [pick(m.parties, s), pick(m.parties, b)];
      const reasons = movementReasons(
        m,
        date,
        [seller],
        [
          [!m.holding.has(seller), 'NOT_A_HOLDER'],
          [units(m, seller) < BigInt(u), 'INSUFFICIENT_UNITS'],
        ],
      );
      await attempt(
        `trade ${seller} → ${buyer} ${u} on ${date}`,
        reasons,
        (em) => t.movements.trade(em, m.series, { seller, buyer, units: String(u), unitPrice: '0.01', effectiveDate: date }, key()),
        () => {
          move(m, date, seller, -BigInt(u), 0n);
          move(m, date, buyer, BigInt(u), 0n);
          m.holding.add(buyer);
        },
      );
    },
  );
const trade = fc.record({ s: partyIndex, b: partyIndex, u: someUnits, date: movementDate }).map(tradeCommand);

const inheritCommand = ({ f, h, date }: { f: number; h: number[]; date: string }) =>
  command(
    `inherit(${f}→${h.join('+')}, ${date})`,
    (m) => units(m, pick(m.parties, f)) > 0n && new Set(h.map((i) => pick(m.parties, i))).size === h.length && !h.some((i) => pick(m.parties, i) === pick(m.parties, f)),
    async (m) => {
      const from = pick(m.parties, f);
      const all = units(m, from);
      const heirs = h.map((i) => pick(m.parties, i)).slice(0, all > 1n ? 2 : 1);
      const shares = heirs.length === 1 ? [all] : [all / 2n, all - all / 2n];
      const reasons = movementReasons(m, date, [from], [[pledgedOf(m, from) > 0n, 'PLEDGED_UNITS_OUTSTANDING']]);
      await attempt(
        `inherit ${from} → ${heirs.join(', ')} on ${date}`,
        reasons,
        (em) =>
          t.movements.inherit(
            em,
            m.series,
            { from, heirs: heirs.map((party, i) => ({ party, units: shares[i].toString() })), documentReference: '继承公证书', effectiveDate: date },
            key(),
          ),
        () => {
          move(m, date, from, -all, 0n);
          heirs.forEach((party, i) => {
            move(m, date, party, shares[i], 0n);
            m.holding.add(party);
          });
        },
      );
    },
  );
const inherit = fc.record({ f: partyIndex, h: fc.uniqueArray(partyIndex, { minLength: 1, maxLength: 2 }), date: movementDate }).map(inheritCommand);

const pledgeCommand = ({ h, u, date }: { h: number; u: number; date: string }) =>
  command(
    `pledge(${h}, ${u}, ${date})`,
    (m) => pick(m.parties, h) !== world.bank,
    async (m) => {
      const holder = pick(m.parties, h);
      const reasons = movementReasons(
        m,
        date,
        [holder],
        [
          [!m.holding.has(holder), 'NOT_A_HOLDER'],
          [units(m, holder) < BigInt(u), 'INSUFFICIENT_UNITS'],
        ],
      );
      await attempt(
        `pledge ${holder} ${u} on ${date}`,
        reasons,
        (em) => t.movements.pledge(em, m.series, { holder, pledgee: world.bank, units: String(u), contractReference: '质押合同', effectiveDate: date }, key()),
        (outcome: MovementOutcome) => {
          move(m, date, holder, -BigInt(u), BigInt(u));
          m.pledges.push({ id: outcome.pledgeId!, holder, units: BigInt(u), active: true });
        },
      );
    },
  );
const pledge = fc.record({ h: partyIndex, u: someUnits, date: movementDate }).map(pledgeCommand);

const closePledgeCommand = ({ p, enforce, to, date }: { p: number; enforce: boolean; to: number | undefined; date: string }) =>
  command(
    `${enforce ? 'enforce' : 'release'}(#${p}${to === undefined ? '' : ` → ${to}`}, ${date})`,
    (m) => m.pledges.some((x) => x.active),
    async (m) => {
      const pledgeRow = pick(
        m.pledges.filter((x) => x.active),
        p,
      );
      const transferee = to === undefined ? world.bank : pick(m.parties, to);
      const reasons = movementReasons(m, date, [`${pledgeRow.holder}:pledged`], enforce ? [[transferee === pledgeRow.holder, 'SAME_PARTY']] : []);
      await attempt(
        `${enforce ? 'enforce' : 'release'} pledge ${pledgeRow.id} of ${pledgeRow.holder} on ${date}`,
        reasons,
        (em) =>
          enforce
            ? t.movements.enforcePledge(em, pledgeRow.id, { effectiveDate: date, ...(to === undefined ? {} : { transferee }) }, key())
            : t.movements.releasePledge(em, pledgeRow.id, { effectiveDate: date }, key()),
        () => {
          move(m, date, pledgeRow.holder, 0n, -pledgeRow.units);
          move(m, date, enforce ? transferee : pledgeRow.holder, pledgeRow.units, 0n);
          if (enforce) m.holding.add(transferee);
          pledgeRow.active = false;
        },
      );
    },
  );
const closePledge = fc.record({ p: fc.nat({ max: 100 }), enforce: fc.boolean(), to: fc.option(partyIndex, { nil: undefined }), date: movementDate }).map(closePledgeCommand);

const buyBackCommand = ({ h, u, date }: { h: number; u: number; date: string }) =>
  command(
    `buyBack(${h}, ${u}, ${date})`,
    (m) => pick(m.parties, h) !== world.farm,
    async (m) => {
      const holder = pick(m.parties, h);
      const reasons = movementReasons(
        m,
        date,
        [holder],
        [
          [!m.holding.has(holder), 'NOT_A_HOLDER'],
          [units(m, holder) < BigInt(u), 'INSUFFICIENT_UNITS'],
        ],
      );
      await attempt(
        `buy-back ${holder} ${u} on ${date}`,
        reasons,
        (em) => t.movements.buyBack(em, m.series, { holder, units: String(u), unitPrice: '0.01', effectiveDate: date }, key()),
        () => {
          move(m, date, holder, -BigInt(u), 0n);
          move(m, date, world.farm, BigInt(u), 0n);
        },
      );
    },
  );
const buyBack = fc.record({ h: partyIndex, u: someUnits, date: movementDate }).map(buyBackCommand);

const incomeCommand = ({ kind, amount, date }: { kind: (typeof INCOME_KINDS)[number]; amount: Dec; date: string }) =>
  command(
    `income(${kind}, ${amount.toFixed(2)})`,
    () => true,
    async (m) => {
      await attempt(
        'income',
        [],
        (em) => d.dividends.recordIncome(em, m.series, { kind, amount: amount.toFixed(2), bankReference: 'BK-MODEL', effectiveDate: date }, key()),
        (flow) => {
          m.incomes.push({ id: flow.id, amount, feeCharged: false });
          m.incomeTotal = m.incomeTotal.plus(amount);
          m.wallet = m.wallet.plus(amount);
        },
      );
    },
  );
const income = fc.record({ kind: fc.constantFrom(...INCOME_KINDS), amount: cents(100, 60_000), date: fc.constantFrom(...CASH_DATES) }).map(incomeCommand);

const topUpCommand = (actual: Dec) =>
  command(
    `topUp(actual ${actual.toFixed(2)})`,
    () => true,
    async (m) => {
      const amount = new Dec('50.00').minus(actual);
      await attempt(
        'guarantee top-up',
        [],
        (em) =>
          d.dividends.recordGuaranteeTopUp(
            em,
            m.series,
            { mode: 'RETURN', principal: '1000.00', annualRate: '0.05', years: '1', actualReturn: actual.toFixed(2), bankReference: 'BK-MODEL', effectiveDate: '2026-05-01' },
            key(),
          ),
        () => {
          m.incomeTotal = m.incomeTotal.plus(amount);
          m.wallet = m.wallet.plus(amount);
        },
      );
    },
  );
const topUp = cents(0, 4999).map(topUpCommand);

const costCommand = (amount: Dec) =>
  command(
    `cost(${amount.toFixed(2)})`,
    () => true,
    async (m) => {
      await attempt(
        'cost',
        amount.greaterThan(m.wallet) ? ['EXCEEDS_WALLET'] : [],
        (em) => d.dividends.recordCost(em, m.series, { amount: amount.toFixed(2), bankReference: 'BK-MODEL', description: '成本', effectiveDate: '2026-05-01' }, key()),
        () => {
          m.costs = m.costs.plus(amount);
          m.wallet = m.wallet.minus(amount);
        },
      );
    },
  );
const cost = cents(1, 30_000).map(costCommand);

const feeCommand = (i: number) =>
  command(
    `fee(#${i})`,
    (m) => m.incomes.length > 0,
    async (m) => {
      const base = pick(m.incomes, i);
      const amount = managementFee(base.amount, '0.08');
      await attempt(
        `fee on income ${base.id}`,
        [...(base.feeCharged ? ['FEE_ALREADY_CHARGED'] : []), ...(amount.greaterThan(m.wallet) ? ['EXCEEDS_WALLET'] : [])],
        (em) => d.dividends.chargeManagementFee(em, m.series, { incomeId: base.id, effectiveDate: '2026-05-02' }, key()),
        () => {
          base.feeCharged = true;
          m.fees = m.fees.plus(amount);
          m.wallet = m.wallet.minus(amount);
        },
      );
    },
  );
const fee = fc.nat({ max: 100 }).map(feeCommand);

/** A declaration of `percent` % of what is distributable now (at least 0.01): up to 120 %, so some go over. */
const declareCommand = ({ percent, r }: { percent: number; r: number }) =>
  command(
    `declare(${percent} %, ${RECORD_DATES[r]})`,
    () => true,
    async (m) => {
      const recordDate = RECORD_DATES[r];
      const amount = Dec.max(distributable(m).times(percent).div(100).toDecimalPlaces(2, Dec.ROUND_DOWN), '0.01');
      await attempt(
        `declare ${amount.toFixed(2)} at ${recordDate}`,
        [...(amount.greaterThan(distributable(m)) ? ['EXCEEDS_DISTRIBUTABLE'] : []), ...(amount.greaterThan(m.wallet) ? ['EXCEEDS_WALLET'] : [])],
        (em) => d.dividends.declare(em, maker, { project: m.series, amount: amount.toFixed(2), recordDate, paymentDate: dayShift(recordDate, 14), chunkSize: 3 }),
        (view) => {
          m.declarations.push({ id: view.id, amount, recordDate, state: 'DRAFT', paid: new Dec(0) });
        },
      );
    },
  );
const declare = fc.record({ percent: fc.integer({ min: 1, max: 120 }), r: fc.nat({ max: 2 }) }).map(declareCommand);

const approveCommand = (i: number) =>
  command(
    `approve(#${i})`,
    (m) => m.declarations.length > 0,
    async (m) => {
      const decl = pick(m.declarations, i);
      const reasons = decl.state !== 'DRAFT' && decl.state !== 'STALE' ? ['DECLARATION_STATE'] : [];
      if (decl.amount.greaterThan(distributable(m, decl))) reasons.push('EXCEEDS_DISTRIBUTABLE');
      if (decl.amount.greaterThan(m.wallet)) reasons.push('EXCEEDS_WALLET');
      await attempt(
        `approve ${decl.id}`,
        reasons,
        (em) => d.dividends.approve(em, decl.id, checker),
        async () => {
          decl.state = 'APPROVED';
          m.wallet = m.wallet.minus(decl.amount);
          m.reserve = m.reserve.plus(decl.amount);
          decl.snapshot = await t.series.register(m.series, decl.recordDate);
          const expected = registerAt(m, decl.recordDate);
          const seen = decl.snapshot.lines.filter((l) => l.units !== '0').map((l) => [l.partyCode, BigInt(l.units), BigInt(l.pledgedUnits)]);
          expect(seen.sort()).toEqual([...expected].map(([party, e]) => [party, e.units, e.pledged]).sort());
        },
      );
    },
  );
const approve = fc.nat({ max: 100 }).map(approveCommand);

const cancelCommand = (i: number) =>
  command(
    `cancel(#${i})`,
    (m) => m.declarations.length > 0,
    async (m) => {
      const decl = pick(m.declarations, i);
      await attempt(
        `cancel ${decl.id}`,
        ['DRAFT', 'APPROVED', 'STALE'].includes(decl.state) ? [] : ['DECLARATION_STATE'],
        (em) => d.dividends.cancel(em, decl.id, checker),
        () => {
          if (decl.state === 'APPROVED') {
            m.wallet = m.wallet.plus(decl.amount);
            m.reserve = m.reserve.minus(decl.amount);
          }
          decl.state = 'CANCELLED';
          decl.snapshot = undefined;
        },
      );
    },
  );
const cancel = fc.nat({ max: 100 }).map(cancelCommand);

/**
 * Runs the distribution as the worker does (the same service, in-process): to the end, or only `chunks` chunks (0: the
 * entitlements fixed, nothing paid yet), leaving it DISTRIBUTING, as a worker that died or a Redis that was lost would.
 */
const distributeCommand = ({ i, chunks }: { i: number; chunks: number | undefined }) =>
  command(
    `distribute(#${i}${chunks === undefined ? '' : `, ${chunks} chunks`})`,
    (m) => m.declarations.length > 0,
    async (m) => {
      const decl = pick(m.declarations, i);
      const outcome = await d.dividends.distribute(decl.id, chunks === undefined ? {} : { maxChunks: chunks });
      count(`distribute ${decl.state}`);
      if (decl.state !== 'APPROVED' && decl.state !== 'DISTRIBUTING') {
        expect([decl.id, outcome.state]).toEqual([decl.id, decl.state]);
        return;
      }
      if (chunks === undefined) expect([decl.id, outcome.state]).toEqual([decl.id, 'DISTRIBUTED']);
      else expect([decl.id, ['DISTRIBUTING', 'DISTRIBUTED'].includes(outcome.state)]).toEqual([decl.id, true]);
      if (chunks === 0) expect([decl.id, outcome.state]).toEqual([decl.id, 'DISTRIBUTING']);
      decl.state = outcome.state;
      // The reserve pays the holders: what this run paid leaves it (all of the amount once DISTRIBUTED).
      const paid = [...(await paidByDeclaration(t, decl.id)).values()].reduce((s, a) => s.plus(a), new Dec(0));
      m.reserve = m.reserve.minus(paid.minus(decl.paid));
      decl.paid = paid;
      if (decl.state === 'DISTRIBUTED') expect([decl.id, paid.toFixed(2)]).toEqual([decl.id, decl.amount.toFixed(2)]);
    },
  );
const distribute = fc.record({ i: fc.nat({ max: 100 }), chunks: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined, freq: 2 }) }).map(distributeCommand);

// ------------------------------------------------------------------ the property

/**
 * One life written out, run before the random ones so every run of the file covers the rules of
 * issue 13 (parties: 0 farm, 1 collective, 2–5 villagers, 6 outsider, 7 bank).
 */
const WRITTEN_OUT: Array<fc.AsyncCommand<Model, Real>> = [
  incomeCommand({ kind: 'HARVEST_FINAL', amount: new Dec('600.00'), date: '2026-05-01' }),
  feeCommand(0),
  topUpCommand(new Dec('10.00')),
  costCommand(new Dec('100.00')),
  declareCommand({ percent: 120, r: 1 }), // EXCEEDS_DISTRIBUTABLE (the 500.00 capital is in the wallet)
  declareCommand({ percent: 50, r: 1 }),
  tradeCommand({ s: 2, b: 6, u: 10, date: '2026-06-29' }), // a DRAFT leaves the register open
  approveCommand(0),
  tradeCommand({ s: 3, b: 6, u: 10, date: '2026-06-30' }), // REGISTER_CLOSED
  pledgeCommand({ h: 4, u: 20, date: '2026-07-01' }),
  closePledgeCommand({ p: 0, enforce: false, to: undefined, date: '2026-06-30' }), // REGISTER_CLOSED
  closePledgeCommand({ p: 0, enforce: true, to: 6, date: '2026-07-01' }),
  inheritCommand({ f: 5, h: [2, 3], date: '2026-06-29' }), // REGISTER_CLOSED
  buyBackCommand({ h: 2, u: 5, date: '2026-06-30' }), // REGISTER_CLOSED
  distributeCommand({ i: 0, chunks: 0 }), // DISTRIBUTING: entitlements fixed, nothing paid (a worker died here)
  tradeCommand({ s: 3, b: 6, u: 10, date: '2026-06-29' }), // REGISTER_CLOSED while DISTRIBUTING
  cancelCommand(0), // DECLARATION_STATE: too late to cancel
  approveCommand(0), // DECLARATION_STATE
  distributeCommand({ i: 0, chunks: 1 }),
  distributeCommand({ i: 0, chunks: undefined }), // resumed to the end
  declareCommand({ percent: 100, r: 2 }),
  approveCommand(1),
  cancelCommand(1), // reopens the register up to 2026-09-30
  tradeCommand({ s: 2, b: 6, u: 5, date: '2026-09-30' }),
  distributeCommand({ i: 1, chunks: undefined }),
];

/** Issues a fresh series (the "issue" of the series' life) and reads its opening register into a model. */
async function setup(): Promise<{ model: Model; real: Real }> {
  const started = Date.now();
  const series = `MB-${++runNo}`;
  // 1,000.00 in kind from the collective (30 % retained), 500.00 cash from the farm: 1,500 units, and 500.00 capital in the wallet.
  await lishuSeries(t, world, series, { parcels: 1, areaMu: '500.0000', collectiveRetainedRatio: '0.30', collectiveInKind: '1000.00', farmCash: '500.00' });
  const parties = [world.farm, world.collective, ...world.villagers, world.outsider, world.bank];
  const model: Model = {
    series,
    parties,
    free: new Map(),
    pledged: new Map(),
    holding: new Set(),
    last: new Map(),
    history: [],
    pledges: [],
    incomes: [],
    incomeTotal: new Dec(0),
    costs: new Dec(0),
    fees: new Dec(0),
    wallet: new Dec('500.00'),
    reserve: new Dec(0),
    declarations: [],
    totalUnits: 1500n,
  };
  const issued = await t.series.register(series, ISSUED_ON);
  for (const line of issued.lines) {
    move(model, ISSUED_ON, line.partyCode, BigInt(line.units), 0n);
    model.holding.add(line.partyCode);
  }
  timing.setup += Date.now() - started;
  return { model, real: {} };
}

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  d = dividendServices(t);
  world = await seedTicketWorld(t, { collective: 'C-MODEL', prefix: 'MB-', villagers: 4, households: 2, parcels: 400 });
  maker = await staffUser(t, 'FARM_OPERATOR');
  checker = await staffUser(t, 'APPROVER');
  // Buyers and the buying-back farm never run out of money: only the rules under test refuse.
  for (const party of [world.farm, world.collective, ...world.villagers, world.outsider, world.bank]) await deposit(t, party, '1000000.00');
});

it(`a series' life keeps its units, its closed registers, its exact dividends and its distributable limit (${RUNS} runs)`, async () => {
  // Printed so that a failure can be replayed: MODEL_SEED=<seed> npx jest test/integration/dividends-model.int-spec.ts
  console.log(`dividends model-based test: seed ${SEED}, ${RUNS} runs`);
  const weighted: Array<[fc.Arbitrary<fc.AsyncCommand<Model, Real>>, number]> = [
    [trade, 6],
    [inherit, 2],
    [pledge, 2],
    [closePledge, 3],
    [buyBack, 2],
    [income, 4],
    [topUp, 1],
    [cost, 1],
    [fee, 1],
    [declare, 4],
    [approve, 4],
    [cancel, 1],
    [distribute, 5],
  ];
  // Sequences of 15 to 35 commands (fc.commands favours short ones); a command whose check fails is skipped.
  const life = fc.array(fc.oneof(...weighted.map(([arbitrary, weight]) => ({ arbitrary, weight }))), { minLength: 15, maxLength: 35 });
  await fc.assert(
    fc.asyncProperty(life, (commands) => fc.asyncModelRun(setup, commands)),
    { seed: SEED, numRuns: RUNS, examples: [[WRITTEN_OUT]] },
  );
  console.log(
    `dividends model-based test: outcomes ${JSON.stringify(Object.fromEntries([...seen].sort()))}; ms in commands ${timing.act}, checks ${timing.check}, setups ${timing.setup}`,
  );
  for (const outcome of [
    'trade REGISTER_CLOSED',
    'release REGISTER_CLOSED',
    'inherit REGISTER_CLOSED',
    'buy-back REGISTER_CLOSED',
    'declare EXCEEDS_DISTRIBUTABLE',
    'distribute APPROVED',
    'distribute DISTRIBUTING',
    'cancel ok',
    'cancel DECLARATION_STATE',
  ]) {
    expect([outcome, (seen.get(outcome) ?? 0) > 0]).toEqual([outcome, true]);
  }
}, 300_000);
