import { TableReadError } from './imports.errors';

/**
 * RFC 4180 CSV over decoded text: comma-separated fields; records end with CRLF, LF or a lone CR;
 * a field that starts with `"` is quoted and may hold commas, line breaks and doubled quotes (`""`).
 * Lenient where Excel is: text after a closing quote, or a quote inside an unquoted field, is kept
 * literally. A final line break does not start another record. Fields are returned untrimmed.
 * Record i (0-based) is row i + 1 in Excel, however many line breaks its quoted fields hold.
 *
 * @throws TableReadError IMPORT_MALFORMED_CSV when a quoted field is never closed.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let atFieldStart = true;
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text[i];
    if (atFieldStart && c === '"') {
      const close = readQuoted(text, i + 1);
      if (close === undefined) {
        const row = records.length + 1;
        throw new TableReadError('IMPORT_MALFORMED_CSV', `CSV第${row}行有未闭合的引号 / CSV row ${row} has a quoted field that is never closed`, { row });
      }
      field += close.value;
      i = close.next;
      atFieldStart = false;
      continue;
    }
    atFieldStart = false;
    if (c === ',') {
      record.push(field);
      field = '';
      atFieldStart = true;
      i++;
    } else if (c === '\r' || c === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      atFieldStart = true;
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
    } else {
      // Copy the run of ordinary characters in one slice.
      let j = i + 1;
      while (j < n && text[j] !== ',' && text[j] !== '\r' && text[j] !== '\n') j++;
      field += text.slice(i, j);
      i = j;
    }
  }
  if (!atFieldStart || record.length > 0) {
    record.push(field);
    records.push(record);
  }
  return records;
}

/** Reads a quoted field's content from just after its opening quote; undefined if never closed. */
function readQuoted(text: string, from: number): { value: string; next: number } | undefined {
  let value = '';
  let i = from;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return undefined;
    value += text.slice(i, q);
    if (text[q + 1] === '"') {
      value += '"';
      i = q + 2;
    } else {
      return { value, next: q + 1 };
    }
  }
}

/**
 * Writes records as RFC 4180 CSV, quoting only fields that need it, every record ended by `eol`
 * (so a record holding one empty field survives). Inverse of `parseCsv` for records of at least one field.
 */
export function serialiseCsv(records: ReadonlyArray<ReadonlyArray<string>>, eol: '\r\n' | '\n' = '\r\n'): string {
  let out = '';
  for (const record of records) out += record.map(quoteIfNeeded).join(',') + eol;
  return out;
}

function quoteIfNeeded(field: string): string {
  return /[",\r\n]/.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}
