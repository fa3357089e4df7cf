import { DomainError } from '@forest-ledger/common';
import fc from 'fast-check';
import { LedgerError } from '@forest-ledger/ledger/domain';
import { IssuanceContribution, IssuanceHolding, IssuanceInput, IssuanceMember, IssuancePlan, IssuancePlanError, planIssuance } from './issuance-plan';

/** 梨树村: 100 villagers in 40 households — households H-01…H-20 of three, H-21…H-40 of two; the first of each is its head. */
function lishuVillagers(): IssuanceMember[] {
  return Array.from({ length: 100 }, (_, k) => {
    const n = k + 1;
    const household = n <= 60 ? Math.ceil(n / 3) : 20 + Math.ceil((n - 60) / 2);
    const head = n <= 60 ? n % 3 === 1 : n % 2 === 1;
    return { party: `LS-V${String(n).padStart(3, '0')}`, household: `LS-H${String(household).padStart(2, '0')}`, head };
  });
}

/** The heads of lishuVillagers(): LS-V001, LS-V004 … LS-V058, LS-V061, LS-V063 … LS-V099. */
const lishuHeads = (): IssuanceMember[] => lishuVillagers().filter((m) => m.head);

function lishu(overrides: Partial<IssuanceInput> = {}): IssuanceInput {
  return {
    seriesCode: 'LS-GZ-2021',
    faceValue: '1.00',
    contributions: [{ party: 'LS-COLL', role: 'COLLECTIVE', amount: '900000.00' }],
    collectiveRetainedRatio: '0.30',
    memberWeighting: 'PER_PERSON',
    members: lishuVillagers(),
    ...overrides,
  };
}

const sumUnits = (holdings: readonly IssuanceHolding[]): bigint => holdings.reduce((s, h) => s + BigInt(h.units), 0n);
const unitsBy = (plan: IssuancePlan): Record<string, string> => Object.fromEntries(plan.holdings.map((h) => [h.party, h.units]));
const certificate = (series: string, n: number): string => `${series}-${String(n).padStart(6, '0')}`;

function refusal(run: () => unknown): DomainError {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('planIssuance', () => {
  describe('梨树村 × 官庄国有林场: 900,000.00 CNY face value, 30 % kept by the collective, 70 % to 100 villagers in 40 households', () => {
    it('PER_PERSON: 270000 retained, 6300 units for each villager, exactly 900000 in all', () => {
      const plan = planIssuance(lishu());
      expect(plan).toMatchObject({
        seriesCode: 'LS-GZ-2021',
        faceValue: '1.00',
        totalUnits: '900000',
        collectiveUnits: '900000',
        retainedUnits: '270000',
        membersUnits: '630000',
        memberWeighting: 'PER_PERSON',
        split: { basis: 'PER_PERSON', claims: 100, poolUnits: '630000', unitsPerClaim: '6300', remainderUnits: '0', retainedByRatioUnits: '270000' },
      });
      expect(plan.split.explanation).toBe(
        "630000 member units (the collective's 900000 less 270000 kept at retained ratio 0.3) among 100 members: 6300 each, nothing left over; the collective keeps 270000",
      );
      expect(plan.holdings).toHaveLength(101);
      expect(plan.holdings[0]).toEqual({ party: 'LS-COLL', role: 'COLLECTIVE', units: '270000', certificateNo: 'LS-GZ-2021-000001' });
      const members = plan.holdings.slice(1);
      expect(members.every((h) => h.role === 'MEMBER' && h.units === '6300')).toBe(true);
      expect(members.map((h) => h.party)).toEqual(lishuVillagers().map((m) => m.party));
      expect(members[0]).toEqual({ party: 'LS-V001', role: 'MEMBER', units: '6300', household: 'LS-H01', certificateNo: 'LS-GZ-2021-000002' });
      expect(plan.holdings[100].certificateNo).toBe('LS-GZ-2021-000101');
      expect(sumUnits(members)).toBe(630000n);
      expect(sumUnits(plan.holdings)).toBe(900000n);
    });

    it("PER_HOUSEHOLD (收益权量化到户): one holding of 15750 per household, in its head's name; 41 certificates", () => {
      const plan = planIssuance(lishu({ memberWeighting: 'PER_HOUSEHOLD' }));
      expect(plan).toMatchObject({
        totalUnits: '900000',
        collectiveUnits: '900000',
        retainedUnits: '270000',
        membersUnits: '630000',
        split: { basis: 'PER_HOUSEHOLD', claims: 40, poolUnits: '630000', unitsPerClaim: '15750', remainderUnits: '0' },
      });
      const members = plan.holdings.filter((h) => h.role === 'MEMBER');
      expect(members.map((h) => [h.party, h.household, h.units])).toEqual(lishuHeads().map((m) => [m.party, m.household, '15750']));
      expect(sumUnits(members)).toBe(630000n);
      expect(sumUnits(plan.holdings)).toBe(900000n);
      expect(plan.holdings.map((h) => h.certificateNo)).toEqual(Array.from({ length: 41 }, (_, i) => certificate('LS-GZ-2021', i + 1)));
    });

    it('a farm that contributed 0.00 gets no holding; the plan is the same as without it', () => {
      const withFarm = planIssuance(lishu({ contributions: [{ party: 'GZ-FARM', role: 'FARM', amount: '0.00' }, ...lishu().contributions] }));
      expect(withFarm).toEqual(planIssuance(lishu()));
      expect(withFarm.holdings.some((h) => h.party === 'GZ-FARM')).toBe(false);
    });
  });

  describe('equal claims get equal units; what cannot be divided equally stays with the collective', () => {
    // 6,300 collective units at 30 %: 1,890 retained by the ratio, 4,410 for the members.
    const small = (overrides: Partial<IssuanceInput> = {}) => lishu({ contributions: [{ party: 'LS-COLL', role: 'COLLECTIVE', amount: '6300.00' }], ...overrides });

    it('4,410 member units among 100 villagers: 44 each, never 45 for the first ten; the collective keeps 1,890 + 10 = 1,900', () => {
      const plan = planIssuance(small());
      expect(plan).toMatchObject({
        collectiveUnits: '6300',
        retainedUnits: '1900',
        membersUnits: '4400',
        split: { basis: 'PER_PERSON', claims: 100, poolUnits: '4410', unitsPerClaim: '44', remainderUnits: '10', retainedByRatioUnits: '1890' },
      });
      expect(plan.split.explanation).toBe(
        "4410 member units (the collective's 6300 less 1890 kept at retained ratio 0.3) among 100 members: 44 each; the 10 that cannot be divided equally stay with the collective, which keeps 1890 + 10 = 1900",
      );
      expect(plan.holdings[0]).toMatchObject({ party: 'LS-COLL', role: 'COLLECTIVE', units: '1900' });
      expect(new Set(plan.holdings.slice(1).map((h) => h.units))).toEqual(new Set(['44']));
      expect(plan.holdings).toHaveLength(101);
      expect(sumUnits(plan.holdings)).toBe(6300n);
    });

    it('per household, 40 households: 110 each (never 111 for ten of them), one holding per household held by its head; the collective keeps 1,900', () => {
      const plan = planIssuance(small({ memberWeighting: 'PER_HOUSEHOLD' }));
      expect(plan).toMatchObject({
        retainedUnits: '1900',
        membersUnits: '4400',
        split: { basis: 'PER_HOUSEHOLD', claims: 40, poolUnits: '4410', unitsPerClaim: '110', remainderUnits: '10', retainedByRatioUnits: '1890' },
      });
      expect(plan.split.explanation).toContain(
        'among 40 households (each held by its head): 110 each; the 10 that cannot be divided equally stay with the collective, which keeps 1890 + 10 = 1900',
      );
      expect(plan.holdings.slice(1).map((h) => [h.party, h.role, h.household, h.units])).toEqual(lishuHeads().map((m) => [m.party, 'MEMBER', m.household, '110']));
      expect(plan.holdings.map((h) => h.certificateNo)).toEqual(Array.from({ length: 41 }, (_, i) => certificate('LS-GZ-2021', i + 1)));
    });

    it('the order of the roster decides nothing: reversed, the plan is the same', () => {
      expect(planIssuance(small({ members: lishuVillagers().reverse() }))).toEqual(planIssuance(small()));
      expect(planIssuance(small({ memberWeighting: 'PER_HOUSEHOLD', members: lishuVillagers().reverse() }))).toEqual(planIssuance(small({ memberWeighting: 'PER_HOUSEHOLD' })));
    });

    it('fewer units than claims: nobody gets any, all stay with the collective, which says why', () => {
      const plan = planIssuance(small({ contributions: [{ party: 'LS-COLL', role: 'COLLECTIVE', amount: '100.00' }] }));
      expect(plan).toMatchObject({
        retainedUnits: '100',
        membersUnits: '0',
        split: { claims: 100, poolUnits: '70', unitsPerClaim: '0', remainderUnits: '70', retainedByRatioUnits: '30' },
      });
      expect(plan.holdings).toEqual([{ party: 'LS-COLL', role: 'COLLECTIVE', units: '100', certificateNo: 'LS-GZ-2021-000001' }]);
      expect(plan.split.explanation).toContain('fewer units than claims, so none each; all 70 stay with the collective, which keeps 30 + 70 = 100');
    });
  });

  it('level 1 by contribution: farm first, then the collective (lines of one party added up), then members', () => {
    const plan = planIssuance({
      seriesCode: 'YC-DXG-2025',
      faceValue: '100.00',
      contributions: [
        { party: 'DXG-COLL', role: 'COLLECTIVE', amount: '500000.00' }, // land
        { party: 'YC-FARM', role: 'FARM', amount: '600000.00' },
        { party: 'DXG-COLL', role: 'COLLECTIVE', amount: '400000' }, // trees
      ],
      collectiveRetainedRatio: '0.3',
      memberWeighting: 'PER_PERSON',
      members: ['V-07', 'V-03', 'V-01', 'V-05', 'V-02', 'V-06', 'V-04'].map((party) => ({ party, household: `H-${party}` })),
    });
    expect(plan).toMatchObject({ faceValue: '100.00', totalUnits: '15000', collectiveUnits: '9000', retainedUnits: '2700', membersUnits: '6300' });
    expect(plan.holdings.slice(0, 2)).toEqual([
      { party: 'YC-FARM', role: 'FARM', units: '6000', certificateNo: 'YC-DXG-2025-000001' },
      { party: 'DXG-COLL', role: 'COLLECTIVE', units: '2700', certificateNo: 'YC-DXG-2025-000002' },
    ]);
    expect(plan.holdings.slice(2).map((h) => [h.party, h.units, h.certificateNo])).toEqual(
      Array.from({ length: 7 }, (_, i) => [`V-0${i + 1}`, '900', certificate('YC-DXG-2025', i + 3)]),
    );
    expect(sumUnits(plan.holdings)).toBe(15000n);
  });

  it('several farms are ordered by party code', () => {
    const plan = planIssuance({
      ...lishu(),
      contributions: [
        { party: 'FARM-B', role: 'FARM', amount: '3' },
        { party: 'COLL', role: 'COLLECTIVE', amount: '10' },
        { party: 'FARM-A', role: 'FARM', amount: '2' },
      ],
      collectiveRetainedRatio: '1',
    });
    expect(plan.holdings).toEqual([
      { party: 'FARM-A', role: 'FARM', units: '2', certificateNo: 'LS-GZ-2021-000001' },
      { party: 'FARM-B', role: 'FARM', units: '3', certificateNo: 'LS-GZ-2021-000002' },
      { party: 'COLL', role: 'COLLECTIVE', units: '10', certificateNo: 'LS-GZ-2021-000003' },
    ]);
    expect(plan).toMatchObject({ totalUnits: '15', collectiveUnits: '10', retainedUnits: '10', membersUnits: '0' });
  });

  describe('indivisible cases', () => {
    const seven = ['M-6', 'M-2', 'M-7', 'M-1', 'M-4', 'M-3', 'M-5'].map((party) => ({ party, household: 'H-1' }));

    it('143 collective units at 30 %: the pool is floor(100.1) = 100, 14 for each of 7 members; the 0.1 and the 2 left over stay with the collective (43 + 2)', () => {
      const plan = planIssuance({ ...lishu(), contributions: [{ party: 'COLL', role: 'COLLECTIVE', amount: '143.00' }], members: seven });
      expect(plan).toMatchObject({
        totalUnits: '143',
        collectiveUnits: '143',
        retainedUnits: '45',
        membersUnits: '98',
        split: { poolUnits: '100', unitsPerClaim: '14', remainderUnits: '2', retainedByRatioUnits: '43' },
      });
      expect(unitsBy(plan)).toEqual({ COLL: '45', 'M-1': '14', 'M-2': '14', 'M-3': '14', 'M-4': '14', 'M-5': '14', 'M-6': '14', 'M-7': '14' });
      expect(sumUnits(plan.holdings)).toBe(143n);
    });

    it('ratio 0: the members share all they can equally; the collective holds only the remainder', () => {
      const plan = planIssuance({ ...lishu(), contributions: [{ party: 'COLL', role: 'COLLECTIVE', amount: '100' }], collectiveRetainedRatio: '0.000000', members: seven });
      expect(plan).toMatchObject({ retainedUnits: '2', membersUnits: '98', split: { retainedByRatioUnits: '0', remainderUnits: '2' } });
      expect(plan.holdings.map((h) => [h.party, h.units, h.certificateNo])).toEqual([
        ['COLL', '2', 'LS-GZ-2021-000001'],
        ...['M-1', 'M-2', 'M-3', 'M-4', 'M-5', 'M-6', 'M-7'].map((m, i) => [m, '14', certificate('LS-GZ-2021', i + 2)]),
      ]);
    });

    it('ratio 0 and an even pool: the collective gets no holding', () => {
      const plan = planIssuance({ ...lishu(), contributions: [{ party: 'COLL', role: 'COLLECTIVE', amount: '98' }], collectiveRetainedRatio: '0', members: seven });
      expect(plan).toMatchObject({ retainedUnits: '0', membersUnits: '98' });
      expect(plan.holdings.map((h) => [h.party, h.units])).toEqual(['M-1', 'M-2', 'M-3', 'M-4', 'M-5', 'M-6', 'M-7'].map((m) => [m, '14']));
    });

    it('PER_HOUSEHOLD: every household counts once whatever its size; its head holds its units; the remainder stays with the collective', () => {
      const members: IssuanceMember[] = [
        { party: 'V-1', household: 'H-C', head: true },
        { party: 'V-2', household: 'H-B', head: true },
        { party: 'V-3', household: 'H-A', head: true },
        { party: 'V-4', household: 'H-C' },
        { party: 'V-5', household: 'H-B', head: false },
        { party: 'V-6', household: 'H-C' },
      ];
      const plan = planIssuance({
        ...lishu(),
        memberWeighting: 'PER_HOUSEHOLD',
        contributions: [{ party: 'COLL', role: 'COLLECTIVE', amount: '10' }],
        collectiveRetainedRatio: '0',
        members,
      });
      expect(plan).toMatchObject({ retainedUnits: '1', membersUnits: '9', split: { claims: 3, unitsPerClaim: '3', remainderUnits: '1' } });
      expect(plan.holdings.map((h) => [h.party, h.role, h.household, h.units])).toEqual([
        ['COLL', 'COLLECTIVE', undefined, '1'],
        ['V-1', 'MEMBER', 'H-C', '3'],
        ['V-2', 'MEMBER', 'H-B', '3'],
        ['V-3', 'MEMBER', 'H-A', '3'],
      ]);
    });
  });

  it('carries a member account id through to the holding', () => {
    const plan = planIssuance({
      ...lishu(),
      contributions: [{ party: 'COLL', role: 'COLLECTIVE', amount: '10' }],
      members: [
        { party: 'V-2', household: 'H-1' },
        { party: 'V-1', household: 'H-1', accountId: 'holder:V-1:tickets:LS-GZ-2021' },
      ],
    });
    expect(plan.holdings).toEqual([
      { party: 'COLL', role: 'COLLECTIVE', units: '4', certificateNo: 'LS-GZ-2021-000001' },
      { party: 'V-1', role: 'MEMBER', units: '3', household: 'H-1', accountId: 'holder:V-1:tickets:LS-GZ-2021', certificateNo: 'LS-GZ-2021-000002' },
      { party: 'V-2', role: 'MEMBER', units: '3', household: 'H-1', certificateNo: 'LS-GZ-2021-000003' },
    ]);
  });

  describe('refusals', () => {
    it('total contributions not a whole number of face values: NOT_WHOLE_UNITS naming both amounts', () => {
      const error = refusal(() => planIssuance({ ...lishu(), faceValue: '100.00', contributions: [{ party: 'COLL', role: 'COLLECTIVE', amount: '150.00' }] }));
      expect(error).toBeInstanceOf(IssuancePlanError);
      expect(error).toMatchObject({ kind: 'rule', code: 'NOT_WHOLE_UNITS', field: 'contributions', details: { total: '150.00', faceValue: '100.00' } });
      expect(error.message).toContain('150.00 CNY');
      expect(error.message).toContain('face value 100.00 CNY');
      expect(error.message).toContain('1 units and 50.00 CNY over');
    });

    it('one contribution not a whole number of units, even when the total is: NOT_WHOLE_UNITS naming the line', () => {
      const error = refusal(() =>
        planIssuance({
          ...lishu(),
          contributions: [
            { party: 'FARM', role: 'FARM', amount: '0.50' },
            { party: 'COLL', role: 'COLLECTIVE', amount: '10.50' },
          ],
        }),
      );
      expect(error).toMatchObject({ code: 'NOT_WHOLE_UNITS', field: 'contributions[0].amount', details: { party: 'FARM', amount: '0.50', faceValue: '1.00' } });
      expect(error.message).toMatch(/contribution 0\.50 CNY of FARM .*face value 1\.00 CNY/);
    });

    it.each([
      ['faceValue', { faceValue: '0.00' }],
      ['faceValue', { faceValue: '0' }],
      ['faceValue', { faceValue: '-1.00' }],
      ['faceValue', { faceValue: '1.001' }],
      ['faceValue', { faceValue: 1 as unknown as string }],
      ['collectiveRetainedRatio', { collectiveRetainedRatio: '-0.3' }],
      ['collectiveRetainedRatio', { collectiveRetainedRatio: '0.1234567' }],
      ['collectiveRetainedRatio', { collectiveRetainedRatio: '30%' }],
      ['contributions[0].amount', { contributions: [{ party: 'COLL', role: 'COLLECTIVE', amount: '1e6' }] }],
      ['contributions[0].amount', { contributions: [{ party: 'COLL', role: 'COLLECTIVE', amount: '100.001' }] }],
    ] as Array<[string, Partial<IssuanceInput>]>)('malformed %s → INVALID_AMOUNT (%j)', (field, overrides) => {
      const error = refusal(() => planIssuance(lishu(overrides)));
      expect(error).toBeInstanceOf(LedgerError);
      expect(error).toMatchObject({ kind: 'invalid', code: 'INVALID_AMOUNT', field });
    });

    const coll: IssuanceContribution = { party: 'COLL', role: 'COLLECTIVE', amount: '100' };
    it.each([
      ['ratio above 1', { collectiveRetainedRatio: '1.000001' }, 'collectiveRetainedRatio'],
      ['ratio above 1', { collectiveRetainedRatio: '1.5' }, 'collectiveRetainedRatio'],
      ['empty series code', { seriesCode: '' }, 'seriesCode'],
      ['series code with a space', { seriesCode: 'LS 2021' }, 'seriesCode'],
      ['unknown weighting', { memberWeighting: 'PER_ACRE' as unknown as 'PER_PERSON' }, 'memberWeighting'],
      ['no contributions', { contributions: [] }, 'contributions'],
      ['no collective', { contributions: [{ party: 'FARM', role: 'FARM', amount: '100' }] }, 'contributions'],
      ['two collectives', { contributions: [coll, { party: 'COLL-2', role: 'COLLECTIVE', amount: '100' }] }, 'contributions'],
      ['a party in two roles', { contributions: [coll, { party: 'COLL', role: 'FARM', amount: '100' }] }, 'contributions[1].role'],
      ['unknown role', { contributions: [coll, { party: 'BANK', role: 'BANK' as unknown as 'FARM', amount: '100' }] }, 'contributions[1].role'],
      ['empty party', { contributions: [{ party: '', role: 'COLLECTIVE', amount: '100' }] }, 'contributions[0].party'],
      ['total of zero', { contributions: [{ party: 'COLL', role: 'COLLECTIVE', amount: '0.00' }] }, 'contributions'],
      ['a member listed twice', { members: [...lishuVillagers(), { party: 'LS-V042', household: 'LS-H99' }] }, 'members[100].party'],
      ['a member who is a contributor', { members: [{ party: 'LS-COLL', household: 'H' }] }, 'members[0].party'],
      ['a member without household', { members: [{ party: 'V-1', household: ' ' }] }, 'members[0].household'],
      ['an empty account id', { members: [{ party: 'V-1', household: 'H', accountId: '' }] }, 'members[0].accountId'],
      ['a head flag that is not a boolean', { members: [{ party: 'V-1', household: 'H', head: 'yes' as unknown as boolean }] }, 'members[0].head'],
    ] as Array<[string, Partial<IssuanceInput>, string]>)('%s → INVALID_ISSUANCE', (_, overrides, field) => {
      const error = refusal(() => planIssuance(lishu(overrides)));
      expect(error).toBeInstanceOf(IssuancePlanError);
      expect(error).toMatchObject({ kind: 'invalid', code: 'INVALID_ISSUANCE', field });
    });

    it('PER_HOUSEHOLD with a household without a head, or with two → HOUSEHOLD_HEAD naming them; with nothing to share it does not matter', () => {
      const members = lishuVillagers().map((m) => (m.household === 'LS-H03' ? { ...m, head: false } : m.party === 'LS-V062' ? { ...m, head: true } : m));
      const error = refusal(() => planIssuance(lishu({ memberWeighting: 'PER_HOUSEHOLD', members })));
      expect(error).toBeInstanceOf(IssuancePlanError);
      expect(error).toMatchObject({
        kind: 'rule',
        code: 'HOUSEHOLD_HEAD',
        field: 'members',
        details: {
          households: [
            { household: 'LS-H03', heads: [] },
            { household: 'LS-H21', heads: ['LS-V061', 'LS-V062'] },
          ],
        },
      });
      expect(error.message).toContain('LS-H03 (no head); LS-H21 (2 heads: LS-V061, LS-V062)');
      expect(planIssuance(lishu({ memberWeighting: 'PER_HOUSEHOLD', members, collectiveRetainedRatio: '1' })).split).toMatchObject({ claims: 40, unitsPerClaim: '0' });
      // Heads do not matter per person.
      expect(planIssuance(lishu({ members })).split).toMatchObject({ claims: 100, unitsPerClaim: '6300' });
    });

    it('members owed units but none listed → NO_MEMBERS; with ratio 1 an empty list is fine', () => {
      expect(refusal(() => planIssuance(lishu({ members: [] })))).toMatchObject({ code: 'NO_MEMBERS', field: 'members', details: { membersUnits: '630000' } });
      expect(planIssuance(lishu({ members: [], collectiveRetainedRatio: '1.00' })).holdings).toEqual([
        { party: 'LS-COLL', role: 'COLLECTIVE', units: '900000', certificateNo: 'LS-GZ-2021-000001' },
      ]);
    });
  });

  describe('properties', () => {
    interface Scenario {
      input: IssuanceInput;
      faceCents: bigint;
      farmUnits: bigint[];
      collectiveLineUnits: bigint[];
      ratioMicros: bigint;
    }
    const cny = (cents: bigint): string => `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`;
    const unitCount = fc.bigInt({ min: 0n, max: 2_000_000n });
    const scenario: fc.Arbitrary<Scenario> = fc
      .record({
        faceCents: fc.oneof(fc.constantFrom(1n, 50n, 100n, 10_000n), fc.bigInt({ min: 1n, max: 1_000_000n })),
        farmUnits: fc.array(unitCount, { maxLength: 3 }),
        collectiveLineUnits: fc.array(unitCount, { minLength: 1, maxLength: 2 }).map((u) => [u[0] + 1n, ...u.slice(1)]),
        ratioMicros: fc.oneof(fc.constantFrom(0n, 300_000n, 1_000_000n), fc.bigInt({ min: 0n, max: 1_000_000n })),
        weighting: fc.constantFrom<'PER_PERSON' | 'PER_HOUSEHOLD'>('PER_PERSON', 'PER_HOUSEHOLD'),
        memberCodes: fc.uniqueArray(fc.integer({ min: 0, max: 9999 }), { minLength: 1, maxLength: 60 }),
        households: fc.integer({ min: 1, max: 12 }),
        householdSeed: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
      })
      .map(({ faceCents, farmUnits, collectiveLineUnits, ratioMicros, weighting, memberCodes, households, householdSeed }) => {
        const contributions: IssuanceContribution[] = [
          ...farmUnits.map((u, i) => ({ party: `F-${i}`, role: 'FARM' as const, amount: cny(u * faceCents) })),
          ...collectiveLineUnits.map((u) => ({ party: 'C-0', role: 'COLLECTIVE' as const, amount: cny(u * faceCents) })),
        ];
        // The first member of each household in the list is its head.
        const seen = new Set<string>();
        const members = memberCodes.map((code, i) => {
          const household = `H-${householdSeed[i] % households}`;
          const head = !seen.has(household);
          seen.add(household);
          return { party: `V-${String(code).padStart(4, '0')}`, household, head };
        });
        const ratio = `${ratioMicros / 1_000_000n}.${String(ratioMicros % 1_000_000n).padStart(6, '0')}`;
        const input: IssuanceInput = { seriesCode: 'PT-2025', faceValue: cny(faceCents), contributions, collectiveRetainedRatio: ratio, memberWeighting: weighting, members };
        return { input, faceCents, farmUnits, collectiveLineUnits, ratioMicros };
      });
    const RUNS = { numRuns: 300 };

    it('units add up exactly at every level, and match contribution / face value', () => {
      fc.assert(
        fc.property(scenario, ({ input, farmUnits, collectiveLineUnits }) => {
          const plan = planIssuance(input);
          const collective = collectiveLineUnits.reduce((a, b) => a + b, 0n);
          const total = farmUnits.reduce((a, b) => a + b, 0n) + collective;
          expect(plan.totalUnits).toBe(total.toString());
          expect(sumUnits(plan.holdings)).toBe(total);
          expect(plan.collectiveUnits).toBe(collective.toString());
          expect(BigInt(plan.retainedUnits) + BigInt(plan.membersUnits)).toBe(collective);
          expect(sumUnits(plan.holdings.filter((h) => h.role === 'MEMBER'))).toBe(BigInt(plan.membersUnits));
          expect(plan.holdings.find((h) => h.role === 'COLLECTIVE')?.units ?? '0').toBe(plan.retainedUnits);
          farmUnits.forEach((u, i) => expect(plan.holdings.find((h) => h.party === `F-${i}`)?.units ?? '0').toBe(u.toString()));
          expect(plan.holdings.every((h) => /^[1-9][0-9]*$/.test(h.units))).toBe(true);
        }),
        RUNS,
      );
    });

    it('the ratio keeps at least collectiveUnits × ratio, by less than one unit; the collective holds that plus the remainder', () => {
      fc.assert(
        fc.property(scenario, ({ input, ratioMicros }) => {
          const plan = planIssuance(input);
          const excessMicros = BigInt(plan.split.retainedByRatioUnits) * 1_000_000n - BigInt(plan.collectiveUnits) * ratioMicros;
          expect(excessMicros >= 0n && excessMicros < 1_000_000n).toBe(true);
          expect(BigInt(plan.retainedUnits)).toBe(BigInt(plan.split.retainedByRatioUnits) + BigInt(plan.split.remainderUnits));
        }),
        RUNS,
      );
    });

    it('equal claims get equal units: every member holding is unitsPerClaim; member units + retained = the collective; remainder < claims', () => {
      fc.assert(
        fc.property(scenario, ({ input }) => {
          const plan = planIssuance(input);
          const { claims, poolUnits, unitsPerClaim, remainderUnits } = plan.split;
          const members = plan.holdings.filter((h) => h.role === 'MEMBER');
          expect(members.every((h) => h.units === unitsPerClaim)).toBe(true);
          expect(members).toHaveLength(unitsPerClaim === '0' ? 0 : claims);
          expect(sumUnits(members)).toBe(BigInt(claims) * BigInt(unitsPerClaim));
          expect(BigInt(plan.membersUnits) + BigInt(plan.retainedUnits)).toBe(BigInt(plan.collectiveUnits));
          expect(BigInt(claims) * BigInt(unitsPerClaim) + BigInt(remainderUnits)).toBe(BigInt(poolUnits));
          expect(BigInt(remainderUnits) < BigInt(Math.max(claims, 1))).toBe(true);
          const households = new Set(input.members.map((m) => m.household));
          expect(claims).toBe(input.memberWeighting === 'PER_PERSON' ? input.members.length : households.size);
        }),
        RUNS,
      );
    });

    it('per household: one holder per household, its head, holding for that household', () => {
      fc.assert(
        fc.property(
          scenario.filter((s) => s.input.memberWeighting === 'PER_HOUSEHOLD'),
          ({ input }) => {
            const plan = planIssuance(input);
            const members = plan.holdings.filter((h) => h.role === 'MEMBER');
            if (plan.split.unitsPerClaim === '0') return;
            const heads = input.members.filter((m) => m.head);
            expect(members.map((h) => [h.party, h.household])).toEqual(heads.map((m) => [m.party, m.household]).sort(([a], [b]) => (a < b ? -1 : 1)));
            expect(new Set(members.map((h) => h.household)).size).toBe(members.length);
          },
        ),
        RUNS,
      );
    });

    it('certificate numbers are gapless from 000001 and unique; holdings are farms, collective, members, each by party code', () => {
      fc.assert(
        fc.property(scenario, ({ input }) => {
          const plan = planIssuance(input);
          expect(plan.holdings.map((h) => h.certificateNo)).toEqual(plan.holdings.map((_, i) => certificate('PT-2025', i + 1)));
          expect(new Set(plan.holdings.map((h) => h.certificateNo)).size).toBe(plan.holdings.length);
          const rank = { FARM: 0, COLLECTIVE: 1, MEMBER: 2 } as const;
          for (let i = 1; i < plan.holdings.length; i++) {
            const [a, b] = [plan.holdings[i - 1], plan.holdings[i]];
            expect(rank[a.role] < rank[b.role] || (a.role === b.role && a.party < b.party)).toBe(true);
          }
        }),
        RUNS,
      );
    });

    it('is deterministic: permuting the members and the contributions changes nothing', () => {
      fc.assert(
        fc.property(
          scenario.chain((s) =>
            fc.tuple(
              fc.constant(s),
              fc.shuffledSubarray([...s.input.members], { minLength: s.input.members.length, maxLength: s.input.members.length }),
              fc.shuffledSubarray([...s.input.contributions], { minLength: s.input.contributions.length, maxLength: s.input.contributions.length }),
            ),
          ),
          ([{ input }, members, contributions]) => {
            expect(planIssuance({ ...input, members, contributions })).toEqual(planIssuance(input));
          },
        ),
        RUNS,
      );
    });
  });
});
