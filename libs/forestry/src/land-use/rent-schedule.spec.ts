import fc from 'fast-check';
import Decimal from 'decimal.js';
import { addDays, addMonths, annualRents, assertLeaseTerm, buildSchedule, daysInclusive, RentScheduleError, ScheduleInput } from './rent-schedule';

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
    expect(annualRents(FIXED('1000.00'), { kind: 'STEP', everyYears: 3, step: '50.00' }, 7).map((d) => d.toFixed(2))).toEqual(['1000.00', '1000.00', '1000.00', '1050.00', '1050.00', '1050.00', '1100.00']);
    expect(annualRents(FIXED('1000.00'), { kind: 'PERCENT', everyYears: 2, percent: '3.5' }, 5).map((d) => d.toFixed(2))).toEqual(['1000.00', '1000.00', '1035.00', '1035.00', '1071.23']);
  });

  it('computes rent per 亩 from the rate and the area, rounded to the 分', () => {
    expect(annualRents({ kind: 'PER_MU', ratePerMuYear: '12.35', areaMu: '1234.5678' }, NONE, 1)[0].toFixed(2)).toBe('15246.91');
  });

  it('bills a period at the rent of the contract year in force on its first day', () => {
    const periods = buildSchedule({ startDate: '2025-07-01', endDate: '2027-06-30', rent: FIXED('1200.00'), escalation: { kind: 'STEP', everyYears: 1, step: '120.00' }, frequency: 'QUARTERLY' });
    expect(periods.map((p) => [p.periodStart, p.contractYear, p.amount])).toEqual([
      ['2025-07-01', 0, '300.00'],
      ['2025-10-01', 0, '300.00'],
      ['2026-01-01', 0, '300.00'],
      ['2026-04-01', 0, '300.00'],
      ['2026-07-01', 1, '330.00'],
      ['2026-10-01', 1, '330.00'],
      ['2027-01-01', 1, '330.00'],
      ['2027-04-01', 1, '330.00'],
    ]);
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
    const annual = buildSchedule({ startDate: '2024-02-01', endDate: '2025-01-31', rent: FIXED('36600.00'), escalation: NONE, frequency: 'ANNUAL' });
    expect(annual.map((p) => [p.days, p.periodDays, p.amount])).toEqual([
      [335, 366, '33500.00'],
      [31, 365, '3108.49'],
    ]);
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

describe('schedule properties', () => {
  const dates = fc.integer({ min: 0, max: 3000 }).map((n) => addDays('2020-01-01', n));
  const inputs = fc.record({
    start: dates,
    lengthDays: fc.integer({ min: 1, max: 20 * 365 }),
    annual: fc.integer({ min: 1, max: 10_000_000 }).map((c) => new Decimal(c).div(100).toFixed(2)),
    frequency: fc.constantFrom('ANNUAL' as const, 'SEMI_ANNUAL' as const, 'QUARTERLY' as const),
    percent: fc.integer({ min: 0, max: 1000 }).map((n) => new Decimal(n).div(100).toFixed(2)),
    everyYears: fc.integer({ min: 1, max: 5 }),
  });

  it('periods are contiguous, cover the contract exactly, and never bill more than a full period', () => {
    fc.assert(
      fc.property(inputs, ({ start, lengthDays, annual, frequency, percent, everyYears }) => {
        const end = addDays(start, lengthDays - 1);
        const periods = buildSchedule({ startDate: start, endDate: end, rent: FIXED(annual), escalation: { kind: 'PERCENT', everyYears, percent }, frequency });
        expect(periods[0].periodStart).toBe(start);
        expect(periods[periods.length - 1].periodEnd).toBe(end);
        periods.forEach((p, i) => {
          if (i > 0) expect(p.periodStart).toBe(addDays(periods[i - 1].periodEnd, 1));
          expect(p.days).toBeLessThanOrEqual(p.periodDays);
          const perYear = { ANNUAL: 1, SEMI_ANNUAL: 2, QUARTERLY: 4 }[frequency];
          expect(new Decimal(p.amount).lte(new Decimal(p.annualRent).div(perYear).toDecimalPlaces(2, Decimal.ROUND_HALF_UP))).toBe(true);
        });
        expect(periods.reduce((s, p) => s + p.days, 0)).toBe(daysInclusive(start, end));
      }),
      { numRuns: 200 },
    );
  });

  it('a whole number of calendar years without escalation bills exactly the annual rent each year', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2000, max: 2090 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 10_000_000 }), (year, years, cents) => {
        const annual = new Decimal(cents).div(100);
        const periods = buildSchedule({ startDate: `${year}-01-01`, endDate: `${year + years - 1}-12-31`, rent: FIXED(annual.toFixed(2)), escalation: NONE, frequency: 'ANNUAL' });
        expect(periods.length).toBe(years);
        expect(periods.every((p) => p.amount === annual.toFixed(2))).toBe(true);
        expect(addMonths(`${year}-01-01`, years * 12)).toBe(`${year + years}-01-01`);
      }),
      { numRuns: 100 },
    );
  });
});
