import Decimal from 'decimal.js';
import { allocate, Dec } from '@forest-ledger/ledger/domain';

/** The pure arithmetic of dividends (DOMAIN.md §4, §9): no I/O, decimal.js only. */

export interface Holding {
  /** Stable tie-break key: the holder's account id (ascending), as the caller sorted them. */
  key: string;
  /** Whole units at the record date. */
  units: Decimal.Value;
}

/**
 * Splits a CNY pool among holders pro rata to their units, to the 分, by the ledger's largest
 * remainder (`allocate`, exact integer arithmetic). Contract: amounts sum exactly to `pool`; holders
 * with zero units are left out (they get nothing, not a 0.00 line); ties go to the earlier holder in
 * the given order.
 */
export function splitPool(pool: Decimal.Value, holders: readonly Holding[]): Array<{ key: string; units: Decimal; amount: Decimal }> {
  const cents = new Dec(pool).times(100);
  if (!cents.isInteger() || cents.isNegative()) throw new RangeError(`pool ${new Dec(pool).toString()} must be a non-negative amount in 分`);
  const live: Array<{ key: string; units: Decimal }> = [];
  for (const h of holders) {
    // Decimals are immutable: Dec's own are used as they are (a snapshot splits among 100,000 holders).
    const units = Decimal.isDecimal(h.units) && h.units.constructor === Dec ? h.units : new Dec(h.units);
    if (units.greaterThan(0)) live.push({ key: h.key, units });
  }
  if (live.length === 0) return [];
  const amounts = allocate(
    pool,
    live.map((h) => h.units),
    2,
  );
  return live.map((h, i) => ({ key: h.key, units: h.units, amount: amounts[i] }));
}

/** Decimal places of the indicative amount per unit (the exact figure is each line's amount). */
export const PER_UNIT_PLACES = 6;

/**
 * amount ÷ units for display: a plain decimal with exactly PER_UNIT_PLACES places, rounded half-up
 * once, in exact integer arithmetic ("0.000111" for 100.00 ÷ 900,000; "10.000000" for 10 ÷ 1).
 * Indicative only: each holder's exact amount is their line's, split by largest remainder.
 */
export function amountPerUnit(amount: Decimal.Value, units: Decimal.Value): string {
  const a = new Dec(amount);
  const u = new Dec(units);
  if (!u.isInteger() || u.lessThanOrEqualTo(0)) throw new RangeError('units must be a positive whole number');
  if (a.isNegative() || !a.times(100).isInteger()) throw new RangeError('amount must be a non-negative amount in 分');
  const scaled = BigInt(a.times(new Dec(10).pow(PER_UNIT_PLACES)).toFixed(0));
  const den = BigInt(u.toFixed(0));
  const q = (2n * scaled + den) / (2n * den);
  const text = q.toString().padStart(PER_UNIT_PLACES + 1, '0');
  return `${text.slice(0, -PER_UNIT_PLACES)}.${text.slice(-PER_UNIT_PLACES)}`;
}

export interface DistributableFigures {
  /** Income received, by kind (guarantee top-ups as their own kind), CNY. */
  income: ReadonlyArray<{ kind: string; amount: Decimal.Value }>;
  costs: Decimal.Value;
  managementFees: Decimal.Value;
  /** Dividends declared and not cancelled, CNY each. */
  dividends: readonly Decimal.Value[];
}

export interface DistributableCalculation {
  incomeTotal: string;
  costs: string;
  managementFees: string;
  dividendsDeclared: string;
  /** income − costs − management fees − dividends declared; negative when costs came after the dividends. */
  distributable: string;
  /** The calculation written out with its figures, e.g. 收入 1200.00 − 成本 100.00 − 管理费 96.00 − 已宣告分红 0.00 = 1004.00 元. */
  formula: string;
}

/**
 * What a project may still pay as dividends (issue 13): its income (every kind, guarantee top-ups
 * included) less costs, management fees and dividends declared and not cancelled. Contributed capital
 * is not income, so it never counts.
 */
export function distributableOf(figures: DistributableFigures): DistributableCalculation {
  const sum = (values: readonly Decimal.Value[]) => values.reduce<Decimal>((s, v) => s.plus(v), new Dec(0));
  const income = sum(figures.income.map((i) => i.amount));
  const dividends = sum(figures.dividends);
  const result = income.minus(figures.costs).minus(figures.managementFees).minus(dividends);
  const [incomeTotal, costs, fees, declared, distributable] = [income, new Dec(figures.costs), new Dec(figures.managementFees), dividends, result].map((d) => d.toFixed(2));
  return {
    incomeTotal,
    costs,
    managementFees: fees,
    dividendsDeclared: declared,
    distributable,
    formula: `收入 ${incomeTotal} − 成本 ${costs} − 管理费 ${fees} − 已宣告分红 ${declared} = 可分配 ${distributable} 元`,
  };
}

/** The farm's management fee on an income: base × rate, rounded half-up to the 分 once. */
export function managementFee(base: Decimal.Value, rate: Decimal.Value): Decimal {
  return new Dec(base).times(rate).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
}

export type GuaranteeFigures =
  | {
      /** Guaranteed timber yield (保底产量): m³ per 亩 × 亩, valued at a reference price per m³. */
      mode: 'YIELD';
      guaranteedYieldPerMu: Decimal.Value;
      areaMu: Decimal.Value;
      actualVolumeM3: Decimal.Value;
      referencePrice: Decimal.Value;
    }
  | {
      /** Guaranteed return (保底收益): principal × annual rate × years, against the return actually paid. */
      mode: 'RETURN';
      principal: Decimal.Value;
      annualRate: Decimal.Value;
      years: Decimal.Value;
      actualReturn: Decimal.Value;
    };

export interface GuaranteeCalculation {
  mode: 'YIELD' | 'RETURN';
  /** Every figure of the calculation as text, for the record. */
  figures: Record<string, string>;
  /** Written out in Chinese, e.g. 保底产量 13 m³/亩 × 100 亩 = 1300 m³ … */
  formula: string;
  triggered: boolean;
  /** CNY the farm pays in; 0.00 when the guarantee is not triggered. */
  topUp: string;
}

/** The guarantee top-up (保底补足): the shortfall against the guarantee, rounded half-up to the 分 once. */
export function guaranteeTopUp(input: GuaranteeFigures): GuaranteeCalculation {
  if (input.mode === 'YIELD') {
    const guaranteedVolume = new Dec(input.guaranteedYieldPerMu).times(input.areaMu);
    const actual = new Dec(input.actualVolumeM3);
    const shortfall = Dec.max(guaranteedVolume.minus(actual), 0);
    const topUp = shortfall.times(input.referencePrice).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
    const price = new Dec(input.referencePrice).toFixed(2);
    return {
      mode: 'YIELD',
      figures: {
        guaranteedYieldPerMu: new Dec(input.guaranteedYieldPerMu).toFixed(),
        areaMu: new Dec(input.areaMu).toFixed(),
        guaranteedVolumeM3: guaranteedVolume.toFixed(),
        actualVolumeM3: actual.toFixed(),
        shortfallM3: shortfall.toFixed(),
        referencePrice: price,
      },
      formula: `保底产量 ${new Dec(input.guaranteedYieldPerMu).toFixed()} m³/亩 × ${new Dec(input.areaMu).toFixed()} 亩 = ${guaranteedVolume.toFixed()} m³; 实际产量 ${actual.toFixed()} m³; 差额 ${shortfall.toFixed()} m³ × ${price} 元/m³ = ${topUp.toFixed(2)} 元`,
      triggered: topUp.greaterThan(0),
      topUp: topUp.toFixed(2),
    };
  }
  const guaranteed = new Dec(input.principal).times(input.annualRate).times(input.years).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
  const actual = new Dec(input.actualReturn);
  const topUp = Dec.max(guaranteed.minus(actual), 0);
  return {
    mode: 'RETURN',
    figures: {
      principal: new Dec(input.principal).toFixed(2),
      annualRate: new Dec(input.annualRate).toFixed(),
      years: new Dec(input.years).toFixed(),
      guaranteedReturn: guaranteed.toFixed(2),
      actualReturn: actual.toFixed(2),
    },
    formula: `保底收益 ${new Dec(input.principal).toFixed(2)} 元 × ${new Dec(input.annualRate).toFixed()} × ${new Dec(input.years).toFixed()} 年 = ${guaranteed.toFixed(2)} 元; 实际收益 ${actual.toFixed(2)} 元; 补足 ${topUp.toFixed(2)} 元`,
    triggered: topUp.greaterThan(0),
    topUp: topUp.toFixed(2),
  };
}

/**
 * A bank card number as shown anywhere but the bank file: first 4 and last 4 digits
 * (6222 **** **** 1234); the bank file itself carries the full number, since a bank cannot pay a masked one.
 */
export function maskCard(card: string): string {
  if (card.length <= 8) return `****${card.slice(-4)}`;
  return `${card.slice(0, 4)} **** **** ${card.slice(-4)}`;
}

/** A bank card number: 12 to 19 digits once spaces and dashes are removed, else null. */
export function normaliseCard(text: string): string | null {
  const digits = text.replace(/[\s-]/g, '');
  return /^\d{12,19}$/.test(digits) ? digits : null;
}

export const AGE_BUCKETS = ['0-30', '31-90', '91-365', '365+'] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];

/** The age bucket of an amount owed since `since` (days counted to `asOf`). */
export function ageBucketOf(since: string, asOf: string): AgeBucket {
  const days = Math.floor((Date.parse(`${asOf}T00:00:00Z`) - Date.parse(`${since}T00:00:00Z`)) / 86_400_000);
  if (days <= 30) return '0-30';
  if (days <= 90) return '31-90';
  if (days <= 365) return '91-365';
  return '365+';
}
