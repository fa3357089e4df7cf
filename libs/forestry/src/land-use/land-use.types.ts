import type { Role } from '@forest-ledger/access';
import type { LandUseMode, LandUseScheduleState, LandUseState, PermittedUse, ReceivableKind, SettlementSource } from './land-use.model';
import type { BillingFrequency, Escalation, SchedulePeriod } from './rent-schedule';

/** The inputs and views of the paid-use contracts (DOMAIN.md §7), shared by the land-use services. */

export const LAND_USE_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;
/** 亩 are stored and shown to 4 decimals. */
export const AREA_SCALE = 4;
/** At most this many contracts in one list. */
export const MAX_LAND_USE_CONTRACTS_LISTED = 200;

/** What a caller sees: a FARM_OPERATOR only the contracts of its farm (the lessor, by party id); null for all. */
export type LandUseScope = { lessorPartyId: string } | null;

export interface LandUseContractFilter {
  state?: LandUseState;
  mode?: LandUseMode;
  /** Lessor or lessee code. */
  party?: string;
}

/** Who acts: the authenticated user's id and role. */
export interface LandUseActor {
  userId: string;
  role: Role;
}

export type LandUseRentInput = { kind: 'PER_MU'; ratePerMuYear: string } | { kind: 'FIXED'; annualAmount: string };

export interface CreateLandUseInput {
  code: string;
  /** The state farm: it must hold every parcel. */
  lessorCode: string;
  lesseeCode: string;
  mode: LandUseMode;
  parcelIds: string[];
  /** 亩, up to 4 decimals, at most the parcels' total. */
  areaMu: string;
  permittedUses: PermittedUse[];
  /** Required with OTHER. */
  otherUse?: string;
  startDate: string;
  /** Inclusive. */
  endDate: string;
  /** The contract this one renews (same lessor and lessee, starting after it ends). */
  renewsContractCode?: string;
  /** LEASE and CONCESSION. */
  rent?: LandUseRentInput;
  escalation?: Escalation;
  billingFrequency?: BillingFrequency;
  /** 保证金, CNY; default none. */
  deposit?: string;
  /** Per day, default "0.0005". */
  lateFeeDailyRate?: string;
  /** Late fees of a period stop at this ratio × its principal; default "1". */
  lateFeeCapRatio?: string;
  /** EQUITY: the land's appraised value, CNY, and the appraisal report. */
  appraisedValue?: string;
  appraisalReference?: string;
  /**
   * EQUITY (required there, refused otherwise): the DRAFT cooperation project the land goes into,
   * whose farm is the lessor and whose collective is the lessee.
   */
  projectCode?: string;
}

/** One dividend paid to the farm in the series the equity went into (read from the dividends feature). */
export interface LandUseEquityDistributionView {
  declarationId: string;
  recordDate: string;
  paymentDate: string;
  /** The farm's units (all of them, not only this contract's) at the record date. */
  units: string;
  amount: string;
  entryId: string;
}

export interface LandUseEquityView {
  appraisedValue: string;
  appraisalReference: string;
  project: string;
  /** The farm's IN_KIND_LAND contribution and its ledger entry, once activated. */
  contributionId: string | null;
  contributionEntryId: string | null;
  /** Once the project's 林票 series is issued. */
  series: {
    code: string;
    faceValue: string;
    /** appraisedValue / faceValue: the units this contract's land brought the farm at issuance. */
    unitsFromContract: string;
    /** Free plus pledged units the farm holds in the series now (all its contributions). */
    farmUnitsHeld: string;
    /** Dividends paid to the farm from the series' declarations, oldest first, and their total. */
    distributions: LandUseEquityDistributionView[];
    distributedTotal: string;
  } | null;
}

export interface LandUseContractView {
  code: string;
  mode: LandUseMode;
  state: LandUseState;
  lessor: { code: string; name: string };
  lessee: { code: string; name: string };
  areaMu: string;
  parcels: Array<{ id: string; certificateNo: string; areaMu: string }>;
  permittedUses: PermittedUse[];
  otherUse: string | null;
  startDate: string;
  endDate: string;
  renewsContract: string | null;
  renewedBy: string | null;
  rent: LandUseRentInput | null;
  escalation: Escalation;
  billingFrequency: BillingFrequency | null;
  deposit: { amount: string; received: boolean; held: string };
  lateFee: { dailyRate: string; capRatio: string };
  equity: LandUseEquityView | null;
  createdBy: string;
  /** Owed by the lessee now (rent and late fees), and the lessee's credit. */
  receivable: string;
  lesseeCredit: string;
  income: string;
  terminatedOn: string | null;
  terminationReason: string | null;
  cancellationReason: string | null;
  settlement: Record<string, unknown> | null;
  createdAt: string;
  activatedAt: string | null;
  closedAt: string | null;
}

/** A period of the schedule as computed (SchedulePeriod), with what is owed on it now (nothing while PLANNED). */
export interface LandUseSchedulePeriodView extends SchedulePeriod {
  state: LandUseScheduleState;
  principalOutstanding: string;
  lateFeeAccrued: string;
  lateFeeOutstanding: string;
  lateFeeAccruedThrough: string | null;
}

/** The answer to creating a contract: the draft and the periods it plans (empty for EQUITY), to review before signing. */
export interface LandUseCreatedView extends LandUseContractView {
  schedule: LandUseSchedulePeriodView[];
}

export interface LandUseDailyRun {
  asOf: string;
  contracts: number;
  /** Periods raised now. */
  raised: number;
  /** Contract-days on which a late fee was booked now, and their total. */
  lateFeeEntries: number;
  lateFees: string;
}

export interface LandUsePaymentInput {
  amount: string;
  receivedOn: string;
  bankReference: string;
}

export interface LandUseSettlementView {
  id: string;
  source: SettlementSource;
  amount: string;
  toCredit: string;
  effectiveDate: string;
  bankReference: string | null;
  entryId: string;
  lines: Array<{ seq: number; kind: ReceivableKind; amount: string }>;
}

export interface LandUsePaymentOutcome {
  contract: string;
  settlement: LandUseSettlementView;
  receivable: string;
  lesseeCredit: string;
  replayed: boolean;
}

export interface LandUseWaiverInput {
  periodSeq: number;
  /** Default: all of the period's outstanding late fee. */
  amount?: string;
  reason: string;
}

export interface LandUseWaiverOutcome {
  contract: string;
  periodSeq: number;
  amount: string;
  reason: string;
  entryId: string;
  lateFeeOutstanding: string;
  replayed: boolean;
}

/** At the close: what is left of the deposit after paying what is owed goes back to the lessee, or is forfeited (with a reason). */
export type DepositDisposition = 'RETURN' | 'FORFEIT';

export interface LandUseTerminationInput {
  /** The last day of use (inclusive). */
  terminatedOn: string;
  reason: string;
  deposit: DepositDisposition;
  forfeitReason?: string;
}

export interface LandUseCancellationInput {
  reason: string;
}

export interface LandUseEndOfTermInput {
  /** On or after the end date; late fees accrue through this day. */
  endedOn: string;
  deposit: DepositDisposition;
  forfeitReason?: string;
}

export interface LandUseClosingSettlement {
  key: string;
  closedOn: string;
  /** Unused days of the current period credited back (termination). */
  periodCredit: { seq: number; usedDays: number; days: number; amount: string } | null;
  creditApplied: string;
  depositHeld: string;
  depositApplied: string;
  depositReturned: string;
  depositForfeited: string;
  forfeitReason: string | null;
  creditRefunded: string;
  cancelledPeriods: number[];
  /** What the lessee still owes after the deposit. */
  remainingOwed: string;
}
