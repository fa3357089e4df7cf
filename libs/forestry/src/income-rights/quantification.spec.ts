import fc from 'fast-check';
import { CensusHousehold, quantify, QuantificationError } from './quantification';

const households = (sizes: number[]): CensusHousehold[] => sizes.map((persons, i) => ({ household: `H-${String(i + 1).padStart(3, '0')}`, head: `V-${i + 1}`, persons }));
const unitsOf = (q: ReturnType<typeof quantify>) => new Map(q.holdings.map((h) => [h.household, Number(h.units)]));

describe('quantify (收益权量化到户)', () => {
  it('PER_HOUSEHOLD: equal units per household, whatever its size; the remainder stays with the collective', () => {
    const q = quantify({ totalUnits: '10000', retainedRatio: '0.30', basis: 'PER_HOUSEHOLD', households: households([1, 4, 2]) });
    expect(q.split).toMatchObject({
      poolUnits: '7000',
      retainedByRatioUnits: '3000',
      unitsPerHousehold: '2333',
      unitsPerPerson: '0',
      remainderUnits: '1',
      collectiveUnits: '3001',
    });
    expect(q.holdings.map((h) => h.units)).toEqual(['2333', '2333', '2333']);
  });

  it('PER_PERSON: a household holds its persons × the units per person', () => {
    const q = quantify({ totalUnits: '10000', retainedRatio: '0', basis: 'PER_PERSON', households: households([1, 4, 2]) });
    expect(q.split).toMatchObject({ poolUnits: '10000', unitsPerPerson: '1428', remainderUnits: '4', collectiveUnits: '4' });
    expect(q.holdings.map((h) => h.units)).toEqual(['1428', '5712', '2856']);
  });

  it('WEIGHTED: the household part and the person part each divided equally', () => {
    const q = quantify({ totalUnits: '1000', retainedRatio: '0.20', basis: 'WEIGHTED', householdWeight: '0.40', households: households([1, 3, 3]) });
    // pool 800: 320 by household (106 each, 2 over), 480 by person (68 each over 7 persons, 4 over).
    expect(q.split).toMatchObject({ poolUnits: '800', householdPartUnits: '320', personPartUnits: '480', unitsPerHousehold: '106', unitsPerPerson: '68', remainderUnits: '6' });
    expect(q.holdings.map((h) => h.units)).toEqual(['174', '310', '310']);
    expect(q.split.collectiveUnits).toBe('206');
  });

  it('emits no holding for households when there are fewer units than claims; all go to the collective', () => {
    const q = quantify({ totalUnits: '2', retainedRatio: '0', basis: 'PER_HOUSEHOLD', households: households([1, 1, 1]) });
    expect(q.holdings).toEqual([]);
    expect(q.split.collectiveUnits).toBe('2');
  });

  it('refuses a WEIGHTED rule without its weight, a weight above 1, and units for no household', () => {
    expect(() => quantify({ totalUnits: '10', retainedRatio: '0', basis: 'WEIGHTED', households: households([1]) })).toThrow(QuantificationError);
    expect(() => quantify({ totalUnits: '10', retainedRatio: '0', basis: 'WEIGHTED', householdWeight: '1.5', households: households([1]) })).toThrow(/householdWeight/);
    expect(() => quantify({ totalUnits: '10', retainedRatio: '0.5', basis: 'PER_PERSON', households: [] })).toThrow(/no household on the census date/);
  });

  it('property: equal claims get equal units, and households plus the collective add up to the total', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000_000 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom('PER_HOUSEHOLD' as const, 'PER_PERSON' as const, 'WEIGHTED' as const),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 60 }),
        (total, ratioMicros, basis, weightMicros, sizes) => {
          const q = quantify({
            totalUnits: String(total),
            retainedRatio: (ratioMicros / 1e6).toFixed(6),
            basis,
            householdWeight: (weightMicros / 1e6).toFixed(6),
            households: households(sizes),
          });
          const units = unitsOf(q);
          const given = [...units.values()].reduce((s, u) => s + u, 0);
          expect(given + Number(q.split.collectiveUnits)).toBe(total);
          // Same size → same units (PER_HOUSEHOLD: every household the same).
          const bySize = new Map<number, Set<number>>();
          households(sizes).forEach((h) =>
            bySize.set(basis === 'PER_HOUSEHOLD' ? 0 : h.persons, (bySize.get(basis === 'PER_HOUSEHOLD' ? 0 : h.persons) ?? new Set()).add(units.get(h.household) ?? 0)),
          );
          for (const set of bySize.values()) expect(set.size).toBe(1);
          // The remainder is less than the claims it could not be divided among.
          expect(Number(q.split.remainderUnits)).toBeLessThan(sizes.length + sizes.reduce((s, n) => s + n, 0));
        },
      ),
      { numRuns: 300 },
    );
  });
});
