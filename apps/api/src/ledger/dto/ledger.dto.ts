import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ACCOUNT_CODE_PATTERN, ACCOUNT_TYPES, ASSET_CODE_PATTERN, KIND_PATTERN, MAX_POSTINGS, MIN_POSTINGS, SIDES } from '@forest-ledger/ledger';
import type { AccountType, Side } from '@forest-ledger/ledger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { IsCalendarDate, IsDecimalString, IsFreeFormObject } from '../../http/validators';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

// ------------------------------------------------------------------ requests

export class CreateAssetDto {
  @ApiProperty({ example: 'CNY', pattern: ASSET_CODE_PATTERN.source })
  @IsString()
  @Matches(ASSET_CODE_PATTERN, { message: '$property must be 1-64 of A-Z, 0-9, ".", "_", "-"' })
  code!: string;

  @ApiProperty({ example: 2, minimum: 0, maximum: 18, description: 'Decimal places: CNY 2, TCO2E 3, ticket series 0' })
  @IsInt()
  @Min(0)
  @Max(18)
  scale!: number;

  @ApiPropertyOptional({ example: 'Renminbi' })
  @IsOptional()
  @IsString()
  @MaxLength(500)
  description?: string;
}

export class OpenAccountDto {
  @ApiProperty({ example: 'party:V-0012:wallet:CNY', pattern: ACCOUNT_CODE_PATTERN.source })
  @IsString()
  @Matches(ACCOUNT_CODE_PATTERN, { message: '$property must be 1-200 of letters, digits, ":", ".", "_", "-"' })
  code!: string;

  @ApiProperty({ example: 'CNY' })
  @IsString()
  @MaxLength(64)
  asset!: string;

  @ApiProperty({ enum: ACCOUNT_TYPES, description: 'Fixes the normal side: ASSET and EXPENSE are debit-normal, the others credit-normal' })
  @IsIn(ACCOUNT_TYPES)
  type!: AccountType;

  @ApiPropertyOptional({ example: 'party:V-0012', description: 'Reference to the owner (party, project, programme, platform)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  ownerRef?: string;

  @ApiPropertyOptional({ default: false, description: 'The normal-side balance may never go below zero' })
  @IsOptional()
  @IsBoolean()
  noOverdraft?: boolean;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsFreeFormObject()
  metadata?: Record<string, unknown>;
}

export class PostingDto {
  @ApiProperty({ example: 'party:V-0012:wallet:CNY' })
  @IsString()
  @MaxLength(200)
  account!: string;

  @ApiProperty({ enum: SIDES })
  @IsIn(SIDES)
  side!: Side;

  @ApiProperty({ example: '40845.00', description: "Positive decimal string with at most the asset's scale of decimals" })
  @IsDecimalString()
  amount!: string;
}

export class PostEntryDto {
  @ApiProperty({ example: 'TICKET_TRANSFER', pattern: KIND_PATTERN.source })
  @IsString()
  @Matches(KIND_PATTERN, { message: '$property must be UPPER_SNAKE_CASE, e.g. TICKET_TRANSFER' })
  kind!: string;

  @ApiProperty({ example: '2026-11-23', description: 'Business date the entry takes effect (balances as of a date use it)' })
  @IsCalendarDate()
  effectiveDate!: string;

  @ApiPropertyOptional({ example: 'bank receipt 2026112300012' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  memo?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true })
  @IsOptional()
  @IsFreeFormObject()
  metadata?: Record<string, unknown>;

  @ApiProperty({ type: [PostingDto], minItems: MIN_POSTINGS, maxItems: MAX_POSTINGS })
  @ValidateNested({ each: true })
  @Type(() => PostingDto)
  @ArrayMaxSize(MAX_POSTINGS, { message: `$property must have at most ${MAX_POSTINGS} postings` })
  @ArrayMinSize(MIN_POSTINGS, { message: `$property must have at least ${MIN_POSTINGS} postings` })
  @IsArray({ message: '$property must be an array of postings' }) // checked first: decorators register bottom-up
  postings!: PostingDto[];
}

export const MAX_HTTP_BATCH = 1000;

export class PostBatchDto {
  @ApiProperty({ type: [PostEntryDto], minItems: 1, maxItems: MAX_HTTP_BATCH, description: 'Entry i gets the idempotency key "<Idempotency-Key>#i"' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_HTTP_BATCH)
  @ValidateNested({ each: true })
  @Type(() => PostEntryDto)
  entries!: PostEntryDto[];
}

export class ReverseEntryDto {
  @ApiPropertyOptional({ example: '2026-11-23', description: 'Defaults to today' })
  @IsOptional()
  @IsCalendarDate()
  effectiveDate?: string;

  @ApiPropertyOptional({ example: 'wrong amount keyed in' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  memo?: string;
}

export class ListAccountsQuery {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) ownerRef?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(64) asset?: string;
  @ApiPropertyOptional({ example: 'party:' }) @IsOptional() @IsString() @MaxLength(200) codePrefix?: string;
  @ApiPropertyOptional({ default: 100, maximum: 500 }) @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @IsString() @MaxLength(500) after?: string;
}

export class ListEntriesQuery {
  @ApiPropertyOptional({ description: 'Only entries touching this account' }) @IsOptional() @IsString() @MaxLength(200) account?: string;
  @ApiPropertyOptional({ example: '2026-01-01' }) @IsOptional() @IsCalendarDate() from?: string;
  @ApiPropertyOptional({ example: '2026-12-31' }) @IsOptional() @IsCalendarDate() to?: string;
  @ApiPropertyOptional({ default: 50, maximum: 200 }) @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(200) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @IsString() @MaxLength(500) after?: string;
}

export class BalanceQuery {
  @ApiProperty({ example: '2026-06-30', description: 'Balance including every posting effective on or before this date' })
  @IsCalendarDate()
  asOf!: string;
}

export class StatementQuery {
  @ApiProperty({ example: '2026-01-01' }) @IsCalendarDate() from!: string;
  @ApiProperty({ example: '2026-12-31' }) @IsCalendarDate() to!: string;
  @ApiPropertyOptional({ default: 100, maximum: 500 }) @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' }) @IsOptional() @IsString() @MaxLength(500) cursor?: string;
}

export class TrialBalanceQuery {
  @ApiPropertyOptional({ example: '2026-06-30', description: 'Recompute from postings as of this effective date' }) @IsOptional() @IsCalendarDate() asOf?: string;
  @ApiPropertyOptional({ default: false }) @IsOptional() @Transform(toBool) @IsBoolean() byOwner?: boolean;
}

// ------------------------------------------------------------------ responses

export class AssetResponse {
  @ApiProperty({ example: 'CNY' }) code!: string;
  @ApiProperty({ example: 2 }) scale!: number;
  @ApiProperty({ example: 'Renminbi' }) description!: string;
}

export class BalanceResponse {
  @ApiProperty({ example: 'party:V-0012:wallet:CNY' }) account!: string;
  @ApiProperty({ example: 'CNY' }) asset!: string;
  @ApiProperty({ example: '150.00', description: 'Sum of debit postings' }) debits!: string;
  @ApiProperty({ example: '300.00', description: 'Sum of credit postings' }) credits!: string;
  @ApiProperty({ example: '150.00', description: 'Normal-side balance (negative only for accounts that may overdraw)' }) balance!: string;
}

export class AsOfBalanceResponse extends BalanceResponse {
  @ApiProperty({ example: '2026-06-30' }) asOf!: string;
}

export class AccountResponse extends BalanceResponse {
  @ApiProperty({ example: '42' }) id!: string;
  @ApiProperty({ example: 'party:V-0012:wallet:CNY' }) code!: string;
  @ApiProperty({ enum: ACCOUNT_TYPES }) type!: AccountType;
  @ApiProperty({ enum: SIDES }) normalSide!: Side;
  @ApiProperty({ nullable: true, type: String, example: 'party:V-0012' }) ownerRef!: string | null;
  @ApiProperty() noOverdraft!: boolean;
  @ApiProperty() frozen!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) closedAt!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class AccountPageResponse {
  @ApiProperty({ type: [AccountResponse] }) items!: AccountResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class PostingResponse {
  @ApiProperty({ example: 'party:V-0012:wallet:CNY' }) account!: string;
  @ApiProperty({ example: 'CNY' }) asset!: string;
  @ApiProperty({ enum: SIDES }) side!: Side;
  @ApiProperty({ example: '40845.00' }) amount!: string;
}

export class EntryResponse {
  @ApiProperty({ example: '1001' }) id!: string;
  @ApiProperty() idempotencyKey!: string;
  @ApiProperty({ example: 'TICKET_TRANSFER' }) kind!: string;
  @ApiProperty({ example: '2026-11-23' }) effectiveDate!: string;
  @ApiProperty({ format: 'date-time' }) bookedAt!: string;
  @ApiProperty({ nullable: true, type: String }) memo!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) reversesEntryId!: string | null;
  @ApiProperty({ nullable: true, type: String }) reversedByEntryId!: string | null;
  @ApiProperty({ description: 'SHA-256 over the entry and the previous link of each of its accounts' }) hash!: string;
  @ApiProperty({ type: [PostingResponse] }) postings!: PostingResponse[];
}

/** An entry as a reader sees it: a scoped reader (FARM_OPERATOR, BUYER, VILLAGER) gets only its own postings. */
export class SeenEntryResponse {
  @ApiProperty({ example: '1001' }) id!: string;
  @ApiProperty({ nullable: true, type: String, description: 'null when othersHidden' }) idempotencyKey!: string | null;
  @ApiProperty({ example: 'TICKET_TRANSFER' }) kind!: string;
  @ApiProperty({ example: '2026-11-23' }) effectiveDate!: string;
  @ApiProperty({ format: 'date-time' }) bookedAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'null when othersHidden' }) memo!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'empty when othersHidden' }) metadata!: Record<string, unknown>;
  @ApiProperty({ nullable: true, type: String }) reversesEntryId!: string | null;
  @ApiProperty({ nullable: true, type: String }) reversedByEntryId!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'SHA-256 over the entry and the previous link of each of its accounts; null when othersHidden' }) hash!: string | null;
  @ApiProperty({ type: [PostingResponse], description: "a scoped reader's own postings only" }) postings!: PostingResponse[];
  @ApiProperty({ description: "true when other parties' postings were left out (the postings shown then need not balance)" }) othersHidden!: boolean;
}

export class EntryPageResponse {
  @ApiProperty({ type: [SeenEntryResponse] }) items!: SeenEntryResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class PostEntryResponse {
  @ApiProperty({ type: EntryResponse }) entry!: EntryResponse;
  @ApiProperty({ type: [BalanceResponse], description: 'Balances of the touched accounts right after the entry' }) balances!: BalanceResponse[];
  @ApiProperty({ description: 'True when the ledger found this entry already posted under the same key' }) replayed!: boolean;
}

export class BatchResponse {
  @ApiProperty({ type: [EntryResponse] }) entries!: EntryResponse[];
  @ApiProperty({ type: [BalanceResponse] }) balances!: BalanceResponse[];
  @ApiProperty() replayed!: boolean;
}

export class StatementLineResponse {
  @ApiProperty() postingId!: string;
  @ApiProperty() entryId!: string;
  @ApiProperty() kind!: string;
  @ApiProperty({ nullable: true, type: String }) memo!: string | null;
  @ApiProperty({ example: '2026-03-01' }) effectiveDate!: string;
  @ApiProperty({ enum: SIDES }) side!: Side;
  @ApiProperty({ example: '20.00' }) amount!: string;
  @ApiProperty({ example: '120.00' }) runningBalance!: string;
}

export class StatementResponse {
  @ApiProperty() account!: string;
  @ApiProperty() asset!: string;
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ description: 'Balance before the first line of this page' }) openingBalance!: string;
  @ApiProperty({ description: 'Balance as of `to`' }) closingBalance!: string;
  @ApiProperty({ type: [StatementLineResponse] }) lines!: StatementLineResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class TrialBalanceAssetResponse {
  @ApiProperty() asset!: string;
  @ApiProperty() accounts!: number;
  @ApiProperty({ example: '1000.00' }) debitBalances!: string;
  @ApiProperty({ example: '1000.00' }) creditBalances!: string;
  @ApiProperty() balanced!: boolean;
}

export class TrialBalanceOwnerResponse {
  @ApiProperty({ nullable: true, type: String }) ownerRef!: string | null;
  @ApiProperty() asset!: string;
  @ApiProperty() debits!: string;
  @ApiProperty() credits!: string;
  @ApiProperty({ description: 'debits − credits' }) net!: string;
}

export class TrialBalanceResponse {
  @ApiProperty({ nullable: true, type: String }) asOf!: string | null;
  @ApiProperty({ type: [TrialBalanceAssetResponse] }) assets!: TrialBalanceAssetResponse[];
  @ApiPropertyOptional({ type: [TrialBalanceOwnerResponse] }) owners?: TrialBalanceOwnerResponse[];
}

export class ChainReportResponse {
  @ApiProperty() ok!: boolean;
  @ApiProperty() entriesChecked!: number;
  @ApiProperty() accountsChecked!: number;
  @ApiProperty({ nullable: true, type: String }) firstBrokenEntryId!: string | null;
  @ApiProperty({ nullable: true, type: String }) brokenAccount!: string | null;
  @ApiProperty({ nullable: true, type: String }) reason!: string | null;
}
