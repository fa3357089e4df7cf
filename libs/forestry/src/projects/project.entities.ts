import Decimal from 'decimal.js';
import { numericTransformer } from '@forest-ledger/ledger/persistence/numeric.transformer';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';

export const PROJECT_TYPES = ['JOINT_AFFORESTATION', 'EXISTING_FOREST'] as const;
export type ProjectType = (typeof PROJECT_TYPES)[number];
export const PROJECT_STATES = ['DRAFT', 'ACTIVE', 'CLOSED'] as const;
export type ProjectState = (typeof PROJECT_STATES)[number];
export const MEMBER_WEIGHTINGS = ['PER_PERSON', 'PER_HOUSEHOLD'] as const;
export const CONTRIBUTION_KINDS = ['CASH', 'IN_KIND_LAND', 'IN_KIND_TREES', 'IN_KIND_OTHER'] as const;
export type ContributionKind = (typeof CONTRIBUTION_KINDS)[number];
/** CASH is PAID or COMMITTED (then PAID when called); in-kind contributions are VALUED. */
export const CONTRIBUTION_STATES = ['PAID', 'COMMITTED', 'VALUED'] as const;
export type ContributionState = (typeof CONTRIBUTION_STATES)[number];

/**
 * A cooperation project (合作经营项目) of a state farm and a village collective (DOMAIN.md §3). Its
 * parameters are frozen once its 林票 are issued (state ACTIVE): the service refuses changes then.
 */
@Entity({ name: 'coop_projects' })
@Unique('uq_coop_projects_code', ['code'])
@Index('ix_coop_projects_farm', ['farmPartyId'])
@Index('ix_coop_projects_collective', ['collectivePartyId'])
@Check('ck_coop_projects_type', `"project_type" IN ('JOINT_AFFORESTATION', 'EXISTING_FOREST')`)
@Check('ck_coop_projects_state', `"state" IN ('DRAFT', 'ACTIVE', 'CLOSED')`)
@Check('ck_coop_projects_weighting', `"member_weighting" IN ('PER_PERSON', 'PER_HOUSEHOLD')`)
@Check('ck_coop_projects_area', `"area_mu" > 0`)
@Check('ck_coop_projects_term', `"term_years" > 0`)
@Check('ck_coop_projects_fee_rate', `"management_fee_rate" >= 0 AND "management_fee_rate" <= 1`)
@Check('ck_coop_projects_retained_ratio', `"collective_retained_ratio" >= 0 AND "collective_retained_ratio" <= 1`)
export class CoopProjectEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_coop_projects' })
  id!: string;

  /** Readable code used in account codes: project:<code>:wallet:CNY. */
  @Column({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'farm_party_id', type: 'bigint' })
  farmPartyId!: string;

  @Column({ name: 'collective_party_id', type: 'bigint' })
  collectivePartyId!: string;

  @Column({ name: 'project_type', type: 'text' })
  projectType!: ProjectType;

  /** 亩, 4 decimals; at most the parcels' total. */
  @Column({ name: 'area_mu', type: 'numeric', precision: 14, scale: 4, transformer: numericTransformer })
  areaMu!: Decimal;

  @Column({ name: 'start_date', type: 'date' })
  startDate!: string;

  @Column({ name: 'term_years', type: 'smallint' })
  termYears!: number;

  /** The farm's management fee, a share of project income (0.08 = 8 %). */
  @Column({ name: 'management_fee_rate', type: 'numeric', precision: 7, scale: 6, transformer: numericTransformer })
  managementFeeRate!: Decimal;

  /** Level 2 of the split: the share of the collective's units it keeps (0.30). */
  @Column({ name: 'collective_retained_ratio', type: 'numeric', precision: 7, scale: 6, transformer: numericTransformer })
  collectiveRetainedRatio!: Decimal;

  @Column({ name: 'member_weighting', type: 'text' })
  memberWeighting!: 'PER_PERSON' | 'PER_HOUSEHOLD';

  /** The guarantee (保底) as agreed, in words. */
  @Column({ name: 'guarantee_description', type: 'text', nullable: true })
  guaranteeDescription!: string | null;

  /** CNY per unit the farm guarantees to buy back at (兜底回购). */
  @Column({ name: 'guaranteed_buy_back_price', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  guaranteedBuyBackPrice!: Decimal | null;

  /** m³ per 亩 the farm guarantees at harvest. */
  @Column({ name: 'guaranteed_yield_per_mu', type: 'numeric', precision: 14, scale: 4, nullable: true, transformer: numericTransformer })
  guaranteedYieldPerMu!: Decimal | null;

  /** CNY per m³ the guaranteed yield is valued at. */
  @Column({ name: 'guarantee_reference_price', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  guaranteeReferencePrice!: Decimal | null;

  @Column({ type: 'text', default: 'DRAFT' })
  state!: ProjectState;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'activated_at', type: 'timestamptz', nullable: true })
  activatedAt!: Date | null;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}

/** The parcels under a project (checked attachable when the project is created). */
@Entity({ name: 'coop_project_parcels' })
@Index('ix_coop_project_parcels_parcel', ['parcelId'])
export class CoopProjectParcelEntity {
  @PrimaryColumn({ name: 'project_id', type: 'bigint', primaryKeyConstraintName: 'pk_coop_project_parcels' })
  projectId!: string;

  @PrimaryColumn({ name: 'parcel_id', type: 'bigint', primaryKeyConstraintName: 'pk_coop_project_parcels' })
  parcelId!: string;

  @ManyToOne(() => CoopProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_coop_project_parcels_project' })
  project?: CoopProjectEntity;
}

/** A contribution (出资 / 折资量化) to a project, each with its ledger entry. */
@Entity({ name: 'project_contributions' })
@Index('ix_project_contributions_project', ['projectId'])
@Unique('uq_project_contributions_entry', ['entryId'])
@Check('ck_project_contributions_kind', `"kind" IN ('CASH', 'IN_KIND_LAND', 'IN_KIND_TREES', 'IN_KIND_OTHER')`)
@Check('ck_project_contributions_state', `"state" IN ('PAID', 'COMMITTED', 'VALUED')`)
@Check('ck_project_contributions_role', `"role" IN ('FARM', 'COLLECTIVE')`)
@Check('ck_project_contributions_amount', `"amount" > 0`)
@Check(
  'ck_project_contributions_evidence',
  `("kind" = 'CASH') = ("state" IN ('PAID', 'COMMITTED')) AND ("state" <> 'PAID' OR "bank_reference" IS NOT NULL) AND ("state" <> 'VALUED' OR "valuation_document" IS NOT NULL)`,
)
export class ProjectContributionEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_project_contributions' })
  id!: string;

  @Column({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @ManyToOne(() => CoopProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_project_contributions_project' })
  project?: CoopProjectEntity;

  @Column({ name: 'party_id', type: 'bigint' })
  partyId!: string;

  @Column({ type: 'text' })
  role!: 'FARM' | 'COLLECTIVE';

  @Column({ type: 'text' })
  kind!: ContributionKind;

  @Column({ type: 'text' })
  state!: ContributionState;

  /** CNY, the paid, committed or valued amount. */
  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  /** 银行流水号 of the payment (cash paid, or a commitment once called). */
  @Column({ name: 'bank_reference', type: 'text', nullable: true })
  bankReference!: string | null;

  /** 评估报告 / 作价依据 of an in-kind contribution. */
  @Column({ name: 'valuation_document', type: 'text', nullable: true })
  valuationDocument!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** The receipt, commitment or valuation entry. */
  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  /** The payment entry of a called commitment. */
  @Column({ name: 'call_entry_id', type: 'bigint', nullable: true })
  callEntryId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
