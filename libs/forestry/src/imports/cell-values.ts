import { isIsoDate } from '@forest-ledger/ledger/domain';
import { maskResidentId, normaliseCreditCode, normaliseResidentId, validateResidentId, validateUnifiedSocialCreditCode } from '../parties/identity-codes';

const DAY_MS = 86_400_000;
/** Day 0 of Excel's 1900 date system as used for serials after 1900-02-28 (Excel's phantom 1900-02-29 absorbed). */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
/** Serials accepted as dates: 1927-05-18 … 9999-12-31, so a bare year such as 2008 is never read as a serial. */
const MIN_EXCEL_SERIAL = 10_000;
const MAX_EXCEL_SERIAL = 2_958_465;

/**
 * A date cell as YYYY-MM-DD, or undefined when it is not a real date. Accepts YYYY-MM-DD, YYYY/MM/DD
 * and YYYY.MM.DD with or without zero padding (Excel on Chinese Windows writes `2008/1/1` into CSV),
 * an optional time of day (ignored), YYYY年M月D日, YYYYMMDD, and an Excel serial day number
 * (a date cell whose format exceljs does not recognise as a date arrives as its serial).
 */
export function parseTableDate(text: string): string | undefined {
  const value = text.normalize('NFKC').trim();
  let year: string;
  let month: string;
  let day: string;
  const separated = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.exec(value);
  const chinese = /^(\d{4})年(\d{1,2})月(\d{1,2})日$/.exec(value);
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(value);
  if (separated) [year, month, day] = [separated[1], separated[3], separated[4]];
  else if (chinese) [year, month, day] = [chinese[1], chinese[2], chinese[3]];
  else if (compact) [year, month, day] = [compact[1], compact[2], compact[3]];
  else if (/^\d{5,7}$/.test(value)) return excelSerialDate(Number(value));
  else return undefined;
  const iso = `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
  return isIsoDate(iso) ? iso : undefined;
}

function excelSerialDate(serial: number): string | undefined {
  if (serial < MIN_EXCEL_SERIAL || serial > MAX_EXCEL_SERIAL) return undefined;
  return new Date(EXCEL_EPOCH_MS + serial * DAY_MS).toISOString().slice(0, 10);
}

export type PartyIdCheck =
  | { ok: true; kind: 'RESIDENT_ID'; idNumber: string; birthDate: string; sex: 'M' | 'F' }
  | { ok: true; kind: 'CREDIT_CODE'; idNumber: string }
  | { ok: false; zh: string; en: string };

/**
 * Checks a person's resident ID number or, when `allowCreditCode`, an organisation's unified social
 * credit code. Returns the normalised code; error messages show it masked, never whole.
 *
 * @param today YYYY-MM-DD for the birth-date check; defaults to today in China (Asia/Shanghai), the calendar the service judges dates by.
 */
export function checkPartyId(text: string, options: { allowCreditCode: boolean; today?: string }): PartyIdCheck {
  const id = normaliseResidentId(text);
  const resident = validateResidentId(id, options.today);
  if (resident.ok) return { ok: true, kind: 'RESIDENT_ID', idNumber: id, birthDate: resident.birthDate, sex: resident.sex };
  const looksResident = /^\d{17}[0-9X]$/.test(id);
  let reason = resident.reason;
  if (options.allowCreditCode) {
    const code = normaliseCreditCode(text);
    const credit = validateUnifiedSocialCreditCode(code);
    if (credit.ok) return { ok: true, kind: 'CREDIT_CODE', idNumber: code };
    if (!looksResident) {
      reason =
        Array.from(code).length === 18 ? credit.reason : `expected an 18-character resident ID number or unified social credit code, got ${Array.from(code).length} characters`;
    }
  }
  // Excel keeps 15 significant digits: an ID typed into a number cell ends in 000 or shows as 1.40522E+17.
  if (/^\d+(\.\d+)?E\+?\d+$/.test(id) || /^\d{15}000$/.test(id)) {
    return {
      ok: false,
      zh: `证件号码被Excel按数字保存，末尾数字已丢失（${maskResidentId(id)}），请将该列设为文本格式后重新录入`,
      en: `Excel stored the ID number as a number and lost its last digits (${maskResidentId(id)}); format the column as text and re-enter it`,
    };
  }
  return { ok: false, zh: `证件号码无效（${maskResidentId(id)}）`, en: `invalid ID number ${maskResidentId(id)}: ${reason}` };
}
