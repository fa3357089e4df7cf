import ExcelJS from 'exceljs';
import iconv from 'iconv-lite';
import { parseCsv } from './csv';
import { TableReadError } from './imports.errors';

export interface TableRow {
  /** 1-based row number as the user sees it in Excel (the header is usually row 1). */
  rowNumber: number;
  /** Trimmed cell text by header; every header is present, '' when the cell is empty. */
  cells: Record<string, string>;
}

/** What the row parsers need; `headerRowNumber` defaults to 1 when a caller builds a table by hand. */
export interface TableInput {
  headers: string[];
  rows: TableRow[];
  headerRowNumber?: number;
}

export type TableFormat = 'xlsx' | 'csv-utf-8' | 'csv-gb18030';

export interface Table extends TableInput {
  headerRowNumber: number;
  format: TableFormat;
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
/** OLE2 compound file: legacy .xls (BIFF), which exceljs cannot read. */
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]);

interface RawRow {
  rowNumber: number;
  values: string[];
}

/**
 * Reads an uploaded table: an .xlsx workbook (recognised by its ZIP signature, whatever the file is
 * called; first worksheet) or a CSV file in UTF-8 (with or without BOM) or, failing strict UTF-8,
 * GB18030 (Excel's "CSV" on Chinese Windows). The first non-empty row is the header. Headers and
 * cells are trimmed (String.prototype.trim also removes U+3000 and U+00A0); empty rows are skipped.
 * Pure: no I/O besides the buffer.
 *
 * @throws TableReadError when the file is empty, not a table, has no header row, repeats a header,
 *   or has data in a column without a header.
 */
export async function readTable(buffer: Buffer, fileName: string): Promise<Table> {
  if (buffer.length === 0) {
    throw new TableReadError('IMPORT_EMPTY_FILE', `文件为空：${fileName} / the file is empty: ${fileName}`, { fileName });
  }
  if (startsWith(buffer, ZIP_MAGIC)) return buildTable(await readWorkbook(buffer, fileName), 'xlsx', fileName);
  if (startsWith(buffer, OLE_MAGIC)) {
    throw new TableReadError(
      'IMPORT_UNSUPPORTED_FORMAT',
      `不支持旧版Excel（.xls）文件：${fileName}，请另存为.xlsx或CSV / legacy Excel 97-2003 (.xls) files are not supported: ${fileName}; save it as .xlsx or CSV`,
      { fileName },
    );
  }
  const { text, encoding } = decodeText(buffer, fileName);
  if (text.trim() === '') {
    throw new TableReadError('IMPORT_EMPTY_FILE', `文件为空：${fileName} / the file is empty: ${fileName}`, { fileName });
  }
  const rows = parseCsv(text).map((values, index) => ({ rowNumber: index + 1, values }));
  return buildTable(rows, encoding === 'utf-8' ? 'csv-utf-8' : 'csv-gb18030', fileName);
}

function startsWith(buffer: Buffer, magic: Buffer): boolean {
  return buffer.length >= magic.length && buffer.subarray(0, magic.length).equals(magic);
}

/** Strict UTF-8 first (a GBK/GB18030 Chinese text is practically never valid UTF-8), then GB18030. */
function decodeText(buffer: Buffer, fileName: string): { text: string; encoding: 'utf-8' | 'gb18030' } {
  if ((buffer[0] === 0xff && buffer[1] === 0xfe) || (buffer[0] === 0xfe && buffer[1] === 0xff)) {
    throw new TableReadError(
      'IMPORT_UNSUPPORTED_FORMAT',
      `不支持UTF-16文本文件：${fileName}，请另存为“CSV UTF-8”或.xlsx / UTF-16 text files are not supported: ${fileName}; save it as "CSV UTF-8" or .xlsx`,
      { fileName },
    );
  }
  let decoded: { text: string; encoding: 'utf-8' | 'gb18030' };
  try {
    // The decoder drops a leading byte-order mark (ignoreBOM defaults to false).
    decoded = { text: new TextDecoder('utf-8', { fatal: true }).decode(buffer), encoding: 'utf-8' };
  } catch (error: unknown) {
    if ((error as { code?: unknown } | null)?.code !== 'ERR_ENCODING_INVALID_ENCODED_DATA') throw error; // the fatal decoder's "not UTF-8"
    decoded = { text: iconv.decode(buffer, 'gb18030'), encoding: 'gb18030' };
  }
  if (decoded.text.includes('\u0000')) {
    throw new TableReadError('IMPORT_UNSUPPORTED_FORMAT', `不是CSV或Excel文件：${fileName} / not a CSV or Excel file: ${fileName}`, { fileName });
  }
  return decoded;
}

async function readWorkbook(buffer: Buffer, fileName: string): Promise<RawRow[]> {
  const workbook = new ExcelJS.Workbook();
  try {
    // exceljs types its input as an ArrayBuffer; JSZip reads either. The copy is exactly the file's bytes.
    await workbook.xlsx.load(new Uint8Array(buffer).buffer);
  } catch (error: unknown) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TableReadError('IMPORT_UNREADABLE_WORKBOOK', `无法读取Excel文件：${fileName} / cannot read the Excel workbook ${fileName}: ${reason}`, { fileName });
  }
  const sheet = workbook.worksheets[0];
  if (sheet === undefined) {
    throw new TableReadError('IMPORT_NO_HEADER', `Excel文件没有工作表：${fileName} / the workbook has no worksheet: ${fileName}`, { fileName });
  }
  const rows: RawRow[] = [];
  sheet.eachRow({ includeEmpty: false }, (row, rowNumber) => {
    const values: string[] = [];
    for (let column = 1; column <= row.cellCount; column++) values.push(cellText(row.getCell(column).value));
    rows.push({ rowNumber, values });
  });
  return rows;
}

/**
 * A cell's value as the text the user sees: dates as YYYY-MM-DD (exceljs gives them as UTC Dates),
 * numbers to Excel's 15 significant digits (so 29.800 reads "29.8" and a stored 30.000000000000004
 * reads "30"), rich text joined, formulas by their cached result, errors as `#N/A` etc.
 */
export function cellText(value: ExcelJS.CellValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(Number(value.toPrecision(15)));
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString().slice(0, 10);
  if ('richText' in value) return value.richText.map((run) => run.text).join('');
  if ('error' in value) return String(value.error);
  // exceljs may put rich text in a hyperlink's text at runtime, whatever its typings say.
  if ('hyperlink' in value) return cellText(value.text);
  if ('formula' in value || 'sharedFormula' in value) return cellText(value.result);
  return '';
}

function buildTable(rawRows: RawRow[], format: TableFormat, fileName: string): Table {
  const rows = rawRows.map((row) => ({ rowNumber: row.rowNumber, values: row.values.map((v) => v.trim()) }));
  const nonEmpty = rows.filter((row) => row.values.some((v) => v !== ''));
  const headerRow = nonEmpty[0];
  if (headerRow === undefined) {
    throw new TableReadError('IMPORT_NO_HEADER', `文件没有表头行：${fileName} / the file has no header row: ${fileName}`, { fileName });
  }
  const headerValues = headerRow.values;
  const firstColumnOf = new Map<string, number>();
  for (let index = 0; index < headerValues.length; index++) {
    const header = headerValues[index];
    if (header === '') continue;
    const first = firstColumnOf.get(header);
    if (first !== undefined) {
      throw new TableReadError(
        'IMPORT_DUPLICATE_HEADER',
        `表头“${header}”重复（第${columnLetter(first)}列和第${columnLetter(index)}列） / header "${header}" appears twice (columns ${columnLetter(first)} and ${columnLetter(index)})`,
        { fileName, header, columns: [columnLetter(first), columnLetter(index)] },
      );
    }
    firstColumnOf.set(header, index);
  }
  const headers = headerValues.filter((h) => h !== '');
  const dataRows: TableRow[] = [];
  for (const row of nonEmpty.slice(1)) {
    row.values.forEach((value, index) => {
      if (value !== '' && (headerValues[index] ?? '') === '') {
        const column = columnLetter(index);
        throw new TableReadError(
          'IMPORT_UNNAMED_COLUMN',
          `第${row.rowNumber}行${column}列有数据但该列没有表头（表头在第${headerRow.rowNumber}行） / row ${row.rowNumber} has data in column ${column}, which has no header (the header is row ${headerRow.rowNumber})`,
          { fileName, row: row.rowNumber, column },
        );
      }
    });
    const entries: Array<[string, string]> = [];
    headerValues.forEach((header, index) => {
      if (header !== '') entries.push([header, row.values[index] ?? '']);
    });
    // fromEntries defines own properties, so a header such as "__proto__" stays an ordinary key.
    const cells: Record<string, string> = Object.fromEntries(entries);
    dataRows.push({ rowNumber: row.rowNumber, cells });
  }
  return { headers, rows: dataRows, headerRowNumber: headerRow.rowNumber, format };
}

/** Excel's column name for a 0-based index: 0 → A, 25 → Z, 26 → AA. */
export function columnLetter(index: number): string {
  let n = index + 1;
  let letters = '';
  while (n > 0) {
    const r = (n - 1) % 26;
    letters = String.fromCharCode(65 + r) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return letters;
}
