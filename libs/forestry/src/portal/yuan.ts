/**
 * Amounts as a villager reads them: ¥12,345.67 (thousands separators, two decimals). String work
 * only, never a JS number: the input is a decimal string from the ledger.
 */
export function formatYuan(amount: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(amount)}`);
  const [, sign, whole, fraction = ''] = match;
  if (fraction.length > 2 && /[1-9]/.test(fraction.slice(2))) throw new RangeError(`amount has more than 2 decimals: ${amount}`);
  const grouped = whole.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+$)/g, ',');
  const cents = fraction.slice(0, 2).padEnd(2, '0');
  const negative = sign === '-' && !/^0+$/.test(whole + fraction);
  return `${negative ? '-' : ''}¥${grouped}.${cents}`;
}

/** Whole units with thousands separators: '900000' → '900,000'. */
export function formatUnits(units: string): string {
  if (!/^\d+$/.test(units)) throw new RangeError(`not a whole number of units: ${JSON.stringify(units)}`);
  return units.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+$)/g, ',');
}

/**
 * An amount per unit (a dividend's, kept to 6 decimals) as every other amount is printed: ¥ and two decimals,
 * rounded half up ('1.234500' → '¥1.23', '0.005000' → '¥0.01'). Digit work on the decimal string only.
 */
export function formatYuanPerUnit(amount: string): string {
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(amount);
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(amount)}`);
  const [, sign, whole, fraction = ''] = match;
  const cents = BigInt(whole + fraction.slice(0, 2).padEnd(2, '0')) + (/^[5-9]/.test(fraction.slice(2)) ? 1n : 0n);
  const text = cents.toString().padStart(3, '0');
  return formatYuan(`${sign}${text.slice(0, -2)}.${text.slice(-2)}`);
}
