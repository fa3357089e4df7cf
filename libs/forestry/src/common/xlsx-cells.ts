import { Dec } from '@forest-ledger/ledger';
import type ExcelJS from 'exceljs';

/**
 * How a decimal string becomes a spreadsheet cell, for every XLSX export (bank files, registers, reports, schedules):
 * a NUMBER cell (so Excel/WPS `SUM` works) whose value is the decimal read once from its exact string, with a
 * number format showing exactly `scale` places (`0.00` for money, `0.0000` for 亩, `0` for units and counts,
 * `0.0000000000` for ratios). A value that a spreadsheet number (a double, 15 significant digits) cannot hold
 * exactly at that scale, or that has more places than `scale`, is refused rather than silently changed.
 * Card numbers, ID numbers and codes are never numbers: they stay text cells.
 */
export function decimalFormat(scale: number): string {
  return scale === 0 ? '0' : `0.${'0'.repeat(scale)}`;
}

/** The column style of a decimal column (`{ numFmt }`), for `sheet.columns`. */
export function decimalStyle(scale: number): { numFmt: string } {
  return { numFmt: decimalFormat(scale) };
}

/** The cell value of a decimal string: a number that prints back to exactly the decimal at `scale` places. */
export function decimalValue(value: string | Dec, scale: number): number {
  const d = new Dec(value);
  const fixed = d.toFixed(scale);
  if (!d.equals(fixed)) throw new RangeError(`${d.toString()} has more than ${scale} decimal places`);
  const n = Number(fixed);
  if (new Dec(n).toFixed(scale) !== fixed || Math.abs(n) >= 1e15 / 10 ** scale) throw new RangeError(`${fixed} cannot be held exactly by a spreadsheet number`);
  return n;
}

/** Writes a decimal into one cell: its number value and its format (`decimalValue`, `decimalFormat`). */
export function decimalCell(cell: ExcelJS.Cell, value: string | Dec, scale: number): void {
  cell.value = decimalValue(value, scale);
  cell.numFmt = decimalFormat(scale);
}

/** Scale of money (元, to the 分), of areas (亩) and of holding ratios in exports. */
export const MONEY_SCALE = 2;
export const XLSX_AREA_SCALE = 4;
export const RATIO_SCALE = 10;
