import {
  csvBuffer,
  fixtureRecords,
  generateParcelRecords,
  PARCELS_FIXTURE,
  Records,
  residentId,
  sharedFixture,
  withCell,
  withoutColumn,
  xlsxBuffer,
} from '../../../../test/fixtures/tables';
import { readTable, TableInput } from '../imports/table-reader';
import { creditCodeCheckCharacter, organisationCodeCheckCharacter } from '../parties/identity-codes';
import { normaliseCertificateNo, parseArea, ParcelDraft, ParcelImportContext, ParcelImportResult, parseParcelTable } from './parcel-import';

const TODAY = '2025-06-30';
const CONTEXT: ParcelImportContext = { knownVillages: new Set(['大西沟村', '小东沟村']), today: TODAY };
const RECORDS = fixtureRecords(PARCELS_FIXTURE);

async function parse(records: Records, context: ParcelImportContext = CONTEXT): Promise<ParcelImportResult> {
  return parseParcelTable(await readTable(csvBuffer(records), 'parcels.csv'), context);
}

function parcelsOf(result: ParcelImportResult): ParcelDraft[] {
  if (!result.ok) throw new Error(`expected ok, got errors:\n${result.errors.map((e) => `${e.row} ${e.column}: ${e.message}`).join('\n')}`);
  return result.parcels;
}

function errorsOf(result: ParcelImportResult) {
  if (result.ok) throw new Error('expected errors, got ok');
  expect(result).not.toHaveProperty('parcels');
  return result.errors;
}

/** Row index in RECORDS of the parcel on spreadsheet row `row` (header = row 1). */
const at = (row: number) => row - 1;

/** A well-formed unified social credit code (GB 32100) for a body of 8 digits. */
function creditCode(body8: string): string {
  const first16 = `91140522${body8}`;
  const first17 = first16 + organisationCodeCheckCharacter(body8);
  return first17 + creditCodeCheckCharacter(first17);
}

describe('parseParcelTable on the shared fixture', () => {
  let parcels: ParcelDraft[];
  beforeAll(async () => {
    parcels = parcelsOf(parseParcelTable(await readTable(sharedFixture(PARCELS_FIXTURE), PARCELS_FIXTURE), CONTEXT));
  });

  it('imports all 60 parcels with no error', () => {
    expect(parcels).toHaveLength(60);
    expect(new Set(parcels.map((p) => p.certificateNo)).size).toBe(60);
    expect(parcels.every((p) => p.village === '大西沟村')).toBe(true);
  });

  it('maps every column of the first row', () => {
    expect(parcels[0]).toEqual({
      row: 2,
      certificateNo: '晋(2025)阳城县不动产权第0001001号',
      realEstateUnitNo: '140522101201JA00001W00000000',
      holderName: '李永胜',
      holderIdNumber: '140522198309110690',
      holderIdKind: 'RESIDENT_ID',
      location: '芹池镇大西沟村后沟',
      village: '大西沟村',
      forestCompartment: '10',
      subCompartment: '14',
      areaMu: '29.8000',
      forestType: '用材林',
      mainSpecies: '华山松',
      rightsStart: '2008-01-01',
      rightsEnd: '2077-12-31',
      certificateState: 'ISSUED_TO_HOUSEHOLD',
      mortgaged: false,
      seized: false,
    });
    expect(parcels[0]).not.toHaveProperty('remarks');
  });

  it('maps the certificate states, 是/否 flags and areas of 2 to 4 decimals', () => {
    const byRow = new Map(parcels.map((p) => [p.row, p]));
    expect(byRow.get(4)?.certificateState).toBe('PRINTED_NOT_SEALED');
    expect(byRow.get(5)?.certificateState).toBe('PRINTED_SEALED_NOT_ISSUED');
    expect(byRow.get(9)?.certificateState).toBe('NOT_PRINTED');
    expect(byRow.get(5)?.areaMu).toBe('1.2200');
    expect(byRow.get(6)?.areaMu).toBe('11.0425');
    expect(parcels.filter((p) => p.mortgaged).map((p) => p.row)).toEqual([13, 21, 32, 40, 47, 49, 54]);
    expect(parcels.filter((p) => p.seized).map((p) => p.row)).toEqual([24]);
    const counts = new Map<string, number>();
    for (const p of parcels) counts.set(p.certificateState, (counts.get(p.certificateState) ?? 0) + 1);
    expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(60);
    expect(counts.size).toBe(4);
  });

  it('gives the same drafts for GB18030, LF, trailing empty rows, stray header spaces and an .xlsx', async () => {
    const variants: Array<[string, Buffer, string]> = [
      ['GB18030', csvBuffer(RECORDS, { encoding: 'gb18030' }), 'p.csv'],
      ['LF, no BOM', csvBuffer(RECORDS, { eol: '\n', bom: false }), 'p.csv'],
      ['trailing empty rows', csvBuffer([...RECORDS, Array(17).fill(''), Array(17).fill(''), ['']]), 'p.csv'],
      [
        'stray spaces and full-width parentheses in headers',
        csvBuffer([RECORDS[0].map((h) => (h === '面积(亩)' ? ' 面积 （亩）\u3000' : ` ${h} `)), ...RECORDS.slice(1)]),
        'p.csv',
      ],
      ['xlsx with typed cells', await xlsxBuffer([...RECORDS, Array(17).fill('')]), 'p.xlsx'],
      ['xlsx of text cells', await xlsxBuffer(RECORDS, { typed: false }), 'p.xlsx'],
    ];
    for (const [name, buffer, fileName] of variants) {
      const result = parseParcelTable(await readTable(buffer, fileName), CONTEXT);
      expect({ name, parcels: parcelsOf(result) }).toEqual({ name, parcels });
    }
  });
});

describe('parseParcelTable: all-or-nothing with every error reported', () => {
  it('a bad row in the middle fails the import with exactly that row’s errors', async () => {
    let records = withCell(RECORDS, at(31), '面积(亩)', '0');
    records = withCell(records, at(31), '是否抵押', '有');
    records = withCell(records, at(31), '终止日期', '2007-12-31');
    const errors = errorsOf(await parse(records));
    expect(errors).toEqual([
      { row: 31, column: '面积(亩)', message: '面积必须大于0 / area must be greater than 0' },
      { row: 31, column: '终止日期', message: '终止日期2007-12-31早于起始日期2008-01-01 / end date 2007-12-31 is before start date 2008-01-01' },
      { row: 31, column: '是否抵押', message: '是否抵押应填“是”或“否”，不能是“有” / mortgaged must be 是 (yes) or 否 (no), got "有"' },
    ]);
  });

  it('collects errors of many rows, in row order', async () => {
    let records = withCell(RECORDS, at(3), '林种', '');
    records = withCell(records, at(45), '发证状态', '已发放');
    records = withCell(records, at(61), '权利人', '');
    const errors = errorsOf(await parse(records));
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [3, '林种'],
      [45, '发证状态'],
      [61, '权利人'],
    ]);
    expect(errors[0].message).toBe('林种不能为空 / forest type is required');
    expect(errors[2].message).toBe('权利人不能为空 / right holder is required');
  });

  it('a table without data rows is an error, not an empty success', async () => {
    expect(errorsOf(await parse([RECORDS[0]]))).toEqual([{ row: 1, column: '', message: '表中没有数据行 / the table has no data rows' }]);
  });
});

describe('parseParcelTable: columns', () => {
  it('reports all missing required columns in one error on the header row', async () => {
    const records = withoutColumn(withoutColumn(RECORDS, '林权证号'), '林种');
    expect(errorsOf(await parse(records))).toEqual([
      {
        row: 1,
        column: '林权证号、林种',
        message: '缺少必需的列：林权证号、林种 / missing required columns: 林权证号 (certificate number), 林种 (forest type)',
      },
    ]);
  });

  it('uses the header row’s number when the table starts lower', () => {
    const table: TableInput = { headers: ['林权证号'], rows: [], headerRowNumber: 3 };
    expect(errorsOf(parseParcelTable(table, CONTEXT))[0].row).toBe(3);
  });

  it('accepts a table without 不动产单元号, 备注 and 序号', async () => {
    const records = withoutColumn(withoutColumn(withoutColumn(RECORDS, '不动产单元号'), '备注'), '序号');
    const parcels = parcelsOf(await parse(records));
    expect(parcels).toHaveLength(60);
    expect(parcels[0]).not.toHaveProperty('realEstateUnitNo');
  });

  it('accepts header variants and ignores unknown columns', async () => {
    const renamed: Record<string, string> = { 林权证号: '不动产权证号', 证件号码: '身份证号码', 坐落: '林地坐落' };
    const headers = RECORDS[0].map((h) => (h === '面积(亩)' ? '面积（亩）' : (renamed[h] ?? h)));
    const records = [[...headers, '村民小组'], ...RECORDS.slice(1).map((r) => [...r, '一组'])];
    expect(parcelsOf(await parse(records))).toHaveLength(60);
  });

  it('refuses two columns for the same field', async () => {
    const records = RECORDS.map((r, i) => [...r, i === 0 ? '面积（亩）' : '1.00']);
    expect(errorsOf(await parse(records))).toEqual([
      { row: 1, column: '面积（亩）', message: '列“面积（亩）”与列“面积(亩)”重复 / column "面积（亩）" duplicates column "面积(亩)"' },
    ]);
  });
});

describe('parseParcelTable: certificate numbers', () => {
  it('reports each duplicate row within the file, naming the first row', async () => {
    const first = RECORDS[at(2)][1];
    let records = withCell(RECORDS, at(10), '林权证号', first);
    records = withCell(records, at(20), '林权证号', first.replace('(', '（').replace(')', '）'));
    const errors = errorsOf(await parse(records));
    expect(errors).toEqual([
      { row: 10, column: '林权证号', message: '林权证号与第2行重复 / certificate number duplicates row 2' },
      { row: 20, column: '林权证号', message: '林权证号与第2行重复 / certificate number duplicates row 2' },
    ]);
  });

  it('reports numbers already registered, compared after folding', async () => {
    const existing = new Set(['晋（2025）阳城县不动产权第0001005号', '晋(2025)阳城县不动产权第9999999号']);
    const errors = errorsOf(await parse(RECORDS, { ...CONTEXT, existingCertificateNumbers: existing }));
    expect(errors).toEqual([{ row: 6, column: '林权证号', message: '林权证号已登记 / certificate number is already registered' }]);
  });

  it('folds full-width characters and spaces', () => {
    expect(normaliseCertificateNo(' 晋（２０２５）阳城县 不动产权第0001001号 ')).toBe('晋(2025)阳城县不动产权第0001001号');
  });

  it('checks the form of the real-estate unit number and its uniqueness', async () => {
    let records = withCell(RECORDS, at(4), '不动产单元号', '140522101204JA00004W0000000');
    records = withCell(records, at(7), '不动产单元号', RECORDS[at(2)][2]);
    records = withCell(records, at(8), '不动产单元号', '');
    const errors = errorsOf(await parse(records));
    expect(errors.map((e) => [e.row, e.column])).toEqual([
      [4, '不动产单元号'],
      [7, '不动产单元号'],
    ]);
    expect(errors[0].message).toMatch(/^不动产单元号格式错误，应为28位 \/ real-estate unit number must be 28 characters/);
    expect(errors[1].message).toBe('不动产单元号与第2行重复 / real-estate unit number duplicates row 2');
  });

  it('reports a real-estate unit number registered for another parcel, naming its certificate', async () => {
    const unit = RECORDS[at(3)][2];
    const existing = new Map([[unit, '晋(2019)阳城县不动产权第0009999号']]);
    const errors = errorsOf(await parse(RECORDS, { ...CONTEXT, existingRealEstateUnits: existing }));
    expect(errors).toEqual([
      {
        row: 3,
        column: '不动产单元号',
        message: '不动产单元号已登记于晋(2019)阳城县不动产权第0009999号 / real-estate unit number is already registered for certificate 晋(2019)阳城县不动产权第0009999号',
      },
    ]);
  });
});

describe('parseParcelTable: areas', () => {
  it.each([
    ['0', '面积必须大于0 / area must be greater than 0'],
    ['0.0000', '面积必须大于0 / area must be greater than 0'],
    ['-3.5', '面积必须大于0 / area must be greater than 0'],
    ['abc', '面积“abc”不是有效的数字 / area "abc" is not a decimal number'],
    ['1e3', '面积“1e3”不是有效的数字 / area "1e3" is not a decimal number'],
    ['12.5亩', '面积“12.5亩”不是有效的数字 / area "12.5亩" is not a decimal number'],
    ['1.23456', '面积最多4位小数 / area must have at most 4 decimal places, got "1.23456"'],
    ['', '面积(亩)不能为空 / area (mu) is required'],
  ])('%j is refused', async (area, message) => {
    expect(errorsOf(await parse(withCell(RECORDS, at(12), '面积(亩)', area)))).toEqual([{ row: 12, column: '面积(亩)', message }]);
  });

  it.each([
    ['29.800', '29.8000'],
    ['1.23450', '1.2345'],
    ['７.５', '7.5000'],
    ['1,234.5', '1234.5000'],
    ['.5', '0.5000'],
    ['0.0001', '0.0001'],
    ['120', '120.0000'],
  ])('%j is read as %j', (text, expected) => {
    expect(parseArea(text)).toEqual({ ok: true, value: expected });
  });
});

describe('parseParcelTable: dates', () => {
  it.each([
    ['2008/1/1', '2008-01-01'],
    ['2008/01/01', '2008-01-01'],
    ['2008.01.01', '2008-01-01'],
    ['2008-1-1', '2008-01-01'],
    ['2008年1月1日', '2008-01-01'],
    ['20080101', '2008-01-01'],
    ['39448', '2008-01-01'], // an Excel serial day number
    ['2008-01-01 00:00:00', '2008-01-01'],
    ['２００８－０１－０１', '2008-01-01'],
  ])('start date %j is read as %j', async (text, expected) => {
    const parcels = parcelsOf(await parse(withCell(RECORDS, at(2), '起始日期', text)));
    expect(parcels[0].rightsStart).toBe(expected);
  });

  it.each(['2008-02-30', '2008/13/01', '2008-01', '01/01/2008', '2008', 'abc', '2008-01/01', '9999999'])('start date %j is invalid', async (text) => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '起始日期', text)));
    expect(errors).toEqual([
      { row: 2, column: '起始日期', message: `起始日期“${text}”无效，应为YYYY-MM-DD等日期格式 / invalid start date "${text}"; expected a date such as YYYY-MM-DD` },
    ]);
  });

  it('reads an Excel date cell whose Chinese format exceljs does not recognise (it arrives as its serial)', async () => {
    const buffer = await xlsxBuffer(RECORDS, {
      cell: (value, row, column) => (row > 0 && column === 11 ? 39448 : undefined),
    });
    const parcels = parcelsOf(parseParcelTable(await readTable(buffer, 'p.xlsx'), CONTEXT));
    expect(parcels.every((p) => p.rightsStart === '2008-01-01')).toBe(true);
  });

  it('refuses an end date before the start date but accepts the same day', async () => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(7), '终止日期', '2007/12/31')));
    expect(errors).toEqual([{ row: 7, column: '终止日期', message: '终止日期2007-12-31早于起始日期2008-01-01 / end date 2007-12-31 is before start date 2008-01-01' }]);
    expect(parcelsOf(await parse(withCell(RECORDS, at(7), '终止日期', '2008-01-01')))).toHaveLength(60);
  });

  it('reports an invalid end date without also comparing it', async () => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(7), '终止日期', '2077-13-31')));
    expect(errors.map((e) => e.column)).toEqual(['终止日期']);
  });
});

describe('parseParcelTable: states and flags', () => {
  it('refuses an unknown certificate state, listing the allowed ones', async () => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '发证状态', '已发证')));
    expect(errors).toEqual([
      {
        row: 2,
        column: '发证状态',
        message:
          '发证状态“已发证”无效，应为：发放到户、已打印盖章未发放、已打印未盖章、未打印未盖章 / unknown certificate state "已发证"; expected one of 发放到户, 已打印盖章未发放, 已打印未盖章, 未打印未盖章',
      },
    ]);
  });

  it('accepts a state and flags with stray spaces', async () => {
    let records = withCell(RECORDS, at(2), '发证状态', ' 发放 到户 ');
    records = withCell(records, at(2), '是否抵押', '\u3000是 ');
    const parcels = parcelsOf(await parse(records));
    expect(parcels[0]).toMatchObject({ certificateState: 'ISSUED_TO_HOUSEHOLD', mortgaged: true });
  });

  it.each(['Y', '无', '有', 'TRUE', '0'])('是否查封 %j is refused', async (value) => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '是否查封', value)));
    expect(errors).toEqual([{ row: 2, column: '是否查封', message: `是否查封应填“是”或“否”，不能是“${value}” / seized must be 是 (yes) or 否 (no), got "${value}"` }]);
  });

  it('requires the flags', async () => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '是否抵押', '')));
    expect(errors).toEqual([{ row: 2, column: '是否抵押', message: '是否抵押不能为空 / mortgaged is required' }]);
  });
});

describe('parseParcelTable: holders', () => {
  it('refuses an invalid resident ID number and never shows it whole', async () => {
    const id = '140522198309110691';
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '证件号码', id)));
    expect(errors).toEqual([
      {
        row: 2,
        column: '证件号码',
        message: '证件号码无效（1405**********0691） / invalid ID number 1405**********0691: check character should be 0, got 1',
      },
    ]);
    expect(errors[0].message).not.toContain(id);
  });

  it('normalises the ID number (lower-case x, full-width digits, spaces around)', async () => {
    let records = withCell(RECORDS, at(4), '证件号码', ' 14052219430506043x ');
    records = withCell(records, at(5), '证件号码', '１４０５２２１９７４１０２８０３９０');
    const parcels = parcelsOf(await parse(records));
    expect(parcels[2].holderIdNumber).toBe('14052219430506043X');
    expect(parcels[3].holderIdNumber).toBe('140522197410280390');
  });

  it('accepts an organisation holder with a unified social credit code', async () => {
    const code = creditCode('12345678');
    let records = withCell(RECORDS, at(2), '证件号码', code.toLowerCase());
    records = withCell(records, at(2), '权利人', '阳城县大西沟村股份经济合作社');
    const parcels = parcelsOf(await parse(records));
    expect(parcels[0]).toMatchObject({ holderName: '阳城县大西沟村股份经济合作社', holderIdNumber: code, holderIdKind: 'CREDIT_CODE' });
  });

  it('explains a malformed credit code', async () => {
    const code = creditCode('12345678');
    const broken = code.slice(0, 17) + (code[17] === 'A' ? 'B' : 'A');
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '证件号码', broken)));
    expect(errors[0].message).toMatch(/^证件号码无效（.+） \/ invalid ID number .+: check character should be/);
  });

  it('explains an ID number Excel has turned into a number', async () => {
    for (const text of ['1.40522E+17', '140522198309110000']) {
      const errors = errorsOf(await parse(withCell(RECORDS, at(2), '证件号码', text)));
      expect(errors[0].message).toMatch(/Excel stored the ID number as a number/);
    }
  });

  it('refuses a too-short ID number', async () => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '证件号码', '1405221983')));
    expect(errors[0].message).toBe(
      '证件号码无效（1405**1983） / invalid ID number 1405**1983: expected an 18-character resident ID number or unified social credit code, got 10 characters',
    );
  });

  it('refuses a birth date after today', async () => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '证件号码', residentId('2025-07-01', 1))));
    expect(errors[0].message).toMatch(/in the future/);
  });
});

describe('parseParcelTable: villages', () => {
  it('refuses a location naming no known village', async () => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(9), '坐落', '芹池镇小西沟村后沟')));
    expect(errors).toEqual([
      { row: 9, column: '坐落', message: '坐落“芹池镇小西沟村后沟”中没有已知的村 / unknown village: no known village is named in location "芹池镇小西沟村后沟"' },
    ]);
  });

  it('refuses every row when no village is known', async () => {
    const errors = errorsOf(await parse(RECORDS, { knownVillages: new Set(), today: TODAY }));
    expect(errors).toHaveLength(60);
    expect(new Set(errors.map((e) => e.column))).toEqual(new Set(['坐落']));
  });

  it('prefers the longest known name the location contains', async () => {
    const parcels = parcelsOf(await parse(RECORDS, { knownVillages: new Set(['西沟村', '大西沟村', '后沟']), today: TODAY }));
    expect(new Set(parcels.map((p) => p.village))).toEqual(new Set(['大西沟村']));
  });

  it('refuses a location naming two villages', async () => {
    const errors = errorsOf(await parse(withCell(RECORDS, at(2), '坐落', '芹池镇大西沟村与小东沟村交界')));
    expect(errors[0]).toEqual({
      row: 2,
      column: '坐落',
      message: '坐落“芹池镇大西沟村与小东沟村交界”对应多个村：大西沟村、小东沟村 / ambiguous village: location "芹池镇大西沟村与小东沟村交界" names 大西沟村, 小东沟村',
    });
  });

  it('returns the village as the context names it', async () => {
    const parcels = parcelsOf(await parse(RECORDS, { knownVillages: new Set([' 大西沟村 ']), today: TODAY }));
    expect(parcels[0].village).toBe(' 大西沟村 ');
  });
});

describe('parseParcelTable: remarks', () => {
  it('keeps non-empty remarks', async () => {
    const parcels = parcelsOf(await parse(withCell(RECORDS, at(2), '备注', '林下种植，"中药材"')));
    expect(parcels[0].remarks).toBe('林下种植，"中药材"');
  });
});

describe('parseParcelTable at scale', () => {
  it('imports 3,000 generated parcels from CSV and .xlsx alike', async () => {
    const records = generateParcelRecords(3000, { seed: 7 });
    const fromCsv = parcelsOf(parseParcelTable(await readTable(csvBuffer(records, { encoding: 'gb18030' }), 'big.csv'), CONTEXT));
    const fromXlsx = parcelsOf(parseParcelTable(await readTable(await xlsxBuffer(records), 'big.xlsx'), CONTEXT));
    expect(fromCsv).toHaveLength(3000);
    expect(fromXlsx).toEqual(fromCsv);
  });
});
