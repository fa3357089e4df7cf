import { DomainError, DomainErrorKind } from '@forest-ledger/common';
import { allocate, Amount, Dec } from '@forest-ledger/ledger/domain';

/**
 * The issuance plan of a 林票 series (DOMAIN §3): how many units, who holds them, which certificate
 * numbers. Pure: no database, no framework; the issuing service books one journal entry from it.
 *
 * Rules and the choices made here:
 * - Total units = total contributions / face value; it must divide exactly, and so must every single
 *   contribution line (a contribution is always a whole number of units). Nothing is ever rounded.
 * - Level 1 (farm(s) ↔ collective) is by contribution, through the ledger's `allocate`; since every
 *   contribution is whole units, the allocation is exactly contribution / face value per party.
 *   Lines of the same party are added up (a cash line and an in-kind line, say).
 * - Level 2 (inside the collective): equal claims get equal whole units, and whatever cannot be
 *   divided equally stays with the collective. The members' pool is floor(collectiveUnits × (1 −
 *   ratio)); each claim gets floor(pool / claims); the remainder (< claims) joins the collective's
 *   retained holding. Never a largest remainder among members: the roster order must not decide who
 *   gets one unit more. E.g. 4,410 units among 100 villagers: 44 each, the collective keeps 1,890 + 10.
 * - PER_PERSON: every listed member is one claim and holds their own units.
 * - PER_HOUSEHOLD (收益权量化到户): every household with a listed member is one claim, whatever its
 *   size; its units are the household's: one holding (one certificate) per household, in the name
 *   of its head (户主), who must be listed and marked `head` (exactly one per household).
 * - Holdings with zero units are not emitted (a farm that contributed 0, the collective with ratio 0,
 *   members when there are fewer pool units than claims). Certificate numbers are gapless over the
 *   emitted holdings, `<seriesCode>-000001`, … (6 digits; more than 999,999 holdings in one series is
 *   refused), in this order: farm(s) by party code, then the collective, then member holders by party
 *   code (in PER_HOUSEHOLD mode the heads).
 * - Codes are ordered by UTF-16 code units (`<`), never by locale, so the order is the same everywhere.
 *   The order of the input arrays never matters.
 * - Malformed amounts or ratio → LedgerError INVALID_AMOUNT (as everywhere in the service); every
 *   other refusal → IssuancePlanError.
 */

export type ContributorRole = 'FARM' | 'COLLECTIVE';
export type HoldingRole = ContributorRole | 'MEMBER';
export type MemberWeighting = 'PER_PERSON' | 'PER_HOUSEHOLD';

export interface IssuanceContribution {
  /** Party code of the state farm or the village collective. */
  party: string;
  role: ContributorRole;
  /** CNY, at most 2 decimals, ≥ 0; must be a whole number of face values. */
  amount: string;
}

export interface IssuanceMember {
  /** Villager party code; unique in the list. */
  party: string;
  /** Household code (户). */
  household: string;
  /** The household's head (户主); PER_HOUSEHOLD issues the household's units to its head. */
  head?: boolean;
  /** The holder account, when already known; carried through to the holding. */
  accountId?: string;
}

export interface IssuanceInput {
  /** Series code, e.g. "YC-DXG-2025"; prefix of the certificate numbers. */
  seriesCode: string;
  /** CNY per unit, 2 decimals at most, > 0, e.g. "1.00" or "100.00". */
  faceValue: string;
  contributions: readonly IssuanceContribution[];
  /** Share of the collective's units it keeps, 0..1, up to 6 decimals, e.g. "0.30". */
  collectiveRetainedRatio: string;
  memberWeighting: MemberWeighting;
  members: readonly IssuanceMember[];
}

export interface IssuanceHolding {
  party: string;
  role: HoldingRole;
  /** A positive integer as text. */
  units: string;
  /** `<seriesCode>-000001`, gapless over the plan's holdings. */
  certificateNo: string;
  /** Members only: the member's household; in PER_HOUSEHOLD mode the household the head holds the units for. */
  household?: string;
  /** Members only, when given in the input. */
  accountId?: string;
}

/** How level 2 went: the members' pool, the equal claims on it, and what stayed with the collective and why. */
export interface MemberSplit {
  basis: MemberWeighting;
  /** Equal claims: the listed members (PER_PERSON) or their households (PER_HOUSEHOLD). */
  claims: number;
  /** floor(collectiveUnits × (1 − ratio)): at most this many units go to the members. */
  poolUnits: string;
  /** floor(poolUnits / claims): what every member (or household) gets; 0 when there are more claims than units. */
  unitsPerClaim: string;
  /** poolUnits − claims × unitsPerClaim (< claims): cannot be divided equally, so the collective keeps it. */
  remainderUnits: string;
  /** collectiveUnits − poolUnits: what the collective keeps by its retained ratio. */
  retainedByRatioUnits: string;
  /** The split in one sentence, with its figures. */
  explanation: string;
}

export interface IssuancePlan {
  seriesCode: string;
  /** Normalised to 2 decimals. */
  faceValue: string;
  totalUnits: string;
  /** The collective's level-1 units = retainedUnits + membersUnits. */
  collectiveUnits: string;
  /** The collective's own holding = split.retainedByRatioUnits + split.remainderUnits (0 when none is emitted). */
  retainedUnits: string;
  /** Sum of the members' holdings = split.claims × split.unitsPerClaim. */
  membersUnits: string;
  memberWeighting: MemberWeighting;
  split: MemberSplit;
  /** Farm holdings (by party code), the collective, member holders (by party code). */
  holdings: IssuanceHolding[];
}

export type IssuancePlanErrorCode = 'INVALID_ISSUANCE' | 'NOT_WHOLE_UNITS' | 'NO_MEMBERS' | 'HOUSEHOLD_HEAD' | 'TOO_MANY_HOLDINGS';

const KIND_OF: Record<IssuancePlanErrorCode, DomainErrorKind> = {
  INVALID_ISSUANCE: 'invalid',
  HOUSEHOLD_HEAD: 'rule',
  NOT_WHOLE_UNITS: 'rule',
  NO_MEMBERS: 'rule',
  TOO_MANY_HOLDINGS: 'rule',
};

/** The issuance plan's codes with their kinds: the API declares them on the issuing routes (ApiErrorCodes). */
export const ISSUANCE_PLAN_ERRORS: Readonly<Record<IssuancePlanErrorCode, DomainErrorKind>> = KIND_OF;

export class IssuancePlanError extends DomainError {
  constructor(code: IssuancePlanErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(KIND_OF[code], code, message, field, details);
  }
}

const CERTIFICATE_DIGITS = 6;
const MAX_HOLDINGS = 10 ** CERTIFICATE_DIGITS - 1;
const SERIES_CODE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const ROLES: ReadonlySet<string> = new Set<ContributorRole>(['FARM', 'COLLECTIVE']);
const WEIGHTINGS: ReadonlySet<string> = new Set<MemberWeighting>(['PER_PERSON', 'PER_HOUSEHOLD']);

const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function invalid(message: string, field: string, details?: Record<string, unknown>): IssuancePlanError {
  return new IssuancePlanError('INVALID_ISSUANCE', message, field, details);
}

function requireCode(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '' || value !== value.trim()) {
    throw invalid(`${field} must be a non-empty code without surrounding spaces; got ${JSON.stringify(value)}`, field);
  }
  return value;
}

export function planIssuance(input: IssuanceInput): IssuancePlan {
  const seriesCode = requireCode(input.seriesCode, 'seriesCode');
  if (!SERIES_CODE.test(seriesCode)) throw invalid(`seriesCode must be letters, digits, '.', '_' or '-'; got ${JSON.stringify(seriesCode)}`, 'seriesCode');
  const faceValue = Amount.parsePositive(input.faceValue, 2, 'faceValue').value;
  const ratio = Amount.parse(input.collectiveRetainedRatio, 6, 'collectiveRetainedRatio').value;
  if (ratio.greaterThan(1)) throw invalid(`collectiveRetainedRatio must lie between 0 and 1; got ${input.collectiveRetainedRatio}`, 'collectiveRetainedRatio');
  if (!WEIGHTINGS.has(input.memberWeighting)) throw invalid(`memberWeighting must be PER_PERSON or PER_HOUSEHOLD; got ${JSON.stringify(input.memberWeighting)}`, 'memberWeighting');
  const faceText = faceValue.toFixed(2);

  // Level 0: validate the contributions, each a whole number of units, and add them up per party.
  if (!isList(input.contributions) || input.contributions.length === 0) throw invalid('contributions must list at least the collective', 'contributions');
  const contributors = new Map<string, { role: ContributorRole; amount: Dec }>();
  let total = new Dec(0);
  const lines = input.contributions.map((c, i) => {
    const field = `contributions[${i}]`;
    const party = requireCode(c.party, `${field}.party`);
    if (!ROLES.has(c.role)) throw invalid(`${field}.role must be FARM or COLLECTIVE; got ${JSON.stringify(c.role)}`, `${field}.role`);
    const amount = Amount.parse(c.amount, 2, `${field}.amount`).value;
    const known = contributors.get(party);
    if (known && known.role !== c.role) throw invalid(`party ${party} contributes both as ${known.role} and as ${c.role}`, `${field}.role`, { party });
    contributors.set(party, { role: c.role, amount: (known?.amount ?? new Dec(0)).plus(amount) });
    total = total.plus(amount);
    return { party, amount, field };
  });
  const collectives = [...contributors].filter(([, c]) => c.role === 'COLLECTIVE').map(([party]) => party);
  if (collectives.length !== 1) {
    throw invalid(
      `a series has exactly one COLLECTIVE contributor; got ${collectives.length}${collectives.length ? ` (${collectives.sort(byCode).join(', ')})` : ''}`,
      'contributions',
    );
  }
  if (total.isZero()) throw invalid('the contributions add up to 0.00 CNY: nothing to issue', 'contributions');
  if (!total.mod(faceValue).isZero()) {
    throw new IssuancePlanError(
      'NOT_WHOLE_UNITS',
      `total contributions ${total.toFixed(2)} CNY are not a whole number of units of face value ${faceText} CNY: ${total.divToInt(faceValue).toString()} units and ${total.mod(faceValue).toFixed(2)} CNY over`,
      'contributions',
      { total: total.toFixed(2), faceValue: faceText },
    );
  }
  for (const line of lines) {
    if (!line.amount.mod(faceValue).isZero()) {
      throw new IssuancePlanError(
        'NOT_WHOLE_UNITS',
        `contribution ${line.amount.toFixed(2)} CNY of ${line.party} is not a whole number of units of face value ${faceText} CNY: ${line.amount.divToInt(faceValue).toString()} units and ${line.amount.mod(faceValue).toFixed(2)} CNY over`,
        `${line.field}.amount`,
        { party: line.party, amount: line.amount.toFixed(2), faceValue: faceText },
      );
    }
  }
  const totalUnits = total.div(faceValue);

  // Level 1: farm(s) and the collective, by contribution. Exact, because every share is whole.
  const parties = [...contributors.keys()].sort(byCode);
  const level1 = allocate(
    totalUnits,
    parties.map((p) => contributors.get(p)!.amount),
    0,
  );
  const unitsOf = new Map(parties.map((p, i) => [p, level1[i]]));
  for (const p of parties) {
    if (!unitsOf.get(p)!.equals(contributors.get(p)!.amount.div(faceValue))) throw new Error(`level-1 allocation is not exact for ${p}`); // unreachable
  }
  const collective = collectives[0];
  const collectiveUnits = unitsOf.get(collective)!;

  // Level 2: the members' pool (floored; the fraction stays with the collective), then equal claims on it.
  const membersPool = collectiveUnits.times(new Dec(1).minus(ratio)).floor();
  const retainedByRatio = collectiveUnits.minus(membersPool);
  const members = validateMembers(input.members, contributors);
  if (membersPool.greaterThan(0) && members.length === 0) {
    throw new IssuancePlanError(
      'NO_MEMBERS',
      `${membersPool.toString()} of the collective's ${collectiveUnits.toString()} units go to its members (retained ratio ${ratio.toString()}), but no members are listed`,
      'members',
      { membersUnits: membersPool.toString() },
    );
  }
  const { claims, claimants } = input.memberWeighting === 'PER_PERSON' ? { claims: members.length, claimants: members } : householdHeads(members, membersPool.greaterThan(0));
  const perClaim = claims === 0 ? new Dec(0) : membersPool.divToInt(claims);
  const remainder = membersPool.minus(perClaim.times(claims));
  const retainedUnits = retainedByRatio.plus(remainder);
  const membersUnits = perClaim.times(claims);
  const split: MemberSplit = {
    basis: input.memberWeighting,
    claims,
    poolUnits: membersPool.toFixed(0),
    unitsPerClaim: perClaim.toFixed(0),
    remainderUnits: remainder.toFixed(0),
    retainedByRatioUnits: retainedByRatio.toFixed(0),
    explanation: explain(input.memberWeighting, collectiveUnits, ratio, membersPool, claims, perClaim, remainder),
  };

  // Holdings: farm(s) by code, the collective, member holders by code; zero holdings omitted.
  const drafts: Array<Omit<IssuanceHolding, 'certificateNo'>> = [];
  for (const p of parties) {
    if (p !== collective && unitsOf.get(p)!.greaterThan(0)) drafts.push({ party: p, role: 'FARM', units: unitsOf.get(p)!.toFixed(0) });
  }
  if (retainedUnits.greaterThan(0)) drafts.push({ party: collective, role: 'COLLECTIVE', units: retainedUnits.toFixed(0) });
  if (perClaim.greaterThan(0)) {
    for (const m of claimants) {
      drafts.push({ party: m.party, role: 'MEMBER', units: perClaim.toFixed(0), household: m.household, ...(m.accountId !== undefined ? { accountId: m.accountId } : {}) });
    }
  }
  if (drafts.length > MAX_HOLDINGS) {
    throw new IssuancePlanError('TOO_MANY_HOLDINGS', `series ${seriesCode} would have ${drafts.length} holdings; certificate numbers allow at most ${MAX_HOLDINGS}`, 'members');
  }
  const holdings = drafts.map((d, i) => ({ ...d, certificateNo: `${seriesCode}-${String(i + 1).padStart(CERTIFICATE_DIGITS, '0')}` }));

  return {
    seriesCode,
    faceValue: faceText,
    totalUnits: totalUnits.toFixed(0),
    collectiveUnits: collectiveUnits.toFixed(0),
    retainedUnits: retainedUnits.toFixed(0),
    membersUnits: membersUnits.toFixed(0),
    memberWeighting: input.memberWeighting,
    split,
    holdings,
  };
}

interface Member {
  party: string;
  household: string;
  head: boolean;
  accountId?: string;
}

/** Checks the members and returns them ordered by party code. */
function validateMembers(input: readonly IssuanceMember[], contributors: ReadonlyMap<string, unknown>): Member[] {
  if (!isList(input)) throw invalid('members must be a list (it may be empty)', 'members');
  const seen = new Set<string>();
  const members = input.map((m, i) => {
    const field = `members[${i}]`;
    const party = requireCode(m.party, `${field}.party`);
    const household = requireCode(m.household, `${field}.household`);
    if (seen.has(party)) throw invalid(`member ${party} is listed twice`, `${field}.party`, { party });
    if (contributors.has(party)) throw invalid(`member ${party} is also a contributor of the series`, `${field}.party`, { party });
    if (m.accountId !== undefined) requireCode(m.accountId, `${field}.accountId`);
    if (m.head !== undefined && typeof m.head !== 'boolean') throw invalid(`${field}.head must be true or false`, `${field}.head`);
    seen.add(party);
    const head = m.head === true;
    return m.accountId !== undefined ? { party, household, head, accountId: m.accountId } : { party, household, head };
  });
  return members.sort((a, b) => byCode(a.party, b.party));
}

/**
 * One claim per household, held by its head; heads ordered by party code. `required`: the households
 * have units coming, so every household must have exactly one listed head (HOUSEHOLD_HEAD otherwise).
 */
function householdHeads(members: readonly Member[], required: boolean): { claims: number; claimants: Member[] } {
  const households = new Map<string, Member[]>();
  for (const m of members) households.set(m.household, [...(households.get(m.household) ?? []), ...(m.head ? [m] : [])]);
  const wrong = [...households].filter(([, heads]) => heads.length !== 1).sort(([a], [b]) => byCode(a, b));
  if (required && wrong.length > 0) {
    const shown = wrong.slice(0, 20).map(([h, heads]) => (heads.length === 0 ? `${h} (no head)` : `${h} (${heads.length} heads: ${heads.map((m) => m.party).join(', ')})`));
    throw new IssuancePlanError(
      'HOUSEHOLD_HEAD',
      `PER_HOUSEHOLD issues each household's units to its head (户主), one per household; ${wrong.length} household(s) have none or several among the members: ${shown.join('; ')}${wrong.length > shown.length ? ' …' : ''}`,
      'members',
      { households: wrong.map(([h, heads]) => ({ household: h, heads: heads.map((m) => m.party) })) },
    );
  }
  const claimants = wrong.length > 0 ? [] : [...households.values()].map(([head]) => head).sort((a, b) => byCode(a.party, b.party));
  return { claims: households.size, claimants };
}

/** The split in words: how many claims, how many units each, what the collective keeps and why. */
function explain(basis: MemberWeighting, collectiveUnits: Dec, ratio: Dec, pool: Dec, claims: number, perClaim: Dec, remainder: Dec): string {
  const byRatio = collectiveUnits.minus(pool);
  const kept = byRatio.plus(remainder);
  if (pool.isZero()) return `the collective keeps all its ${collectiveUnits.toString()} units (retained ratio ${ratio.toString()}); nothing goes to the members`;
  const who = basis === 'PER_PERSON' ? `${claims} members` : `${claims} households (each held by its head)`;
  const share = `${pool.toString()} member units (the collective's ${collectiveUnits.toString()} less ${byRatio.toString()} kept at retained ratio ${ratio.toString()}) among ${who}`;
  if (perClaim.isZero())
    return `${share}: fewer units than claims, so none each; all ${pool.toString()} stay with the collective, which keeps ${byRatio.toString()} + ${remainder.toString()} = ${kept.toString()}`;
  if (remainder.isZero()) return `${share}: ${perClaim.toString()} each, nothing left over; the collective keeps ${kept.toString()}`;
  return `${share}: ${perClaim.toString()} each; the ${remainder.toString()} that cannot be divided equally stay with the collective, which keeps ${byRatio.toString()} + ${remainder.toString()} = ${kept.toString()}`;
}

/** Array.isArray without its `any[]` narrowing (a readonly array typed by the caller may still be anything at run time). */
function isList(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}
