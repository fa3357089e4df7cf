/**
 * Chinese identity codes, validated offline and without any framework:
 *
 * - the 18-character resident ID number (公民身份号码, GB 11643-1999);
 * - the 18-character unified social credit code (统一社会信用代码, GB 32100-2015),
 *   including the organisation code (组织机构代码, GB 11714-1997) embedded in positions 9-17.
 *
 * A code that passes here is well-formed; it is not proof that the person or organisation exists.
 * The validators expect normalised input: call `normaliseResidentId` / `normaliseCreditCode` first.
 */
import { businessToday } from '../projects/project-accounts';

// ---------------------------------------------------------------------------------------------
// Resident ID number (GB 11643-1999)
// ---------------------------------------------------------------------------------------------

export type ResidentIdValidation = { ok: true; birthDate: string /* YYYY-MM-DD */; sex: 'M' | 'F'; regionCode: string } | { ok: false; reason: string };

/** ISO 7064 MOD 11-2 weights for positions 1-17 (2^(18-i) mod 11). */
const RESIDENT_ID_WEIGHTS: readonly number[] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/** Check character for each remainder 0..10 of the weighted sum modulo 11. */
const RESIDENT_ID_CHECK_CHARACTERS = '10X98765432';
const EARLIEST_BIRTH_DATE = '1900-01-01';

/**
 * Trims, folds full-width characters to ASCII (NFKC: `１２３ｘ` → `123x`) and upper-cases,
 * so a lower-case `x` check character becomes `X`. Does not remove inner spaces or hyphens.
 */
export function normaliseResidentId(text: string): string {
  return text.normalize('NFKC').trim().toUpperCase();
}

/** The check character (`0`-`9` or `X`) for the first 17 digits of a resident ID number. */
export function residentIdCheckCharacter(first17: string): string {
  if (!/^\d{17}$/.test(first17)) throw new RangeError('residentIdCheckCharacter expects exactly 17 digits');
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * RESIDENT_ID_WEIGHTS[i];
  return RESIDENT_ID_CHECK_CHARACTERS[sum % 11];
}

/**
 * Validates a normalised 18-character resident ID number: region code (6 digits, first 1-9),
 * birth date (YYYYMMDD, a real date between 1900-01-01 and `today` inclusive), sequence code
 * (3 digits; odd = male, even = female) and the ISO 7064 MOD 11-2 check character.
 *
 * @param today YYYY-MM-DD; defaults to today in China (Asia/Shanghai): a villager born today there is not refused while UTC's date is still yesterday. Birth dates after it are refused.
 */
export function validateResidentId(text: string, today: string = businessToday()): ResidentIdValidation {
  if (!isCalendarDate(today)) throw new RangeError(`today must be a real date in the form YYYY-MM-DD, got '${today}'`);
  if (text.length !== 18) return fail(`a resident ID number must be 18 characters, got ${text.length}`);
  if (!/^\d{17}$/.test(text.slice(0, 17))) return fail('characters 1-17 of a resident ID number must be digits 0-9');
  const check = text[17];
  if (!/^[0-9X]$/.test(check)) {
    return fail(`the check character (position 18) must be a digit or upper-case 'X', got '${check}' (normalise the input first)`);
  }
  const regionCode = text.slice(0, 6);
  if (regionCode[0] === '0') return fail(`the region code (positions 1-6) must start with a digit 1-9, got '${regionCode}'`);
  const birthDate = `${text.slice(6, 10)}-${text.slice(10, 12)}-${text.slice(12, 14)}`;
  if (!isCalendarDate(birthDate)) return fail(`the birth date (positions 7-14) ${birthDate} is not a real calendar date`);
  if (birthDate < EARLIEST_BIRTH_DATE) return fail(`the birth date (positions 7-14) ${birthDate} is before ${EARLIEST_BIRTH_DATE}`);
  if (birthDate > today) return fail(`the birth date (positions 7-14) ${birthDate} is in the future (today is ${today})`);
  const expected = residentIdCheckCharacter(text.slice(0, 17));
  if (check !== expected) return fail(`check character should be ${expected}, got ${check}`);
  const sex = Number(text[16]) % 2 === 1 ? 'M' : 'F';
  return { ok: true, birthDate, sex, regionCode };
}

/**
 * Masks a resident ID number for display and logs: the first 4 and last 4 characters are kept,
 * everything between becomes `*` (`14010519491231123X` → `1401**********123X`).
 * Values of 8 characters or fewer are masked entirely, so a short fragment never leaks whole.
 */
export function maskResidentId(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= 8) return '*'.repeat(chars.length);
  return chars.slice(0, 4).join('') + '*'.repeat(chars.length - 8) + chars.slice(-4).join('');
}

/** Masks a mobile number as every screen shows it: the first 3 and last 4 digits (`13869893550` → `138****3550`). */
export function maskMobile(text: string): string {
  const chars = Array.from(text);
  if (chars.length <= 7) return '*'.repeat(chars.length);
  return chars.slice(0, 3).join('') + '*'.repeat(chars.length - 7) + chars.slice(-4).join('');
}

// ---------------------------------------------------------------------------------------------
// Unified social credit code (GB 32100-2015)
// ---------------------------------------------------------------------------------------------

export type CreditCodeValidation = { ok: true } | { ok: false; reason: string };

export interface CreditCodeOptions {
  /**
   * Also verify the GB 11714 check character of the organisation code at position 17 (default true).
   * Every code checked while writing this (the GB 32100 example and several hundred published codes
   * of enterprises, individual businesses and public institutions) satisfies it; the switch exists
   * in case a registration authority turns out to issue codes that do not.
   */
  checkOrganisationCode?: boolean;
}

/** The 31 characters of GB 32100: digits and upper-case letters without I, O, S, V, Z; index = value. */
export const CREDIT_CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** Weights for positions 1-17: 3^(i-1) mod 31. */
const CREDIT_CODE_WEIGHTS: readonly number[] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
/** GB 11714 weights for the 8 body characters of an organisation code. */
const ORGANISATION_CODE_WEIGHTS: readonly number[] = [3, 7, 9, 10, 5, 8, 4, 2];

/** Trims, folds full-width characters to ASCII (NFKC) and upper-cases. Does not remove inner spaces. */
export function normaliseCreditCode(text: string): string {
  return text.normalize('NFKC').trim().toUpperCase();
}

/** The GB 32100 check character (position 18) for the first 17 characters of a credit code. */
export function creditCodeCheckCharacter(first17: string): string {
  if (first17.length !== 17) throw new RangeError('creditCodeCheckCharacter expects exactly 17 characters');
  let sum = 0;
  for (let i = 0; i < 17; i++) {
    const value = CREDIT_CODE_ALPHABET.indexOf(first17[i]);
    if (value < 0) throw new RangeError(`'${first17[i]}' is not a credit code character`);
    sum += value * CREDIT_CODE_WEIGHTS[i];
  }
  return CREDIT_CODE_ALPHABET[(31 - (sum % 31)) % 31];
}

/**
 * The GB 11714 check character (`0`-`9` or `X`) for the 8 body characters of an organisation code.
 * Unlike the credit code's own check, GB 11714 values letters by their place in the full Latin
 * alphabet (A = 10 … Z = 35), not by their index in the 31-character credit code alphabet.
 */
export function organisationCodeCheckCharacter(body8: string): string {
  if (!/^[0-9A-Z]{8}$/.test(body8)) throw new RangeError('organisationCodeCheckCharacter expects 8 digits or upper-case letters');
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += parseInt(body8[i], 36) * ORGANISATION_CODE_WEIGHTS[i];
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

/**
 * Validates a normalised 18-character unified social credit code: alphabet (no I, O, S, V, Z),
 * positions 3-8 digits (region of the registration authority), the organisation code's GB 11714
 * check at position 17 (see `CreditCodeOptions`) and the GB 32100 check character at position 18.
 * Positions 1 (registration authority) and 2 (entity type) are only checked against the alphabet:
 * the standard lets authorities extend those tables (e.g. N2 = village collective economic organisation).
 */
export function validateUnifiedSocialCreditCode(text: string, options: CreditCodeOptions = {}): CreditCodeValidation {
  const chars = Array.from(text);
  if (chars.length !== 18) return fail(`a unified social credit code must be 18 characters, got ${chars.length}`);
  for (let i = 0; i < 18; i++) {
    const c = chars[i];
    if (CREDIT_CODE_ALPHABET.includes(c)) continue;
    if ('IOSVZ'.includes(c)) return fail(`character ${i + 1} is '${c}': the letters I, O, S, V and Z are never used in a unified social credit code`);
    if (/^[a-z]$/.test(c)) return fail(`character ${i + 1} is lower-case '${c}': normalise the input first`);
    return fail(`character ${i + 1} '${c}' is not a digit or an allowed upper-case letter`);
  }
  const region = text.slice(2, 8);
  if (!/^\d{6}$/.test(region)) return fail(`the region code (positions 3-8) must be 6 digits, got '${region}'`);
  if (options.checkOrganisationCode !== false) {
    const expected = organisationCodeCheckCharacter(text.slice(8, 16));
    if (text[16] !== expected) {
      return fail(`the organisation code check character (position 17, GB 11714) should be ${expected}, got ${text[16]}`);
    }
  }
  const expected = creditCodeCheckCharacter(text.slice(0, 17));
  if (text[17] !== expected) return fail(`check character should be ${expected}, got ${text[17]}`);
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** True when `date` is YYYY-MM-DD naming a real day of the proleptic Gregorian calendar. */
function isCalendarDate(date: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const daysInMonth = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return day <= daysInMonth;
}
