import fc from 'fast-check';
import { Amount, Dec, formatDecimal, MAX_SCALE } from './amount';
import { LedgerError } from './errors';

/** Runs `fn` and returns the LedgerError it throws; fails the test if it throws anything else or nothing. */
function ledgerErrorOf(fn: () => unknown): LedgerError {
  try {
    fn();
  } catch (e: unknown) {
    expect(e).toBeInstanceOf(LedgerError);
    return e as LedgerError;
  }
  throw new Error('expected a LedgerError, but nothing was thrown');
}

describe('Amount.parse', () => {
  const rejected: Array<[string, unknown]> = [
    ['a JS number', 12],
    ['a JS float', 12.5],
    ['null', null],
    ['undefined', undefined],
    ['a boolean', true],
    ['an object', { value: '12' }],
    ['a bigint', BigInt(12)],
    ['exponent notation', '1e3'],
    ['upper-case exponent', '1E3'],
    ['hexadecimal', '0x10'],
    ['binary literal', '0b1'],
    ['a leading space', ' 1'],
    ['a trailing space', '1 '],
    ['a trailing newline', '1\n'],
    ['a thousands separator', '1,000'],
    ['a decimal comma', '1,5'],
    ['an underscore separator', '1_000'],
    ['full-width digits', '１２'],
    ['Arabic-Indic digits', '١٢'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['negative zero', '-0'],
    ['a negative amount', '-1'],
    ['an explicit plus sign', '+1'],
    ['a leading zero', '01'],
    ['a leading zero before a point', '00.5'],
    ['a missing integer part', '.5'],
    ['a missing fraction part', '5.'],
    ['two points', '1.2.3'],
    ['the empty string', ''],
    ['a lone point', '.'],
    ['more than 20 integer digits', '1'.padEnd(21, '0')],
    ['more than 18 decimals', `0.${'1'.repeat(19)}`],
  ];

  it.each(rejected)('rejects %s with INVALID_AMOUNT', (_label, input) => {
    const err = ledgerErrorOf(() => Amount.parse(input, MAX_SCALE));
    expect(err.code).toBe('INVALID_AMOUNT');
    expect(err.kind).toBe('invalid');
    expect(err.field).toBe('amount');
  });

  it('rejects more decimals than the scale allows instead of rounding', () => {
    const tooFine = ledgerErrorOf(() => Amount.parse('1.005', 2));
    expect(tooFine.code).toBe('INVALID_AMOUNT');
    expect(tooFine.details).toEqual({ scale: 2 });

    const notWhole = ledgerErrorOf(() => Amount.parse('1.5', 0));
    expect(notWhole.code).toBe('INVALID_AMOUNT');
    expect(notWhole.details).toEqual({ scale: 0 });

    // Trailing zeros still count as written decimals: the text is refused, not normalised.
    expect(ledgerErrorOf(() => Amount.parse('1.000', 2)).code).toBe('INVALID_AMOUNT');
  });

  it('names the field passed in, both in `field` and in the message', () => {
    const cases: Array<[unknown, number]> = [
      [12, 2],
      [null, 2],
      ['1e3', 2],
      ['1.005', 2],
    ];
    for (const [input, scale] of cases) {
      const err = ledgerErrorOf(() => Amount.parse(input, scale, 'transfer.amount'));
      expect(err.code).toBe('INVALID_AMOUNT');
      expect(err.field).toBe('transfer.amount');
      expect(err.message).toContain('transfer.amount');
    }
  });

  it('says what it got for a non-string', () => {
    expect(ledgerErrorOf(() => Amount.parse(null, 2)).message).toContain('null');
    expect(ledgerErrorOf(() => Amount.parse(12, 2)).message).toContain('number');
  });

  it('accepts zero', () => {
    expect(Amount.parse('0', 2).toString()).toBe('0.00');
    expect(Amount.parse('0', 2).isZero()).toBe(true);
    expect(Amount.parse('0.00', 2).isZero()).toBe(true);
    expect(Amount.parse('0', 0).toString()).toBe('0');
  });

  it('formats at the asset scale', () => {
    expect(Amount.parse('12.50', 2).toString()).toBe('12.50');
    expect(Amount.parse('12.5', 2).toString()).toBe('12.50');
    expect(Amount.parse('12', 2).toString()).toBe('12.00');
    expect(Amount.parse('1.000', 3).toString()).toBe('1.000');
    expect(Amount.parse('40845', 0).toString()).toBe('40845');
    expect(Amount.parse('12.5', 2).toJSON()).toBe('12.50');
    expect(JSON.stringify({ a: Amount.parse('7', 2) })).toBe('{"a":"7.00"}');
  });

  it('keeps the exact value and the scale', () => {
    const a = Amount.parse('12.5', 2);
    expect(a.value.equals(new Dec('12.5'))).toBe(true);
    expect(a.scale).toBe(2);
  });

  it('accepts the widest numeric(38, 18) value exactly', () => {
    const widest = `${'9'.repeat(20)}.${'9'.repeat(18)}`;
    expect(Amount.parse(widest, MAX_SCALE).toString()).toBe(widest);
  });

  it('round-trips any integer part with any fraction within the scale (padded to the scale)', () => {
    const arb = fc
      .record({
        scale: fc.integer({ min: 0, max: MAX_SCALE }),
        intPart: fc.bigInt({ min: BigInt(0), max: BigInt(10) ** BigInt(20) - BigInt(1) }),
        fracSeed: fc.array(fc.integer({ min: 0, max: 9 }), { maxLength: MAX_SCALE }),
      })
      .map(({ scale, intPart, fracSeed }) => ({ scale, intPart, frac: fracSeed.slice(0, scale).join('') }));
    fc.assert(
      fc.property(arb, ({ scale, intPart, frac }) => {
        const text = frac.length > 0 ? `${intPart}.${frac}` : intPart.toString();
        const expected = scale === 0 ? intPart.toString() : `${intPart}.${frac.padEnd(scale, '0')}`;
        const amount = Amount.parse(text, scale);
        expect(amount.toString()).toBe(expected);
        expect(amount.value.equals(new Dec(text))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('never accepts a string that is not plain decimal text', () => {
    const plain = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        fc.pre(!plain.test(text));
        expect(ledgerErrorOf(() => Amount.parse(text, MAX_SCALE)).code).toBe('INVALID_AMOUNT');
      }),
      { numRuns: 500 },
    );
  });
});

describe('Amount.parsePositive', () => {
  it('rejects zero, naming the field', () => {
    for (const zero of ['0', '0.0', '0.00']) {
      const err = ledgerErrorOf(() => Amount.parsePositive(zero, 2, 'postings[0].amount'));
      expect(err.code).toBe('INVALID_AMOUNT');
      expect(err.field).toBe('postings[0].amount');
      expect(err.message).toContain('postings[0].amount');
    }
  });

  it('applies every rule of parse', () => {
    for (const bad of [12, null, '-1', '1e3', '', '1.005']) {
      expect(ledgerErrorOf(() => Amount.parsePositive(bad, 2)).code).toBe('INVALID_AMOUNT');
    }
  });

  it('accepts the smallest unit and ordinary amounts', () => {
    expect(Amount.parsePositive('0.01', 2).toString()).toBe('0.01');
    expect(Amount.parsePositive('1', 0).toString()).toBe('1');
    expect(Amount.parsePositive('12.5', 2).toString()).toBe('12.50');
  });
});

describe('Amount.of', () => {
  it('wraps computed values that fit the scale', () => {
    expect(Amount.of('12.5', 2).toString()).toBe('12.50');
    expect(Amount.of(new Dec('33.34'), 2).toString()).toBe('33.34');
    expect(Amount.of(7, 0).toString()).toBe('7');
    expect(Amount.of(0, 2).isZero()).toBe(true);
    // Trailing zeros are not decimals of the value.
    expect(Amount.of('1.10', 1).toString()).toBe('1.1');
  });

  it.each<[string, string | number]>([
    ['a negative value', '-0.01'],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['more decimals than the scale', '1.005'],
  ])('rejects %s with INVALID_AMOUNT instead of rounding', (_label, value) => {
    expect(ledgerErrorOf(() => Amount.of(value, 2)).code).toBe('INVALID_AMOUNT');
  });

  it('rejects exponent input whose value is too fine for the scale', () => {
    expect(ledgerErrorOf(() => Amount.of('1e-3', 2)).code).toBe('INVALID_AMOUNT');
    expect(Amount.of('1e3', 2).toString()).toBe('1000.00');
  });
});

describe('Amount arithmetic', () => {
  it('plus is exact and keeps the wider scale', () => {
    const sum = Amount.parse('0.1', 2).plus(Amount.parse('0.2', 3));
    expect(sum.toString()).toBe('0.300');
    expect(sum.equals(Amount.parse('0.3', 1))).toBe(true);
    expect(Amount.zero(2).toString()).toBe('0.00');
  });
});

describe('formatDecimal', () => {
  it.each<[string, number, string]>([
    ['12.5', 2, '12.50'],
    ['0', 2, '0.00'],
    ['123', 0, '123'],
    ['-12.5', 2, '-12.50'],
    ['1e-7', 8, '0.00000010'],
    ['1e21', 0, '1000000000000000000000'],
    ['12.345', 2, '12.35'],
    ['-1.5', 0, '-2'],
    ['-0', 2, '0.00'],
    ['-0.001', 2, '0.00'],
    ['-0.000000000000000000', 18, '0.000000000000000000'],
  ])('formatDecimal(%s, %d) = %s', (value, scale, expected) => {
    expect(formatDecimal(value, scale)).toBe(expected);
  });

  it('accepts Decimal and number inputs', () => {
    expect(formatDecimal(new Dec('40845'), 2)).toBe('40845.00');
    expect(formatDecimal(3, 1)).toBe('3.0');
  });

  it('never prints exponent notation or a negative zero', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(BigInt(10) ** BigInt(38)), max: BigInt(10) ** BigInt(38) }), fc.integer({ min: 0, max: MAX_SCALE }), (units, scale) => {
        const text = formatDecimal(new Dec(units.toString()).div(new Dec(10).pow(scale)), scale);
        expect(text).toMatch(scale === 0 ? /^-?[0-9]+$/ : new RegExp(`^-?[0-9]+\\.[0-9]{${scale}}$`));
        expect(text).not.toMatch(/^-0(\.0*)?$/);
        expect(new Dec(text).times(new Dec(10).pow(scale)).toFixed(0)).toBe(units.toString());
      }),
      { numRuns: 300 },
    );
  });
});
