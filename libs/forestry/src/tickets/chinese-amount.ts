import { LedgerError } from '@forest-ledger/ledger/domain';

/**
 * 中文大写金额: the amount in capital numerals written on Chinese financial documents (林票, 收据,
 * 支票, 进账单 …), following the People's Bank of China 《支付结算办法》 (银发〔1997〕393号),
 * 附一《正确填写票据和结算凭证的基本规定》.
 *
 * Input: a CNY amount as plain decimal text with at most 2 decimals, 0 ≤ amount < 10^16 (the
 * largest unit is 万亿). Anything else (a sign, an exponent, separators, spaces, leading zeros,
 * full-width digits, a third decimal) is refused with `LedgerError('INVALID_AMOUNT')`, never
 * rounded. The result carries no "人民币" prefix: the document template prints it.
 *
 * Conventions (where the Measures leave a choice, the choice made here):
 * 1. "整" is written after "元" when there are no 角 and no 分 (玖拾万元整, 零元整). Nothing is
 *    written after 角 (1.10 → 壹元壹角, not 壹元壹角整; the Measures allow either), nor after 分.
 * 2. A leading ten is written in full: 10 → 壹拾元整, 100000 → 壹拾万元整 (never 拾元整).
 * 3. Every run of zero digits lying between two non-zero digits (of the whole amount, 元 and 角/分
 *    included) is written as exactly one 零, placed just before the next non-zero digit, so a 零
 *    never stands before 万/亿/元: 10010 → 壹万零壹拾元整, 100010000 → 壹亿零壹万元整,
 *    10000001 → 壹仟万零壹元整. Leading and trailing zeros are not written.
 *    Where rule (三) of the Measures allows "one 零 or none" (万位 or 元位 zero, the next digit not),
 *    the 零 is always written — the anti-alteration choice: 105000 → 壹拾万零伍仟元整,
 *    100.50 → 壹佰元零伍角, 1680.32 → 壹仟陆佰捌拾元零叁角贰分. Consequently ¥107,000.53 is
 *    壹拾万零柒仟元零伍角叁分 (the Measures print the two one-零 variants 壹拾万柒仟元零伍角叁分 and
 *    壹拾万零柒仟元伍角叁分; this writes both 零, as rule (三) permits at each position).
 *    Rule (四) (角 zero, 分 not: 元 then 零) is the same rule: 1.05 → 壹元零伍分.
 * 4. Under one 元 neither 零 nor 元 is written: 0.05 → 伍分, 0.50 → 伍角, 0.15 → 壹角伍分.
 * 5. Units: 拾佰仟 inside a group of four digits; 万, 亿, and 万亿 for 10^12 … < 10^16
 *    (1000000000000 → 壹万亿元整, 1200000000000 → 壹万贰仟亿元整, 1000000010000 → 壹万亿零壹万元整).
 */
export function toChineseCapitalAmount(amount: string): string {
  const { integer, jiao, fen } = parseAmountText(amount);
  if (/^0*$/.test(integer) && jiao === 0 && fen === 0) return '零元整';

  let out = '';
  let pendingZero = false; // a zero run has been seen after some non-zero digit
  let seenNonZero = false;
  const write = (digit: number, unit: string): void => {
    if (digit === 0) {
      if (seenNonZero) pendingZero = true;
      return;
    }
    if (pendingZero) out += '零';
    out += DIGITS[digit] + unit;
    pendingZero = false;
    seenNonZero = true;
  };

  const digits = integer.replace(/^0+/, '');
  const groupHasDigits = (group: number): boolean => {
    const end = digits.length - 4 * group; // exclusive
    return /[1-9]/.test(digits.slice(Math.max(0, end - 4), Math.max(0, end)));
  };
  for (let i = 0; i < digits.length; i++) {
    const position = digits.length - 1 - i; // 0 = 元位
    write(Number(digits[i]), SMALL_UNITS[position % 4]);
    if (position % 4 === 0 && position > 0) {
      const group = position / 4; // 1 = 万, 2 = 亿, 3 = 万亿
      if (groupHasDigits(group)) {
        // The 万亿 group ends in 万; 亿 follows it at once only when the 亿 group is all zeros.
        out += group === 1 ? '万' : group === 2 ? '亿' : groupHasDigits(2) ? '万' : '万亿';
      }
    }
  }
  if (digits.length > 0) out += '元';
  write(jiao, '角');
  write(fen, '分');
  return fen === 0 && jiao === 0 ? out + '整' : out;
}

const DIGITS = ['零', '壹', '贰', '叁', '肆', '伍', '陆', '柒', '捌', '玖'] as const;
const SMALL_UNITS = ['', '拾', '佰', '仟'] as const;

/** Every character a result may contain. */
export const CHINESE_CAPITAL_AMOUNT_CHARACTERS = '零壹贰叁肆伍陆柒捌玖拾佰仟万亿元角分整';

/** Plain decimal text, at most 16 integer digits (< 10^16) and at most 2 decimals. */
const AMOUNT_TEXT = /^(0|[1-9][0-9]{0,15})(?:\.([0-9]{1,2}))?$/;

function parseAmountText(amount: unknown): { integer: string; jiao: number; fen: number } {
  if (typeof amount !== 'string') {
    throw new LedgerError('INVALID_AMOUNT', `amount must be a decimal string such as "900000.00", not a ${amount === null ? 'null' : typeof amount}`, 'amount');
  }
  const match = AMOUNT_TEXT.exec(amount);
  if (!match) {
    throw new LedgerError(
      'INVALID_AMOUNT',
      `amount for 大写金额 must be a plain CNY decimal 0 ≤ x < 10^16 with at most 2 decimals (digits and one optional point, e.g. "40845.00"); got ${JSON.stringify(amount)}`,
      'amount',
    );
  }
  const decimals = (match[2] ?? '').padEnd(2, '0');
  return { integer: match[1], jiao: Number(decimals[0]), fen: Number(decimals[1]) };
}
