import Decimal from 'decimal.js';
import { numericTransformer } from '@forest-ledger/ledger/persistence/numeric.transformer';
import { Check, Column, CreateDateColumn, Entity, Exclusion, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CoopProjectEntity } from '../projects/project.entities';
import type { RevenueRule } from './revenue-split';
import type { SerialRangeText } from './carbon.types';

export const CARBON_STANDARDS = ['SANMING_TICKET', 'FFCER', 'CCER', 'OTHER'] as const;
export type CarbonStandard = (typeof CARBON_STANDARDS)[number];
export const CARBON_PROJECT_STATES = ['DRAFT', 'REGISTERED', 'CLOSED'] as const;
export type CarbonProjectState = (typeof CARBON_PROJECT_STATES)[number];
export const SERIAL_STATUSES = ['HELD', 'RESERVED', 'RETIRED', 'BUFFER', 'CANCELLED'] as const;
export type SerialStatus = (typeof SERIAL_STATUSES)[number];
export const LISTING_STATES = ['OPEN', 'SOLD_OUT', 'CANCELLED'] as const;
export type ListingState = (typeof LISTING_STATES)[number];
export const RETIREMENT_PURPOSES = ['EVENT_NEUTRALITY', 'CSR', 'JUDICIAL_RESTORATION', 'COMPLIANCE_OFFSET', 'OTHER'] as const;
export type RetirementPurpose = (typeof RETIREMENT_PURPOSES)[number];

/** A forestry carbon project (林业碳汇项目, DOMAIN.md §5): its credits are TCO2E in whole tonnes, numbered per project. */
@Entity({ name: 'carbon_projects' })
@Unique('uq_carbon_projects_code', ['code'])
@Index('ix_carbon_projects_owner', ['ownerPartyId'])
@Index('ix_carbon_projects_coop_project', ['coopProjectId'])
@Check('ck_carbon_projects_standard', `"standard" IN ('SANMING_TICKET', 'FFCER', 'CCER', 'OTHER')`)
@Check('ck_carbon_projects_state', `"state" IN ('DRAFT', 'REGISTERED', 'CLOSED')`)
@Check('ck_carbon_projects_crediting_period', `"crediting_end" > "crediting_start"`)
@Check('ck_carbon_projects_buffer_ratio', `"buffer_ratio" >= 0 AND "buffer_ratio" < 1`)
@Check('ck_carbon_projects_last_serial', `"last_serial" >= 0`)
export class CarbonProjectEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_carbon_projects' })
  id!: string;

  /** Readable code used in serials and account codes: carbon-project:<code>:issued. */
  @Column({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'owner_party_id', type: 'bigint' })
  ownerPartyId!: string;

  /** The cooperation project whose 林票 units can share the revenue (TICKET_UNITS). */
  @Column({ name: 'coop_project_id', type: 'bigint', nullable: true })
  coopProjectId!: string | null;

  @ManyToOne(() => CoopProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'coop_project_id', foreignKeyConstraintName: 'fk_carbon_projects_coop_project' })
  coopProject?: CoopProjectEntity;

  @Column({ type: 'text' })
  standard!: CarbonStandard;

  @Column({ name: 'external_id', type: 'text', nullable: true })
  externalId!: string | null;

  @Column({ type: 'text' })
  methodology!: string;

  @Column({ name: 'crediting_start', type: 'date' })
  creditingStart!: string;

  @Column({ name: 'crediting_end', type: 'date' })
  creditingEnd!: string;

  /** Share of each issuance withheld into the buffer (0.10 = 10 %), rounded down to whole tonnes. */
  @Column({ name: 'buffer_ratio', type: 'numeric', precision: 7, scale: 6, transformer: numericTransformer })
  bufferRatio!: Decimal;

  @Column({ type: 'text', default: 'DRAFT' })
  state!: CarbonProjectState;

  /** The last serial issued; the next issuance starts at +1 (under the project row lock). */
  @Column({ name: 'last_serial', type: 'bigint', default: 0 })
  lastSerial!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'registered_at', type: 'timestamptz', nullable: true })
  registeredAt!: Date | null;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}

@Entity({ name: 'carbon_project_parcels' })
@Index('ix_carbon_project_parcels_parcel', ['parcelId'])
export class CarbonProjectParcelEntity {
  @PrimaryColumn({ name: 'project_id', type: 'bigint', primaryKeyConstraintName: 'pk_carbon_project_parcels' })
  projectId!: string;

  @PrimaryColumn({ name: 'parcel_id', type: 'bigint', primaryKeyConstraintName: 'pk_carbon_project_parcels' })
  parcelId!: string;

  @ManyToOne(() => CarbonProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_carbon_project_parcels_project' })
  project?: CarbonProjectEntity;
}

/** A version of a project's revenue-sharing rule; a new version never edits an old one, and each sale records the one it used. */
@Entity({ name: 'carbon_revenue_rules' })
@Unique('uq_carbon_revenue_rules_version', ['projectId', 'version'])
@Check('ck_carbon_revenue_rules_version', `"version" > 0`)
export class CarbonRevenueRuleEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_carbon_revenue_rules' })
  id!: string;

  @Column({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @ManyToOne(() => CarbonProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_carbon_revenue_rules_project' })
  project?: CarbonProjectEntity;

  @Column({ type: 'integer' })
  version!: number;

  @Column({ type: 'jsonb' })
  rule!: RevenueRule;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** One verified monitoring period (vintage) of a project; vintages of a project never overlap (exclusion constraint). */
@Entity({ name: 'carbon_issuances' })
@Unique('uq_carbon_issuances_entry', ['entryId'])
@Exclusion('xc_carbon_issuances_vintage', `USING gist ("project_id" WITH =, daterange("vintage_start", "vintage_end", '[]') WITH &&)`)
@Check('ck_carbon_issuances_vintage', `"vintage_end" >= "vintage_start"`)
@Check('ck_carbon_issuances_quantity', `"quantity" > 0 AND "buffer_quantity" >= 0 AND "buffer_quantity" <= "quantity"`)
@Check('ck_carbon_issuances_serials', `"serial_start" > 0 AND "serial_end" - "serial_start" + 1 = "quantity"`)
export class CarbonIssuanceEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_carbon_issuances' })
  id!: string;

  @Column({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @ManyToOne(() => CarbonProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_carbon_issuances_project' })
  project?: CarbonProjectEntity;

  /** Label in serials: the year the monitoring period ends. */
  @Column({ type: 'text' })
  vintage!: string;

  @Column({ name: 'vintage_start', type: 'date' })
  vintageStart!: string;

  @Column({ name: 'vintage_end', type: 'date' })
  vintageEnd!: string;

  /** Whole tonnes verified. */
  @Column({ type: 'bigint' })
  quantity!: string;

  @Column({ name: 'buffer_quantity', type: 'bigint' })
  bufferQuantity!: string;

  @Column({ name: 'serial_start', type: 'bigint' })
  serialStart!: string;

  @Column({ name: 'serial_end', type: 'bigint' })
  serialEnd!: string;

  @Column({ name: 'verification_reference', type: 'text' })
  verificationReference!: string;

  @Column({ name: 'issued_on', type: 'date' })
  issuedOn!: string;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A listing (挂牌): a seller's credits of a project, optionally one vintage, at a price per tonne; its tonnes are RESERVED blocks. */
@Entity({ name: 'carbon_listings' })
@Index('ix_carbon_listings_project', ['projectId'])
@Check('ck_carbon_listings_state', `"state" IN ('OPEN', 'SOLD_OUT', 'CANCELLED')`)
@Check('ck_carbon_listings_price', `"unit_price" > 0`)
@Check('ck_carbon_listings_quantity', `"quantity_listed" > 0 AND "quantity_available" >= 0 AND "quantity_available" <= "quantity_listed"`)
export class CarbonListingEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_carbon_listings' })
  id!: string;

  @Column({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @ManyToOne(() => CarbonProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_carbon_listings_project' })
  project?: CarbonProjectEntity;

  @Column({ name: 'seller_party_id', type: 'bigint' })
  sellerPartyId!: string;

  @Column({ name: 'issuance_id', type: 'bigint', nullable: true })
  issuanceId!: string | null;

  @ManyToOne(() => CarbonIssuanceEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'issuance_id', foreignKeyConstraintName: 'fk_carbon_listings_issuance' })
  issuance?: CarbonIssuanceEntity;

  /** CNY per tonne. */
  @Column({ name: 'unit_price', type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  unitPrice!: Decimal;

  @Column({ name: 'quantity_listed', type: 'bigint' })
  quantityListed!: string;

  @Column({ name: 'quantity_available', type: 'bigint' })
  quantityAvailable!: string;

  @Column({ type: 'text', default: 'OPEN' })
  state!: ListingState;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A sale: payment, delivery and the revenue shares in one ledger entry (or one atomic batch when the shares need more postings). */
@Entity({ name: 'carbon_sales' })
@Unique('uq_carbon_sales_entry', ['entryId'])
@Index('ix_carbon_sales_listing', ['listingId'])
@Index('ix_carbon_sales_buyer', ['buyerPartyId'])
@Check('ck_carbon_sales_quantity', `"quantity" > 0`)
@Check('ck_carbon_sales_amount', `"gross_amount" > 0`)
@Check('ck_carbon_sales_rule', `("rule_id" IS NULL) = ("rule_version" IS NULL)`)
export class CarbonSaleEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_carbon_sales' })
  id!: string;

  @Column({ name: 'listing_id', type: 'bigint' })
  listingId!: string;

  @ManyToOne(() => CarbonListingEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'listing_id', foreignKeyConstraintName: 'fk_carbon_sales_listing' })
  listing?: CarbonListingEntity;

  @Column({ name: 'buyer_party_id', type: 'bigint' })
  buyerPartyId!: string;

  @Column({ type: 'bigint' })
  quantity!: string;

  @Column({ name: 'unit_price', type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  unitPrice!: Decimal;

  /** quantity × unit price, rounded to the 分 once. */
  @Column({ name: 'gross_amount', type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  grossAmount!: Decimal;

  /** Null for a resale: the rule shares the owner's sales (primary market); a reseller is paid the whole price. */
  @Column({ name: 'rule_id', type: 'bigint', nullable: true })
  ruleId!: string | null;

  @ManyToOne(() => CarbonRevenueRuleEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'rule_id', foreignKeyConstraintName: 'fk_carbon_sales_rule' })
  rule?: CarbonRevenueRuleEntity;

  /** The version of the project's rule the revenue was shared by (null for a resale). */
  @Column({ name: 'rule_version', type: 'integer', nullable: true })
  ruleVersion!: number | null;

  /** The serial ranges delivered, e.g. [{ "start": "1", "end": "2723" }]. */
  @Column({ name: 'serial_ranges', type: 'jsonb' })
  serialRanges!: SerialRangeText[];

  /** Every share paid: [{ share, party, amount }]. */
  @Column({ type: 'jsonb' })
  shares!: Array<{ share: number; party: string; amount: string }>;

  @Column({ name: 'effective_date', type: 'date' })
  effectiveDate!: string;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A retirement (注销): terminal; one project and one vintage; its certificate number is gapless. */
@Entity({ name: 'carbon_retirements' })
@Unique('uq_carbon_retirements_certificate_seq', ['certificateSeq'])
@Unique('uq_carbon_retirements_certificate_no', ['certificateNo'])
@Unique('uq_carbon_retirements_verification_code', ['verificationCode'])
@Unique('uq_carbon_retirements_entry', ['entryId'])
@Index('ix_carbon_retirements_issuance', ['issuanceId'])
@Check('ck_carbon_retirements_purpose', `"purpose" IN ('EVENT_NEUTRALITY', 'CSR', 'JUDICIAL_RESTORATION', 'COMPLIANCE_OFFSET', 'OTHER')`)
@Check('ck_carbon_retirements_quantity', `"quantity" > 0`)
@Check('ck_carbon_retirements_emissions', `"event_emissions" IS NULL OR "event_emissions" >= 0`)
export class CarbonRetirementEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_carbon_retirements' })
  id!: string;

  @Column({ name: 'certificate_seq', type: 'integer' })
  certificateSeq!: number;

  /** e.g. CC-000001 */
  @Column({ name: 'certificate_no', type: 'text' })
  certificateNo!: string;

  @Column({ name: 'issuance_id', type: 'bigint' })
  issuanceId!: string;

  @ManyToOne(() => CarbonIssuanceEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'issuance_id', foreignKeyConstraintName: 'fk_carbon_retirements_issuance' })
  issuance?: CarbonIssuanceEntity;

  @Column({ name: 'retiring_party_id', type: 'bigint' })
  retiringPartyId!: string;

  @Column({ name: 'beneficiary_name', type: 'text' })
  beneficiaryName!: string;

  /** Whether the beneficiary's name may be shown by the public verification. */
  @Column({ name: 'publish_beneficiary', type: 'boolean' })
  publishBeneficiary!: boolean;

  @Column({ type: 'text' })
  purpose!: RetirementPurpose;

  @Column({ name: 'event_name', type: 'text', nullable: true })
  eventName!: string | null;

  /** tCO2e the event emitted, as measured (3 decimals). */
  @Column({ name: 'event_emissions', type: 'numeric', precision: 20, scale: 3, nullable: true, transformer: numericTransformer })
  eventEmissions!: Decimal | null;

  @Column({ type: 'bigint' })
  quantity!: string;

  @Column({ name: 'serial_ranges', type: 'jsonb' })
  serialRanges!: SerialRangeText[];

  @Column({ name: 'effective_date', type: 'date' })
  effectiveDate!: string;

  /** SHA-256 (hex) of the certificate's canonical content. */
  @Column({ name: 'content_hash', type: 'text' })
  contentHash!: string;

  @Column({ name: 'verification_code', type: 'text' })
  verificationCode!: string;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * A range of serials of one project with one owner and status. Blocks split as tonnes move; the
 * exclusion constraint makes two overlapping ranges of one project impossible.
 */
@Entity({ name: 'carbon_serial_blocks' })
@Exclusion('xc_carbon_serial_blocks_range', `USING gist ("project_id" WITH =, int8range("serial_start", "serial_end", '[]') WITH &&)`)
@Index('ix_carbon_serial_blocks_owner', ['projectId', 'ownerPartyId', 'status'])
@Index('ix_carbon_serial_blocks_issuance', ['issuanceId'])
@Index('ix_carbon_serial_blocks_listing', ['listingId'])
@Check('ck_carbon_serial_blocks_status', `"status" IN ('HELD', 'RESERVED', 'RETIRED', 'BUFFER', 'CANCELLED')`)
@Check('ck_carbon_serial_blocks_range', `"serial_start" > 0 AND "serial_end" >= "serial_start"`)
@Check('ck_carbon_serial_blocks_owner', `("status" = 'BUFFER') = ("owner_party_id" IS NULL)`)
@Check('ck_carbon_serial_blocks_listing', `("status" = 'RESERVED') = ("listing_id" IS NOT NULL)`)
export class CarbonSerialBlockEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_carbon_serial_blocks' })
  id!: string;

  @Column({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @ManyToOne(() => CarbonProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_carbon_serial_blocks_project' })
  project?: CarbonProjectEntity;

  @Column({ name: 'issuance_id', type: 'bigint' })
  issuanceId!: string;

  @ManyToOne(() => CarbonIssuanceEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'issuance_id', foreignKeyConstraintName: 'fk_carbon_serial_blocks_issuance' })
  issuance?: CarbonIssuanceEntity;

  @Column({ name: 'serial_start', type: 'bigint' })
  serialStart!: string;

  @Column({ name: 'serial_end', type: 'bigint' })
  serialEnd!: string;

  /** The holder (for RETIRED: who retired it); null for the project's buffer. */
  @Column({ name: 'owner_party_id', type: 'bigint', nullable: true })
  ownerPartyId!: string | null;

  @Column({ type: 'text' })
  status!: SerialStatus;

  @Column({ name: 'listing_id', type: 'bigint', nullable: true })
  listingId!: string | null;

  @ManyToOne(() => CarbonListingEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'listing_id', foreignKeyConstraintName: 'fk_carbon_serial_blocks_listing' })
  listing?: CarbonListingEntity;

  @Column({ name: 'retirement_id', type: 'bigint', nullable: true })
  retirementId!: string | null;

  @ManyToOne(() => CarbonRetirementEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'retirement_id', foreignKeyConstraintName: 'fk_carbon_serial_blocks_retirement' })
  retirement?: CarbonRetirementEntity;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
