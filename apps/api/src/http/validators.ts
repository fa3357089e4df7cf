import { applyDecorators } from '@nestjs/common';
import { ApiProperty, DECORATORS } from '@nestjs/swagger';
import { isIsoDate } from '@forest-ledger/ledger';
import { Transform } from 'class-transformer';
import { IsObject, IsString, Matches, ValidateBy, ValidationOptions } from 'class-validator';
import { KEEPS_PARSED_VALUE } from './compiled-validation';

/** What IsDecimalString accepts: plain decimal digits, no sign, exponent, separators or spaces. */
export const DECIMAL_STRING = /^(0|[1-9][0-9]{0,19})(\.[0-9]{1,18})?$/;

/**
 * The document says what the validator checks: the pattern (or format) is added to the property's OpenAPI
 * schema here, so no DTO repeats it and none can forget it. Without overriding what the DTO's own
 * @ApiProperty says (it may narrow the pattern further).
 */
function documented(schema: { pattern: string } | { format: string }): PropertyDecorator {
  return (target, key) => {
    const existing = Reflect.getMetadata(DECORATORS.API_MODEL_PROPERTIES, target, key) as Record<string, unknown> | undefined;
    if (existing === undefined) ApiProperty(schema)(target, key);
    else Reflect.defineMetadata(DECORATORS.API_MODEL_PROPERTIES, { ...schema, ...existing }, target, key);
  };
}

/** An amount as JSON text: plain decimal digits, no sign, exponent, separators or spaces ("40845.00"). */
export function IsDecimalString() {
  return applyDecorators(
    documented({ pattern: DECIMAL_STRING.source }),
    IsString({ message: '$property must be a decimal string such as "12.50", not a JSON number' }),
    Matches(DECIMAL_STRING, {
      message: '$property must be a plain non-negative decimal string (ASCII digits and one optional point, e.g. "12.50")',
    }),
  );
}

/** A calendar date written YYYY-MM-DD (February 30 is refused). */
export function IsCalendarDate(options?: ValidationOptions) {
  const validator = ValidateBy(
    {
      name: 'isCalendarDate',
      validator: { validate: (v: unknown) => typeof v === 'string' && isIsoDate(v), defaultMessage: () => '$property must be a calendar date YYYY-MM-DD' },
    },
    options,
  );
  return options?.each === true ? validator : applyDecorators(documented({ format: 'date' }), validator);
}

/** Marked so the compiled validation knows it returns the parsed value whatever class-transformer made of it. */
const keepAsParsed = Object.assign(({ obj, key }: { obj: Record<string, unknown>; key: string }) => obj[key], { [KEEPS_PARSED_VALUE]: true });

/**
 * A free-form JSON object (metadata), kept exactly as parsed: class-transformer's copy would drop
 * members named like Object.prototype's (toString, hasOwnProperty, …). The body parser has already
 * refused prototype keys, infinite numbers and depth beyond the limit (body-checks.ts).
 */
export function IsFreeFormObject() {
  return applyDecorators(Transform(keepAsParsed, { toClassOnly: true }), IsObject());
}
