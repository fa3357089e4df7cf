import { Dec } from '@forest-ledger/ledger/domain';
import type { PartyKind } from '../parties/party.model';

/** What a disclosure (公示) is about: a 林票 issuance (subject: the project's code), a dividend (the declaration's id), an income-right issuance (the scheme's code). */
export const DISCLOSURE_SUBJECT_KINDS = ['TICKET_ISSUANCE', 'DIVIDEND', 'INCOME_RIGHT_ISSUANCE'] as const;
export type DisclosureSubjectKind = (typeof DISCLOSURE_SUBJECT_KINDS)[number];

export interface DisclosureSubject {
  kind: DisclosureSubjectKind;
  id: string;
}

/**
 * A round's stored state. PUBLISHED: on the village's board (its objection period running or over);
 * SUPERSEDED: an objection was upheld or a new round was published; WITHDRAWN: taken down (the plan
 * was dropped); CONCLUDED: the approval or issuance it cleared has happened.
 */
export const DISCLOSURE_STATES = ['PUBLISHED', 'SUPERSEDED', 'WITHDRAWN', 'CONCLUDED'] as const;
export type DisclosureState = (typeof DISCLOSURE_STATES)[number];

export const OBJECTION_STATES = ['OPEN', 'UPHELD', 'DISMISSED'] as const;
export type ObjectionState = (typeof OBJECTION_STATES)[number];
export const OBJECTION_OUTCOMES = ['UPHELD', 'DISMISSED'] as const;
export type ObjectionOutcome = (typeof OBJECTION_OUTCOMES)[number];

/** Where a PUBLISHED round stands today: in its period, past it with an objection open, or cleared. Other states are their own phase. */
export type DisclosurePhase = 'IN_PERIOD' | 'OBJECTION_OPEN' | 'CLEARED' | Exclude<DisclosureState, 'PUBLISHED'>;

/** Longest period a region may set, in days. */
export const MAX_DISCLOSURE_DAYS = 90;
export const OBJECTION_TEXT_MAX = 2000;
export const REASON_MAX = 1000;
export const RAISED_BY_MAX = 100;

export const SUBJECT_LABELS: Record<DisclosureSubjectKind, string> = {
  TICKET_ISSUANCE: '林票发行',
  DIVIDEND: '林票分红',
  INCOME_RIGHT_ISSUANCE: '集体林地收益权证书发放',
};

function plusDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/**
 * The objection period of a list published on `publishedOn` (a business day, Asia/Shanghai) for
 * `days` days. As 民法典 §201 counts periods in days, the day of publication does not count: the
 * period runs from the next day through `endsOn` (both inclusive), and the list clears on `clearsOn`,
 * the day after. 7 days from 2026-03-02: 03-03 … 03-09, approval from 03-10. (No holiday calendar:
 * a period ending on a holiday is not extended.)
 */
export function disclosurePeriod(publishedOn: string, days: number): { startsOn: string; endsOn: string; clearsOn: string } {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`days must be a positive whole number; got ${days}`);
  return { startsOn: plusDays(publishedOn, 1), endsOn: plusDays(publishedOn, days), clearsOn: plusDays(publishedOn, days + 1) };
}

/** The phase of a round on `today`: a PUBLISHED round is IN_PERIOD through its last day, then OBJECTION_OPEN while any objection is open, else CLEARED. */
export function phaseOf(round: { state: DisclosureState; endsOn: string }, openObjections: number, today: string): DisclosurePhase {
  if (round.state !== 'PUBLISHED') return round.state;
  if (today <= round.endsOn) return 'IN_PERIOD';
  return openObjections > 0 ? 'OBJECTION_OPEN' : 'CLEARED';
}

/** The region setting that applies to a village: its own, else its township's, else its county's; none is 0 (off). */
export function effectiveDays(settings: ReadonlyArray<number | null | undefined>): number {
  for (const days of settings) if (days !== null && days !== undefined) return days;
  return 0;
}

/**
 * How a holder appears on the public list. A person shows their surname and a star per further
 * character (张守仁 → 张**, 李明 → 李*); the project's state farm and the village collective by what
 * they are; any other organisation like a person (its first character), so no full name is public.
 */
export function noticeName(kind: PartyKind, name: string): string {
  if (kind === 'STATE_FARM') return '国有林场';
  if (kind === 'COLLECTIVE') return '村集体经济组织';
  const chars = Array.from(name.normalize('NFKC').trim());
  if (chars.length === 0) return '*';
  return chars[0] + '*'.repeat(Math.max(chars.length - 1, 1));
}

/** One line of a list: who (the party's id), units, and for a payment the amount. */
export interface PlanLine {
  party: string;
  units: string;
  amount: string | null;
}

/**
 * Whether the plan now is the list as published: the same holders in the same order with the same
 * units and amounts (compared as numbers, so "100" equals "100.00"), and the same parameters.
 */
export function samePlan(
  published: { lines: readonly PlanLine[]; params: Record<string, unknown> },
  now: { lines: readonly PlanLine[]; params: Record<string, unknown> },
): boolean {
  if (published.lines.length !== now.lines.length) return false;
  if (JSON.stringify(sorted(published.params)) !== JSON.stringify(sorted(now.params))) return false;
  return published.lines.every((p, i) => {
    const n = now.lines[i];
    return p.party === n.party && new Dec(p.units).equals(n.units) && (p.amount === null ? n.amount === null : n.amount !== null && new Dec(p.amount).equals(n.amount));
  });
}

function sorted(params: Record<string, unknown>): Array<[string, unknown]> {
  return Object.entries(params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
