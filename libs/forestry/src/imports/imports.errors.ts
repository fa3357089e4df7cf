import { DomainError, DomainErrorKind } from '@forest-ledger/common';
export type TableReadErrorCode =
  | 'IMPORT_EMPTY_FILE'
  | 'IMPORT_NO_HEADER'
  | 'IMPORT_DUPLICATE_HEADER'
  | 'IMPORT_UNNAMED_COLUMN'
  | 'IMPORT_MALFORMED_CSV'
  | 'IMPORT_UNSUPPORTED_FORMAT'
  | 'IMPORT_UNREADABLE_WORKBOOK';

/** Every code of a table that cannot be read, with its kind: the API declares them on the import routes (ApiErrorCodes). */
export const TABLE_READ_ERRORS: Readonly<Record<TableReadErrorCode, DomainErrorKind>> = {
  IMPORT_EMPTY_FILE: 'invalid',
  IMPORT_NO_HEADER: 'invalid',
  IMPORT_DUPLICATE_HEADER: 'invalid',
  IMPORT_UNNAMED_COLUMN: 'invalid',
  IMPORT_MALFORMED_CSV: 'invalid',
  IMPORT_UNSUPPORTED_FORMAT: 'invalid',
  IMPORT_UNREADABLE_WORKBOOK: 'invalid',
};

/** The file as a whole cannot be read as a table; nothing in it was looked at row by row. */
export class TableReadError extends DomainError {
  constructor(code: TableReadErrorCode, message: string, details?: Record<string, unknown>) {
    super(TABLE_READ_ERRORS[code], code, message, 'file', details);
  }
}

/** One problem in one cell of an imported table. `row` is the row number the user sees in Excel. */
export interface ImportRowError {
  row: number;
  /** The column's header as written in the file (or the expected header when the column is missing). */
  column: string;
  /** Chinese, then English: `面积必须大于0 / area must be greater than 0`. */
  message: string;
}

export function rowError(row: number, column: string, zh: string, en: string): ImportRowError {
  return { row, column, message: `${zh} / ${en}` };
}
