import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, EntryDraft, LedgerService, PostingDraft } from '@forest-ledger/ledger';
import Decimal from 'decimal.js';
import { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../access/access.entities';
import { inputChecks } from '../common/input-checks';
import { ParcelsService } from '../parcels/parcels.service';
import { WALLET_ASSET } from '../parties/parties.service';
import { partyRefs } from '../projects/party-refs';
import { BANK_CLEARING_ACCOUNT, businessToday, holderPledged, holderTickets, PLATFORM_ACCOUNTS } from '../projects/project-accounts';
import { ProjectsService } from '../projects/projects.service';
import { landDeposit, landIncome, landLesseeCredit, landReceivable, landUseAccounts } from './land-use-accounts';
import { LAND_USE_MODES, LandUseMode, LandUseScheduleState, LandUseState, PERMITTED_USES, PermittedUse, ReceivableKind, SettlementSource } from './land-use.entities';
import { LandUseError } from './land-use.errors';
import { allocatePayment, DEFAULT_DAILY_LATE_FEE_RATE, lateFeeForDay, OpenItem } from './receivables';
import {
  addDays,
  assertLeaseTerm,
  BILLING_FREQUENCIES,
  BillingFrequency,
  buildSchedule,
  daysInclusive,
  Escalation,
  ScheduleInput,
  SchedulePeriod,
  SchedulePeriodPart,
  unusedRent,
} from './rent-schedule';

export const LAND_USE_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;
const AREA_SCALE = 4;
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

/** One dividend line of the farm in the series the equity went into (read from dividend_lines). */
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

interface ContractRow {
  id: string;
  code: string;
  mode: LandUseMode;
  state: LandUseState;
  lessor_code: string;
  lessor_name: string;
  lessee_code: string;
  lessee_name: string;
  area_mu: string;
  permitted_uses: PermittedUse[];
  other_use: string | null;
  start_date: string;
  end_date: string;
  renews_code: string | null;
  renewed_by: string | null;
  rent_basis: 'PER_MU' | 'FIXED' | null;
  rent_rate_per_mu: string | null;
  rent_annual_amount: string | null;
  escalation_kind: Escalation['kind'];
  escalation_every_years: number | null;
  escalation_step: string | null;
  escalation_percent: string | null;
  billing_frequency: BillingFrequency | null;
  deposit_amount: string;
  deposit_entry_id: string | null;
  late_fee_daily_rate: string;
  late_fee_cap_ratio: string;
  appraised_value: string | null;
  appraisal_reference: string | null;
  project_id: string | null;
  project_code: string | null;
  contribution_id: string | null;
  contribution_entry_id: string | null;
  created_by: string;
  created_at: Date;
  activated_at: Date | null;
  terminated_on: string | null;
  termination_reason: string | null;
  cancellation_reason: string | null;
  settlement: Record<string, unknown> | null;
  closed_at: Date | null;
}

interface ReceivableRow {
  id: string;
  period_id: string;
  seq: number;
  due_date: string;
  kind: ReceivableKind;
  amount: string;
  settled: string;
  waived: string;
  credited: string;
  accrued_through: string | null;
}

const CONTRACT_SELECT = `SELECT c.id, c.code, c.mode, c.state, l.code AS lessor_code, l.name AS lessor_name, e.code AS lessee_code, e.name AS lessee_name,
       c.area_mu::text AS area_mu, c.permitted_uses, c.other_use, c.start_date::text AS start_date, c.end_date::text AS end_date,
       r.code AS renews_code, (SELECT n.code FROM land_use_contracts n WHERE n.renews_contract_id = c.id) AS renewed_by,
       c.rent_basis, c.rent_rate_per_mu::text AS rent_rate_per_mu, c.rent_annual_amount::text AS rent_annual_amount, c.escalation_kind,
       c.escalation_every_years, c.escalation_step::text AS escalation_step, c.escalation_percent::text AS escalation_percent, c.billing_frequency,
       c.deposit_amount::text AS deposit_amount, c.deposit_entry_id, c.late_fee_daily_rate::text AS late_fee_daily_rate,
       c.late_fee_cap_ratio::text AS late_fee_cap_ratio, c.appraised_value::text AS appraised_value, c.appraisal_reference,
       c.project_id, pr.code AS project_code, c.contribution_id, pc.entry_id AS contribution_entry_id, c.created_by,
       c.created_at, c.activated_at, c.terminated_on::text AS terminated_on, c.termination_reason, c.cancellation_reason, c.settlement, c.closed_at
  FROM land_use_contracts c JOIN parties l ON l.id = c.lessor_party_id JOIN parties e ON e.id = c.lessee_party_id
  LEFT JOIN land_use_contracts r ON r.id = c.renews_contract_id
  LEFT JOIN coop_projects pr ON pr.id = c.project_id LEFT JOIN project_contributions pc ON pc.id = c.contribution_id`;

const RECEIVABLE_SELECT = `SELECT r.id, r.period_id, p.seq, p.due_date::text AS due_date, r.kind, r.amount::text AS amount, r.settled::text AS settled,
       r.waived::text AS waived, r.credited::text AS credited, r.accrued_through::text AS accrued_through
  FROM land_use_receivables r JOIN land_use_periods p ON p.id = r.period_id`;

const ZERO = new Dec(0);
const round2 = (d: Decimal): Decimal => d.toDecimalPlaces(2, Decimal.ROUND_HALF_UP);
const money = (d: Decimal.Value): string => new Dec(d).toFixed(2);
const outstandingOf = (r: ReceivableRow): Decimal => new Dec(r.amount).minus(r.settled).minus(r.waived).minus(r.credited);
const sum = (values: Iterable<Decimal.Value>): Decimal => [...values].reduce<Decimal>((s, v) => s.plus(v), new Dec(0));

function invalid(message: string, field: string): LandUseError {
  return new LandUseError('INVALID_CONTRACT', message, field);
}

function projectNotDraft(projectCode: string, state: string): LandUseError {
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

const { requireText, requireDate } = inputChecks(invalid);

function scheduleInputOf(row: ContractRow): ScheduleInput {
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

/** A stored period, as much of it as the close needs. */
interface PeriodRow {
  id: string;
  period_start: string;
  period_end: string;
  days: number;
  amount: string;
  parts: SchedulePeriodPart[];
}

/** A draft's periods as activation will store them, shown PLANNED with nothing owed; none for EQUITY or once cancelled. */
function plannedSchedule(c: ContractRow): LandUseSchedulePeriodView[] {
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

/**
 * Paid use of state forest land (国有林地有偿使用, DOMAIN.md §7): contracts, their stored rent
 * schedule, receivables raised by the daily job, late fees, payments, waivers, the deposit and the
 * close. Every write runs in the caller's transaction (`em`), locks the contract row first, and
 * posts its ledger entries there under keys derived from the command key or from (contract, period, date).
 */
@Injectable()
export class LandUseService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly parcels: ParcelsService,
    private readonly projects: ProjectsService,
  ) {}

  // ---------------------------------------------------------------- contracts

  /** A draft contract and its planned schedule. A LEASE or CONCESSION over 20 years is refused (Civil Code §705; see assertLeaseTerm). */
  async create(em: EntityManager, actor: LandUseActor, input: CreateLandUseInput): Promise<LandUseCreatedView> {
    const code = requireText(input.code, 'code', 40);
    if (!LAND_USE_CODE_PATTERN.test(code)) throw invalid('code must be 1-40 of capital letters, digits, ".", "_", "-", starting with a letter or digit', 'code');
    if (!LAND_USE_MODES.includes(input.mode)) throw invalid(`mode must be one of ${LAND_USE_MODES.join(', ')}`, 'mode');
    const areaMu = Amount.parsePositive(input.areaMu, AREA_SCALE, 'areaMu').value;
    if (!Array.isArray(input.permittedUses) || input.permittedUses.length === 0) throw invalid('permittedUses must list at least one use', 'permittedUses');
    const uses = [...new Set(input.permittedUses)];
    const unknownUse = uses.find((u) => !PERMITTED_USES.includes(u));
    if (unknownUse !== undefined) throw invalid(`permittedUses: ${String(unknownUse)} is not one of ${PERMITTED_USES.join(', ')}`, 'permittedUses');
    const otherUse = uses.includes('OTHER') ? requireText(input.otherUse, 'otherUse') : null;
    if (!uses.includes('OTHER') && input.otherUse !== undefined) throw invalid('otherUse describes the use OTHER; list OTHER in permittedUses', 'otherUse');
    const startDate = requireDate(input.startDate, 'startDate');
    const endDate = requireDate(input.endDate, 'endDate');
    if (endDate < startDate) throw invalid('endDate must not be before startDate', 'endDate');
    // 特许经营 is not a 租赁合同, but here it grants the same use of the land for rent: the same cap applies.
    if (input.mode !== 'EQUITY') assertLeaseTerm(startDate, endDate);

    const rated = this.terms(input, areaMu, startDate, endDate);
    const parties = await partyRefs(em, [input.lessorCode, input.lesseeCode]);
    const lessor = parties.get(input.lessorCode);
    if (!lessor || !lessor.active) throw new LandUseError('WRONG_PARTY', `lessorCode: no active party with code ${JSON.stringify(input.lessorCode)}`, 'lessorCode');
    if (lessor.kind !== 'STATE_FARM') throw new LandUseError('WRONG_PARTY', `lessorCode: ${lessor.code} is a ${lessor.kind}, not a STATE_FARM`, 'lessorCode');
    const lessee = parties.get(input.lesseeCode);
    if (!lessee || !lessee.active) throw new LandUseError('WRONG_PARTY', `lesseeCode: no active party with code ${JSON.stringify(input.lesseeCode)}`, 'lesseeCode');
    if (lessee.id === lessor.id) throw new LandUseError('WRONG_PARTY', 'the lessee cannot be the lessor', 'lesseeCode');
    const projectId = input.mode === 'EQUITY' ? await this.equityProject(em, input.projectCode, lessor.code, lessee.code) : null;

    let renewsId: string | null = null;
    if (input.renewsContractCode !== undefined) {
      const [old] = (await em.query(`${CONTRACT_SELECT} WHERE c.code = $1 FOR UPDATE OF c`, [input.renewsContractCode])) as ContractRow[];
      if (!old) throw new LandUseError('INVALID_RENEWAL', `renewsContractCode: no contract ${JSON.stringify(input.renewsContractCode)}`, 'renewsContractCode');
      if (old.lessor_code !== lessor.code || old.lessee_code !== lessee.code)
        throw new LandUseError('INVALID_RENEWAL', `a renewal is between the same lessor and lessee as ${old.code}`, 'renewsContractCode');
      if (old.state === 'DRAFT' || old.state === 'TERMINATED' || old.state === 'CANCELLED')
        throw new LandUseError('INVALID_RENEWAL', `${old.code} is ${old.state}: only an active or ended contract can be renewed`, 'renewsContractCode');
      if (old.renewed_by !== null) throw new LandUseError('INVALID_RENEWAL', `${old.code} was already renewed by ${old.renewed_by}`, 'renewsContractCode');
      if (startDate <= old.end_date) throw new LandUseError('INVALID_RENEWAL', `a renewal starts after ${old.code} ends (${old.end_date})`, 'startDate');
      renewsId = old.id;
    }

    if (!Array.isArray(input.parcelIds) || input.parcelIds.length === 0) throw invalid('parcelIds must list at least one parcel', 'parcelIds');
    // Locked before the checks, so two contracts created at once cannot both find the parcels free.
    await em.query(`SELECT 1 FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [
      input.parcelIds.filter((id) => typeof id === 'string' && /^\d{1,18}$/.test(id)),
    ]);
    const parcels = await this.parcels.assertAttachable(em, input.parcelIds, 'LEASE');
    const notLessors = parcels.filter((p) => p.holderPartyId !== lessor.id);
    if (notLessors.length > 0) {
      throw new LandUseError('PARCEL_NOT_LESSORS', `state land only: ${notLessors.map((p) => p.certificateNo).join(', ')} not held by ${lessor.code}`, 'parcelIds', {
        parcels: notLessors.map((p) => p.id),
      });
    }
    const busy = (await em.query(
      `SELECT pa.certificate_no, c.code FROM land_use_contract_parcels cp JOIN land_use_contracts c ON c.id = cp.contract_id JOIN parcels pa ON pa.id = cp.parcel_id
        WHERE cp.parcel_id = ANY($1::bigint[]) AND c.state IN ('DRAFT', 'ACTIVE') AND c.start_date <= $3::date AND COALESCE(c.terminated_on, c.end_date) >= $2::date
        ORDER BY pa.certificate_no`,
      [parcels.map((p) => p.id), startDate, endDate],
    )) as Array<{ certificate_no: string; code: string }>;
    if (busy.length > 0) {
      throw new LandUseError(
        'PARCEL_IN_OTHER_CONTRACT',
        `parcel(s) under another contract in these dates: ${busy.map((b) => `${b.certificate_no} (${b.code})`).join(', ')}`,
        'parcelIds',
        { parcels: busy },
      );
    }
    const parcelsArea = sum(parcels.map((p) => p.areaMu));
    if (areaMu.greaterThan(parcelsArea)) {
      throw new LandUseError('AREA_EXCEEDS_PARCELS', `areaMu ${areaMu.toFixed(AREA_SCALE)} is more than the parcels' ${parcelsArea.toFixed(AREA_SCALE)} 亩`, 'areaMu', {
        parcelsAreaMu: parcelsArea.toFixed(AREA_SCALE),
      });
    }

    const [row] = (await em.query(
      `INSERT INTO land_use_contracts (code, lessor_party_id, lessee_party_id, mode, area_mu, permitted_uses, other_use, start_date, end_date, renews_contract_id,
                                       rent_basis, rent_rate_per_mu, rent_annual_amount, escalation_kind, escalation_every_years, escalation_step, escalation_percent,
                                       billing_frequency, deposit_amount, late_fee_daily_rate, late_fee_cap_ratio, appraised_value, appraisal_reference, created_by, project_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25)
       ON CONFLICT (code) DO NOTHING RETURNING id`,
      [
        code,
        lessor.id,
        lessee.id,
        input.mode,
        areaMu.toFixed(AREA_SCALE),
        uses,
        otherUse,
        startDate,
        endDate,
        renewsId,
        rated.rentBasis,
        rated.ratePerMu,
        rated.annualAmount,
        rated.escalation.kind,
        rated.escalation.kind === 'NONE' ? null : rated.escalation.everyYears,
        rated.escalation.kind === 'STEP' ? rated.escalation.step : null,
        rated.escalation.kind === 'PERCENT' ? rated.escalation.percent : null,
        rated.frequency,
        rated.deposit,
        rated.dailyRate,
        rated.capRatio,
        rated.appraisedValue,
        rated.appraisalReference,
        actor.userId,
        projectId,
      ],
    )) as Array<{ id: string }>;
    if (!row) throw new LandUseError('CONTRACT_EXISTS', `a contract with code ${code} exists already`, 'code');
    await em.query(`INSERT INTO land_use_contract_parcels (contract_id, parcel_id) SELECT $1, unnest($2::bigint[])`, [row.id, parcels.map((p) => p.id)]);
    if (input.mode !== 'EQUITY') {
      await this.ledger.ensureAsset(em, WALLET_ASSET);
      for (const account of [...PLATFORM_ACCOUNTS, ...landUseAccounts(code, lessor.code, lessee.code)]) await this.ledger.ensureAccount(em, account);
    }
    const created = await this.load(em, code);
    return { ...(await this.view(em, created)), schedule: plannedSchedule(created) };
  }

  /**
   * The project an EQUITY contract goes into: it exists, its farm is the lessor, its collective the
   * lessee (a project has exactly these two parties, and the lessor is the farm), and it is still a
   * DRAFT (its contributions are frozen once its series is issued). Locks the project row FOR SHARE,
   * so an issuance cannot slip in before this transaction commits.
   */
  private async equityProject(em: EntityManager, projectCode: string | undefined, lessorCode: string, lesseeCode: string): Promise<string> {
    if (typeof projectCode !== 'string' || projectCode.trim() === '')
      throw invalid('projectCode: an EQUITY contract names the cooperation project its land goes into', 'projectCode');
    const [project] = (await em.query(
      `SELECT p.id, p.state, f.code AS farm_code, c.code AS collective_code FROM coop_projects p JOIN parties f ON f.id = p.farm_party_id JOIN parties c ON c.id = p.collective_party_id
        WHERE p.code = $1 FOR SHARE OF p`,
      [projectCode],
    )) as Array<{ id: string; state: string; farm_code: string; collective_code: string }>;
    if (!project) throw new LandUseError('UNKNOWN_PROJECT', `projectCode: no cooperation project with code ${JSON.stringify(projectCode)}`, 'projectCode');
    if (project.farm_code !== lessorCode) {
      throw new LandUseError('NOT_THE_PROJECTS_PARTY', `lessorCode: the farm of project ${projectCode} is ${project.farm_code}, not ${lessorCode}`, 'lessorCode', {
        project: projectCode,
        farm: project.farm_code,
      });
    }
    if (project.collective_code !== lesseeCode) {
      throw new LandUseError(
        'NOT_THE_PROJECTS_PARTY',
        `lesseeCode: an EQUITY lessee is the collective of project ${projectCode} (${project.collective_code}), not ${lesseeCode}`,
        'lesseeCode',
        {
          project: projectCode,
          collective: project.collective_code,
        },
      );
    }
    if (project.state !== 'DRAFT') throw projectNotDraft(projectCode, project.state);
    return project.id;
  }

  /** Rent terms of a LEASE or CONCESSION (checked by building the schedule once); the appraisal of an EQUITY contract. */
  private terms(input: CreateLandUseInput, areaMu: Decimal, startDate: string, endDate: string) {
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

  /** Reads a contract; `lock` takes its row FOR UPDATE (every write does, first). */
  async load(em: EntityManager, code: string, options: { lock?: boolean } = {}): Promise<ContractRow> {
    if (options.lock) await em.query(`SELECT 1 FROM land_use_contracts WHERE code = $1 FOR UPDATE`, [code]);
    const [row] = (await em.query(`${CONTRACT_SELECT} WHERE c.code = $1`, [code])) as ContractRow[];
    if (!row) throw new LandUseError('UNKNOWN_CONTRACT', `no land-use contract with code ${JSON.stringify(code)}`, 'contract');
    return row;
  }

  async get(code: string, em: EntityManager = this.dataSource.manager): Promise<LandUseContractView> {
    return this.view(em, await this.load(em, code));
  }

  /** Contracts by code (at most MAX_LAND_USE_CONTRACTS_LISTED) in `scope`; a fixed number of queries whatever the count. */
  async list(filter: LandUseContractFilter, scope: LandUseScope, em: EntityManager = this.dataSource.manager): Promise<LandUseContractView[]> {
    const rows = (await em.query(
      `${CONTRACT_SELECT}
        WHERE ($1::text IS NULL OR c.state = $1)
          AND ($2::text IS NULL OR c.mode = $2)
          AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM parties p WHERE p.code = $3 AND p.id IN (c.lessor_party_id, c.lessee_party_id)))
          AND ($4::bigint IS NULL OR c.lessor_party_id = $4::bigint)
        ORDER BY c.code LIMIT $5`,
      [filter.state ?? null, filter.mode ?? null, filter.party ?? null, scope?.lessorPartyId ?? null, MAX_LAND_USE_CONTRACTS_LISTED],
    )) as ContractRow[];
    return this.views(em, rows);
  }

  /** Refuses a contract outside `scope` as UNKNOWN_CONTRACT, like an unknown code; an unknown code in no scope is left to the read or write that follows. */
  async assertInScope(code: string, scope: LandUseScope, em: EntityManager = this.dataSource.manager): Promise<void> {
    if (scope === null) return;
    const rows = (await em.query(`SELECT 1 FROM land_use_contracts WHERE code = $1 AND lessor_party_id = $2::bigint`, [code, scope.lessorPartyId])) as unknown[];
    if (rows.length === 0) throw new LandUseError('UNKNOWN_CONTRACT', `no land-use contract with code ${JSON.stringify(code)}`, 'contract');
  }

  /** The deposit (保证金) received at signing: bank → deposit held for the lessee. Once per contract. */
  async receiveDeposit(em: EntityManager, code: string, input: { receivedOn: string; bankReference: string }, key: string): Promise<LandUseContractView> {
    const c = await this.load(em, code, { lock: true });
    const idempotencyKey = `land-use-deposit:${key}`;
    if (c.deposit_entry_id !== null) {
      const [entry] = (await em.query(`SELECT idempotency_key FROM ledger_entries WHERE id = $1`, [c.deposit_entry_id])) as Array<{ idempotency_key: string }>;
      if (entry.idempotency_key === idempotencyKey) return this.view(em, c);
      throw new LandUseError('DEPOSIT_ALREADY_RECEIVED', `the deposit of ${code} was received already (entry ${c.deposit_entry_id})`, 'contract');
    }
    if (c.state !== 'DRAFT' && c.state !== 'ACTIVE') throw new LandUseError('CONTRACT_NOT_ACTIVE', `${code} is ${c.state}`, 'contract');
    const amount = new Dec(c.deposit_amount);
    if (amount.isZero()) throw invalid(`${code} has no deposit`, 'contract');
    const receivedOn = requireDate(input.receivedOn, 'receivedOn');
    const bankReference = requireText(input.bankReference, 'bankReference', 100);
    const posted = await this.ledger.post(em, {
      idempotencyKey,
      kind: 'LAND_USE_DEPOSIT_RECEIVED',
      effectiveDate: receivedOn,
      memo: `${c.lessee_name} 缴纳保证金 ${money(amount)} 元 合同 ${code} 银行流水 ${bankReference}`,
      metadata: { contract: code, bankReference },
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount: money(amount) },
        { account: landDeposit(code), side: 'CREDIT', amount: money(amount) },
      ],
    });
    await em.query(`UPDATE land_use_contracts SET deposit_entry_id = $2 WHERE id = $1`, [c.id, posted.entry.id]);
    return this.view(em, await this.load(em, code));
  }

  /**
   * DRAFT → ACTIVE: stores the schedule (rent contracts need their deposit received first); an EQUITY
   * contract instead books the land's appraised value as the farm's IN_KIND_LAND contribution to its
   * project (still a DRAFT, else PROJECT_NOT_DRAFT and nothing written), under a key derived from the
   * contract code, so the contribution exists once whatever is replayed.
   */
  async activate(em: EntityManager, code: string): Promise<LandUseContractView> {
    const c = await this.load(em, code, { lock: true });
    if (c.state !== 'DRAFT') throw new LandUseError('CONTRACT_NOT_DRAFT', `${code} is ${c.state}; only a draft can be activated`, 'contract');
    let contributionId: string | null = null;
    if (c.mode === 'EQUITY') contributionId = await this.bookStake(em, c);
    else {
      if (!new Dec(c.deposit_amount).isZero() && c.deposit_entry_id === null) {
        throw new LandUseError('DEPOSIT_NOT_RECEIVED', `the deposit of ${money(c.deposit_amount)} 元 must be received before ${code} is activated`, 'contract');
      }
      const periods = buildSchedule(scheduleInputOf(c));
      await em.query(
        `INSERT INTO land_use_periods (contract_id, seq, period_start, period_end, due_date, contract_year, annual_rent, days, period_days, amount, calculation, parts)
         SELECT $1, * FROM unnest($2::smallint[], $3::date[], $4::date[], $5::date[], $6::smallint[], $7::numeric[], $8::smallint[], $9::smallint[], $10::numeric[], $11::text[], $12::jsonb[])`,
        [
          c.id,
          periods.map((p) => p.seq),
          periods.map((p) => p.periodStart),
          periods.map((p) => p.periodEnd),
          periods.map((p) => p.dueDate),
          periods.map((p) => p.contractYear),
          periods.map((p) => p.annualRent),
          periods.map((p) => p.days),
          periods.map((p) => p.periodDays),
          periods.map((p) => p.amount),
          periods.map((p) => p.calculation),
          periods.map((p) => JSON.stringify(p.parts)),
        ],
      );
    }
    await em.query(`UPDATE land_use_contracts SET state = 'ACTIVE', activated_at = now(), contribution_id = $2 WHERE id = $1`, [c.id, contributionId]);
    return this.view(em, await this.load(em, code));
  }

  /**
   * The farm's stake: the appraised value as its IN_KIND_LAND contribution to the project, the
   * appraisal as the valuation document, effective on the contract's start date. Locks the project
   * row (after the contract's) and refuses a project no longer DRAFT before anything is written.
   */
  private async bookStake(em: EntityManager, c: ContractRow): Promise<string> {
    const projectCode = c.project_code!;
    const project = await this.projects.load(em, projectCode, { lock: true });
    if (project.state !== 'DRAFT') throw projectNotDraft(projectCode, project.state);
    const booked = await this.projects.addContribution(
      em,
      projectCode,
      {
        partyCode: c.lessor_code,
        kind: 'IN_KIND_LAND',
        amount: money(c.appraised_value!),
        valuationDocument: c.appraisal_reference!,
        description: `国有林地使用权入股 合同 ${c.code} ${new Dec(c.area_mu).toFixed(AREA_SCALE)} 亩 (${c.start_date}~${c.end_date})`,
        effectiveDate: c.start_date,
      },
      equityContributionKey(c.code),
    );
    return booked.contribution.id;
  }

  /**
   * The schedule with what is owed on each period: stored at activation; a DRAFT's computed from its
   * terms and shown PLANNED (the same periods activation will store); none for EQUITY or a cancelled draft.
   */
  async schedule(code: string, em: EntityManager = this.dataSource.manager): Promise<LandUseSchedulePeriodView[]> {
    const c = await this.load(em, code);
    if (c.state === 'DRAFT') return plannedSchedule(c);
    const periods = (await em.query(
      `SELECT p.id, p.seq, p.period_start::text AS period_start, p.period_end::text AS period_end, p.due_date::text AS due_date, p.contract_year,
              p.annual_rent::text AS annual_rent, p.days, p.period_days, p.amount::text AS amount, p.calculation, p.parts, p.state
         FROM land_use_periods p WHERE p.contract_id = $1 ORDER BY p.seq`,
      [c.id],
    )) as Array<PeriodRow & { seq: number; due_date: string; contract_year: number; annual_rent: string; period_days: number; calculation: string; state: LandUseScheduleState }>;
    const receivables = await this.receivables(em, c.id);
    return periods.map((p) => {
      const principal = receivables.find((r) => r.period_id === p.id && r.kind === 'PRINCIPAL');
      const fee = receivables.find((r) => r.period_id === p.id && r.kind === 'LATE_FEE');
      return {
        seq: p.seq,
        periodStart: p.period_start,
        periodEnd: p.period_end,
        dueDate: p.due_date,
        contractYear: p.contract_year,
        annualRent: money(p.annual_rent),
        days: p.days,
        periodDays: p.period_days,
        amount: money(p.amount),
        calculation: p.calculation,
        parts: p.parts,
        state: p.state,
        principalOutstanding: money(principal ? outstandingOf(principal) : ZERO),
        lateFeeAccrued: money(fee?.amount ?? ZERO),
        lateFeeOutstanding: money(fee ? outstandingOf(fee) : ZERO),
        lateFeeAccruedThrough: fee?.accrued_through ?? null,
      };
    });
  }

  // ---------------------------------------------------------------- the daily job

  /**
   * Raises every receivable due on or before `asOf` that is not raised yet (one entry per contract
   * and period), then accrues late fees for every day not accrued yet up to `asOf` (one entry per
   * contract and day). Running it again for the same day books nothing more.
   */
  async runDaily(em: EntityManager, asOf: string): Promise<LandUseDailyRun> {
    requireDate(asOf, 'asOf');
    const contracts = (await em.query(`SELECT code FROM land_use_contracts WHERE state = 'ACTIVE' AND mode <> 'EQUITY' ORDER BY id`)) as Array<{ code: string }>;
    const outcome: LandUseDailyRun = { asOf, contracts: contracts.length, raised: 0, lateFeeEntries: 0, lateFees: '0.00' };
    for (const { code } of contracts) {
      const c = await this.load(em, code, { lock: true });
      if (c.state !== 'ACTIVE') continue;
      const run = await this.bringUpTo(em, c, asOf);
      outcome.raised += run.raised;
      outcome.lateFeeEntries += run.lateFeeEntries;
      outcome.lateFees = money(new Dec(outcome.lateFees).plus(run.lateFees));
    }
    return outcome;
  }

  private async bringUpTo(em: EntityManager, c: ContractRow, asOf: string): Promise<{ raised: number; lateFeeEntries: number; lateFees: string }> {
    const raised = await this.raiseDue(em, c, asOf);
    const fees = await this.accrueLateFees(em, c, asOf);
    return { raised, ...fees };
  }

  /** Raises the periods due by `asOf`, oldest first; the lessee's credit settles what it can in the same entry. */
  private async raiseDue(em: EntityManager, c: ContractRow, asOf: string): Promise<number> {
    const due = (await em.query(
      `SELECT id, seq, due_date::text AS due_date, period_start::text AS period_start, period_end::text AS period_end, amount::text AS amount
         FROM land_use_periods WHERE contract_id = $1 AND state = 'SCHEDULED' AND due_date <= $2::date ORDER BY seq`,
      [c.id, asOf],
    )) as Array<{ id: string; seq: number; due_date: string; period_start: string; period_end: string; amount: string }>;
    for (const period of due) {
      const [receivable] = (await em.query(`INSERT INTO land_use_receivables (contract_id, period_id, kind, amount) VALUES ($1, $2, 'PRINCIPAL', $3) RETURNING id`, [
        c.id,
        period.id,
        period.amount,
      ])) as Array<{ id: string }>;
      const credit = new Dec((await this.ledger.getAccount(landLesseeCredit(c.code), em)).balance);
      const allocation = credit.isZero() ? null : allocatePayment(money(credit), await this.openItems(em, c.id));
      const applied = allocation ? credit.minus(allocation.credit) : ZERO;
      const postings: PostingDraft[] = [
        { account: landReceivable(c.code), side: 'DEBIT', amount: period.amount },
        { account: landIncome(c.code), side: 'CREDIT', amount: period.amount },
      ];
      if (applied.greaterThan(0)) {
        postings.push({ account: landLesseeCredit(c.code), side: 'DEBIT', amount: money(applied) }, { account: landReceivable(c.code), side: 'CREDIT', amount: money(applied) });
      }
      const posted = await this.ledger.post(em, {
        idempotencyKey: `land-use:${c.code}:raise:${period.seq}`,
        kind: 'LAND_USE_RENT_RAISED',
        effectiveDate: period.due_date,
        memo: `${c.lessee_name} 应付租金 第 ${period.seq} 期 ${period.period_start}~${period.period_end} ${money(period.amount)} 元${applied.greaterThan(0) ? `，以预收款抵 ${money(applied)} 元` : ''}`,
        metadata: { contract: c.code, periodSeq: period.seq, creditApplied: money(applied) },
        // The receivable shows the rent raised and the prepaid credit applied to it.
        clearingAccounts: [landReceivable(c.code)],
        postings,
      });
      await em.query(`UPDATE land_use_receivables SET entry_id = $2 WHERE id = $1`, [receivable.id, posted.entry.id]);
      await em.query(`UPDATE land_use_periods SET state = 'RAISED' WHERE id = $1`, [period.id]);
      if (allocation && applied.greaterThan(0)) await this.recordSettlement(em, c.id, 'CREDIT', applied, ZERO, period.due_date, null, posted.entry.id, allocation.applications);
    }
    return due.length;
  }

  /**
   * Late fees, day by day from the day after each due date through `asOf`: the daily rate on the
   * principal then overdue (payments count from their day on: the day of payment still accrues on
   * what was owed before it), rounded to the 分 per day, up to the cap. One entry per contract and
   * day (key land-use:<C>:late-fee:<date>); each period's late-fee row records the day it is accrued through.
   */
  private async accrueLateFees(em: EntityManager, c: ContractRow, asOf: string): Promise<{ lateFeeEntries: number; lateFees: string }> {
    const receivables = await this.receivables(em, c.id);
    const principals = receivables.filter((r) => r.kind === 'PRINCIPAL' && r.due_date < asOf);
    if (principals.length === 0) return { lateFeeEntries: 0, lateFees: '0.00' };
    const lines = (await em.query(
      `SELECT l.receivable_id, s.effective_date::text AS effective_date, l.amount::text AS amount
         FROM land_use_settlement_lines l JOIN land_use_settlements s ON s.id = l.settlement_id WHERE s.contract_id = $1`,
      [c.id],
    )) as Array<{ receivable_id: string; effective_date: string; amount: string }>;
    const rate = new Dec(c.late_fee_daily_rate).toString();
    const byDay = new Map<string, Map<number, Decimal>>();
    const updates: Array<{ principal: ReceivableRow; fee: ReceivableRow | undefined; added: Decimal }> = [];
    for (const principal of principals) {
      const fee = receivables.find((r) => r.kind === 'LATE_FEE' && r.period_id === principal.period_id);
      const paid = lines.filter((l) => l.receivable_id === principal.id);
      const start = addDays(fee?.accrued_through && fee.accrued_through > principal.due_date ? fee.accrued_through : principal.due_date, 1);
      // Once the principal is settled, nothing accrues after the last settlement's day.
      const lastPaid = paid.reduce((last, l) => (l.effective_date > last ? l.effective_date : last), principal.due_date);
      const end = outstandingOf(principal).isZero() ? (lastPaid < asOf ? lastPaid : asOf) : asOf;
      if (start > end) continue;
      const cap = round2(new Dec(principal.amount).times(c.late_fee_cap_ratio)).toFixed(2);
      let accrued = new Dec(fee?.amount ?? 0);
      let added = ZERO;
      for (let day = start; day <= end; day = addDays(day, 1)) {
        const overdue = new Dec(principal.amount).minus(principal.credited).minus(sum(paid.filter((l) => l.effective_date < day).map((l) => l.amount)));
        if (overdue.lessThanOrEqualTo(0)) continue;
        const amount = new Dec(lateFeeForDay(money(overdue), rate, money(accrued), cap));
        if (amount.isZero()) break;
        accrued = accrued.plus(amount);
        added = added.plus(amount);
        const perPeriod = byDay.get(day) ?? new Map<number, Decimal>();
        perPeriod.set(principal.seq, amount);
        byDay.set(day, perPeriod);
      }
      updates.push({ principal, fee, added });
    }
    const drafts: EntryDraft[] = [...byDay.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([day, perPeriod]) => {
        const total = money(sum(perPeriod.values()));
        return {
          idempotencyKey: `land-use:${c.code}:late-fee:${day}`,
          kind: 'LAND_USE_LATE_FEE',
          effectiveDate: day,
          memo: `${c.lessee_name} 滞纳金 ${day} ${total} 元 (日费率 ${rate})`,
          metadata: { contract: c.code, date: day, periods: Object.fromEntries([...perPeriod.entries()].map(([seq, amount]) => [String(seq), money(amount)])) },
          postings: [
            { account: landReceivable(c.code), side: 'DEBIT', amount: total },
            { account: landIncome(c.code), side: 'CREDIT', amount: total },
          ],
        };
      });
    if (drafts.length > 0) await this.ledger.postBatch(em, drafts);
    for (const { principal, fee, added } of updates) {
      if (fee)
        await em.query(`UPDATE land_use_receivables SET amount = amount + $2, accrued_through = GREATEST(accrued_through, $3::date) WHERE id = $1`, [
          fee.id,
          added.toFixed(2),
          asOf,
        ]);
      else if (added.greaterThan(0)) {
        await em.query(`INSERT INTO land_use_receivables (contract_id, period_id, kind, amount, accrued_through) VALUES ($1, $2, 'LATE_FEE', $3, $4)`, [
          c.id,
          principal.period_id,
          added.toFixed(2),
          asOf,
        ]);
      }
    }
    return { lateFeeEntries: drafts.length, lateFees: money(sum(drafts.map((d) => d.postings[0].amount))) };
  }

  // ---------------------------------------------------------------- payments and waivers

  /** A payment from the lessee: oldest period first, late fee before principal; the excess stays as the lessee's credit. One entry. */
  async recordPayment(em: EntityManager, code: string, input: LandUsePaymentInput, key: string): Promise<LandUsePaymentOutcome> {
    const c = await this.load(em, code, { lock: true });
    const idempotencyKey = `land-use-payment:${key}`;
    const replay = await this.settlementByKey(em, c.id, idempotencyKey);
    if (replay) return { contract: code, settlement: replay, ...(await this.balances(em, code)), replayed: true };
    if (c.mode === 'EQUITY') throw new LandUseError('NOT_RENTED', `${code} is an EQUITY contract: it pays no rent`, 'contract');
    if (c.state === 'DRAFT' || c.state === 'CANCELLED') throw new LandUseError('CONTRACT_NOT_ACTIVE', `${code} is ${c.state === 'DRAFT' ? 'a draft' : 'cancelled'}`, 'contract');
    const amount = Amount.parsePositive(input.amount, 2, 'amount').value;
    const receivedOn = requireDate(input.receivedOn, 'receivedOn');
    const bankReference = requireText(input.bankReference, 'bankReference', 100);
    const [{ through }] = (await em.query(`SELECT max(accrued_through)::text AS through FROM land_use_receivables WHERE contract_id = $1`, [c.id])) as Array<{
      through: string | null;
    }>;
    if (through !== null && receivedOn < through) {
      throw new LandUseError(
        'PAYMENT_BEFORE_ACCRUED_FEES',
        `late fees of ${code} are accrued through ${through}; a payment received on ${receivedOn} would change them`,
        'receivedOn',
        { accruedThrough: through },
      );
    }
    const items = await this.openItems(em, c.id);
    const allocation = allocatePayment(money(amount), items);
    const credit = new Dec(allocation.credit);
    if (c.state !== 'ACTIVE' && credit.greaterThan(0)) {
      throw new LandUseError('PAYMENT_EXCEEDS_OWED', `${code} is ${c.state}: it takes payments of what is owed (${money(sum(items.map((i) => i.outstanding)))} 元) only`, 'amount');
    }
    const applied = amount.minus(credit);
    const postings: PostingDraft[] = [{ account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount: money(amount) }];
    if (applied.greaterThan(0)) postings.push({ account: landReceivable(code), side: 'CREDIT', amount: money(applied) });
    if (credit.greaterThan(0)) postings.push({ account: landLesseeCredit(code), side: 'CREDIT', amount: money(credit) });
    const posted = await this.ledger.post(em, {
      idempotencyKey,
      kind: 'LAND_USE_PAYMENT',
      effectiveDate: receivedOn,
      memo: `${c.lessee_name} 付款 ${money(amount)} 元 合同 ${code} 银行流水 ${bankReference}${credit.greaterThan(0) ? `，预收 ${money(credit)} 元` : ''}`,
      metadata: { contract: code, bankReference, applied: money(applied), toCredit: money(credit) },
      postings,
    });
    await this.recordSettlement(em, c.id, 'PAYMENT', amount, credit, receivedOn, bankReference, posted.entry.id, allocation.applications);
    const settlement = (await this.settlementByKey(em, c.id, idempotencyKey))!;
    return { contract: code, settlement, ...(await this.balances(em, code)), replayed: false };
  }

  /** Waives (part of) a period's late fee: an APPROVER other than the contract's creator, with a reason. */
  async waiveLateFee(em: EntityManager, code: string, input: LandUseWaiverInput, actor: LandUseActor, key: string): Promise<LandUseWaiverOutcome> {
    const c = await this.load(em, code, { lock: true });
    if (actor.role !== 'APPROVER') throw new LandUseError('NOT_AN_APPROVER', `waiving a late fee needs the APPROVER role; the caller is ${actor.role}`, 'role');
    if (actor.userId === c.created_by) throw new LandUseError('NOT_AN_APPROVER', `the creator of ${code} cannot waive its late fees (four eyes)`, 'role');
    const reason = requireText(input.reason, 'reason', 500);
    const idempotencyKey = `land-use-waiver:${key}`;
    const [done] = (await em.query(
      `SELECT w.amount::text AS amount, w.reason, w.entry_id, p.seq FROM land_use_waivers w JOIN ledger_entries e ON e.id = w.entry_id
         JOIN land_use_receivables r ON r.id = w.receivable_id JOIN land_use_periods p ON p.id = r.period_id WHERE e.idempotency_key = $1 AND r.contract_id = $2`,
      [idempotencyKey, c.id],
    )) as Array<{ amount: string; reason: string; entry_id: string; seq: number }>;
    const feeOf = async (seq: number) => (await this.receivables(em, c.id)).find((r) => r.kind === 'LATE_FEE' && r.seq === seq);
    if (done) {
      const fee = await feeOf(done.seq);
      return {
        contract: code,
        periodSeq: done.seq,
        amount: money(done.amount),
        reason: done.reason,
        entryId: done.entry_id,
        lateFeeOutstanding: money(fee ? outstandingOf(fee) : ZERO),
        replayed: true,
      };
    }
    const fee = await feeOf(input.periodSeq);
    const outstanding = fee ? outstandingOf(fee) : ZERO;
    if (!fee || outstanding.isZero()) throw new LandUseError('NO_LATE_FEE_TO_WAIVE', `period ${input.periodSeq} of ${code} has no late fee outstanding`, 'periodSeq');
    const amount = input.amount === undefined ? outstanding : Amount.parsePositive(input.amount, 2, 'amount').value;
    if (amount.greaterThan(outstanding))
      throw new LandUseError('NO_LATE_FEE_TO_WAIVE', `only ${money(outstanding)} 元 of late fee is outstanding on period ${input.periodSeq}`, 'amount');
    const posted = await this.ledger.post(em, {
      idempotencyKey,
      kind: 'LAND_USE_LATE_FEE_WAIVED',
      effectiveDate: businessToday(),
      memo: `减免滞纳金 第 ${input.periodSeq} 期 ${money(amount)} 元：${reason}`,
      metadata: { contract: code, periodSeq: input.periodSeq, reason, waivedBy: actor.userId },
      postings: [
        { account: landIncome(code), side: 'DEBIT', amount: money(amount) },
        { account: landReceivable(code), side: 'CREDIT', amount: money(amount) },
      ],
    });
    await em.query(`UPDATE land_use_receivables SET waived = waived + $2 WHERE id = $1`, [fee.id, money(amount)]);
    await em.query(`INSERT INTO land_use_waivers (receivable_id, amount, reason, waived_by, entry_id) VALUES ($1, $2, $3, $4, $5)`, [
      fee.id,
      money(amount),
      reason,
      actor.userId,
      posted.entry.id,
    ]);
    return {
      contract: code,
      periodSeq: input.periodSeq,
      amount: money(amount),
      reason,
      entryId: posted.entry.id,
      lateFeeOutstanding: money(outstanding.minus(amount)),
      replayed: false,
    };
  }

  // ---------------------------------------------------------------- the close

  /**
   * Early termination on `terminatedOn` (the last day of use): raises what was due by then and
   * accrues late fees through it, cancels the later periods, credits the unused days of the current
   * period pro rata, then settles (the lessee's credit, then the deposit, applied to what is owed;
   * the deposit's rest returned or forfeited; any credit left refunded). Late fees stop at the close.
   */
  async terminate(em: EntityManager, code: string, input: LandUseTerminationInput, key: string): Promise<LandUseContractView> {
    const c = await this.load(em, code, { lock: true });
    if (c.settlement !== null && c.settlement.key === key && c.state === 'TERMINATED') return this.view(em, c);
    if (c.state !== 'ACTIVE') throw new LandUseError('CONTRACT_NOT_ACTIVE', `${code} is ${c.state}; only an active contract can be terminated`, 'contract');
    const terminatedOn = requireDate(input.terminatedOn, 'terminatedOn');
    if (terminatedOn < c.start_date || terminatedOn >= c.end_date) {
      throw new LandUseError(
        'INVALID_TERMINATION',
        `terminatedOn must lie from ${c.start_date} to the day before the end ${c.end_date} (the end of term is endTerm)`,
        'terminatedOn',
      );
    }
    const reason = requireText(input.reason, 'reason', 500);
    const forfeitReason = this.dispositionReason(input);
    let periodCredit: LandUseClosingSettlement['periodCredit'] = null;
    const cancelled: number[] = [];
    if (c.mode !== 'EQUITY') {
      await this.bringUpTo(em, c, terminatedOn);
      const later = (await em.query(
        `WITH u AS (UPDATE land_use_periods SET state = 'CANCELLED' WHERE contract_id = $1 AND period_start > $2::date AND state = 'SCHEDULED' RETURNING seq) SELECT seq FROM u`,
        [c.id, terminatedOn],
      )) as Array<{ seq: number }>;
      cancelled.push(...later.map((p) => p.seq).sort((a, b) => a - b));
      periodCredit = await this.creditUnusedDays(em, c, terminatedOn, key);
    }
    const settlement = await this.settleClose(em, c, terminatedOn, input.deposit, forfeitReason, key, periodCredit, cancelled);
    await em.query(`UPDATE land_use_contracts SET state = 'TERMINATED', terminated_on = $2, termination_reason = $3, settlement = $4, closed_at = now() WHERE id = $1`, [
      c.id,
      terminatedOn,
      reason,
      JSON.stringify(settlement),
    ]);
    return this.view(em, await this.load(em, code));
  }

  /** The end of term: everything raised and accrued through `endedOn`, then the same settlement as a termination (without the period credit). */
  async endTerm(em: EntityManager, code: string, input: LandUseEndOfTermInput, key: string): Promise<LandUseContractView> {
    const c = await this.load(em, code, { lock: true });
    if (c.settlement !== null && c.settlement.key === key && c.state === 'ENDED') return this.view(em, c);
    if (c.state !== 'ACTIVE') throw new LandUseError('CONTRACT_NOT_ACTIVE', `${code} is ${c.state}; only an active contract can end`, 'contract');
    const endedOn = requireDate(input.endedOn, 'endedOn');
    if (endedOn < c.end_date)
      throw new LandUseError('TERM_NOT_ENDED', `${code} runs until ${c.end_date}; it cannot end on ${endedOn} (terminate it early instead)`, 'endedOn', { endDate: c.end_date });
    const forfeitReason = this.dispositionReason(input);
    if (c.mode !== 'EQUITY') await this.bringUpTo(em, c, endedOn);
    const settlement = await this.settleClose(em, c, endedOn, input.deposit, forfeitReason, key, null, []);
    await em.query(`UPDATE land_use_contracts SET state = 'ENDED', settlement = $2, closed_at = now() WHERE id = $1`, [c.id, JSON.stringify(settlement)]);
    return this.view(em, await this.load(em, code));
  }

  /**
   * Cancels a draft that never took effect (any mode), with a reason: DRAFT → CANCELLED. A deposit
   * already received goes back to the lessee in the same transaction, by the close's own deposit
   * settlement (nothing is owed on a draft, so all of it is returned: one entry deposit → bank),
   * recorded on the settlement. A contract that took effect is terminated or ended instead.
   */
  async cancel(em: EntityManager, code: string, input: LandUseCancellationInput, key: string): Promise<LandUseContractView> {
    const c = await this.load(em, code, { lock: true });
    if (c.settlement !== null && c.settlement.key === key && c.state === 'CANCELLED') return this.view(em, c);
    if (c.state === 'CANCELLED') throw new LandUseError('CONTRACT_NOT_CANCELLABLE', `${code} is cancelled already`, 'contract', { state: c.state });
    if (c.state !== 'DRAFT') {
      throw new LandUseError(
        'CONTRACT_NOT_CANCELLABLE',
        `${code} is ${c.state}: only a draft can be cancelled; ${c.state === 'ACTIVE' ? 'terminate it instead' : 'it is closed already'}`,
        'contract',
        { state: c.state },
      );
    }
    const reason = requireText(input.reason, 'reason', 500);
    const settlement = await this.settleClose(em, c, businessToday(), 'RETURN', null, key, null, []);
    await em.query(`UPDATE land_use_contracts SET state = 'CANCELLED', cancellation_reason = $2, settlement = $3, closed_at = now() WHERE id = $1`, [
      c.id,
      reason,
      JSON.stringify(settlement),
    ]);
    return this.view(em, await this.load(em, code));
  }

  private dispositionReason(input: { deposit: DepositDisposition; forfeitReason?: string }): string | null {
    if (input.deposit !== 'RETURN' && input.deposit !== 'FORFEIT') throw invalid('deposit must be RETURN or FORFEIT', 'deposit');
    if (input.deposit === 'FORFEIT') return requireText(input.forfeitReason, 'forfeitReason', 500);
    if (input.forfeitReason !== undefined) throw invalid('forfeitReason goes with deposit FORFEIT', 'forfeitReason');
    return null;
  }

  /**
   * The unused days of the period running on `lastDay`, at the rent of the contract year each falls in
   * (unusedRent): income back, off what is owed for it, the rest to the lessee's credit.
   */
  private async creditUnusedDays(em: EntityManager, c: ContractRow, lastDay: string, key: string): Promise<LandUseClosingSettlement['periodCredit']> {
    const [current] = (await em.query(`${RECEIVABLE_SELECT} WHERE r.contract_id = $1 AND r.kind = 'PRINCIPAL' AND p.period_start <= $2::date AND p.period_end > $2::date`, [
      c.id,
      lastDay,
    ])) as ReceivableRow[];
    if (!current) return null;
    const [period] = (await em.query(
      `SELECT id, period_start::text AS period_start, period_end::text AS period_end, days, amount::text AS amount, parts FROM land_use_periods WHERE id = $1`,
      [current.period_id],
    )) as PeriodRow[];
    const usedDays = daysInclusive(period.period_start, lastDay);
    const credit = unusedRent(period.parts, lastDay);
    if (credit.isZero()) return null;
    const offReceivable = Decimal.min(credit, outstandingOf(current));
    const toCredit = credit.minus(offReceivable);
    const postings: PostingDraft[] = [{ account: landIncome(c.code), side: 'DEBIT', amount: money(credit) }];
    if (offReceivable.greaterThan(0)) postings.push({ account: landReceivable(c.code), side: 'CREDIT', amount: money(offReceivable) });
    if (toCredit.greaterThan(0)) postings.push({ account: landLesseeCredit(c.code), side: 'CREDIT', amount: money(toCredit) });
    await this.ledger.post(em, {
      idempotencyKey: `land-use-close:${key}:period-credit`,
      kind: 'LAND_USE_TERMINATION_CREDIT',
      effectiveDate: lastDay,
      memo: `提前终止 第 ${current.seq} 期 未使用 ${period.days - usedDays}/${period.days} 天 退租金 ${money(credit)} 元`,
      metadata: { contract: c.code, periodSeq: current.seq, usedDays, days: period.days },
      postings,
    });
    await em.query(`UPDATE land_use_receivables SET credited = credited + $2 WHERE id = $1`, [current.id, money(offReceivable)]);
    return { seq: current.seq, usedDays, days: period.days, amount: money(credit) };
  }

  private async settleClose(
    em: EntityManager,
    c: ContractRow,
    closedOn: string,
    disposition: DepositDisposition,
    forfeitReason: string | null,
    key: string,
    periodCredit: LandUseClosingSettlement['periodCredit'],
    cancelledPeriods: number[],
  ): Promise<LandUseClosingSettlement> {
    const settlement: LandUseClosingSettlement = {
      key,
      closedOn,
      periodCredit,
      creditApplied: '0.00',
      depositHeld: '0.00',
      depositApplied: '0.00',
      depositReturned: '0.00',
      depositForfeited: '0.00',
      forfeitReason,
      creditRefunded: '0.00',
      cancelledPeriods,
      remainingOwed: '0.00',
    };
    if (c.mode === 'EQUITY') return settlement;
    const code = c.code;
    const credit = new Dec((await this.ledger.getAccount(landLesseeCredit(code), em)).balance);
    if (credit.greaterThan(0)) {
      const allocation = allocatePayment(money(credit), await this.openItems(em, c.id));
      const applied = credit.minus(allocation.credit);
      if (applied.greaterThan(0)) {
        const posted = await this.ledger.post(em, {
          idempotencyKey: `land-use-close:${key}:credit`,
          kind: 'LAND_USE_CREDIT_APPLIED',
          effectiveDate: closedOn,
          memo: `合同 ${code} 结算：预收款抵欠款 ${money(applied)} 元`,
          metadata: { contract: code },
          postings: [
            { account: landLesseeCredit(code), side: 'DEBIT', amount: money(applied) },
            { account: landReceivable(code), side: 'CREDIT', amount: money(applied) },
          ],
        });
        await this.recordSettlement(em, c.id, 'CREDIT', applied, ZERO, closedOn, null, posted.entry.id, allocation.applications);
        settlement.creditApplied = money(applied);
      }
    }
    const held = new Dec((await this.ledger.getAccount(landDeposit(code), em)).balance);
    settlement.depositHeld = money(held);
    if (held.greaterThan(0)) {
      const allocation = allocatePayment(money(held), await this.openItems(em, c.id));
      const applied = held.minus(allocation.credit);
      const rest = new Dec(allocation.credit);
      const postings: PostingDraft[] = [{ account: landDeposit(code), side: 'DEBIT', amount: money(held) }];
      if (applied.greaterThan(0)) postings.push({ account: landReceivable(code), side: 'CREDIT', amount: money(applied) });
      if (rest.greaterThan(0)) postings.push({ account: disposition === 'RETURN' ? BANK_CLEARING_ACCOUNT : landIncome(code), side: 'CREDIT', amount: money(rest) });
      const posted = await this.ledger.post(em, {
        idempotencyKey: `land-use-close:${key}:deposit`,
        kind: 'LAND_USE_DEPOSIT_SETTLED',
        effectiveDate: closedOn,
        memo: `合同 ${code} 结算保证金 ${money(held)} 元：抵欠款 ${money(applied)} 元，${disposition === 'RETURN' ? '退还' : `没收 (${forfeitReason})`} ${money(rest)} 元`,
        metadata: { contract: code, applied: money(applied), disposition, rest: money(rest), forfeitReason },
        postings,
      });
      if (applied.greaterThan(0)) await this.recordSettlement(em, c.id, 'DEPOSIT', applied, ZERO, closedOn, null, posted.entry.id, allocation.applications);
      settlement.depositApplied = money(applied);
      if (disposition === 'RETURN') settlement.depositReturned = money(rest);
      else settlement.depositForfeited = money(rest);
    }
    const left = new Dec((await this.ledger.getAccount(landLesseeCredit(code), em)).balance);
    if (left.greaterThan(0)) {
      await this.ledger.post(em, {
        idempotencyKey: `land-use-close:${key}:refund`,
        kind: 'LAND_USE_CREDIT_REFUNDED',
        effectiveDate: closedOn,
        memo: `合同 ${code} 结算：退还预收款 ${money(left)} 元`,
        metadata: { contract: code },
        postings: [
          { account: landLesseeCredit(code), side: 'DEBIT', amount: money(left) },
          { account: BANK_CLEARING_ACCOUNT, side: 'CREDIT', amount: money(left) },
        ],
      });
      settlement.creditRefunded = money(left);
    }
    settlement.remainingOwed = money(sum((await this.openItems(em, c.id)).map((i) => i.outstanding)));
    return settlement;
  }

  // ---------------------------------------------------------------- internals

  private async receivables(em: EntityManager, contractId: string): Promise<ReceivableRow[]> {
    return (await em.query(`${RECEIVABLE_SELECT} WHERE r.contract_id = $1 ORDER BY p.seq, r.kind`, [contractId])) as ReceivableRow[];
  }

  private async openItems(em: EntityManager, contractId: string): Promise<OpenItem[]> {
    return (await this.receivables(em, contractId))
      .filter((r) => outstandingOf(r).greaterThan(0))
      .map((r) => ({ id: r.id, periodSeq: r.seq, dueDate: r.due_date, kind: r.kind, outstanding: money(outstandingOf(r)) }));
  }

  /** Stores a settlement, its lines, and what each receivable has been settled by. */
  private async recordSettlement(
    em: EntityManager,
    contractId: string,
    source: SettlementSource,
    amount: Decimal,
    toCredit: Decimal,
    effectiveDate: string,
    bankReference: string | null,
    entryId: string,
    applications: ReadonlyArray<{ id: string; amount: string }>,
  ): Promise<void> {
    const [row] = (await em.query(
      `INSERT INTO land_use_settlements (contract_id, source, amount, to_credit, effective_date, bank_reference, entry_id) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
      [contractId, source, money(amount), money(toCredit), effectiveDate, bankReference, entryId],
    )) as Array<{ id: string }>;
    if (applications.length === 0) return;
    await em.query(`INSERT INTO land_use_settlement_lines (settlement_id, receivable_id, amount) SELECT $1, * FROM unnest($2::bigint[], $3::numeric[])`, [
      row.id,
      applications.map((a) => a.id),
      applications.map((a) => a.amount),
    ]);
    await em.query(`UPDATE land_use_receivables r SET settled = r.settled + v.amount FROM unnest($1::bigint[], $2::numeric[]) AS v(id, amount) WHERE r.id = v.id`, [
      applications.map((a) => a.id),
      applications.map((a) => a.amount),
    ]);
  }

  private async settlementByKey(em: EntityManager, contractId: string, idempotencyKey: string): Promise<LandUseSettlementView | null> {
    const [s] = (await em.query(
      `SELECT s.id, s.source, s.amount::text AS amount, s.to_credit::text AS to_credit, s.effective_date::text AS effective_date, s.bank_reference, s.entry_id
         FROM land_use_settlements s JOIN ledger_entries e ON e.id = s.entry_id WHERE e.idempotency_key = $1 AND s.contract_id = $2`,
      [idempotencyKey, contractId],
    )) as Array<{ id: string; source: SettlementSource; amount: string; to_credit: string; effective_date: string; bank_reference: string | null; entry_id: string }>;
    if (!s) return null;
    const lines = (await em.query(
      `SELECT p.seq, r.kind, l.amount::text AS amount FROM land_use_settlement_lines l JOIN land_use_receivables r ON r.id = l.receivable_id JOIN land_use_periods p ON p.id = r.period_id
        WHERE l.settlement_id = $1 ORDER BY p.due_date, p.seq, r.kind`,
      [s.id],
    )) as Array<{ seq: number; kind: ReceivableKind; amount: string }>;
    return {
      id: s.id,
      source: s.source,
      amount: money(s.amount),
      toCredit: money(s.to_credit),
      effectiveDate: s.effective_date,
      bankReference: s.bank_reference,
      entryId: s.entry_id,
      lines: lines.map((l) => ({ seq: l.seq, kind: l.kind, amount: money(l.amount) })),
    };
  }

  private async balances(em: EntityManager, code: string): Promise<{ receivable: string; lesseeCredit: string }> {
    const [receivable, credit] = [await this.ledger.getAccount(landReceivable(code), em), await this.ledger.getAccount(landLesseeCredit(code), em)];
    return { receivable: receivable.balance, lesseeCredit: credit.balance };
  }

  /**
   * The farm's stake of each EQUITY contract, by contract id, read from the project's series and its
   * dividend lines (no copy of the money): the units this contract brought (appraised value / face
   * value), the units the farm holds now, and every dividend the series paid the farm. Three queries.
   */
  private async equityViews(em: EntityManager, contracts: ContractRow[]): Promise<Map<string, LandUseEquityView>> {
    const out = new Map<string, LandUseEquityView>();
    if (contracts.length === 0) return out;
    const seriesRows = (await em.query(
      `SELECT s.project_id::text AS project_id, s.id, s.code, s.face_value::text AS face_value FROM ticket_series s WHERE s.project_id = ANY($1::bigint[])`,
      [[...new Set(contracts.map((c) => String(c.project_id)))]],
    )) as Array<{ project_id: string; id: string; code: string; face_value: string }>;
    const seriesOf = new Map<string, { id: string; code: string; face_value: string }>();
    for (const r of seriesRows) if (!seriesOf.has(r.project_id)) seriesOf.set(r.project_id, r);
    const stakes = contracts.flatMap((c) => {
      const series = seriesOf.get(String(c.project_id));
      return series ? [{ c, series }] : [];
    });
    const heldRows = stakes.length
      ? ((await em.query(
          `SELECT a.code, (CASE a.normal_side WHEN 'DEBIT' THEN a.debits - a.credits ELSE a.credits - a.debits END)::text AS balance FROM ledger_accounts a WHERE a.code = ANY($1::text[])`,
          [[...new Set(stakes.flatMap(({ c, series }) => [holderTickets(c.lessor_code, series.code), holderPledged(c.lessor_code, series.code)]))]],
        )) as Array<{ code: string; balance: string }>)
      : [];
    const heldOf = new Map(heldRows.map((r) => [r.code, r.balance]));
    const keys = [...new Map(stakes.map(({ c, series }) => [`${series.id}/${c.lessor_code}`, { seriesId: String(series.id), party: c.lessor_code }])).values()];
    const lines = keys.length
      ? ((await em.query(
          `SELECT d.series_id::text AS series_id, p.code AS party_code, l.declaration_id, to_char(d.record_date, 'YYYY-MM-DD') AS record_date, to_char(d.payment_date, 'YYYY-MM-DD') AS payment_date,
                  l.units::text AS units, l.amount::text AS amount, l.entry_id
             FROM dividend_lines l JOIN dividend_declarations d ON d.id = l.declaration_id JOIN parties p ON p.id = l.party_id
             JOIN unnest($1::bigint[], $2::text[]) AS k(series_id, party_code) ON k.series_id = d.series_id AND k.party_code = p.code
            WHERE l.entry_id IS NOT NULL ORDER BY d.payment_date, d.id`,
          [keys.map((k) => k.seriesId), keys.map((k) => k.party)],
        )) as Array<{ series_id: string; party_code: string; declaration_id: string; record_date: string; payment_date: string; units: string; amount: string; entry_id: string }>)
      : [];
    for (const c of contracts) {
      const base = {
        appraisedValue: money(c.appraised_value!),
        appraisalReference: c.appraisal_reference!,
        project: c.project_code!,
        contributionId: c.contribution_id,
        contributionEntryId: c.contribution_entry_id,
      };
      const series = seriesOf.get(String(c.project_id));
      if (!series) {
        out.set(String(c.id), { ...base, series: null });
        continue;
      }
      const held = sum([holderTickets(c.lessor_code, series.code), holderPledged(c.lessor_code, series.code)].map((code) => heldOf.get(code) ?? 0));
      const own = lines.filter((l) => l.series_id === String(series.id) && l.party_code === c.lessor_code);
      out.set(String(c.id), {
        ...base,
        series: {
          code: series.code,
          faceValue: money(series.face_value),
          unitsFromContract: new Dec(c.appraised_value!).div(series.face_value).toString(),
          farmUnitsHeld: held.toFixed(0),
          distributions: own.map((l) => ({
            declarationId: l.declaration_id,
            recordDate: l.record_date,
            paymentDate: l.payment_date,
            units: new Dec(l.units).toFixed(0),
            amount: money(l.amount),
            entryId: l.entry_id,
          })),
          distributedTotal: money(sum(own.map((l) => l.amount))),
        },
      });
    }
    return out;
  }

  private async view(em: EntityManager, c: ContractRow): Promise<LandUseContractView> {
    const [view] = await this.views(em, [c]);
    return view;
  }

  /** The views of `rows`, in their order: parcels, balances and equity stakes read for all of them at once (at most five queries). */
  private async views(em: EntityManager, rows: ContractRow[]): Promise<LandUseContractView[]> {
    if (rows.length === 0) return [];
    const parcels = (await em.query(
      `SELECT cp.contract_id::text AS contract_id, pa.id, pa.certificate_no, pa.area_mu::text AS area_mu FROM land_use_contract_parcels cp JOIN parcels pa ON pa.id = cp.parcel_id
        WHERE cp.contract_id = ANY($1::bigint[]) ORDER BY pa.certificate_no`,
      [rows.map((c) => String(c.id))],
    )) as Array<{ contract_id: string; id: string; certificate_no: string; area_mu: string }>;
    const accounts = await this.ledger.getAccounts(
      rows.filter((c) => c.mode !== 'EQUITY').flatMap((c) => [landDeposit(c.code), landReceivable(c.code), landLesseeCredit(c.code), landIncome(c.code)]),
      em,
    );
    const balances = new Map(accounts.map((a) => [a.code, a.balance]));
    const equity = await this.equityViews(
      em,
      rows.filter((c) => c.mode === 'EQUITY'),
    );
    return rows.map((c) => {
      const rented = c.mode !== 'EQUITY';
      const balance = (account: string) => (rented ? balances.get(account)! : '0.00');
      const input = rented ? scheduleInputOf(c) : null;
      return {
        code: c.code,
        mode: c.mode,
        state: c.state,
        lessor: { code: c.lessor_code, name: c.lessor_name },
        lessee: { code: c.lessee_code, name: c.lessee_name },
        areaMu: new Dec(c.area_mu).toFixed(AREA_SCALE),
        parcels: parcels.filter((p) => p.contract_id === String(c.id)).map((p) => ({ id: p.id, certificateNo: p.certificate_no, areaMu: new Dec(p.area_mu).toFixed(AREA_SCALE) })),
        permittedUses: c.permitted_uses,
        otherUse: c.other_use,
        startDate: c.start_date,
        endDate: c.end_date,
        renewsContract: c.renews_code,
        renewedBy: c.renewed_by,
        rent: input === null ? null : input.rent.kind === 'PER_MU' ? { kind: 'PER_MU', ratePerMuYear: input.rent.ratePerMuYear } : input.rent,
        escalation: input?.escalation ?? { kind: 'NONE' },
        billingFrequency: c.billing_frequency,
        deposit: { amount: money(c.deposit_amount), received: c.deposit_entry_id !== null, held: balance(landDeposit(c.code)) },
        lateFee: { dailyRate: new Dec(c.late_fee_daily_rate).toString(), capRatio: new Dec(c.late_fee_cap_ratio).toString() },
        equity: c.mode === 'EQUITY' ? equity.get(String(c.id))! : null,
        createdBy: c.created_by,
        receivable: balance(landReceivable(c.code)),
        lesseeCredit: balance(landLesseeCredit(c.code)),
        income: balance(landIncome(c.code)),
        terminatedOn: c.terminated_on,
        terminationReason: c.termination_reason,
        cancellationReason: c.cancellation_reason,
        settlement: c.settlement,
        createdAt: c.created_at.toISOString(),
        activatedAt: c.activated_at?.toISOString() ?? null,
        closedAt: c.closed_at?.toISOString() ?? null,
      };
    });
  }
}
