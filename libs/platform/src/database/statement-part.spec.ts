import { carriedParts, shiftedText, StatementPart } from './statement-part';

const part = (name: string, text: string, values: unknown[]): StatementPart => ({ name, text, values });

describe('statement parts', () => {
  it('numbers a part’s parameters after the carrier’s, two-digit ones included', () => {
    expect(shiftedText(part('p', 'UPDATE t SET a = $1, b = $10 WHERE c = $2', []), 9)).toBe('UPDATE t SET a = $10, b = $19 WHERE c = $11');
  });

  it('carries parts as top-level CTEs, each numbered after the ones before it, values in the same order', () => {
    const carried = carriedParts([part('audit', 'INSERT INTO a VALUES ($1, $2)', ['x', 'y']), part('answer', 'UPDATE b SET v = $1', ['z'])], 3);
    expect(carried.ctes).toBe(', carried_0 AS (INSERT INTO a VALUES ($4, $5)), carried_1 AS (UPDATE b SET v = $6)');
    expect(carried.values).toEqual(['x', 'y', 'z']);
    expect(carried.name).toBe('+audit+answer');
    expect(carriedParts([], 3)).toEqual({ ctes: '', values: [], name: '' });
  });
});
