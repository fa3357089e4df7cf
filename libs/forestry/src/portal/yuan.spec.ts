import fc from 'fast-check';
import { formatUnits, formatYuan, formatYuanPerUnit } from './yuan';

describe('formatYuan', () => {
  it.each([
    ['12345.67', '¥12,345.67'],
    ['0.01', '¥0.01'],
    ['0', '¥0.00'],
    ['1000', '¥1,000.00'],
    ['999.5', '¥999.50'],
    ['1234567890.10', '¥1,234,567,890.10'],
    ['-33.34', '-¥33.34'],
    ['-0.00', '¥0.00'],
    ['100.000000', '¥100.00'],
    ['007.10', '¥7.10'],
  ])('%s → %s', (amount, shown) => expect(formatYuan(amount)).toBe(shown));

  it('refuses what is not a decimal amount, or would be rounded', () => {
    for (const bad of ['', '1e5', '12,345.67', '¥1', '1.005', 'NaN']) expect(() => formatYuan(bad)).toThrow(RangeError);
  });

  it('keeps every digit: removing the separators gives the amount back', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 15n }), (cents) => {
        const text = `${cents / 100n}.${(cents % 100n).toString().padStart(2, '0')}`;
        const shown = formatYuan(text);
        expect(shown).toMatch(/^¥\d{1,3}(,\d{3})*\.\d{2}$/);
        expect(shown.replace(/[¥,]/g, '')).toBe(text);
      }),
    );
  });
});

describe('formatUnits', () => {
  it('groups whole units by thousands', () => {
    expect(formatUnits('900000')).toBe('900,000');
    expect(formatUnits('63')).toBe('63');
    expect(() => formatUnits('1.5')).toThrow(RangeError);
  });
});

describe('formatYuanPerUnit', () => {
  it.each([
    ['1.234500', '¥1.23'],
    ['5.000000', '¥5.00'],
    ['0.005000', '¥0.01'],
    ['0.004999', '¥0.00'],
    ['0.995000', '¥1.00'],
    ['1234.565', '¥1,234.57'],
    ['12', '¥12.00'],
  ])('%s → %s (half up to the cent, as every other amount)', (perUnit, shown) => expect(formatYuanPerUnit(perUnit)).toBe(shown));

  it('refuses what is not a decimal amount', () => {
    for (const bad of ['', '1e5', '¥1', 'NaN']) expect(() => formatYuanPerUnit(bad)).toThrow(RangeError);
  });
});
