import fc from 'fast-check';
import Decimal from 'decimal.js';
import { allocatePayment, DEFAULT_DAILY_LATE_FEE_RATE, lateFeeAsOf, lateFeeForDay, OpenItem, overdueDays } from './receivables';

describe('late fee (滞纳金)', () => {
  it('accrues from the day after the due date, across a month end', () => {
    expect(overdueDays('2025-01-31', '2025-01-31')).toBe(0);
    expect(overdueDays('2025-01-31', '2025-02-01')).toBe(1);
    expect(overdueDays('2025-01-31', '2025-02-03')).toBe(3);
    expect(overdueDays('2024-02-28', '2024-03-01')).toBe(2); // 29 February counts
    expect(overdueDays('2025-03-01', '2025-02-01')).toBe(0);
    expect(lateFeeAsOf('10000.00', DEFAULT_DAILY_LATE_FEE_RATE, '2025-01-31', '2025-02-03')).toBe('15.00');
  });

  it('rounds each day to the 分', () => {
    expect(lateFeeForDay('333.33', '0.0005', '0.00', '333.33')).toBe('0.17'); // 0.166665
    expect(lateFeeAsOf('333.33', '0.0005', '2025-06-30', '2025-07-10')).toBe('1.70');
  });

  it('stops at the cap: the day that reaches it accrues only the rest', () => {
    expect(lateFeeAsOf('100.00', '0.05', '2025-01-01', '2025-01-21')).toBe('100.00');
    expect(lateFeeAsOf('100.00', '0.05', '2025-01-01', '2025-03-01')).toBe('100.00');
    expect(lateFeeAsOf('100.00', '0.03', '2025-01-01', '2025-02-03')).toBe('99.00'); // 33 days
    expect(lateFeeAsOf('100.00', '0.03', '2025-01-01', '2025-02-04')).toBe('100.00'); // the 34th day adds 1.00, not 3.00
    expect(lateFeeAsOf('100.00', '0.03', '2025-01-01', '2025-02-04', '50.00')).toBe('50.00');
    expect(lateFeeForDay('100.00', '0.03', '99.00', '100.00')).toBe('1.00');
    expect(lateFeeForDay('100.00', '0.03', '100.00', '100.00')).toBe('0.00');
  });
});

describe('payment allocation', () => {
  const overdue: OpenItem[] = [
    { id: 'p3', periodSeq: 3, dueDate: '2025-07-01', kind: 'PRINCIPAL', outstanding: '100.00' },
    { id: 'f2', periodSeq: 2, dueDate: '2025-04-01', kind: 'LATE_FEE', outstanding: '5.00' },
    { id: 'p1', periodSeq: 1, dueDate: '2025-01-01', kind: 'PRINCIPAL', outstanding: '100.00' },
    { id: 'p2', periodSeq: 2, dueDate: '2025-04-01', kind: 'PRINCIPAL', outstanding: '100.00' },
    { id: 'f1', periodSeq: 1, dueDate: '2025-01-01', kind: 'LATE_FEE', outstanding: '10.00' },
  ];

  it('settles three overdue periods oldest first, each late fee before its principal', () => {
    expect(allocatePayment('160.00', overdue)).toEqual({
      applications: [
        { id: 'f1', amount: '10.00' },
        { id: 'p1', amount: '100.00' },
        { id: 'f2', amount: '5.00' },
        { id: 'p2', amount: '45.00' },
      ],
      credit: '0.00',
    });
  });

  it('keeps an overpayment as credit', () => {
    expect(allocatePayment('400.00', overdue)).toEqual({
      applications: [
        { id: 'f1', amount: '10.00' },
        { id: 'p1', amount: '100.00' },
        { id: 'f2', amount: '5.00' },
        { id: 'p2', amount: '100.00' },
        { id: 'p3', amount: '100.00' },
      ],
      credit: '85.00',
    });
    expect(allocatePayment('12.34', [])).toEqual({ applications: [], credit: '12.34' });
  });

  it('never loses or creates a 分, and never over-settles an item (property)', () => {
    const item = fc.record({
      periodSeq: fc.integer({ min: 1, max: 40 }),
      kind: fc.constantFrom('LATE_FEE' as const, 'PRINCIPAL' as const),
      cents: fc.integer({ min: 0, max: 1_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(item, { maxLength: 30 }), fc.integer({ min: 1, max: 5_000_000 }), (raw, paidCents) => {
        const items: OpenItem[] = raw.map((r, i) => ({
          id: `i${i}`,
          periodSeq: r.periodSeq,
          dueDate: `2025-01-${String(((r.periodSeq - 1) % 28) + 1).padStart(2, '0')}`,
          kind: r.kind,
          outstanding: new Decimal(r.cents).div(100).toFixed(2),
        }));
        const paid = new Decimal(paidCents).div(100);
        const { applications, credit } = allocatePayment(paid.toFixed(2), items);
        const applied = applications.reduce((s, a) => s.plus(a.amount), new Decimal(0));
        expect(applied.plus(credit).equals(paid)).toBe(true);
        for (const a of applications) expect(new Decimal(a.amount).lte(items.find((i) => i.id === a.id)!.outstanding)).toBe(true);
        const outstanding = items.reduce((s, i) => s.plus(i.outstanding), new Decimal(0));
        expect(new Decimal(credit).equals(Decimal.max(0, paid.minus(outstanding)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
