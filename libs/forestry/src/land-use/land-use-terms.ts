import { Amount, Dec } from '@forest-ledger/ledger';
import Decimal from 'decimal.js';
import { inputChecks } from '../common/input-checks';
import type { ContractRow } from './land-use-contracts.store';
import type { ReceivableRow } from './land-use-receivables.store';
import { LandUseError } from './land-use.errors';
import { AREA_SCALE, CreateLandUseInput, LandUseSchedulePeriodView } from './land-use.types';
import { DEFAULT_DAILY_LATE_FEE_RATE } from './receivables';
import { BILLING_FREQUENCIES, buildSchedule, Escalation, ScheduleInput } from './rent-schedule';

/** Plain helpers of the land-use services: amounts, input checks, a contract's rent terms and planned schedule. */

export const ZERO = new Dec(0);
export const round2 = (d: Decimal): Decimal => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
export const money = (d: Decimal.Value): string => new Dec(d).toFixed(2);
export const sum = (values: Iterable<Decimal.Value>): Decimal => [...values].reduce<Decimal>((s, v) => s.plus(v), new Dec(0));
export const outstandingOf = (r: ReceivableRow): Decimal => new Dec(r.amount).minus(r.settled).minus(r.waived).minus(r.credited);

export function invalid(message: string, field: string): LandUseError {
  return new LandUseError('INVALID_CONTRACT', message, field);
}

export const { requireText, requireDate } = inputChecks(invalid);

export function projectNotDraft(projectCode: string, state: string): LandUseError {
  return new LandUseError(
    'PROJECT_NOT_DRAFT',
    `project ${projectCode} is ${state}: its contributions are frozen once its 林票 are issued, so no land can go into it`,
    'projectCode',
    {
      project: projectCode,
      state,
    },
  );
}

/** The idempotency key of the farm's contribution booked by an EQUITY contract: one per contract, whoever activates it. */
export const equityContributionKey = (contractCode: string): string => `land-use-equity:${contractCode}`;

export function scheduleInputOf(row: ContractRow): ScheduleInput {
  const escalation: Escalation =
    row.escalation_kind === 'STEP'
      ? { kind: 'STEP', everyYears: row.escalation_every_years!, step: money(row.escalation_step!) }
      : row.escalation_kind === 'PERCENT'
        ? { kind: 'PERCENT', everyYears: row.escalation_every_years!, percent: new Dec(row.escalation_percent!).toString() }
        : { kind: 'NONE' };
  return {
    startDate: row.start_date,
    endDate: row.end_date,
    rent:
      row.rent_basis === 'PER_MU'
        ? { kind: 'PER_MU', ratePerMuYear: money(row.rent_rate_per_mu!), areaMu: new Dec(row.area_mu).toFixed(AREA_SCALE) }
        : { kind: 'FIXED', annualAmount: money(row.rent_annual_amount!) },
    escalation,
    frequency: row.billing_frequency!,
  };
}

/** A draft's periods as activation will store them, shown PLANNED with nothing owed; none for EQUITY or once cancelled. */
export function plannedSchedule(c: ContractRow): LandUseSchedulePeriodView[] {
  if (c.mode === 'EQUITY' || c.state !== 'DRAFT') return [];
  return buildSchedule(scheduleInputOf(c)).map((p) => ({
    ...p,
    state: 'PLANNED',
    principalOutstanding: '0.00',
    lateFeeAccrued: '0.00',
    lateFeeOutstanding: '0.00',
    lateFeeAccruedThrough: null,
  }));
}

/** Rent terms of a LEASE or CONCESSION (checked by building the schedule once); the appraisal of an EQUITY contract. */
export function contractTerms(input: CreateLandUseInput, areaMu: Decimal, startDate: string, endDate: string) {
  const dailyRate = Amount.parse(input.lateFeeDailyRate ?? DEFAULT_DAILY_LATE_FEE_RATE, 8, 'lateFeeDailyRate').value;
  if (dailyRate.greaterThanOrEqualTo(1)) throw invalid('lateFeeDailyRate must be below 1 (a share of the overdue principal per day)', 'lateFeeDailyRate');
  const capRatio = Amount.parse(input.lateFeeCapRatio ?? '1', 6, 'lateFeeCapRatio').value;
  if (input.mode === 'EQUITY') {
    for (const field of ['rent', 'escalation', 'billingFrequency', 'deposit'] as const) {
      if (input[field] !== undefined) throw invalid(`${field}: an EQUITY contract pays no rent (the farm's stake is the land's appraised value)`, field);
    }
    return {
      rentBasis: null,
      ratePerMu: null,
      annualAmount: null,
      escalation: { kind: 'NONE' } as Escalation,
      frequency: null,
      deposit: '0.00',
      dailyRate: dailyRate.toString(),
      capRatio: capRatio.toString(),
      appraisedValue: Amount.parsePositive(input.appraisedValue, 2, 'appraisedValue').value.toFixed(2),
      appraisalReference: requireText(input.appraisalReference, 'appraisalReference'),
    };
  }
  for (const field of ['appraisedValue', 'appraisalReference', 'projectCode'] as const) {
    if (input[field] !== undefined) throw invalid(`${field} is for EQUITY contracts only`, field);
  }
  const rent = input.rent;
  if (rent === undefined || (rent.kind !== 'PER_MU' && rent.kind !== 'FIXED'))
    throw invalid('rent must be { kind: PER_MU, ratePerMuYear } or { kind: FIXED, annualAmount }', 'rent');
  const escalation = input.escalation ?? { kind: 'NONE' };
  if (!['NONE', 'STEP', 'PERCENT'].includes(escalation.kind)) throw invalid('escalation.kind must be NONE, STEP or PERCENT', 'escalation.kind');
  const frequency = input.billingFrequency;
  if (frequency === undefined || !BILLING_FREQUENCIES.includes(frequency)) throw invalid(`billingFrequency must be one of ${BILLING_FREQUENCIES.join(', ')}`, 'billingFrequency');
  // Refuses what cannot be billed, e.g. a rent so small that a part of a period bills 0.00.
  buildSchedule({
    startDate,
    endDate,
    rent: rent.kind === 'PER_MU' ? { kind: 'PER_MU', ratePerMuYear: rent.ratePerMuYear, areaMu: areaMu.toFixed(AREA_SCALE) } : rent,
    escalation,
    frequency,
  });
  const normalised: Escalation =
    escalation.kind === 'STEP'
      ? { kind: 'STEP', everyYears: escalation.everyYears, step: Amount.parse(escalation.step, 2, 'escalation.step').value.toFixed(2) }
      : escalation.kind === 'PERCENT'
        ? { kind: 'PERCENT', everyYears: escalation.everyYears, percent: Amount.parse(escalation.percent, 4, 'escalation.percent').value.toString() }
        : { kind: 'NONE' };
  return {
    rentBasis: rent.kind,
    ratePerMu: rent.kind === 'PER_MU' ? Amount.parsePositive(rent.ratePerMuYear, 2, 'rent.ratePerMuYear').value.toFixed(2) : null,
    annualAmount: rent.kind === 'FIXED' ? Amount.parsePositive(rent.annualAmount, 2, 'rent.annualAmount').value.toFixed(2) : null,
    escalation: normalised,
    frequency,
    deposit: Amount.parse(input.deposit ?? '0', 2, 'deposit').value.toFixed(2),
    dailyRate: dailyRate.toString(),
    capRatio: capRatio.toString(),
    appraisedValue: null,
    appraisalReference: null,
  };
}
