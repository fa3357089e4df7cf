import { LedgerReads } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform/database/transaction';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { LedgerFactory } from '../factories/ledger.factory';
import { seededRandom } from '../fixtures/tables';
import { useTestDatabase } from '../setup/test-database';

/**
 * The per-period totals (ledger_account_years, _months over ledger_account_days, issue 21 B6): entries over
 * two and a half years posted in random order (most backdated into earlier months and years), batches, and
 * reversals; then every read as of a date (balances, LedgerReads, registers, trial balance by owner, statement
 * openings) equals the sums of the postings, on every month and year boundary (Dec 31/Jan 1, Feb 28/29/Mar 1)
 * and on random days. A fast-check property does the same on fresh accounts per run. The chain verifier reports
 * a month or year row that differs from the postings.
 */
const db = useTestDatabase();
let f: LedgerFactory;
const reads = new LedgerReads();
const BANK = 'bank:PERIODS:CNY';
const WALLETS = ['party:PA:wallet:CNY', 'party:PB:wallet:CNY', 'party:PC:wallet:CNY'];
const ALL = [BANK, ...WALLETS];

const START = Date.UTC(2023, 10, 1); // 2023-11-01
const SPAN = 900; // days: to mid-April 2026
const day = (n: number) => new Date(START + n * 86_400_000).toISOString().slice(0, 10);
const dayBefore = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
const BOUNDARIES = [
  '2023-10-31',
  '2023-11-01',
  '2023-11-30',
  '2023-12-01',
  '2023-12-31',
  '2024-01-01',
  '2024-01-31',
  '2024-02-01',
  '2024-02-28',
  '2024-02-29',
  '2024-03-01',
  '2024-06-30',
  '2024-12-31',
  '2025-01-01',
  '2025-02-28',
  '2025-03-01',
  '2025-12-31',
  '2026-01-01',
  '2026-04-30',
];
const cents = (n: number) => (n / 100).toFixed(2);

/** Balance by normal side from the postings themselves, per account of `codes`, as of `date`. */
async function fromPostings(date: string, codes: readonly string[] = ALL): Promise<Record<string, string>> {
  const rows = await db.dataSource.query<Array<{ code: string; b: string }>>(
    `SELECT a.code, (CASE a.normal_side WHEN 'DEBIT' THEN 1 ELSE -1 END * COALESCE(SUM(CASE p.side WHEN 'DEBIT' THEN p.amount ELSE -p.amount END), 0))::numeric(20,2)::text AS b
       FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id AND p.effective_date <= $1::date WHERE a.code = ANY($2::text[]) GROUP BY a.id`,
    [date, codes],
  );
  return Object.fromEntries(rows.map((r) => [r.code, r.b]));
}

/** The trial balance from the postings: per asset the sums of net debit and of net credit balances, per owner and asset the totals. */
async function trialBalanceFromPostings(date: string) {
  const [assets, owners] = await Promise.all([
    db.dataSource.query<Array<{ asset: string; accounts: number; debitBalances: string; creditBalances: string }>>(
      `WITH b AS (SELECT a.id, a.asset_code, COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'DEBIT'), 0) AS d, COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'CREDIT'), 0) AS c
                  FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id AND p.effective_date <= $1::date GROUP BY a.id)
       SELECT s.code AS asset, COUNT(b.id)::int AS accounts, to_char(COALESCE(SUM(GREATEST(b.d - b.c, 0)), 0), 'FM999999999990.' || repeat('0', s.scale)) AS "debitBalances",
              to_char(COALESCE(SUM(GREATEST(b.c - b.d, 0)), 0), 'FM999999999990.' || repeat('0', s.scale)) AS "creditBalances"
       FROM ledger_assets s LEFT JOIN b ON b.asset_code = s.code GROUP BY s.code, s.scale ORDER BY s.code`,
      [date],
    ),
    db.dataSource.query<Array<{ ownerRef: string | null; asset: string; debits: string; credits: string }>>(
      `SELECT a.owner_ref AS "ownerRef", a.asset_code AS asset,
              COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'DEBIT'), 0)::numeric(20,2)::text AS debits,
              COALESCE(SUM(p.amount) FILTER (WHERE p.side = 'CREDIT'), 0)::numeric(20,2)::text AS credits
       FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id AND p.effective_date <= $1::date
       GROUP BY a.owner_ref, a.asset_code ORDER BY a.owner_ref NULLS FIRST, a.asset_code`,
      [date],
    ),
  ]);
  return { assets, owners };
}

/** Every as-of read of `codes` on `date` next to the same figure summed from the postings. */
async function expectReadsMatchPostings(date: string, codes: readonly string[]): Promise<void> {
  const expected = await fromPostings(date, codes);
  for (const code of codes) expect([date, code, (await f.reports.balanceAsOf(code, date)).balance]).toEqual([date, code, expected[code]]);
  const viaReads = await reads.balances(db.dataSource.manager, [...codes], date);
  expect([date, Object.fromEntries([...viaReads].map(([k, v]) => [k, v.toFixed(2)]))]).toEqual([date, expected]);
  const openings = await fromPostings(dayBefore(date), codes);
  for (const code of codes) {
    const page = await f.reports.statement(code, { from: date, to: date, limit: 1 });
    expect([date, code, page.openingBalance]).toEqual([date, code, openings[code]]);
  }
}

beforeAll(async () => {
  f = new LedgerFactory(db.dataSource);
  await f.asset('CNY', 2);
  await f.account(BANK, 'CNY', 'ASSET');
  for (const w of WALLETS) await f.account(w, 'CNY', 'LIABILITY', { ownerRef: `party:${w.split(':')[1]}` });
  const rnd = seededRandom(2024);
  const pickDate = () => (rnd() < 0.4 ? BOUNDARIES[1 + Math.floor(rnd() * (BOUNDARIES.length - 2))] : day(Math.floor(rnd() * SPAN)));
  const pickAccount = () => ALL[Math.floor(rnd() * ALL.length)];
  const posted: string[] = [];
  for (let i = 0; i < 80; i++) {
    const from = pickAccount();
    const to = ALL.find((c) => c !== from && rnd() < 0.5) ?? ALL.find((c) => c !== from)!;
    const amount = cents(1 + Math.floor(rnd() * 100_000));
    if (i % 10 === 9) {
      // a batch over several periods: one statement updates day, month and year rows of several dates and accounts
      const drafts = [pickDate(), pickDate(), pickDate()].map((effectiveDate) =>
        f.draft(
          [
            [from, 'DEBIT', amount],
            [to, 'CREDIT', amount],
          ],
          { effectiveDate },
        ),
      );
      await inTransaction(db.dataSource, (em) => f.ledger.postBatch(em, drafts));
    } else {
      const result = await f.transfer(from, to, amount, { effectiveDate: pickDate() });
      posted.push(result.entry.id);
    }
    if (i % 7 === 6) {
      // a reversal, on its own (random, often earlier) date or the original's
      const entryId = posted.splice(Math.floor(rnd() * posted.length), 1)[0];
      await inTransaction(db.dataSource, (em) => f.ledger.reverse(em, entryId, { idempotencyKey: randomUUID(), effectiveDate: rnd() < 0.5 ? pickDate() : undefined }));
    }
  }
});

describe('ledger period totals (years, months, days)', () => {
  it('gives, as of every boundary and random date, the balances, reads and statement openings the postings sum to', async () => {
    const rnd = seededRandom(7);
    const dates = [...BOUNDARIES, ...Array.from({ length: 30 }, () => day(Math.floor(rnd() * SPAN)))];
    for (const date of dates) await expectReadsMatchPostings(date, ALL);
  });

  it('gives the registers and the trial balance (per asset and per owner) the postings sum to', async () => {
    const rnd = seededRandom(8);
    for (const date of [...BOUNDARIES, ...Array.from({ length: 10 }, () => day(Math.floor(rnd() * SPAN)))]) {
      const expected = await fromPostings(date);
      const register = await f.reports.balancesOfAssetAsOf('CNY', 'LIABILITY', date);
      expect([date, register.map((r) => [r.account, r.balance])]).toEqual([date, WALLETS.filter((w) => expected[w] !== '0.00').map((w) => [w, expected[w]])]);
      const tb = await f.reports.trialBalance({ asOf: date, byOwner: true });
      const want = await trialBalanceFromPostings(date);
      expect([date, tb.assets.map(({ balanced: _, ...a }) => a)]).toEqual([date, want.assets]);
      expect([date, tb.owners!.map(({ net: _, ...o }) => o)]).toEqual([date, want.owners]);
    }
  });

  it('holds for random backdated entries on fresh accounts (property)', async () => {
    let run = 0;
    const entry = fc.record({ n: fc.integer({ min: 0, max: SPAN }), from: fc.nat({ max: 2 }), hop: fc.integer({ min: 1, max: 2 }), cents: fc.integer({ min: 1, max: 1_000_000 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 1, maxLength: 12 }),
        fc.array(fc.integer({ min: -1, max: SPAN + 1 }), { minLength: 1, maxLength: 6 }),
        async (entries, checks) => {
          run += 1;
          const codes = [0, 1, 2].map((i) => `prop:${run}:${i}:CNY`);
          for (const code of codes) await f.account(code, 'CNY', 'LIABILITY');
          for (const e of entries) await f.transfer(codes[e.from], codes[(e.from + e.hop) % 3], cents(e.cents), { effectiveDate: day(e.n) });
          for (const n of [...checks, ...entries.map((e) => e.n)]) await expectReadsMatchPostings(day(n), codes);
        },
      ),
      { numRuns: 15, seed: 21 },
    );
  });

  it('is checked by the chain verifier: a month or a year row that differs from the postings is reported', async () => {
    expect((await f.verifier.verify()).ok).toBe(true);
    for (const [table, column] of [
      ['ledger_account_months', 'month'],
      ['ledger_account_years', 'year'],
    ]) {
      const row = `(SELECT account_id, ${column} FROM ${table} ORDER BY ${column}, account_id LIMIT 1)`;
      await db.dataSource.query(`UPDATE ${table} SET debits = debits + 1 WHERE (account_id, ${column}) = ${row}`);
      const report = await f.verifier.verify();
      expect([table, report.ok, report.reason]).toEqual([table, false, expect.stringMatching(/month or year totals differ/) as unknown]);
      await db.dataSource.query(`UPDATE ${table} SET debits = debits - 1 WHERE (account_id, ${column}) = ${row}`);
      expect((await f.verifier.verify()).ok).toBe(true);
    }
    // a period row with no postings at all (a stray row) is reported too
    const [{ id }] = await db.dataSource.query<Array<{ id: string }>>(`SELECT id::text FROM ledger_accounts WHERE code = $1`, [BANK]);
    await db.dataSource.query(`INSERT INTO ledger_account_months (account_id, month, debits, credits) VALUES ($1, '2019-06-01', 0, 5)`, [id]);
    expect((await f.verifier.verify()).reason).toMatch(/month or year totals differ/);
    await db.dataSource.query(`DELETE FROM ledger_account_months WHERE account_id = $1 AND month = '2019-06-01'`, [id]);
    expect((await f.verifier.verify()).ok).toBe(true);
  });
});
