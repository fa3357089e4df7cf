import { DomainError, DomainErrorKind } from '@forest-ledger/common';
import { Amount, Dec, isIsoDate } from '@forest-ledger/ledger/domain';
import Decimal from 'decimal.js';

/**
 * The rent schedule of a state-forest-land lease or concession (DOMAIN.md §7): every billing period
 * with its due date, amount and calculation, computed up front. Pure: no database, no clock.
 *
 * Rules and the choices made here:
 * - The contract runs from `startDate` to `endDate`, both inclusive. A lease may not exceed 20 years
 *   (Civil Code §705): endDate must be before startDate + 20 years (exactly 20 years is
 *   startDate + 20 years − 1 day). Checked by `assertLeaseTerm`.
 * - Contract years: 第 1 合同年 runs from startDate to the day before its first anniversary, 第 n
 *   合同年 from startDate + (n − 1) years (a 29 February start has its anniversary on 28 February
 *   in common years). The last one may be cut short by endDate. Numbered from 1 everywhere.
 * - The annual rent of year 1 is rate × area (per 亩 per year, rounded to the 分) or a fixed amount.
 *   Escalation: NONE; STEP adds a fixed amount every N years; PERCENT multiplies the previous
 *   escalated rent by (1 + p) every N years, rounded half up to the 分 at each step (so the rent
 *   billed one year is the base of the next).
 * - Billing periods follow the calendar: ANNUAL by calendar year, SEMI_ANNUAL by half-year
 *   (1 January, 1 July), QUARTERLY by quarter, cut at the contract's first and last days. Rent is
 *   billed in advance: due on the period's first contract day.
 * - A period is split at each anniversary inside it into parts, one per contract year, each billed
 *   at its own year's rent: a part covering the whole calendar period bills the period's share of
 *   the annual rent (annual ÷ periods per year, rounded to the 分); a shorter part bills that share
 *   × its days / the calendar period's days (a leap year's 366), rounded to the 分; and the part
 *   that closes a contract year the term covers in full takes what remains of that year's rent.
 *   So each full contract year bills exactly its annual rent, and a whole number of years the sum
 *   of the annual rents. A year cut short by endDate has no remainder: its parts are prorated.
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

/** How a part's amount was found: the period's whole share, its days' share, or what the contract year had left. */
export const PART_BASES = ['FULL', 'PRORATED', 'REMAINDER'] as const;
export type PartBasis = (typeof PART_BASES)[number];

/** The days of a period that fall in one contract year, billed at that year's rent. */
export interface SchedulePeriodPart {
  /** 1-based: 第 1 合同年 is the first. */
  contractYear: number;
  partStart: string;
  partEnd: string;
  days: number;
  annualRent: string;
  amount: string;
  basis: PartBasis;
}

export interface SchedulePeriod {
  /** 1, 2, … in date order. */
  seq: number;
  periodStart: string;
  periodEnd: string;
  dueDate: string;
  /** 1-based contract year in force on periodStart (a period spanning an anniversary has a part per year: see parts). */
  contractYear: number;
  /** The annual rent of that contract year. */
  annualRent: string;
  /** Days billed and days in the calendar period (equal unless cut at the contract's first or last day). */
  days: number;
  periodDays: number;
  /** The sum of the parts' amounts. */
  amount: string;
  /** How the amount was computed, for people. */
  calculation: string;
  /** One per contract year the period touches, in date order. */
  parts: SchedulePeriodPart[];
}

export const MAX_LEASE_YEARS = 20;

/** The schedule's codes with their kinds: the API declares them on the land-use routes (ApiErrorCodes). */
export const RENT_SCHEDULE_ERRORS: Readonly<Record<'INVALID_SCHEDULE' | 'LEASE_TOO_LONG', DomainErrorKind>> = { INVALID_SCHEDULE: 'invalid', LEASE_TOO_LONG: 'rule' };

export class RentScheduleError extends DomainError {
  constructor(code: 'INVALID_SCHEDULE' | 'LEASE_TOO_LONG', message: string, field: string, details?: Record<string, unknown>) {
    super(RENT_SCHEDULE_ERRORS[code], code, message, field, details);
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
    throw new RentScheduleError(
      'LEASE_TOO_LONG',
      `a lease may not exceed ${MAX_LEASE_YEARS} years (Civil Code §705): it may end on ${latest} at the latest, not ${endDate}; a renewal is a new contract`,
      field,
      {
        latestEndDate: latest,
      },
    );
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

/** "第 n 合同年": the one label of a contract year, in calculations, JSON consumers and exports. */
export const contractYearLabel = (year: number): string => `第 ${year} 合同年`;

export function buildSchedule(input: ScheduleInput): SchedulePeriod[] {
  for (const field of ['startDate', 'endDate'] as const) {
    if (typeof input[field] !== 'string' || !isIsoDate(input[field])) throw new RentScheduleError('INVALID_SCHEDULE', `${field} must be a calendar date YYYY-MM-DD`, field);
  }
  if (input.endDate < input.startDate) throw new RentScheduleError('INVALID_SCHEDULE', 'endDate must not be before startDate', 'endDate');
  if (!BILLING_FREQUENCIES.includes(input.frequency)) throw new RentScheduleError('INVALID_SCHEDULE', `frequency must be one of ${BILLING_FREQUENCIES.join(', ')}`, 'frequency');
  const months = MONTHS[input.frequency];
  const perYear = 12 / months;
  // yearStarts[n - 1] is the first day of contract year n; each is counted from startDate, never chained.
  const yearStarts = [input.startDate];
  while (addMonths(input.startDate, yearStarts.length * 12) <= input.endDate) yearStarts.push(addMonths(input.startDate, yearStarts.length * 12));
  const rents = annualRents(input.rent, input.escalation, yearStarts.length);
  const billed = rents.map(() => new Dec(0));

  const periods: SchedulePeriod[] = [];
  let year = 1;
  let calendarStart = calendarPeriodStart(input.startDate, months);
  while (calendarStart <= input.endDate) {
    const calendarEnd = addDays(addMonths(calendarStart, months), -1);
    const periodStart = calendarStart < input.startDate ? input.startDate : calendarStart;
    const periodEnd = calendarEnd > input.endDate ? input.endDate : calendarEnd;
    const periodDays = daysInclusive(calendarStart, calendarEnd);
    const parts: SchedulePeriodPart[] = [];
    const calculations: string[] = [];
    for (let from = periodStart; from <= periodEnd;) {
      while (year < yearStarts.length && yearStarts[year] <= from) year++;
      const yearLastDay = addDays(addMonths(input.startDate, year * 12), -1);
      const to = yearLastDay < periodEnd ? yearLastDay : periodEnd;
      const annual = rents[year - 1];
      const share = round2(annual.div(perYear));
      const days = daysInclusive(from, to);
      const prorated = days === periodDays ? share : round2(share.times(days).div(periodDays));
      // The part that closes a contract year the term covers in full takes what the year has left.
      const closesYear = to === yearLastDay && yearLastDay <= input.endDate;
      const before = billed[year - 1];
      const amount = closesYear ? annual.minus(before) : prorated;
      if (amount.lessThanOrEqualTo(0)) {
        throw new RentScheduleError('INVALID_SCHEDULE', `the rent is so small that ${from}~${to} (${contractYearLabel(year)}) bills ${amount.toFixed(2)}`, 'rent', {
          partStart: from,
          partEnd: to,
        });
      }
      billed[year - 1] = before.plus(amount);
      const steps = [`年租金 ${annual.toFixed(2)} 元 (${contractYearLabel(year)})`];
      if (perYear > 1) steps.push(`÷ ${perYear} = ${share.toFixed(2)}`);
      if (days !== periodDays) steps.push(`× ${days}/${periodDays} 天 = ${prorated.toFixed(2)}`);
      parts.push({
        contractYear: year,
        partStart: from,
        partEnd: to,
        days,
        annualRent: annual.toFixed(2),
        amount: amount.toFixed(2),
        basis: !amount.equals(prorated) ? 'REMAINDER' : days === periodDays ? 'FULL' : 'PRORATED',
      });
      const remainder = `${contractYearLabel(year)}末段取余额 ${annual.toFixed(2)} − ${before.toFixed(2)} = ${amount.toFixed(2)}`;
      calculations.push(amount.equals(prorated) ? steps.join(' ') : `${steps.join(' ')}；${remainder}`);
      from = addDays(to, 1);
    }
    const amount = parts.reduce((s, p) => s.plus(p.amount), new Dec(0));
    const calculation =
      parts.length === 1
        ? calculations[0]
        : `${parts.map((p, i) => `${p.partStart}~${p.partEnd} ${calculations[i]}`).join('；')}；合计 ${parts.map((p) => p.amount).join(' + ')} = ${amount.toFixed(2)}`;
    periods.push({
      seq: periods.length + 1,
      periodStart,
      periodEnd,
      dueDate: periodStart,
      contractYear: parts[0].contractYear,
      annualRent: parts[0].annualRent,
      days: daysInclusive(periodStart, periodEnd),
      periodDays,
      amount: amount.toFixed(2),
      calculation,
      parts,
    });
    calendarStart = addMonths(calendarStart, months);
  }
  return periods;
}

/**
 * The rent of a period's days after `lastDay` (an early termination): each part's unused days at that
 * part's own rate (its amount − its amount × used days / its days, rounded to the 分), so the days of
 * a later contract year go back at that year's rent.
 */
export function unusedRent(parts: readonly SchedulePeriodPart[], lastDay: string): Decimal {
  return parts.reduce((total, part) => {
    if (part.partEnd <= lastDay) return total;
    if (part.partStart > lastDay) return total.plus(part.amount);
    const used = round2(new Dec(part.amount).times(daysInclusive(part.partStart, lastDay)).div(part.days));
    return total.plus(new Dec(part.amount).minus(used));
  }, new Dec(0));
}
