import fc from 'fast-check';
import { MAX_STATEMENT_NAME, statementName } from './prepared';

describe('statementName', () => {
  it('keeps a name PostgreSQL can hold as it is', () => {
    expect(statementName('ledger_write_entries')).toBe('ledger_write_entries');
    expect(statementName('x'.repeat(MAX_STATEMENT_NAME))).toBe('x'.repeat(MAX_STATEMENT_NAME));
  });

  it('gives every name at most 63 bytes, the same name each time, and distinct names distinct ones (a cut would merge them)', () => {
    const long = 'ledger_write_entries_with_ids+audit_insert_many+idempotency_answer';
    expect(Buffer.byteLength(statementName(long))).toBeLessThanOrEqual(MAX_STATEMENT_NAME);
    expect(statementName(long)).not.toBe(statementName(`${long}_2`));
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 200, unit: 'binary' }), fc.string({ minLength: 1, maxLength: 200, unit: 'binary' }), (a, b) => {
        const [na, nb] = [statementName(a), statementName(b)];
        expect(Buffer.byteLength(na)).toBeLessThanOrEqual(MAX_STATEMENT_NAME);
        expect(statementName(a)).toBe(na);
        if (a !== b) expect(na).not.toBe(nb);
      }),
    );
  });
});
