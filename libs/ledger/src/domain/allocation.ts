import Decimal from 'decimal.js';
import { Dec } from './amount';
import { LedgerError } from './errors';

/**
 * Splits `total` among `weights` at `scale` by the largest-remainder (Hamilton) method.
 *
 * Contract: the parts sum exactly to `total`; each part is floor(share) or floor(share) + one unit;
 * a zero weight gets zero; ties in remainders go to the lower index, so callers order their inputs
 * by a stable key (the holder account id) and get the same answer on every run.
 * Exact: computed in integer units, no division is ever rounded.
 */
export function allocate(total: Decimal.Value, weights: readonly Decimal.Value[], scale: number): Decimal[] {
  const totalDec = new Dec(total);
  if (!Number.isInteger(scale) || scale < 0 || scale > 18) throw new LedgerError('ALLOCATION_INVALID', `scale must be an integer 0..18, got ${scale}`, 'scale');
  if (!totalDec.isFinite() || totalDec.isNegative()) throw new LedgerError('ALLOCATION_INVALID', 'total must be a non-negative finite amount', 'total');
  const unit = new Dec(10).pow(scale);
  const totalUnits = totalDec.times(unit);
  if (!totalUnits.isInteger()) throw new LedgerError('ALLOCATION_INVALID', `total ${totalDec.toString()} has more than ${scale} decimal places`, 'total');

  const ws = weights.map((w, i) => {
    const d = new Dec(w);
    if (!d.isFinite() || d.isNegative()) throw new LedgerError('ALLOCATION_INVALID', `weight #${i} must be a non-negative finite number`, `weights[${i}]`);
    return d;
  });
  if (ws.length === 0) {
    if (totalUnits.isZero()) return [];
    throw new LedgerError('ALLOCATION_INVALID', 'cannot allocate a non-zero total among no weights', 'weights');
  }
  // Weights to integers so every quotient and remainder below is exact.
  const weightScale = new Dec(10).pow(Math.max(0, ...ws.map((w) => w.decimalPlaces())));
  const intWeights = ws.map((w) => w.times(weightScale));
  const weightSum = intWeights.reduce((a, b) => a.plus(b), new Dec(0));
  if (weightSum.isZero()) {
    if (totalUnits.isZero()) return ws.map(() => new Dec(0));
    throw new LedgerError('ALLOCATION_INVALID', 'cannot allocate a non-zero total when every weight is zero', 'weights');
  }

  const floors: Decimal[] = [];
  const remainders: Decimal[] = [];
  let allocated = new Dec(0);
  for (const w of intWeights) {
    const numerator = totalUnits.times(w);
    const floor = numerator.divToInt(weightSum);
    floors.push(floor);
    remainders.push(numerator.minus(floor.times(weightSum)));
    allocated = allocated.plus(floor);
  }
  let leftover = totalUnits.minus(allocated).toNumber(); // < weights.length, a count not an amount
  const order = remainders
    .map((_, i) => i)
    .filter((i) => !remainders[i].isZero())
    .sort((a, b) => remainders[b].comparedTo(remainders[a]) || a - b);
  for (const i of order) {
    if (leftover === 0) break;
    floors[i] = floors[i].plus(1);
    leftover -= 1;
  }
  return floors.map((f) => f.div(unit));
}
