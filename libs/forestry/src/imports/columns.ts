import { ImportRowError, rowError } from './imports.errors';
import type { TableInput, TableRow } from './table-reader';

/** One expected column of an import table. */
export interface ColumnSpec<K extends string> {
  key: K;
  /** The header as the template writes it, e.g. `面积(亩)`; error messages name missing columns by it. */
  header: string;
  /** English name for messages. */
  label: string;
  /** Other headers offices use for the same column. */
  aliases?: readonly string[];
  required: boolean;
}

/** Which header in the file holds each column; absent keys are optional columns the file lacks. */
export type ColumnMap<K extends string> = Partial<Record<K, string>>;

/**
 * Text reduced for matching headers and coded values: NFKC (full-width `（亩）` → `(亩)`, `２` → `2`,
 * U+3000 → space) and no whitespace at all, so `面积 （亩）` and `面积(亩)` are the same column.
 */
export function foldText(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, '');
}

/**
 * Finds each spec's column among the headers. Errors (all on the header row): one listing every
 * missing required column, and one per column that matches a spec already matched by another header.
 * Headers matching no spec are ignored.
 */
export function mapColumns<K extends string>(table: TableInput, specs: ReadonlyArray<ColumnSpec<K>>): { columns: ColumnMap<K>; errors: ImportRowError[] } {
  const headerRow = table.headerRowNumber ?? 1;
  const specByName = new Map<string, ColumnSpec<K>>();
  for (const spec of specs) {
    for (const name of [spec.header, ...(spec.aliases ?? [])]) specByName.set(foldText(name), spec);
  }
  const columns: ColumnMap<K> = {};
  const errors: ImportRowError[] = [];
  for (const header of table.headers) {
    const spec = specByName.get(foldText(header));
    if (spec === undefined) continue;
    const previous = columns[spec.key];
    if (previous !== undefined) {
      errors.push(rowError(headerRow, header, `列“${header}”与列“${previous}”重复`, `column "${header}" duplicates column "${previous}"`));
      continue;
    }
    columns[spec.key] = header;
  }
  const missing = specs.filter((spec) => spec.required && columns[spec.key] === undefined);
  if (missing.length > 0) {
    errors.unshift(
      rowError(
        headerRow,
        missing.map((spec) => spec.header).join('、'),
        `缺少必需的列：${missing.map((spec) => spec.header).join('、')}`,
        `missing required columns: ${missing.map((spec) => `${spec.header} (${spec.label})`).join(', ')}`,
      ),
    );
  }
  return { columns, errors };
}

/** Reads cells of one row by column key; an absent optional column reads as ''. */
export class RowReader<K extends string> {
  constructor(
    private readonly row: TableRow,
    private readonly columns: ColumnMap<K>,
    private readonly specs: ReadonlyMap<K, ColumnSpec<K>>,
    readonly errors: ImportRowError[],
  ) {}

  get rowNumber(): number {
    return this.row.rowNumber;
  }

  /** The header this column has in the file, or the template's header when the file lacks it. */
  column(key: K): string {
    return this.columns[key] ?? this.spec(key).header;
  }

  text(key: K): string {
    const header = this.columns[key];
    return header === undefined ? '' : (this.row.cells[header] ?? '').trim();
  }

  /** The trimmed text, or undefined after recording a "required" error. */
  required(key: K): string | undefined {
    const value = this.text(key);
    if (value !== '') return value;
    const spec = this.spec(key);
    this.error(key, `${spec.header}不能为空`, `${spec.label} is required`);
    return undefined;
  }

  error(key: K, zh: string, en: string): void {
    this.errors.push(rowError(this.row.rowNumber, this.column(key), zh, en));
  }

  private spec(key: K): ColumnSpec<K> {
    const spec = this.specs.get(key);
    if (spec === undefined) throw new RangeError(`no column spec for ${key}`);
    return spec;
  }
}

export function specMap<K extends string>(specs: ReadonlyArray<ColumnSpec<K>>): ReadonlyMap<K, ColumnSpec<K>> {
  return new Map(specs.map((spec) => [spec.key, spec]));
}

/** 是 → true, 否 → false (whitespace and full-width forms folded); anything else undefined. */
export function parseYesNo(text: string): boolean | undefined {
  const value = foldText(text);
  if (value === '是') return true;
  if (value === '否') return false;
  return undefined;
}
