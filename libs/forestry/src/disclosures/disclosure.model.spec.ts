import { disclosurePeriod, effectiveDays, noticeName, phaseOf, samePlan } from './disclosure.model';

describe('disclosurePeriod (民法典 §201: the day of publication does not count)', () => {
  it('runs 7 days from the next day and clears the day after the last', () => {
    expect(disclosurePeriod('2026-03-02', 7)).toEqual({ startsOn: '2026-03-03', endsOn: '2026-03-09', clearsOn: '2026-03-10' });
  });

  it('crosses month and year ends and leap days', () => {
    expect(disclosurePeriod('2026-12-28', 7)).toEqual({ startsOn: '2026-12-29', endsOn: '2027-01-04', clearsOn: '2027-01-05' });
    expect(disclosurePeriod('2028-02-27', 2)).toEqual({ startsOn: '2028-02-28', endsOn: '2028-02-29', clearsOn: '2028-03-01' });
    expect(disclosurePeriod('2027-02-27', 2)).toEqual({ startsOn: '2027-02-28', endsOn: '2027-03-01', clearsOn: '2027-03-02' });
  });

  it('is one day at the least', () => {
    expect(disclosurePeriod('2026-03-02', 1)).toEqual({ startsOn: '2026-03-03', endsOn: '2026-03-03', clearsOn: '2026-03-04' });
    expect(() => disclosurePeriod('2026-03-02', 0)).toThrow(RangeError);
    expect(() => disclosurePeriod('2026-03-02', 1.5)).toThrow(RangeError);
  });
});

describe('phaseOf: PUBLISHED → objection period → cleared only with no open objection', () => {
  const round = { state: 'PUBLISHED' as const, endsOn: '2026-03-09' };

  it('is IN_PERIOD through the last day, whatever the objections', () => {
    expect(phaseOf(round, 0, '2026-03-02')).toBe('IN_PERIOD');
    expect(phaseOf(round, 0, '2026-03-09')).toBe('IN_PERIOD');
    expect(phaseOf(round, 2, '2026-03-05')).toBe('IN_PERIOD');
  });

  it('after the period: OBJECTION_OPEN while one is open, else CLEARED', () => {
    expect(phaseOf(round, 1, '2026-03-10')).toBe('OBJECTION_OPEN');
    expect(phaseOf(round, 0, '2026-03-10')).toBe('CLEARED');
    expect(phaseOf(round, 0, '2027-01-01')).toBe('CLEARED');
  });

  it('a closed round is its state', () => {
    for (const state of ['SUPERSEDED', 'WITHDRAWN', 'CONCLUDED'] as const) expect(phaseOf({ state, endsOn: '2026-03-09' }, 0, '2026-03-05')).toBe(state);
  });
});

describe('effectiveDays: the village, else its township, else its county; none is off', () => {
  it('takes the nearest setting, 0 included', () => {
    expect(effectiveDays([undefined, undefined, 7])).toBe(7);
    expect(effectiveDays([null, 5, 7])).toBe(5);
    expect(effectiveDays([0, 5, 7])).toBe(0);
    expect(effectiveDays([3, undefined, 7])).toBe(3);
    expect(effectiveDays([undefined, undefined, undefined])).toBe(0);
    expect(effectiveDays([])).toBe(0);
  });
});

describe('noticeName: 姓 + *', () => {
  it('keeps a person’s surname and stars the rest; names the farm and the collective by what they are', () => {
    expect(noticeName('VILLAGER', '张守仁')).toBe('张**');
    expect(noticeName('VILLAGER', '李明')).toBe('李*');
    expect(noticeName('VILLAGER', '王')).toBe('王*');
    expect(noticeName('HOUSEHOLD', ' 赵桂兰户 ')).toBe('赵***');
    expect(noticeName('ENTERPRISE', '甲碳汇采购有限公司')).toBe('甲********');
    expect(noticeName('STATE_FARM', '阳城县国营林场')).toBe('国有林场');
    expect(noticeName('COLLECTIVE', '大西沟村股份经济合作社')).toBe('村集体经济组织');
  });
});

describe('samePlan', () => {
  const lines = [
    { party: '1', units: '360', amount: '1800.00' },
    { party: '2', units: '5000', amount: '25000.00' },
  ];

  it('compares holders in order, units and amounts as numbers, and parameters in any key order', () => {
    expect(samePlan({ lines, params: { a: 1, b: '2' } }, { lines: [{ party: '1', units: '360.0', amount: '1800' }, lines[1]], params: { b: '2', a: 1 } })).toBe(true);
    expect(samePlan({ lines, params: {} }, { lines: [lines[1], lines[0]], params: {} })).toBe(false);
    expect(samePlan({ lines, params: {} }, { lines: [lines[0], { ...lines[1], amount: '25000.01' }], params: {} })).toBe(false);
    expect(samePlan({ lines, params: {} }, { lines: [lines[0]], params: {} })).toBe(false);
    expect(samePlan({ lines, params: { faceValue: '1.00' } }, { lines, params: { faceValue: '2.00' } })).toBe(false);
    expect(samePlan({ lines: [{ party: '1', units: '3', amount: null }], params: {} }, { lines: [{ party: '1', units: '3', amount: '0.00' }], params: {} })).toBe(false);
  });
});
