import fc from 'fast-check';
import { dueDay, SCHEDULES } from './schedules';

describe('dueDay', () => {
  it('is today (China) from the schedule time on, yesterday before it', () => {
    const at01 = { at: '01:00' };
    expect(dueDay(at01, new Date('2026-12-03T16:59:59Z'))).toBe('2026-12-03'); // 00:59:59 on 12-04 in China
    expect(dueDay(at01, new Date('2026-12-03T17:00:00Z'))).toBe('2026-12-04'); // 01:00 on 12-04
    expect(dueDay({ at: '02:30' }, new Date('2026-01-01T18:29:00Z'))).toBe('2026-01-01');
    expect(dueDay({ at: '02:30' }, new Date('2026-01-01T18:30:00Z'))).toBe('2026-01-02');
    expect(dueDay({ at: '00:00' }, new Date('2026-02-28T16:00:00Z'))).toBe('2026-03-01');
  });

  it('is never later than today in China, and never more than a day before', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }), fc.constantFrom(...SCHEDULES), (now, schedule) => {
        const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(now);
        const day = dueDay(schedule, now);
        const gapDays = (Date.parse(today) - Date.parse(day)) / 86_400_000;
        expect([0, 1]).toContain(gapDays);
      }),
    );
  });
});
