import fc from 'fast-check';
import { Dec } from '@forest-ledger/ledger/domain';
import {
  calculateSubsidy,
  clawback,
  ContractFacts,
  daysBetween,
  evaluateEligibility,
  instalmentSchedule,
  plusDays,
  plusYears,
  ruleInForce,
  ruleProblem,
  RuleTerms,
  termYears,
} from './subsidy-rules';

const RULE: RuleTerms = {
  version: 1,
  effectiveFrom: '2024-01-01',
  rateBasis: 'PER_MU',
  rate: '30',
  capPerContract: null,
  capPerRecipientPerYear: null,
  minTermYears: 5,
  minAreaMu: '50.0000',
  modes: [],
  transferorKinds: [],
  transfereeKinds: [],
  recipients: [
    { role: 'TRANSFEROR', share: '0.6' },
    { role: 'TRANSFEREE', share: '0.4' },
  ],
  instalments: [
    { share: '0.5', afterContractYears: 0 },
    { share: '0.5', afterContractYears: 1 },
  ],
  clawbackRate: '1',
};

const FACTS: ContractFacts = {
  startDate: '2025-01-01',
  endDate: '2029-12-31',
  areaMu: '50.0000',
  mode: 'LEASE',
  transferorKind: 'HOUSEHOLD',
  transfereeKind: 'ENTERPRISE',
  inProgrammeRegion: true,
  inForce: true,
};

const WHO = [
  { role: 'TRANSFEROR' as const, party: 'H-001', approvedThisYear: '0' },
  { role: 'TRANSFEREE' as const, party: 'E-OUTSIDE', approvedThisYear: '0' },
];

const sum = (xs: readonly string[]) => xs.reduce((s, x) => s.plus(x), new Dec(0));

describe('ruleInForce', () => {
  const rules = [
    { version: 1, effectiveFrom: '2024-01-01' },
    { version: 2, effectiveFrom: '2025-07-01' },
    { version: 3, effectiveFrom: '2026-01-01' },
  ];
  it.each([
    ['2023-12-31', null],
    ['2024-01-01', 1],
    ['2025-06-30', 1],
    ['2025-07-01', 2],
    ['2030-01-01', 3],
  ])('on %s the version in force is %p', (date, version) => {
    expect(ruleInForce(rules, date)?.version ?? null).toBe(version);
  });

  it('property: the chosen version is the latest on or before the date, whatever the order given', () => {
    const date = fc.integer({ min: 0, max: 3650 }).map((d) => plusDays('2020-01-01', d));
    fc.assert(
      fc.property(fc.uniqueArray(date, { minLength: 0, maxLength: 8 }), date, (dates, on) => {
        const list = dates.map((d, i) => ({ version: i + 1, effectiveFrom: d }));
        const chosen = ruleInForce([...list].reverse(), on);
        const candidates = list.filter((r) => r.effectiveFrom <= on);
        if (candidates.length === 0) expect(chosen).toBeNull();
        else
          expect(chosen!.effectiveFrom).toBe(
            candidates
              .map((c) => c.effectiveFrom)
              .sort()
              .at(-1),
          );
      }),
    );
  });
});

describe('termYears', () => {
  it.each([
    ['2025-01-01', '2029-12-31', 5],
    ['2025-01-01', '2029-12-30', 4],
    ['2025-01-01', '2030-01-01', 5],
    ['2024-02-29', '2029-02-27', 5],
    ['2025-03-15', '2025-03-15', 0],
  ])('%s to %s (inclusive) runs %p whole years', (start, end, years) => {
    expect(termYears(start, end)).toBe(years);
  });

  it('property: a contract ending the day before start + N years runs exactly N years', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 20000 }), fc.integer({ min: 1, max: 70 }), (offset, n) => {
        const start = plusDays('1990-01-01', offset);
        expect(termYears(start, plusDays(plusYears(start, n), -1))).toBe(n);
        expect(termYears(start, plusDays(plusYears(start, n), -2))).toBe(n - 1);
      }),
    );
  });
});

describe('evaluateEligibility', () => {
  it('exactly the minimum term and exactly the minimum area are eligible', () => {
    const { eligible, reasons } = evaluateEligibility(RULE, FACTS);
    expect(eligible).toBe(true);
    expect(reasons.map((r) => r.check)).toEqual(['RULE_IN_FORCE', 'CONTRACT_IN_FORCE', 'REGION', 'MIN_TERM', 'MIN_AREA', 'MODE', 'TRANSFEROR_KIND', 'TRANSFEREE_KIND']);
  });

  it('one day short of the term and 0.0001 亩 short of the area fail, each with its reason', () => {
    const { eligible, reasons } = evaluateEligibility(RULE, { ...FACTS, endDate: '2029-12-30', areaMu: '49.9999' });
    expect(eligible).toBe(false);
    expect(reasons.filter((r) => !r.met).map((r) => r.check)).toEqual(['MIN_TERM', 'MIN_AREA']);
    expect(reasons.find((r) => r.check === 'MIN_TERM')).toMatchObject({ required: '≥ 5 years', actual: '4 years (2025-01-01 – 2029-12-30)' });
  });

  it('modes and party kinds, when listed, must match', () => {
    const rule = { ...RULE, modes: ['EQUITY' as const], transferorKinds: ['HOUSEHOLD'], transfereeKinds: ['STATE_FARM', 'COLLECTIVE'] };
    const { reasons } = evaluateEligibility(rule, FACTS);
    expect(reasons.filter((r) => !r.met).map((r) => r.check)).toEqual(['MODE', 'TRANSFEREE_KIND']);
  });

  it('no rule in force: only the general checks, and not eligible', () => {
    const { eligible, reasons } = evaluateEligibility(null, { ...FACTS, inProgrammeRegion: false });
    expect(eligible).toBe(false);
    expect(reasons.filter((r) => !r.met).map((r) => r.check)).toEqual(['RULE_IN_FORCE', 'REGION']);
  });
});

describe('calculateSubsidy', () => {
  it('rate × area rounded half-up to the 分 once, split 60/40', () => {
    const calc = calculateSubsidy({ ...RULE, rate: '12.345' }, '100.1230', WHO);
    // 12.345 × 100.123 = 1236.018435 → 1236.02
    expect(calc.gross).toBe('1236.02');
    expect(calc.recipients.map((r) => r.amount)).toEqual(['741.61', '494.41']);
    expect(calc.total).toBe('1236.02');
    expect(calc.steps[0]).toContain('12.345 元/亩 × 100.1230 亩 = 1236.02 元');
  });

  it('caps per contract, then per recipient per year against what was approved already this year', () => {
    const calc = calculateSubsidy({ ...RULE, rate: '100', capPerContract: '8000.00', capPerRecipientPerYear: '5000.00' }, '100.0000', [
      { role: 'TRANSFEROR', party: 'H-001', approvedThisYear: '1000.00' },
      { role: 'TRANSFEREE', party: 'E-OUTSIDE', approvedThisYear: '0' },
    ]);
    expect(calc).toMatchObject({ gross: '10000.00', afterContractCap: '8000.00', total: '7200.00' });
    expect(calc.recipients).toEqual([
      { role: 'TRANSFEROR', party: 'H-001', share: '0.6', allocated: '4800.00', approvedThisYear: '1000.00', amount: '4000.00' },
      { role: 'TRANSFEREE', party: 'E-OUTSIDE', share: '0.4', allocated: '3200.00', approvedThisYear: '0.00', amount: '3200.00' },
    ]);
  });

  it('a fixed amount per contract ignores the area', () => {
    expect(calculateSubsidy({ ...RULE, rateBasis: 'PER_CONTRACT', rate: '2000.00', recipients: [{ role: 'TRANSFEREE', share: '1' }] }, '999.0000', WHO).total).toBe('2000.00');
  });

  it('property: parts add up to the capped amount (no annual cap), each within a 分 of its exact share; never above the caps', () => {
    const shareArb = fc.integer({ min: 0, max: 1_000_000 }).map((n) => new Dec(n).div(1_000_000));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000_000 }).map((n) => new Dec(n).div(10000).toString()),
        fc.integer({ min: 1, max: 10_000_000 }).map((n) => new Dec(n).div(10000).toFixed(4)),
        shareArb,
        fc.option(fc.integer({ min: 0, max: 10_000_000 }).map((n) => new Dec(n).div(100).toFixed(2))),
        (rate, area, s, cap) => {
          const rule: RuleTerms = {
            ...RULE,
            rate,
            capPerContract: cap,
            recipients: [
              { role: 'TRANSFEROR', share: s.toString() },
              { role: 'TRANSFEREE', share: new Dec(1).minus(s).toString() },
            ],
          };
          const calc = calculateSubsidy(rule, area, WHO);
          expect(sum(calc.recipients.map((r) => r.amount)).toFixed(2)).toBe(calc.afterContractCap);
          if (cap !== null) expect(new Dec(calc.total).lessThanOrEqualTo(cap)).toBe(true);
          expect(new Dec(calc.gross).minus(new Dec(rate).times(area)).abs().lessThanOrEqualTo('0.005')).toBe(true);
          calc.recipients.forEach((r, i) => {
            const exact = new Dec(calc.afterContractCap).times(rule.recipients[i].share);
            expect(new Dec(r.amount).minus(exact).abs().lessThan('0.01')).toBe(true);
          });
        },
      ),
    );
  });

  it('property: with an annual cap, no recipient ends the year above it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2_000_000 }), fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: 1_500_000 }), (rateFen, capFen, usedFen) => {
        const cap = new Dec(capFen).div(100).toFixed(2);
        const used = new Dec(usedFen).div(100).toFixed(2);
        const calc = calculateSubsidy(
          { ...RULE, rate: new Dec(rateFen).div(100).toString(), capPerRecipientPerYear: cap },
          '77.7777',
          WHO.map((w) => ({ ...w, approvedThisYear: used })),
        );
        for (const r of calc.recipients) {
          expect(new Dec(r.amount).greaterThanOrEqualTo(0)).toBe(true);
          expect(new Dec(r.amount).lessThanOrEqualTo(r.allocated)).toBe(true);
          expect(new Dec(r.amount).plus(used).lessThanOrEqualTo(Dec.max(cap, used))).toBe(true);
        }
      }),
    );
  });
});

describe('instalmentSchedule', () => {
  it('50 % on approval, 50 % once the contract has run one year; each recipient split by largest remainder', () => {
    const schedule = instalmentSchedule(
      RULE.instalments,
      [
        { party: 'H-001', amount: '900.01' },
        { party: 'E-OUTSIDE', amount: '600.01' },
      ],
      '2025-03-10',
      '2025-01-01',
    );
    expect(schedule).toEqual([
      {
        seq: 1,
        dueDate: '2025-03-10',
        amount: '750.02',
        splits: [
          { party: 'H-001', amount: '450.01' },
          { party: 'E-OUTSIDE', amount: '300.01' },
        ],
      },
      {
        seq: 2,
        dueDate: '2026-01-01',
        amount: '750.00',
        splits: [
          { party: 'H-001', amount: '450.00' },
          { party: 'E-OUTSIDE', amount: '300.00' },
        ],
      },
    ]);
  });

  it('an instalment never falls due before the approval, and zero instalments are left out', () => {
    const schedule = instalmentSchedule(RULE.instalments, [{ party: 'H-001', amount: '0.01' }], '2027-05-05', '2025-01-01');
    expect(schedule).toEqual([{ seq: 1, dueDate: '2027-05-05', amount: '0.01', splits: [{ party: 'H-001', amount: '0.01' }] }]);
  });

  it("property: instalments add up to each recipient's amount exactly and to the total", () => {
    const fen = fc.integer({ min: 0, max: 100_000_000 }).map((n) => new Dec(n).div(100).toFixed(2));
    const terms = fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 5 }).map((ws) => {
      const total = ws.reduce((a, b) => a + b, 0);
      const shares = ws.map((w) => new Dec(w).div(total).toDecimalPlaces(6, Dec.ROUND_DOWN));
      shares[0] = shares[0].plus(new Dec(1).minus(shares.reduce((a, b) => a.plus(b), new Dec(0))));
      return shares.map((s, i) => ({ share: s.toString(), afterContractYears: i }));
    });
    fc.assert(
      fc.property(terms, fc.array(fen, { minLength: 1, maxLength: 3 }), (ts, amounts) => {
        const recipients = amounts.map((a, i) => ({ party: `P${i}`, amount: a }));
        const schedule = instalmentSchedule(ts, recipients, '2025-06-01', '2025-01-01');
        expect(sum(schedule.map((s) => s.amount)).toFixed(2)).toBe(sum(amounts).toFixed(2));
        for (const r of recipients) expect(sum(schedule.flatMap((s) => s.splits.filter((x) => x.party === r.party).map((x) => x.amount))).toFixed(2)).toBe(r.amount);
        for (const s of schedule) {
          expect(sum(s.splits.map((x) => x.amount)).toFixed(2)).toBe(s.amount);
          expect(s.dueDate >= '2025-06-01').toBe(true);
        }
      }),
    );
  });
});

describe('clawback', () => {
  it('pro rata to the unexpired term, to the 分: 1000.00 paid, 5-year term (1826 days), ended after 2 years', () => {
    // 2025-01-01 … 2029-12-31 = 1826 days; last day in force 2026-12-31 → 365 + 366 + 365 = 1096 days unexpired.
    const result = clawback(
      [
        { party: 'H-001', paid: '600.00' },
        { party: 'E-OUTSIDE', paid: '400.00' },
      ],
      '1',
      '2025-01-01',
      '2029-12-31',
      '2026-12-31',
    );
    expect(result).toMatchObject({ termDays: 1826, unexpiredDays: 1096, total: '600.22' });
    // 1000 × 1096 / 1826 = 600.2190… → 600.22; split by what was paid: 360.132 / 240.088 → 360.13 / 240.08 + the leftover 分 to the larger remainder
    expect(result.lines).toEqual([
      { party: 'H-001', paid: '600.00', amount: '360.13' },
      { party: 'E-OUTSIDE', paid: '400.00', amount: '240.09' },
    ]);
  });

  it('a clawback rate of 50 % and rounding half-up at exactly half a 分', () => {
    // 0.02 × 0.5 × 1 / 2 = 0.005 → 0.01 (half-up); 0.02 × 0.4 × 1 / 2 = 0.004 → 0.00
    expect(clawback([{ party: 'A', paid: '0.02' }], '0.5', '2025-01-01', '2025-01-02', '2025-01-01').total).toBe('0.01');
    expect(clawback([{ party: 'A', paid: '0.02' }], '0.4', '2025-01-01', '2025-01-02', '2025-01-01').total).toBe('0.00');
  });

  it('nothing paid or terminated on the last day: nothing to claw back', () => {
    expect(clawback([{ party: 'A', paid: '0.00' }], '1', '2025-01-01', '2029-12-31', '2026-01-01').total).toBe('0.00');
    expect(clawback([{ party: 'A', paid: '100.00' }], '1', '2025-01-01', '2029-12-31', '2029-12-31').total).toBe('0.00');
  });

  it('property: never more than rate × paid, parts add up, each part at most what that recipient was paid', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        (paidFen, rateMillionths, termDays, elapsed) => {
          const start = '2025-01-01';
          const end = plusDays(start, termDays - 1);
          const terminatedOn = plusDays(start, Math.min(elapsed, termDays - 1));
          const paid = paidFen.map((f, i) => ({ party: `P${i}`, paid: new Dec(f).div(100).toFixed(2) }));
          const rate = new Dec(rateMillionths).div(1_000_000).toString();
          const result = clawback(paid, rate, start, end, terminatedOn);
          const totalPaid = sum(paid.map((p) => p.paid));
          const exact = totalPaid.times(rate).times(daysBetween(terminatedOn, end)).div(termDays);
          expect(new Dec(result.total).minus(exact).abs().lessThanOrEqualTo('0.005')).toBe(true);
          expect(sum(result.lines.map((l) => l.amount)).toFixed(2)).toBe(result.total);
          result.lines.forEach((l, i) => expect(new Dec(l.amount).lessThanOrEqualTo(paid[i].paid)).toBe(true));
        },
      ),
    );
  });
});

describe('ruleProblem', () => {
  it('accepts a well-formed rule', () => expect(ruleProblem(RULE)).toBeNull());
  it('refuses shares that do not sum to 100 %', () => {
    expect(
      ruleProblem({
        ...RULE,
        recipients: [
          { role: 'TRANSFEROR', share: '0.6' },
          { role: 'TRANSFEREE', share: '0.3' },
        ],
      }),
    ).toEqual(['recipients', 'recipient shares must sum to 100 %; they sum to 90 %']);
    expect(ruleProblem({ ...RULE, instalments: [{ share: '0.5', afterContractYears: 0 }] })?.[0]).toBe('instalments');
  });
  it('refuses an unknown mode or a repeated role', () => {
    expect(ruleProblem({ ...RULE, modes: ['SALE' as never] })?.[0]).toBe('modes');
    expect(
      ruleProblem({
        ...RULE,
        recipients: [
          { role: 'TRANSFEROR', share: '0.5' },
          { role: 'TRANSFEROR', share: '0.5' },
        ],
      })?.[0],
    ).toBe('recipients');
  });
});
