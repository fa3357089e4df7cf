import fc from 'fast-check';
import { allocate, Dec } from '@forest-ledger/ledger/domain';
import { ageBucketOf, guaranteeTopUp, managementFee, maskCard, normaliseCard, perUnitText, splitPool } from './dividend-math';

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

  it('property: exactly the ledger\'s allocate (same rule, same tie-break), zero-unit holders aside', () => {
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
    expect(splitPool('1.00', [{ key: 'a', units: '0.5' }, { key: 'b', units: '0.25' }]).map((l) => l.amount.toFixed(2))).toEqual(['0.67', '0.33']);
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

describe('perUnitText', () => {
  it('writes terminating quotients in full and repeating ones with their period', () => {
    expect(perUnitText('100.00', 3)).toBe('33.(3)');
    expect(perUnitText('1.00', 8)).toBe('0.125');
    expect(perUnitText('1', 60)).toBe('0.01(6)');
    expect(perUnitText('90000.00', 900000)).toBe('0.1');
    expect(perUnitText('0.01', 1000)).toBe('0.00001');
    expect(perUnitText('0', 5)).toBe('0');
    expect(perUnitText('1', 7)).toBe('0.(142857)');
  });

  it('rounds a period longer than 12 digits, marked ≈', () => {
    expect(perUnitText('1', 97)).toBe('≈0.0103092784');
  });

  it('property: the text is exactly amount ÷ units (read back as a fraction)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 1, max: 5000 }), (cents, units) => {
        const text = perUnitText(new Dec(cents).div(100), units);
        fc.pre(!text.startsWith('≈'));
        const m = /^(\d+)(?:\.(\d*)(?:\((\d+)\))?)?$/.exec(text)!;
        expect(m).not.toBeNull();
        const [, whole, fixed = '', period = ''] = m;
        // value = whole + fixed/10^f + period/((10^p - 1) 10^f)
        const f = fixed.length;
        const p = period.length;
        let num = BigInt(whole) * 10n ** BigInt(f) + BigInt(fixed || '0');
        let den = 10n ** BigInt(f);
        if (p > 0) {
          num = num * (10n ** BigInt(p) - 1n) + BigInt(period);
          den = den * (10n ** BigInt(p) - 1n);
        }
        // num / den == cents / (100 units)
        expect(num * 100n * BigInt(units)).toBe(BigInt(cents) * den);
      }),
      { numRuns: 500 },
    );
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
    expect(guaranteeTopUp({ mode: 'YIELD', guaranteedYieldPerMu: '13', areaMu: '100', actualVolumeM3: '1400', referencePrice: '600.00' })).toMatchObject({ triggered: false, topUp: '0.00' });
  });

  it('return guarantee: 3 %/year on 900,000.00 for 2 years against 40,000.00 paid → 14,000.00', () => {
    expect(guaranteeTopUp({ mode: 'RETURN', principal: '900000.00', annualRate: '0.03', years: '2', actualReturn: '40000.00' })).toMatchObject({ triggered: true, topUp: '14000.00' });
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
