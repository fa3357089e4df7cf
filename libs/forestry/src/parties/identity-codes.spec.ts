// Over 500 lines because the published check-digit cases of three national standards (GB 11643, GB 32100, GB 11714), one table each.
import { readFileSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import {
  CREDIT_CODE_ALPHABET,
  creditCodeCheckCharacter,
  maskResidentId,
  normaliseCreditCode,
  normaliseResidentId,
  organisationCodeCheckCharacter,
  residentIdCheckCharacter,
  validateResidentId,
  validateUnifiedSocialCreditCode,
} from './identity-codes';

// -------------------------------------------------------------------------------------------
// Independent oracles: the check characters recomputed from the standards' definitions rather
// than from the implementation's tables, so a wrong weight table there cannot hide here.
// -------------------------------------------------------------------------------------------

/** GB 11643 / ISO 7064 MOD 11-2: weight of position i (1-based) is 2^(18-i) mod 11. */
function oracleResidentCheck(first17: string): string {
  let sum = 0;
  for (let i = 1; i <= 17; i++) sum += Number(first17[i - 1]) * (2 ** (18 - i) % 11);
  return '10X98765432'[sum % 11];
}

/** GB 32100: weight of position i is 3^(i-1) mod 31; check value (31 − sum mod 31) mod 31. */
function oracleCreditCheck(first17: string): string {
  let sum = 0;
  let weight = 1;
  for (let i = 0; i < 17; i++) {
    sum += CREDIT_CODE_ALPHABET.indexOf(first17[i]) * weight;
    weight = (weight * 3) % 31;
  }
  return CREDIT_CODE_ALPHABET[(31 - (sum % 31)) % 31];
}

/** GB 11714: digits 0-9, letters A=10 … Z=35; weights 3 7 9 10 5 8 4 2; 11 − (sum mod 11), 10 → X, 11 → 0. */
function oracleOrganisationCheck(body8: string): string {
  const weights = [3, 7, 9, 10, 5, 8, 4, 2];
  let sum = 0;
  for (let i = 0; i < 8; i++) {
    const c = body8[i];
    const value = /\d/.test(c) ? Number(c) : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.indexOf(c) + 10;
    sum += value * weights[i];
  }
  const check = 11 - (sum % 11);
  return check === 10 ? 'X' : check === 11 ? '0' : String(check);
}

function residentId(region: string, yyyymmdd: string, sequence: string): string {
  const first17 = region + yyyymmdd + sequence;
  return first17 + oracleResidentCheck(first17);
}

function creditCode(authority: string, type: string, region: string, orgBody: string): string {
  const first17 = authority + type + region + orgBody + oracleOrganisationCheck(orgBody);
  return first17 + oracleCreditCheck(first17);
}

function replaceAt(text: string, index: number, c: string): string {
  return text.slice(0, index) + c + text.slice(index + 1);
}

const TODAY = '2025-06-30';

// -------------------------------------------------------------------------------------------
// Fixtures: UTF-8 with BOM, CRLF, headers possibly with stray spaces, trailing empty rows.
// -------------------------------------------------------------------------------------------

const FIXTURES = join(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'township');

/** Minimal RFC 4180 reader (quoted fields, doubled quotes) — enough for the fixtures. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  const body = text.replace(/^\uFEFF/, '');
  const endField = (): void => {
    row.push(field);
    field = '';
  };
  const endRow = (): void => {
    endField();
    rows.push(row);
    row = [];
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (quoted) {
      if (c === '"' && body[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') endField();
    else if (c === '\r' || c === '\n') {
      if (c === '\r' && body[i + 1] === '\n') i++;
      endRow();
    } else field += c;
  }
  if (field !== '' || row.length > 0) endRow();
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

function fixtureColumn(file: string, header: string): string[] {
  const [headers, ...rows] = parseCsv(readFileSync(`${FIXTURES}/${file}`, 'utf8'));
  const index = headers.findIndex((h) => h.trim() === header);
  if (index < 0) throw new Error(`${file} has no column ${header}; headers: ${headers.join(', ')}`);
  return rows.map((r) => r[index] ?? '');
}

/** An identity column may hold a person's resident ID or an organisation's credit code. */
function identityProblems(values: string[]): string[] {
  const problems: string[] = [];
  for (const raw of values) {
    const person = validateResidentId(normaliseResidentId(raw), TODAY);
    if (person.ok) continue;
    const organisation = validateUnifiedSocialCreditCode(normaliseCreditCode(raw));
    if (organisation.ok) continue;
    problems.push(`${raw}: as a resident ID, ${person.reason}; as a credit code, ${organisation.reason}`);
  }
  return problems;
}

describe('fixture identity numbers (all well-formed per the fixtures README)', () => {
  it('every 身份证号 in the village roster validates', () => {
    const ids = fixtureColumn('roster-大西沟村.csv', '身份证号');
    expect(ids.length).toBeGreaterThan(50);
    expect(identityProblems(ids)).toEqual([]);
    // The roster holds people only: each must be a resident ID, not merely a credit code.
    expect(ids.filter((id) => !validateResidentId(normaliseResidentId(id), TODAY).ok)).toEqual([]);
  });

  it('every 证件号码 in the parcel table validates as a resident ID or a credit code', () => {
    const ids = fixtureColumn('parcels-大西沟村.csv', '证件号码');
    expect(ids.length).toBeGreaterThan(20);
    expect(identityProblems(ids)).toEqual([]);
  });
});

// -------------------------------------------------------------------------------------------
// Resident ID numbers
// -------------------------------------------------------------------------------------------

describe('validateResidentId', () => {
  it('accepts the textbook example 11010519491231002X and decodes it', () => {
    expect(validateResidentId('11010519491231002X', TODAY)).toEqual({ ok: true, birthDate: '1949-12-31', sex: 'F', regionCode: '110105' });
  });

  it('refuses 110105194912310021 with the expected check character', () => {
    expect(validateResidentId('110105194912310021', TODAY)).toEqual({ ok: false, reason: 'check character should be X, got 1' });
  });

  it.each([
    ['360426199101010071', '1991-01-01', 'M', '360426'],
    ['44011320141005001X', '2014-10-05', 'M', '440113'],
  ])('accepts published example %s', (id, birthDate, sex, regionCode) => {
    expect(validateResidentId(id, TODAY)).toEqual({ ok: true, birthDate, sex, regionCode });
  });

  it('decodes sex from the parity of the sequence code', () => {
    const male = validateResidentId(residentId('140522', '19800101', '013'), TODAY);
    const female = validateResidentId(residentId('140522', '19800101', '014'), TODAY);
    expect(male).toMatchObject({ ok: true, sex: 'M' });
    expect(female).toMatchObject({ ok: true, sex: 'F' });
  });

  it.each([
    ['17 characters', '11010519491231002', /must be 18 characters, got 17/],
    ['19 characters', '11010519491231002X1', /must be 18 characters, got 19/],
    ['empty', '', /must be 18 characters, got 0/],
    ['a letter among the first 17', '11010519491231A02X', /characters 1-17 .* must be digits/],
    ['full-width digits (not normalised)', '１１０１０５１９４９１２３１００２X', /must be 18 characters|must be digits/],
    ['a lower-case x (not normalised)', '11010519491231002x', /check character \(position 18\) must be a digit or upper-case 'X', got 'x'/],
    ['a letter other than X as check', '11010519491231002Y', /must be a digit or upper-case 'X', got 'Y'/],
    ['surrounding spaces (not normalised)', ' 11010519491231002X', /must be 18 characters, got 19/],
  ])('refuses %s', (_label, id, reason) => {
    const result = validateResidentId(id, TODAY);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it('refuses a region code starting with 0', () => {
    expect(validateResidentId(residentId('040522', '19800101', '013'), TODAY)).toEqual({
      ok: false,
      reason: "the region code (positions 1-6) must start with a digit 1-9, got '040522'",
    });
  });

  it.each([
    ['month 13', '19911301', '1991-13-01'],
    ['month 00', '19910001', '1991-00-01'],
    ['day 00', '19910100', '1991-01-00'],
    ['31 April', '19910431', '1991-04-31'],
    ['30 February', '20000230', '2000-02-30'],
    ['29 February 1900 (not a leap year)', '19000229', '1900-02-29'],
    ['29 February 2023', '20230229', '2023-02-29'],
  ])('refuses a birth date that is no calendar date: %s', (_label, date, shown) => {
    expect(validateResidentId(residentId('360426', date, '007'), TODAY)).toEqual({
      ok: false,
      reason: `the birth date (positions 7-14) ${shown} is not a real calendar date`,
    });
  });

  it('refuses the published example with month 13 (360426199113010079)', () => {
    expect(validateResidentId('360426199113010079', TODAY)).toMatchObject({ ok: false, reason: expect.stringMatching(/not a real calendar date/) });
  });

  it('accepts 29 February in leap years, including 2000', () => {
    expect(validateResidentId(residentId('110105', '20000229', '001'), TODAY)).toMatchObject({ ok: true, birthDate: '2000-02-29' });
    expect(validateResidentId(residentId('110105', '19960229', '001'), TODAY)).toMatchObject({ ok: true, birthDate: '1996-02-29' });
  });

  it('accepts 1900-01-01 and refuses the day before', () => {
    expect(validateResidentId(residentId('110105', '19000101', '001'), TODAY)).toMatchObject({ ok: true, birthDate: '1900-01-01' });
    expect(validateResidentId(residentId('110105', '18991231', '001'), TODAY)).toEqual({
      ok: false,
      reason: 'the birth date (positions 7-14) 1899-12-31 is before 1900-01-01',
    });
  });

  it('accepts a birth today and refuses one tomorrow', () => {
    expect(validateResidentId(residentId('110105', '20250630', '001'), TODAY)).toMatchObject({ ok: true, birthDate: '2025-06-30' });
    expect(validateResidentId(residentId('110105', '20250701', '001'), TODAY)).toEqual({
      ok: false,
      reason: 'the birth date (positions 7-14) 2025-07-01 is in the future (today is 2025-06-30)',
    });
  });

  it("defaults today to China's calendar date: a villager born today in China is accepted while UTC's date is still yesterday", () => {
    jest.useFakeTimers({ now: new Date('2026-12-04T18:30:00Z'), doNotFake: ['nextTick', 'setImmediate'] }); // 02:30 on 5 December in China
    try {
      expect(validateResidentId(residentId('110105', '20261205', '001'))).toMatchObject({ ok: true, birthDate: '2026-12-05' });
      expect(validateResidentId(residentId('110105', '20261206', '001'))).toMatchObject({ ok: false, reason: expect.stringMatching(/in the future \(today is 2026-12-05\)/) });
    } finally {
      jest.useRealTimers();
    }
  });

  it('throws on a malformed today argument (a programming error, not bad input)', () => {
    expect(() => validateResidentId('11010519491231002X', '2025-02-30')).toThrow(RangeError);
    expect(() => validateResidentId('11010519491231002X', '20250630')).toThrow(RangeError);
  });

  it('refuses the published wrong-check example 36042619910102009X', () => {
    expect(validateResidentId('36042619910102009X', TODAY)).toEqual({ ok: false, reason: 'check character should be 3, got X' }); // Σ = 240, 240 mod 11 = 9 → '3'
  });

  describe('properties', () => {
    const regionArb = fc.integer({ min: 100000, max: 999999 }).map(String);
    const dateArb = fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date(`${TODAY}T00:00:00Z`), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    const sequenceArb = fc.integer({ min: 0, max: 999 }).map((n) => String(n).padStart(3, '0'));
    const validIdArb = fc.tuple(regionArb, dateArb, sequenceArb).map(([region, date, sequence]) => ({
      id: residentId(region, date.replace(/-/g, ''), sequence),
      region,
      date,
      sequence,
    }));

    it('a random well-formed ID validates and decodes region, birth date and sex', () => {
      fc.assert(
        fc.property(validIdArb, ({ id, region, date, sequence }) => {
          expect(validateResidentId(id, TODAY)).toEqual({
            ok: true,
            birthDate: date,
            sex: Number(sequence) % 2 === 1 ? 'M' : 'F',
            regionCode: region,
          });
        }),
        { numRuns: 500 },
      );
    });

    it('the implementation check character agrees with the 2^(18-i) mod 11 definition', () => {
      fc.assert(
        fc.property(fc.stringMatching(/^\d{17}$/), (first17) => {
          expect(residentIdCheckCharacter(first17)).toBe(oracleResidentCheck(first17));
        }),
      );
    });

    it('changing any one of the first 17 digits invalidates the ID (MOD 11-2 detects every single-digit error)', () => {
      fc.assert(
        fc.property(validIdArb, fc.integer({ min: 0, max: 16 }), fc.integer({ min: 1, max: 9 }), ({ id }, index, delta) => {
          const changed = replaceAt(id, index, String((Number(id[index]) + delta) % 10));
          expect(validateResidentId(changed, TODAY).ok).toBe(false);
        }),
        { numRuns: 1000 },
      );
    });

    it('changing the sequence code keeps the date valid, so the check character alone catches it', () => {
      fc.assert(
        fc.property(validIdArb, fc.integer({ min: 14, max: 16 }), fc.integer({ min: 1, max: 9 }), ({ id }, index, delta) => {
          const changed = replaceAt(id, index, String((Number(id[index]) + delta) % 10));
          const result = validateResidentId(changed, TODAY);
          expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^check character should be [0-9X], got [0-9X]$/) });
        }),
      );
    });

    it('swapping two adjacent different digits among the first 17 invalidates the ID', () => {
      fc.assert(
        fc.property(validIdArb, fc.integer({ min: 0, max: 15 }), ({ id }, index) => {
          fc.pre(id[index] !== id[index + 1]);
          const swapped = id.slice(0, index) + id[index + 1] + id[index] + id.slice(index + 2);
          expect(validateResidentId(swapped, TODAY).ok).toBe(false);
        }),
        { numRuns: 1000 },
      );
    });

    it('any other check character is refused', () => {
      fc.assert(
        fc.property(validIdArb, fc.constantFrom(...'0123456789X'), ({ id }, check) => {
          fc.pre(check !== id[17]);
          expect(validateResidentId(replaceAt(id, 17, check), TODAY)).toEqual({
            ok: false,
            reason: `check character should be ${id[17]}, got ${check}`,
          });
        }),
      );
    });
  });
});

describe('normaliseResidentId', () => {
  it.each([
    ['11010519491231002x', '11010519491231002X'],
    ['  11010519491231002X\t', '11010519491231002X'],
    ['\u00a011010519491231002x\r\n', '11010519491231002X'],
    ['１１０１０５１９４９１２３１００２ｘ', '11010519491231002X'],
    ['11010519491231002X', '11010519491231002X'],
  ])('normalises %j', (input, expected) => {
    expect(normaliseResidentId(input)).toBe(expected);
    expect(validateResidentId(normaliseResidentId(input), TODAY).ok).toBe(true);
  });

  it('is idempotent', () => {
    fc.assert(fc.property(fc.string(), (s) => expect(normaliseResidentId(normaliseResidentId(s))).toBe(normaliseResidentId(s))));
  });
});

describe('maskResidentId', () => {
  it.each([
    ['14010519491231123X', '1401**********123X'],
    ['11010519491231002X', '1101**********002X'],
    ['140522200409150016', '1405**********0016'],
  ])('masks %s as %s', (id, masked) => {
    expect(maskResidentId(id)).toBe(masked);
  });

  it('never reveals the birth date or more than 8 characters', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^\d{17}[\dX]$/), (id) => {
        const masked = maskResidentId(id);
        expect(masked).toHaveLength(18);
        expect(masked.slice(0, 4)).toBe(id.slice(0, 4));
        expect(masked.slice(14)).toBe(id.slice(14));
        expect(masked.slice(4, 14)).toBe('**********');
      }),
    );
  });

  it('masks short fragments completely', () => {
    expect(maskResidentId('')).toBe('');
    expect(maskResidentId('1234')).toBe('****');
    expect(maskResidentId('12345678')).toBe('********');
    expect(maskResidentId('123456789')).toBe('1234*6789');
  });
});

// -------------------------------------------------------------------------------------------
// Unified social credit codes
// -------------------------------------------------------------------------------------------

describe('validateUnifiedSocialCreditCode', () => {
  /**
   * Real codes, each checked against both the GB 11714 check (position 17) and the GB 32100
   * check (position 18) before being listed here.
   */
  const published: Array<[string, string]> = [
    ['91350100M000100Y43', 'the worked example in GB 32100-2015'],
    ['91110000600037341L', 'example in python-stdnum cn.uscc'],
    ['91110000802100433B', 'widely published code of a Beijing internet company (org. code 802100433)'],
    ['121200004013590816', 'public institution (type 12), from the python-stdnum list'],
    ['9115220107837757XE', 'organisation code check X, from the python-stdnum list'],
    ['91620105L015101280', 'letter-led organisation code, from the python-stdnum list'],
    ['91340600MA2PBM9HXD', 'post-2015 MA series, from the python-stdnum list'],
    ['92340602MA2PBMEM24', 'individual business (type 92), from the python-stdnum list'],
    ['12440600MB2C07549J', 'public institution, MB series, cited in a GitHub validator issue'],
  ];

  it.each(published)('accepts %s (%s)', (code) => {
    expect(validateUnifiedSocialCreditCode(code)).toEqual({ ok: true });
  });

  it('refuses 91350203M0001FUE2P, reported online as printed on a real licence but failing the check', () => {
    // A known real-world anomaly: algorithmic validation cannot accept it, callers may need a manual override.
    expect(validateUnifiedSocialCreditCode('91350203M0001FUE2P')).toEqual({ ok: false, reason: 'check character should be J, got P' });
  });

  it('refuses a wrong check character with the expected one', () => {
    expect(validateUnifiedSocialCreditCode('91350100M000100Y44')).toEqual({ ok: false, reason: 'check character should be 3, got 4' });
    expect(validateUnifiedSocialCreditCode('91110000600037341N')).toEqual({ ok: false, reason: 'check character should be L, got N' });
  });

  it.each([
    ['17 characters', '91350100M000100Y4', /must be 18 characters, got 17/],
    ['19 characters', '91350100M000100Y433', /must be 18 characters, got 19/],
    ['empty', '', /must be 18 characters, got 0/],
    ['lower case (not normalised)', '91350100m000100y43', /character 9 is lower-case 'm': normalise the input first/],
    ['a space inside', '91350100 000100Y43', /character 9 ' ' is not a digit or an allowed upper-case letter/],
    ['a letter in the region code', '913501A0M000100Y43', /region code \(positions 3-8\) must be 6 digits, got '3501A0'/],
  ])('refuses %s', (_label, code, reason) => {
    const result = validateUnifiedSocialCreditCode(code);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });

  it.each([...'IOZSV'])('refuses the forbidden letter %s anywhere', (letter) => {
    for (const index of [0, 1, 8, 12, 17]) {
      const result = validateUnifiedSocialCreditCode(replaceAt('91350100M000100Y43', index, letter));
      expect(result).toEqual({
        ok: false,
        reason: `character ${index + 1} is '${letter}': the letters I, O, S, V and Z are never used in a unified social credit code`,
      });
    }
  });

  it('accepts lower-case and padded input once normalised', () => {
    expect(normaliseCreditCode('  91350100m000100y43 \r\n')).toBe('91350100M000100Y43');
    expect(normaliseCreditCode('９１３５０１００Ｍ０００１００Ｙ４３')).toBe('91350100M000100Y43');
    expect(validateUnifiedSocialCreditCode(normaliseCreditCode(' 91110000802100433b '))).toEqual({ ok: true });
  });

  it('refuses a code whose organisation code check (position 17) is wrong even if position 18 matches', () => {
    // Change position 17 of the standard's example and recompute position 18 for the altered code.
    const first17 = '91350100M000100Y5';
    const code = first17 + oracleCreditCheck(first17);
    expect(validateUnifiedSocialCreditCode(code)).toEqual({
      ok: false,
      reason: 'the organisation code check character (position 17, GB 11714) should be 4, got 5',
    });
    expect(validateUnifiedSocialCreditCode(code, { checkOrganisationCode: false })).toEqual({ ok: true });
  });

  it('accepts registration authority and type codes outside the common 1-9 table (e.g. N2, Y1)', () => {
    expect(validateUnifiedSocialCreditCode(creditCode('N', '2', '140522', 'MF0000AB'))).toEqual({ ok: true });
    expect(validateUnifiedSocialCreditCode(creditCode('Y', '1', '100000', '12345678'))).toEqual({ ok: true });
  });

  describe('properties', () => {
    const alphabetChar = fc.constantFrom(...CREDIT_CODE_ALPHABET);
    const validCodeArb = fc
      .tuple(alphabetChar, alphabetChar, fc.stringMatching(/^\d{6}$/), fc.array(alphabetChar, { minLength: 8, maxLength: 8 }))
      .map(([authority, type, region, body]) => creditCode(authority, type, region, body.join('')));

    it('a random code built from the algorithm validates', () => {
      fc.assert(
        fc.property(validCodeArb, (code) => expect(validateUnifiedSocialCreditCode(code)).toEqual({ ok: true })),
        { numRuns: 500 },
      );
    });

    it('the implementation check characters agree with the definitions', () => {
      fc.assert(
        fc.property(fc.array(alphabetChar, { minLength: 17, maxLength: 17 }), (chars) => {
          const first17 = chars.join('');
          expect(creditCodeCheckCharacter(first17)).toBe(oracleCreditCheck(first17));
          expect(organisationCodeCheckCharacter(first17.slice(0, 8))).toBe(oracleOrganisationCheck(first17.slice(0, 8)));
        }),
      );
    });

    it('any single-character substitution at positions 1-17 changes the expected check character and fails validation', () => {
      // 31 is prime and every weight is non-zero mod 31, so w·(a − b) ≢ 0 (mod 31) for a ≠ b.
      fc.assert(
        fc.property(validCodeArb, fc.integer({ min: 0, max: 16 }), alphabetChar, (code, index, c) => {
          fc.pre(c !== code[index]);
          const changed = replaceAt(code, index, c);
          expect(creditCodeCheckCharacter(changed.slice(0, 17))).not.toBe(code[17]);
          expect(validateUnifiedSocialCreditCode(changed).ok).toBe(false);
          expect(validateUnifiedSocialCreditCode(changed, { checkOrganisationCode: false }).ok).toBe(false);
        }),
        { numRuns: 2000 },
      );
    });

    it('a format-preserving substitution is reported as a wrong position-18 check when the GB 11714 check is off', () => {
      fc.assert(
        fc.property(validCodeArb, fc.integer({ min: 0, max: 16 }), alphabetChar, fc.integer({ min: 0, max: 9 }), (code, index, c, digit) => {
          const replacement = index >= 2 && index <= 7 ? String(digit) : c; // keep the region code numeric
          fc.pre(replacement !== code[index]);
          const result = validateUnifiedSocialCreditCode(replaceAt(code, index, replacement), { checkOrganisationCode: false });
          expect(result).toMatchObject({ ok: false, reason: expect.stringMatching(/^check character should be /) });
        }),
        { numRuns: 1000 },
      );
    });

    it('any other check character at position 18 is refused', () => {
      fc.assert(
        fc.property(validCodeArb, alphabetChar, (code, c) => {
          fc.pre(c !== code[17]);
          expect(validateUnifiedSocialCreditCode(replaceAt(code, 17, c))).toEqual({ ok: false, reason: `check character should be ${code[17]}, got ${c}` });
        }),
      );
    });
  });
});
