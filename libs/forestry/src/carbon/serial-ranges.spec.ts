import fc from 'fast-check';
import { bufferTonnes, issuanceRanges, mergeRanges, rangeSize, SerialBlock, serialText, takeSerials, wholeTonnes } from './serial-ranges';

const block = (id: string, start: number, end: number): SerialBlock => ({ id, start: BigInt(start), end: BigInt(end) });
const r = (start: number, end: number) => ({ start: BigInt(start), end: BigInt(end) });

describe('takeSerials (FIFO over blocks, splitting the last one)', () => {
  const blocks = [block('a', 1, 100), block('b', 101, 150), block('c', 301, 310)];

  it('takes exactly a whole block: no split, the next block untouched', () => {
    expect(takeSerials(blocks, 100n)).toEqual([{ blockId: 'a', taken: r(1, 100), rest: null }]);
  });

  it('one less than a block: the block keeps its last serial', () => {
    expect(takeSerials(blocks, 99n)).toEqual([{ blockId: 'a', taken: r(1, 99), rest: r(100, 100) }]);
  });

  it('one more than a block: the whole block and the first serial of the next', () => {
    expect(takeSerials(blocks, 101n)).toEqual([
      { blockId: 'a', taken: r(1, 100), rest: null },
      { blockId: 'b', taken: r(101, 101), rest: r(102, 150) },
    ]);
  });

  it('one tonne, and everything', () => {
    expect(takeSerials(blocks, 1n)).toEqual([{ blockId: 'a', taken: r(1, 1), rest: r(2, 100) }]);
    expect(takeSerials(blocks, 160n).map((t) => t.rest)).toEqual([null, null, null]);
  });

  it('refuses more than available and nothing at all', () => {
    expect(() => takeSerials(blocks, 161n)).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_CREDITS', details: { requested: '161', available: '160' } }));
    expect(() => takeSerials(blocks, 0n)).toThrow(expect.objectContaining({ code: 'INVALID_CARBON_INPUT' }));
    expect(() => takeSerials([], 1n)).toThrow(expect.objectContaining({ code: 'INSUFFICIENT_CREDITS' }));
  });

  const arbBlocks = fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 1, max: 60 })), { minLength: 1, maxLength: 8 }).map((specs) => {
    let next = 1n;
    return specs.map(([gap, size], i): SerialBlock => {
      const start = next + BigInt(gap);
      next = start + BigInt(size);
      return { id: String(i), start, end: start + BigInt(size) - 1n };
    });
  });

  it('property: taken + rest is the block exactly, taken adds up to the quantity, no serial twice, FIFO', () => {
    fc.assert(
      fc.property(arbBlocks, fc.integer({ min: 1, max: 1000 }), (bs, q) => {
        const total = bs.reduce((s, b) => s + rangeSize(b), 0n);
        const quantity = BigInt(q) > total ? total : BigInt(q);
        const takes = takeSerials(bs, quantity);
        expect(takes.reduce((s, t) => s + rangeSize(t.taken), 0n)).toBe(quantity);
        takes.forEach((t, i) => {
          const b = bs[i];
          expect(t.blockId).toBe(b.id); // a prefix of the blocks, in order
          expect(t.taken.start).toBe(b.start);
          if (t.rest) {
            expect(i).toBe(takes.length - 1); // only the last one is split
            expect(t.taken.end + 1n).toBe(t.rest.start);
            expect(t.rest.end).toBe(b.end);
            expect(rangeSize(t.rest)).toBeGreaterThanOrEqual(1n);
          } else expect(t.taken.end).toBe(b.end);
        });
        const serials = new Set<bigint>();
        for (const t of takes) for (let s = t.taken.start; s <= t.taken.end; s++) serials.add(s);
        expect(BigInt(serials.size)).toBe(quantity);
      }),
    );
  });
});

describe('issuanceRanges and bufferTonnes', () => {
  it('continues the numbering after the last issued serial; the buffer takes the top', () => {
    expect(issuanceRanges(0n, 12723n, 0n)).toEqual({ issued: r(1, 12723), held: r(1, 12723), buffer: null });
    expect(issuanceRanges(12723n, 1000n, 100n)).toEqual({ issued: r(12724, 13723), held: r(12724, 13623), buffer: r(13624, 13723) });
    expect(issuanceRanges(5n, 1n, 1n)).toEqual({ issued: r(6, 6), held: null, buffer: r(6, 6) });
  });

  it('rounds the buffer down to whole tonnes, exactly', () => {
    expect(bufferTonnes(12723n, '0')).toBe(0n);
    expect(bufferTonnes(12723n, '0.1')).toBe(1272n);
    expect(bufferTonnes(12723n, '0.200000')).toBe(2544n);
    expect(bufferTonnes(9n, '0.111111')).toBe(0n);
    expect(bufferTonnes(10n, '0.1')).toBe(1n);
    expect(bufferTonnes(7n, '1')).toBe(7n);
    expect(() => bufferTonnes(7n, '1.5')).toThrow(expect.objectContaining({ code: 'INVALID_CARBON_INPUT' }));
    expect(() => bufferTonnes(7n, '0.1234567')).toThrow(expect.objectContaining({ code: 'INVALID_CARBON_INPUT' }));
  });

  it('property: held and buffer partition the issued range; buffer ≤ q × ratio < buffer + 1', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 9n }), fc.bigInt({ min: 1n, max: 10n ** 9n }), fc.integer({ min: 0, max: 1_000_000 }), (last, q, millionths) => {
        const ratio = (millionths / 1_000_000).toFixed(6);
        const b = bufferTonnes(q, ratio);
        expect(b * 1_000_000n <= q * BigInt(millionths)).toBe(true);
        expect((b + 1n) * 1_000_000n > q * BigInt(millionths)).toBe(true);
        const { issued, held, buffer } = issuanceRanges(last, q, b);
        expect(issued.start).toBe(last + 1n);
        expect(rangeSize(issued)).toBe(q);
        expect((held ? rangeSize(held) : 0n) + (buffer ? rangeSize(buffer) : 0n)).toBe(q);
        if (held && buffer) expect(held.end + 1n).toBe(buffer.start);
      }),
    );
  });
});

describe('mergeRanges, serialText, wholeTonnes', () => {
  it('joins adjacent ranges only', () => {
    expect(mergeRanges([r(6, 9), r(1, 5), r(12, 12)])).toEqual([r(1, 9), r(12, 12)]);
    expect(mergeRanges([])).toEqual([]);
  });
  it('formats a block', () => {
    expect(serialText('FFCER', 'JL-CK', '2021', r(1, 12723))).toBe('FFCER-JL-CK-2021-1-12723');
  });
  it('parses whole tonnes only', () => {
    expect(wholeTonnes('2723', 'quantity')).toBe(2723n);
    for (const bad of ['0', '-1', '1.5', '01', '', 12, null])
      expect(() => wholeTonnes(bad, 'quantity')).toThrow(expect.objectContaining({ code: 'INVALID_CARBON_INPUT', field: 'quantity' }));
  });
});
