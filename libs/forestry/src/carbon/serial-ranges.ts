import { CarbonError } from './carbon.errors';

/** Serial numbers are per project, from 1, both ends inclusive: [1, 12723] holds 12,723 tonnes. */
export interface SerialRange {
  start: bigint;
  end: bigint;
}

/** A stored block: a range with an identity (its row id). */
export interface SerialBlock extends SerialRange {
  id: string;
}

/** What an order or a retirement takes from one block: `taken` goes away, `rest` (if any) stays in the block. */
export interface BlockTake {
  blockId: string;
  taken: SerialRange;
  rest: SerialRange | null;
}

export function rangeSize(range: SerialRange): bigint {
  return range.end - range.start + 1n;
}

/** A whole number of tonnes as text: positive, at most 15 digits. */
export const WHOLE_TONNES_PATTERN = /^[1-9][0-9]{0,14}$/;

/** Parses a whole number of tonnes (text "2723" or a bigint); refuses fractions, signs and zero. */
export function wholeTonnes(value: unknown, field: string): bigint {
  if (typeof value === 'bigint') {
    if (value <= 0n) throw new CarbonError('INVALID_CARBON_INPUT', `${field} must be a positive whole number of tonnes`, field);
    return value;
  }
  if (typeof value !== 'string' || !WHOLE_TONNES_PATTERN.test(value)) {
    throw new CarbonError('INVALID_CARBON_INPUT', `${field} must be a positive whole number of tonnes as text, e.g. "2723"; got ${JSON.stringify(value)}`, field);
  }
  return BigInt(value);
}

/**
 * Takes `quantity` serials from `blocks` in the order given (the caller orders them FIFO: by vintage,
 * then serial start). Each block gives its lowest serials first, so a split leaves the upper part
 * `[start + n, end]` in place and hands out `[start, start + n − 1]`. Blocks not needed are untouched.
 */
export function takeSerials(blocks: readonly SerialBlock[], quantity: bigint): BlockTake[] {
  if (quantity <= 0n) throw new CarbonError('INVALID_CARBON_INPUT', 'quantity must be at least one tonne', 'quantity');
  const available = blocks.reduce((sum, b) => sum + rangeSize(b), 0n);
  if (available < quantity) {
    throw new CarbonError('INSUFFICIENT_CREDITS', `${quantity} t asked, ${available} t available`, 'quantity', { requested: quantity.toString(), available: available.toString() });
  }
  const takes: BlockTake[] = [];
  let left = quantity;
  for (const block of blocks) {
    if (left === 0n) break;
    if (block.end < block.start) throw new RangeError(`block ${block.id} is empty or inverted`);
    const size = rangeSize(block);
    if (size <= left) {
      takes.push({ blockId: block.id, taken: { start: block.start, end: block.end }, rest: null });
      left -= size;
    } else {
      const cut = block.start + left; // first serial that stays
      takes.push({ blockId: block.id, taken: { start: block.start, end: cut - 1n }, rest: { start: cut, end: block.end } });
      left = 0n;
    }
  }
  return takes;
}

/** Adjacent ranges joined, in ascending order: [1-5, 6-9, 12-12] → [1-9, 12-12]. For certificates and sale records. */
export function mergeRanges(ranges: readonly SerialRange[]): SerialRange[] {
  const sorted = [...ranges].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: SerialRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end + 1n) last.end = r.end > last.end ? r.end : last.end;
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/**
 * The serials of one issuance: numbering continues after the project's last issued serial; the
 * owner gets the lower part, the buffer the upper `bufferTonnes` (none when zero).
 */
export function issuanceRanges(lastIssued: bigint, quantity: bigint, bufferTonnes: bigint): { issued: SerialRange; held: SerialRange | null; buffer: SerialRange | null } {
  if (lastIssued < 0n || quantity <= 0n || bufferTonnes < 0n || bufferTonnes > quantity) throw new RangeError('issuanceRanges: invalid arguments');
  const issued = { start: lastIssued + 1n, end: lastIssued + quantity };
  const heldEnd = issued.end - bufferTonnes;
  return {
    issued,
    held: heldEnd >= issued.start ? { start: issued.start, end: heldEnd } : null,
    buffer: bufferTonnes > 0n ? { start: heldEnd + 1n, end: issued.end } : null,
  };
}

/** The buffer share of an issuance, rounded down to whole tonnes: floor(quantity × ratio), exact (ratio has at most 6 decimals). */
export function bufferTonnes(quantity: bigint, ratio: string): bigint {
  const match = /^(0|1)(?:\.([0-9]{1,6}))?$/.exec(ratio);
  if (!match || (match[1] === '1' && /[1-9]/.test(match[2] ?? '')))
    throw new CarbonError('INVALID_CARBON_INPUT', `buffer ratio must be a decimal from 0 to 1 with up to 6 places; got ${JSON.stringify(ratio)}`, 'bufferRatio');
  const millionths = BigInt(match[1]) * 1_000_000n + BigInt((match[2] ?? '').padEnd(6, '0'));
  return (quantity * millionths) / 1_000_000n; // bigint division truncates: floor for non-negatives
}

/** `<standard>-<project>-<vintage>-<start>-<end>`, e.g. FFCER-JL-CK-2021-1-12723. */
export function serialText(standard: string, project: string, vintage: string, range: SerialRange): string {
  return `${standard}-${project}-${vintage}-${range.start}-${range.end}`;
}
