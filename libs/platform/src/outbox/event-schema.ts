/**
 * A small builder for the events' JSON schemas (issue 17): each event type's payload is written once, as
 * a value of this builder, and both its JSON schema (OpenAPI 3.0 dialect: `nullable`) and its TypeScript
 * type come from that one value, so what a use case records and what the OpenAPI document declares
 * cannot drift: `recordEvent` only accepts `Infer<schema>`, and a test validates every event against it.
 */

/** A JSON schema (the subset the events use). */
export type JsonSchema = { [key: string]: unknown };

/** A schema with the TypeScript type of the values it accepts (phantom) and whether it may be left out of an object. */
export interface Schema<T, Optional extends boolean = false> {
  readonly json: JsonSchema;
  readonly optional: Optional;
  /** Never set: carries T for the compiler. */
  readonly __type?: T;
}

export type Infer<S> = S extends Schema<infer T, boolean> ? T : never;

type Shape = Record<string, Schema<unknown, boolean>>;
type RequiredKeys<P extends Shape> = { [K in keyof P]: P[K] extends Schema<unknown, true> ? never : K }[keyof P];
type OptionalKeys<P extends Shape> = { [K in keyof P]: P[K] extends Schema<unknown, true> ? K : never }[keyof P];
type Flat<T> = { [K in keyof T]: T[K] } & {};
export type ObjectOf<P extends Shape> = Flat<{ [K in RequiredKeys<P>]: Infer<P[K]> } & { [K in OptionalKeys<P>]?: Infer<P[K]> }>;

const of = <T>(json: JsonSchema): Schema<T> => ({ json, optional: false });

/** A decimal string: an amount or a quantity, never a JS number. */
export const DECIMAL_PATTERN = '^-?\\d+(\\.\\d+)?$';

export const s = {
  string: (description?: string) => of<string>({ type: 'string', ...(description ? { description } : {}) }),
  /** An amount or quantity as a decimal string ("1234.50"). */
  decimal: (description?: string) => of<string>({ type: 'string', pattern: DECIMAL_PATTERN, ...(description ? { description } : {}) }),
  /** A bigint id as a string. */
  id: (description?: string) => of<string>({ type: 'string', pattern: '^\\d{1,19}$', ...(description ? { description } : {}) }),
  /** A calendar date YYYY-MM-DD. */
  date: (description?: string) => of<string>({ type: 'string', format: 'date', pattern: '^\\d{4}-\\d{2}-\\d{2}$', ...(description ? { description } : {}) }),
  dateTime: (description?: string) => of<string>({ type: 'string', format: 'date-time', ...(description ? { description } : {}) }),
  integer: (description?: string) => of<number>({ type: 'integer', ...(description ? { description } : {}) }),
  boolean: () => of<boolean>({ type: 'boolean' }),
  literal: <L extends string>(...values: L[]) => of<L>({ type: 'string', enum: values }),
  /** The value or null (OpenAPI 3.0 `nullable`). */
  nullable: <T>(inner: Schema<T, boolean>): Schema<T | null> => of<T | null>({ ...inner.json, nullable: true }),
  /** A property that may be absent. */
  optional: <T>(inner: Schema<T, boolean>): Schema<T, true> => ({ json: inner.json, optional: true }),
  array: <T>(items: Schema<T, boolean>) => of<T[]>({ type: 'array', items: items.json }),
  /** An object with exactly these properties (no others). */
  object: <P extends Shape>(properties: P, description?: string): Schema<ObjectOf<P>> =>
    of<ObjectOf<P>>({
      type: 'object',
      ...(description ? { description } : {}),
      properties: Object.fromEntries(Object.entries(properties).map(([k, v]) => [k, v.json])),
      required: Object.entries(properties)
        .filter(([, v]) => !v.optional)
        .map(([k]) => k),
      additionalProperties: false,
    }),
  /** A map of string keys to values of one schema. */
  record: <T>(values: Schema<T, boolean>) => of<Record<string, T>>({ type: 'object', additionalProperties: values.json }),
  /** Free-form JSON (an entry's metadata). */
  json: () => of<Record<string, unknown>>({ type: 'object', additionalProperties: true }),
};
