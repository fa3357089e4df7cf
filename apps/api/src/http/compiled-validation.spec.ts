import 'reflect-metadata';
import { isDeepStrictEqual } from 'node:util';
import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import fc from 'fast-check';
import { BalanceQuery, PostBatchDto, PostEntryDto, PostingDto, StatementQuery, TrialBalanceQuery } from '../ledger/dto/ledger.dto';
import { compiledTransform, isCompiled, type DtoClass } from './compiled-validation';
import { VALIDATION_OPTIONS, validationPipe } from './validation';

// The compiled fast path against class-validator's own pipe, on generated valid and invalid values.

const HOT = [PostEntryDto, PostBatchDto, BalanceQuery, StatementQuery, TrialBalanceQuery];
/** The reference pipe, also lending its preparation (gaps closed, prototype keys stripped) to the direct checks. */
class ReferencePipe extends ValidationPipe {
  prepare<T>(value: T): T {
    this.closeArrayGaps(value);
    this.stripProtoKeys(value);
    return value;
  }
}
const reference = new ReferencePipe(VALIDATION_OPTIONS);
const compiled = validationPipe(HOT);
const prepare = (v: object): void => {
  reference.prepare(v);
};

type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

async function outcome(pipe: ValidationPipe, json: string, metadata: ArgumentMetadata): Promise<Outcome> {
  try {
    return { ok: true, value: await pipe.transform(JSON.parse(json), metadata) };
  } catch (e) {
    const err = e as { message?: string; field?: string; details?: unknown; code?: string; kind?: string };
    return { ok: false, error: { message: err.message, field: err.field, details: err.details, code: err.code, kind: err.kind } };
  }
}

/** Same outcome, same errors, and the same instance: classes, own keys and their order, values. */
async function expectSame(json: string, metatype: DtoClass, type: 'body' | 'query'): Promise<Outcome> {
  const metadata: ArgumentMetadata = { type, metatype: metatype as unknown as ArgumentMetadata['metatype'], data: undefined };
  const expected = await outcome(reference, json, metadata);
  const actual = await outcome(compiled, json, metadata);
  expect(actual.ok).toBe(expected.ok);
  if (expected.ok && actual.ok) {
    expect(isDeepStrictEqual(actual.value, expected.value)).toBe(true);
    expect(JSON.stringify(actual.value)).toBe(JSON.stringify(expected.value));
  } else {
    expect(actual).toEqual(expected);
  }
  // the fast path alone never accepts what the pipe refuses
  const fast = compiledTransform(metatype, JSON.parse(json), prepare);
  if (fast !== undefined) {
    expect(expected.ok).toBe(true);
    expect(isDeepStrictEqual(fast, expected.ok ? expected.value : undefined)).toBe(true);
  }
  return expected;
}

/** Sets an own property, "__proto__" included, as JSON.parse would have. */
function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const awkward = fc.constantFrom<unknown>(
  null,
  true,
  0,
  12.5,
  -1,
  '',
  ' ',
  '12.50',
  '-1.00',
  '1e5',
  '0.0000000000000000001',
  '2026-02-30',
  '2026-06-30',
  '20260630',
  'DEBIT',
  'CREDIT',
  'debit',
  'BENCH_TRANSFER',
  'x'.repeat(201),
  'm'.repeat(1001),
  '1',
  '01',
  '500',
  '501',
  'true',
  'false',
  [],
  {},
  { toString: 'x' },
  [{ account: 'a', side: 'DEBIT', amount: '1.00' }],
  ['2026-01-01', '2026-01-02'],
);
const anyValue = fc.oneof(awkward, fc.jsonValue({ maxDepth: 2 }));

const decimal = fc.oneof(
  fc.constantFrom('0', '0.01', '1', '12.50', '99999999999999999999.999999999999999999'),
  fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.option(fc.stringMatching(/^[0-9]{1,18}$/), { nil: undefined })).map(([i, f]) => (f === undefined ? `${i}` : `${i}.${f}`)),
);
const date = fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
const posting = fc.record({ account: fc.string({ minLength: 1, maxLength: 40 }), side: fc.constantFrom('DEBIT', 'CREDIT'), amount: decimal });
const entry = fc.record(
  {
    kind: fc.stringMatching(/^[A-Z][A-Z0-9_]{1,20}$/),
    effectiveDate: date,
    memo: fc.string({ maxLength: 50 }),
    metadata: fc
      .array(fc.tuple(fc.constantFrom('a', 'b', 'toString', 'constructor', 'hasOwnProperty', '__proto__', 'prototype'), fc.jsonValue({ maxDepth: 2 })), { maxLength: 3 })
      .map((pairs) => {
        const metadata: Record<string, unknown> = {};
        for (const [k, v] of pairs) setOwn(metadata, k, v);
        return metadata;
      }),
    postings: fc.array(posting, { minLength: 2, maxLength: 5 }),
  },
  { requiredKeys: ['kind', 'effectiveDate', 'postings'] },
);

interface Mutation {
  where: 'top' | 'item';
  index: number;
  key: string;
  remove: boolean;
  value: unknown;
}

const mutation = (keys: string[]): fc.Arbitrary<Mutation> =>
  fc.record({
    where: fc.constantFrom<'top' | 'item'>('top', 'item'),
    index: fc.nat(6),
    key: fc.constantFrom(...keys, 'extra', 'constructor', '__proto__', 'prototype', 'then'),
    remove: fc.boolean(),
    value: anyValue,
  });

/** Applies mutations to the top object or to an item of its array field (postings, entries). */
function mutate(value: Record<string, unknown>, items: string, mutations: Mutation[]): Record<string, unknown> {
  for (const m of mutations) {
    let target: unknown = value;
    if (m.where === 'item') {
      const list = value[items];
      target = Array.isArray(list) ? list[m.index % Math.max(1, list.length)] : undefined;
    }
    if (typeof target !== 'object' || target === null || Array.isArray(target)) continue;
    const record = target as Record<string, unknown>;
    if (m.remove) delete record[m.key];
    else setOwn(record, m.key, m.value);
  }
  return value;
}

const ENTRY_KEYS = ['kind', 'effectiveDate', 'memo', 'metadata', 'postings', 'account', 'side', 'amount'];
const runs = { numRuns: 400 };

describe('compiled validation', () => {
  it('compiles the hot DTOs and their nested classes', () => {
    for (const cls of [...HOT, PostingDto]) expect(isCompiled(cls)).toBe(true);
  });

  it('accepts valid entries on the fast path with the same instance as the pipe', async () => {
    await fc.assert(
      fc.asyncProperty(entry, async (body) => {
        const json = JSON.stringify(body);
        const expected = await expectSame(json, PostEntryDto, 'body');
        expect(expected.ok).toBe(true);
        expect(compiledTransform(PostEntryDto, JSON.parse(json), prepare)).toBeDefined();
      }),
      runs,
    );
  });

  it('gives the pipe’s own answer for mutated entries', async () => {
    await fc.assert(
      fc.asyncProperty(entry, fc.array(mutation(ENTRY_KEYS), { minLength: 1, maxLength: 3 }), async (body, ms) => {
        await expectSame(JSON.stringify(mutate(body, 'postings', ms)), PostEntryDto, 'body');
      }),
      runs,
    );
  });

  it('gives the pipe’s own answer for batches, valid and mutated', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(entry, { minLength: 0, maxLength: 4 }),
        fc.array(mutation(ENTRY_KEYS.concat('entries')), { maxLength: 2 }),
        fc.array(mutation(ENTRY_KEYS), { maxLength: 2 }),
        async (entries, top, inner) => {
          const first = entries[0] as Record<string, unknown> | undefined;
          if (first) mutate(first, 'postings', inner);
          const expected = await expectSame(JSON.stringify(mutate({ entries }, 'entries', top)), PostBatchDto, 'body');
          if (top.length === 0 && inner.length === 0 && entries.length > 0) expect(expected.ok).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the pipe’s own answer for balance, statement and trial-balance queries', async () => {
    const text = fc.oneof(date, fc.constantFrom('1', '01', '50', '500', '501', '0', 'abc', 'true', 'false', 'yes', '2026-02-30', ''), fc.string({ maxLength: 5 }));
    const field = fc.oneof({ weight: 4, arbitrary: text }, { weight: 1, arbitrary: fc.array(text, { minLength: 2, maxLength: 2 }) });
    const keys = ['asOf', 'from', 'to', 'limit', 'cursor', 'byOwner', 'extra', 'constructor'];
    const query = fc.dictionary(fc.constantFrom(...keys), field, { maxKeys: 5 });
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom<DtoClass>(BalanceQuery, StatementQuery, TrialBalanceQuery), async (q, cls) => {
        await expectSame(JSON.stringify(q), cls, 'query');
      }),
      { numRuns: 600 },
    );
  });

  it('takes the fast path for valid queries, with the query transforms applied', () => {
    expect(compiledTransform(BalanceQuery, { asOf: '2026-06-30' }, prepare)).toEqual(Object.assign(new BalanceQuery(), { asOf: '2026-06-30' }));
    const statement = compiledTransform(StatementQuery, { from: '2026-01-01', to: '2026-12-31', limit: '50' }, prepare);
    expect(statement).toBeInstanceOf(StatementQuery);
    expect(statement).toMatchObject({ from: '2026-01-01', to: '2026-12-31', limit: 50 });
    expect(compiledTransform(TrialBalanceQuery, { byOwner: 'true' }, prepare)).toMatchObject({ byOwner: true });
    expect(compiledTransform(StatementQuery, { from: '2026-01-01', to: '2026-12-31', limit: '501' }, prepare)).toBeUndefined();
  });

  it('leaves sparse arrays and prototype keys to the pipe, with its answer', async () => {
    const postings = [
      { account: 'a', side: 'DEBIT', amount: '1' },
      { account: 'b', side: 'CREDIT', amount: '1' },
    ];
    const sparse = { kind: 'A_B', effectiveDate: '2026-01-01', postings: [postings[0], , postings[1]] }; // eslint-disable-line no-sparse-arrays
    expect(compiledTransform(PostEntryDto, sparse, prepare)).toBeUndefined();
    const meta: ArgumentMetadata = { type: 'body', metatype: PostEntryDto, data: undefined };
    const viaCompiled = await compiled.transform(structuredClone(sparse), meta);
    expect(isDeepStrictEqual(viaCompiled, await reference.transform(structuredClone(sparse), meta))).toBe(true);
    for (const json of [
      '{"__proto__":{"x":1},"kind":"A_B","effectiveDate":"2026-01-01","postings":[{"account":"a","side":"DEBIT","amount":"1"},{"account":"b","side":"CREDIT","amount":"1"}]}',
      '{"kind":"A_B","effectiveDate":"2026-01-01","postings":[{"account":"a","side":"DEBIT","amount":"1","prototype":1},{"account":"b","side":"CREDIT","amount":"1"}]}',
      '{"kind":"A_B","effectiveDate":"2026-01-01","metadata":{"n":{"__proto__":{"polluted":true},"constructor":1,"list":[1,2]}},"postings":[{"account":"a","side":"DEBIT","amount":"1"},{"account":"b","side":"CREDIT","amount":"1"}]}',
    ]) {
      const expected = await expectSame(json, PostEntryDto, 'body');
      expect(expected.ok).toBe(true);
    }
  });

  it('keeps free-form metadata exactly as parsed', async () => {
    const json =
      '{"kind":"A_B","effectiveDate":"2026-01-01","metadata":{"toString":"x","n":{"hasOwnProperty":1}},"postings":[{"account":"a","side":"DEBIT","amount":"1"},{"account":"b","side":"CREDIT","amount":"1"}]}';
    const expected = await expectSame(json, PostEntryDto, 'body');
    expect(expected.ok && (expected.value as PostEntryDto).metadata).toEqual({ toString: 'x', n: { hasOwnProperty: 1 } });
  });
});
