import fc from 'fast-check';
import Decimal from 'decimal.js';
import { addDays, addMonths, annualRents, assertLeaseTerm, buildSchedule, daysInclusive, RentScheduleError, ScheduleInput, unusedRent } from './rent-schedule';

const FIXED = (annualAmount: string) => ({ kind: 'FIXED' as const, annualAmount });
const NONE = { kind: 'NONE' as const };

function refusal(work: () => unknown): RentScheduleError {
  try {
    work();
  } catch (error) {
    if (error instanceof RentScheduleError) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

describe('the 20-year cap of a lease (Civil Code §705)', () => {
  it('accepts exactly 20 years and refuses 20 years and a day', () => {
    expect(() => assertLeaseTerm('2025-01-01', '2044-12-31')).not.toThrow();
    const error = refusal(() => assertLeaseTerm('2025-01-01', '2045-01-01'));
    expect(error).toMatchObject({ code: 'LEASE_TOO_LONG', kind: 'rule', field: 'endDate', details: { latestEndDate: '2044-12-31' } });
  });

  it('counts 20 years from a 29 February to 28 February − 1 day', () => {
    expect(() => assertLeaseTerm('2024-02-29', '2044-02-27')).not.toThrow();
    expect(() => assertLeaseTerm('2024-02-29', '2044-02-28')).not.toThrow();
    expect(refusal(() => assertLeaseTerm('2024-02-29', '2044-02-29')).code).toBe('LEASE_TOO_LONG');
  });
});

describe('escalation', () => {
  it('compounds 5 % a year over 10 years, rounded to the 分 at each step (hand-computed table)', () => {
    const rents = annualRents(FIXED('10000.00'), { kind: 'PERCENT', everyYears: 1, percent: '5' }, 10).map((d) => d.toFixed(2));
    expect(rents).toEqual(['10000.00', '10500.00', '11025.00', '11576.25', '12155.06', '12762.81', '13400.95', '14071.00', '14774.55', '15513.28']);
  });

  it('steps every N years, and a percentage every N years', () => {
    expect(annualRents(FIXED('1000.00'), { kind: 'STEP', everyYears: 3, step: '50.00' }, 7).map((d) => d.toFixed(2))).toEqual([
      '1000.00',
      '1000.00',
      '1000.00',
      '1050.00',
      '1050.00',
      '1050.00',
      '1100.00',
    ]);
    expect(annualRents(FIXED('1000.00'), { kind: 'PERCENT', everyYears: 2, percent: '3.5' }, 5).map((d) => d.toFixed(2))).toEqual([
      '1000.00',
      '1000.00',
      '1035.00',
      '1035.00',
      '1071.23',
    ]);
  });

  it('computes rent per 亩 from the rate and the area, rounded to the 分', () => {
    expect(annualRents({ kind: 'PER_MU', ratePerMuYear: '12.35', areaMu: '1234.5678' }, NONE, 1)[0].toFixed(2)).toBe('15246.91');
  });

  it('bills each contract year at its own rent, numbered from 第 1 合同年', () => {
    const periods = buildSchedule({
      startDate: '2025-07-01',
      endDate: '2027-06-30',
      rent: FIXED('1200.00'),
      escalation: { kind: 'STEP', everyYears: 1, step: '120.00' },
      frequency: 'QUARTERLY',
    });
    expect(periods.map((p) => [p.periodStart, p.contractYear, p.amount])).toEqual([
      ['2025-07-01', 1, '300.00'],
      ['2025-10-01', 1, '300.00'],
      ['2026-01-01', 1, '300.00'],
      ['2026-04-01', 1, '300.00'],
      ['2026-07-01', 2, '330.00'],
      ['2026-10-01', 2, '330.00'],
      ['2027-01-01', 2, '330.00'],
      ['2027-04-01', 2, '330.00'],
    ]);
    expect(periods[4].calculation).toBe('年租金 1320.00 元 (第 2 合同年) ÷ 4 = 330.00');
  });
});

describe('proration of the first and last periods', () => {
  it('prorates by days of the calendar period and bills in advance', () => {
    const periods = buildSchedule({ startDate: '2025-03-15', endDate: '2027-06-30', rent: FIXED('36500.00'), escalation: NONE, frequency: 'ANNUAL' });
    expect(periods.map((p) => ({ start: p.periodStart, end: p.periodEnd, due: p.dueDate, days: p.days, of: p.periodDays, amount: p.amount }))).toEqual([
      { start: '2025-03-15', end: '2025-12-31', due: '2025-03-15', days: 292, of: 365, amount: '29200.00' },
      { start: '2026-01-01', end: '2026-12-31', due: '2026-01-01', days: 365, of: 365, amount: '36500.00' },
      { start: '2027-01-01', end: '2027-06-30', due: '2027-01-01', days: 181, of: 365, amount: '18100.00' },
    ]);
    expect(periods[0].calculation).toBe('年租金 36500.00 元 (第 1 合同年) × 292/365 天 = 29200.00');
  });

  it('counts 366 days in a leap year (a schedule spanning 29 February)', () => {
    // One full contract year: 335/366 of 36600.00 = 33500.00, and January 2025 closes the year with the rest (not 31/365 = 3108.49).
    const annual = buildSchedule({ startDate: '2024-02-01', endDate: '2025-01-31', rent: FIXED('36600.00'), escalation: NONE, frequency: 'ANNUAL' });
    expect(annual.map((p) => [p.days, p.periodDays, p.amount])).toEqual([
      [335, 366, '33500.00'],
      [31, 365, '3100.00'],
    ]);
    expect(annual[1].calculation).toBe('年租金 36600.00 元 (第 1 合同年) × 31/365 天 = 3108.49；第 1 合同年末段取余额 36600.00 − 33500.00 = 3100.00');
    expect(annual[1].parts).toEqual([{ contractYear: 1, partStart: '2025-01-01', partEnd: '2025-01-31', days: 31, annualRent: '36600.00', amount: '3100.00', basis: 'REMAINDER' }]);
    const quarterly = buildSchedule({ startDate: '2024-01-01', endDate: '2024-12-31', rent: FIXED('36600.00'), escalation: NONE, frequency: 'QUARTERLY' });
    expect(quarterly.map((p) => [p.periodDays, p.amount])).toEqual([
      [91, '9150.00'],
      [91, '9150.00'],
      [92, '9150.00'],
      [92, '9150.00'],
    ]);
    const semi = buildSchedule({ startDate: '2024-02-29', endDate: '2024-06-30', rent: FIXED('1000.00'), escalation: NONE, frequency: 'SEMI_ANNUAL' });
    expect(semi).toMatchObject([{ periodStart: '2024-02-29', days: 123, periodDays: 182, amount: '337.91' }]);
  });

  it('refuses malformed input with the field named', () => {
    const base: ScheduleInput = { startDate: '2025-01-01', endDate: '2025-12-31', rent: FIXED('100.00'), escalation: NONE, frequency: 'ANNUAL' };
    expect(refusal(() => buildSchedule({ ...base, endDate: '2024-12-31' })).field).toBe('endDate');
    expect(refusal(() => buildSchedule({ ...base, startDate: '2025-02-30' })).field).toBe('startDate');
    expect(refusal(() => buildSchedule({ ...base, escalation: { kind: 'STEP', everyYears: 0, step: '1.00' } })).field).toBe('escalation.everyYears');
    expect(() => buildSchedule({ ...base, rent: FIXED('100.001') })).toThrow(/decimal places/);
  });
});

describe('escalation on the contract anniversary, also inside a billing period', () => {
  // The hand-computed case: 12,000.00 a year from 2026-02-15, +5 % a year, quarterly in advance, 5 years.
  const FIVE_YEARS: ScheduleInput = {
    startDate: '2026-02-15',
    endDate: '2031-02-14',
    rent: FIXED('12000.00'),
    escalation: { kind: 'PERCENT', everyYears: 1, percent: '5' },
    frequency: 'QUARTERLY',
  };

  it('bills the quarter spanning the anniversary by days at each contract year’s rent: 1,500.00 + 1,575.00', () => {
    const periods = buildSchedule(FIVE_YEARS);
    const q = periods.find((p) => p.periodStart === '2027-01-01')!;
    expect(q).toMatchObject({ periodEnd: '2027-03-31', dueDate: '2027-01-01', contractYear: 1, annualRent: '12000.00', days: 90, periodDays: 90, amount: '3075.00' });
    expect(q.parts).toEqual([
      { contractYear: 1, partStart: '2027-01-01', partEnd: '2027-02-14', days: 45, annualRent: '12000.00', amount: '1500.00', basis: 'PRORATED' },
      { contractYear: 2, partStart: '2027-02-15', partEnd: '2027-03-31', days: 45, annualRent: '12600.00', amount: '1575.00', basis: 'PRORATED' },
    ]);
    expect(q.calculation).toBe(
      '2027-01-01~2027-02-14 年租金 12000.00 元 (第 1 合同年) ÷ 4 = 3000.00 × 45/90 天 = 1500.00；' +
        '2027-02-15~2027-03-31 年租金 12600.00 元 (第 2 合同年) ÷ 4 = 3150.00 × 45/90 天 = 1575.00；合计 1500.00 + 1575.00 = 3075.00',
    );
  });

  it('adds up to each year’s rent and the five years to 66,307.58', () => {
    const periods = buildSchedule(FIVE_YEARS);
    const byYear = new Map<number, Decimal>();
    for (const part of periods.flatMap((p) => p.parts)) byYear.set(part.contractYear, (byYear.get(part.contractYear) ?? new Decimal(0)).plus(part.amount));
    expect([...byYear.entries()].map(([year, total]) => [year, total.toFixed(2)])).toEqual([
      [1, '12000.00'],
      [2, '12600.00'],
      [3, '13230.00'],
      [4, '13891.50'],
      [5, '14586.08'],
    ]);
    expect(periods.reduce((s, p) => s.plus(p.amount), new Decimal(0)).toFixed(2)).toBe('66307.58');
    // Year 3 starts on 2028-02-15, in a 91-day quarter (46/91 of a share) and ends in a 90-day one: its last part takes the rest.
    const q = periods.find((p) => p.periodStart === '2029-01-01')!;
    expect(q.parts.map((p) => [p.contractYear, p.amount, p.basis])).toEqual([
      [3, '1635.58', 'REMAINDER'],
      [4, '1736.44', 'PRORATED'],
    ]);
  });

  it('makes four quarters of a 13,891.50 year sum to 13,891.50, the last taking the rest', () => {
    const periods = buildSchedule({ ...FIVE_YEARS, startDate: '2026-01-01', endDate: '2029-12-31' });
    expect(periods.filter((p) => p.contractYear === 4).map((p) => [p.periodStart, p.amount, p.parts[0].basis])).toEqual([
      ['2029-01-01', '3472.88', 'FULL'],
      ['2029-04-01', '3472.88', 'FULL'],
      ['2029-07-01', '3472.88', 'FULL'],
      ['2029-10-01', '3472.86', 'REMAINDER'],
    ]);
    expect(periods[15].calculation).toBe('年租金 13891.50 元 (第 4 合同年) ÷ 4 = 3472.88；第 4 合同年末段取余额 13891.50 − 10418.64 = 3472.86');
  });

  it('splits a half-year and a calendar year at the anniversary too', () => {
    const semi = buildSchedule({
      startDate: '2025-04-01',
      endDate: '2027-03-31',
      rent: FIXED('10000.00'),
      escalation: { kind: 'STEP', everyYears: 1, step: '1000.00' },
      frequency: 'SEMI_ANNUAL',
    });
    // H1 2025: 91/181 of 5000.00; H1 2026: 90 days of year 1 (the rest, 2486.19) + 91/181 of 5500.00 = 2765.19.
    expect(semi.map((p) => [p.periodStart, p.amount, p.parts.map((x) => `${x.contractYear}:${x.amount}`).join(' ')])).toEqual([
      ['2025-04-01', '2513.81', '1:2513.81'],
      ['2025-07-01', '5000.00', '1:5000.00'],
      ['2026-01-01', '5251.38', '1:2486.19 2:2765.19'],
      ['2026-07-01', '5500.00', '2:5500.00'],
      ['2027-01-01', '2734.81', '2:2734.81'],
    ]);
    const annual = buildSchedule({
      startDate: '2025-07-01',
      endDate: '2027-06-30',
      rent: FIXED('3650.00'),
      escalation: { kind: 'PERCENT', everyYears: 1, percent: '10' },
      frequency: 'ANNUAL',
    });
    // 184/365 of 3650.00 = 1840.00; 2026: the rest of year 1 (1810.00) + 184/365 of 4015.00 (2024.00); 2027: the rest of year 2.
    expect(annual.map((p) => [p.periodStart, p.periodEnd, p.amount])).toEqual([
      ['2025-07-01', '2025-12-31', '1840.00'],
      ['2026-01-01', '2026-12-31', '3834.00'],
      ['2027-01-01', '2027-06-30', '1991.00'],
    ]);
  });

  it('gives back the unused days of a period at the rent of the contract year they fall in (early termination)', () => {
    const q = buildSchedule(FIVE_YEARS).find((p) => p.periodStart === '2027-01-01')!;
    expect(unusedRent(q.parts, '2027-02-28').toFixed(2)).toBe('1085.00'); // 1575.00 − 1575.00 × 14/45 = 1575.00 − 490.00
    expect(unusedRent(q.parts, '2027-02-14').toFixed(2)).toBe('1575.00');
    expect(unusedRent(q.parts, '2027-01-10').toFixed(2)).toBe('2741.67'); // 1500.00 − 1500.00 × 10/45 (333.33) + 1575.00
    expect(unusedRent(q.parts, '2027-03-31').toFixed(2)).toBe('0.00');
  });

  it('prorates a contract year cut short by the end date (there is no rest to take)', () => {
    const periods = buildSchedule({
      startDate: '2025-01-01',
      endDate: '2026-05-15',
      rent: FIXED('3650.00'),
      escalation: { kind: 'STEP', everyYears: 1, step: '365.00' },
      frequency: 'ANNUAL',
    });
    expect(periods.map((p) => [p.contractYear, p.days, p.amount, p.parts[0].basis])).toEqual([
      [1, 365, '3650.00', 'FULL'],
      [2, 135, '1485.00', 'PRORATED'], // 4015.00 × 135/365
    ]);
  });

  it('refuses a rent so small that a part bills 0.00, naming the rent', () => {
    const error = refusal(() => buildSchedule({ startDate: '2025-03-31', endDate: '2025-12-31', rent: FIXED('1.00'), escalation: NONE, frequency: 'QUARTERLY' }));
    expect(error).toMatchObject({ code: 'INVALID_SCHEDULE', field: 'rent', details: { partStart: '2025-03-31', partEnd: '2025-03-31' } });
  });
});

describe('schedule properties', () => {
  const FREQUENCIES = ['ANNUAL', 'SEMI_ANNUAL', 'QUARTERLY'] as const;
  const PER_YEAR = { ANNUAL: 1, SEMI_ANNUAL: 2, QUARTERLY: 4 };
  const cents = (min: number, max: number) => fc.integer({ min, max }).map((c) => new Decimal(c).div(100).toFixed(2));
  // Random days, and the days that break date arithmetic: 29 February, month ends, year ends.
  const starts = fc.oneof(
    fc.integer({ min: 0, max: 4000 }).map((n) => addDays('2020-01-01', n)),
    fc.constantFrom(
      '2024-02-29',
      '2028-02-29',
      '2025-01-31',
      '2025-02-28',
      '2025-03-31',
      '2025-04-30',
      '2025-06-30',
      '2025-08-31',
      '2025-09-30',
      '2025-12-31',
      '2026-01-01',
      '2027-07-01',
    ),
  );
  const rent = fc.oneof(
    cents(10_000, 1_000_000_000).map(FIXED),
    fc.record({
      kind: fc.constant('PER_MU' as const),
      ratePerMuYear: cents(1_000, 100_000),
      areaMu: fc.integer({ min: 100_000, max: 100_000_000 }).map((n) => new Decimal(n).div(10_000).toFixed(4)),
    }),
  );
  const escalation = fc.oneof(
    fc.constant(NONE),
    fc.record({ kind: fc.constant('STEP' as const), everyYears: fc.integer({ min: 1, max: 5 }), step: cents(0, 10_000_000) }),
    fc.record({
      kind: fc.constant('PERCENT' as const),
      everyYears: fc.integer({ min: 1, max: 5 }),
      percent: fc.integer({ min: 0, max: 150_000 }).map((n) => new Decimal(n).div(10_000).toString()),
    }),
  );
  // Whole contract years (the usual contract) or any length up to 20 years.
  const terms = fc.oneof(
    fc.integer({ min: 1, max: 20 }).map((years) => ({ years })),
    fc.integer({ min: 1, max: 20 * 365 }).map((days) => ({ days })),
  );
  const inputs = fc.record({ start: starts, term: terms, rent, escalation, frequency: fc.constantFrom(...FREQUENCIES) }).map(({ start, term, ...rest }) => ({
    startDate: start,
    endDate: 'years' in term ? addDays(addMonths(start, term.years * 12), -1) : addDays(start, term.days - 1),
    ...rest,
  }));

  /** A plain check (hundreds of thousands per run: jest's expect would take seconds). */
  function check(ok: boolean, what: string): void {
    if (!ok) throw new Error(what);
  }

  it('periods are contiguous, cover the term, bill positive amounts; each contract year adds up to its rent and the term to the years', () => {
    fc.assert(
      fc.property(inputs, (input: ScheduleInput) => {
        const periods = buildSchedule(input);
        const yearStarts = [input.startDate];
        while (addMonths(input.startDate, yearStarts.length * 12) <= input.endDate) yearStarts.push(addMonths(input.startDate, yearStarts.length * 12));
        yearStarts.push(addMonths(input.startDate, yearStarts.length * 12));
        const years = yearStarts.length - 1;
        const rents = annualRents(input.rent, input.escalation, years);

        check(periods[0].periodStart === input.startDate && periods[periods.length - 1].periodEnd === input.endDate, 'the periods run from the start to the end');
        check(periods.reduce((s, p) => s + p.days, 0) === daysInclusive(input.startDate, input.endDate), 'the periods cover every day once');
        const billed = rents.map(() => new Decimal(0));
        periods.forEach((p, i) => {
          const at = `period ${p.seq} ${p.periodStart}~${p.periodEnd}`;
          check(p.seq === i + 1 && p.dueDate === p.periodStart, `${at}: numbered in order, due on its first day`);
          check(i === 0 || p.periodStart === addDays(periods[i - 1].periodEnd, 1), `${at}: follows the previous period`);
          check(p.days > 0 && p.days === daysInclusive(p.periodStart, p.periodEnd) && p.days <= p.periodDays, `${at}: days`);
          check(p.parts[0].partStart === p.periodStart && p.parts[p.parts.length - 1].partEnd === p.periodEnd, `${at}: the parts cover the period`);
          check(p.contractYear === p.parts[0].contractYear && p.annualRent === p.parts[0].annualRent, `${at}: the year of its first day`);
          p.parts.forEach((part, j) => {
            const n = part.contractYear;
            check(j === 0 || part.partStart === addDays(p.parts[j - 1].partEnd, 1), `${at}: part ${j} follows the previous one`);
            check(part.days > 0 && part.days === daysInclusive(part.partStart, part.partEnd), `${at}: part ${j} days`);
            check(part.partStart >= yearStarts[n - 1] && part.partEnd < yearStarts[n], `${at}: part ${j} lies in ${n}`);
            check(part.annualRent === rents[n - 1].toFixed(2), `${at}: part ${j} bills year ${n}'s rent`);
            check(new Decimal(part.amount).greaterThan(0), `${at}: part ${j} bills more than 0`);
            billed[n - 1] = billed[n - 1].plus(part.amount);
          });
          check(p.amount === p.parts.reduce((s, x) => s.plus(x.amount), new Decimal(0)).toFixed(2), `${at}: the amount is the sum of its parts`);
        });
        billed.forEach((total, k) => {
          // A full contract year bills exactly its rent; one cut short by the end date about its days' share of it.
          if (addDays(yearStarts[k + 1], -1) <= input.endDate) check(total.equals(rents[k]), `year ${k + 1} bills ${total.toFixed(2)}, not its rent ${rents[k].toFixed(2)}`);
          else check(total.lessThanOrEqualTo(rents[k].times(1.01).plus(0.05)), `the cut-short year ${k + 1} bills ${total.toFixed(2)}, more than its rent ${rents[k].toFixed(2)}`);
        });
        const term = periods.reduce((s, p) => s.plus(p.amount), new Decimal(0));
        expect(term.toFixed(2)).toBe(billed.reduce((s, b) => s.plus(b), new Decimal(0)).toFixed(2));
        if (addDays(yearStarts[years], -1) === input.endDate) expect(term.toFixed(2)).toBe(rents.reduce((s, r) => s.plus(r), new Decimal(0)).toFixed(2));
      }),
      { numRuns: 300 },
    );
  });

  it('a whole billing period bills its share, a part its days’ share, unless it closes a contract year (the year’s rest)', () => {
    fc.assert(
      fc.property(inputs, (input: ScheduleInput) => {
        for (const p of buildSchedule(input)) {
          for (const part of p.parts) {
            const share = new Decimal(part.annualRent).div(PER_YEAR[input.frequency]).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
            const prorated = share.times(part.days).div(p.periodDays).toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
            check(part.basis !== (part.days === p.periodDays ? 'PRORATED' : 'FULL'), `${part.partStart}: basis ${part.basis} for ${part.days}/${p.periodDays} days`);
            if (part.basis === 'FULL') check(part.amount === share.toFixed(2), `${part.partStart}: a full period bills its share`);
            if (part.basis === 'PRORATED') check(part.amount === prorated.toFixed(2), `${part.partStart}: a part bills its days' share`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
