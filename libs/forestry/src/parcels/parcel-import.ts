import { Dec } from '@forest-ledger/ledger/domain';
import { checkPartyId, parseTableDate } from '../imports/cell-values';
import { foldText, ColumnSpec, mapColumns, parseYesNo, RowReader, specMap } from '../imports/columns';
import { ImportRowError, rowError } from '../imports/imports.errors';
import type { TableInput } from '../imports/table-reader';

export const CERTIFICATE_STATES = ['ISSUED_TO_HOUSEHOLD', 'PRINTED_SEALED_NOT_ISSUED', 'PRINTED_NOT_SEALED', 'NOT_PRINTED'] as const;
export type CertificateState = (typeof CERTIFICATE_STATES)[number];

/** The certificate states as the 林权证登记信息 table writes them. */
export const CERTIFICATE_STATE_LABELS: Readonly<Record<CertificateState, string>> = {
  ISSUED_TO_HOUSEHOLD: '发放到户',
  PRINTED_SEALED_NOT_ISSUED: '已打印盖章未发放',
  PRINTED_NOT_SEALED: '已打印未盖章',
  NOT_PRINTED: '未打印未盖章',
};

export type HolderIdKind = 'RESIDENT_ID' | 'CREDIT_CODE';

/** One parcel (宗地) read from a village's table, validated, not yet stored. */
export interface ParcelDraft {
  /** The row it came from, for reporting later failures (e.g. a concurrent duplicate) against the file. */
  row: number;
  /** NFKC-folded, no whitespace: `晋（2025）…` and `晋(2025)…` are one certificate. */
  certificateNo: string;
  realEstateUnitNo?: string;
  holderName: string;
  holderIdNumber: string;
  /** A person (resident ID number) or an organisation (unified social credit code). */
  holderIdKind: HolderIdKind;
  /** 坐落 */
  location: string;
  /** The known village (as given in the context) named in 坐落. */
  village: string;
  /** 林班 */
  forestCompartment: string;
  /** 小班 */
  subCompartment: string;
  /** Area in 亩, four decimals (`"29.8000"`): the same whether the file was CSV or Excel. */
  areaMu: string;
  forestType: string;
  mainSpecies: string;
  rightsStart: string;
  rightsEnd: string;
  certificateState: CertificateState;
  mortgaged: boolean;
  seized: boolean;
  remarks?: string;
}

export interface ParcelImportContext {
  /** Village names (e.g. `大西沟村`) or codes; a row's village is the one its 坐落 contains. */
  knownVillages: Set<string>;
  /** Certificate numbers already registered; compared after the same folding as the file's. */
  existingCertificateNumbers?: Set<string>;
  /** 不动产单元号 already registered (folded like the file's), with the certificate number they belong to. */
  existingRealEstateUnits?: Map<string, string>;
  /** YYYY-MM-DD for the ID numbers' birth-date check; defaults to today (UTC). */
  today?: string;
}

export type ParcelImportResult = { ok: true; parcels: ParcelDraft[] } | { ok: false; errors: ImportRowError[] };

type ParcelColumn =
  | 'serialNo'
  | 'certificateNo'
  | 'realEstateUnitNo'
  | 'holderName'
  | 'holderIdNumber'
  | 'location'
  | 'forestCompartment'
  | 'subCompartment'
  | 'areaMu'
  | 'forestType'
  | 'mainSpecies'
  | 'rightsStart'
  | 'rightsEnd'
  | 'certificateState'
  | 'mortgaged'
  | 'seized'
  | 'remarks';

/** 序号 is only the office's row count: optional and not read. */
export const PARCEL_COLUMNS: ReadonlyArray<ColumnSpec<ParcelColumn>> = [
  { key: 'serialNo', header: '序号', label: 'serial number', required: false },
  { key: 'certificateNo', header: '林权证号', label: 'certificate number', aliases: ['不动产权证号', '林权证号/不动产权证号', '证书号'], required: true },
  { key: 'realEstateUnitNo', header: '不动产单元号', label: 'real-estate unit number', aliases: ['不动产单元代码'], required: false },
  { key: 'holderName', header: '权利人', label: 'right holder', aliases: ['权利人姓名', '林权权利人'], required: true },
  { key: 'holderIdNumber', header: '证件号码', label: 'ID number', aliases: ['证件号', '身份证号', '身份证号码', '权利人证件号码'], required: true },
  { key: 'location', header: '坐落', label: 'location', aliases: ['林地坐落', '座落'], required: true },
  { key: 'forestCompartment', header: '林班', label: 'forest compartment', aliases: ['林班号'], required: true },
  { key: 'subCompartment', header: '小班', label: 'sub-compartment', aliases: ['小班号'], required: true },
  { key: 'areaMu', header: '面积(亩)', label: 'area (mu)', aliases: ['面积', '面积亩', '宗地面积(亩)'], required: true },
  { key: 'forestType', header: '林种', label: 'forest type', required: true },
  { key: 'mainSpecies', header: '主要树种', label: 'main species', aliases: ['树种'], required: true },
  { key: 'rightsStart', header: '起始日期', label: 'start date', aliases: ['林地使用期起始日期', '使用期限起'], required: true },
  { key: 'rightsEnd', header: '终止日期', label: 'end date', aliases: ['林地使用期终止日期', '使用期限止'], required: true },
  { key: 'certificateState', header: '发证状态', label: 'certificate state', aliases: ['证书状态'], required: true },
  { key: 'mortgaged', header: '是否抵押', label: 'mortgaged', required: true },
  { key: 'seized', header: '是否查封', label: 'seized', required: true },
  { key: 'remarks', header: '备注', label: 'remarks', required: false },
];
const PARCEL_SPECS = specMap(PARCEL_COLUMNS);

const MAX_AREA_DECIMALS = 4;
/** GB/T 37346 不动产单元代码: county (6) + cadastral zone and subzone (6) + parcel type (2 letters) and number (5) + fixture type (1 letter) and number (8). */
const REAL_ESTATE_UNIT_NO = /^\d{12}[A-Z]{2}\d{5}[A-Z]\d{8}$/;

/** The certificate number as compared and stored: NFKC-folded, without whitespace. */
/** 不动产单元号 as stored: NFKC, no spaces, upper case. */
export function normaliseRealEstateUnitNo(text: string): string {
  return text.normalize('NFKC').replace(/\s+/gu, '').toUpperCase();
}

export function normaliseCertificateNo(text: string): string {
  return foldText(text);
}

/**
 * Validates a village's parcel table (one row per 宗地) and maps it to drafts. Every row is checked
 * and every error reported; the result is all-or-nothing: any error and no parcel is returned.
 * Pure: the caller supplies the known villages and the certificate numbers already registered.
 */
export function parseParcelTable(table: TableInput, context: ParcelImportContext): ParcelImportResult {
  const { columns, errors: headerErrors } = mapColumns(table, PARCEL_COLUMNS);
  if (headerErrors.length > 0) return { ok: false, errors: headerErrors };
  if (table.rows.length === 0) {
    return { ok: false, errors: [rowError(table.headerRowNumber ?? 1, '', '表中没有数据行', 'the table has no data rows')] };
  }
  const villages = villageMatcher(context.knownVillages);
  const existing = new Set(Array.from(context.existingCertificateNumbers ?? [], normaliseCertificateNo));
  const firstRowOfCertificate = new Map<string, number>();
  const firstRowOfUnit = new Map<string, number>();
  const errors: ImportRowError[] = [];
  const parcels: ParcelDraft[] = [];

  for (const row of table.rows) {
    const before = errors.length;
    const r = new RowReader(row, columns, PARCEL_SPECS, errors);

    const certificateText = r.required('certificateNo');
    let certificateNo: string | undefined;
    if (certificateText !== undefined) {
      certificateNo = normaliseCertificateNo(certificateText);
      const first = firstRowOfCertificate.get(certificateNo);
      if (first !== undefined) {
        r.error('certificateNo', `林权证号与第${first}行重复`, `certificate number duplicates row ${first}`);
      } else {
        firstRowOfCertificate.set(certificateNo, r.rowNumber);
        if (existing.has(certificateNo)) r.error('certificateNo', '林权证号已登记', 'certificate number is already registered');
      }
    }

    let realEstateUnitNo: string | undefined;
    const unitText = r.text('realEstateUnitNo');
    if (unitText !== '') {
      realEstateUnitNo = normaliseRealEstateUnitNo(unitText);
      const first = firstRowOfUnit.get(realEstateUnitNo);
      if (!REAL_ESTATE_UNIT_NO.test(realEstateUnitNo)) {
        r.error('realEstateUnitNo', '不动产单元号格式错误，应为28位', `real-estate unit number must be 28 characters: 12 digits, 2 letters, 5 digits, 1 letter, 8 digits`);
      } else if (first !== undefined) {
        r.error('realEstateUnitNo', `不动产单元号与第${first}行重复`, `real-estate unit number duplicates row ${first}`);
      } else {
        firstRowOfUnit.set(realEstateUnitNo, r.rowNumber);
        const registered = context.existingRealEstateUnits?.get(realEstateUnitNo);
        // Registered for this very certificate: the certificate number's own error says it all.
        if (registered !== undefined && registered !== normaliseCertificateNo(r.text('certificateNo'))) {
          r.error('realEstateUnitNo', `不动产单元号已登记于${registered}`, `real-estate unit number is already registered for certificate ${registered}`);
        }
      }
    }

    const holderName = r.required('holderName');
    const holderIdText = r.required('holderIdNumber');
    let holder: { idNumber: string; kind: HolderIdKind } | undefined;
    if (holderIdText !== undefined) {
      const check = checkPartyId(holderIdText, { allowCreditCode: true, today: context.today });
      if (check.ok) holder = { idNumber: check.idNumber, kind: check.kind };
      else r.error('holderIdNumber', check.zh, check.en);
    }

    const location = r.required('location');
    let village: string | undefined;
    if (location !== undefined) {
      const match = villages(location);
      if (match.kind === 'one') village = match.village;
      else if (match.kind === 'none') r.error('location', `坐落“${location}”中没有已知的村`, `unknown village: no known village is named in location "${location}"`);
      else r.error('location', `坐落“${location}”对应多个村：${match.villages.join('、')}`, `ambiguous village: location "${location}" names ${match.villages.join(', ')}`);
    }

    const forestCompartment = r.required('forestCompartment');
    const subCompartment = r.required('subCompartment');

    const areaText = r.required('areaMu');
    let areaMu: string | undefined;
    if (areaText !== undefined) {
      const area = parseArea(areaText);
      if (area.ok) areaMu = area.value;
      else r.error('areaMu', area.zh, area.en);
    }

    const forestType = r.required('forestType');
    const mainSpecies = r.required('mainSpecies');

    const rightsStart = readDate(r, 'rightsStart', '起始日期', 'start date');
    const rightsEnd = readDate(r, 'rightsEnd', '终止日期', 'end date');
    if (rightsStart !== undefined && rightsEnd !== undefined && rightsEnd < rightsStart) {
      r.error('rightsEnd', `终止日期${rightsEnd}早于起始日期${rightsStart}`, `end date ${rightsEnd} is before start date ${rightsStart}`);
    }

    const stateText = r.required('certificateState');
    let certificateState: CertificateState | undefined;
    if (stateText !== undefined) {
      certificateState = certificateStateOf(stateText);
      if (certificateState === undefined) {
        const allowed = Object.values(CERTIFICATE_STATE_LABELS);
        r.error('certificateState', `发证状态“${stateText}”无效，应为：${allowed.join('、')}`, `unknown certificate state "${stateText}"; expected one of ${allowed.join(', ')}`);
      }
    }

    const mortgaged = readYesNo(r, 'mortgaged', '是否抵押', 'mortgaged');
    const seized = readYesNo(r, 'seized', '是否查封', 'seized');
    const remarks = r.text('remarks');

    if (
      errors.length > before ||
      certificateNo === undefined ||
      holderName === undefined ||
      holder === undefined ||
      location === undefined ||
      village === undefined ||
      forestCompartment === undefined ||
      subCompartment === undefined ||
      areaMu === undefined ||
      forestType === undefined ||
      mainSpecies === undefined ||
      rightsStart === undefined ||
      rightsEnd === undefined ||
      certificateState === undefined ||
      mortgaged === undefined ||
      seized === undefined
    ) {
      continue;
    }
    parcels.push({
      row: r.rowNumber,
      certificateNo,
      ...(realEstateUnitNo !== undefined ? { realEstateUnitNo } : {}),
      holderName,
      holderIdNumber: holder.idNumber,
      holderIdKind: holder.kind,
      location,
      village,
      forestCompartment,
      subCompartment,
      areaMu,
      forestType,
      mainSpecies,
      rightsStart,
      rightsEnd,
      certificateState,
      mortgaged,
      seized,
      ...(remarks !== '' ? { remarks } : {}),
    });
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, parcels };
}

function readDate(r: RowReader<ParcelColumn>, key: 'rightsStart' | 'rightsEnd', zh: string, en: string): string | undefined {
  const text = r.required(key);
  if (text === undefined) return undefined;
  const date = parseTableDate(text);
  if (date === undefined) {
    r.error(key, `${zh}“${text}”无效，应为YYYY-MM-DD等日期格式`, `invalid ${en} "${text}"; expected a date such as YYYY-MM-DD`);
  }
  return date;
}

function readYesNo(r: RowReader<ParcelColumn>, key: 'mortgaged' | 'seized', zh: string, en: string): boolean | undefined {
  const text = r.required(key);
  if (text === undefined) return undefined;
  const value = parseYesNo(text);
  if (value === undefined) r.error(key, `${zh}应填“是”或“否”，不能是“${text}”`, `${en} must be 是 (yes) or 否 (no), got "${text}"`);
  return value;
}

function certificateStateOf(text: string): CertificateState | undefined {
  const value = foldText(text);
  return CERTIFICATE_STATES.find((state) => CERTIFICATE_STATE_LABELS[state] === value);
}

type AreaResult = { ok: true; value: string } | { ok: false; zh: string; en: string };

/** A positive decimal with at most four significant decimals, as fixed-point text with four. */
export function parseArea(text: string): AreaResult {
  let value = text.normalize('NFKC').replace(/\s+/gu, '');
  // Thousands separators, as a CSV from a cell formatted `#,##0.00` carries them.
  if (/^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$/.test(value)) value = value.replace(/,/g, '');
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(value)) {
    return { ok: false, zh: `面积“${text}”不是有效的数字`, en: `area "${text}" is not a decimal number` };
  }
  const area = new Dec(value);
  if (area.lte(0)) return { ok: false, zh: '面积必须大于0', en: 'area must be greater than 0' };
  if (area.decimalPlaces() > MAX_AREA_DECIMALS) {
    return { ok: false, zh: `面积最多${MAX_AREA_DECIMALS}位小数`, en: `area must have at most ${MAX_AREA_DECIMALS} decimal places, got "${text}"` };
  }
  return { ok: true, value: area.toFixed(MAX_AREA_DECIMALS) };
}

type VillageMatch = { kind: 'one'; village: string } | { kind: 'none' } | { kind: 'ambiguous'; villages: string[] };

/**
 * Finds the known village a location names. The longest name contained wins (`大西沟村` over
 * `西沟村`); two different villages of that length are ambiguous.
 */
function villageMatcher(known: Set<string>): (location: string) => VillageMatch {
  const entries = Array.from(known, (village) => ({ village, key: foldText(village) }))
    .filter((entry) => entry.key !== '')
    .sort((a, b) => b.key.length - a.key.length);
  return (location) => {
    const text = foldText(location);
    const found = entries.filter((entry) => text.includes(entry.key));
    if (found.length === 0) return { kind: 'none' };
    const longest = found.filter((entry) => entry.key.length === found[0].key.length);
    const names = Array.from(new Set(longest.map((entry) => entry.village)));
    return names.length === 1 ? { kind: 'one', village: names[0] } : { kind: 'ambiguous', villages: names };
  };
}
