import Decimal from 'decimal.js';
import { numericTransformer } from '@forest-ledger/ledger/persistence/numeric.transformer';
import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, Unique } from 'typeorm';
import { CoopProjectEntity } from '../projects/project.entities';
import { TicketSeriesEntity } from '../tickets/ticket.entities';

export const CASH_FLOW_KINDS = ['INCOME', 'COST', 'MANAGEMENT_FEE', 'GUARANTEE_TOP_UP'] as const;
export type CashFlowKind = (typeof CASH_FLOW_KINDS)[number];
/** 主伐, 间伐, 预分红, 碳汇收入, 其他. */
export const INCOME_KINDS = ['HARVEST_FINAL', 'HARVEST_THINNING', 'PRE_DIVIDEND', 'CARBON', 'OTHER'] as const;
export type IncomeKind = (typeof INCOME_KINDS)[number];
export const DECLARATION_STATES = ['DRAFT', 'APPROVED', 'STALE', 'DISTRIBUTING', 'DISTRIBUTED', 'CANCELLED'] as const;
export type DeclarationState = (typeof DECLARATION_STATES)[number];
export const PAYOUT_SCOPES = ['PROJECT', 'VILLAGE', 'TOWNSHIP'] as const;
export type PayoutScope = (typeof PAYOUT_SCOPES)[number];
export const PAYOUT_BATCH_STATES = ['OPEN', 'PAID', 'CANCELLED'] as const;
export type PayoutBatchState = (typeof PAYOUT_BATCH_STATES)[number];
export const PAYOUT_LINE_STATES = ['PENDING', 'PAID', 'FAILED'] as const;
export type PayoutLineState = (typeof PAYOUT_LINE_STATES)[number];

/** Money into or out of a project's wallet (DOMAIN.md §4): income, a cost, the farm's fee, a guarantee top-up; one ledger entry each. */
@Entity({ name: 'project_cash_flows' })
@Index('ix_project_cash_flows_project', ['projectId', 'id'])
@Unique('uq_project_cash_flows_entry', ['entryId'])
@Check('ck_project_cash_flows_kind', `"kind" IN ('INCOME', 'COST', 'MANAGEMENT_FEE', 'GUARANTEE_TOP_UP')`)
@Check(
  'ck_project_cash_flows_income_kind',
  `("kind" = 'INCOME') = ("income_kind" IS NOT NULL) AND ("income_kind" IS NULL OR "income_kind" IN ('HARVEST_FINAL', 'HARVEST_THINNING', 'PRE_DIVIDEND', 'CARBON', 'OTHER'))`,
)
@Check('ck_project_cash_flows_amount', `"amount" > 0`)
export class ProjectCashFlowEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_project_cash_flows' })
  id!: string;

  @Column({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @ManyToOne(() => CoopProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_project_cash_flows_project' })
  project?: CoopProjectEntity;

  @Column({ type: 'text' })
  kind!: CashFlowKind;

  @Column({ name: 'income_kind', type: 'text', nullable: true })
  incomeKind!: IncomeKind | null;

  /** CNY. */
  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  /** 银行流水号 of the receipt or payment. */
  @Column({ name: 'bank_reference', type: 'text', nullable: true })
  bankReference!: string | null;

  @Column({ type: 'text', nullable: true })
  description!: string | null;

  /** How the amount was computed (fee: base × rate; guarantee: the figures and the formula). */
  @Column({ type: 'jsonb', default: () => `'{}'` })
  calculation!: Record<string, unknown>;

  /** The income a management fee was charged on. */
  @Column({ name: 'base_flow_id', type: 'bigint', nullable: true })
  baseFlowId!: string | null;

  @Column({ name: 'effective_date', type: 'date' })
  effectiveDate!: string;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}

/**
 * A dividend declaration (分红方案): maker-checker, reserves its amount at approval, is distributed
 * in chunks by a job. Once approved it closes the series' register up to its record date (movements
 * dated on or before it are refused). `movement_watermark` is the last ticket movement of the series
 * the approval saw: a later movement dated on or before the record date makes it STALE (re-approval
 * needed), which only a declaration approved before the register closed by rule can still meet.
 */
@Entity({ name: 'dividend_declarations' })
@Index('ix_dividend_declarations_project', ['projectId'])
@Index('ix_dividend_declarations_series', ['seriesId'])
@Check('ck_dividend_declarations_state', `"state" IN ('DRAFT', 'APPROVED', 'STALE', 'DISTRIBUTING', 'DISTRIBUTED', 'CANCELLED')`)
@Check('ck_dividend_declarations_amount', `"amount" > 0`)
@Check('ck_dividend_declarations_dates', `"payment_date" >= "record_date"`)
@Check('ck_dividend_declarations_progress', `"holders_done" <= "holders_total" AND "chunks_done" <= "chunks_total" AND "amount_distributed" <= "amount"`)
@Check('ck_dividend_declarations_four_eyes', `"approved_by" IS NULL OR "approved_by" <> "declared_by"`)
@Check('ck_dividend_declarations_failure', `("failed_at" IS NULL) = ("failure" IS NULL)`)
export class DividendDeclarationEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_dividend_declarations' })
  id!: string;

  @Column({ name: 'project_id', type: 'bigint' })
  projectId!: string;

  @ManyToOne(() => CoopProjectEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'project_id', foreignKeyConstraintName: 'fk_dividend_declarations_project' })
  project?: CoopProjectEntity;

  @Column({ name: 'series_id', type: 'bigint' })
  seriesId!: string;

  @ManyToOne(() => TicketSeriesEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'series_id', foreignKeyConstraintName: 'fk_dividend_declarations_series' })
  series?: TicketSeriesEntity;

  /** CNY to distribute. */
  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  @Column({ name: 'record_date', type: 'date' })
  recordDate!: string;

  @Column({ name: 'payment_date', type: 'date' })
  paymentDate!: string;

  @Column({ type: 'text', nullable: true })
  memo!: string | null;

  @Column({ type: 'text', default: 'DRAFT' })
  state!: DeclarationState;

  @Column({ name: 'declared_by', type: 'bigint' })
  declaredBy!: string;

  @Column({ name: 'approved_by', type: 'bigint', nullable: true })
  approvedBy!: string | null;

  @Column({ name: 'approved_at', type: 'timestamptz', nullable: true })
  approvedAt!: Date | null;

  @Column({ name: 'movement_watermark', type: 'bigint', nullable: true })
  movementWatermark!: string | null;

  /** Wallet → reserve at the first approval. */
  @Column({ name: 'reserve_entry_id', type: 'bigint', nullable: true })
  reserveEntryId!: string | null;

  /** Reserve → wallet when cancelled after approval. */
  @Column({ name: 'release_entry_id', type: 'bigint', nullable: true })
  releaseEntryId!: string | null;

  @Column({ name: 'stale_reason', type: 'text', nullable: true })
  staleReason!: string | null;

  /** Units held at the record date (set when distribution starts). */
  @Column({ name: 'total_units', type: 'numeric', precision: 20, scale: 0, nullable: true, transformer: numericTransformer })
  totalUnits!: Decimal | null;

  /** amount ÷ total units, indicative: 6 places rounded half-up (each line's amount is exact). */
  @Column({ name: 'amount_per_unit', type: 'numeric', precision: 20, scale: 6, nullable: true, transformer: numericTransformer })
  amountPerUnit!: Decimal | null;

  @Column({ name: 'holders_total', type: 'integer', default: 0 })
  holdersTotal!: number;

  @Column({ name: 'holders_done', type: 'integer', default: 0 })
  holdersDone!: number;

  /** CNY credited to holders so far (advanced by each chunk, in its transaction). */
  @Column({ name: 'amount_distributed', type: 'numeric', precision: 20, scale: 2, default: 0, transformer: numericTransformer })
  amountDistributed!: Decimal;

  @Column({ name: 'chunk_size', type: 'integer', default: 5000 })
  chunkSize!: number;

  @Column({ name: 'chunks_total', type: 'integer', default: 0 })
  chunksTotal!: number;

  @Column({ name: 'chunks_done', type: 'integer', default: 0 })
  chunksDone!: number;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt!: Date | null;

  @Column({ name: 'distributed_at', type: 'timestamptz', nullable: true })
  distributedAt!: Date | null;

  @Column({ name: 'cancelled_at', type: 'timestamptz', nullable: true })
  cancelledAt!: Date | null;

  /** The distribution round: +1 at each approval and each resume; names the job (dividend-<id>-r<round>). */
  @Column({ type: 'integer', default: 0 })
  round!: number;

  /** Set when the distribution job truly failed (a bug, not a dead worker); cleared by an ADMIN's resume. */
  @Column({ name: 'failed_at', type: 'timestamptz', nullable: true })
  failedAt!: Date | null;

  /** The error of the failed distribution. */
  @Column({ type: 'text', nullable: true })
  failure!: string | null;
}

/** One holder's dividend (the statement line): units at the record date and the amount, with the entry that paid it. */
@Entity({ name: 'dividend_lines' })
@Index('ix_dividend_lines_party', ['partyId'])
@Check('ck_dividend_lines_units', `"units" > 0`)
@Check('ck_dividend_lines_amount', `"amount" >= 0`)
export class DividendLineEntity {
  @PrimaryColumn({ name: 'declaration_id', type: 'bigint', primaryKeyConstraintName: 'pk_dividend_lines' })
  declarationId!: string;

  /** Position in the allocation order (holder account id ascending), 1-based. */
  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'pk_dividend_lines' })
  seq!: number;

  @ManyToOne(() => DividendDeclarationEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'declaration_id', foreignKeyConstraintName: 'fk_dividend_lines_declaration' })
  declaration?: DividendDeclarationEntity;

  @Column({ name: 'party_id', type: 'bigint' })
  partyId!: string;

  /** The holder's free-units account id: the allocation's tie-break key. */
  @Column({ name: 'holder_account_id', type: 'bigint' })
  holderAccountId!: string;

  /** Free plus pledged units at the record date. */
  @Column({ type: 'numeric', precision: 20, scale: 0, transformer: numericTransformer })
  units!: Decimal;

  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  /** The distribution chunk that pays it: (seq - 1) / chunk size + 1, so a chunk is a seq range of the primary key. */
  @Column({ type: 'integer' })
  chunk!: number;

  /** The distribution entry that credited the wallet; null until paid, and for a 0.00 line. */
  @Column({ name: 'entry_id', type: 'bigint', nullable: true })
  entryId!: string | null;
}

/** A payout batch: wallets with money, paid to bank cards through one bank file. */
@Entity({ name: 'payout_batches' })
@Check('ck_payout_batches_scope', `"scope" IN ('PROJECT', 'VILLAGE', 'TOWNSHIP')`)
@Check('ck_payout_batches_state', `"state" IN ('OPEN', 'PAID', 'CANCELLED')`)
@Check('ck_payout_batches_total', `"total_amount" > 0`)
export class PayoutBatchEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_payout_batches' })
  id!: string;

  @Column({ type: 'text' })
  scope!: PayoutScope;

  /** The project code or the region code. */
  @Column({ name: 'scope_code', type: 'text' })
  scopeCode!: string;

  @Column({ type: 'text', default: 'OPEN' })
  state!: PayoutBatchState;

  @Column({ name: 'total_amount', type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  totalAmount!: Decimal;

  @Column({ name: 'line_count', type: 'integer' })
  lineCount!: number;

  @Column({ name: 'created_by', type: 'bigint' })
  createdBy!: string;

  /** The bank's reference of the batch payment, when confirmed. */
  @Column({ name: 'bank_reference', type: 'text', nullable: true })
  bankReference!: string | null;

  @Column({ name: 'paid_on', type: 'date', nullable: true })
  paidOn!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @Column({ name: 'confirmed_at', type: 'timestamptz', nullable: true })
  confirmedAt!: Date | null;
}

/** One wallet's payout in a batch. */
@Entity({ name: 'payout_lines' })
@Index('ix_payout_lines_batch', ['batchId'])
@Index('ix_payout_lines_party', ['partyId'])
@Check('ck_payout_lines_state', `"state" IN ('PENDING', 'PAID', 'FAILED')`)
@Check('ck_payout_lines_amount', `"amount" > 0`)
export class PayoutLineEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS', primaryKeyConstraintName: 'pk_payout_lines' })
  id!: string;

  @Column({ name: 'batch_id', type: 'bigint' })
  batchId!: string;

  @ManyToOne(() => PayoutBatchEntity, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'batch_id', foreignKeyConstraintName: 'fk_payout_lines_batch' })
  batch?: PayoutBatchEntity;

  @Column({ name: 'party_id', type: 'bigint' })
  partyId!: string;

  @Column({ type: 'numeric', precision: 20, scale: 2, transformer: numericTransformer })
  amount!: Decimal;

  @Column({ type: 'text', default: 'PENDING' })
  state!: PayoutLineState;

  /** Wallet → bank clearing, when the batch is confirmed paid. */
  @Column({ name: 'entry_id', type: 'bigint', nullable: true })
  entryId!: string | null;

  /** Bank clearing → wallet, when the bank returned the payment. */
  @Column({ name: 'return_entry_id', type: 'bigint', nullable: true })
  returnEntryId!: string | null;

  @Column({ name: 'failure_reason', type: 'text', nullable: true })
  failureReason!: string | null;
}

/**
 * A party's bank card for payouts: the number sealed (AES-256-GCM, like ID numbers) and a masked copy
 * for screens; only the bank payment file carries it in full.
 */
@Entity({ name: 'party_bank_cards' })
export class PartyBankCardEntity {
  @PrimaryColumn({ name: 'party_id', type: 'bigint', primaryKeyConstraintName: 'pk_party_bank_cards' })
  partyId!: string;

  /** 开户行. */
  @Column({ name: 'bank_name', type: 'text' })
  bankName!: string;

  @Column({ name: 'card_cipher', type: 'text' })
  cardCipher!: string;

  @Column({ name: 'card_masked', type: 'text' })
  cardMasked!: string;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
