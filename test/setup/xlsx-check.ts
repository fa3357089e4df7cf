import { Dec } from '@forest-ledger/ledger';
import ExcelJS from 'exceljs';

/**
 * Reads an exported workbook back and checks the xlsx-cells rule on every sheet: every number cell has a number
 * format that is not General (`0.00`, `0.0000`, `0`, `0.0000000000`), no text cell holds a decimal figure (text
 * amounts `SUM` to 0 in Excel/WPS), and in each sheet of `sums` every number column of its last 合计 row equals the
 * exact sum of the rows above it (after the header row, 小计 rows left out), as `=SUM()` would give.
 */
export async function expectNumericXlsx(buffer: Buffer | Uint8Array, sums: string[] = []): Promise<ExcelJS.Workbook> {
  const book = new ExcelJS.Workbook();
  await book.xlsx.load(new Uint8Array(buffer).buffer);
  for (const sheet of book.worksheets) {
    sheet.eachRow((row, r) =>
      row.eachCell((cell, c) => {
        const where = `${sheet.name}!R${r}C${c}`;
        if (typeof cell.value === 'number') expect({ where, numFmt: cell.numFmt ?? 'General' }).toEqual({ where, numFmt: expect.stringMatching(/^0(\.0+)?%?$/) });
        if (typeof cell.value === 'string') expect({ where, text: cell.value }).toEqual({ where, text: expect.not.stringMatching(/^-?\d+\.\d+$/) });
      }),
    );
    if (!sums.includes(sheet.name)) continue;
    const rows: ExcelJS.Row[] = [];
    sheet.eachRow((row) => rows.push(row));
    let totalIndex = -1;
    rows.forEach((row, i) => ((row.values as unknown[]).some((x) => typeof x === 'string' && x.startsWith('合计')) ? (totalIndex = i) : undefined));
    expect({ sheet: sheet.name, totalIndex }).not.toEqual({ sheet: sheet.name, totalIndex: -1 });
    const total = rows[totalIndex];
    const headerIndex = rows.findIndex((row) => (row.values as unknown[]).filter((x) => typeof x === 'string').length >= 3);
    total.eachCell((cell, c) => {
      if (typeof cell.value !== 'number') return;
      const lines = rows.slice(headerIndex + 1, totalIndex).filter((row) => !(row.values as unknown[]).some((x) => x === '小计'));
      const sum = lines.reduce((s, row) => {
        const value = row.getCell(c).value;
        return typeof value === 'number' ? s.plus(String(value)) : s;
      }, new Dec(0));
      expect({ sheet: sheet.name, column: c, sum: sum.toString() }).toEqual({ sheet: sheet.name, column: c, sum: new Dec(String(cell.value)).toString() });
    });
  }
  return book;
}
