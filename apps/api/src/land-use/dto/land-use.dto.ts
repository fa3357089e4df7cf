import { ApiSchema, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  BILLING_FREQUENCIES,
  LAND_USE_CODE_PATTERN,
  LAND_USE_MODES,
  LAND_USE_SCHEDULE_STATES,
  LAND_USE_STATES,
  PART_BASES,
  PERMITTED_USES,
  PROJECT_CODE_PATTERN,
} from '@forest-ledger/forestry';
import type { BillingFrequency, DepositDisposition, LandUseMode, LandUseScheduleState, LandUseState, PartBasis, PermittedUse } from '@forest-ledger/forestry';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { IsCalendarDate, IsDecimalString } from '../../http/validators';

const PARTY_CODE = /^[A-Z0-9][A-Z0-9._-]{0,47}$/;
const PARCEL_ID = /^[1-9][0-9]{0,18}$/;
export const DEPOSIT_DISPOSITIONS: readonly DepositDisposition[] = ['RETURN', 'FORFEIT'];
const RENT_KINDS = ['PER_MU', 'FIXED'] as const;
const ESCALATION_KINDS = ['NONE', 'STEP', 'PERCENT'] as const;

// ------------------------------------------------------------------ requests

export class LandUseRentDto {
  @ApiProperty({ enum: RENT_KINDS }) @IsIn(RENT_KINDS) kind!: (typeof RENT_KINDS)[number];
  @ApiPropertyOptional({ example: '120.00', description: 'PER_MU: CNY per 亩 per year' }) @IsOptional() @IsDecimalString() ratePerMuYear?: string;
  @ApiPropertyOptional({ example: '12000.00', description: 'FIXED: CNY per year' }) @IsOptional() @IsDecimalString() annualAmount?: string;
}

export class LandUseEscalationDto {
  @ApiProperty({ enum: ESCALATION_KINDS }) @IsIn(ESCALATION_KINDS) kind!: (typeof ESCALATION_KINDS)[number];
  @ApiPropertyOptional({ example: 3, description: 'STEP and PERCENT: every N contract years' }) @IsOptional() @IsInt() @Min(1) @Max(20) everyYears?: number;
  @ApiPropertyOptional({ example: '500.00', description: 'STEP: added to the annual rent' }) @IsOptional() @IsDecimalString() step?: string;
  @ApiPropertyOptional({ example: '5', description: 'PERCENT: compounded, rounded to the 分 each time' }) @IsOptional() @IsDecimalString() percent?: string;
}

export class CreateLandUseContractDto {
  @ApiProperty({ example: 'GYLD-2025-001', pattern: LAND_USE_CODE_PATTERN.source })
  @IsString()
  @Matches(LAND_USE_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-"' })
  code!: string;
  @ApiProperty({ example: 'F-YCLC', description: 'The state forest farm; a FARM_OPERATOR may only name its own' }) @IsString() @Matches(PARTY_CODE) lessorCode!: string;
  @ApiProperty({ example: 'E-KANGYANG' }) @IsString() @Matches(PARTY_CODE) lesseeCode!: string;
  @ApiProperty({ enum: LAND_USE_MODES }) @IsIn(LAND_USE_MODES) mode!: LandUseMode;
  @ApiProperty({ type: [String], example: ['12'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(500)
  @IsString({ each: true })
  @Matches(PARCEL_ID, { each: true, message: '$property must list parcel ids' })
  parcelIds!: string[];
  @ApiProperty({ example: '100.0000' }) @IsDecimalString() areaMu!: string;
  @ApiProperty({ enum: PERMITTED_USES, isArray: true }) @IsArray() @ArrayMinSize(1) @IsIn(PERMITTED_USES, { each: true }) permittedUses!: PermittedUse[];
  @ApiPropertyOptional({ description: 'Required with OTHER' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(200) otherUse?: string;
  @ApiProperty({ example: '2025-01-01' }) @IsCalendarDate() startDate!: string;
  @ApiProperty({ example: '2034-12-31', description: 'Inclusive; a LEASE or CONCESSION of more than 20 years is refused (422, field endDate)' }) @IsCalendarDate() endDate!: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @Matches(LAND_USE_CODE_PATTERN) renewsContractCode?: string;
  @ApiPropertyOptional({ type: LandUseRentDto }) @IsOptional() @ValidateNested() @Type(() => LandUseRentDto) rent?: LandUseRentDto;
  @ApiPropertyOptional({ type: LandUseEscalationDto }) @IsOptional() @ValidateNested() @Type(() => LandUseEscalationDto) escalation?: LandUseEscalationDto;
  @ApiPropertyOptional({ enum: BILLING_FREQUENCIES }) @IsOptional() @IsIn(BILLING_FREQUENCIES) billingFrequency?: BillingFrequency;
  @ApiPropertyOptional({ example: '5000.00' }) @IsOptional() @IsDecimalString() deposit?: string;
  @ApiPropertyOptional({ example: '0.0005' }) @IsOptional() @IsDecimalString() lateFeeDailyRate?: string;
  @ApiPropertyOptional({ example: '1' }) @IsOptional() @IsDecimalString() lateFeeCapRatio?: string;
  @ApiPropertyOptional({
    example: '2000000.00',
    description: "EQUITY: the land's appraised value, CNY; booked as the farm's IN_KIND_LAND contribution to the project at activation",
  })
  @IsOptional()
  @IsDecimalString()
  appraisedValue?: string;
  @ApiPropertyOptional({ description: "EQUITY: the appraisal report (the contribution's valuation document)" })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  appraisalReference?: string;
  @ApiPropertyOptional({
    example: 'YC-DXG-2025',
    pattern: PROJECT_CODE_PATTERN.source,
    description:
      'EQUITY (required there; 400 for LEASE and CONCESSION): the DRAFT cooperation project the land goes into; its farm must be the lessor and its collective the lessee',
  })
  @IsOptional()
  @IsString()
  @Matches(PROJECT_CODE_PATTERN, { message: '$property must be a project code: 1-40 of capital letters, digits, ".", "_", "-"' })
  projectCode?: string;
}

export class LandUseContractQuery {
  @ApiPropertyOptional({ enum: LAND_USE_STATES }) @IsOptional() @IsIn(LAND_USE_STATES) state?: LandUseState;
  @ApiPropertyOptional({ enum: LAND_USE_MODES }) @IsOptional() @IsIn(LAND_USE_MODES) mode?: LandUseMode;
  @ApiPropertyOptional({ description: 'Lessor or lessee code' }) @IsOptional() @IsString() @Matches(PARTY_CODE) party?: string;
}

export class ReceiveDepositDto {
  @ApiProperty({ example: '2025-01-01' }) @IsCalendarDate() receivedOn!: string;
  @ApiProperty({ example: 'BANK-001' }) @IsString() @MinLength(1) @MaxLength(100) bankReference!: string;
}

export class LandUsePaymentDto {
  @ApiProperty({ example: '12000.00' }) @IsDecimalString() amount!: string;
  @ApiProperty({ example: '2025-02-01' }) @IsCalendarDate() receivedOn!: string;
  @ApiProperty({ example: 'BANK-002' }) @IsString() @MinLength(1) @MaxLength(100) bankReference!: string;
}

export class LandUseWaiverDto {
  @ApiProperty({ example: 1 }) @IsInt() @Min(1) periodSeq!: number;
  @ApiPropertyOptional({ example: '6.00', description: "Default: all of the period's outstanding late fee" }) @IsOptional() @IsDecimalString() amount?: string;
  @ApiProperty({ example: '不可抗力' }) @IsString() @MinLength(1) @MaxLength(500) reason!: string;
}

export class LandUseDailyRunDto {
  @ApiPropertyOptional({ example: '2025-03-01', description: 'Default: today (business date)' }) @IsOptional() @IsCalendarDate() asOf?: string;
}

export class LandUseTerminationDto {
  @ApiProperty({ example: '2026-06-30' }) @IsCalendarDate() terminatedOn!: string;
  @ApiProperty() @IsString() @MinLength(1) @MaxLength(500) reason!: string;
  @ApiProperty({ enum: DEPOSIT_DISPOSITIONS }) @IsIn(DEPOSIT_DISPOSITIONS) deposit!: DepositDisposition;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(500) forfeitReason?: string;
}

export class LandUseCancellationDto {
  @ApiProperty({ example: '承租方未取得经营许可，合同未生效' }) @IsString() @MinLength(1) @MaxLength(500) reason!: string;
}

export class LandUseEndOfTermDto {
  @ApiProperty({ example: '2034-12-31' }) @IsCalendarDate() endedOn!: string;
  @ApiProperty({ enum: DEPOSIT_DISPOSITIONS }) @IsIn(DEPOSIT_DISPOSITIONS) deposit!: DepositDisposition;
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(500) forfeitReason?: string;
}

export class LandUseReportQuery {
  @ApiPropertyOptional({ example: '2025-12-31', description: 'Default: today' }) @IsOptional() @IsCalendarDate() asOf?: string;
}

// ------------------------------------------------------------------ responses

// Another DTO of the API has this class name: one schema name each, or the document would merge them.
@ApiSchema({ name: 'LandUsePartyRefResponse' })
export class PartyRefResponse {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
}

export class LandUseParcelResponse {
  @ApiProperty() id!: string;
  @ApiProperty() certificateNo!: string;
  @ApiProperty({ example: '500.0000' }) areaMu!: string;
}

export class LandUseDepositResponse {
  @ApiProperty({ example: '5000.00' }) amount!: string;
  @ApiProperty() received!: boolean;
  @ApiProperty({ example: '5000.00' }) held!: string;
}

export class LandUseLateFeeResponse {
  @ApiProperty({ example: '0.0005' }) dailyRate!: string;
  @ApiProperty({ example: '1' }) capRatio!: string;
}

export class LandUseEquityDistributionResponse {
  @ApiProperty() declarationId!: string;
  @ApiProperty({ example: '2026-06-30' }) recordDate!: string;
  @ApiProperty({ example: '2026-07-15' }) paymentDate!: string;
  @ApiProperty({ example: '1500000', description: "The farm's units (all its contributions) at the record date" }) units!: string;
  @ApiProperty({ example: '12345.67' }) amount!: string;
  @ApiProperty({ description: "The distribution entry that credited the farm's wallet" }) entryId!: string;
}

export class LandUseEquitySeriesResponse {
  @ApiProperty({ example: 'YC-DXG-2025' }) code!: string;
  @ApiProperty({ example: '1.00' }) faceValue!: string;
  @ApiProperty({ example: '1500000', description: "appraisedValue / faceValue: the units this contract's land brought the farm" }) unitsFromContract!: string;
  @ApiProperty({ example: '1512300', description: 'Free plus pledged units the farm holds in the series now (all its contributions)' }) farmUnitsHeld!: string;
  @ApiProperty({ type: [LandUseEquityDistributionResponse], description: 'Dividends the series paid the farm, oldest first' }) distributions!: LandUseEquityDistributionResponse[];
  @ApiProperty({ example: '12345.67' }) distributedTotal!: string;
}

export class LandUseEquityResponse {
  @ApiProperty({ example: '1500000.00' }) appraisedValue!: string;
  @ApiProperty() appraisalReference!: string;
  @ApiProperty({ example: 'YC-DXG-2025', description: 'The cooperation project the land went into' }) project!: string;
  @ApiProperty({ nullable: true, type: String, description: "The farm's IN_KIND_LAND contribution, booked at activation" }) contributionId!: string | null;
  @ApiProperty({ nullable: true, type: String }) contributionEntryId!: string | null;
  @ApiProperty({ nullable: true, type: LandUseEquitySeriesResponse, description: "Once the project's 林票 series is issued" }) series!: LandUseEquitySeriesResponse | null;
}

export class LandUseContractResponse {
  @ApiProperty() code!: string;
  @ApiProperty({ enum: LAND_USE_MODES }) mode!: LandUseMode;
  @ApiProperty({ enum: LAND_USE_STATES }) state!: LandUseState;
  @ApiProperty({ type: PartyRefResponse }) lessor!: PartyRefResponse;
  @ApiProperty({ type: PartyRefResponse }) lessee!: PartyRefResponse;
  @ApiProperty() areaMu!: string;
  @ApiProperty({ type: [LandUseParcelResponse] }) parcels!: LandUseParcelResponse[];
  @ApiProperty({ enum: PERMITTED_USES, isArray: true }) permittedUses!: PermittedUse[];
  @ApiProperty({ nullable: true, type: String }) otherUse!: string | null;
  @ApiProperty() startDate!: string;
  @ApiProperty() endDate!: string;
  @ApiProperty({ nullable: true, type: String }) renewsContract!: string | null;
  @ApiProperty({ nullable: true, type: String }) renewedBy!: string | null;
  @ApiProperty({ nullable: true, type: LandUseRentDto }) rent!: LandUseRentDto | null;
  @ApiProperty({ type: LandUseEscalationDto }) escalation!: LandUseEscalationDto;
  @ApiProperty({ nullable: true, enum: BILLING_FREQUENCIES }) billingFrequency!: BillingFrequency | null;
  @ApiProperty({ type: LandUseDepositResponse }) deposit!: LandUseDepositResponse;
  @ApiProperty({ type: LandUseLateFeeResponse }) lateFee!: LandUseLateFeeResponse;
  @ApiProperty({ nullable: true, type: LandUseEquityResponse, description: 'EQUITY: the stake in the project, its units and the dividends paid on them' })
  equity!: LandUseEquityResponse | null;
  @ApiProperty() createdBy!: string;
  @ApiProperty({ description: 'Owed by the lessee now (rent and late fees)' }) receivable!: string;
  @ApiProperty() lesseeCredit!: string;
  @ApiProperty() income!: string;
  @ApiProperty({ nullable: true, type: String }) terminatedOn!: string | null;
  @ApiProperty({ nullable: true, type: String }) terminationReason!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'CANCELLED: why the draft was cancelled' }) cancellationReason!: string | null;
  @ApiProperty({
    nullable: true,
    type: Object,
    description: 'The closing settlement (deposit applied, returned, forfeited, remaining owed); for a cancelled draft, the deposit returned',
  })
  settlement!: Record<string, unknown> | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) activatedAt!: string | null;
  @ApiProperty({ nullable: true, type: String }) closedAt!: string | null;
}

export class LandUseSchedulePartResponse {
  @ApiProperty({ example: 2, description: '1-based: 第 1 合同年 is the first' }) contractYear!: number;
  @ApiProperty({ example: '2027-02-15' }) partStart!: string;
  @ApiProperty({ example: '2027-03-31' }) partEnd!: string;
  @ApiProperty({ example: 45 }) days!: number;
  @ApiProperty({ example: '12600.00', description: 'The annual rent of that contract year' }) annualRent!: string;
  @ApiProperty({ example: '1575.00' }) amount!: string;
  @ApiProperty({
    enum: PART_BASES,
    description:
      "FULL: the whole period's share of the annual rent (÷ periods per year, to the 分); PRORATED: that share × days / the calendar period's days; REMAINDER: the part closing a contract year takes the year's rent less its other parts",
  })
  basis!: PartBasis;
}

export class LandUseSchedulePeriodResponse {
  @ApiProperty() seq!: number;
  @ApiProperty() periodStart!: string;
  @ApiProperty() periodEnd!: string;
  @ApiProperty() dueDate!: string;
  @ApiProperty({
    example: 1,
    description: "The contract year (1-based: 第 1 合同年 is the first) of the period's first day; a period spanning an anniversary has a part per contract year",
  })
  contractYear!: number;
  @ApiProperty({ description: 'The annual rent of that contract year' }) annualRent!: string;
  @ApiProperty() days!: number;
  @ApiProperty() periodDays!: number;
  @ApiProperty({ description: 'The sum of the parts' }) amount!: string;
  @ApiProperty({ description: 'How the amount was computed' }) calculation!: string;
  @ApiProperty({ type: [LandUseSchedulePartResponse], description: "The period's days per contract year, each billed at that year's rent" }) parts!: LandUseSchedulePartResponse[];
  @ApiProperty({ enum: LAND_USE_SCHEDULE_STATES, description: "PLANNED: a draft's period (nothing is raised before activation)" }) state!: LandUseScheduleState;
  @ApiProperty() principalOutstanding!: string;
  @ApiProperty() lateFeeAccrued!: string;
  @ApiProperty() lateFeeOutstanding!: string;
  @ApiProperty({ nullable: true, type: String }) lateFeeAccruedThrough!: string | null;
}

/** The created draft with the periods it plans, to review before signing (none for EQUITY). */
export class LandUseCreatedResponse extends LandUseContractResponse {
  @ApiProperty({ type: [LandUseSchedulePeriodResponse], description: 'The planned periods (state PLANNED), as activation will store them' })
  schedule!: LandUseSchedulePeriodResponse[];
}

export class LandUseDailyRunResponse {
  @ApiProperty() asOf!: string;
  @ApiProperty() contracts!: number;
  @ApiProperty() raised!: number;
  @ApiProperty() lateFeeEntries!: number;
  @ApiProperty() lateFees!: string;
}

export class SettlementLineResponse {
  @ApiProperty() seq!: number;
  @ApiProperty({ enum: ['PRINCIPAL', 'LATE_FEE'] }) kind!: 'PRINCIPAL' | 'LATE_FEE';
  @ApiProperty() amount!: string;
}

export class LandUseSettlementResponse {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['PAYMENT', 'CREDIT', 'DEPOSIT'] }) source!: 'PAYMENT' | 'CREDIT' | 'DEPOSIT';
  @ApiProperty() amount!: string;
  @ApiProperty() toCredit!: string;
  @ApiProperty() effectiveDate!: string;
  @ApiProperty({ nullable: true, type: String }) bankReference!: string | null;
  @ApiProperty() entryId!: string;
  @ApiProperty({ type: [SettlementLineResponse] }) lines!: SettlementLineResponse[];
}

export class LandUsePaymentResponse {
  @ApiProperty() contract!: string;
  @ApiProperty({ type: LandUseSettlementResponse }) settlement!: LandUseSettlementResponse;
  @ApiProperty() receivable!: string;
  @ApiProperty() lesseeCredit!: string;
  @ApiProperty() replayed!: boolean;
}

export class LandUseWaiverResponse {
  @ApiProperty() contract!: string;
  @ApiProperty() periodSeq!: number;
  @ApiProperty() amount!: string;
  @ApiProperty() reason!: string;
  @ApiProperty() entryId!: string;
  @ApiProperty() lateFeeOutstanding!: string;
  @ApiProperty() replayed!: boolean;
}

export class AgingFiguresResponse {
  @ApiProperty({ example: '1200.00', description: 'CNY not yet due' }) current!: string;
  @ApiProperty({ example: '350.00', description: 'CNY overdue 1–30 days' }) days1To30!: string;
  @ApiProperty({ example: '0.00', description: 'CNY overdue 31–90 days' }) days31To90!: string;
  @ApiProperty({ example: '0.00', description: 'CNY overdue 91–365 days' }) days91To365!: string;
  @ApiProperty({ example: '0.00', description: 'CNY overdue over 365 days' }) over365!: string;
  @ApiProperty() total!: string;
}

export class AgingLineResponse extends AgingFiguresResponse {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
}

export class LandUseAgingResponse {
  @ApiProperty() asOf!: string;
  @ApiProperty({ type: [AgingLineResponse] }) lessees!: AgingLineResponse[];
  @ApiProperty({ type: [AgingLineResponse] }) farms!: AgingLineResponse[];
  @ApiProperty({ type: AgingFiguresResponse }) total!: AgingFiguresResponse;
}

// Another DTO of the API has this class name: one schema name each, or the document would merge them.
@ApiSchema({ name: 'LandUseRegisterLineResponse' })
export class RegisterLineResponse {
  @ApiProperty() code!: string;
  @ApiProperty({ enum: LAND_USE_MODES }) mode!: LandUseMode;
  @ApiProperty({ enum: LAND_USE_STATES }) state!: LandUseState;
  @ApiProperty() lessorCode!: string;
  @ApiProperty() lesseeCode!: string;
  @ApiProperty() lesseeName!: string;
  @ApiProperty({ example: '316.5000' }) areaMu!: string;
  @ApiProperty() startDate!: string;
  @ApiProperty() endDate!: string;
  @ApiProperty() scheduledRent!: string;
  @ApiProperty() depositHeld!: string;
  @ApiProperty() outstanding!: string;
  @ApiProperty({ nullable: true, type: String }) appraisedValue!: string | null;
}

export class RegisterTotalResponse {
  @ApiProperty({ enum: LAND_USE_MODES }) mode!: LandUseMode;
  @ApiProperty({ description: 'Contracts of the mode not CANCELLED: the sums below are over these' }) contracts!: number;
  @ApiProperty({ description: 'CANCELLED drafts of the mode: listed in the lines, left out of every total' }) cancelled!: number;
  @ApiProperty({ example: '316.5000' }) areaMu!: string;
  @ApiProperty() scheduledRent!: string;
  @ApiProperty() depositHeld!: string;
  @ApiProperty() outstanding!: string;
  @ApiProperty() appraisedValue!: string;
}

export class LandUseRegisterResponse {
  @ApiProperty({ type: [RegisterLineResponse] }) lines!: RegisterLineResponse[];
  @ApiProperty({ type: [RegisterTotalResponse] }) totals!: RegisterTotalResponse[];
}

export class LandUseCashYearResponse {
  @ApiProperty() year!: number;
  @ApiProperty() rentReceived!: string;
  @ApiProperty() depositsReceived!: string;
  @ApiProperty() depositsReturned!: string;
  @ApiProperty() creditRefunded!: string;
  @ApiProperty() net!: string;
}
