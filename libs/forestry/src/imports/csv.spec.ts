import fc from 'fast-check';
import { parseCsv, serialiseCsv } from './csv';
import { TableReadError } from './imports.errors';

describe('parseCsv', () => {
  it('splits records and fields', () => {
    expect(parseCsv('a,b,c\r\n1,2,3\r\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ]);
  });

  it('accepts CRLF, LF and lone CR line ends, mixed', () => {
    expect(parseCsv('a,b\r\n1,2\n3,4\r5,6')).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
  });

  it('returns the last record whether or not a line break ends the file', () => {
    expect(parseCsv('a\r\nb')).toEqual([['a'], ['b']]);
    expect(parseCsv('a\r\nb\r\n')).toEqual([['a'], ['b']]);
    expect(parseCsv('a\nb\n')).toEqual([['a'], ['b']]);
  });

  it('keeps quoted commas, line breaks and doubled quotes', () => {
    const text = '名称,备注\r\n"大西沟村,后沟","第一行\r\n第二行\n第三行"\r\n"他说""好""",x\r\n';
    expect(parseCsv(text)).toEqual([
      ['名称', '备注'],
      ['大西沟村,后沟', '第一行\r\n第二行\n第三行'],
      ['他说"好"', 'x'],
    ]);
  });

  it('reads empty fields, empty quoted fields, trailing commas and empty lines', () => {
    expect(parseCsv('a,,c\r\n"",b,\r\n\r\n,\r\n')).toEqual([['a', '', 'c'], ['', 'b', ''], [''], ['', '']]);
  });

  it('keeps spaces: trimming is the reader’s job', () => {
    expect(parseCsv(' a , b \r\n')).toEqual([[' a ', ' b ']]);
  });

  it('is lenient where Excel is: text after a closing quote and quotes inside unquoted fields are literal', () => {
    expect(parseCsv('"ab"c,d"e"f\r\n')).toEqual([['abc', 'd"e"f']]);
    expect(parseCsv(' "a",b')).toEqual([[' "a"', 'b']]);
  });

  it('returns no records for empty text', () => {
    expect(parseCsv('')).toEqual([]);
  });

  it('refuses a quoted field that is never closed, naming the row it starts on', () => {
    const attempt = () => parseCsv('a,b\r\n1,2\r\n"open,3\r\n4,5\r\n');
    expect(attempt).toThrow(TableReadError);
    expect(attempt).toThrow(/row 3/);
    try {
      attempt();
    } catch (error: unknown) {
      expect(error).toMatchObject({ code: 'IMPORT_MALFORMED_CSV', kind: 'invalid', details: { row: 3 } });
    }
  });

  it('reads a large file in linear time', () => {
    const line = '1,晋(2025)阳城县不动产权第0001001号,"芹池镇大西沟村,后沟",29.800\r\n';
    const started = Date.now();
    const records = parseCsv(line.repeat(50_000));
    expect(records).toHaveLength(50_000);
    expect(records[49_999][2]).toBe('芹池镇大西沟村,后沟');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('serialiseCsv', () => {
  it('quotes only the fields that need it and ends every record', () => {
    expect(serialiseCsv([['a', 'b,c', 'd"e', 'f\ng', ''], ['x']])).toBe('a,"b,c","d""e","f\ng",\r\nx\r\n');
    expect(serialiseCsv([['a']], '\n')).toBe('a\n');
  });

  it('keeps a record of one empty field', () => {
    expect(parseCsv(serialiseCsv([['a'], [''], ['b']]))).toEqual([['a'], [''], ['b']]);
  });
});

describe('serialise → parse round trip (property)', () => {
  /** Biased towards the characters that matter to CSV, with some CJK and an astral-plane character. */
  const tricky = fc.string({
    unit: fc.constantFrom(',', '"', '\r', '\n', ' ', '\u3000', 'a', 'Z', '0', '林', '权', '𠀀', '\t', ';'),
    maxLength: 12,
  });
  const anyText = fc.string({ unit: 'grapheme', maxLength: 12 });
  const field = fc.oneof(tricky, anyText);
  const table = fc.array(fc.array(field, { minLength: 1, maxLength: 6 }), { maxLength: 8 });

  it('parse(serialise(records)) equals records, with CRLF or LF', () => {
    fc.assert(
      fc.property(table, fc.constantFrom<'\r\n' | '\n'>('\r\n', '\n'), (records, eol) => {
        expect(parseCsv(serialiseCsv(records, eol))).toEqual(records);
      }),
      { numRuns: 1000 },
    );
  });

  it('serialise(parse(text)) is a fixed point after one round', () => {
    fc.assert(
      fc.property(table, (records) => {
        const once = serialiseCsv(records);
        expect(serialiseCsv(parseCsv(once))).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});
