import Decimal from 'decimal.js';
import { allocate, Dec } from '@forest-ledger/ledger/domain';

/**
 * The pure part of transfer subsidies (林权流转奖补, DOMAIN.md §6): rule selection, eligibility,
 * amounts, shares, instalments and clawback. No I/O; every number a rule uses comes in as data.
 * Dates are calendar dates YYYY-MM-DD; a contract's end date is its last day in force (inclusive).
 */

export const TRANSFER_MODES = ['LEASE', 'EQUITY', 'COOPERATION', 'SUBCONTRACT'] as const;
export type TransferMode = (typeof TRANSFER_MODES)[number];
/** 出租 / 入股 / 合作 / 转包 */
export const TRANSFER_MODE_LABELS: Readonly<Record<TransferMode, string>> = { LEASE: '出租', EQUITY: '入股', COOPERATION: '合作', SUBCONTRACT: '转包' };

export const RATE_BASES = ['PER_MU', 'PER_CONTRACT'] as const;
export type RateBasis = (typeof RATE_BASES)[number];
export const RECIPIENT_ROLES = ['TRANSFEROR', 'TRANSFEREE'] as const;
export type RecipientRole = (typeof RECIPIENT_ROLES)[number];

export interface RecipientShare {
  role: RecipientRole;
  /** Decimal text, e.g. "0.60"; the shares of a rule sum to 1. */
  share: string;
}

export interface InstalmentTerm {
  /** Decimal text; the instalments of a rule sum to 1. */
  share: string;
  /** Due on approval (0) or once the contract has run this many whole years; never before approval. */
  afterContractYears: number;
}

/** One version of a programme's rule, in force from `effectiveFrom` until the next version's date. */
export interface RuleTerms {
  version: number;
  effectiveFrom: string;
  rateBasis: RateBasis;
  /** CNY per 亩 (PER_MU, up to 6 decimals) or per contract (PER_CONTRACT, 2 decimals). */
  rate: string;
  capPerContract: string | null;
  capPerRecipientPerYear: string | null;
  minTermYears: number;
  minAreaMu: string;
  /** Empty: every mode. */
  modes: readonly TransferMode[];
  /** Empty: every kind. */
  transferorKinds: readonly string[];
  transfereeKinds: readonly string[];
  recipients: readonly RecipientShare[];
  instalments: readonly InstalmentTerm[];
  /** Share of what was paid that is clawed back, pro rata to the unexpired term, e.g. "1.00". */
  clawbackRate: string;
}

export interface ContractFacts {
  startDate: string;
  endDate: string;
  areaMu: string;
  mode: TransferMode;
  transferorKind: string;
  transfereeKind: string;
  /** Whether the contract's township lies in the programme's region. */
  inProgrammeRegion: boolean;
  /** Whether the contract is registered or active (not ended or terminated). */
  inForce: boolean;
}

export type EligibilityCheck = 'RULE_IN_FORCE' | 'CONTRACT_IN_FORCE' | 'REGION' | 'MIN_TERM' | 'MIN_AREA' | 'MODE' | 'TRANSFEROR_KIND' | 'TRANSFEREE_KIND';

export interface EligibilityReason {
  check: EligibilityCheck;
  met: boolean;
  required: string;
  actual: string;
}

const MONEY_SCALE = 2;

/** The version in force on `date`: the latest effectiveFrom on or before it (null when none). */
export function ruleInForce<R extends Pick<RuleTerms, 'effectiveFrom' | 'version'>>(rules: readonly R[], date: string): R | null {
  let best: R | null = null;
  for (const rule of rules) {
    if (rule.effectiveFrom > date) continue;
    if (best === null || rule.effectiveFrom > best.effectiveFrom || (rule.effectiveFrom === best.effectiveFrom && rule.version > best.version)) best = rule;
  }
  return best;
}

/** `start` plus whole years (29 February falls back to 28 February). */
export function plusYears(start: string, years: number): string {
  const [y, m, d] = start.split('-').map(Number);
  const date = new Date(Date.UTC(y + years, m - 1, d));
  if (date.getUTCMonth() !== m - 1) date.setUTCDate(0);
  return date.toISOString().slice(0, 10);
}

export function plusDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** Whole years the contract runs: 2025-01-01 … 2029-12-31 is 5 years. */
export function termYears(startDate: string, endDate: string): number {
  const dayAfterEnd = plusDays(endDate, 1);
  let years = 0;
  while (plusYears(startDate, years + 1) <= dayAfterEnd) years += 1;
  return years;
}

/** Every eligibility check of the rule with its outcome; eligible when all are met. */
export function evaluateEligibility(rule: RuleTerms | null, facts: ContractFacts): { eligible: boolean; reasons: EligibilityReason[] } {
  const reasons: EligibilityReason[] = [
    {
      check: 'RULE_IN_FORCE',
      met: rule !== null,
      required: 'a rule version in force on the contract start date',
      actual: rule ? `version ${rule.version} from ${rule.effectiveFrom}` : `none on ${facts.startDate}`,
    },
    { check: 'CONTRACT_IN_FORCE', met: facts.inForce, required: 'contract registered or active', actual: facts.inForce ? 'in force' : 'ended or terminated' },
    { check: 'REGION', met: facts.inProgrammeRegion, required: "contract's township within the programme's region", actual: facts.inProgrammeRegion ? 'within' : 'outside' },
  ];
  if (rule !== null) {
    const years = termYears(facts.startDate, facts.endDate);
    reasons.push({
      check: 'MIN_TERM',
      met: years >= rule.minTermYears,
      required: `≥ ${rule.minTermYears} years`,
      actual: `${years} years (${facts.startDate} – ${facts.endDate})`,
    });
    reasons.push({
      check: 'MIN_AREA',
      met: new Dec(facts.areaMu).greaterThanOrEqualTo(rule.minAreaMu),
      required: `≥ ${new Dec(rule.minAreaMu).toFixed(4)} 亩`,
      actual: `${new Dec(facts.areaMu).toFixed(4)} 亩`,
    });
    const anyOf = (list: readonly string[]) => (list.length === 0 ? 'any' : `one of ${list.join(', ')}`);
    reasons.push({ check: 'MODE', met: rule.modes.length === 0 || rule.modes.includes(facts.mode), required: anyOf(rule.modes), actual: facts.mode });
    reasons.push({
      check: 'TRANSFEROR_KIND',
      met: rule.transferorKinds.length === 0 || rule.transferorKinds.includes(facts.transferorKind),
      required: anyOf(rule.transferorKinds),
      actual: facts.transferorKind,
    });
    reasons.push({
      check: 'TRANSFEREE_KIND',
      met: rule.transfereeKinds.length === 0 || rule.transfereeKinds.includes(facts.transfereeKind),
      required: anyOf(rule.transfereeKinds),
      actual: facts.transfereeKind,
    });
  }
  return { eligible: reasons.every((r) => r.met), reasons };
}

export interface RecipientInput {
  role: RecipientRole;
  party: string;
  /** Already approved to this party under the programme in the year of the approval (for the annual cap). */
  approvedThisYear: string;
}

export interface RecipientAmount {
  role: RecipientRole;
  party: string;
  share: string;
  /** The share of the contract amount (largest remainder), before the annual cap. */
  allocated: string;
  approvedThisYear: string;
  amount: string;
}

export interface Calculation {
  rateBasis: RateBasis;
  rate: string;
  areaMu: string;
  /** rate × area rounded half-up to the 分, or the fixed amount. */
  gross: string;
  capPerContract: string | null;
  afterContractCap: string;
  capPerRecipientPerYear: string | null;
  recipients: RecipientAmount[];
  total: string;
  /** The same, in words, one line per step. */
  steps: string[];
}

const money = (d: Decimal.Value): string => new Dec(d).toFixed(MONEY_SCALE);

/**
 * The subsidy of a contract under a rule: rate × area (or the fixed amount), rounded half-up to the
 * 分 once, capped per contract, split by the rule's shares by largest remainder (recipients in the
 * rule's order), then each part capped by what is left of the recipient's annual cap.
 */
export function calculateSubsidy(rule: RuleTerms, areaMu: string, recipients: readonly RecipientInput[]): Calculation {
  const steps: string[] = [];
  const area = new Dec(areaMu);
  let gross: Decimal;
  if (rule.rateBasis === 'PER_MU') {
    gross = new Dec(rule.rate).times(area).toDecimalPlaces(MONEY_SCALE, Decimal.ROUND_HALF_UP);
    steps.push(`${new Dec(rule.rate).toString()} 元/亩 × ${area.toFixed(4)} 亩 = ${money(gross)} 元 (四舍五入到分)`);
  } else {
    gross = new Dec(rule.rate).toDecimalPlaces(MONEY_SCALE, Decimal.ROUND_HALF_UP);
    steps.push(`每份合同定额 ${money(gross)} 元`);
  }
  let capped = gross;
  if (rule.capPerContract !== null && gross.greaterThan(rule.capPerContract)) {
    capped = new Dec(rule.capPerContract);
    steps.push(`单份合同上限 ${money(capped)} 元 → ${money(capped)} 元`);
  }
  const ordered = rule.recipients.map((r) => {
    const who = recipients.find((x) => x.role === r.role);
    if (!who) throw new Error(`no party given for recipient role ${r.role}`);
    return { ...who, share: r.share };
  });
  const parts = allocate(
    capped,
    ordered.map((r) => r.share),
    MONEY_SCALE,
  );
  const out: RecipientAmount[] = ordered.map((r, i) => {
    let amount = parts[i];
    const used = new Dec(r.approvedThisYear);
    if (rule.capPerRecipientPerYear !== null) {
      const room = Decimal.max(new Dec(rule.capPerRecipientPerYear).minus(used), 0);
      if (amount.greaterThan(room)) {
        steps.push(`${r.role} ${r.party}: 年度上限 ${money(rule.capPerRecipientPerYear)} 元, 本年已批 ${money(used)} 元 → ${money(room)} 元`);
        amount = room;
      }
    }
    steps.push(`${r.role} ${r.party}: 份额 ${new Dec(r.share).times(100).toString()}% → ${money(parts[i])} 元${amount.equals(parts[i]) ? '' : `, 封顶后 ${money(amount)} 元`}`);
    return { role: r.role, party: r.party, share: new Dec(r.share).toString(), allocated: money(parts[i]), approvedThisYear: money(used), amount: money(amount) };
  });
  const total = out.reduce((s, r) => s.plus(r.amount), new Dec(0));
  steps.push(`合计 ${money(total)} 元`);
  return {
    rateBasis: rule.rateBasis,
    rate: new Dec(rule.rate).toString(),
    areaMu: area.toFixed(4),
    gross: money(gross),
    capPerContract: rule.capPerContract === null ? null : money(rule.capPerContract),
    afterContractCap: money(capped),
    capPerRecipientPerYear: rule.capPerRecipientPerYear === null ? null : money(rule.capPerRecipientPerYear),
    recipients: out,
    total: money(total),
    steps,
  };
}

export interface ScheduledInstalment {
  seq: number;
  dueDate: string;
  amount: string;
  /** Per recipient party, in the calculation's order; parties with nothing this time are left out. */
  splits: Array<{ party: string; amount: string }>;
}

/**
 * Each recipient's amount split over the instalments by largest remainder, so every recipient gets
 * exactly their amount in the end and every instalment is the sum of its splits. Due on
 * max(approval date, contract start + N years). Instalments of zero are left out.
 */
export function instalmentSchedule(
  terms: readonly InstalmentTerm[],
  recipients: ReadonlyArray<{ party: string; amount: string }>,
  approvalDate: string,
  contractStart: string,
): ScheduledInstalment[] {
  const perRecipient = recipients.map((r) =>
    allocate(
      r.amount,
      terms.map((t) => t.share),
      MONEY_SCALE,
    ),
  );
  const schedule: ScheduledInstalment[] = [];
  terms.forEach((term, i) => {
    const splits = recipients.map((r, j) => ({ party: r.party, amount: perRecipient[j][i] })).filter((s) => !s.amount.isZero());
    if (splits.length === 0) return;
    const due = plusYears(contractStart, term.afterContractYears);
    schedule.push({
      seq: i + 1,
      dueDate: due > approvalDate ? due : approvalDate,
      amount: money(splits.reduce((s, x) => s.plus(x.amount), new Dec(0))),
      splits: splits.map((s) => ({ party: s.party, amount: money(s.amount) })),
    });
  });
  return schedule;
}

export interface ClawbackLine {
  party: string;
  paid: string;
  amount: string;
}

export interface ClawbackResult {
  termDays: number;
  unexpiredDays: number;
  rate: string;
  total: string;
  lines: ClawbackLine[];
}

/**
 * What recipients return when the contract ends early: rate × paid × unexpired days / term days,
 * rounded half-up to the 分 exactly (integer arithmetic), then split among recipients by what each
 * was paid (largest remainder, in the given order). `terminatedOn` is the last day in force.
 */
export function clawback(paid: ReadonlyArray<{ party: string; paid: string }>, rate: string, startDate: string, endDate: string, terminatedOn: string): ClawbackResult {
  const termDays = daysBetween(startDate, endDate) + 1;
  const unexpiredDays = Math.max(0, Math.min(termDays, daysBetween(terminatedOn, endDate)));
  const totalPaid = paid.reduce((s, p) => s.plus(p.paid), new Dec(0));
  // fen × rate × unexpired / termDays, half-up, with every factor made an integer first.
  const rateDec = new Dec(rate);
  const rateScale = new Dec(10).pow(rateDec.decimalPlaces());
  const numerator = totalPaid.times(100).times(rateDec.times(rateScale)).times(unexpiredDays);
  const denominator = rateScale.times(termDays);
  const fen = numerator.times(2).plus(denominator).divToInt(denominator.times(2));
  const total = fen.div(100);
  const parts = totalPaid.isZero()
    ? paid.map(() => new Dec(0))
    : allocate(
        total,
        paid.map((p) => p.paid),
        MONEY_SCALE,
      );
  return {
    termDays,
    unexpiredDays,
    rate: rateDec.toString(),
    total: money(total),
    lines: paid.map((p, i) => ({ party: p.party, paid: money(p.paid), amount: money(parts[i]) })),
  };
}

/** Checks a rule's shape: shares and instalments sum to 1, known modes and roles. Returns the first problem as [field, message]. */
export function ruleProblem(rule: RuleTerms): [string, string] | null {
  if (rule.recipients.length === 0) return ['recipients', 'recipients must name the transferor, the transferee or both'];
  const roles = new Set(rule.recipients.map((r) => r.role));
  if (roles.size !== rule.recipients.length) return ['recipients', 'each recipient role may appear once'];
  if (rule.recipients.some((r) => !RECIPIENT_ROLES.includes(r.role))) return ['recipients', `recipient role must be one of ${RECIPIENT_ROLES.join(', ')}`];
  const shareSum = rule.recipients.reduce((s, r) => s.plus(r.share), new Dec(0));
  if (!shareSum.equals(1)) return ['recipients', `recipient shares must sum to 100 %; they sum to ${shareSum.times(100).toString()} %`];
  if (rule.instalments.length === 0) return ['instalments', 'instalments must list at least one instalment'];
  const instSum = rule.instalments.reduce((s, r) => s.plus(r.share), new Dec(0));
  if (!instSum.equals(1)) return ['instalments', `instalment shares must sum to 100 %; they sum to ${instSum.times(100).toString()} %`];
  if (rule.instalments.some((i) => !Number.isInteger(i.afterContractYears) || i.afterContractYears < 0 || i.afterContractYears > 70))
    return ['instalments', 'afterContractYears must be a whole number 0-70'];
  if (rule.modes.some((m) => !TRANSFER_MODES.includes(m))) return ['modes', `modes must be among ${TRANSFER_MODES.join(', ')}`];
  if (!Number.isInteger(rule.minTermYears) || rule.minTermYears < 0 || rule.minTermYears > 70) return ['minTermYears', 'minTermYears must be a whole number 0-70'];
  return null;
}
