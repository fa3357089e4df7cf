import type Decimal from 'decimal.js';
import fc from 'fast-check';
import { Dec } from './amount';
import {
  ACCOUNT_TYPES,
  AccountState,
  AccountType,
  balanceOf,
  checkDraftShape,
  EntryDraft,
  EntryPlanner,
  isIsoDate,
  MAX_POSTINGS,
  mirrorPostings,
  normalSideOf,
  PostingDraft,
  Side,
} from './entry';
import { LedgerError, LedgerErrorCode } from './errors';
import { entryHash } from './hash';

const HEX64 = /^[0-9a-f]{64}$/;
const BOOKED_AT = '2025-03-01T08:00:00.000Z';

function ledgerErrorOf(fn: () => unknown): LedgerError {
  try {
    fn();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(LedgerError);
    return e as LedgerError;
  }
  throw new Error('expected a LedgerError, but nothing was thrown');
}

function expectCode(fn: () => unknown, code: LedgerErrorCode): LedgerError {
  const err = ledgerErrorOf(fn);
  expect(err.code).toBe(code);
  return err;
}

function account(code: string, init: Partial<Omit<AccountState, 'debits' | 'credits'>> & { debits?: Decimal.Value; credits?: Decimal.Value } = {}): AccountState {
  return {
    id: `id-${code}`,
    code,
    assetCode: 'CNY',
    scale: 2,
    normalSide: 'DEBIT',
    noOverdraft: false,
    frozen: false,
    closed: false,
    headHash: null,
    ...init,
    debits: new Dec(init.debits ?? 0),
    credits: new Dec(init.credits ?? 0),
  };
}

const debit = (acct: string, amount: string): PostingDraft => ({ account: acct, side: 'DEBIT', amount });
const credit = (acct: string, amount: string): PostingDraft => ({ account: acct, side: 'CREDIT', amount });

function draft(postings: PostingDraft[], init: Partial<EntryDraft> = {}): EntryDraft {
  return { idempotencyKey: 'key-1', kind: 'TRANSFER', effectiveDate: '2025-03-01', postings, ...init };
}

/** Snapshot of a state with Decimals as text, for exact equality. */
function snap(state: AccountState | undefined): Record<string, unknown> | undefined {
  if (!state) return undefined;
  return { ...state, debits: state.debits.toString(), credits: state.credits.toString() };
}

describe('normalSideOf', () => {
  it('is DEBIT for assets and expenses, CREDIT for liabilities, equity and income', () => {
    const expected: Record<AccountType, Side> = { ASSET: 'DEBIT', EXPENSE: 'DEBIT', LIABILITY: 'CREDIT', EQUITY: 'CREDIT', INCOME: 'CREDIT' };
    for (const type of ACCOUNT_TYPES) expect(normalSideOf(type)).toBe(expected[type]);
  });
});

describe('balanceOf', () => {
  it('is debits − credits on a debit-normal account and credits − debits on a credit-normal one', () => {
    expect(balanceOf({ normalSide: 'DEBIT', debits: new Dec('10.5'), credits: new Dec('3') }).toString()).toBe('7.5');
    expect(balanceOf({ normalSide: 'CREDIT', debits: new Dec('10.5'), credits: new Dec('3') }).toString()).toBe('-7.5');
  });
});

describe('isIsoDate', () => {
  it.each(['2025-03-01', '2024-02-29', '2000-02-29', '1999-12-31', '0001-01-01', '9999-12-31'])('accepts %s', (text) => {
    expect(isIsoDate(text)).toBe(true);
  });

  it.each([
    '2025-02-30',
    '2025-02-29',
    '1900-02-29',
    '2025-04-31',
    '2025-13-01',
    '2025-00-10',
    '2025-01-00',
    '2025-01-32',
    '2025-1-5',
    '20250301',
    '2025/03/01',
    '2025-03-01T00:00:00Z',
    ' 2025-03-01',
    '2025-03-01 ',
    '+02025-03-01',
    '２０２５-03-01',
    '',
  ])('rejects %p', (text) => {
    expect(isIsoDate(text)).toBe(false);
  });

  it('agrees with a Date round trip on every YYYY-MM-DD of months 00-13 and days 00-32 around leap rules', () => {
    // The Date-based check isIsoDate was before.
    const byDate = (text: string) => {
      const d = new Date(`${text}T00:00:00Z`);
      return !text.startsWith('0000') && !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text;
    };
    for (const year of ['0000', '0001', '0004', '0100', '1900', '2000', '2023', '2024', '2100', '9999']) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          const text = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
          expect([text, isIsoDate(text)]).toEqual([text, byDate(text)]);
        }
      }
    }
  });

  it('accepts the ISO date of every instant in years 1..9999', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('0001-01-01T00:00:00Z'), max: new Date('9999-12-31T23:59:59Z'), noInvalidDate: true }), (d) => {
        expect(isIsoDate(d.toISOString().slice(0, 10))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('checkDraftShape', () => {
  const two = [debit('a', '1'), credit('b', '1')];

  it('accepts a well-formed draft', () => {
    expect(() => checkDraftShape(draft(two))).not.toThrow();
    expect(() => checkDraftShape(draft(two, { kind: 'AB', idempotencyKey: 'k'.repeat(200) }))).not.toThrow();
    expect(() => checkDraftShape(draft(Array.from({ length: MAX_POSTINGS }, (_, i) => debit(`a${i}`, '1'))))).not.toThrow();
  });

  it.each([0, 1, MAX_POSTINGS + 1])('refuses %d postings with INVALID_ENTRY', (n) => {
    const err = expectCode(() => checkDraftShape(draft(Array.from({ length: n }, (_, i) => debit(`a${i}`, '1')))), 'INVALID_ENTRY');
    expect(err.field).toBe('entry.postings');
  });

  it('refuses a draft without postings', () => {
    const noPostings = { idempotencyKey: 'k', kind: 'TRANSFER', effectiveDate: '2025-03-01' } as unknown as EntryDraft;
    expectCode(() => checkDraftShape(noPostings), 'INVALID_ENTRY');
  });

  it.each(['transfer', 'Transfer', 'T', '1TRANSFER', '_TRANSFER', 'TICKET-TRANSFER', 'TICKET TRANSFER', '', `T${'X'.repeat(64)}`])('refuses kind %p', (kind) => {
    expect(expectCode(() => checkDraftShape(draft(two, { kind })), 'INVALID_ENTRY').field).toBe('entry.kind');
  });

  it.each(['2025-02-30', '2025-3-1', '', 'yesterday'])('refuses effectiveDate %p', (effectiveDate) => {
    expect(expectCode(() => checkDraftShape(draft(two, { effectiveDate })), 'INVALID_ENTRY').field).toBe('entry.effectiveDate');
  });

  it.each(['', 'k'.repeat(401)])('refuses an idempotency key of length %#', (idempotencyKey) => {
    expect(expectCode(() => checkDraftShape(draft(two, { idempotencyKey })), 'INVALID_ENTRY').field).toBe('entry.idempotencyKey');
  });

  it('refuses an account debited and credited in one entry with DUPLICATE_POSTING naming the second posting', () => {
    const err = expectCode(() => checkDraftShape(draft([debit('a', '1'), credit('b', '2'), credit('a', '1'), debit('b', '2')])), 'DUPLICATE_POSTING');
    expect(err.kind).toBe('rule');
    expect(err.field).toBe('entry.postings[2].account');
    expect(err.message).toContain('postings[0]');
    expect(err.details).toEqual({ account: 'a', postings: [0, 2] });
  });

  it('refuses a repeated posting with DUPLICATE_POSTING', () => {
    const err = expectCode(() => checkDraftShape(draft([debit('a', '1'), debit('a', '1'), credit('b', '2')]), 'entries[4]'), 'DUPLICATE_POSTING');
    expect(err.field).toBe('entries[4].postings[1].account');
  });

  it('lets a declared clearing account appear once on each side, never twice on one side', () => {
    const through = [debit('buyer', '10'), credit('revenue', '10'), debit('revenue', '10'), credit('share', '10')];
    expect(() => checkDraftShape(draft(through, { clearingAccounts: ['revenue'] }))).not.toThrow();
    expect(expectCode(() => checkDraftShape(draft(through)), 'DUPLICATE_POSTING').field).toBe('entry.postings[2].account');
    const twice = [debit('buyer', '10'), credit('revenue', '5'), credit('revenue', '5')];
    expect(expectCode(() => checkDraftShape(draft(twice, { clearingAccounts: ['revenue'] })), 'DUPLICATE_POSTING').field).toBe('entry.postings[2].account');
  });

  it('property: a draft is refused as DUPLICATE_POSTING exactly when some account appears twice', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 2, maxLength: 6 }), (accounts) => {
        const postings = accounts.map((a, i) => (i % 2 ? credit(a, '1') : debit(a, '1')));
        const distinct = new Set(accounts).size === accounts.length;
        if (distinct) expect(() => checkDraftShape(draft(postings))).not.toThrow();
        else
          expect(expectCode(() => checkDraftShape(draft(postings)), 'DUPLICATE_POSTING').field).toBe(
            `entry.postings[${accounts.findIndex((a, i) => accounts.indexOf(a) !== i)}].account`,
          );
      }),
    );
  });

  it('prefixes fields with the given path', () => {
    const err = expectCode(() => checkDraftShape(draft(two, { kind: 'bad' }), 'entries[3]'), 'INVALID_ENTRY');
    expect(err.field).toBe('entries[3].kind');
    expect(err.message).toContain('entries[3].kind');
  });
});

describe('mirrorPostings', () => {
  it('flips every side and keeps accounts, amounts and order', () => {
    const postings = [debit('a', '10.00'), credit('b', '7.50'), credit('c', '2.50')];
    expect(mirrorPostings(postings)).toEqual([credit('a', '10.00'), debit('b', '7.50'), debit('c', '2.50')]);
    expect(mirrorPostings(mirrorPostings(postings))).toEqual(postings);
  });

  it('does not mutate its input', () => {
    const postings = [debit('a', '1'), credit('b', '1')];
    mirrorPostings(postings);
    expect(postings).toEqual([debit('a', '1'), credit('b', '1')]);
  });

  it('planned after the original, brings every balance back to where it started', () => {
    const planner = new EntryPlanner([account('cash', { debits: '5' }), account('revenue', { normalSide: 'CREDIT', noOverdraft: true })]);
    const postings = [debit('cash', '12.34'), credit('revenue', '12.34')];
    planner.plan(draft(postings), BOOKED_AT);
    planner.plan(draft(mirrorPostings(postings), { idempotencyKey: 'key-2', kind: 'REVERSAL' }), BOOKED_AT);
    expect(balanceOf(planner.state('cash')!).toString()).toBe('5');
    expect(balanceOf(planner.state('revenue')!).isZero()).toBe(true);
  });
});

describe('EntryPlanner', () => {
  const base = (): AccountState[] => [
    account('cash', { normalSide: 'DEBIT', debits: '1000' }),
    account('bank', { normalSide: 'DEBIT' }),
    account('revenue', { normalSide: 'CREDIT' }),
    account('equity', { normalSide: 'CREDIT', credits: '1000' }),
    account('wallet', { normalSide: 'CREDIT', noOverdraft: true, credits: '50' }),
    account('frozen', { frozen: true }),
    account('closed', { closed: true }),
    account('timber-a', { assetCode: 'TIMBER_M3', scale: 3 }),
    account('timber-b', { assetCode: 'TIMBER_M3', scale: 3, normalSide: 'CREDIT' }),
  ];

  describe('a balanced entry', () => {
    it('applies debits and credits to the working states and hashes the entry', () => {
      const planner = new EntryPlanner(base());
      const d = draft([debit('bank', '100.00'), credit('revenue', '60'), credit('equity', '40.5'), debit('cash', '0.5')]);
      const planned = planner.plan(d, BOOKED_AT);

      expect(planned.hash).toMatch(HEX64);
      expect(planned.draft).toBe(d);
      expect(planned.bookedAt).toBe(BOOKED_AT);
      expect(planned.postings.map((p) => [p.accountId, p.account, p.side, p.amount.toString()])).toEqual([
        ['id-bank', 'bank', 'DEBIT', '100.00'],
        ['id-revenue', 'revenue', 'CREDIT', '60.00'],
        ['id-equity', 'equity', 'CREDIT', '40.50'],
        ['id-cash', 'cash', 'DEBIT', '0.50'],
      ]);

      const bank = planner.state('bank')!;
      const revenue = planner.state('revenue')!;
      expect(bank.debits.toString()).toBe('100');
      expect(bank.credits.toString()).toBe('0');
      expect(revenue.debits.toString()).toBe('0');
      expect(revenue.credits.toString()).toBe('60');
      expect(balanceOf(bank).toString()).toBe('100');
      expect(balanceOf(revenue).toString()).toBe('60');
      expect(planner.state('equity')!.credits.toString()).toBe('1040.5');
      expect(planner.state('cash')!.debits.toString()).toBe('1000.5');
      for (const code of ['bank', 'revenue', 'equity', 'cash']) expect(planner.state(code)!.headHash).toBe(planned.hash);
      // Untouched accounts keep their state.
      expect(snap(planner.state('wallet'))).toEqual(snap(account('wallet', { normalSide: 'CREDIT', noOverdraft: true, credits: '50' })));
    });

    it('hashes exactly the documented content chained to the previous heads of the touched accounts', () => {
      const states = base().map((s) => (s.code === 'cash' ? { ...s, headHash: 'f'.repeat(64) } : s));
      const planner = new EntryPlanner(states);
      const d = draft([debit('bank', '10'), credit('cash', '10')], { memo: 'm', metadata: { b: 1, a: 2 }, reversesEntryId: 'rev' });
      const planned = planner.plan(d, BOOKED_AT);
      const expected = entryHash(
        {
          idempotencyKey: 'key-1',
          kind: 'TRANSFER',
          effectiveDate: '2025-03-01',
          bookedAt: BOOKED_AT,
          memo: 'm',
          metadata: { a: 2, b: 1 },
          reversesEntryId: 'rev',
          postings: [
            { account: 'bank', side: 'DEBIT', amount: '10.00' },
            { account: 'cash', side: 'CREDIT', amount: '10.00' },
          ],
        },
        new Map([
          ['cash', 'f'.repeat(64)],
          ['bank', null],
        ]),
      );
      expect(planned.hash).toBe(expected);
    });

    it('treats a missing memo, metadata and reversal as null, {} and null', () => {
      const a = new EntryPlanner(base()).plan(draft([debit('bank', '1'), credit('cash', '1')]), BOOKED_AT);
      const b = new EntryPlanner(base()).plan(draft([debit('bank', '1'), credit('cash', '1')], { memo: null, metadata: {}, reversesEntryId: null }), BOOKED_AT);
      expect(a.hash).toBe(b.hash);
    });

    it('accepts a reversal of an entry that named an account twice (booked before the rule)', () => {
      const planner = new EntryPlanner(base());
      planner.plan(draft([debit('bank', '5'), credit('bank', '5')], { reversesEntryId: '7' }), BOOKED_AT);
      expect(planner.state('bank')!.debits.toString()).toBe('5');
      expect(planner.state('bank')!.credits.toString()).toBe('5');
    });

    it('does not mutate the states it was built from', () => {
      const states = base();
      const before = states.map(snap);
      const planner = new EntryPlanner(states);
      planner.plan(draft([debit('bank', '100'), credit('cash', '100')]), BOOKED_AT);
      expect(states.map(snap)).toEqual(before);
    });

    it('accepts two assets in one entry when each balances', () => {
      const planner = new EntryPlanner(base());
      planner.plan(draft([debit('bank', '10'), credit('cash', '10'), debit('timber-a', '1.234'), credit('timber-b', '1.234')]), BOOKED_AT);
      expect(planner.state('timber-a')!.debits.toString()).toBe('1.234');
      expect(planner.state('timber-b')!.credits.toString()).toBe('1.234');
    });
  });

  describe('refusals', () => {
    /** Plans `d` on a fresh planner, expects `code`, and checks that nothing was applied. */
    function refuse(d: EntryDraft, code: LedgerErrorCode): LedgerError {
      const planner = new EntryPlanner(base());
      const before = base().map((s) => snap(planner.state(s.code)));
      const err = expectCode(() => planner.plan(d, BOOKED_AT), code);
      expect(base().map((s) => snap(planner.state(s.code)))).toEqual(before);
      return err;
    }

    it('refuses debits ≠ credits with LEDGER_UNBALANCED', () => {
      const err = refuse(draft([debit('bank', '100.00'), credit('revenue', '99.99')]), 'LEDGER_UNBALANCED');
      expect(err.field).toBe('entry.postings');
      expect(err.details).toEqual({ asset: 'CNY', debits: '100', credits: '99.99' });
    });

    it('refuses an entry unbalanced in one asset even if the totals across assets match', () => {
      const err = refuse(draft([debit('bank', '10'), credit('cash', '9'), debit('timber-a', '1'), credit('timber-b', '2')]), 'LEDGER_UNBALANCED');
      expect(err.details?.asset).toBe('CNY');
    });

    it('refuses a cross-asset pair (each asset is one-sided)', () => {
      refuse(draft([debit('bank', '10'), credit('timber-b', '10')]), 'LEDGER_UNBALANCED');
    });

    it('refuses all-debit entries', () => {
      refuse(draft([debit('bank', '10'), debit('cash', '10')]), 'LEDGER_UNBALANCED');
    });

    it('refuses 1 posting and 1001 postings with INVALID_ENTRY', () => {
      refuse(draft([debit('bank', '10')]), 'INVALID_ENTRY');
      const many = Array.from({ length: MAX_POSTINGS + 1 }, (_, i) => (i % 2 === 0 ? debit('bank', '1') : credit('cash', '1')));
      refuse(draft(many), 'INVALID_ENTRY');
    });

    it('accepts exactly 1000 postings', () => {
      const planner = new EntryPlanner(Array.from({ length: MAX_POSTINGS }, (_, i) => account(`a${i}`)));
      const many = Array.from({ length: MAX_POSTINGS }, (_, i) => (i % 2 === 0 ? debit(`a${i}`, '0.01') : credit(`a${i}`, '0.01')));
      planner.plan(draft(many), BOOKED_AT);
      expect(planner.state('a998')!.debits.toString()).toBe('0.01');
      expect(planner.state('a999')!.credits.toString()).toBe('0.01');
    });

    it('refuses a bad kind, date or key with INVALID_ENTRY', () => {
      const ok = [debit('bank', '1'), credit('cash', '1')];
      expect(refuse(draft(ok, { kind: 'transfer' }), 'INVALID_ENTRY').field).toBe('entry.kind');
      expect(refuse(draft(ok, { effectiveDate: '2025-02-30' }), 'INVALID_ENTRY').field).toBe('entry.effectiveDate');
      expect(refuse(draft(ok, { idempotencyKey: '' }), 'INVALID_ENTRY').field).toBe('entry.idempotencyKey');
    });

    it('refuses a side other than DEBIT or CREDIT', () => {
      const bad = { account: 'bank', side: 'debit', amount: '1' } as unknown as PostingDraft;
      expect(refuse(draft([bad, credit('cash', '1')]), 'INVALID_ENTRY').field).toBe('entry.postings[0].side');
    });

    it('refuses an unknown account with UNKNOWN_ACCOUNT, naming the posting', () => {
      const err = refuse(draft([debit('bank', '1'), credit('nope', '1')]), 'UNKNOWN_ACCOUNT');
      expect(err.field).toBe('entry.postings[1].account');
      expect(err.kind).toBe('not-found');
    });

    it('refuses a frozen account with ACCOUNT_FROZEN', () => {
      expect(refuse(draft([debit('frozen', '1'), credit('cash', '1')]), 'ACCOUNT_FROZEN').field).toBe('entry.postings[0].account');
      // Even when posting into it.
      refuse(draft([debit('cash', '1'), credit('frozen', '1')]), 'ACCOUNT_FROZEN');
    });

    it('refuses an asset the draft may not move with ASSET_MANAGED, naming the posting; other assets pass', () => {
      const ok = [debit('bank', '1'), credit('cash', '1')];
      expect(refuse(draft(ok, { refusedAssetPrefixes: ['CN'] }), 'ASSET_MANAGED').field).toBe('entry.postings[0].account');
      expect(() => new EntryPlanner(base()).plan(draft(ok, { refusedAssetPrefixes: ['LP.'] }), BOOKED_AT)).not.toThrow();
    });

    it('refuses a closed account with ACCOUNT_CLOSED', () => {
      expect(refuse(draft([debit('bank', '1'), credit('closed', '1')]), 'ACCOUNT_CLOSED').field).toBe('entry.postings[1].account');
    });

    it('refuses amounts that are zero, beyond the scale or not decimal text with INVALID_AMOUNT', () => {
      expect(refuse(draft([debit('bank', '1.005'), credit('cash', '1.005')]), 'INVALID_AMOUNT').field).toBe('entry.postings[0].amount');
      expect(refuse(draft([debit('timber-a', '1.0001'), credit('timber-b', '1.0001')]), 'INVALID_AMOUNT').details).toEqual({ scale: 3 });
      refuse(draft([debit('bank', '0'), credit('cash', '0')]), 'INVALID_AMOUNT');
      refuse(draft([debit('bank', '-1'), credit('cash', '-1')]), 'INVALID_AMOUNT');
      refuse(draft([debit('bank', '1e2'), credit('cash', '100')]), 'INVALID_AMOUNT');
      const numeric = { account: 'bank', side: 'DEBIT', amount: 1 } as unknown as PostingDraft;
      refuse(draft([numeric, credit('cash', '1')]), 'INVALID_AMOUNT');
    });

    it('names the posting at fault under a custom field prefix', () => {
      const planner = new EntryPlanner(base());
      const err = expectCode(() => planner.plan(draft([debit('bank', '1'), credit('cash', '1.001')]), BOOKED_AT, 'entries[2]'), 'INVALID_AMOUNT');
      expect(err.field).toBe('entries[2].postings[1].amount');
    });
  });

  describe('overdraft', () => {
    it('refuses to overdraw a noOverdraft credit-normal account and leaves every state unchanged', () => {
      const planner = new EntryPlanner(base());
      const wallet = snap(planner.state('wallet'));
      const cash = snap(planner.state('cash'));
      const err = expectCode(() => planner.plan(draft([debit('wallet', '50.01'), credit('cash', '50.01')]), BOOKED_AT), 'INSUFFICIENT_FUNDS');
      expect(err.details).toEqual({ account: 'wallet', balance: '50.00' });
      expect(err.kind).toBe('rule');
      expect(snap(planner.state('wallet'))).toEqual(wallet);
      expect(snap(planner.state('cash'))).toEqual(cash);

      // A later valid plan still works from the old balance (50), and hashes from the old head (null).
      const fresh = new EntryPlanner(base()).plan(draft([debit('wallet', '50'), credit('cash', '50')]), BOOKED_AT);
      const planned = planner.plan(draft([debit('wallet', '50'), credit('cash', '50')]), BOOKED_AT);
      expect(planned.hash).toBe(fresh.hash);
      expect(balanceOf(planner.state('wallet')!).isZero()).toBe(true);
      expect(balanceOf(planner.state('cash')!).toString()).toBe('950');

      // Now empty: a single cent more is refused.
      expectCode(() => planner.plan(draft([debit('wallet', '0.01'), credit('cash', '0.01')], { idempotencyKey: 'key-3' }), BOOKED_AT), 'INSUFFICIENT_FUNDS');
    });

    it('refuses to overdraw a noOverdraft debit-normal account', () => {
      const planner = new EntryPlanner([account('purse', { normalSide: 'DEBIT', noOverdraft: true, debits: '10', credits: '2.5' }), account('sink', { normalSide: 'DEBIT' })]);
      const err = expectCode(() => planner.plan(draft([debit('sink', '7.51'), credit('purse', '7.51')]), BOOKED_AT), 'INSUFFICIENT_FUNDS');
      expect(err.details).toEqual({ account: 'purse', balance: '7.50' });
      expect(planner.state('purse')!.credits.toString()).toBe('2.5');
      planner.plan(draft([debit('sink', '7.5'), credit('purse', '7.5')]), BOOKED_AT);
      expect(balanceOf(planner.state('purse')!).isZero()).toBe(true);
    });

    it('refuses an account posted on both sides (its net effect is one posting) and leaves the states untouched', () => {
      const planner = new EntryPlanner(base());
      const err = expectCode(() => planner.plan(draft([debit('wallet', '60'), credit('wallet', '20'), credit('cash', '40')]), BOOKED_AT), 'DUPLICATE_POSTING');
      expect(err.field).toBe('entry.postings[1].account');
      expect(balanceOf(planner.state('wallet')!).toString()).toBe('50');
    });

    it('lets an account without noOverdraft go negative', () => {
      const planner = new EntryPlanner(base());
      planner.plan(draft([debit('bank', '5000'), credit('cash', '5000')]), BOOKED_AT);
      expect(balanceOf(planner.state('cash')!).toString()).toBe('-4000');
    });

    it('is all-or-nothing across accounts: an overdraft on one leaves the others untouched', () => {
      const planner = new EntryPlanner(base());
      const before = base().map((s) => snap(planner.state(s.code)));
      expectCode(() => planner.plan(draft([debit('bank', '10'), credit('cash', '10'), debit('wallet', '100'), credit('equity', '100')]), BOOKED_AT), 'INSUFFICIENT_FUNDS');
      expect(base().map((s) => snap(planner.state(s.code)))).toEqual(before);
    });
  });

  describe('hash chain', () => {
    const first = draft([debit('bank', '10'), credit('cash', '10')], { idempotencyKey: 'first' });
    const second = draft([debit('cash', '3'), credit('bank', '3')], { idempotencyKey: 'second' });

    it('chains each entry to the previous head of every account it touches', () => {
      const planner = new EntryPlanner(base());
      const a = planner.plan(first, BOOKED_AT);
      const b = planner.plan(second, BOOKED_AT);
      expect(b.hash).not.toBe(a.hash);
      const content = {
        idempotencyKey: 'second',
        kind: 'TRANSFER',
        effectiveDate: '2025-03-01',
        bookedAt: BOOKED_AT,
        memo: null,
        metadata: {},
        reversesEntryId: null,
        postings: [
          { account: 'cash', side: 'DEBIT', amount: '3.00' },
          { account: 'bank', side: 'CREDIT', amount: '3.00' },
        ],
      };
      const previous = new Map([
        ['bank', a.hash],
        ['cash', a.hash],
      ]);
      expect(b.hash).toBe(entryHash(content, previous));
      expect(planner.state('bank')!.headHash).toBe(b.hash);
    });

    it('gives the same second draft a different hash after a different first entry', () => {
      const p1 = new EntryPlanner(base());
      p1.plan(first, BOOKED_AT);
      const h1 = p1.plan(second, BOOKED_AT).hash;

      const p2 = new EntryPlanner(base());
      p2.plan({ ...first, idempotencyKey: 'other-first' }, BOOKED_AT);
      const h2 = p2.plan(second, BOOKED_AT).hash;

      const p3 = new EntryPlanner(base());
      const h3 = p3.plan(second, BOOKED_AT).hash;

      expect(new Set([h1, h2, h3]).size).toBe(3);
    });

    it('is deterministic: replaying the same sequence gives the same hashes', () => {
      const run = () => {
        const p = new EntryPlanner(base());
        return [p.plan(first, BOOKED_AT).hash, p.plan(second, BOOKED_AT).hash];
      };
      expect(run()).toEqual(run());
    });

    it('is per account: an entry on other accounts does not move the chain', () => {
      const p1 = new EntryPlanner(base());
      p1.plan(draft([debit('timber-a', '1'), credit('timber-b', '1')], { idempotencyKey: 'elsewhere' }), BOOKED_AT);
      expect(p1.plan(second, BOOKED_AT).hash).toBe(new EntryPlanner(base()).plan(second, BOOKED_AT).hash);
    });
  });

  it('touched() returns working states once each and skips unknown codes', () => {
    const planner = new EntryPlanner(base());
    planner.plan(draft([debit('bank', '1'), credit('cash', '1')]), BOOKED_AT);
    const touched = planner.touched(['bank', 'bank', 'nope', 'cash']);
    expect(touched.map((s) => s.code)).toEqual(['bank', 'cash']);
    expect(touched[0].debits.toString()).toBe('1');
    expect(planner.state('nope')).toBeUndefined();
  });

  describe('properties', () => {
    interface Spec {
      normalSide: Side;
      noOverdraft: boolean;
      opening: bigint; // units (cents), non-negative
    }
    interface Transfer {
      from: number;
      legs: Array<{ to: number; units: bigint }>;
    }

    const specArb = fc.record<Spec>({
      normalSide: fc.constantFrom<Side>('DEBIT', 'CREDIT'),
      noOverdraft: fc.boolean(),
      opening: fc.bigInt({ min: BigInt(0), max: BigInt(100_000) }),
    });
    // An entry names each account once: the legs go to distinct accounts other than the source.
    const transferArb = (n: number) =>
      fc.integer({ min: 0, max: n - 1 }).chain((from) =>
        fc.record<Transfer>({
          from: fc.constant(from),
          legs: fc.uniqueArray(fc.record({ to: fc.integer({ min: 0, max: n - 1 }).filter((to) => to !== from), units: fc.bigInt({ min: BigInt(1), max: BigInt(60_000) }) }), {
            minLength: 1,
            maxLength: 3,
            selector: (l) => l.to,
          }),
        }),
      );
    const scenarioArb = fc.integer({ min: 3, max: 5 }).chain((n) =>
      fc.record({
        specs: fc.array(specArb, { minLength: n, maxLength: n }),
        transfers: fc.array(transferArb(n), { minLength: 1, maxLength: 40 }),
      }),
    );
    const cents = (units: bigint): string => new Dec(units.toString()).div(100).toFixed(2);

    it('keeps Σ(debits − credits) = 0, never overdraws a noOverdraft account, and matches a simple model', () => {
      fc.assert(
        fc.property(scenarioArb, ({ specs, transfers }) => {
          // Openings on each account's normal side; account "acct0" (allowed to overdraw) balances the books.
          const states = specs.map((s, i) => {
            if (i === 0) return account('acct0', { normalSide: s.normalSide });
            const opening = cents(s.opening);
            return account(`acct${i}`, { normalSide: s.normalSide, noOverdraft: s.noOverdraft, ...(s.normalSide === 'DEBIT' ? { debits: opening } : { credits: opening }) });
          });
          const othersNet = states.slice(1).reduce((acc, s) => acc.plus(s.debits).minus(s.credits), new Dec(0));
          if (othersNet.isPositive()) states[0].credits = othersNet;
          else states[0].debits = othersNet.neg();
          const total = (list: AccountState[]) => list.reduce((acc, s) => acc.plus(s.debits).minus(s.credits), new Dec(0));
          expect(total(states).isZero()).toBe(true);

          // The model: debits/credits and head per code, updated only by entries that should succeed.
          const model = new Map(states.map((s) => [s.code, { ...s }]));
          const planner = new EntryPlanner(states);

          transfers.forEach((t, k) => {
            const fromCode = `acct${t.from}`;
            const sumUnits = t.legs.reduce((a, l) => a + l.units, BigInt(0));
            const postings = [...t.legs.map((l) => debit(`acct${l.to}`, cents(l.units))), credit(fromCode, cents(sumUnits))];
            const d = draft(postings, { idempotencyKey: `t-${k}` });

            const after = new Map([...model].map(([c, s]) => [c, { ...s }]));
            for (const p of postings) {
              const s = after.get(p.account)!;
              if (p.side === 'DEBIT') s.debits = s.debits.plus(p.amount);
              else s.credits = s.credits.plus(p.amount);
            }
            const overdrawn = [...after.values()].some((s) => s.noOverdraft && balanceOf(s).isNegative());

            if (overdrawn) {
              expectCode(() => planner.plan(d, BOOKED_AT), 'INSUFFICIENT_FUNDS');
            } else {
              const { hash } = planner.plan(d, BOOKED_AT);
              for (const p of postings) after.get(p.account)!.headHash = hash;
              for (const [c, s] of after) model.set(c, s);
            }
            for (const s of states) expect(snap(planner.state(s.code))).toEqual(snap(model.get(s.code)));
          });

          const finals = states.map((s) => planner.state(s.code)!);
          expect(total(finals).isZero()).toBe(true);
          for (const s of finals) {
            if (s.noOverdraft) expect(balanceOf(s).isNegative()).toBe(false);
          }
        }),
        { numRuns: 200 },
      );
    });

    it('an entry and its mirror always plan in either order on accounts that may overdraw, netting to zero', () => {
      fc.assert(
        fc.property(scenarioArb, ({ transfers }) => {
          const n = 1 + Math.max(...transfers.flatMap((t) => [t.from, ...t.legs.map((l) => l.to)]));
          const states = Array.from({ length: n }, (_, i) => account(`acct${i}`, { normalSide: i % 2 === 0 ? 'DEBIT' : 'CREDIT' }));
          const planner = new EntryPlanner(states);
          transfers.forEach((t, k) => {
            const sumUnits = t.legs.reduce((a, l) => a + l.units, BigInt(0));
            const postings = [...t.legs.map((l) => debit(`acct${l.to}`, cents(l.units))), credit(`acct${t.from}`, cents(sumUnits))];
            planner.plan(draft(mirrorPostings(postings), { idempotencyKey: `m-${k}` }), BOOKED_AT);
            planner.plan(draft(postings, { idempotencyKey: `t-${k}` }), BOOKED_AT);
          });
          for (const s of states) {
            const st = planner.state(s.code)!;
            expect(st.debits.equals(st.credits)).toBe(true);
          }
        }),
        { numRuns: 100 },
      );
    });
  });
});

describe('EntryPlanner.mark / rollBack', () => {
  it('undoes everything planned on the marked accounts since the mark, the chain heads included', () => {
    const planner = new EntryPlanner([account('A', { normalSide: 'CREDIT', noOverdraft: true, credits: '10' }), account('B', { normalSide: 'CREDIT' })]);
    planner.plan(draft([debit('A', '1'), credit('B', '1')], { idempotencyKey: 'first' }), BOOKED_AT);
    const before = ['A', 'B'].map((c) => snap(planner.state(c)));
    const marked = planner.mark(['A', 'B', 'unknown']);
    planner.plan(draft([debit('A', '2'), credit('B', '2')], { idempotencyKey: 'second' }), BOOKED_AT);
    expectCode(() => planner.plan(draft([debit('A', '100'), credit('B', '100')], { idempotencyKey: 'third' }), BOOKED_AT), 'INSUFFICIENT_FUNDS');
    planner.rollBack(marked);
    expect(['A', 'B'].map((c) => snap(planner.state(c)))).toEqual(before);
    expect(planner.state('unknown')).toBeUndefined();
  });
});
