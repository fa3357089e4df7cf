import Decimal from 'decimal.js';
import { numericTransformer } from '@forest-ledger/ledger/persistence/numeric.transformer';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CoopProjectEntity, ProjectContributionEntity } from '../projects/project.entities';
import type { SchedulePeriodPart } from './rent-schedule';

export const LAND_USE_MODES = ['LEASE', 'EQUITY', 'CONCESSION'] as const;
/** 租赁 / 入股 / 特许经营. */
export type LandUseMode = (typeof LAND_USE_MODES)[number];
/** DRAFT → ACTIVE → ENDED (end of term) or TERMINATED (early); DRAFT → CANCELLED (never took effect). */
export const LAND_USE_STATES = ['DRAFT', 'ACTIVE', 'ENDED', 'TERMINATED', 'CANCELLED'] as const;
export type LandUseState = (typeof LAND_USE_STATES)[number];
/** 林下经济, 森林康养, 旅游, 自然教育, other (described in `other_use`). */
export const PERMITTED_USES = ['UNDERSTORY_ECONOMY', 'FOREST_WELLNESS', 'TOURISM', 'NATURE_EDUCATION', 'OTHER'] as const;
export type PermittedUse = (typeof PERMITTED_USES)[number];
export const PERMITTED_USE_LABELS: Readonly<Record<PermittedUse, string>> = {
  UNDERSTORY_ECONOMY: '林下经济',
  FOREST_WELLNESS: '森林康养',
  TOURISM: '旅游',
  NATURE_EDUCATION: '自然教育',
  OTHER: '其他',
};
export const LAND_USE_PERIOD_STATES = ['SCHEDULED', 'RAISED', 'CANCELLED'] as const;
export type LandUsePeriodState = (typeof LAND_USE_PERIOD_STATES)[number];
/** A period as shown: PLANNED is a draft's period, computed on reading and stored only at activation. */
export const LAND_USE_SCHEDULE_STATES = ['PLANNED', ...LAND_USE_PERIOD_STATES] as const;
export type LandUseScheduleState = (typeof LAND_USE_SCHEDULE_STATES)[number];
export const RECEIVABLE_KINDS = ['PRINCIPAL', 'LATE_FEE'] as const;
export type ReceivableKind = (typeof RECEIVABLE_KINDS)[number];
/** Where the money that settled receivables came from: a bank payment, the lessee's credit, the deposit. */
export const SETTLEMENT_SOURCES = ['PAYMENT', 'CREDIT', 'DEPOSIT'] as const;
export type SettlementSource = (typeof SETTLEMENT_SOURCES)[number];

/**
 * A paid-use contract of state forest land (国有林地有偿使用合同, DOMAIN.md §7) between a state farm
 * (lessor) and a lessee. LEASE and CONCESSION carry rent terms; EQUITY an appraised value instead,
 * which goes into a cooperation project of the farm and the lessee as the farm's in-kind stake.
 * Its terms are frozen at activation, when the schedule is stored (or the stake booked).
 */
@Entity({ name: 'land_use_contracts' })
@Unique('uq_land_use_contracts_code', ['code'])
@Unique('uq_land_use_contracts_renews', ['renewsContractId'])
@Index('ix_land_use_contracts_lessor', ['lessorPartyId'])
@Index('ix_land_use_contracts_lessee', ['lesseePartyId'])
@Index('ix_land_use_contracts_project', ['projectId'])
@Unique('uq_land_use_contracts_contribution', ['contributionId'])
@Check('ck_land_use_contracts_mode', `"mode" IN ('LEASE', 'EQUITY', 'CONCESSION')`)
@Check('ck_land_use_contracts_state', `"state" IN ('DRAFT', 'ACTIVE', 'ENDED', 'TERMINATED', 'CANCELLED')`)
@Check(
  'ck_land_use_contracts_uses',
  `cardinality("permitted_uses") > 0 AND "permitted_uses" <@ ARRAY['UNDERSTORY_ECONOMY', 'FOREST_WELLNESS', 'TOURISM', 'NATURE_EDUCATION', 'OTHER']::text[]`,
)
@Check('ck_land_use_contracts_area', `"area_mu" > 0`)
@Check('ck_land_use_contracts_dates', `"end_date" >= "start_date"`)
@Check('ck_land_use_contracts_parties', `"lessor_party_id" <> "lessee_party_id"`)
@Check(
  'ck_land_use_contracts_rent',
  `("mode" = 'EQUITY') = ("rent_basis" IS NULL) AND ("rent_basis" IS NULL OR "rent_basis" IN ('PER_MU', 'FIXED')) AND ("rent_basis" <> 'PER_MU' OR "rent_rate_per_mu" > 0) AND ("rent_basis" <> 'FIXED' OR "rent_annual_amount" > 0)`,
)
@Check('ck_land_use_contracts_escalation', `"escalation_kind" IN ('NONE', 'STEP', 'PERCENT') AND ("escalation_kind" = 'NONE') = ("escalation_every_years" IS NULL)`)
@Check('ck_land_use_contracts_frequency', `"billing_frequency" IS NULL OR "billing_frequency" IN ('ANNUAL', 'SEMI_ANNUAL', 'QUARTERLY')`)
@Check('ck_land_use_contracts_equity', `("mode" = 'EQUITY') = ("appraised_value" IS NOT NULL AND "appraisal_reference" IS NOT NULL)`)
@Check('ck_land_use_contracts_deposit', `"deposit_amount" >= 0 AND ("mode" <> 'EQUITY' OR "deposit_amount" = 0)`)
@Check('ck_land_use_contracts_late_fee', `"late_fee_daily_rate" >= 0 AND "late_fee_daily_rate" < 1 AND "late_fee_cap_ratio" >= 0`)
@Check(
  'ck_land_use_contracts_closed',
  `("state" = 'TERMINATED') = ("terminated_on" IS NOT NULL) AND ("state" IN ('ENDED', 'TERMINATED', 'CANCELLED')) = ("closed_at" IS NOT NULL) AND ("state" = 'CANCELLED') = ("cancellation_reason" IS NOT NULL)`,
)
@Check('ck_land_use_contracts_project', `("mode" = 'EQUITY') = ("project_id" IS NOT NULL)`)
@Check('ck_land_use_contracts_contribution', `("mode" = 'EQUITY' AND "state" IN ('ACTIVE', 'ENDED', 'TERMINATED')) = ("contribution_id" IS NOT NULL)`)
export class LandUseContractEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_land_use_contracts' })
  id!: string;

  /** The contract number, used in account codes: land:<code>:receivable:CNY. */
  @Column({ type: 'text' })
  code!: string;

  @Column({ name: 'lessor_party_id', type: 'bigint' })
  lessorPartyId!: string;

  @Column({ name: 'lessee_party_id', type: 'bigint' })
  lesseePartyId!: string;

  @Column({ type: 'text' })
  mode!: LandUseMode;

  @Column({ type: 'text', default: 'DRAFT' })
  state!: LandUseState;

  /** 亩, 4 decimals; at most the parcels' total. */
  @Column({ name: 'area_mu', type: 'numeric', precision: 14, scale: 4, transformer: numericTransformer })
  areaMu!: Decimal;

  @Column({ name: 'permitted_uses', type: 'text', array: true })
  permittedUses!: PermittedUse[];

  /** What OTHER means here. */
  @Column({ name: 'other_use', type: 'text', nullable: true })
  otherUse!: string | null;

  /** Both inclusive. */
  @Column({ name: 'start_date', type: 'date' })
  startDate!: string;

  @Column({ name: 'end_date', type: 'date' })
  endDate!: string;

  /** The contract this one renews (a renewal is a new contract, linked; each contract is renewed at most once). */
  @Column({ name: 'renews_contract_id', type: 'bigint', nullable: true })
  renewsContractId!: string | null;

  @ManyToOne(() => LandUseContractEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'renews_contract_id', foreignKeyConstraintName: 'fk_land_use_contracts_renews' })
  renews?: LandUseContractEntity;

  /** PER_MU (rent_rate_per_mu × area) or FIXED (rent_annual_amount); null for EQUITY. */
  @Column({ name: 'rent_basis', type: 'text', nullable: true })
  rentBasis!: 'PER_MU' | 'FIXED' | null;

  @Column({ name: 'rent_rate_per_mu', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  rentRatePerMu!: Decimal | null;

  @Column({ name: 'rent_annual_amount', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  rentAnnualAmount!: Decimal | null;

  @Column({ name: 'escalation_kind', type: 'text', default: 'NONE' })
  escalationKind!: 'NONE' | 'STEP' | 'PERCENT';

  @Column({ name: 'escalation_every_years', type: 'smallint', nullable: true })
  escalationEveryYears!: number | null;

  /** STEP: CNY added to the annual rent every N years. */
  @Column({ name: 'escalation_step', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  escalationStep!: Decimal | null;

  /** PERCENT: per cent every N years, compounded ("5" = 5 %). */
  @Column({ name: 'escalation_percent', type: 'numeric', precision: 9, scale: 4, nullable: true, transformer: numericTransformer })
  escalationPercent!: Decimal | null;

  @Column({ name: 'billing_frequency', type: 'text', nullable: true })
  billingFrequency!: 'ANNUAL' | 'SEMI_ANNUAL' | 'QUARTERLY' | null;

  /** 保证金, CNY; received at signing. */
  @Column({ name: 'deposit_amount', type: 'numeric', precision: 20, scale: 2, default: 0, transformer: numericTransformer })
  depositAmount!: Decimal;

  @Column({ name: 'deposit_entry_id', type: 'bigint', nullable: true })
  depositEntryId!: string | null;

  /** 滞纳金 per day on the overdue principal (0.0005 = 0.05 %/day). */
  @Column({ name: 'late_fee_daily_rate', type: 'numeric', precision: 10, scale: 8, default: () => '0.0005', transformer: numericTransformer })
  lateFeeDailyRate!: Decimal;

  /** A period's late fees stop at this ratio × its principal (1 = the principal). */
  @Column({ name: 'late_fee_cap_ratio', type: 'numeric', precision: 9, scale: 6, default: 1, transformer: numericTransformer })
  lateFeeCapRatio!: Decimal;

  /** EQUITY: the land's appraised value (the farm's stake) and the appraisal report. */
  @Column({ name: 'appraised_value', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  appraisedValue!: Decimal | null;

  @Column({ name: 'appraisal_reference', type: 'text', nullable: true })
  appraisalReference!: string | null;

  /** EQUITY: the cooperation project of the farm (lessor) and the lessee (its collective) the land goes into. */
  @Column({ name: 'project_id', type: 'bigint', nullable: true })
  projectId!: string | null;

  @ManyToOne(() => CoopProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_land_use_contracts_project' })
  project?: CoopProjectEntity;

  /** EQUITY: the farm's IN_KIND_LAND contribution booked at activation (set from ACTIVE on). */
  @Column({ name: 'contribution_id', type: 'bigint', nullable: true })
  contributionId!: string | null;

  @ManyToOne(() => ProjectContributionEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'contribution_id', foreignKeyConstraintName: 'fk_land_use_contracts_contribution' })
  contribution?: ProjectContributionEntity;

  @Column({ name: 'created_by', type: 'bigint' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;

  /** Early termination: the last day of use, why, and how it was settled. */
  @Column({ name: 'terminated_on', type: 'date', nullable: true })
  terminatedOn!: string | null;

  @Column({ name: 'termination_reason', type: 'text', nullable: true })
  terminationReason!: string | null;

  /** Why a draft was cancelled (state CANCELLED). */
  @Column({ name: 'cancellation_reason', type: 'text', nullable: true })
  cancellationReason!: string | null;

  /** The closing settlement (credit, deposit applied / returned / forfeited, what remains owed), ended, terminated or cancelled. */
  @Column({ type: 'jsonb', nullable: true })
  settlement!: Record<string, unknown> | null;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}

@Entity({ name: 'land_use_contract_parcels' })
@Index('ix_land_use_contract_parcels_parcel', ['parcelId'])
export class LandUseContractParcelEntity {
  @PrimaryColumn({ name: 'contract_id', type: 'bigint', primaryKeyConstraintName: 'pk_land_use_contract_parcels' })
  contractId!: string;

  @PrimaryColumn({ name: 'parcel_id', type: 'bigint', primaryKeyConstraintName: 'pk_land_use_contract_parcels' })
  parcelId!: string;

  @ManyToOne(() => LandUseContractEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'contract_id', foreignKeyConstraintName: 'fk_land_use_contract_parcels_contract' })
  contract?: LandUseContractEntity;
}

/** One billing period of the schedule, stored at activation (rent-schedule.ts computes it). */
@Entity({ name: 'land_use_periods' })
@Unique('uq_land_use_periods_seq', ['contractId', 'seq'])
@Index('ix_land_use_periods_due', ['state', 'dueDate'])
@Check('ck_land_use_periods_state', `"state" IN ('SCHEDULED', 'RAISED', 'CANCELLED')`)
@Check('ck_land_use_periods_amount', `"amount" > 0 AND "days" > 0 AND "days" <= "period_days"`)
@Check('ck_land_use_periods_contract_year', `"contract_year" >= 1`)
export class LandUsePeriodEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_land_use_periods' })
  id!: string;

  @Column({ name: 'contract_id', type: 'bigint' })
  contractId!: string;

  @ManyToOne(() => LandUseContractEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'contract_id', foreignKeyConstraintName: 'fk_land_use_periods_contract' })
  contract?: LandUseContractEntity;

  @Column({ type: 'smallint' })
  seq!: number;

  @Column({ name: 'period_start', type: 'date' })
  periodStart!: string;

  @Column({ name: 'period_end', type: 'date' })
  periodEnd!: string;

  @Column({ name: 'due_date', type: 'date' })
  dueDate!: string;

  /** 1-based (第 1 合同年), of the period's first day. */
  @Column({ name: 'contract_year', type: 'smallint' })
  contractYear!: number;

  @Column({ name: 'annual_rent', type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  annualRent!: Decimal;

  @Column({ type: 'smallint' })
  days!: number;

  @Column({ name: 'period_days', type: 'smallint' })
  periodDays!: number;

  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  @Column({ type: 'text' })
  calculation!: string;

  /** A part per contract year the period touches (rent-schedule.ts SchedulePeriodPart); the amount is their sum. */
  @Column({ type: 'jsonb' })
  parts!: SchedulePeriodPart[];

  @Column({ type: 'text', default: 'SCHEDULED' })
  state!: LandUsePeriodState;
}

/**
 * What the lessee owes for a period: its principal (raised on the due date) and its late fee
 * (accrued day by day through `accrued_through`). Outstanding = amount − settled − waived − credited.
 */
@Entity({ name: 'land_use_receivables' })
@Unique('uq_land_use_receivables_period_kind', ['periodId', 'kind'])
@Index('ix_land_use_receivables_contract', ['contractId'])
@Check('ck_land_use_receivables_kind', `"kind" IN ('PRINCIPAL', 'LATE_FEE')`)
@Check('ck_land_use_receivables_amounts', `"amount" >= 0 AND "settled" >= 0 AND "waived" >= 0 AND "credited" >= 0 AND "settled" + "waived" + "credited" <= "amount"`)
@Check('ck_land_use_receivables_kind_fields', `("kind" = 'PRINCIPAL' OR "credited" = 0) AND ("kind" = 'LATE_FEE' OR "waived" = 0)`)
export class LandUseReceivableEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_land_use_receivables' })
  id!: string;

  @Column({ name: 'contract_id', type: 'bigint' })
  contractId!: string;

  @ManyToOne(() => LandUseContractEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'contract_id', foreignKeyConstraintName: 'fk_land_use_receivables_contract' })
  contract?: LandUseContractEntity;

  @Column({ name: 'period_id', type: 'bigint' })
  periodId!: string;

  @ManyToOne(() => LandUsePeriodEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'period_id', foreignKeyConstraintName: 'fk_land_use_receivables_period' })
  period?: LandUsePeriodEntity;

  @Column({ type: 'text' })
  kind!: ReceivableKind;

  /** Raised (principal) or accrued so far (late fee). */
  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  /** Paid, or covered by the lessee's credit or the deposit. */
  @Column({ type: 'numeric', precision: 20, scale: 2, default: 0, transformer: numericTransformer })
  settled!: Decimal;

  /** Late fee waived by an APPROVER. */
  @Column({ type: 'numeric', precision: 20, scale: 2, default: 0, transformer: numericTransformer })
  waived!: Decimal;

  /** Principal credited back at an early termination (unused days). */
  @Column({ type: 'numeric', precision: 20, scale: 2, default: 0, transformer: numericTransformer })
  credited!: Decimal;

  /** LATE_FEE: the last day accrued. */
  @Column({ name: 'accrued_through', type: 'date', nullable: true })
  accruedThrough!: string | null;

  /** PRINCIPAL: the raising entry. */
  @Column({ name: 'entry_id', type: 'bigint', nullable: true })
  entryId!: string | null;
}

/** Money that settled receivables: a bank payment (with any excess kept as credit), the lessee's credit, or the deposit. */
@Entity({ name: 'land_use_settlements' })
@Index('ix_land_use_settlements_contract', ['contractId'])
@Check('ck_land_use_settlements_source', `"source" IN ('PAYMENT', 'CREDIT', 'DEPOSIT')`)
@Check('ck_land_use_settlements_amounts', `"amount" > 0 AND "to_credit" >= 0 AND "to_credit" <= "amount" AND ("source" = 'PAYMENT' OR "to_credit" = 0)`)
@Check('ck_land_use_settlements_bank', `("source" = 'PAYMENT') = ("bank_reference" IS NOT NULL)`)
export class LandUseSettlementEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_land_use_settlements' })
  id!: string;

  @Column({ name: 'contract_id', type: 'bigint' })
  contractId!: string;

  @ManyToOne(() => LandUseContractEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'contract_id', foreignKeyConstraintName: 'fk_land_use_settlements_contract' })
  contract?: LandUseContractEntity;

  @Column({ type: 'text' })
  source!: SettlementSource;

  /** The whole amount: applied to receivables plus `to_credit`. */
  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  /** The part no receivable took, kept as the lessee's credit. */
  @Column({ name: 'to_credit', type: 'numeric', precision: 20, scale: 2, default: 0, transformer: numericTransformer })
  toCredit!: Decimal;

  @Column({ name: 'effective_date', type: 'date' })
  effectiveDate!: string;

  @Column({ name: 'bank_reference', type: 'text', nullable: true })
  bankReference!: string | null;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** How a settlement was applied, receivable by receivable (oldest period first, late fee before principal). */
@Entity({ name: 'land_use_settlement_lines' })
@Index('ix_land_use_settlement_lines_receivable', ['receivableId'])
@Check('ck_land_use_settlement_lines_amount', `"amount" > 0`)
export class LandUseSettlementLineEntity {
  @PrimaryColumn({ name: 'settlement_id', type: 'bigint', primaryKeyConstraintName: 'pk_land_use_settlement_lines' })
  settlementId!: string;

  @PrimaryColumn({ name: 'receivable_id', type: 'bigint', primaryKeyConstraintName: 'pk_land_use_settlement_lines' })
  receivableId!: string;

  @ManyToOne(() => LandUseSettlementEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'settlement_id', foreignKeyConstraintName: 'fk_land_use_settlement_lines_settlement' })
  settlement?: LandUseSettlementEntity;

  @ManyToOne(() => LandUseReceivableEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'receivable_id', foreignKeyConstraintName: 'fk_land_use_settlement_lines_receivable' })
  receivable?: LandUseReceivableEntity;

  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;
}

/** A late fee waived (减免滞纳金) by an APPROVER other than the contract's creator, with the reason. */
@Entity({ name: 'land_use_waivers' })
@Index('ix_land_use_waivers_receivable', ['receivableId'])
@Unique('uq_land_use_waivers_entry', ['entryId'])
@Check('ck_land_use_waivers_amount', `"amount" > 0`)
export class LandUseWaiverEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_land_use_waivers' })
  id!: string;

  @Column({ name: 'receivable_id', type: 'bigint' })
  receivableId!: string;

  @ManyToOne(() => LandUseReceivableEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'receivable_id', foreignKeyConstraintName: 'fk_land_use_waivers_receivable' })
  receivable?: LandUseReceivableEntity;

  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  @Column({ type: 'text' })
  reason!: string;

  @Column({ name: 'waived_by', type: 'bigint' })
  waivedBy!: string;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
