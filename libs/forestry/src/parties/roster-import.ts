import { checkPartyId } from '../imports/cell-values';
import { foldText, ColumnSpec, mapColumns, RowReader, specMap } from '../imports/columns';
import { ImportRowError, rowError } from '../imports/imports.errors';
import type { TableInput } from '../imports/table-reader';

/** One person on a collective's member roster. */
export interface RosterMember {
  /** The row it came from, for reporting later failures against the file. */
  row: number;
  name: string;
  /** Normalised resident ID number. */
  idNumber: string;
  /** 与户主关系 as written: 户主, 配偶, 子, 女, 父, 母 … */
  relation: string;
  /** 11 digits, without spaces, hyphens or +86. */
  phone?: string;
  /** From the ID number. */
  birthDate: string;
  sex: 'M' | 'F';
}

export interface RosterHousehold {
  householdNo: string;
  headName: string;
  /** In file order. */
  members: RosterMember[];
}

export type RosterImportResult = { ok: true; households: RosterHousehold[] } | { ok: false; errors: ImportRowError[] };

export interface RosterImportOptions {
  /** YYYY-MM-DD for the ID numbers' birth-date check; defaults to today (UTC). */
  today?: string;
}

type RosterColumn = 'householdNo' | 'headName' | 'name' | 'idNumber' | 'relation' | 'phone';

export const ROSTER_COLUMNS: ReadonlyArray<ColumnSpec<RosterColumn>> = [
  { key: 'householdNo', header: '户号', label: 'household number', aliases: ['户编号', '户代码'], required: true },
  { key: 'headName', header: '户主姓名', label: 'head of household', aliases: ['户主'], required: true },
  { key: 'name', header: '成员姓名', label: 'member name', aliases: ['姓名', '家庭成员姓名'], required: true },
  { key: 'idNumber', header: '身份证号', label: 'ID number', aliases: ['身份证号码', '公民身份号码', '证件号码'], required: true },
  { key: 'relation', header: '与户主关系', label: 'relation to head', aliases: ['关系'], required: true },
  { key: 'phone', header: '联系电话', label: 'phone', aliases: ['电话', '手机号', '手机号码'], required: false },
];
const ROSTER_SPECS = specMap(ROSTER_COLUMNS);

/** Relations that mark the head's own row. */
const HEAD_RELATIONS = new Set(['户主', '本人']);

/** Whether a villager's 与户主关系 (party metadata `relation`) makes them the household's head (户主). */
export const isHouseholdHead = (relation: unknown): boolean => typeof relation === 'string' && HEAD_RELATIONS.has(foldText(relation));
/** A mainland mobile number (11 digits from 13…19), the only kind an SMS reaches. */
export const MOBILE = /^1[3-9]\d{9}$/;

interface HouseholdRow {
  row: number;
  headName?: string;
  name?: string;
  /** undefined when the relation is missing (already an error): the row might be the head's. */
  isHead: boolean | undefined;
  member?: RosterMember;
}

/**
 * Validates a member roster (one row per person, grouped by 户号) and groups it into households.
 * Every row is checked and every error reported, in row order; any error and no household is returned.
 */
export function parseRoster(table: TableInput, options: RosterImportOptions = {}): RosterImportResult {
  const { columns, errors: headerErrors } = mapColumns(table, ROSTER_COLUMNS);
  if (headerErrors.length > 0) return { ok: false, errors: headerErrors };
  if (table.rows.length === 0) {
    return { ok: false, errors: [rowError(table.headerRowNumber ?? 1, '', '表中没有数据行', 'the table has no data rows')] };
  }
  const errors: ImportRowError[] = [];
  const firstRowOfId = new Map<string, number>();
  const households = new Map<string, HouseholdRow[]>();
  const column = (key: RosterColumn): string => columns[key] ?? ROSTER_SPECS.get(key)?.header ?? key;

  for (const row of table.rows) {
    const before = errors.length;
    const r = new RowReader(row, columns, ROSTER_SPECS, errors);
    const householdText = r.required('householdNo');
    const headName = r.required('headName');
    const name = r.required('name');

    const idText = r.required('idNumber');
    let id: { idNumber: string; birthDate: string; sex: 'M' | 'F' } | undefined;
    if (idText !== undefined) {
      const check = checkPartyId(idText, { allowCreditCode: false, today: options.today });
      if (!check.ok) {
        r.error('idNumber', check.zh, check.en);
      } else if (check.kind === 'RESIDENT_ID') {
        const first = firstRowOfId.get(check.idNumber);
        if (first !== undefined) r.error('idNumber', `身份证号与第${first}行重复`, `ID number duplicates row ${first}`);
        else firstRowOfId.set(check.idNumber, r.rowNumber);
        id = check;
      }
    }

    const relation = r.required('relation');
    const phoneText = r.text('phone');
    let phone: string | undefined;
    if (phoneText !== '') {
      phone = normalisePhone(phoneText);
      if (!MOBILE.test(phone)) {
        r.error('phone', `联系电话“${phoneText}”不是11位手机号码`, `phone "${phoneText}" is not an 11-digit mainland mobile number starting with 1`);
      }
    }

    if (householdText === undefined) continue;
    const householdNo = foldText(householdText);
    const member =
      errors.length === before && name !== undefined && id !== undefined && relation !== undefined
        ? { row: r.rowNumber, name, idNumber: id.idNumber, relation, ...(phone !== undefined ? { phone } : {}), birthDate: id.birthDate, sex: id.sex }
        : undefined;
    const isHead = relation === undefined ? undefined : isHouseholdHead(relation);
    const rows = households.get(householdNo) ?? [];
    rows.push({ row: r.rowNumber, headName, name, isHead, member });
    households.set(householdNo, rows);
  }

  const result: RosterHousehold[] = [];
  for (const [householdNo, rows] of households) {
    const named = rows.find((row) => row.headName !== undefined);
    const headName = named?.headName;
    if (named !== undefined && headName !== undefined) {
      for (const row of rows) {
        if (row.headName !== undefined && row.headName !== headName) {
          errors.push(
            rowError(
              row.row,
              column('headName'),
              `户号${householdNo}的户主姓名“${row.headName}”与第${named.row}行的“${headName}”不一致`,
              `household ${householdNo}: head name "${row.headName}" differs from "${headName}" on row ${named.row}`,
            ),
          );
        }
      }
    }
    const heads = rows.filter((row) => row.isHead === true);
    if (heads.length === 0 && rows.every((row) => row.isHead === false)) {
      errors.push(rowError(rows[0].row, column('relation'), `户号${householdNo}没有与户主关系为“户主”的行`, `household ${householdNo} has no row whose relation is 户主 (head)`));
    }
    for (const extra of heads.slice(1)) {
      errors.push(
        rowError(
          extra.row,
          column('relation'),
          `户号${householdNo}有多个户主（第${heads[0].row}行已是户主）`,
          `household ${householdNo} has more than one head (row ${heads[0].row} is already the head)`,
        ),
      );
    }
    const head = heads[0];
    if (head !== undefined && head.name !== undefined && headName !== undefined && head.name !== headName) {
      errors.push(
        rowError(
          head.row,
          column('name'),
          `户主行的成员姓名“${head.name}”与户主姓名“${headName}”不一致`,
          `the head's member name "${head.name}" differs from the head name "${headName}"`,
        ),
      );
    }
    const members = rows.flatMap((row) => (row.member === undefined ? [] : [row.member]));
    if (headName !== undefined) result.push({ householdNo, headName, members });
  }

  if (errors.length > 0) return { ok: false, errors: sortByRow(errors) };
  return { ok: true, households: result };
}

/** Folds full-width digits, drops spaces and hyphens and a +86 / 0086 / 86 country prefix. */
export function normalisePhone(text: string): string {
  const digits = text.normalize('NFKC').replace(/[\s\-()]/gu, '');
  const national = /^(?:\+86|0086|86)(1\d{10})$/.exec(digits);
  return national ? national[1] : digits;
}

/** Stable: errors of one row keep the order they were found in. */
function sortByRow(errors: ImportRowError[]): ImportRowError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => a.error.row - b.error.row || a.index - b.index)
    .map(({ error }) => error);
}
