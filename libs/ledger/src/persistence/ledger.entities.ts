import Decimal from 'decimal.js';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import type { AccountType, Side } from '../domain/entry';
import { numericTransformer } from './numeric.transformer';

@Entity({ name: 'ledger_assets' })
@Check('ck_ledger_assets_code', `"code" ~ '^[A-Z0-9][A-Z0-9._-]{0,63}$'`)
@Check('ck_ledger_assets_scale', `"scale" BETWEEN 0 AND 18`)
export class AssetEntity {
  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'pk_ledger_assets' })
  code!: string;

  @Column({ type: 'smallint' })
  scale!: number;

  @Column({ type: 'text', default: '' })
  description!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'ledger_accounts' })
@Unique('uq_ledger_accounts_code', ['code'])
@Index('ix_ledger_accounts_owner', ['ownerRef'])
@Index('ix_ledger_accounts_asset', ['assetCode'])
@Check('ck_ledger_accounts_type', `"type" IN ('ASSET', 'LIABILITY', 'EQUITY', 'INCOME', 'EXPENSE')`)
@Check('ck_ledger_accounts_normal_side', `"normal_side" IN ('DEBIT', 'CREDIT')`)
@Check('ck_ledger_accounts_totals', `"debits" >= 0 AND "credits" >= 0`)
@Check('ck_ledger_accounts_no_overdraft', `NOT "no_overdraft" OR (CASE "normal_side" WHEN 'DEBIT' THEN "debits" >= "credits" ELSE "credits" >= "debits" END)`)
@Check('ck_ledger_accounts_closed_at_zero', `"closed_at" IS NULL OR "debits" = "credits"`)
export class AccountEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_ledger_accounts' })
  id!: string;

  @Column({ type: 'text' })
  code!: string;

  @Column({ name: 'asset_code', type: 'text' })
  assetCode!: string;

  @ManyToOne(() => AssetEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'asset_code', foreignKeyConstraintName: 'fk_ledger_accounts_asset' })
  asset?: AssetEntity;

  @Column({ type: 'text' })
  type!: AccountType;

  @Column({ name: 'normal_side', type: 'text' })
  normalSide!: Side;

  @Column({ name: 'owner_ref', type: 'text', nullable: true })
  ownerRef!: string | null;

  @Column({ name: 'no_overdraft', type: 'boolean', default: false })
  noOverdraft!: boolean;

  @Column({ type: 'boolean', default: false })
  frozen!: boolean;

  @Column({ name: 'closed_at', type: 'timestamptz', nullable: true })
  closedAt!: Date | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  metadata!: Record<string, unknown>;

  /** Sum of all debit postings (cached, updated with the postings under a row lock). */
  @Column({ type: 'numeric', default: 0, transformer: numericTransformer })
  debits!: Decimal;

  @Column({ type: 'numeric', default: 0, transformer: numericTransformer })
  credits!: Decimal;

  /** Hash of the last entry that touched this account: the head of its hash chain. */
  @Column({ name: 'head_hash', type: 'text', nullable: true })
  headHash!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

@Entity({ name: 'ledger_entries' })
@Unique('uq_ledger_entries_idempotency_key', ['idempotencyKey'])
@Unique('uq_ledger_entries_reverses', ['reversesEntryId'])
@Index('ix_ledger_entries_effective_date', ['effectiveDate', 'id'])
@Check('ck_ledger_entries_kind', `"kind" ~ '^[A-Z][A-Z0-9_]{1,63}$'`)
export class EntryEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'BY DEFAULT', primaryKeyConstraintName: 'pk_ledger_entries' })
  id!: string;

  @Column({ name: 'idempotency_key', type: 'text' })
  idempotencyKey!: string;

  @Column({ type: 'text' })
  kind!: string;

  @Column({ name: 'effective_date', type: 'date' })
  effectiveDate!: string;

  @Column({ name: 'booked_at', type: 'timestamptz' })
  bookedAt!: Date;

  @Column({ type: 'text', nullable: true })
  memo!: string | null;

  @Column({ type: 'jsonb', default: () => `'{}'` })
  metadata!: Record<string, unknown>;

  @Column({ name: 'reverses_entry_id', type: 'bigint', nullable: true })
  reversesEntryId!: string | null;

  @ManyToOne(() => EntryEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'reverses_entry_id', foreignKeyConstraintName: 'fk_ledger_entries_reverses' })
  reverses?: EntryEntity;

  @Column({ type: 'text' })
  hash!: string;
}

@Entity({ name: 'ledger_postings' })
@Index('ix_ledger_postings_account_date', ['accountId', 'effectiveDate', 'id'])
@Index('ix_ledger_postings_entry', ['entryId'])
@Check('ck_ledger_postings_amount', `"amount" > 0`)
@Check('ck_ledger_postings_side', `"side" IN ('DEBIT', 'CREDIT')`)
export class PostingEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'BY DEFAULT', primaryKeyConstraintName: 'pk_ledger_postings' })
  id!: string;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @ManyToOne(() => EntryEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'entry_id', foreignKeyConstraintName: 'fk_ledger_postings_entry' })
  entry?: EntryEntity;

  /** Position of the posting in its entry (0-based), so an entry reads back in the order it was written. */
  @Column({ type: 'smallint' })
  seq!: number;

  @Column({ name: 'account_id', type: 'bigint' })
  accountId!: string;

  @ManyToOne(() => AccountEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'account_id', foreignKeyConstraintName: 'fk_ledger_postings_account' })
  account?: AccountEntity;

  @Column({ type: 'text' })
  side!: Side;

  @Column({ type: 'numeric', transformer: numericTransformer })
  amount!: Decimal;

  /** Copy of the entry's effective date: as-of balances and statements read postings alone. */
  @Column({ name: 'effective_date', type: 'date' })
  effectiveDate!: string;
}
