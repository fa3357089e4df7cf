import { DomainError } from '@forest-ledger/common';
import fc from 'fast-check';
import { CHINESE_CAPITAL_AMOUNT_CHARACTERS, toChineseCapitalAmount } from './chinese-amount';

/**
 * Reads a 大写金额 back to canonical decimal text with 2 decimals ("1409.50"). Written for the test,
 * independently of the formatter: a multiply-accumulate parser over BigInt, strict about characters.
 */
function fromChineseCapitalAmount(text: string): string {
  const DIGIT = new Map([...'零壹贰叁肆伍陆柒捌玖'].map((c, i) => [c, BigInt(i)]));
  const SMALL = new Map([
    ['拾', 10n],
    ['佰', 100n],
    ['仟', 1000n],
  ]);
  if (text === '零元整') return '0.00';
  const body = text.endsWith('整') ? text.slice(0, -1) : text;
  const yuanAt = body.indexOf('元');
  const integerText = yuanAt >= 0 ? body.slice(0, yuanAt) : '';
  const fractionText = yuanAt >= 0 ? body.slice(yuanAt + 1) : body;

  let result = 0n; // completed 亿 multiples
  let section = 0n; // below the last 亿, completed 万 multiples and small units
  let digit = 0n;
  for (const c of integerText) {
    const d = DIGIT.get(c);
    const small = SMALL.get(c);
    if (d !== undefined) digit = d;
    else if (small !== undefined) {
      section += digit * small;
      digit = 0n;
    } else if (c === '万') {
      section = (section + digit) * 10_000n;
      digit = 0n;
    } else if (c === '亿') {
      result = (result + section + digit) * 100_000_000n;
      section = 0n;
      digit = 0n;
    } else throw new Error(`unexpected ${c} in ${text}`);
  }
  const yuan = result + section + digit;

  let jiao = 0n;
  let fen = 0n;
  let pending: bigint | undefined;
  for (const c of fractionText) {
    const d = DIGIT.get(c);
    if (c === '零') continue;
    if (d !== undefined) pending = d;
    else if (c === '角' && pending !== undefined) [jiao, pending] = [pending, undefined];
    else if (c === '分' && pending !== undefined) [fen, pending] = [pending, undefined];
    else throw new Error(`unexpected ${c} in ${text}`);
  }
  if (pending !== undefined) throw new Error(`digit without 角/分 in ${text}`);
  return `${yuan}.${jiao}${fen}`;
}

/** Canonical 2-decimal text of an amount string, exact (string arithmetic only). */
function canonical(amount: string): string {
  const [integer, fraction = ''] = amount.split('.');
  return `${integer}.${fraction.padEnd(2, '0')}`;
}

describe('toChineseCapitalAmount', () => {
  /**
   * PBOC 《支付结算办法》附一 examples (marked PBOC), the examples, and standard amounts.
   * 107000.53 is this module's convention (both optional 零 written), see the module comment.
   */
  const CASES: ReadonlyArray<[string, string]> = [
    // PBOC 《正确填写票据和结算凭证的基本规定》
    ['1409.50', '壹仟肆佰零玖元伍角'],
    ['6007.14', '陆仟零柒元壹角肆分'],
    ['1680.32', '壹仟陆佰捌拾元零叁角贰分'],
    ['16409.02', '壹万陆仟肆佰零玖元零贰分'],
    ['325.04', '叁佰贰拾伍元零肆分'],
    ['107000.53', '壹拾万零柒仟元零伍角叁分'],
    // the issue
    ['900000', '玖拾万元整'],
    ['900000.00', '玖拾万元整'],
    ['0.5', '伍角'],
    ['1.05', '壹元零伍分'],
    ['10', '壹拾元整'],
    ['100.5', '壹佰元零伍角'],
    ['1000000.01', '壹佰万元零壹分'],
    ['10010', '壹万零壹拾元整'],
    ['100010000', '壹亿零壹万元整'],
    ['0', '零元整'],
    ['105000', '壹拾万零伍仟元整'],
    ['40845', '肆万零捌佰肆拾伍元整'],
    ['1.10', '壹元壹角'],
    ['0.05', '伍分'],
    // zero and small amounts
    ['0.00', '零元整'],
    ['0.0', '零元整'],
    ['0.01', '壹分'],
    ['0.10', '壹角'],
    ['0.15', '壹角伍分'],
    ['1', '壹元整'],
    ['1.00', '壹元整'],
    ['5.5', '伍元伍角'],
    ['10.01', '壹拾元零壹分'],
    ['11', '壹拾壹元整'],
    ['15.00', '壹拾伍元整'],
    ['20.20', '贰拾元零贰角'], // 元位 zero, 角 not: 零 written (rule (三), as 1680.32)
    ['100', '壹佰元整'],
    ['101', '壹佰零壹元整'],
    ['110', '壹佰壹拾元整'],
    ['150.00', '壹佰伍拾元整'],
    ['829.55', '捌佰贰拾玖元伍角伍分'],
    ['1001', '壹仟零壹元整'],
    ['1010', '壹仟零壹拾元整'],
    ['1100', '壹仟壹佰元整'],
    ['2500.00', '贰仟伍佰元整'],
    // 万 and 亿
    ['10000', '壹万元整'],
    ['11000', '壹万壹仟元整'],
    ['40845.00', '肆万零捌佰肆拾伍元整'],
    ['100000', '壹拾万元整'],
    ['110000', '壹拾壹万元整'],
    ['2000000.10', '贰佰万元零壹角'],
    ['10000001', '壹仟万零壹元整'],
    ['51750000', '伍仟壹佰柒拾伍万元整'],
    ['100000001', '壹亿零壹元整'],
    ['200000000', '贰亿元整'],
    ['123456789.12', '壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分'],
    ['1000000000', '壹拾亿元整'],
    ['1000100000', '壹拾亿零壹拾万元整'],
    // 万亿
    ['1000000000000', '壹万亿元整'],
    ['1000000000000.01', '壹万亿元零壹分'],
    ['1000000010000', '壹万亿零壹万元整'],
    ['1200000000000', '壹万贰仟亿元整'],
    ['1000100000000', '壹万零壹亿元整'],
    ['12000000000000', '壹拾贰万亿元整'],
    ['9999999999999999.99', '玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分'],
  ];

  it.each(CASES)('%s → %s', (amount, expected) => {
    expect(toChineseCapitalAmount(amount)).toBe(expected);
  });

  it('the table has at least 30 cases and the test parser reads every one back', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    for (const [amount, text] of CASES) expect(fromChineseCapitalAmount(text)).toBe(canonical(amount));
  });

  it.each([
    ['', 'empty'],
    [' 1', 'leading space'],
    ['1 ', 'trailing space'],
    ['-1', 'negative'],
    ['-0.00', 'negative zero'],
    ['+1', 'plus sign'],
    ['1.234', 'three decimals'],
    ['1.005', 'three decimals, half'],
    ['1.', 'point without decimals'],
    ['.5', 'no integer digit'],
    ['01', 'leading zero'],
    ['00.50', 'leading zeros'],
    ['1,000.00', 'thousands separator'],
    ['1e3', 'exponent'],
    ['NaN', 'NaN'],
    ['Infinity', 'Infinity'],
    ['１０', 'full-width digits'],
    ['10000000000000000', '10^16'],
    ['10000000000000000.00', '10^16 with decimals'],
    ['壹元', 'already Chinese'],
    ['0x10', 'hex'],
  ])('refuses %j (%s)', (amount) => {
    expect(() => toChineseCapitalAmount(amount)).toThrow(DomainError);
    expect(() => toChineseCapitalAmount(amount)).toThrow(/at most 2 decimals/);
  });

  it.each([[1.5], [null], [undefined], [150n]])('refuses a non-string %p at runtime', (value) => {
    expect(() => toChineseCapitalAmount(value as unknown as string)).toThrow(/must be a decimal string/);
  });

  it('refuses with the typed INVALID_AMOUNT error naming the field', () => {
    try {
      toChineseCapitalAmount('1.234');
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect(error).toMatchObject({ kind: 'invalid', code: 'INVALID_AMOUNT', field: 'amount' });
      expect((error as Error).message).toContain('"1.234"');
    }
  });

  describe('properties', () => {
    /** Random amounts 0 ≤ x < 10^16 as text: 0 to 16 integer digits (biased to zero runs), 0–2 decimals. */
    const digitWithZeros = fc.oneof({ weight: 3, arbitrary: fc.constant('0') }, { weight: 4, arbitrary: fc.constantFrom(...'0123456789') });
    const amountText = fc
      .tuple(fc.array(digitWithZeros, { minLength: 1, maxLength: 16 }), fc.array(digitWithZeros, { minLength: 0, maxLength: 2 }))
      .map(([intDigits, decDigits]) => {
        const integer = intDigits.join('').replace(/^0+(?=.)/, '');
        return decDigits.length > 0 ? `${integer}.${decDigits.join('')}` : integer;
      });
    const RUNS = { numRuns: 2000 };

    it('uses only the allowed characters', () => {
      fc.assert(
        fc.property(amountText, (amount) => {
          expect([...toChineseCapitalAmount(amount)].every((c) => CHINESE_CAPITAL_AMOUNT_CHARACTERS.includes(c))).toBe(true);
        }),
        RUNS,
      );
    });

    it('never writes two 零 in a row, nor 零 before a unit, nor a leading or trailing 零 (except 零元整)', () => {
      fc.assert(
        fc.property(amountText, (amount) => {
          const text = toChineseCapitalAmount(amount);
          expect(text).not.toContain('零零');
          if (text === '零元整') return;
          expect(text).not.toMatch(/零[拾佰仟万亿元角分整]/);
          expect(text.startsWith('零')).toBe(false);
          expect(text).not.toMatch(/零整?$/);
        }),
        RUNS,
      );
    });

    it('ends with 整 iff the 角 and 分 digits are both 0 (convention: no 整 after 角), and then with 元整', () => {
      fc.assert(
        fc.property(amountText, (amount) => {
          const text = toChineseCapitalAmount(amount);
          const [, fraction] = canonical(amount).split('.');
          const noFraction = fraction === '00';
          expect(text.endsWith('整')).toBe(noFraction);
          if (noFraction) expect(text.endsWith('元整')).toBe(true);
          else expect(text.endsWith(fraction[1] === '0' ? '角' : '分')).toBe(true);
        }),
        RUNS,
      );
    });

    it('round-trips through an independent parser, exactly', () => {
      fc.assert(
        fc.property(amountText, (amount) => {
          expect(fromChineseCapitalAmount(toChineseCapitalAmount(amount))).toBe(canonical(amount));
        }),
        RUNS,
      );
    });

    it('round-trips uniformly random amounts below 10^16 (BigInt cents)', () => {
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n - 1n }), (cents) => {
          const amount = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
          expect(fromChineseCapitalAmount(toChineseCapitalAmount(amount))).toBe(amount);
        }),
        RUNS,
      );
    });

    it('writes 元 iff the amount is at least one yuan (or zero)', () => {
      fc.assert(
        fc.property(amountText, (amount) => {
          const atLeastOneYuan = !canonical(amount).startsWith('0.');
          expect(toChineseCapitalAmount(amount).includes('元')).toBe(atLeastOneYuan || /^0(\.0*)?$/.test(amount));
        }),
        RUNS,
      );
    });
  });
});
