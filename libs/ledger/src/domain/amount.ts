import Decimal from 'decimal.js';
import { LedgerError } from './errors';

/** Decimal arithmetic for the whole service: exact, half-up, wide enough for any numeric(38, 18). */
export const Dec = Decimal.clone({ precision: 80, rounding: Decimal.ROUND_HALF_UP, toExpNeg: -40, toExpPos: 60 });
export type Dec = Decimal;

/** Canonical decimal text: ASCII digits, no sign, no exponent, no separators, no leading zeros. */
const DECIMAL_TEXT = /^(0|[1-9][0-9]{0,19})(\.[0-9]{1,18})?$/;

export const MAX_SCALE = 18;

/**
 * A non-negative quantity of one asset at that asset's scale. Immutable.
 * Parsing is strict: what a client sends is either exactly representable or refused, never rounded.
 */
export class Amount {
  /** The fixed-point text, kept from the parsed text when it is already at the scale (a posting's amount is written and hashed several times). */
  private text: string | undefined;

  private constructor(
    readonly value: Decimal,
    readonly scale: number,
    text?: string,
  ) {
    this.text = text;
  }

  /** Parses client text. Rejects anything but plain decimal digits and more decimals than `scale`. */
  static parse(text: unknown, scale: number, field = 'amount'): Amount {
    if (typeof text !== 'string') {
      throw new LedgerError('INVALID_AMOUNT', `${field} must be a decimal string such as "12.50", not a JSON ${text === null ? 'null' : typeof text}`, field);
    }
    if (!DECIMAL_TEXT.test(text)) {
      throw new LedgerError(
        'INVALID_AMOUNT',
        `${field} must be a plain non-negative decimal string (digits and one optional point, e.g. "12.50"); got ${JSON.stringify(text)}`,
        field,
      );
    }
    const decimals = text.includes('.') ? text.length - text.indexOf('.') - 1 : 0;
    if (decimals > scale) {
      throw new LedgerError('INVALID_AMOUNT', `${field} has ${decimals} decimal places; the asset allows at most ${scale}`, field, { scale });
    }
    return new Amount(new Dec(text), scale, decimals === scale ? text : undefined);
  }

  /** Parses and requires a strictly positive amount (postings, transfers). */
  static parsePositive(text: unknown, scale: number, field = 'amount'): Amount {
    const amount = Amount.parse(text, scale, field);
    if (amount.isZero()) {
      throw new LedgerError('INVALID_AMOUNT', `${field} must be greater than zero`, field);
    }
    return amount;
  }

  /** Wraps a value computed in code; it must already fit the scale (no silent rounding). */
  static of(value: Decimal.Value, scale: number): Amount {
    const d = new Dec(value);
    if (d.isNegative() || !d.isFinite()) throw new LedgerError('INVALID_AMOUNT', `amount must be a finite non-negative number, got ${d.toString()}`);
    if (d.decimalPlaces() > scale) throw new LedgerError('INVALID_AMOUNT', `amount ${d.toString()} has more than ${scale} decimal places`);
    return new Amount(d, scale);
  }

  static zero(scale: number): Amount {
    return new Amount(new Dec(0), scale);
  }

  plus(other: Amount): Amount {
    return new Amount(this.value.plus(other.value), Math.max(this.scale, other.scale));
  }

  isZero(): boolean {
    return this.value.isZero();
  }

  equals(other: Amount): boolean {
    return this.value.equals(other.value);
  }

  /** Fixed-point text at the asset's scale, e.g. "40845.00". */
  toString(): string {
    this.text ??= this.value.toFixed(this.scale);
    return this.text;
  }

  toJSON(): string {
    return this.toString();
  }
}

/** Formats a signed decimal at a scale; the one formatter for balances read from PostgreSQL numeric. */
export function formatDecimal(value: Decimal.Value, scale: number): string {
  const d = new Dec(value);
  const text = d.toFixed(scale);
  return text.startsWith('-') && new Dec(text).isZero() ? text.slice(1) : text;
}
