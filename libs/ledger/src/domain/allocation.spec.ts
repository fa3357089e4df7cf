import type Decimal from 'decimal.js';
import fc from 'fast-check';
import { allocate } from './allocation';
import { Dec } from './amount';
import { LedgerError } from './errors';

function ledgerErrorOf(fn: () => unknown): LedgerError {
  try {
    fn();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(LedgerError);
    return e as LedgerError;
  }
  throw new Error('expected a LedgerError, but nothing was thrown');
}

const texts = (parts: readonly Decimal[], scale: number): string[] => parts.map((p) => p.toFixed(scale));
const sum = (values: readonly Decimal.Value[]): Decimal => values.reduce<Decimal>((a, b) => a.plus(b), new Dec(0));

describe('allocate: examples', () => {
  it('splits 100.00 three ways, the leftover cent to the lowest index', () => {
    expect(texts(allocate('100.00', [1, 1, 1], 2), 2)).toEqual(['33.34', '33.33', '33.33']);
  });

  it('breaks ties in remainders by the lower index, wherever the tied weights sit', () => {
    // 2 units among [1, 1, 1]: floors 0, remainders equal, so indexes 0 and 1 get a unit.
    expect(texts(allocate('0.02', [1, 1, 1], 2), 2)).toEqual(['0.01', '0.01', '0.00']);
    // 1 unit among [1, 2, 1, 2]: the two weight-2 shares have equal, larger remainders; index 1 wins.
    expect(texts(allocate('1', [1, 2, 1, 2], 0), 0)).toEqual(['0', '1', '0', '0']);
  });

  it('gives the leftover to the largest remainder before the lower index', () => {
    // 10 among [1, 2]: quotas 3.33 and 6.67, the larger remainder is index 1.
    expect(texts(allocate('10', [1, 2], 0), 0)).toEqual(['3', '7']);
  });

  it('gives a zero weight a zero part', () => {
    expect(texts(allocate('100', [0, 1, 0, 1], 0), 0)).toEqual(['0', '50', '0', '50']);
    expect(texts(allocate('1', [0, 1, 0, 1], 0), 0)).toEqual(['0', '1', '0', '0']);
  });

  it('returns [] for a zero total among no weights', () => {
    expect(allocate('0', [], 2)).toEqual([]);
    expect(allocate(0, [], 0)).toEqual([]);
  });

  it('returns zeros for a zero total among all-zero weights', () => {
    expect(texts(allocate('0', [0, 0], 2), 2)).toEqual(['0.00', '0.00']);
  });

  it('returns zeros for a zero total among positive weights', () => {
    expect(texts(allocate('0.00', [3, 7], 2), 2)).toEqual(['0.00', '0.00']);
  });

  it('accepts decimal weights', () => {
    expect(texts(allocate('10.00', ['0.3', '0.7'], 2), 2)).toEqual(['3.00', '7.00']);
    expect(texts(allocate('1.00', ['0.3', '0.7'], 2), 2)).toEqual(['0.30', '0.70']);
    expect(texts(allocate('0.01', ['0.3', '0.7'], 2), 2)).toEqual(['0.00', '0.01']);
    // Weights of different precision are scaled together: 0.5 : 0.25 : 0.25 = 2 : 1 : 1.
    expect(texts(allocate('1.00', ['0.5', '0.25', '0.25'], 2), 2)).toEqual(['0.50', '0.25', '0.25']);
  });

  it('gives the same answer for proportional weights', () => {
    expect(texts(allocate('100.00', ['0.1', '0.1', '0.1'], 2), 2)).toEqual(['33.34', '33.33', '33.33']);
    expect(texts(allocate('100.00', [7, 7, 7], 2), 2)).toEqual(['33.34', '33.33', '33.33']);
  });

  it('splits 900000 units at scale 0 30/70 exactly', () => {
    expect(texts(allocate('900000', [30, 70], 0), 0)).toEqual(['270000', '630000']);
    expect(texts(allocate('900000', ['0.3', '0.7'], 0), 0)).toEqual(['270000', '630000']);
    expect(texts(allocate('900001', [30, 70], 0), 0)).toEqual(['270000', '630001']);
  });

  it('is exact for very large totals at the widest scale', () => {
    const total = `${'9'.repeat(20)}.${'9'.repeat(18)}`;
    const parts = allocate(total, [1, 1, 1], 18);
    expect(sum(parts).equals(new Dec(total))).toBe(true);
    expect(texts(parts, 18)).toEqual(['33333333333333333333.333333333333333333', '33333333333333333333.333333333333333333', '33333333333333333333.333333333333333333']);
  });

  it('returns Decimals', () => {
    const [part] = allocate('5', [1], 0);
    expect(part).toBeInstanceOf(Dec);
    expect(part.equals(5)).toBe(true);
  });
});

describe('allocate: refusals', () => {
  it('refuses a positive total among all-zero weights', () => {
    const err = ledgerErrorOf(() => allocate('100', [0, 0, 0], 0));
    expect(err.code).toBe('ALLOCATION_INVALID');
    expect(err.field).toBe('weights');
  });

  it('refuses a positive total among no weights', () => {
    const err = ledgerErrorOf(() => allocate('0.01', [], 2));
    expect(err.code).toBe('ALLOCATION_INVALID');
    expect(err.field).toBe('weights');
  });

  it('refuses a negative weight, naming it', () => {
    const err = ledgerErrorOf(() => allocate('100', [1, -1, 1], 0));
    expect(err.code).toBe('ALLOCATION_INVALID');
    expect(err.field).toBe('weights[1]');
  });

  it.each<[string, Decimal.Value]>([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['a negative decimal', '-0.5'],
  ])('refuses a weight that is %s', (_label, weight) => {
    expect(ledgerErrorOf(() => allocate('100', [1, weight], 0)).code).toBe('ALLOCATION_INVALID');
  });

  it('refuses a total with more decimals than the scale', () => {
    const err = ledgerErrorOf(() => allocate('1.005', [1, 1], 2));
    expect(err.code).toBe('ALLOCATION_INVALID');
    expect(err.field).toBe('total');
    expect(ledgerErrorOf(() => allocate('0.5', [1], 0)).code).toBe('ALLOCATION_INVALID');
  });

  it('refuses a negative or non-finite total', () => {
    expect(ledgerErrorOf(() => allocate('-1', [1], 0)).code).toBe('ALLOCATION_INVALID');
    expect(ledgerErrorOf(() => allocate(Number.POSITIVE_INFINITY, [1], 0)).code).toBe('ALLOCATION_INVALID');
    expect(ledgerErrorOf(() => allocate(Number.NaN, [1], 0)).code).toBe('ALLOCATION_INVALID');
  });

  it.each([-1, 19, 1.5, Number.NaN])('refuses scale %p', (scale) => {
    const err = ledgerErrorOf(() => allocate('1', [1], scale));
    expect(err.code).toBe('ALLOCATION_INVALID');
    expect(err.field).toBe('scale');
  });
});

describe('allocate: properties', () => {
  /** Non-negative weights: integers, or decimals with up to 4 places; at least one strictly positive. */
  const weightArb = fc.oneof(
    fc.integer({ min: 0, max: 1_000_000 }).map((n) => n.toString()),
    fc
      .record({ units: fc.integer({ min: 0, max: 10_000_000 }), places: fc.integer({ min: 1, max: 4 }) })
      .map(({ units, places }) => new Dec(units).div(new Dec(10).pow(places)).toFixed(places)),
    fc.constant('0'),
  );
  const weightsArb = fc.array(weightArb, { minLength: 1, maxLength: 12 }).filter((ws) => ws.some((w) => new Dec(w).greaterThan(0)));
  const caseArb = fc
    .record({
      scale: fc.integer({ min: 0, max: 4 }),
      units: fc.bigInt({ min: BigInt(0), max: BigInt(10) ** BigInt(15) }),
      weights: weightsArb,
    })
    .map(({ scale, units, weights }) => ({ scale, weights, total: new Dec(units.toString()).div(new Dec(10).pow(scale)).toFixed(scale) }));

  const runs = { numRuns: 300 };

  it('(1) parts sum exactly to the total', () => {
    fc.assert(
      fc.property(caseArb, ({ total, weights, scale }) => {
        const parts = allocate(total, weights, scale);
        expect(parts).toHaveLength(weights.length);
        expect(sum(parts).toFixed(scale)).toBe(total);
      }),
      runs,
    );
  });

  it('(2) each part is non-negative with at most `scale` decimals', () => {
    fc.assert(
      fc.property(caseArb, ({ total, weights, scale }) => {
        for (const part of allocate(total, weights, scale)) {
          expect(part.isNegative()).toBe(false);
          expect(part.isFinite()).toBe(true);
          expect(part.decimalPlaces()).toBeLessThanOrEqual(scale);
        }
      }),
      runs,
    );
  });

  it('(3) each part is within one unit of its exact quota total × w / Σw (and is its floor or floor + 1 unit)', () => {
    fc.assert(
      fc.property(caseArb, ({ total, weights, scale }) => {
        const parts = allocate(total, weights, scale);
        const unit = new Dec(10).pow(-scale);
        const weightSum = sum(weights);
        parts.forEach((part, i) => {
          // |part − total·w/Σw| < unit  ⇔  |part·Σw − total·w| < unit·Σw, all products exact.
          const gap = part.times(weightSum).minus(new Dec(total).times(weights[i])).abs();
          expect(gap.lessThan(unit.times(weightSum))).toBe(true);
          // Hamilton: in units, the part is the quota's floor or the floor plus one (divToInt truncates exactly).
          const floorUnits = new Dec(total).times(weights[i]).div(unit).divToInt(weightSum);
          const partUnits = part.div(unit);
          expect(partUnits.minus(floorUnits).greaterThanOrEqualTo(0)).toBe(true);
          expect(partUnits.minus(floorUnits).lessThanOrEqualTo(1)).toBe(true);
        });
      }),
      runs,
    );
  });

  it('(3b) largest remainders win: a part rounded up never has a smaller remainder than one rounded down (ties to the lower index)', () => {
    fc.assert(
      fc.property(caseArb, ({ total, weights, scale }) => {
        const parts = allocate(total, weights, scale);
        const unit = new Dec(10).pow(-scale);
        const weightSum = sum(weights);
        // In units: numerator_i = totalUnits·w_i, floor_i = ⌊numerator_i / Σw⌋, remainder_i = numerator_i − floor_i·Σw (exact).
        const info = weights.map((w, i) => {
          const numerator = new Dec(total).div(unit).times(w);
          const floor = numerator.divToInt(weightSum);
          return { i, remainder: numerator.minus(floor.times(weightSum)), up: parts[i].div(unit).greaterThan(floor) };
        });
        for (const a of info.filter((x) => x.up)) {
          expect(a.remainder.greaterThan(0)).toBe(true);
          for (const b of info.filter((x) => !x.up)) {
            const cmp = a.remainder.comparedTo(b.remainder);
            expect(cmp > 0 || (cmp === 0 && a.i < b.i)).toBe(true);
          }
        }
      }),
      runs,
    );
  });

  it('(4) a zero weight gets a zero part', () => {
    fc.assert(
      fc.property(caseArb, fc.nat(), ({ total, weights, scale }, at) => {
        const withZero = [...weights];
        withZero.splice(at % (weights.length + 1), 0, '0');
        const parts = allocate(total, withZero, scale);
        withZero.forEach((w, i) => {
          if (new Dec(w).isZero()) expect(parts[i].isZero()).toBe(true);
        });
      }),
      runs,
    );
  });

  it('(5) is deterministic', () => {
    fc.assert(
      fc.property(caseArb, ({ total, weights, scale }) => {
        expect(texts(allocate(total, weights, scale), scale)).toEqual(texts(allocate(total, [...weights], scale), scale));
      }),
      runs,
    );
  });

  it('(6) permuting the weights keeps the sum exact and each part within one unit of its quota', () => {
    const permutedArb = caseArb.chain((c) =>
      fc
        .shuffledSubarray(
          c.weights.map((w, i) => ({ w, i })),
          { minLength: c.weights.length, maxLength: c.weights.length },
        )
        .map((perm) => ({ ...c, perm })),
    );
    fc.assert(
      fc.property(permutedArb, ({ total, weights, scale, perm }) => {
        const original = allocate(total, weights, scale);
        const permuted = allocate(
          total,
          perm.map((p) => p.w),
          scale,
        );
        expect(sum(permuted).toFixed(scale)).toBe(total);
        // A part may move by at most one unit between equal-weight holders when the order changes.
        const unit = new Dec(10).pow(-scale);
        perm.forEach((p, k) => {
          expect(permuted[k].minus(original[p.i]).abs().lessThanOrEqualTo(unit)).toBe(true);
        });
      }),
      runs,
    );
  });

  it('(6b) with repeated weights in any order, the sum is exact and equal weights get parts within one unit of each other', () => {
    const arb = fc.record({
      scale: fc.integer({ min: 0, max: 4 }),
      units: fc.bigInt({ min: BigInt(0), max: BigInt(10) ** BigInt(15) }),
      distinct: fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 4 }),
      copies: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 4, maxLength: 4 }),
      seed: fc.integer(),
    });
    fc.assert(
      fc.property(arb, ({ scale, units, distinct, copies, seed }) => {
        const total = new Dec(units.toString()).div(new Dec(10).pow(scale)).toFixed(scale);
        const weights = distinct.flatMap((w, k) => Array.from({ length: copies[k] }, () => w));
        // Deterministic shuffle from the seed.
        const shuffled = [...weights];
        let s = seed >>> 0;
        for (let i = shuffled.length - 1; i > 0; i--) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          const j = s % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        const byWeight = (ws: number[], parts: Decimal[]): Map<number, string[]> => {
          const m = new Map<number, string[]>();
          ws.forEach((w, i) => m.set(w, [...(m.get(w) ?? []), parts[i].toFixed(scale)].sort()));
          return m;
        };
        const a = allocate(total, weights, scale);
        const b = allocate(total, shuffled, scale);
        expect(sum(b).toFixed(scale)).toBe(total);
        // Equal weights have equal remainders, so their parts are all the same floor or floor + 1 unit.
        for (const [w, partsA] of byWeight(weights, a)) {
          const partsB = byWeight(shuffled, b).get(w)!;
          expect(partsB).toHaveLength(partsA.length);
          const spread = (ps: string[]) => new Dec(ps[ps.length - 1]).minus(ps[0]);
          expect(spread(partsA).lessThanOrEqualTo(new Dec(10).pow(-scale))).toBe(true);
          expect(spread(partsB).lessThanOrEqualTo(new Dec(10).pow(-scale))).toBe(true);
        }
      }),
      runs,
    );
  });
});
