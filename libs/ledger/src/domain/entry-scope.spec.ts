import fc from 'fast-check';
import { entrySeenBy, linesSeenBy, OwnedPosting, ScopableEntry } from './entry-scope';

const posting = (ownerRef: string | null, account: string, side: 'DEBIT' | 'CREDIT', amount: string): OwnedPosting => ({ account, asset: 'CNY', side, amount, ownerRef });

/** A dividend chunk: the project's reserve pays two villagers. */
const dividend: ScopableEntry & { id: string } = {
  id: '7',
  idempotencyKey: 'dividend:3:chunk:1:1',
  memo: '分红 方案 #3: 2 户/人 3000.00 元',
  metadata: { declaration: '3' },
  hash: 'ab'.repeat(32),
  postings: [
    posting('project:P', 'project:P:dividend-reserve:CNY', 'DEBIT', '3000.00'),
    posting('party:V-1', 'party:V-1:wallet:CNY', 'CREDIT', '1000.00'),
    posting('party:V-2', 'party:V-2:wallet:CNY', 'CREDIT', '2000.00'),
  ],
};

describe('entrySeenBy', () => {
  it('shows an unscoped reader everything, without the owners', () => {
    const seen = entrySeenBy(null, dividend)!;
    expect(seen.othersHidden).toBe(false);
    expect(seen.memo).toBe(dividend.memo);
    expect(seen.postings).toEqual(dividend.postings.map(({ ownerRef: _, ...p }) => p));
  });

  it("shows a villager only their own posting, and withholds what describes the others'", () => {
    expect(entrySeenBy({ ownerRefs: ['party:V-1'] }, dividend)).toEqual({
      id: '7',
      idempotencyKey: null,
      memo: null,
      metadata: {},
      hash: null,
      postings: [{ account: 'party:V-1:wallet:CNY', asset: 'CNY', side: 'CREDIT', amount: '1000.00' }],
      othersHidden: true,
    });
  });

  it('hides an entry that touches none of the scope (null: a 404 to the caller)', () => {
    expect(entrySeenBy({ ownerRefs: ['party:V-3'] }, dividend)).toBeNull();
    expect(entrySeenBy({ ownerRefs: [] }, dividend)).toBeNull();
  });

  it('shows an entry wholly within the scope as it is (a pledge between two of their own accounts)', () => {
    const pledge: ScopableEntry = {
      idempotencyKey: 'k',
      memo: '林票质押',
      metadata: { pledge: '1' },
      hash: 'h',
      postings: [posting('party:V-1', 'holder:V-1:tickets:S', 'DEBIT', '10'), posting('party:V-1', 'holder:V-1:pledged:S', 'CREDIT', '10')],
    };
    expect(entrySeenBy({ ownerRefs: ['party:V-1'] }, pledge)).toEqual({ ...pledge, postings: pledge.postings.map(({ ownerRef: _, ...p }) => p), othersHidden: false });
  });

  it('never shows a posting of an account outside the scope, nor anything that could describe it (property)', () => {
    const owners = ['party:A', 'party:B', 'party:C', 'project:P', null] as const;
    const arbPosting = fc.record({
      ownerRef: fc.constantFrom(...owners),
      account: fc.string({ minLength: 1, maxLength: 8 }),
      side: fc.constantFrom('DEBIT' as const, 'CREDIT' as const),
      amount: fc.integer({ min: 1, max: 10_000 }).map(String),
    });
    fc.assert(
      fc.property(fc.array(arbPosting, { minLength: 2, maxLength: 8 }), fc.subarray(['party:A', 'party:B', 'party:C']), (postings, refs) => {
        const entry: ScopableEntry = { idempotencyKey: 'key', memo: 'memo', metadata: { x: 1 }, hash: 'hash', postings: postings.map((p) => ({ ...p, asset: 'CNY' })) };
        const seen = entrySeenBy({ ownerRefs: refs }, entry);
        const mine = postings.filter((p) => p.ownerRef !== null && refs.includes(p.ownerRef));
        if (mine.length === 0) return seen === null;
        const whole = mine.length === postings.length;
        return (
          seen !== null &&
          seen.postings.length === mine.length &&
          seen.postings.every((p, i) => p.account === mine[i].account && p.amount === mine[i].amount && p.side === mine[i].side) &&
          seen.othersHidden === !whole &&
          (whole || (seen.memo === null && seen.idempotencyKey === null && seen.hash === null && Object.keys(seen.metadata).length === 0))
        );
      }),
    );
  });
});

describe('linesSeenBy', () => {
  const lines = [
    { party: 'V-1', amount: '1000.00' },
    { party: 'V-2', amount: '2000.00' },
  ];
  const owner = (l: { party: string }) => `party:${l.party}`;

  it('keeps every line for an unscoped reader, only its own for a scoped one', () => {
    expect(linesSeenBy(null, lines, owner)).toEqual(lines);
    expect(linesSeenBy({ ownerRefs: ['party:V-2'] }, lines, owner)).toEqual([lines[1]]);
    expect(linesSeenBy({ ownerRefs: [] }, lines, owner)).toEqual([]);
  });
});
