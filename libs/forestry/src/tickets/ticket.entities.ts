import Decimal from 'decimal.js';
import { numericTransformer } from '@forest-ledger/ledger/persistence/numeric.transformer';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CoopProjectEntity } from '../projects/project.entities';

export const TRANSFER_RESTRICTIONS = ['OPEN', 'COLLECTIVE_MEMBERS', 'NONE'] as const;
export type TransferRestriction = (typeof TRANSFER_RESTRICTIONS)[number];
export const HOLDING_ORIGINS = ['FARM', 'COLLECTIVE', 'MEMBER', 'ACQUIRED'] as const;
export type HoldingOrigin = (typeof HOLDING_ORIGINS)[number];
export const PLEDGE_STATES = ['ACTIVE', 'RELEASED', 'ENFORCED'] as const;
export type PledgeState = (typeof PLEDGE_STATES)[number];
export const MOVEMENT_KINDS = ['ISSUANCE', 'TRADE', 'INHERITANCE', 'PLEDGE', 'PLEDGE_RELEASE', 'PLEDGE_ENFORCEMENT', 'BUY_BACK'] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];

/** A 林票 series: one issuance of a cooperation project; its units are the ledger asset LP.<code> (scale 0). */
@Entity({ name: 'ticket_series' })
@Unique('uq_ticket_series_code', ['code'])
@Unique('uq_ticket_series_project', ['projectId'])
@Check('ck_ticket_series_restriction', `"transfer_restriction" IN ('OPEN', 'COLLECTIVE_MEMBERS', 'NONE')`)
@Check('ck_ticket_series_face_value', `"face_value" > 0`)
@Check('ck_ticket_series_units', `"total_units" > 0`)
export class TicketSeriesEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_ticket_series' })
  id!: string;

  @Column({ type: 'text' })
  code!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @ManyToOne(() => CoopProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_ticket_series_project' })
  project?: CoopProjectEntity;

  @Column({ name: 'asset_code', type: 'text' })
  assetCode!: string;

  /** CNY per unit. */
  @Column({ name: 'face_value', type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  faceValue!: Decimal;

  @Column({ name: 'total_units', type: 'numeric', precision: 20, scale: 0, transformer: numericTransformer })
  totalUnits!: Decimal;

  @Column({ name: 'transfer_restriction', type: 'text' })
  transferRestriction!: TransferRestriction;

  @Column({ name: 'issued_on', type: 'date' })
  issuedOn!: string;

  @Column({ name: 'issuance_entry_id', type: 'bigint' })
  issuanceEntryId!: string;

  /** The last certificate sequence number used; the next holder gets +1 (gapless, under the series row lock). */
  @Column({ name: 'last_certificate_seq', type: 'integer' })
  lastCertificateSeq!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A holder's position in a series, with its certificate number (林票编号) and the code anyone can verify it by. */
@Entity({ name: 'ticket_holdings' })
@Unique('uq_ticket_holdings_holder', ['seriesId', 'partyId'])
@Unique('uq_ticket_holdings_seq', ['seriesId', 'seq'])
@Unique('uq_ticket_holdings_certificate_no', ['certificateNo'])
@Unique('uq_ticket_holdings_verification_code', ['verificationCode'])
@Index('ix_ticket_holdings_party', ['partyId'])
@Check('ck_ticket_holdings_origin', `"origin" IN ('FARM', 'COLLECTIVE', 'MEMBER', 'ACQUIRED')`)
@Check('ck_ticket_holdings_seq', `"seq" > 0`)
export class TicketHoldingEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_ticket_holdings' })
  id!: string;

  @Column({ name: 'series_id', type: 'bigint' })
  seriesId!: string;

  @ManyToOne(() => TicketSeriesEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'series_id', foreignKeyConstraintName: 'fk_ticket_holdings_series' })
  series?: TicketSeriesEntity;

  @Column({ name: 'party_id', type: 'bigint' })
  partyId!: string;

  @Column({ type: 'integer' })
  seq!: number;

  @Column({ name: 'certificate_no', type: 'text' })
  certificateNo!: string;

  /** How the holder came in: at issuance (FARM, COLLECTIVE, MEMBER) or later (ACQUIRED). */
  @Column({ type: 'text' })
  origin!: HoldingOrigin;

  @Column({ name: 'issued_units', type: 'numeric', precision: 20, scale: 0, transformer: numericTransformer })
  issuedUnits!: Decimal;

  @Column({ name: 'verification_code', type: 'text' })
  verificationCode!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/** A pledge (质押) of units to a bank: the units sit in the holder's pledged sub-account until released or enforced. */
@Entity({ name: 'ticket_pledges' })
@Index('ix_ticket_pledges_series', ['seriesId', 'holderPartyId'])
@Check('ck_ticket_pledges_state', `"state" IN ('ACTIVE', 'RELEASED', 'ENFORCED')`)
@Check('ck_ticket_pledges_units', `"units" > 0`)
@Check('ck_ticket_pledges_closed', `("state" = 'ACTIVE') = ("closing_entry_id" IS NULL)`)
export class TicketPledgeEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_ticket_pledges' })
  id!: string;

  @Column({ name: 'series_id', type: 'bigint' })
  seriesId!: string;

  @ManyToOne(() => TicketSeriesEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'series_id', foreignKeyConstraintName: 'fk_ticket_pledges_series' })
  series?: TicketSeriesEntity;

  @Column({ name: 'holder_party_id', type: 'bigint' })
  holderPartyId!: string;

  @Column({ name: 'pledgee_party_id', type: 'bigint' })
  pledgeePartyId!: string;

  @Column({ type: 'numeric', precision: 20, scale: 0, transformer: numericTransformer })
  units!: Decimal;

  /** 质押合同编号. */
  @Column({ name: 'contract_reference', type: 'text' })
  contractReference!: string;

  @Column({ type: 'text', default: 'ACTIVE' })
  state!: PledgeState;

  @Column({ name: 'pledge_entry_id', type: 'bigint' })
  pledgeEntryId!: string;

  @Column({ name: 'closing_entry_id', type: 'bigint', nullable: true })
  closingEntryId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;
}

/**
 * Every movement of units, one row per holder-to-holder leg, next to its ledger entry (append-only,
 * like the journal). Dividends read it to find transfers booked after a declaration's approval.
 */
@Entity({ name: 'ticket_movements' })
@Index('ix_ticket_movements_series', ['seriesId', 'id'])
@Index('ix_ticket_movements_entry', ['entryId'])
@Check('ck_ticket_movements_kind', `"kind" IN ('ISSUANCE', 'TRADE', 'INHERITANCE', 'PLEDGE', 'PLEDGE_RELEASE', 'PLEDGE_ENFORCEMENT', 'BUY_BACK')`)
@Check('ck_ticket_movements_units', `"units" > 0`)
export class TicketMovementEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_ticket_movements' })
  id!: string;

  @Column({ name: 'series_id', type: 'bigint' })
  seriesId!: string;

  @ManyToOne(() => TicketSeriesEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'series_id', foreignKeyConstraintName: 'fk_ticket_movements_series' })
  series?: TicketSeriesEntity;

  @Column({ type: 'text' })
  kind!: MovementKind;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @Column({ name: 'effective_date', type: 'date' })
  effectiveDate!: string;

  /** Null for issuance. */
  @Column({ name: 'from_party_id', type: 'bigint', nullable: true })
  fromPartyId!: string | null;

  @Column({ name: 'to_party_id', type: 'bigint' })
  toPartyId!: string;

  @Column({ type: 'numeric', precision: 20, scale: 0, transformer: numericTransformer })
  units!: Decimal;

  /** CNY per unit, for trades and buy-backs. */
  @Column({ name: 'unit_price', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  unitPrice!: Decimal | null;

  /** CNY paid for the units (units × unit price, rounded to the 分 once). */
  @Column({ name: 'amount', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  amount!: Decimal | null;

  /** CNY fee paid by the buyer to the platform. */
  @Column({ name: 'fee', type: 'numeric', precision: 20, scale: 2, nullable: true, transformer: numericTransformer })
  fee!: Decimal | null;

  /** Contract, will or court document, pledge contract… */
  @Column({ name: 'document_reference', type: 'text', nullable: true })
  documentReference!: string | null;

  @Column({ name: 'pledge_id', type: 'bigint', nullable: true })
  pledgeId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
