import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  BANK_NAME_MAX,
  BANK_REFERENCE_MAX,
  DECLARATION_MEMO_MAX,
  DECLARATION_STATES,
  DIVIDEND_TEXT_MAX,
  INCOME_KINDS,
  PAYOUT_BATCH_STATES,
  PAYOUT_OUTCOMES,
  PAYOUT_LINE_STATES,
  PAYOUT_SCOPES,
  PER_UNIT_PLACES,
} from '@forest-ledger/forestry';
import type { DeclarationState, DistributableIncomeKind, IncomeKind, PayoutBatchState, PayoutLineState, PayoutOutcome, PayoutScope } from '@forest-ledger/forestry';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { IsCalendarDate, IsDecimalString } from '../../http/validators';

const ID = /^[1-9][0-9]{0,18}$/;
const CODE = /^[A-Za-z0-9._-]{1,80}$/;

// ------------------------------------------------------------------ requests

export class IncomeDto {
  @ApiProperty({ enum: INCOME_KINDS, description: 'HARVEST_FINAL 主伐 / HARVEST_THINNING 间伐 / PRE_DIVIDEND 预分红 / CARBON 碳汇 / OTHER' })
  @IsIn(INCOME_KINDS)
  kind!: IncomeKind;

  @ApiProperty({ example: '100000.00', description: 'CNY, 2 decimals, > 0' }) @IsDecimalString() amount!: string;

  @ApiProperty({ example: 'BANK-2026-0001' }) @IsString() @MinLength(1) @MaxLength(BANK_REFERENCE_MAX) bankReference!: string;

  @ApiPropertyOptional({ example: '2026 年主伐木材销售' }) @IsOptional() @IsString() @MaxLength(DIVIDEND_TEXT_MAX) description?: string;

  @ApiPropertyOptional({ example: '2026-05-01' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class CostDto {
  @ApiProperty({ example: '5000.00' }) @IsDecimalString() amount!: string;
  @ApiProperty({ example: 'BANK-2026-0002' }) @IsString() @MinLength(1) @MaxLength(BANK_REFERENCE_MAX) bankReference!: string;
  @ApiProperty({ example: '采伐作业费' }) @IsString() @MinLength(1) @MaxLength(DIVIDEND_TEXT_MAX) description!: string;
  @ApiPropertyOptional({ example: '2026-05-02' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class FeeDto {
  @ApiProperty({ example: '12', description: 'The income cash flow the fee is charged on' })
  @IsString()
  @Matches(ID, { message: '$property must be a cash-flow id (a positive integer as a string)' })
  incomeId!: string;

  @ApiPropertyOptional({ example: '2026-05-02' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class GuaranteeTopUpDto {
  @ApiProperty({ enum: ['YIELD', 'RETURN'], description: 'YIELD: actual volume below the guaranteed yield; RETURN: actual return below a guaranteed return' })
  @IsIn(['YIELD', 'RETURN'])
  mode!: 'YIELD' | 'RETURN';

  @ApiPropertyOptional({ example: '800.000', description: 'YIELD: m³ actually harvested' }) @IsOptional() @IsDecimalString() actualVolumeM3?: string;
  @ApiPropertyOptional({ example: '100.0000', description: "YIELD: 亩 (defaults to the project's area)" }) @IsOptional() @IsDecimalString() areaMu?: string;
  @ApiPropertyOptional({ example: '100000.00', description: 'RETURN' }) @IsOptional() @IsDecimalString() principal?: string;
  @ApiPropertyOptional({ example: '0.05', description: 'RETURN' }) @IsOptional() @IsDecimalString() annualRate?: string;
  @ApiPropertyOptional({ example: '3', description: 'RETURN' }) @IsOptional() @IsDecimalString() years?: string;
  @ApiPropertyOptional({ example: '10000.00', description: 'RETURN' }) @IsOptional() @IsDecimalString() actualReturn?: string;

  @ApiProperty({ example: 'BANK-2026-0003' }) @IsString() @MinLength(1) @MaxLength(BANK_REFERENCE_MAX) bankReference!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(DIVIDEND_TEXT_MAX) description?: string;
  @ApiPropertyOptional({ example: '2026-05-03' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class DeclareDto {
  @ApiProperty({ example: 'P-001' }) @IsString() @Matches(CODE, { message: '$property must be a project code' }) project!: string;
  @ApiProperty({ example: '100.00', description: "CNY, ≤ the project's distributable amount (422 EXCEEDS_DISTRIBUTABLE) and ≤ its wallet (422 EXCEEDS_WALLET)" })
  @IsDecimalString()
  amount!: string;
  @ApiProperty({ example: '2026-06-30' }) @IsCalendarDate() recordDate!: string;
  @ApiProperty({ example: '2026-07-15' }) @IsCalendarDate() paymentDate!: string;
  @ApiPropertyOptional({ example: '2026 年度分红' }) @IsOptional() @IsString() @MaxLength(DECLARATION_MEMO_MAX) memo?: string;
  @ApiPropertyOptional({ example: 5000, minimum: 1, maximum: 50000, description: 'Holders per chunk of the distribution' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(50_000)
  chunkSize?: number;
}

export class DistributableQuery {
  @ApiPropertyOptional({ example: '2026-06-30', description: 'Cash flows effective on or before this date, declarations made on or before it; defaults to today (Asia/Shanghai)' })
  @IsOptional()
  @IsCalendarDate()
  asOf?: string;
}

export class LinesQuery {
  @ApiPropertyOptional({ example: 0, description: 'Lines after this seq (keyset paging)' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  afterSeq?: number;

  @ApiPropertyOptional({ example: 1000, minimum: 1, maximum: 10000 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_000)
  limit?: number;
}

export class BankCardDto {
  @ApiProperty({ example: '中国农业银行' }) @IsString() @MinLength(1) @MaxLength(BANK_NAME_MAX) bankName!: string;
  @ApiProperty({ example: '6228480000000000000' }) @IsString() @MinLength(1) @MaxLength(40) cardNumber!: string;
}

export class PayoutScopeDto {
  @ApiProperty({ enum: PAYOUT_SCOPES }) @IsIn(PAYOUT_SCOPES) scope!: PayoutScope;
  @ApiProperty({ example: 'P-001', description: 'Project code, or the region code of the village or township' })
  @IsString()
  @Matches(CODE, { message: '$property must be a project or region code' })
  code!: string;
}

export const BANK_FILE_LAYOUTS = ['bank', 'spreadsheet'] as const;

export class BankFileQuery {
  @ApiPropertyOptional({
    enum: BANK_FILE_LAYOUTS,
    default: 'bank',
    description:
      'bank: for the bank upload (card numbers as plain digits, no total line). spreadsheet: for Excel/WPS (card numbers written ="…" so they stay text, and a 合计 line). People should prefer bank-file.xlsx.',
  })
  @IsOptional()
  @IsIn(BANK_FILE_LAYOUTS)
  layout?: (typeof BANK_FILE_LAYOUTS)[number];
}

export class UnclaimedQuery {
  @ApiPropertyOptional({ enum: PAYOUT_SCOPES }) @IsOptional() @IsIn(PAYOUT_SCOPES) scope?: PayoutScope;
  @ApiPropertyOptional({ example: 'P-001' }) @IsOptional() @IsString() @Matches(CODE, { message: '$property must be a project or region code' }) code?: string;
  @ApiPropertyOptional({ example: '2026-12-31' }) @IsOptional() @IsCalendarDate() asOf?: string;
}

export class FailedLineDto {
  @ApiProperty({ example: '7' }) @IsString() @Matches(ID, { message: '$property must be a payout line id' }) lineId!: string;
  @ApiProperty({ example: '账户已销户' }) @IsString() @MinLength(1) @MaxLength(500) reason!: string;
}

export class ConfirmBatchDto {
  @ApiProperty({ example: 'BANK-PAY-0001' }) @IsString() @MinLength(1) @MaxLength(BANK_REFERENCE_MAX) bankReference!: string;
  @ApiPropertyOptional({ example: '2026-07-16' }) @IsOptional() @IsCalendarDate() paidOn?: string;
  @ApiPropertyOptional({ type: [FailedLineDto] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10_000)
  @ValidateNested({ each: true })
  @Type(() => FailedLineDto)
  failed?: FailedLineDto[];
}

export class FailLineDto {
  @ApiProperty({ example: '账户已销户' }) @IsString() @MinLength(1) @MaxLength(DIVIDEND_TEXT_MAX) reason!: string;
  @ApiPropertyOptional({ example: '2026-07-20' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

// ------------------------------------------------------------------ responses

const AMOUNT_PER_UNIT_PATTERN = `^\\d+\\.\\d{${PER_UNIT_PLACES}}$`;
const AMOUNT_PER_UNIT_DESCRIPTION = `CNY per unit: the declared amount ÷ the units at the record date, a plain decimal with ${PER_UNIT_PLACES} places, rounded half-up. Indicative only: each holder's exact amount is their line's amount`;

export class CashFlowResponse {
  @ApiProperty() id!: string;
  @ApiProperty() project!: string;
  @ApiProperty({ enum: ['INCOME', 'COST', 'MANAGEMENT_FEE', 'GUARANTEE_TOP_UP'] }) kind!: 'INCOME' | 'COST' | 'MANAGEMENT_FEE' | 'GUARANTEE_TOP_UP';
  @ApiProperty({ enum: INCOME_KINDS, nullable: true, type: String }) incomeKind!: IncomeKind | null;
  @ApiProperty({ example: '100000.00' }) amount!: string;
  @ApiProperty({ nullable: true, type: String }) bankReference!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The calculation shown on the record (fee, guarantee)' }) calculation!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) baseFlowId!: string | null;
  @ApiProperty({ example: '2026-05-01' }) effectiveDate!: string;
  @ApiProperty() entryId!: string;
  @ApiProperty({ example: '100000.00' }) walletBalance!: string;
}

export class ProgressResponse {
  @ApiProperty() holdersTotal!: number;
  @ApiProperty() holdersDone!: number;
  @ApiProperty() chunksTotal!: number;
  @ApiProperty() chunksDone!: number;
  @ApiProperty({ example: '100.00' }) amountDistributed!: string;
}

export class StateProgressResponse extends ProgressResponse {
  @ApiProperty({ enum: DECLARATION_STATES }) state!: DeclarationState;
  @ApiProperty({ nullable: true, type: String, description: 'Set when the distribution truly failed; an ADMIN resumes it (POST /v1/dividends/:id/resume)' }) failedAt!:
    string | null;
}

export class DeclarationResponse {
  @ApiProperty() id!: string;
  @ApiProperty() project!: string;
  @ApiProperty() series!: string;
  @ApiProperty({ example: '100.00' }) amount!: string;
  @ApiProperty({ example: '2026-06-30' }) recordDate!: string;
  @ApiProperty({ example: '2026-07-15' }) paymentDate!: string;
  @ApiProperty({ nullable: true, type: String }) memo!: string | null;
  @ApiProperty({ enum: DECLARATION_STATES }) state!: DeclarationState;
  @ApiProperty() declaredBy!: string;
  @ApiProperty({ nullable: true, type: String }) approvedBy!: string | null;
  @ApiProperty({ nullable: true, type: String }) approvedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) reserveEntryId!: string | null;
  @ApiProperty({ nullable: true, type: String }) releaseEntryId!: string | null;
  @ApiProperty({ nullable: true, type: String }) staleReason!: string | null;
  @ApiProperty({ nullable: true, type: String }) totalUnits!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: '0.000111',
    pattern: AMOUNT_PER_UNIT_PATTERN,
    description: `${AMOUNT_PER_UNIT_DESCRIPTION}; null until the distribution starts`,
  })
  amountPerUnit!: string | null;
  @ApiProperty({ type: ProgressResponse }) progress!: ProgressResponse;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) distributedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) cancelledAt!: string | null;
  @ApiProperty({ example: 1, description: 'The distribution round: 1 at the first approval, +1 at each re-approval and each resume; its job is dividend-<id>-r<round>' })
  round!: number;
  @ApiProperty({ nullable: true, type: String, description: 'Set when the distribution truly failed (a dead worker is not a failure: another takes over); an ADMIN resumes it' })
  failedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The error of the failed distribution' }) failure!: string | null;
}

export class DividendLineResponse {
  @ApiProperty() declarationId!: string;
  @ApiProperty() seq!: number;
  @ApiProperty() party!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: '100' }) units!: string;
  @ApiProperty({ example: '0.000111', pattern: AMOUNT_PER_UNIT_PATTERN, description: AMOUNT_PER_UNIT_DESCRIPTION }) amountPerUnit!: string;
  @ApiProperty({ example: '33.34' }) amount!: string;
  @ApiProperty({ nullable: true, type: String }) entryId!: string | null;
}

export class PartyDividendResponse extends DividendLineResponse {
  @ApiProperty() project!: string;
  @ApiProperty() projectName!: string;
  @ApiProperty() series!: string;
  @ApiProperty({ example: '2026-06-30' }) recordDate!: string;
  @ApiProperty({ example: '2026-07-15' }) paymentDate!: string;
  @ApiProperty() paid!: boolean;
}

export class BankCardResponse {
  @ApiProperty() party!: string;
  @ApiProperty() bankName!: string;
  @ApiProperty({ example: '6228 **** **** 0000' }) cardMasked!: string;
}

export class PayoutLineResponse {
  @ApiProperty() id!: string;
  @ApiProperty() party!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) idMasked!: string | null;
  @ApiProperty() bankName!: string;
  @ApiProperty() cardMasked!: string;
  @ApiProperty({ example: '33.34' }) amount!: string;
  @ApiProperty({ enum: PAYOUT_LINE_STATES }) state!: PayoutLineState;
  @ApiProperty({ nullable: true, type: String }) entryId!: string | null;
  @ApiProperty({ nullable: true, type: String }) returnEntryId!: string | null;
  @ApiProperty({ nullable: true, type: String }) failureReason!: string | null;
}

export class PayoutBatchResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: PAYOUT_SCOPES }) scope!: PayoutScope;
  @ApiProperty() scopeCode!: string;
  @ApiProperty({ enum: PAYOUT_BATCH_STATES, description: 'PAID once confirmed, whatever its lines: see outcome' }) state!: PayoutBatchState;
  @ApiProperty({ enum: PAYOUT_OUTCOMES, description: 'PAID_WITH_FAILURES: confirmed, but some lines were refused or returned' }) outcome!: PayoutOutcome;
  @ApiProperty({ example: '100.00', description: 'Every line of the batch' }) totalAmount!: string;
  @ApiProperty({ example: '80.00', description: 'Lines that reached their cards and stayed there' }) paidAmount!: string;
  @ApiProperty({ example: '20.00', description: 'Lines the bank refused at confirmation (never left their wallets)' }) failedAmount!: string;
  @ApiProperty({ example: '0.00', description: 'Lines paid, then returned by the bank (booked back to their wallets)' }) returnedAmount!: string;
  @ApiProperty() lineCount!: number;
  @ApiProperty({ nullable: true, type: String }) bankReference!: string | null;
  @ApiProperty({ nullable: true, type: String }) paidOn!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) confirmedAt!: string | null;
  @ApiProperty({ type: [PayoutLineResponse] }) lines!: PayoutLineResponse[];
}

export class CreateBatchResponse {
  @ApiProperty({ type: PayoutBatchResponse }) batch!: PayoutBatchResponse;
  @ApiProperty({ type: [String], description: 'Parties owed money but without a bank card on record: left out' }) withoutCard!: string[];
}

export class UnclaimedLineResponse {
  @ApiProperty() party!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: '33.34' }) balance!: string;
  @ApiProperty({ example: '2026-07-15' }) owedSince!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' }, description: 'CNY owed by age bucket' }) buckets!: Record<string, string>;
}

export class UnclaimedResponse {
  @ApiProperty({ example: '2026-12-31' }) asOf!: string;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) totals!: Record<string, string>;
  @ApiProperty({ type: [UnclaimedLineResponse] }) lines!: UnclaimedLineResponse[];
}

export class DistributableIncomeLine {
  @ApiProperty({ enum: [...INCOME_KINDS, 'GUARANTEE_TOP_UP'] }) kind!: DistributableIncomeKind;
  @ApiProperty({ example: '主伐' }) label!: string;
  @ApiProperty({ example: '1000.00' }) amount!: string;
}

export class DistributableDividendLine {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: DECLARATION_STATES, description: 'The state now' }) state!: DeclarationState;
  @ApiProperty({ example: '300.00' }) amount!: string;
  @ApiProperty({ example: '2026-06-30' }) recordDate!: string;
  @ApiProperty({ example: '2026-07-01' }) declaredOn!: string;
}

export class DistributableResponse {
  @ApiProperty() project!: string;
  @ApiProperty({ example: '2026-06-30' }) asOf!: string;
  @ApiProperty({ type: [DistributableIncomeLine], description: 'Income received by kind (every kind, guarantee top-ups as their own line)' }) income!: DistributableIncomeLine[];
  @ApiProperty({ example: '1250.00' }) incomeTotal!: string;
  @ApiProperty({ example: '100.00' }) costs!: string;
  @ApiProperty({ example: '80.00' }) managementFees!: string;
  @ApiProperty({ type: [DistributableDividendLine], description: 'Dividends declared and not cancelled' }) dividends!: DistributableDividendLine[];
  @ApiProperty({ example: '300.00' }) dividendsDeclared!: string;
  @ApiProperty({ example: '770.00', description: 'incomeTotal − costs − managementFees − dividendsDeclared; contributed capital never counts' }) distributable!: string;
  @ApiProperty({ example: '收入 1250.00 − 成本 100.00 − 管理费 80.00 − 已宣告分红 300.00 = 可分配 770.00 元' }) formula!: string;
}
