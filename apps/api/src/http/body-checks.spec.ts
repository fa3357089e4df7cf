import { DomainError } from '@forest-ledger/common';
import fc from 'fast-check';
import { checkParsedBody, findNul, isWellFormed, jsonDepth, MAX_BODY_DEPTH } from './body-checks';

/** The depth of a parsed value, recursively: the definition jsonDepth measures on the text. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === 'object' && value !== null) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

function refusal(body: unknown): DomainError {
  try {
    checkParsedBody(body);
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  }
  throw new Error('expected a refusal');
}

describe('jsonDepth', () => {
  it('equals the depth of the parsed value, brackets and escaped quotes inside strings not counting', () => {
    const tricky = fc.constantFrom('[', ']', '{', '}', '"', '\\', '\\"[', 'a"b{');
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fc.string(), tricky, fc.integer(), fc.constant(null)),
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.oneof(fc.string(), tricky), tie('v'), { maxKeys: 4 }),
      ),
    })).v;
    fc.assert(
      fc.property(value, (v) => expect(jsonDepth(JSON.stringify(v))).toBe(depthOf(v))),
      { numRuns: 500 },
    );
  });

  it('stops counting past the limit, so a body of a million levels costs one short scan', () => {
    expect(jsonDepth('['.repeat(1_000_000), MAX_BODY_DEPTH)).toBe(MAX_BODY_DEPTH + 1);
    expect(jsonDepth(`${'{"a":'.repeat(MAX_BODY_DEPTH)}1${'}'.repeat(MAX_BODY_DEPTH)}`, MAX_BODY_DEPTH)).toBe(MAX_BODY_DEPTH);
  });
});

describe('checkParsedBody', () => {
  it.each([
    ['{"__proto__":{"x":1}}', '__proto__', '__proto__'],
    ['{"metadata":{"constructor":{}}}', 'metadata.constructor', 'constructor'],
    ['{"a":[1,{"b":{"prototype":null}}]}', 'a[1].b.prototype', 'prototype'],
  ])('refuses %s with FORBIDDEN_KEY naming %s', (text, field, key) => {
    const err = refusal(JSON.parse(text));
    expect({ code: err.code, field: err.field, details: err.details }).toEqual({ code: 'FORBIDDEN_KEY', field, details: { key } });
  });

  it.each([
    ['{"n":[1e400]}', 'n[0]'],
    ['{"s":"\\ud800x"}', 's'],
    ['{"k":{"\\udfff":1}}', 'k.\udfff'],
  ])('refuses %s with VALIDATION_FAILED naming %s', (text, field) => {
    expect(refusal(JSON.parse(text))).toMatchObject({ code: 'VALIDATION_FAILED', field });
  });

  it('accepts any JSON of well-formed strings without prototype keys, however wide', () => {
    const safeKey = fc.string().filter((k) => !['__proto__', 'constructor', 'prototype'].includes(k) && isWellFormed(k));
    const value = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        fc.oneof(fc.string({ unit: 'grapheme' }), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null)),
        fc.array(tie('v')),
        fc.dictionary(safeKey, tie('v')),
      ),
    })).v;
    fc.assert(fc.property(value, (v) => expect(() => checkParsedBody(JSON.parse(JSON.stringify(v)))).not.toThrow()));
    expect(() => checkParsedBody({ list: Array.from({ length: 100_000 }, (_, i) => ({ i })) })).not.toThrow();
  });
});

describe('isWellFormed', () => {
  it('agrees with encoding round trips: a string is well-formed exactly when UTF-8 keeps it', () => {
    const units = fc
      .array(fc.oneof(fc.integer({ min: 0xd7f0, max: 0xe010 }), fc.integer({ min: 0x20, max: 0x7e })), { maxLength: 6 })
      .map((codes) => String.fromCharCode(...codes));
    fc.assert(fc.property(units, (s) => expect(isWellFormed(s)).toBe(Buffer.from(s, 'utf8').toString('utf8') === s)));
  });
});

describe('findNul', () => {
  it('names the first string or key holding a NUL, under the prefix', () => {
    expect(findNul({ a: ['x', 'y\u0000'] }, '')).toBe('a[1]');
    expect(findNul({ 'k\u0000': 1 }, '')).toBe('k\u0000');
    expect(findNul(['a\u0000'], 'list')).toBe('list[0]');
    expect(findNul('a\u0000', 'id')).toBe('id');
    expect(findNul({ a: { b: 'ok' } }, '')).toBeNull();
  });
});
