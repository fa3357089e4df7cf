import { Amount, Dec, isIsoDate } from '@forest-ledger/ledger/domain';
import Decimal from 'decimal.js';
import { daysInclusive, RentScheduleError } from './rent-schedule';

/**
 * Late fees (滞纳金) and the order payments settle receivables in (DOMAIN.md §7). Pure.
 *
 * - A day's late fee is the overdue principal × the daily rate (0.05 %/day = "0.0005" by default),
 *   rounded half up to the 分; it accrues from the day after the due date. The total of a
 *   receivable's late fees is capped (by default at its overdue principal): the day that reaches the
 *   cap accrues only the rest, later days nothing.
 * - A payment settles the oldest open period first and, inside a period, its late fee before its
 *   principal; what is left over is a credit for future periods.
 */

export const DEFAULT_DAILY_LATE_FEE_RATE = '0.0005';

const round2 = (d: Decimal): Decimal => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);

/** The late fee of one day on `overduePrincipal`, never more than what is left under the cap. */
export function lateFeeForDay(overduePrincipal: string, dailyRate: string, accruedSoFar: string, cap: string): string {
  const principal = Amount.parse(overduePrincipal, 2, 'overduePrincipal').value;
  const rate = Amount.parse(dailyRate, 8, 'dailyRate').value;
  const room = Decimal.max(new Dec(0), Amount.parse(cap, 2, 'cap').value.minus(Amount.parse(accruedSoFar, 2, 'accruedSoFar').value));
  return Decimal.min(round2(principal.times(rate)), room).toFixed(2);
}

/** Days of late fee from the day after `dueDate` through `asOf` (0 when not yet overdue). */
export function overdueDays(dueDate: string, asOf: string): number {
  for (const [field, value] of [
    ['dueDate', dueDate],
    ['asOf', asOf],
  ] as const) {
    if (!isIsoDate(value)) throw new RentScheduleError('INVALID_SCHEDULE', `${field} must be a calendar date YYYY-MM-DD`, field);
  }
  return Math.max(0, daysInclusive(dueDate, asOf) - 1);
}

/** The late fee accrued on a constant overdue principal by `asOf`: per-day rounded fees, capped. */
export function lateFeeAsOf(overduePrincipal: string, dailyRate: string, dueDate: string, asOf: string, cap: string = overduePrincipal): string {
  let accrued = new Dec(0);
  for (let day = 0; day < overdueDays(dueDate, asOf); day++) {
    const fee = lateFeeForDay(overduePrincipal, dailyRate, accrued.toFixed(2), cap);
    if (new Dec(fee).isZero()) break;
    accrued = accrued.plus(fee);
  }
  return accrued.toFixed(2);
}

export interface OpenItem {
  /** The receivable (one per period and kind). */
  id: string;
  periodSeq: number;
  dueDate: string;
  kind: 'LATE_FEE' | 'PRINCIPAL';
  outstanding: string;
}

export interface PaymentAllocation {
  applications: Array<{ id: string; amount: string }>;
  /** What no open item took: a credit for future periods. */
  credit: string;
}

/** Settles the oldest period first, its late fee before its principal; the rest is credit. */
export function allocatePayment(amount: string, items: readonly OpenItem[]): PaymentAllocation {
  let left = Amount.parsePositive(amount, 2, 'amount').value;
  const ordered = [...items].sort(
    (a, b) => a.dueDate.localeCompare(b.dueDate) || a.periodSeq - b.periodSeq || (a.kind === b.kind ? 0 : a.kind === 'LATE_FEE' ? -1 : 1) || (a.id < b.id ? -1 : 1),
  );
  const applications: PaymentAllocation['applications'] = [];
  for (const item of ordered) {
    if (left.isZero()) break;
    const outstanding = Amount.parse(item.outstanding, 2, `items.${item.id}.outstanding`).value;
    const applied = Decimal.min(left, outstanding);
    if (applied.isZero()) continue;
    applications.push({ id: item.id, amount: applied.toFixed(2) });
    left = left.minus(applied);
  }
  return { applications, credit: left.toFixed(2) };
}
