import { allocate, Dec } from '@forest-ledger/ledger/domain';
import { CarbonError } from './carbon.errors';

/**
 * A revenue-sharing rule (收益分配规则), stored as JSON with a version per project. Its shares' ratios
 * (decimals, up to 6 places) add up to exactly 1:
 *  - PARTY: a fixed share to one party (the farm, the collective …);
 *  - PER_PERSON / PER_HOUSEHOLD: a share split equally among the active villagers / the households of `collective`;
 *  - TICKET_UNITS: a share split pro rata to the units of the linked 林票 series held at the sale date.
 */
export type RevenueShare =
  { kind: 'PARTY'; ratio: string; party: string } | { kind: 'PER_PERSON' | 'PER_HOUSEHOLD'; ratio: string; collective: string } | { kind: 'TICKET_UNITS'; ratio: string };

export interface RevenueRule {
  shares: RevenueShare[];
}

export const REVENUE_SHARE_KINDS = ['PARTY', 'PER_PERSON', 'PER_HOUSEHOLD', 'TICKET_UNITS'] as const;
/** A share's ratio as text: 0 < ratio ≤ 1, up to 6 decimals (the zero and above-1 cases are refused by value). */
export const REVENUE_RATIO_PATTERN = /^(0|1)(\.[0-9]{1,6})?$/;
export const MAX_REVENUE_SHARES = 20;

function invalid(message: string, field: string): CarbonError {
  return new CarbonError('INVALID_REVENUE_RULE', message, field);
}

/** Checks a rule's shape and that the ratios add up to 1; returns a clean copy (ratios normalised, no extra keys). */
export function checkRevenueRule(rule: unknown): RevenueRule {
  const shares = (rule as { shares?: unknown } | null)?.shares;
  if (!Array.isArray(shares) || shares.length === 0 || shares.length > MAX_REVENUE_SHARES) throw invalid(`rule.shares must list 1 to ${MAX_REVENUE_SHARES} shares`, 'rule.shares');
  let sum = new Dec(0);
  const clean = shares.map((raw: unknown, i): RevenueShare => {
    const at = `rule.shares[${i}]`;
    const s = (raw ?? {}) as Record<string, unknown>;
    if (typeof s.ratio !== 'string' || !REVENUE_RATIO_PATTERN.test(s.ratio) || new Dec(s.ratio).isZero() || new Dec(s.ratio).greaterThan(1)) {
      throw invalid(`${at}.ratio must be a decimal above 0 and at most 1 with up to 6 places, e.g. "0.30"`, `${at}.ratio`);
    }
    const ratio = new Dec(s.ratio).toString();
    sum = sum.plus(ratio);
    switch (s.kind) {
      case 'PARTY':
        if (typeof s.party !== 'string' || s.party === '') throw invalid(`${at}.party must be a party code`, `${at}.party`);
        return { kind: 'PARTY', ratio, party: s.party };
      case 'PER_PERSON':
      case 'PER_HOUSEHOLD':
        if (typeof s.collective !== 'string' || s.collective === '') throw invalid(`${at}.collective must be the code of a collective`, `${at}.collective`);
        return { kind: s.kind, ratio, collective: s.collective };
      case 'TICKET_UNITS':
        return { kind: 'TICKET_UNITS', ratio };
      default:
        throw invalid(`${at}.kind must be one of ${REVENUE_SHARE_KINDS.join(', ')}`, `${at}.kind`);
    }
  });
  if (!sum.equals(1)) throw invalid(`the shares' ratios add up to ${sum.toString()}, not 1`, 'rule.shares');
  return { shares: clean };
}

export interface RevenueRecipient {
  party: string;
  /** Non-negative decimal: 1 per person or household, units held for TICKET_UNITS. */
  weight: string;
}

export interface RevenueShareLine {
  share: number;
  party: string;
  amount: string;
}

/**
 * Splits `gross` (CNY) by the rule, exact to the 分: first among the shares by ratio, then each
 * share's part among its recipients by weight, both by the largest remainder (ties to the earlier
 * share, the earlier recipient: callers order recipients by a stable key). `recipients[i]` lists
 * share i's recipients (a PARTY share: its party with weight 1). Lines with a zero amount are
 * dropped; the lines add up to `gross`.
 */
export function splitRevenue(gross: string, rule: RevenueRule, recipients: ReadonlyArray<readonly RevenueRecipient[]>): RevenueShareLine[] {
  if (recipients.length !== rule.shares.length) throw new RangeError('splitRevenue: one recipient list per share');
  const parts = allocate(
    gross,
    rule.shares.map((s) => s.ratio),
    2,
  );
  const lines: RevenueShareLine[] = [];
  rule.shares.forEach((share, i) => {
    if (parts[i].isZero()) return;
    const list = recipients[i];
    const weights = list.map((r) => r.weight);
    if (list.length === 0 || weights.every((w) => new Dec(w).isZero())) {
      throw new CarbonError('NO_REVENUE_RECIPIENTS', `share ${i + 1} (${share.kind}) of the revenue rule has nobody to pay`, `rule.shares[${i}]`, { share: i, kind: share.kind });
    }
    allocate(parts[i], weights, 2).forEach((amount, j) => {
      if (!amount.isZero()) lines.push({ share: i, party: list[j].party, amount: amount.toFixed(2) });
    });
  });
  return lines;
}

/** One amount per party (a party may be paid under two shares), in order of first appearance. */
export function revenueTotalsByParty(lines: readonly RevenueShareLine[]): Array<{ party: string; amount: string }> {
  const totals = new Map<string, Dec>();
  for (const l of lines) totals.set(l.party, (totals.get(l.party) ?? new Dec(0)).plus(l.amount));
  return [...totals].map(([party, amount]) => ({ party, amount: amount.toFixed(2) }));
}

/** quantity × unit price, rounded half-up to the 分 once (DOMAIN.md §9). */
export function carbonSaleAmount(quantity: bigint, unitPrice: string): string {
  return new Dec(quantity.toString()).times(unitPrice).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2);
}
