import { LedgerReads } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform/database/transaction';
import { LedgerFactory } from '../factories/ledger.factory';
import { seededRandom } from '../fixtures/tables';
import { useTestDatabase } from '../setup/test-database';

/**
 * Property-style check of the per-account day totals (ledger_account_days, issue 21): random entries,
 * most of them backdated and some in batches with several postings per account and day, then the balance
 * as of every date (reports, LedgerReads, trial balance, statements) equals the sum of the postings.
 */
const db = useTestDatabase();
let f: LedgerFactory;
const reads = new LedgerReads();
const BANK = 'bank:ICBC-YC:CNY';
const WALLETS = ['party:A:wallet:CNY', 'party:B:wallet:CNY', 'party:C:wallet:CNY'];
const ALL = [BANK, ...WALLETS];

const day = (n: number) => new Date(Date.UTC(2025, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
const DAYS = 40;

/** Balance by normal side from the postings themselves, per account, as of `date`. */
async function fromPostings(date: string): Promise<Record<string, string>> {
  const rows = await db.dataSource.query<Array<{ code: string; b: string }>>(
    `SELECT a.code, (CASE a.normal_side WHEN 'DEBIT' THEN 1 ELSE -1 END * COALESCE(SUM(CASE p.side WHEN 'DEBIT' THEN p.amount ELSE -p.amount END), 0))::numeric(20,2)::text AS b
       FROM ledger_accounts a LEFT JOIN ledger_postings p ON p.account_id = a.id AND p.effective_date <= $1::date GROUP BY a.id`,
    [date],
  );
  return Object.fromEntries(rows.map((r) => [r.code, r.b]));
}

beforeAll(async () => {
  f = new LedgerFactory(db.dataSource);
  await f.cnyWorld(WALLETS);
  const rnd = seededRandom(21);
  const held = new Map(WALLETS.map((w) => [w, 0]));
  const cents = (n: number) => (n / 100).toFixed(2);
  for (let i = 0; i < 60; i++) {
    const date = day(Math.floor(rnd() * DAYS)); // any day, mostly before the latest one already posted
    const to = WALLETS[Math.floor(rnd() * WALLETS.length)];
    const amount = 1 + Math.floor(rnd() * 10_000);
    if (i % 10 === 9) {
      // a batch: several entries on one day for the same accounts (one day row updated several times in one statement)
      const drafts = [0, 1, 2].map(() =>
        f.draft(
          [
            [BANK, 'DEBIT', cents(amount)],
            [to, 'CREDIT', cents(amount)],
          ],
          { effectiveDate: date },
        ),
      );
      await inTransaction(db.dataSource, (em) => f.ledger.postBatch(em, drafts));
      held.set(to, held.get(to)! + 3 * amount);
    } else {
      await f.transfer(BANK, to, cents(amount), { effectiveDate: date });
      held.set(to, held.get(to)! + amount);
    }
    const from = WALLETS[Math.floor(rnd() * WALLETS.length)];
    const back = Math.floor(held.get(from)! * rnd() * 0.5);
    if (back > 0) {
      // wallet → wallet or back to the bank, also on a random (often earlier) day
      const target = rnd() < 0.5 ? BANK : WALLETS.find((w) => w !== from)!;
      await f.transfer(from, target, cents(back), { effectiveDate: day(Math.floor(rnd() * DAYS)) });
      held.set(from, held.get(from)! - back);
      if (target !== BANK) held.set(target, held.get(target)! + back);
    }
  }
});

describe('ledger_account_days', () => {
  it('gives, as of every date, the balances the postings sum to (reports, reads, trial balance)', async () => {
    for (let n = -1; n <= DAYS; n++) {
      const date = day(n);
      const expected = await fromPostings(date);
      for (const code of ALL) expect([date, code, (await f.reports.balanceAsOf(code, date)).balance]).toEqual([date, code, expected[code]]);
      const viaReads = await reads.balances(db.dataSource.manager, ALL, date);
      expect(Object.fromEntries([...viaReads].map(([k, v]) => [k, v.toFixed(2)]))).toEqual(expected);
      const register = await f.reports.balancesOfAssetAsOf('CNY', 'LIABILITY', date);
      expect(register).toEqual(
        WALLETS.filter((w) => expected[w] !== '0.00').map((w) => ({
          account: w,
          accountId: expect.stringMatching(/^\d+$/) as unknown,
          ownerRef: `party:${w.split(':')[1]}`,
          balance: expected[w],
        })),
      );
      const tb = await f.reports.trialBalance({ asOf: date });
      // net debit balances: the bank's when positive and any wallet overdrawn as of that date; net credit balances the reverse
      const cents = (code: string) => Math.round(Number(expected[code]) * 100);
      const debit = ALL.reduce((s, c) => s + Math.max(c === BANK ? cents(c) : -cents(c), 0), 0);
      const credit = ALL.reduce((s, c) => s + Math.max(c === BANK ? -cents(c) : cents(c), 0), 0);
      expect(tb.assets).toEqual([{ asset: 'CNY', accounts: 4, debitBalances: (debit / 100).toFixed(2), creditBalances: (credit / 100).toFixed(2), balanced: true }]);
    }
  });

  it('pages statements whose openings, running and closing balances match the postings', async () => {
    for (const code of ALL) {
      const from = day(10);
      let cursor: string | undefined;
      let expectedOpening = (await fromPostings(day(9)))[code];
      const closing = (await fromPostings(day(30)))[code];
      let pages = 0;
      do {
        const page = await f.reports.statement(code, { from, to: day(30), limit: 3, cursor });
        expect([code, pages, page.openingBalance, page.closingBalance]).toEqual([code, pages, expectedOpening, closing]);
        if (page.lines.length > 0) expectedOpening = page.lines[page.lines.length - 1].runningBalance;
        cursor = page.nextCursor ?? undefined;
        pages += 1;
      } while (cursor);
      expect(expectedOpening).toBe((await fromPostings(day(30)))[code]);
    }
  });

  it('is checked by the chain verifier: a day row that differs from the postings is reported', async () => {
    expect((await f.verifier.verify()).ok).toBe(true);
    await db.dataSource.query(
      `UPDATE ledger_account_days SET credits = credits + 1 WHERE (account_id, day) = (SELECT account_id, day FROM ledger_account_days ORDER BY day DESC, account_id LIMIT 1)`,
    );
    const report = await f.verifier.verify();
    expect(report.ok).toBe(false);
    expect(report.reason).toMatch(/day totals differ/);
    await db.dataSource.query(
      `UPDATE ledger_account_days SET credits = credits - 1 WHERE (account_id, day) = (SELECT account_id, day FROM ledger_account_days ORDER BY day DESC, account_id LIMIT 1)`,
    );
    expect((await f.verifier.verify()).ok).toBe(true);
  });
});
