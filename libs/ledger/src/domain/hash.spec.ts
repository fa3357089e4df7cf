import fc from 'fast-check';
import { canonicalJson, entryHash, HashedEntry, requestFingerprint, sha256Hex } from './hash';

const HEX64 = /^[0-9a-f]{64}$/;

/** Rebuilds a JSON-ish value with every object's members inserted in a seed-driven shuffled order. */
function reorderKeys(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((v, i) => reorderKeys(v, seed + i + 1));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    let s = seed >>> 0;
    for (let i = entries.length - 1; i > 0; i--) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const j = s % (i + 1);
      [entries[i], entries[j]] = [entries[j], entries[i]];
    }
    // fromEntries defines own data properties, so even a "__proto__" key stays a plain member.
    return Object.fromEntries(entries.map(([k, v], i) => [k, reorderKeys(v, seed * 31 + i)]));
  }
  return value;
}

describe('canonicalJson', () => {
  it('sorts object keys, recursively, inside arrays too', () => {
    const value = { b: 1, a: { d: [{ z: 1, y: { q: true, p: false } }, 'x'], c: null } };
    expect(canonicalJson(value)).toBe('{"a":{"c":null,"d":[{"y":{"p":false,"q":true},"z":1},"x"]},"b":1}');
  });

  it('writes no whitespace and escapes like JSON.stringify', () => {
    expect(canonicalJson({ 'k e"y': 'va\nl\u2028', n: -1.5e-7, t: [true, false, null] })).toBe(
      `{${JSON.stringify('k e"y')}:${JSON.stringify('va\nl\u2028')},"n":-1.5e-7,"t":[true,false,null]}`,
    );
  });

  it('serialises scalars like JSON', () => {
    expect(canonicalJson(null)).toBe('null');
    expect(canonicalJson(0)).toBe('0');
    expect(canonicalJson(-0)).toBe('0');
    expect(canonicalJson(12.5)).toBe('12.5');
    expect(canonicalJson('12.50')).toBe('"12.50"');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
  });

  it('drops undefined members, at any depth', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson({ x: { a: undefined }, y: [{ b: undefined, c: 2 }] })).toBe('{"x":{},"y":[{"c":2}]}');
    expect(canonicalJson({ a: 1, b: undefined })).toBe(canonicalJson({ a: 1 }));
  });

  it('writes undefined as null where JSON would (array items, top level)', () => {
    expect(canonicalJson([1, undefined, 3])).toBe('[1,null,3]');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('keeps null members (null is not undefined)', () => {
    expect(canonicalJson({ a: null })).toBe('{"a":null}');
    expect(canonicalJson({ a: null })).not.toBe(canonicalJson({}));
  });

  it('orders keys by JavaScript string comparison (UTF-16 code units), integer-like keys included', () => {
    expect(canonicalJson({ b: 1, a: 2, B: 3, é: 4, 10: 5, 9: 6, _: 7 })).toBe('{"10":5,"9":6,"B":3,"_":7,"a":2,"b":1,"é":4}');
    // Astral characters (surrogate pairs, 0xD800..) sort before U+E000..U+FFFF: code-unit order, not code-point order.
    expect(canonicalJson({ '\uFF01': 1, '\u{1F332}': 2 })).toBe('{"\u{1F332}":2,"\uFF01":1}');
  });

  it.each<[string, unknown]>([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['NaN in an object', { a: Number.NaN }],
    ['Infinity in an array', [1, Number.POSITIVE_INFINITY]],
    ['a bigint', BigInt(1)],
    ['a function', () => 1],
    ['a symbol', Symbol('s')],
  ])('rejects %s with a TypeError', (_label, value) => {
    expect(() => canonicalJson(value)).toThrow(TypeError);
  });

  it('is stable under any permutation of keys (fc.jsonValue)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        expect(canonicalJson(reorderKeys(value, seed))).toBe(canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('is stable under any permutation of keys (fc.object)', () => {
    fc.assert(
      fc.property(
        fc.object({
          maxDepth: 3,
          values: [fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string(), fc.constant(null), fc.constant(undefined)],
        }),
        fc.integer(),
        (value, seed) => {
          expect(canonicalJson(reorderKeys(value, seed))).toBe(canonicalJson(value));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('is valid JSON, equal in value to the input, and a fixed point', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = canonicalJson(value);
        const parsed: unknown = JSON.parse(text);
        expect(parsed).toEqual(JSON.parse(JSON.stringify(value)));
        expect(canonicalJson(parsed)).toBe(text);
      }),
      { numRuns: 300 },
    );
  });
});

describe('canonicalJson over client data', () => {
  /** The recursive definition the iterative implementation must match. */
  function reference(value: unknown): string {
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
    if (Array.isArray(value)) return `[${Array.from(value, (v) => reference(v)).join(',')}]`;
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj)
      .filter((k) => obj[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference(obj[k])}`).join(',')}}`;
  }

  it('equals the recursive definition (fc.jsonValue, prototype-named keys and holes included)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (value) => expect(canonicalJson(value)).toBe(reference(value))),
      { numRuns: 500 },
    );
    const tricky = JSON.parse('{"__proto__":{"a":1},"constructor":{"prototype":[]},"b":[1,null,2]}') as unknown;
    expect(canonicalJson(tricky)).toBe(reference(tricky));
    // eslint-disable-next-line no-sparse-arrays
    expect(canonicalJson([1, , 3])).toBe('[1,null,3]');
  });

  it('serialises 20,000 levels of nesting without overflowing the stack', () => {
    const depth = 20_000;
    let deep: unknown = 0;
    for (let i = 0; i < depth; i++) deep = i % 2 ? [deep] : { a: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBe(1 + depth * 2 + (depth / 2) * 4);
    expect(text.startsWith('[{"a":[{"a":')).toBe(true);
  });
});

describe('sha256Hex', () => {
  it('is SHA-256 of the UTF-8 text in lower-case hex', () => {
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('林')).toBe(sha256Hex('\u6797'));
    expect(sha256Hex('林')).toMatch(HEX64);
  });
});

describe('entryHash', () => {
  const base: HashedEntry = {
    idempotencyKey: 'key-1',
    kind: 'TICKET_TRANSFER',
    effectiveDate: '2025-03-01',
    bookedAt: '2025-03-01T08:00:00.000Z',
    memo: 'first harvest',
    metadata: { ticket: 'T-1', nested: { a: 1 } },
    reversesEntryId: null,
    postings: [
      { account: 'cash', side: 'DEBIT', amount: '100.00' },
      { account: 'revenue', side: 'CREDIT', amount: '60.00' },
      { account: 'payable', side: 'CREDIT', amount: '40.00' },
    ],
  };
  const prevHead = 'a'.repeat(64);
  const basePrev = new Map<string, string | null>([
    ['cash', prevHead],
    ['revenue', null],
    ['payable', 'b'.repeat(64)],
  ]);
  const baseHash = entryHash(base, basePrev);

  it('is 64 lower-case hex characters and deterministic', () => {
    expect(baseHash).toMatch(HEX64);
    expect(entryHash({ ...base, postings: base.postings.map((p) => ({ ...p })) }, new Map(basePrev))).toBe(baseHash);
  });

  const changed: Array<[string, HashedEntry]> = [
    ['idempotencyKey', { ...base, idempotencyKey: 'key-2' }],
    ['kind', { ...base, kind: 'TICKET_TRANSFER_2' }],
    ['effectiveDate', { ...base, effectiveDate: '2025-03-02' }],
    ['bookedAt', { ...base, bookedAt: '2025-03-01T08:00:00.001Z' }],
    ['memo (text)', { ...base, memo: 'second harvest' }],
    ['memo (to null)', { ...base, memo: null }],
    ['memo (to empty)', { ...base, memo: '' }],
    ['metadata (a value)', { ...base, metadata: { ticket: 'T-2', nested: { a: 1 } } }],
    ['metadata (a nested value)', { ...base, metadata: { ticket: 'T-1', nested: { a: 2 } } }],
    ['metadata (an added member)', { ...base, metadata: { ...base.metadata, extra: null } }],
    ['metadata (to empty)', { ...base, metadata: {} }],
    ['reversesEntryId', { ...base, reversesEntryId: '00000000-0000-0000-0000-000000000001' }],
    ['a posting account', { ...base, postings: [{ account: 'bank', side: 'DEBIT', amount: '100.00' }, ...base.postings.slice(1)] }],
    ['a posting side', { ...base, postings: [base.postings[0], { ...base.postings[1], side: 'DEBIT' }, base.postings[2]] }],
    ['the posting order', { ...base, postings: [base.postings[0], base.postings[2], base.postings[1]] }],
    ['an added posting', { ...base, postings: [...base.postings, { account: 'fee', side: 'CREDIT', amount: '0.00' }] }],
    ['a removed posting', { ...base, postings: base.postings.slice(0, 2) }],
  ];

  it.each(changed)('changes when %s changes', (_label, entry) => {
    expect(entryHash(entry, basePrev)).not.toBe(baseHash);
  });

  it('changes when any posting amount changes, even by one unit or only in its written scale', () => {
    base.postings.forEach((p, i) => {
      for (const amount of ['100.01', '99.99', '0.01', '100.0', '100', '1000.00']) {
        if (amount === p.amount) continue;
        const postings = base.postings.map((q, j) => (j === i ? { ...q, amount } : q));
        expect(entryHash({ ...base, postings }, basePrev)).not.toBe(baseHash);
      }
    });
  });

  it('changes when any previous head changes, appears or disappears', () => {
    for (const code of basePrev.keys()) {
      for (const head of [null, 'c'.repeat(64), prevHead.replace(/a$/, 'b')]) {
        if (basePrev.get(code) === head) continue;
        const prev = new Map(basePrev).set(code, head);
        expect(entryHash(base, prev)).not.toBe(baseHash);
      }
      const without = new Map(basePrev);
      without.delete(code);
      expect(entryHash(base, without)).not.toBe(baseHash);
    }
    expect(entryHash(base, new Map(basePrev).set('other', null))).not.toBe(baseHash);
    expect(entryHash(base, new Map())).not.toBe(baseHash);
  });

  it('binds each head to its account code (swapping heads between accounts changes the hash)', () => {
    const swapped = new Map(basePrev).set('cash', basePrev.get('payable')!).set('payable', prevHead);
    expect(entryHash(base, swapped)).not.toBe(baseHash);
  });

  it('does not depend on metadata key order', () => {
    expect(entryHash({ ...base, metadata: { nested: { a: 1 }, ticket: 'T-1' } }, basePrev)).toBe(baseHash);
  });

  it('does not depend on the insertion order of the previous-head map', () => {
    const headArb = fc.option(fc.stringMatching(/^[0-9a-f]{64}$/), { nil: null });
    const prevArb = fc.uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), headArb), { minLength: 1, maxLength: 8, selector: ([code]) => code });
    fc.assert(
      fc.property(
        prevArb.chain((entries) => fc.tuple(fc.constant(entries), fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }))),
        ([entries, shuffled]) => {
          expect(entryHash(base, new Map(shuffled))).toBe(entryHash(base, new Map(entries)));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('changes for any change of any single posting amount (property)', () => {
    const amountArb = fc.bigInt({ min: BigInt(1), max: BigInt(10) ** BigInt(20) }).map((u) => {
      const s = u.toString().padStart(3, '0');
      return `${s.slice(0, -2)}.${s.slice(-2)}`;
    });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: base.postings.length - 1 }), amountArb, (i, amount) => {
        fc.pre(amount !== base.postings[i].amount);
        const postings = base.postings.map((q, j) => (j === i ? { ...q, amount } : q));
        expect(entryHash({ ...base, postings }, basePrev)).not.toBe(baseHash);
      }),
      { numRuns: 200 },
    );
  });
});

describe('requestFingerprint', () => {
  it('is equal for equal objects written in a different key order', () => {
    const a = { method: 'POST', path: '/v1/entries', body: { kind: 'X', postings: [{ account: 'a', side: 'DEBIT', amount: '1.00' }], memo: null } };
    const b = { body: { memo: null, postings: [{ amount: '1.00', side: 'DEBIT', account: 'a' }], kind: 'X' }, path: '/v1/entries', method: 'POST' };
    expect(requestFingerprint(a)).toBe(requestFingerprint(b));
    expect(requestFingerprint(a)).toMatch(HEX64);
    expect(requestFingerprint(a)).toBe(sha256Hex(canonicalJson(a)));
  });

  it('ignores undefined members', () => {
    expect(requestFingerprint({ a: 1, b: undefined })).toBe(requestFingerprint({ a: 1 }));
  });

  it('differs for different values', () => {
    expect(requestFingerprint({ amount: '1.00' })).not.toBe(requestFingerprint({ amount: '1.0' }));
    expect(requestFingerprint({ amount: '1.00' })).not.toBe(requestFingerprint({ amount: 1 }));
    expect(requestFingerprint({ a: null })).not.toBe(requestFingerprint({}));
    expect(requestFingerprint([1, 2])).not.toBe(requestFingerprint([2, 1]));
  });

  it('is equal under any key permutation (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.integer(), (value, seed) => {
        expect(requestFingerprint(reorderKeys(value, seed))).toBe(requestFingerprint(value));
      }),
      { numRuns: 200 },
    );
  });
});
