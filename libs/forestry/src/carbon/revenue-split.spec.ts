import fc from 'fast-check';
import { Dec } from '@forest-ledger/ledger/domain';
import { checkRevenueRule, RevenueRecipient, RevenueRule, carbonSaleAmount, splitRevenue, revenueTotalsByParty } from './revenue-split';

const people = (n: number): RevenueRecipient[] => Array.from({ length: n }, (_, i) => ({ party: `V-${i + 1}`, weight: '1' }));
const sum = (amounts: string[]) => amounts.reduce((s, a) => s.plus(a), new Dec(0)).toFixed(2);

describe('checkRevenueRule', () => {
  it('accepts shares adding up to 1 and normalises the ratios', () => {
    expect(
      checkRevenueRule({
        shares: [
          { kind: 'PARTY', party: 'F', ratio: '0.10' },
          { kind: 'PARTY', party: 'C', ratio: '0.300000' },
          { kind: 'PER_PERSON', collective: 'C', ratio: '0.6', extra: 1 },
        ],
      }),
    ).toEqual({
      shares: [
        { kind: 'PARTY', party: 'F', ratio: '0.1' },
        { kind: 'PARTY', party: 'C', ratio: '0.3' },
        { kind: 'PER_PERSON', collective: 'C', ratio: '0.6' },
      ],
    });
  });
  it('refuses ratios not adding to 1, bad kinds, missing parties, too many decimals', () => {
    for (const bad of [
      { shares: [{ kind: 'PARTY', party: 'F', ratio: '0.5' }] },
      { shares: [{ kind: 'NOPE', ratio: '1' }] },
      { shares: [{ kind: 'PARTY', ratio: '1' }] },
      { shares: [{ kind: 'PER_HOUSEHOLD', ratio: '1' }] },
      {
        shares: [
          { kind: 'TICKET_UNITS', ratio: '0.1234567' },
          { kind: 'PARTY', party: 'F', ratio: '0.8765433' },
        ],
      },
      { shares: [] },
      null,
    ]) {
      expect(() => checkRevenueRule(bad)).toThrow(expect.objectContaining({ code: 'INVALID_REVENUE_RULE' }));
    }
  });
});

describe('splitRevenue', () => {
  const rule: RevenueRule = {
    shares: [
      { kind: 'PARTY', party: 'F', ratio: '0.1' },
      { kind: 'PARTY', party: 'C', ratio: '0.3' },
      { kind: 'PER_PERSON', collective: 'C', ratio: '0.6' },
    ],
  };

  it('10 % farm, 30 % collective, 60 % per person: exact to the 分', () => {
    const lines = splitRevenue('100.00', rule, [[{ party: 'F', weight: '1' }], [{ party: 'C', weight: '1' }], people(7)]);
    expect(lines.slice(0, 2)).toEqual([
      { share: 0, party: 'F', amount: '10.00' },
      { share: 1, party: 'C', amount: '30.00' },
    ]);
    // 60.00 / 7 = 8.5714…: 7 × 8.57 = 59.99, the one 分 left goes to the first (equal remainders: earlier first)
    expect(lines.slice(2).map((l) => l.amount)).toEqual(['8.58', '8.57', '8.57', '8.57', '8.57', '8.57', '8.57']);
    expect(sum(lines.map((l) => l.amount))).toBe('100.00');
  });

  it('the 将乐常口村 case: 40,845.00 per person among 273 villagers', () => {
    const lines = splitRevenue('40845.00', { shares: [{ kind: 'PER_PERSON', collective: 'C', ratio: '1' }] }, [people(273)]);
    expect(lines).toHaveLength(273);
    expect(sum(lines.map((l) => l.amount))).toBe('40845.00');
  });

  it('pro rata to units; a holder of zero units gets nothing; nobody to pay is refused', () => {
    const lines = splitRevenue('1.00', { shares: [{ kind: 'TICKET_UNITS', ratio: '1' }] }, [
      [
        { party: 'A', weight: '2' },
        { party: 'B', weight: '1' },
        { party: 'Z', weight: '0' },
      ],
    ]);
    expect(lines).toEqual([
      { share: 0, party: 'A', amount: '0.67' },
      { share: 0, party: 'B', amount: '0.33' },
    ]);
    expect(() => splitRevenue('1.00', { shares: [{ kind: 'PER_HOUSEHOLD', collective: 'C', ratio: '1' }] }, [[]])).toThrow(
      expect.objectContaining({ code: 'NO_REVENUE_RECIPIENTS' }),
    );
  });

  it('totals by party when a party is paid under two shares', () => {
    expect(
      revenueTotalsByParty([
        { share: 0, party: 'C', amount: '1.10' },
        { share: 1, party: 'V', amount: '2.00' },
        { share: 2, party: 'C', amount: '0.05' },
      ]),
    ).toEqual([
      { party: 'C', amount: '1.15' },
      { party: 'V', amount: '2.00' },
    ]);
  });

  it('property: whatever the rule and the recipients, the lines add up to the gross exactly, each within one 分 of its exact share', () => {
    const arbRule = fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 5 }).map((ws) => {
      const total = ws.reduce((a, b) => a + b, 0);
      const ratios = ws.map((w) => new Dec(w).div(total).toDecimalPlaces(6, Dec.ROUND_DOWN));
      ratios[0] = ratios[0].plus(new Dec(1).minus(ratios.reduce((a, b) => a.plus(b), new Dec(0))));
      return ratios.map((r) => r.toString());
    });
    fc.assert(
      fc.property(
        arbRule,
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.array(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 30 }), { minLength: 5, maxLength: 5 }),
        (ratios, cents, weightLists) => {
          const gross = new Dec(cents).div(100).toFixed(2);
          const shares = ratios.map((ratio) => ({ kind: 'TICKET_UNITS' as const, ratio }));
          const recipients = ratios.map((_, i) => weightLists[i].map((w, j) => ({ party: `P${i}-${j}`, weight: String(w) })));
          const lines = splitRevenue(gross, { shares }, recipients);
          expect(sum(lines.map((l) => l.amount))).toBe(gross);
          for (const l of lines) expect(new Dec(l.amount).decimalPlaces()).toBeLessThanOrEqual(2);
        },
      ),
    );
  });
});

describe('carbonSaleAmount', () => {
  it('multiplies and rounds half-up to the 分 once', () => {
    expect(carbonSaleAmount(2723n, '15.00')).toBe('40845.00');
    expect(carbonSaleAmount(10000n, '10.00')).toBe('100000.00');
    expect(carbonSaleAmount(3n, '0.335')).toBe('1.01'); // 1.005 → 1.01
  });
});
