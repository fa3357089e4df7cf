import { applyDecorators } from '@nestjs/common';
import { isIsoDate } from '@forest-ledger/ledger';
import { Transform } from 'class-transformer';
import { IsObject, IsString, Matches, ValidateBy, ValidationOptions } from 'class-validator';

/** An amount as JSON text: plain decimal digits, no sign, exponent, separators or spaces ("40845.00"). */
export function IsDecimalString() {
  return applyDecorators(
    IsString({ message: '$property must be a decimal string such as "12.50", not a JSON number' }),
    Matches(/^(0|[1-9][0-9]{0,19})(\.[0-9]{1,18})?$/, {
      message: '$property must be a plain non-negative decimal string (ASCII digits and one optional point, e.g. "12.50")',
    }),
  );
}

/** A calendar date written YYYY-MM-DD (February 30 is refused). */
export function IsCalendarDate(options?: ValidationOptions) {
  return ValidateBy(
    {
      name: 'isCalendarDate',
      validator: { validate: (v: unknown) => typeof v === 'string' && isIsoDate(v), defaultMessage: () => '$property must be a calendar date YYYY-MM-DD' },
    },
    options,
  );
}

/**
 * A free-form JSON object (metadata), kept exactly as parsed: class-transformer's copy would drop
 * members named like Object.prototype's (toString, hasOwnProperty, …). The body parser has already
 * refused prototype keys, infinite numbers and depth beyond the limit (body-checks.ts).
 */
export function IsFreeFormObject() {
  return applyDecorators(
    Transform(({ obj, key }: { obj: Record<string, unknown>; key: string }) => obj[key], { toClassOnly: true }),
    IsObject(),
  );
}
