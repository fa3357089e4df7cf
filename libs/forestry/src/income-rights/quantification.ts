import { DomainError, DomainErrorKind } from '@forest-ledger/common';
import { Amount, Dec } from '@forest-ledger/ledger/domain';

/**
 * The quantification of a collective's income right into whole units per household (收益权量化到户,
 * issue 18 §2). Pure: no database, no framework.
 *
 * - The members' pool is floor(totalUnits × (1 − retainedRatio)); the collective keeps the rest.
 * - The pool is split by the rule's weights into a household part floor(pool × householdWeight) and a
 *   person part (the rest): PER_HOUSEHOLD is weights 1/0, PER_PERSON 0/1, WEIGHTED what the collective's
 *   office entered (adding up to 1).
 * - Equal claims get equal whole units, the remainder stays with the collective (the 林票 rule): every
 *   household gets floor(householdPart / households), every person floor(personPart / persons); a
 *   household's units are its household units plus its persons × the person units. Two households of
 *   the same size therefore always get the same units; the roster order never decides a unit.
 * - One holding per household, in its head's name; households with no units are not emitted.
 * - Households and their persons are as of the census date (the caller reads the roster as of it).
 */

export const QUANTIFICATION_BASES = ['PER_HOUSEHOLD', 'PER_PERSON', 'WEIGHTED'] as const;
export type QuantificationBasis = (typeof QUANTIFICATION_BASES)[number];

export interface CensusHousehold {
  /** Household party code (户). */
  household: string;
  /** Its head (户主), who holds the household's units. */
  head: string;
  /** Persons (active villagers) of the household on the census date, ≥ 1. */
  persons: number;
}

export interface QuantificationInput {
  /** Whole units of the scheme, > 0. */
  totalUnits: string;
  /** Share the collective keeps, 0..1, up to 6 decimals. */
  retainedRatio: string;
  basis: QuantificationBasis;
  /** WEIGHTED only: the household part of the pool, 0..1 (6 decimals); personWeight = 1 − it. */
  householdWeight?: string;
  households: readonly CensusHousehold[];
}

export interface QuantifiedHolding {
  household: string;
  head: string;
  persons: number;
  /** Whole units, > 0, as text. */
  units: string;
}

export interface QuantificationSplit {
  basis: QuantificationBasis;
  householdWeight: string;
  personWeight: string;
  households: number;
  persons: number;
  /** floor(total × (1 − ratio)). */
  poolUnits: string;
  /** total − pool. */
  retainedByRatioUnits: string;
  householdPartUnits: string;
  personPartUnits: string;
  unitsPerHousehold: string;
  unitsPerPerson: string;
  /** pool − what the households got: cannot be divided equally, so the collective keeps it. */
  remainderUnits: string;
  /** The collective's holding: retainedByRatio + remainder. */
  collectiveUnits: string;
  explanation: string;
}

export interface Quantification {
  totalUnits: string;
  split: QuantificationSplit;
  /** By household code. */
  holdings: QuantifiedHolding[];
}

export type QuantificationErrorCode = 'INVALID_QUANTIFICATION' | 'NO_HOUSEHOLDS';

/** The codes and their kinds (the API declares them on the scheme routes). */
export const QUANTIFICATION_ERRORS: Readonly<Record<QuantificationErrorCode, DomainErrorKind>> = { INVALID_QUANTIFICATION: 'invalid', NO_HOUSEHOLDS: 'rule' };

export class QuantificationError extends DomainError {
  constructor(code: QuantificationErrorCode, message: string, field?: string, details?: Record<string, unknown>) {
    super(QUANTIFICATION_ERRORS[code], code, message, field, details);
  }
}

const byCode = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The weights of a rule: (household, person), adding up to 1. */
export function weightsOf(basis: QuantificationBasis, householdWeight?: string): { household: Dec; person: Dec } {
  if (basis === 'PER_HOUSEHOLD') return { household: new Dec(1), person: new Dec(0) };
  if (basis === 'PER_PERSON') return { household: new Dec(0), person: new Dec(1) };
  if (householdWeight === undefined) throw new QuantificationError('INVALID_QUANTIFICATION', 'a WEIGHTED rule needs householdWeight (0..1)', 'householdWeight');
  const w = Amount.parse(householdWeight, 6, 'householdWeight').value;
  if (w.greaterThan(1)) throw new QuantificationError('INVALID_QUANTIFICATION', `householdWeight must lie between 0 and 1; got ${householdWeight}`, 'householdWeight');
  return { household: w, person: new Dec(1).minus(w) };
}

export function quantify(input: QuantificationInput): Quantification {
  if (!QUANTIFICATION_BASES.includes(input.basis)) {
    throw new QuantificationError('INVALID_QUANTIFICATION', `basis must be one of ${QUANTIFICATION_BASES.join(', ')}`, 'basis');
  }
  const total = Amount.parsePositive(input.totalUnits, 0, 'totalUnits').value;
  const ratio = Amount.parse(input.retainedRatio, 6, 'retainedRatio').value;
  if (ratio.greaterThan(1)) throw new QuantificationError('INVALID_QUANTIFICATION', `retainedRatio must lie between 0 and 1; got ${input.retainedRatio}`, 'retainedRatio');
  const weights = weightsOf(input.basis, input.householdWeight);
  const seen = new Set<string>();
  const households = [...input.households]
    .map((h, i) => {
      if (seen.has(h.household)) throw new QuantificationError('INVALID_QUANTIFICATION', `household ${h.household} is listed twice`, `households[${i}]`);
      if (!Number.isInteger(h.persons) || h.persons < 1)
        throw new QuantificationError('INVALID_QUANTIFICATION', `household ${h.household} has no persons`, `households[${i}].persons`);
      seen.add(h.household);
      return h;
    })
    .sort((a, b) => byCode(a.household, b.household));

  const pool = total.times(new Dec(1).minus(ratio)).floor();
  const retainedByRatio = total.minus(pool);
  if (pool.greaterThan(0) && households.length === 0) {
    throw new QuantificationError('NO_HOUSEHOLDS', `${pool.toFixed(0)} units go to households, but the roster has no household on the census date`, 'censusDate');
  }
  const persons = households.reduce((s, h) => s + h.persons, 0);
  const householdPart = pool.times(weights.household).floor();
  const personPart = pool.minus(householdPart);
  const perHousehold = households.length === 0 ? new Dec(0) : householdPart.divToInt(households.length);
  const perPerson = persons === 0 ? new Dec(0) : personPart.divToInt(persons);
  const holdings = households
    .map((h) => ({ household: h.household, head: h.head, persons: h.persons, units: perHousehold.plus(perPerson.times(h.persons)) }))
    .filter((h) => h.units.greaterThan(0));
  const given = holdings.reduce((s, h) => s.plus(h.units), new Dec(0));
  const remainder = pool.minus(given);
  const collectiveUnits = retainedByRatio.plus(remainder);
  const split: QuantificationSplit = {
    basis: input.basis,
    householdWeight: weights.household.toString(),
    personWeight: weights.person.toString(),
    households: households.length,
    persons,
    poolUnits: pool.toFixed(0),
    retainedByRatioUnits: retainedByRatio.toFixed(0),
    householdPartUnits: householdPart.toFixed(0),
    personPartUnits: personPart.toFixed(0),
    unitsPerHousehold: perHousehold.toFixed(0),
    unitsPerPerson: perPerson.toFixed(0),
    remainderUnits: remainder.toFixed(0),
    collectiveUnits: collectiveUnits.toFixed(0),
    explanation:
      `${total.toFixed(0)} 份，集体留存 ${retainedByRatio.toFixed(0)} 份（留存比例 ${ratio.toString()}），量化到户 ${pool.toFixed(0)} 份：` +
      `按户 ${householdPart.toFixed(0)} 份 ÷ ${households.length} 户 = 每户 ${perHousehold.toFixed(0)} 份，按人 ${personPart.toFixed(0)} 份 ÷ ${persons} 人 = 每人 ${perPerson.toFixed(0)} 份；` +
      `不能均分的 ${remainder.toFixed(0)} 份归集体，集体共持 ${collectiveUnits.toFixed(0)} 份`,
  };
  return { totalUnits: total.toFixed(0), split, holdings: holdings.map((h) => ({ ...h, units: h.units.toFixed(0) })) };
}
