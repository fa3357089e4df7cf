import {
  csvBuffer,
  fixtureRecords,
  generateRosterRecords,
  Records,
  residentId,
  ROSTER_FIXTURE,
  sharedFixture,
  withCell,
  withoutColumn,
  xlsxBuffer,
} from '../../../../test/fixtures/tables';
import { ImportRowError } from '../imports/imports.errors';
import { readTable } from '../imports/table-reader';
import { normalisePhone, parseRoster, RosterHousehold, RosterImportResult } from './roster-import';

const TODAY = '2025-06-30';
const RECORDS = fixtureRecords(ROSTER_FIXTURE);
/** Row index in RECORDS of spreadsheet row `row` (header = row 1). */
const at = (row: number) => row - 1;

async function parse(records: Records): Promise<RosterImportResult> {
  return parseRoster(await readTable(csvBuffer(records), 'roster.csv'), { today: TODAY });
}

function householdsOf(result: RosterImportResult): RosterHousehold[] {
  if (!result.ok) throw new Error(`expected ok, got errors:\n${result.errors.map((e) => `${e.row} ${e.column}: ${e.message}`).join('\n')}`);
  return result.households;
}

function errorsOf(result: RosterImportResult): ImportRowError[] {
  if (result.ok) throw new Error('expected errors, got ok');
  expect(result).not.toHaveProperty('households');
  return result.errors;
}

describe('parseRoster on the shared fixture', () => {
  let households: RosterHousehold[];
  beforeAll(async () => {
    households = householdsOf(parseRoster(await readTable(sharedFixture(ROSTER_FIXTURE), ROSTER_FIXTURE), { today: TODAY }));
  });

  it('imports 104 members in 40 households, in file order', () => {
    expect(households).toHaveLength(40);
    expect(households.reduce((n, h) => n + h.members.length, 0)).toBe(104);
    expect(households[0].householdNo).toBe('DXG-001');
    expect(households[39].householdNo).toBe('DXG-040');
    expect(households.map((h) => h.members.length)).toEqual([
      2, 2, 4, 3, 3, 4, 1, 3, 2, 1, 4, 1, 3, 1, 3, 4, 1, 1, 4, 1, 4, 3, 3, 3, 3, 1, 1, 4, 3, 2, 1, 3, 4, 2, 3, 3, 4, 3, 4, 2,
    ]);
  });

  it('reads each member with birth date and sex from the ID number', () => {
    expect(households[2]).toEqual({
      householdNo: 'DXG-003',
      headName: '李春花',
      members: [
        { row: 6, name: '李春花', idNumber: '140522194109210058', relation: '户主', phone: '13863212823', birthDate: '1941-09-21', sex: 'M' },
        { row: 7, name: '李永胜', idNumber: '140522199409020064', relation: '子', phone: '13150273919', birthDate: '1994-09-02', sex: 'F' },
        { row: 8, name: '李玉兰', idNumber: '140522196404230077', relation: '子', phone: '13874448776', birthDate: '1964-04-23', sex: 'M' },
        { row: 9, name: '李丽娟', idNumber: '140522195306170088', relation: '女', phone: '13298336386', birthDate: '1953-06-17', sex: 'F' },
      ],
    });
  });

  it('keeps households apart that share a head’s name (卫桂芳 heads DXG-008, DXG-019 and DXG-030)', () => {
    expect(households.filter((h) => h.headName === '卫桂芳').map((h) => h.householdNo)).toEqual(['DXG-008', 'DXG-019', 'DXG-030']);
  });

  it('gives the same households for GB18030, LF, trailing empty rows, stray header spaces and an .xlsx', async () => {
    const variants: Array<[string, Buffer, string]> = [
      ['GB18030', csvBuffer(RECORDS, { encoding: 'gb18030' }), 'r.csv'],
      ['LF', csvBuffer(RECORDS, { eol: '\n', bom: false }), 'r.csv'],
      ['trailing empty rows', csvBuffer([...RECORDS, ['', '', '', '', '', ''], ['']]), 'r.csv'],
      ['header spaces', csvBuffer([RECORDS[0].map((h) => ` ${h}\u3000`), ...RECORDS.slice(1)]), 'r.csv'],
      ['xlsx, phone numbers as numbers', await xlsxBuffer(RECORDS), 'r.xlsx'],
    ];
    for (const [name, buffer, fileName] of variants) {
      const result = parseRoster(await readTable(buffer, fileName), { today: TODAY });
      expect({ name, households: householdsOf(result) }).toEqual({ name, households });
    }
  });
});

describe('parseRoster: rules', () => {
  it('a bad row in the middle fails the import with exactly that row’s errors', async () => {
    let records = withCell(RECORDS, at(50), '身份证号', '140522199105020496');
    records = withCell(records, at(50), '联系电话', '2321791270');
    expect(errorsOf(await parse(records))).toEqual([
      { row: 50, column: '身份证号', message: '证件号码无效（1405**********0496） / invalid ID number 1405**********0496: check character should be 5, got 6' },
      { row: 50, column: '联系电话', message: '联系电话“2321791270”不是11位手机号码 / phone "2321791270" is not an 11-digit mainland mobile number starting with 1' },
    ]);
  });

  it('reports a repeated ID number on each later row, naming the first', async () => {
    const id = RECORDS[at(2)][3];
    const records = withCell(withCell(RECORDS, at(30), '身份证号', id), at(90), '身份证号', id.slice(0, 17) + id[17].toLowerCase());
    expect(errorsOf(await parse(records))).toEqual([
      { row: 30, column: '身份证号', message: '身份证号与第2行重复 / ID number duplicates row 2' },
      { row: 90, column: '身份证号', message: '身份证号与第2行重复 / ID number duplicates row 2' },
    ]);
  });

  it('refuses an organisation code: roster members are people', async () => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(3), '身份证号', '91350100M000100Y43')));
    expect(errors.map((e) => [e.row, e.column])).toEqual([[3, '身份证号']]);
  });

  it('requires a 户主 row in each household', async () => {
    const records = withCell(RECORDS, at(20), '与户主关系', '本人的父亲');
    expect(errorsOf(await parse(records))).toEqual([
      { row: 20, column: '与户主关系', message: '户号DXG-007没有与户主关系为“户主”的行 / household DXG-007 has no row whose relation is 户主 (head)' },
    ]);
  });

  it('accepts 本人 as the head’s relation', async () => {
    const households = householdsOf(await parse(withCell(RECORDS, at(20), '与户主关系', '本人')));
    expect(households[6].members[0].relation).toBe('本人');
  });

  it('refuses a second 户主 row', async () => {
    const records = withCell(RECORDS, at(7), '与户主关系', '户主');
    const errors = errorsOf(await parse(records));
    expect(errors).toContainEqual({
      row: 7,
      column: '与户主关系',
      message: '户号DXG-003有多个户主（第6行已是户主） / household DXG-003 has more than one head (row 6 is already the head)',
    });
  });

  it('requires the 户主 row’s name to be the head’s name', async () => {
    const records = withCell(RECORDS, at(6), '成员姓名', '李春华');
    expect(errorsOf(await parse(records))).toEqual([
      { row: 6, column: '成员姓名', message: '户主行的成员姓名“李春华”与户主姓名“李春花”不一致 / the head\'s member name "李春华" differs from the head name "李春花"' },
    ]);
  });

  it('requires one 户主姓名 within a household', async () => {
    const records = withCell(RECORDS, at(8), '户主姓名', '李春华');
    expect(errorsOf(await parse(records))).toEqual([
      { row: 8, column: '户主姓名', message: '户号DXG-003的户主姓名“李春华”与第6行的“李春花”不一致 / household DXG-003: head name "李春华" differs from "李春花" on row 6' },
    ]);
  });

  it('groups a household whose rows are not together', async () => {
    const moved = RECORDS[at(7)];
    const records = [...RECORDS.filter((_, i) => i !== at(7)), moved];
    const households = householdsOf(await parse(records));
    expect(households[2].members.map((m) => [m.name, m.row])).toEqual([
      ['李春花', 6],
      ['李玉兰', 7],
      ['李丽娟', 8],
      ['李永胜', 105],
    ]);
  });

  it.each(['1386989355', '138698935501', '23869893550', '12869893550', '138-6989-355a', '电话'])('refuses phone %j', async (phone) => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '联系电话', phone)));
    expect(errors.map((e) => [e.row, e.column])).toEqual([[2, '联系电话']]);
  });

  it.each([
    ['138 6989 3550', '13869893550'],
    ['138-6989-3550', '13869893550'],
    ['+86 138 6989 3550', '13869893550'],
    ['８６１３８６９８９３５５０', '13869893550'],
  ])('normalises phone %j', async (text, phone) => {
    expect(normalisePhone(text)).toBe(phone);
    const households = householdsOf(await parse(withCell(RECORDS, at(2), '联系电话', text)));
    expect(households[0].members[0].phone).toBe(phone);
  });

  it('takes an empty phone, or no phone column, as no phone', async () => {
    const households = householdsOf(await parse(withCell(RECORDS, at(2), '联系电话', '')));
    expect(households[0].members[0]).not.toHaveProperty('phone');
    const without = householdsOf(await parse(withoutColumn(RECORDS, '联系电话')));
    expect(without.every((h) => h.members.every((m) => m.phone === undefined))).toBe(true);
  });

  it('requires names, household numbers and relations', async () => {
    let records = withCell(RECORDS, at(11), '成员姓名', '');
    records = withCell(records, at(12), '户号', '');
    records = withCell(records, at(13), '与户主关系', ' ');
    const errors = errorsOf(await parse(records));
    expect(errors).toEqual([
      { row: 11, column: '成员姓名', message: '成员姓名不能为空 / member name is required' },
      { row: 12, column: '户号', message: '户号不能为空 / household number is required' },
      { row: 13, column: '与户主关系', message: '与户主关系不能为空 / relation to head is required' },
    ]);
  });

  it('reports all missing required columns in one error on the header row', async () => {
    const records = withoutColumn(withoutColumn(RECORDS, '户主姓名'), '与户主关系');
    expect(errorsOf(await parse(records))).toEqual([
      {
        row: 1,
        column: '户主姓名、与户主关系',
        message: '缺少必需的列：户主姓名、与户主关系 / missing required columns: 户主姓名 (head of household), 与户主关系 (relation to head)',
      },
    ]);
  });

  it('accepts header variants', async () => {
    const names: Record<string, string> = { 成员姓名: '姓名', 身份证号: '公民身份号码', 联系电话: '手机号码' };
    const records = [RECORDS[0].map((h) => names[h] ?? h), ...RECORDS.slice(1)];
    expect(householdsOf(await parse(records))).toHaveLength(40);
  });

  it('a table without data rows is an error', async () => {
    expect(errorsOf(await parse([RECORDS[0]]))).toEqual([{ row: 1, column: '', message: '表中没有数据行 / the table has no data rows' }]);
  });

  it('validates every row and sorts the errors by row', async () => {
    let records = withCell(RECORDS, at(100), '身份证号', '1');
    records = withCell(records, at(3), '联系电话', '1');
    records = withCell(records, at(60), '与户主关系', '子');
    const errors = errorsOf(await parse(records));
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [3, '联系电话'],
      [60, '与户主关系'],
      [100, '身份证号'],
    ]);
  });
});

describe('parseRoster at scale', () => {
  it('imports 2,000 generated households from CSV and .xlsx alike', async () => {
    const records = generateRosterRecords(2000, { seed: 11 });
    const fromCsv = householdsOf(parseRoster(await readTable(csvBuffer(records, { encoding: 'gb18030' }), 'big.csv'), { today: TODAY }));
    const fromXlsx = householdsOf(parseRoster(await readTable(await xlsxBuffer(records), 'big.xlsx'), { today: TODAY }));
    expect(fromCsv).toHaveLength(2000);
    expect(fromXlsx).toEqual(fromCsv);
    expect(fromCsv.reduce((n, h) => n + h.members.length, 0)).toBe(records.length - 1);
  });

  it('residentId builds numbers the roster accepts', async () => {
    const records: Records = [RECORDS[0], ['T-1', '张三', '张三', residentId('1970-01-01', 1), '户主', '']];
    expect(householdsOf(await parse(records))[0].members[0]).toMatchObject({ birthDate: '1970-01-01', sex: 'M' });
  });
});
