import fc from 'fast-check';
import { allocate, Dec } from '@forest-ledger/ledger/domain';
import { ageBucketOf, amountPerUnit, distributableOf, guaranteeTopUp, managementFee, maskCard, normaliseCard, PER_UNIT_PLACES, splitPool } from './dividend-math';

const holders = (units: number[]) => units.map((u, i) => ({ key: String(i + 1), units: u }));

describe('splitPool', () => {
  it('3 equal holders and 100.00 → 33.34 / 33.33 / 33.33, the extra 分 to the first (stable tie-break)', () => {
    expect(splitPool('100.00', holders([5, 5, 5])).map((l) => l.amount.toFixed(2))).toEqual(['33.34', '33.33', '33.33']);
  });

  it('0.01 among 1,000 equal holders: one 分 to the first, nothing to the rest', () => {
    const lines = splitPool('0.01', holders(Array.from({ length: 1000 }, () => 7)));
    expect(lines).toHaveLength(1000);
    expect(lines[0].amount.toFixed(2)).toBe('0.01');
    expect(lines.slice(1).every((l) => l.amount.isZero())).toBe(true);
  });

  it('a holder with zero units gets no line at all', () => {
    const lines = splitPool('10.00', [
      { key: 'a', units: 0 },
      { key: 'b', units: 3 },
      { key: 'c', units: 1 },
    ]);
    expect(lines.map((l) => [l.key, l.amount.toFixed(2)])).toEqual([
      ['b', '7.50'],
      ['c', '2.50'],
    ]);
  });

  it('nothing to split among nobody', () => {
    expect(splitPool('0.00', [])).toEqual([]);
    expect(splitPool('5.00', holders([0, 0]))).toEqual([]);
  });

  it('property: sums exactly to the pool, each part within one 分 of its exact share, order-stable', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 60 }), (cents, units) => {
        fc.pre(units.some((u) => u > 0));
        const pool = new Dec(cents.toString()).div(100);
        const lines = splitPool(pool, holders(units));
        const sum = lines.reduce((s, l) => s.plus(l.amount), new Dec(0));
        expect(sum.equals(pool)).toBe(true);
        const total = units.reduce((s, u) => s + u, 0);
        for (const l of lines) {
          const exact = pool.times(l.units).div(total);
          expect(l.amount.minus(exact).abs().lessThan('0.01')).toBe(true);
          expect(l.amount.decimalPlaces()).toBeLessThanOrEqual(2);
        }
        expect(splitPool(pool, holders(units)).map((l) => l.amount.toFixed(2))).toEqual(lines.map((l) => l.amount.toFixed(2)));
      }),
      { numRuns: 300 },
    );
  });

  it("property: exactly the ledger's allocate (same rule, same tie-break), zero-unit holders aside", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 14n }), fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 80 }), (cents, units) => {
        fc.pre(units.some((u) => u > 0));
        const pool = new Dec(cents.toString()).div(100);
        const live = units.filter((u) => u > 0);
        expect(splitPool(pool, holders(units)).map((l) => l.amount.toFixed(2))).toEqual(allocate(pool, live, 2).map((a) => a.toFixed(2)));
      }),
      { numRuns: 500 },
    );
  });

  it('fractional weights fall back to allocate itself', () => {
    expect(
      splitPool('1.00', [
        { key: 'a', units: '0.5' },
        { key: 'b', units: '0.25' },
      ]).map((l) => l.amount.toFixed(2)),
    ).toEqual(['0.67', '0.33']);
  });

  it('property: equal holders differ by at most one 分, and earlier ones never get less', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 1000 }), (cents, n, u) => {
        const amounts = splitPool(new Dec(cents).div(100), holders(Array.from({ length: n }, () => u))).map((l) => l.amount);
        for (let i = 1; i < amounts.length; i++) expect(amounts[i - 1].greaterThanOrEqualTo(amounts[i])).toBe(true);
        expect(amounts[0].minus(amounts[amounts.length - 1]).lessThanOrEqualTo('0.01')).toBe(true);
      }),
    );
  });
});

describe('amountPerUnit', () => {
  it('is a plain decimal with 6 places, rounded half-up once', () => {
    expect(amountPerUnit('100.00', 900000)).toBe('0.000111');
    expect(amountPerUnit('100.00', 3)).toBe('33.333333');
    expect(amountPerUnit('200.00', 3)).toBe('66.666667');
    expect(amountPerUnit('1.00', 8)).toBe('0.125000');
    expect(amountPerUnit('10', 1)).toBe('10.000000');
    expect(amountPerUnit('0', 5)).toBe('0.000000');
    expect(amountPerUnit('0.01', 2_000_000)).toBe('0.000000'); // 0.000000005 rounds down
    expect(amountPerUnit('0.01', 20_000)).toBe('0.000001'); // 0.0000005 rounds half-up
    expect(amountPerUnit('12345678901234.56', 7)).toBe('1763668414462.080000');
  });

  it('property: within half a unit of the last place of the exact quotient, and plain decimal text', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), (cents, units) => {
        const text = amountPerUnit(new Dec(cents.toString()).div(100), units.toString());
        expect(text).toMatch(new RegExp(`^\\d+\\.\\d{${PER_UNIT_PLACES}}$`));
        // |text × 100 × units − cents| ≤ ½ × 10^-6 × 100 × units, in integers (× 2 × 10^6).
        const scaled = BigInt(text.replace('.', ''));
        const diff = scaled * 100n * units - cents * 10n ** 6n;
        expect(2n * (diff < 0n ? -diff : diff) <= 100n * units).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('distributableOf', () => {
  it('income of every kind − costs − fees − declared dividends, with the formula', () => {
    const calc = distributableOf({
      income: [
        { kind: 'HARVEST_FINAL', amount: '1000.00' },
        { kind: 'CARBON', amount: '200.00' },
        { kind: 'GUARANTEE_TOP_UP', amount: '50.00' },
      ],
      costs: '100.00',
      managementFees: '80.00',
      dividends: ['300.00', '0.01'],
    });
    expect(calc).toEqual({
      incomeTotal: '1250.00',
      costs: '100.00',
      managementFees: '80.00',
      dividendsDeclared: '300.01',
      distributable: '769.99',
      formula: '收入 1250.00 − 成本 100.00 − 管理费 80.00 − 已宣告分红 300.01 = 可分配 769.99 元',
    });
  });

  it('is negative when costs came after the dividends were declared', () => {
    expect(distributableOf({ income: [{ kind: 'OTHER', amount: '10.00' }], costs: '5.00', managementFees: '0', dividends: ['10.00'] }).distributable).toBe('-5.00');
  });
});

describe('management fee and guarantee', () => {
  it('fee is base × rate, half-up to the 分 once', () => {
    expect(managementFee('12345.67', '0.08').toFixed(2)).toBe('987.65');
    expect(managementFee('0.06', '0.5').toFixed(2)).toBe('0.03');
    expect(managementFee('0.05', '0.5').toFixed(2)).toBe('0.03');
  });

  it('yield guarantee: 13 m³/亩 × 100 亩, 1,150 m³ harvested, 600.00 元/m³ → 150 m³ × 600 = 90,000.00', () => {
    const calc = guaranteeTopUp({ mode: 'YIELD', guaranteedYieldPerMu: '13', areaMu: '100', actualVolumeM3: '1150', referencePrice: '600.00' });
    expect(calc).toMatchObject({ triggered: true, topUp: '90000.00' });
    expect(calc.formula).toContain('1300 m³');
  });

  it('a yield at or above the guarantee triggers nothing', () => {
    expect(guaranteeTopUp({ mode: 'YIELD', guaranteedYieldPerMu: '13', areaMu: '100', actualVolumeM3: '1400', referencePrice: '600.00' })).toMatchObject({
      triggered: false,
      topUp: '0.00',
    });
  });

  it('return guarantee: 3 %/year on 900,000.00 for 2 years against 40,000.00 paid → 14,000.00', () => {
    expect(guaranteeTopUp({ mode: 'RETURN', principal: '900000.00', annualRate: '0.03', years: '2', actualReturn: '40000.00' })).toMatchObject({
      triggered: true,
      topUp: '14000.00',
    });
  });
});

describe('cards and ages', () => {
  it('masks and normalises card numbers', () => {
    expect(normaliseCard('6222 0212 3456 7890 123')).toBe('6222021234567890123');
    expect(normaliseCard('12345')).toBeNull();
    expect(maskCard('6222021234567890123')).toBe('6222 **** **** 0123');
  });

  it('buckets ages by days', () => {
    expect(ageBucketOf('2026-01-01', '2026-01-31')).toBe('0-30');
    expect(ageBucketOf('2026-01-01', '2026-02-01')).toBe('31-90');
    expect(ageBucketOf('2025-01-01', '2026-01-01')).toBe('91-365');
    expect(ageBucketOf('2024-01-01', '2026-01-01')).toBe('365+');
  });
});
