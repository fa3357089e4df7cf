import { DEMO_COLLECTIVE, DEMO_FARM, DEMO_ORGANISATIONS, DEMO_VILLAGE, idAfterDemo, PARCEL_COLUMNS } from '@forest-ledger/forestry';

/**
 * The files the import examples of openapi-examples.ts send (roster, parcel table), built once: rows as
 * shared/fixtures has them, in the format the routes document (JSON `{ fileName, contentBase64 }`).
 */

/** A table as an office sends it (CSV UTF-8 with BOM and CRLF, as Excel writes "CSV UTF-8"), base64 for the `{ fileName, contentBase64 }` body. */
function csvBase64(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return Buffer.from(`\uFEFF${rows.map((r) => `${r.join(',')}\r\n`).join('')}`, 'utf8').toString('base64');
}

/** The registered name and credit code of a demo organisation, as a parcel table names its holder. */
function organisation(code: string): [string, string] {
  const party = DEMO_ORGANISATIONS.find((o) => o.code === code);
  if (!party?.idNumber) throw new Error(`no demo organisation ${code} with a credit code`);
  return [party.name, party.idNumber];
}

/** A household of shared/fixtures/roster-大西沟村.csv joining the collective (its 户号, names and ID numbers). */
export const ROSTER_FILE = csvBase64([
  ['户号', '户主姓名', '成员姓名', '身份证号', '与户主关系', '联系电话'],
  ['DXG-002', '王建国', '王建国', '140522194409260030', '户主', '13809578776'],
  ['DXG-002', '王建国', '王俊杰', '140522194408140045', '子', '13892318993'],
]);
/** The code the roster import gives 王俊杰, its second row: villagers are coded V-nnnn after the highest in use (the demo's V-0008; 王建国 becomes V-0009). */
export const ROSTER_MEMBER = 'V-0010';
/** Rows of the 林权证登记信息 table, in the import's own columns (PARCEL_COLUMNS, the headers of shared/fixtures/parcels-大西沟村.csv). */
const parcelRow = (seq: string, holder: [string, string], place: string, areaMu: string, species: string, remarks: string): string[] => [
  seq,
  `晋(2026)阳城县不动产权第00091${seq.padStart(2, '0')}号`,
  `${DEMO_VILLAGE.code}JA091${seq.padStart(2, '0')}W00000000`,
  ...holder,
  `芹池镇大西沟村${place}`,
  '16',
  seq,
  areaMu,
  '用材林',
  species,
  '2008-01-01',
  '2077-12-31',
  '发放到户',
  '否',
  '否',
  remarks,
];
/** Three parcels imported after the demo's: 王建国's (a second cooperation project), the collective's (a second income-right scheme) and the state farm's (a land-use lease). */
export const PARCEL_FILE = csvBase64([
  PARCEL_COLUMNS.map((c) => c.header),
  parcelRow('1', ['王建国', '140522194409260030'], '南岭', '40.5000', '油松', ''),
  parcelRow('2', organisation(DEMO_COLLECTIVE), '阴坡', '120.0000', '华山松', '村集体统一经营'),
  parcelRow('3', organisation(DEMO_FARM), '北凹', '200.0000', '油松', '国有林地'),
]);
export const [HOUSEHOLD_PARCEL, COLLECTIVE_PARCEL, STATE_PARCEL] = [1, 2, 3].map((n) => idAfterDemo('parcel', n));
