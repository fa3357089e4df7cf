import { DomainError } from '@forest-ledger/common';
import { inputChecks } from './input-checks';

class TestError extends DomainError {
  constructor(message: string, field: string) {
    super('invalid', 'TEST_INVALID', message, field);
  }
}

const checks = inputChecks((message, field) => new TestError(message, field));
const refusal = (check: () => unknown): unknown => {
  try {
    check();
  } catch (error) {
    return error;
  }
  throw new Error('expected a refusal');
};

describe('inputChecks', () => {
  it('requireText trims and refuses non-strings, blanks and over-long texts with the feature’s error', () => {
    expect(checks.requireText('  合同 A  ', 'name')).toBe('合同 A');
    for (const bad of [undefined, null, 7, '', '   ']) {
      const error = refusal(() => checks.requireText(bad, 'name'));
      expect(error).toBeInstanceOf(TestError);
      expect(error).toMatchObject({ code: 'TEST_INVALID', field: 'name', message: 'name must be a non-empty text' });
    }
    expect(checks.requireText('x'.repeat(200), 'name')).toHaveLength(200);
    expect(refusal(() => checks.requireText('x'.repeat(201), 'name'))).toMatchObject({ field: 'name', message: 'name must be at most 200 characters' });
    expect(refusal(() => checks.requireText('abcde', 'code', 4))).toMatchObject({ field: 'code', message: 'code must be at most 4 characters' });
    // The length counts before trimming, as every copy this replaced did.
    expect(refusal(() => checks.requireText(` ${'x'.repeat(200)}`, 'name'))).toMatchObject({ message: 'name must be at most 200 characters' });
  });

  it('optionalText is null when absent and otherwise a text of at most 2000 characters by default', () => {
    expect(checks.optionalText(undefined, 'memo')).toBeNull();
    expect(checks.optionalText(null, 'memo')).toBeNull();
    expect(checks.optionalText(' note ', 'memo')).toBe('note');
    expect(checks.optionalText('x'.repeat(2000), 'memo')).toHaveLength(2000);
    expect(refusal(() => checks.optionalText('x'.repeat(2001), 'memo'))).toMatchObject({ message: 'memo must be at most 2000 characters' });
    expect(refusal(() => checks.optionalText('', 'memo'))).toMatchObject({ message: 'memo must be a non-empty text' });
    expect(refusal(() => checks.optionalText('abc', 'memo', 2))).toMatchObject({ message: 'memo must be at most 2 characters' });
  });

  it('takes other default lengths', () => {
    const short = inputChecks((message, field) => new TestError(message, field), { maxText: 10, maxOptionalText: 5 });
    expect(refusal(() => short.requireText('x'.repeat(11), 'name'))).toMatchObject({ message: 'name must be at most 10 characters' });
    expect(refusal(() => short.optionalText('x'.repeat(6), 'memo'))).toMatchObject({ message: 'memo must be at most 5 characters' });
    expect(short.optionalText('x'.repeat(5), 'memo')).toBe('xxxxx');
  });

  it('requireDate accepts a calendar date and refuses anything else', () => {
    expect(checks.requireDate('2024-02-29', 'startDate')).toBe('2024-02-29');
    for (const bad of [undefined, 20240101, '2023-02-29', '2024-1-01', '2024-01-01T00:00:00Z', ' 2024-01-01']) {
      expect(refusal(() => checks.requireDate(bad, 'startDate'))).toMatchObject({
        code: 'TEST_INVALID',
        field: 'startDate',
        message: 'startDate must be a calendar date YYYY-MM-DD',
      });
    }
  });
});
