import Decimal from 'decimal.js';
import { numericTransformer } from '@forest-ledger/ledger/persistence/numeric.transformer';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { Calculation, EligibilityReason, InstalmentTerm, RateBasis, RecipientRole, RecipientShare, TransferMode } from './subsidy-rules';

export const CONTRACT_STATES = ['REGISTERED', 'ACTIVE', 'ENDED', 'TERMINATED'] as const;
export type ContractState = (typeof CONTRACT_STATES)[number];
/**
 * APPLIED → APPROVED → COMPLETED; INELIGIBLE is a recorded refusal by the rules, REJECTED one by an approver (from APPLIED only);
 * on early termination CLAWBACK_DUE → RECOVERED, or CANCELLED when nothing was paid.
 */
export const CLAIM_STATES = ['APPLIED', 'INELIGIBLE', 'REJECTED', 'APPROVED', 'COMPLETED', 'CANCELLED', 'CLAWBACK_DUE', 'RECOVERED'] as const;
/** States of a claim refused before approval: they block no new claim for the contract under the programme. */
export const REFUSED_CLAIM_STATES = ['INELIGIBLE', 'REJECTED'] as const satisfies readonly ClaimState[];
export type ClaimState = (typeof CLAIM_STATES)[number];
export const INSTALMENT_STATES = ['SCHEDULED', 'PAID', 'CANCELLED'] as const;
export type InstalmentState = (typeof INSTALMENT_STATES)[number];

/** A forest-land transfer contract (林权流转合同) between the parcels' holder and a transferee. */
@Entity({ name: 'transfer_contracts' })
@Unique('uq_transfer_contracts_code', ['code'])
@Index('ix_transfer_contracts_transferor', ['transferorPartyId'])
@Index('ix_transfer_contracts_transferee', ['transfereePartyId'])
@Index('ix_transfer_contracts_township', ['townshipId'])
@Check('ck_transfer_contracts_mode', `"mode" IN ('LEASE', 'EQUITY', 'COOPERATION', 'SUBCONTRACT')`)
@Check('ck_transfer_contracts_state', `"state" IN ('REGISTERED', 'ACTIVE', 'ENDED', 'TERMINATED')`)
@Check('ck_transfer_contracts_area', `"area_mu" > 0`)
@Check('ck_transfer_contracts_dates', `"end_date" >= "start_date"`)
@Check('ck_transfer_contracts_parties', `"transferor_party_id" <> "transferee_party_id"`)
@Check('ck_transfer_contracts_terminated', `("state" = 'TERMINATED') = ("terminated_on" IS NOT NULL)`)
export class TransferContractEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_transfer_contracts' })
  id!: string;

  /** The registered contract number (流转合同备案编号). */
  @Column({ type: 'text' })
  code!: string;

  @Column({ name: 'transferor_party_id', type: 'bigint' })
  transferorPartyId!: string;

  @Column({ name: 'transferee_party_id', type: 'bigint' })
  transfereePartyId!: string;

  /** The township of the parcels (reports count the contract there). */
  @Column({ name: 'township_id', type: 'bigint' })
  townshipId!: string;

  @Column({ type: 'text' })
  mode!: TransferMode;

  /** 亩, 4 decimals; at most the parcels' total. */
  @Column({ name: 'area_mu', type: 'numeric', precision: 14, scale: 4, transformer: numericTransformer })
  areaMu!: Decimal;

  @Column({ name: 'start_date', type: 'date' })
  startDate!: string;

  /** The last day in force. */
  @Column({ name: 'end_date', type: 'date' })
  endDate!: string;

  /** Price and payment terms as agreed (free text). */
  @Column({ name: 'price_terms', type: 'text' })
  priceTerms!: string;

  @Column({ name: 'annual_amount', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  annualAmount!: Decimal | null;

  /** Reference on the rural property-rights trading platform (农村产权交易平台), if traded there. */
  @Column({ name: 'platform_reference', type: 'text', nullable: true })
  platformReference!: string | null;

  /** Operating-rights certificate (经营权证书), for transfers of 5 years or more. */
  @Column({ name: 'certificate_no', type: 'text', nullable: true })
  certificateNo!: string | null;

  @Column({ name: 'certificate_issued_on', type: 'date', nullable: true })
  certificateIssuedOn!: string | null;

  @Column({ type: 'text', default: 'REGISTERED' })
  state!: ContractState;

  @Column({ name: 'ended_on', type: 'date', nullable: true })
  endedOn!: string | null;

  @Column({ name: 'terminated_on', type: 'date', nullable: true })
  terminatedOn!: string | null;

  @Column({ name: 'termination_reason', type: 'text', nullable: true })
  terminationReason!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'transfer_contract_parcels' })
@Index('ix_transfer_contract_parcels_parcel', ['parcelId'])
export class TransferContractParcelEntity {
  @PrimaryColumn({ name: 'contract_id', type: 'bigint', primaryKeyConstraintName: 'pk_transfer_contract_parcels' })
  contractId!: string;

  @PrimaryColumn({ name: 'parcel_id', type: 'bigint', primaryKeyConstraintName: 'pk_transfer_contract_parcels' })
  parcelId!: string;

  @ManyToOne(() => TransferContractEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'contract_id', foreignKeyConstraintName: 'fk_transfer_contract_parcels_contract' })
  contract?: TransferContractEntity;
}

/** A subsidy programme (奖补项目): a budget in its own wallet, funded by a government fund. */
@Entity({ name: 'subsidy_programmes' })
@Unique('uq_subsidy_programmes_code', ['code'])
export class SubsidyProgrammeEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_subsidy_programmes' })
  id!: string;

  /** Readable code used in account codes: programme:<code>:wallet:CNY. */
  @Column({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'funding_party_id', type: 'bigint' })
  fundingPartyId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** The programme's region: a county (all its townships) or some townships. */
@Entity({ name: 'subsidy_programme_regions' })
@Index('ix_subsidy_programme_regions_region', ['regionId'])
export class SubsidyProgrammeRegionEntity {
  @PrimaryColumn({ name: 'programme_id', type: 'bigint', primaryKeyConstraintName: 'pk_subsidy_programme_regions' })
  programmeId!: string;

  @PrimaryColumn({ name: 'region_id', type: 'bigint', primaryKeyConstraintName: 'pk_subsidy_programme_regions' })
  regionId!: string;

  @ManyToOne(() => SubsidyProgrammeEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'programme_id', foreignKeyConstraintName: 'fk_subsidy_programme_regions_programme' })
  programme?: SubsidyProgrammeEntity;
}

/** One version of a programme's rule; the version in force on a contract's start date applies to its claim. Never edited. */
@Entity({ name: 'subsidy_rules' })
@Unique('uq_subsidy_rules_version', ['programmeId', 'version'])
@Unique('uq_subsidy_rules_effective', ['programmeId', 'effectiveFrom'])
@Check('ck_subsidy_rules_basis', `"rate_basis" IN ('PER_MU', 'PER_CONTRACT')`)
@Check('ck_subsidy_rules_rate', `"rate" >= 0`)
@Check('ck_subsidy_rules_caps', `("cap_per_contract" IS NULL OR "cap_per_contract" >= 0) AND ("cap_per_recipient_per_year" IS NULL OR "cap_per_recipient_per_year" >= 0)`)
@Check('ck_subsidy_rules_min', `"min_term_years" >= 0 AND "min_area_mu" >= 0`)
@Check('ck_subsidy_rules_clawback', `"clawback_rate" >= 0 AND "clawback_rate" <= 1`)
export class SubsidyRuleEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_subsidy_rules' })
  id!: string;

  @Column({ name: 'programme_id', type: 'bigint' })
  programmeId!: string;

  @ManyToOne(() => SubsidyProgrammeEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'programme_id', foreignKeyConstraintName: 'fk_subsidy_rules_programme' })
  programme?: SubsidyProgrammeEntity;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ name: 'effective_from', type: 'date' })
  effectiveFrom!: string;

  @Column({ name: 'rate_basis', type: 'text' })
  rateBasis!: RateBasis;

  /** CNY per 亩 (up to 6 decimals) or per contract. */
  @Column({ type: 'numeric', precision: 20, scale: 6, transformer: numericTransformer })
  rate!: Decimal;

  @Column({ name: 'cap_per_contract', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  capPerContract!: Decimal | null;

  @Column({ name: 'cap_per_recipient_per_year', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  capPerRecipientPerYear!: Decimal | null;

  @Column({ name: 'min_term_years', type: 'smallint' })
  minTermYears!: number;

  @Column({ name: 'min_area_mu', type: 'numeric', precision: 14, scale: 4, transformer: numericTransformer })
  minAreaMu!: Decimal;

  /** Modes allowed; empty for all. */
  @Column({ type: 'text', array: true })
  modes!: TransferMode[];

  /** Party kinds allowed as transferor / transferee; empty for all. */
  @Column({ name: 'transferor_kinds', type: 'text', array: true })
  transferorKinds!: string[];

  @Column({ name: 'transferee_kinds', type: 'text', array: true })
  transfereeKinds!: string[];

  /** [{ role: 'TRANSFEROR' | 'TRANSFEREE', share: '0.60' }], shares summing to 1. */
  @Column({ type: 'jsonb' })
  recipients!: RecipientShare[];

  /** [{ share: '0.50', afterContractYears: 0 }, { share: '0.50', afterContractYears: 1 }], shares summing to 1. */
  @Column({ type: 'jsonb' })
  instalments!: InstalmentTerm[];

  /** Share of what was paid that comes back, pro rata to the unexpired term. */
  @Column({ name: 'clawback_rate', type: 'numeric', precision: 7, scale: 6, transformer: numericTransformer })
  clawbackRate!: Decimal;

  @Column({ name: 'created_by', type: 'text' })
  createdBy!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A claim for a contract under a programme, with the rule version applied, the eligibility reasons and the calculation. */
@Entity({ name: 'subsidy_claims' })
@Unique('uq_subsidy_claims_apply_key', ['applyKey'])
@Unique('uq_subsidy_claims_rejection_key', ['rejectionKey'])
@Index('uq_subsidy_claims_contract', ['programmeId', 'contractId'], { unique: true, where: `"state" NOT IN ('INELIGIBLE', 'REJECTED')` })
@Index('ix_subsidy_claims_contract', ['contractId'])
@Check('ck_subsidy_claims_state', `"state" IN ('APPLIED', 'INELIGIBLE', 'REJECTED', 'APPROVED', 'COMPLETED', 'CANCELLED', 'CLAWBACK_DUE', 'RECOVERED')`)
@Check('ck_subsidy_claims_four_eyes', `"approved_by" IS NULL OR "approved_by" <> "applied_by"`)
@Check('ck_subsidy_claims_four_eyes_rejection', `"rejected_by" IS NULL OR "rejected_by" <> "applied_by"`)
@Check(
  'ck_subsidy_claims_rejection',
  `("state" = 'REJECTED') = ("rejected_by" IS NOT NULL) AND ("state" = 'REJECTED') = ("rejected_on" IS NOT NULL) AND ("state" = 'REJECTED') = ("rejection_reason" IS NOT NULL) AND ("state" = 'REJECTED') = ("rejection_key" IS NOT NULL)`,
)
@Check('ck_subsidy_claims_amount', `"amount" >= 0`)
export class SubsidyClaimEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_subsidy_claims' })
  id!: string;

  @Column({ name: 'programme_id', type: 'bigint' })
  programmeId!: string;

  @ManyToOne(() => SubsidyProgrammeEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'programme_id', foreignKeyConstraintName: 'fk_subsidy_claims_programme' })
  programme?: SubsidyProgrammeEntity;

  @Column({ name: 'contract_id', type: 'bigint' })
  contractId!: string;

  @ManyToOne(() => TransferContractEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'contract_id', foreignKeyConstraintName: 'fk_subsidy_claims_contract' })
  contract?: TransferContractEntity;

  /** The rule version in force on the contract's start date (null when none was). */
  @Column({ name: 'rule_id', type: 'bigint', nullable: true })
  ruleId!: string | null;

  @ManyToOne(() => SubsidyRuleEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'rule_id', foreignKeyConstraintName: 'fk_subsidy_claims_rule' })
  rule?: SubsidyRuleEntity;

  @Column({ type: 'text' })
  state!: ClaimState;

  /** The applicant's command key: a repeat returns this claim. */
  @Column({ name: 'apply_key', type: 'text' })
  applyKey!: string;

  @Column({ type: 'jsonb' })
  eligibility!: EligibilityReason[];

  /** The calculation as shown (at application, then as approved). */
  @Column({ type: 'jsonb', nullable: true })
  calculation!: Calculation | null;

  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  @Column({ name: 'applied_by', type: 'text' })
  appliedBy!: string;

  @CreateDateColumn({ name: 'applied_at', type: 'timestamptz' })
  appliedAt!: Date;

  @Column({ name: 'approved_by', type: 'text', nullable: true })
  approvedBy!: string | null;

  @Column({ name: 'approved_on', type: 'date', nullable: true })
  approvedOn!: string | null;

  /** The APPROVER who rejected the claim (never the applicant); set exactly when REJECTED, like the three below. */
  @Column({ name: 'rejected_by', type: 'text', nullable: true })
  rejectedBy!: string | null;

  @Column({ name: 'rejected_on', type: 'date', nullable: true })
  rejectedOn!: string | null;

  /** Why the county office rejected it (wrong documents, contract not genuine …), at most 500 characters. */
  @Column({ name: 'rejection_reason', type: 'text', nullable: true })
  rejectionReason!: string | null;

  /** The rejecting command's key: a repeat returns this claim. */
  @Column({ name: 'rejection_key', type: 'text', nullable: true })
  rejectionKey!: string | null;

  /** The entry that reserved the approved amount (programme wallet → reserved). */
  @Column({ name: 'reserve_entry_id', type: 'bigint', nullable: true })
  reserveEntryId!: string | null;

  @Column({ name: 'clawback_amount', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  clawbackAmount!: Decimal | null;

  @Column({ name: 'clawback_entry_id', type: 'bigint', nullable: true })
  clawbackEntryId!: string | null;

  /** The clawback as computed: term and unexpired days, rate, per recipient. */
  @Column({ name: 'clawback_calculation', type: 'jsonb', nullable: true })
  clawbackCalculation!: Record<string, unknown> | null;
}

/** A recipient's part of a claim: approved amount, and on early termination what they owe back and have returned. */
@Entity({ name: 'subsidy_claim_recipients' })
@Index('ix_subsidy_claim_recipients_party', ['partyId', 'approvedYear'])
@Check('ck_subsidy_claim_recipients_role', `"role" IN ('TRANSFEROR', 'TRANSFEREE')`)
@Check('ck_subsidy_claim_recipients_recovered', `"recovered_amount" >= 0 AND "recovered_amount" <= COALESCE("clawback_amount", 0)`)
export class SubsidyClaimRecipientEntity {
  @PrimaryColumn({ name: 'claim_id', type: 'bigint', primaryKeyConstraintName: 'pk_subsidy_claim_recipients' })
  claimId!: string;

  @PrimaryColumn({ name: 'party_id', type: 'bigint', primaryKeyConstraintName: 'pk_subsidy_claim_recipients' })
  partyId!: string;

  @ManyToOne(() => SubsidyClaimEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'claim_id', foreignKeyConstraintName: 'fk_subsidy_claim_recipients_claim' })
  claim?: SubsidyClaimEntity;

  @Column({ type: 'text' })
  role!: RecipientRole;

  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  /** The calendar year of the approval (the per-recipient annual cap counts it there). */
  @Column({ name: 'approved_year', type: 'smallint' })
  approvedYear!: number;

  @Column({ name: 'clawback_amount', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  clawbackAmount!: Decimal | null;

  @Column({ name: 'recovered_amount', type: 'numeric', precision: 20, scale: 2, default: 0, transformer: numericTransformer })
  recoveredAmount!: Decimal;
}

/** One instalment of an approved claim; paid by one ledger entry keyed by claim and sequence. */
@Entity({ name: 'subsidy_instalments' })
@Unique('uq_subsidy_instalments_seq', ['claimId', 'seq'])
@Index('ix_subsidy_instalments_due', ['state', 'dueDate'])
@Check('ck_subsidy_instalments_state', `"state" IN ('SCHEDULED', 'PAID', 'CANCELLED')`)
@Check('ck_subsidy_instalments_amount', `"amount" > 0`)
@Check('ck_subsidy_instalments_paid', `("state" = 'PAID') = ("entry_id" IS NOT NULL)`)
export class SubsidyInstalmentEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_subsidy_instalments' })
  id!: string;

  @Column({ name: 'claim_id', type: 'bigint' })
  claimId!: string;

  @ManyToOne(() => SubsidyClaimEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'claim_id', foreignKeyConstraintName: 'fk_subsidy_instalments_claim' })
  claim?: SubsidyClaimEntity;

  @Column({ type: 'smallint' })
  seq!: number;

  @Column({ name: 'due_date', type: 'date' })
  dueDate!: string;

  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  /** [{ party: 'H-001', amount: '3000.00' }] */
  @Column({ type: 'jsonb' })
  splits!: Array<{ party: string; amount: string }>;

  @Column({ type: 'text', default: 'SCHEDULED' })
  state!: InstalmentState;

  @Column({ name: 'entry_id', type: 'bigint', nullable: true })
  entryId!: string | null;

  @Column({ name: 'paid_on', type: 'date', nullable: true })
  paidOn!: string | null;
}
