import { Amount, Dec, DomainError, isIsoDate } from '@forest-ledger/ledger/domain';
import Decimal from 'decimal.js';

/**
 * The rent schedule of a state-forest-land lease or concession (DOMAIN.md §7): every billing period
 * with its due date, amount and calculation, computed up front. Pure: no database, no clock.
 *
 * Rules and the choices made here:
 * - The contract runs from `startDate` to `endDate`, both inclusive. A lease may not exceed 20 years
 *   (Civil Code §705): endDate must be before startDate + 20 years (exactly 20 years is
 *   startDate + 20 years − 1 day). Checked by `assertLeaseTerm`.
 * - Billing periods follow the calendar: ANNUAL by calendar year, SEMI_ANNUAL by half-year
 *   (1 January, 1 July), QUARTERLY by quarter. The first and the last periods are cut at the
 *   contract's dates and prorated by days: full-period amount × days covered / days in the calendar
 *   period (so a leap year's 366 days count). Rent is billed in advance: due on the period's first
 *   contract day.
 * - The annual rent is rate × area (per 亩 per year) or a fixed annual amount. Escalation goes by
 *   contract year (year k starts on the k-th anniversary of startDate): NONE; STEP adds a fixed
 *   amount every N years; PERCENT multiplies by (1 + p) every N years, compounded and rounded to the
 *   分 at each step. A period bills at the rent of the contract year in force on its first day.
 * - Every amount is rounded half up to the 分 once where it is computed: the annual rent (per
 *   escalation step), the full-period amount (annual / periods per year), the prorated amount.
 */

export type BillingFrequency = 'ANNUAL' | 'SEMI_ANNUAL' | 'QUARTERLY';
export const BILLING_FREQUENCIES: readonly BillingFrequency[] = ['ANNUAL', 'SEMI_ANNUAL', 'QUARTERLY'];

export type RentBasis = { kind: 'PER_MU'; ratePerMuYear: string; areaMu: string } | { kind: 'FIXED'; annualAmount: string };

export type Escalation = { kind: 'NONE' } | { kind: 'STEP'; everyYears: number; step: string } | { kind: 'PERCENT'; everyYears: number; percent: string };

export interface ScheduleInput {
  startDate: string;
  endDate: string;
  rent: RentBasis;
  escalation: Escalation;
  frequency: BillingFrequency;
}

export interface SchedulePeriod {
  /** 1, 2, … in date order. */
  seq: number;
  periodStart: string;
  periodEnd: string;
  dueDate: string;
  /** 0-based contract year in force on periodStart. */
  contractYear: number;
  annualRent: string;
  /** Days billed and days in the calendar period (equal unless prorated). */
  days: number;
  periodDays: number;
  amount: string;
  /** How the amount was computed, for people. */
  calculation: string;
}

export const MAX_LEASE_YEARS = 20;

export class RentScheduleError extends DomainError {
  constructor(code: 'INVALID_SCHEDULE' | 'LEASE_TOO_LONG', message: string, field: string, details?: Record<string, unknown>) {
    super(code === 'INVALID_SCHEDULE' ? 'invalid' : 'rule', code, message, field, details);
  }
}

const MONTHS: Record<BillingFrequency, number> = { ANNUAL: 12, SEMI_ANNUAL: 6, QUARTERLY: 3 };
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of an ISO date (UTC, no time zone in play). */
function dayNumber(date: string): number {
  return Date.parse(`${date}T00:00:00Z`) / DAY_MS;
}

function isoOf(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** `date` plus whole months, clamped to the month's last day (31 January + 1 month = 28/29 February). */
export function addMonths(date: string, months: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const target = new Date(Date.UTC(y, m - 1 + months, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d, lastDay));
  return target.toISOString().slice(0, 10);
}

export function addDays(date: string, days: number): string {
  return isoOf(dayNumber(date) + days);
}

/** Days from `from` to `to`, both inclusive. */
export function daysInclusive(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from) + 1;
}

/** Refuses a lease of more than 20 years: exactly 20 years (end = start + 20 years − 1 day) is accepted. */
export function assertLeaseTerm(startDate: string, endDate: string, field = 'endDate'): void {
  const latest = addDays(addMonths(startDate, MAX_LEASE_YEARS * 12), -1);
  if (endDate > latest) {
    throw new RentScheduleError('LEASE_TOO_LONG', `a lease may not exceed ${MAX_LEASE_YEARS} years (Civil Code §705): it may end on ${latest} at the latest, not ${endDate}; a renewal is a new contract`, field, {
      latestEndDate: latest,
    });
  }
}

const round2 = (d: Decimal): Decimal => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

/** The annual rent of each contract year 0..years-1 (escalated, rounded to the 分 at each step). */
export function annualRents(rent: RentBasis, escalation: Escalation, years: number): Decimal[] {
  const base =
    rent.kind === 'PER_MU'
      ? round2(Amount.parsePositive(rent.ratePerMuYear, 2, 'rent.ratePerMuYear').value.times(Amount.parsePositive(rent.areaMu, 4, 'rent.areaMu').value))
      : Amount.parsePositive(rent.annualAmount, 2, 'rent.annualAmount').value;
  if (escalation.kind !== 'NONE' && (!Number.isInteger(escalation.everyYears) || escalation.everyYears < 1 || escalation.everyYears > 50)) {
    throw new RentScheduleError('INVALID_SCHEDULE', 'escalation.everyYears must be a whole number of years from 1 to 50', 'escalation.everyYears');
  }
  const step = escalation.kind === 'STEP' ? Amount.parse(escalation.step, 2, 'escalation.step').value : null;
  const factor = escalation.kind === 'PERCENT' ? new Dec(1).plus(Amount.parse(escalation.percent, 4, 'escalation.percent').value.div(100)) : null;
  const rents: Decimal[] = [];
  let current = base;
  for (let year = 0; year < years; year++) {
    if (year > 0 && escalation.kind !== 'NONE' && year % escalation.everyYears === 0) {
      current = step !== null ? current.plus(step) : round2(current.times(factor!));
    }
    rents.push(current);
  }
  return rents;
}

/** The first day of the calendar billing period containing `date`. */
function calendarPeriodStart(date: string, months: number): string {
  const [y, m] = date.split('-').map(Number);
  const startMonth = Math.floor((m - 1) / months) * months;
  return new Date(Date.UTC(y, startMonth, 1)).toISOString().slice(0, 10);
}

export function buildSchedule(input: ScheduleInput): SchedulePeriod[] {
  for (const field of ['startDate', 'endDate'] as const) {
    if (typeof input[field] !== 'string' || !isIsoDate(input[field])) throw new RentScheduleError('INVALID_SCHEDULE', `${field} must be a calendar date YYYY-MM-DD`, field);
  }
  if (input.endDate < input.startDate) throw new RentScheduleError('INVALID_SCHEDULE', 'endDate must not be before startDate', 'endDate');
  if (!BILLING_FREQUENCIES.includes(input.frequency)) throw new RentScheduleError('INVALID_SCHEDULE', `frequency must be one of ${BILLING_FREQUENCIES.join(', ')}`, 'frequency');
  const months = MONTHS[input.frequency];
  const perYear = 12 / months;
  let years = 1;
  while (addMonths(input.startDate, years * 12) <= input.endDate) years++;
  const rents = annualRents(input.rent, input.escalation, years);

  const periods: SchedulePeriod[] = [];
  let calendarStart = calendarPeriodStart(input.startDate, months);
  while (calendarStart <= input.endDate) {
    const calendarEnd = addDays(addMonths(calendarStart, months), -1);
    const periodStart = calendarStart < input.startDate ? input.startDate : calendarStart;
    const periodEnd = calendarEnd > input.endDate ? input.endDate : calendarEnd;
    let contractYear = 0;
    while (contractYear + 1 < years && addMonths(input.startDate, (contractYear + 1) * 12) <= periodStart) contractYear++;
    const annual = rents[contractYear];
    const full = round2(annual.div(perYear));
    const days = daysInclusive(periodStart, periodEnd);
    const periodDays = daysInclusive(calendarStart, calendarEnd);
    const amount = days === periodDays ? full : round2(full.times(days).div(periodDays));
    const steps = [`年租金 ${annual.toFixed(2)} 元 (第 ${contractYear + 1} 合同年)`];
    if (perYear > 1) steps.push(`÷ ${perYear} = ${full.toFixed(2)}`);
    if (days !== periodDays) steps.push(`× ${days}/${periodDays} 天 = ${amount.toFixed(2)}`);
    periods.push({
      seq: periods.length + 1,
      periodStart,
      periodEnd,
      dueDate: periodStart,
      contractYear,
      annualRent: annual.toFixed(2),
      days,
      periodDays,
      amount: amount.toFixed(2),
      calculation: steps.join(' '),
    });
    calendarStart = addMonths(calendarStart, months);
  }
  return periods;
}
