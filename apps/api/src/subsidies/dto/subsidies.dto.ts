// Over 500 lines because it holds every request and response shape of the subsidies API (programmes, rules, claims, contracts, reports) with their OpenAPI examples; split by resource if it grows.
import { ApiSchema, ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CLAIM_STATES,
  CONTRACT_CODE_PATTERN,
  CONTRACT_STATES,
  INSTALMENT_STATES,
  PARTY_CODE_PATTERN,
  PARTY_KINDS,
  PROGRAMME_CODE_PATTERN,
  RATE_BASES,
  RECIPIENT_ROLES,
  REGION_CODE_PATTERN,
  TRANSFER_MODES,
} from '@forest-ledger/forestry';
import type { ClaimState, ContractState, EligibilityCheck, InstalmentState, RateBasis, RecipientRole, TransferMode } from '@forest-ledger/forestry';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { IsCalendarDate, IsDecimalString } from '../../http/validators';

const PARTY_CODE_MESSAGE = '$property must be a party code: 1-48 of upper-case letters, digits, ".", "_", "-"';
const PARCEL_ID = /^[1-9][0-9]{0,18}$/;
export const MAX_CONTRACT_PARCELS = 500;
export const RECOVERY_SOURCES = ['WALLET', 'BANK'] as const;
export type RecoverySource = (typeof RECOVERY_SOURCES)[number];
const ELIGIBILITY_CHECKS: EligibilityCheck[] = ['RULE_IN_FORCE', 'CONTRACT_IN_FORCE', 'REGION', 'MIN_TERM', 'MIN_AREA', 'MODE', 'TRANSFEROR_KIND', 'TRANSFEREE_KIND'];

// ------------------------------------------------------------------ requests: contracts

export class CreateContractDto {
  @ApiProperty({ example: 'YC-LZ-2025-001', pattern: CONTRACT_CODE_PATTERN.source, description: 'The registered contract number (流转合同备案编号)' })
  @IsString()
  @Matches(CONTRACT_CODE_PATTERN, { message: '$property must be 1-80 of letters, digits, Chinese characters, ".", "_", "-", "(", ")"' })
  code!: string;

  @ApiProperty({ example: 'H-001', description: "The parcels' rights holder (流出方); not a GOVERNMENT_FUND or BANK" })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  transferorCode!: string;

  @ApiProperty({ example: 'E-OUTSIDE', description: 'The party taking the land (流入方); not a GOVERNMENT_FUND or BANK' })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  transfereeCode!: string;

  @ApiProperty({
    type: [String],
    example: ['12'],
    minItems: 1,
    maxItems: MAX_CONTRACT_PARCELS,
    description: 'Parcel ids held by the transferor, in one township, attachable (not mortgaged, seized or undelivered) and not transferred over these dates',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CONTRACT_PARCELS)
  @IsString({ each: true })
  @Matches(PARCEL_ID, { each: true, message: '$property must hold parcel ids (positive integers as strings)' })
  parcelIds!: string[];

  @ApiProperty({ example: '100.0000', description: "亩, up to 4 decimals, > 0, at most the parcels' total area" })
  @IsDecimalString()
  areaMu!: string;

  @ApiProperty({ enum: TRANSFER_MODES, description: 'LEASE 出租 / EQUITY 入股 / COOPERATION 合作 / SUBCONTRACT 转包' })
  @IsIn(TRANSFER_MODES)
  mode!: TransferMode;

  @ApiProperty({ example: '2025-01-01' }) @IsCalendarDate() startDate!: string;

  @ApiProperty({ example: '2029-12-31', description: "The last day in force; within the transferor's rights term on every parcel" }) @IsCalendarDate() endDate!: string;

  @ApiProperty({ example: '每亩每年租金 20 元, 每年 12 月 31 日前支付', description: 'Price and payment terms as agreed (free text)' })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  priceTerms!: string;

  @ApiPropertyOptional({ example: '2000.00', description: 'CNY per year, if the terms fix one (2 decimals)' }) @IsOptional() @IsDecimalString() annualAmount?: string;

  @ApiPropertyOptional({ example: 'SXNCCQ-2025-0042', description: 'Reference on the rural property-rights trading platform (农村产权交易平台)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  platformReference?: string;
}

export class ContractQuery {
  @ApiPropertyOptional({ enum: CONTRACT_STATES }) @IsOptional() @IsIn(CONTRACT_STATES) state?: ContractState;

  @ApiPropertyOptional({ example: '140522101', description: 'A township (or county) code: contracts whose parcels lie there' })
  @IsOptional()
  @IsString()
  @Matches(REGION_CODE_PATTERN, { message: '$property must be a region code of 6, 9 or 12 digits' })
  region?: string;

  @ApiPropertyOptional({ example: 'H-001', description: 'Contracts where this party is transferor or transferee' })
  @IsOptional()
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  party?: string;
}

export class ActivateContractDto {
  @ApiPropertyOptional({ example: '2025-01-01', description: 'Defaults to today (Asia/Shanghai); not before the start date' }) @IsOptional() @IsCalendarDate() asOf?: string;
}

export class ContractCertificateDto {
  @ApiProperty({ example: '晋(2025)阳城县林地经营权第0001号', description: 'The operating-rights certificate number (经营权证书); only for a transfer of 5 years or more' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  certificateNo!: string;

  @ApiProperty({ example: '2025-02-01' }) @IsCalendarDate() issuedOn!: string;
}

export class EndContractDto {
  @ApiPropertyOptional({ example: '2029-12-31', description: 'Defaults to today (Asia/Shanghai); on or after the end date (earlier: terminate it)' })
  @IsOptional()
  @IsCalendarDate()
  endedOn?: string;
}

export class TerminateContractDto {
  @ApiProperty({ example: '2026-12-31', description: 'The last day in force: from the start date to before the end date' }) @IsCalendarDate() terminatedOn!: string;

  @ApiProperty({ example: '流入方经营困难, 双方协商解除' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason!: string;
}

// ------------------------------------------------------------------ requests: programmes and rules

export class CreateProgrammeDto {
  @ApiProperty({ example: 'YC-LZJB-2025', pattern: PROGRAMME_CODE_PATTERN.source, description: 'Readable unique code, part of the account codes (programme:<code>:wallet:CNY)' })
  @IsString()
  @Matches(PROGRAMME_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-"' })
  code!: string;

  @ApiProperty({ example: '阳城县 2025 年林权流转奖补' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'G-FUND', description: 'The GOVERNMENT_FUND whose wallet funds the budget' })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  fundingPartyCode!: string;

  @ApiProperty({ type: [String], example: ['140522'], description: 'A county (all its townships) or townships; not villages' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @IsString({ each: true })
  @Matches(REGION_CODE_PATTERN, { each: true, message: '$property must hold region codes of 6 or 9 digits' })
  regionCodes!: string[];
}

export class TopUpDto {
  @ApiProperty({ example: '100000.00', description: "CNY, 2 decimals, > 0: moved from the funding party's wallet to the programme wallet" }) @IsDecimalString() amount!: string;
  @ApiPropertyOptional({ example: '2025-01-02', description: 'Defaults to today (Asia/Shanghai)' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
  @ApiPropertyOptional({ example: '县财政拨入 2025 年第一批奖补资金' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(500) memo?: string;
}

export class RecipientShareDto {
  @ApiProperty({ enum: RECIPIENT_ROLES }) @IsIn(RECIPIENT_ROLES) role!: RecipientRole;
  @ApiProperty({ example: '0.60', description: 'Share 0..1 (up to 6 decimals); the shares of a rule sum to 1' }) @IsDecimalString() share!: string;
}

export class InstalmentTermDto {
  @ApiProperty({ example: '0.50', description: 'Share 0..1 (up to 6 decimals); the instalments of a rule sum to 1' }) @IsDecimalString() share!: string;

  @ApiProperty({ example: 0, description: 'Due on approval (0) or once the contract has run this many whole years (never before approval)' })
  @IsInt()
  @Min(0)
  @Max(70)
  afterContractYears!: number;
}

export class RuleDto {
  @ApiProperty({ example: '2025-01-01', description: "In force from this date until the next version's; the version in force on a contract's start date applies to its claim" })
  @IsCalendarDate()
  effectiveFrom!: string;

  @ApiProperty({ enum: RATE_BASES, description: "PER_MU: rate × the contract's area; PER_CONTRACT: a fixed amount per contract" }) @IsIn(RATE_BASES) rateBasis!: RateBasis;

  @ApiProperty({ example: '30', description: 'CNY per 亩 (PER_MU, up to 6 decimals) or per contract (PER_CONTRACT, 2 decimals)' }) @IsDecimalString() rate!: string;

  @ApiPropertyOptional({ example: '50000.00', nullable: true, type: String, description: 'Most a contract gets (CNY)' }) @IsOptional() @IsDecimalString() capPerContract?:
    string | null;

  @ApiPropertyOptional({ example: '20000.00', nullable: true, type: String, description: 'Most one recipient gets under the programme per calendar year of approval (CNY)' })
  @IsOptional()
  @IsDecimalString()
  capPerRecipientPerYear?: string | null;

  @ApiProperty({ example: 5, description: 'Minimum whole years of the contract' })
  @IsInt()
  @Min(0)
  @Max(70)
  minTermYears!: number;

  @ApiProperty({ example: '50.0000', description: 'Minimum area, 亩 (4 decimals)' }) @IsDecimalString() minAreaMu!: string;

  @ApiPropertyOptional({ enum: TRANSFER_MODES, isArray: true, description: 'Modes allowed; empty or absent for all' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(TRANSFER_MODES.length)
  @IsIn(TRANSFER_MODES, { each: true })
  modes?: TransferMode[];

  @ApiPropertyOptional({ enum: PARTY_KINDS, isArray: true, description: 'Party kinds allowed as transferor; empty or absent for all' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(PARTY_KINDS.length)
  @IsIn(PARTY_KINDS, { each: true })
  transferorKinds?: string[];

  @ApiPropertyOptional({ enum: PARTY_KINDS, isArray: true, description: 'Party kinds allowed as transferee; empty or absent for all' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(PARTY_KINDS.length)
  @IsIn(PARTY_KINDS, { each: true })
  transfereeKinds?: string[];

  @ApiProperty({ type: [RecipientShareDto], description: 'Transferor, transferee or both, shares summing to 1' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(RECIPIENT_ROLES.length)
  @ValidateNested({ each: true })
  @Type(() => RecipientShareDto)
  recipients!: RecipientShareDto[];

  @ApiProperty({ type: [InstalmentTermDto], description: 'Shares summing to 1, e.g. half on approval and half after a year' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @ValidateNested({ each: true })
  @Type(() => InstalmentTermDto)
  instalments!: InstalmentTermDto[];

  @ApiProperty({ example: '1', description: 'Share 0..1 of what was paid that is clawed back, pro rata to the unexpired term, on early termination' })
  @IsDecimalString()
  clawbackRate!: string;
}

// ------------------------------------------------------------------ requests: claims

export class ApplyDto {
  @ApiProperty({ example: 'YC-LZJB-2025' })
  @IsString()
  @Matches(PROGRAMME_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-"' })
  programmeCode!: string;

  @ApiProperty({ example: 'YC-LZ-2025-001' })
  @IsString()
  @Matches(CONTRACT_CODE_PATTERN, { message: '$property must be a registered contract number' })
  contractCode!: string;

  @ApiPropertyOptional({ example: '2025-03-01', description: 'Defaults to today (Asia/Shanghai); its year counts for the annual caps shown' })
  @IsOptional()
  @IsCalendarDate()
  appliedOn?: string;
}

export class ClaimQuery {
  @ApiPropertyOptional({ enum: CLAIM_STATES }) @IsOptional() @IsIn(CLAIM_STATES) state?: ClaimState;
  @ApiPropertyOptional({ example: 100, default: 100, maximum: 200 }) @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(200) limit?: number;
}

export class ApproveDto {
  @ApiPropertyOptional({ example: '2025-03-10', description: 'Defaults to today (Asia/Shanghai); first instalments fall due from it' })
  @IsOptional()
  @IsCalendarDate()
  approvedOn?: string;
}

export class RejectDto {
  @ApiProperty({ example: '合同签字与备案材料不符, 请核实后重新申报', minLength: 1, maxLength: 500, description: 'Why the claim is rejected, shown to the applicant' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason!: string;

  @ApiPropertyOptional({ example: '2025-03-10', description: 'Defaults to today (Asia/Shanghai)' }) @IsOptional() @IsCalendarDate() rejectedOn?: string;
}

export class PayDueDto {
  @ApiPropertyOptional({ example: '2025-03-10', description: 'Pays every scheduled instalment due on or before it; defaults to today (Asia/Shanghai)' })
  @IsOptional()
  @IsCalendarDate()
  asOf?: string;
}

export class RecoveryDto {
  @ApiProperty({ example: 'H-001', description: 'The recipient paying back' })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  partyCode!: string;

  @ApiProperty({ example: '1080.40', description: 'CNY, 2 decimals, > 0, at most what the party still owes on the claim' }) @IsDecimalString() amount!: string;

  @ApiProperty({ enum: RECOVERY_SOURCES, description: "WALLET: set-off from the party's wallet (抵扣); BANK: paid through the bank (bankReference required)" })
  @IsIn(RECOVERY_SOURCES)
  source!: RecoverySource;

  @ApiPropertyOptional({ example: 'ICBC-20270120-0001' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(100) bankReference?: string;

  @ApiPropertyOptional({ example: '2027-01-20', description: 'Defaults to today (Asia/Shanghai)' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class SubsidyReportQuery {
  @ApiProperty({ example: '140522', description: 'A county (its townships) or one township' })
  @IsString()
  @Matches(REGION_CODE_PATTERN, { message: '$property must be a county or township code' })
  region!: string;

  @ApiPropertyOptional({ example: 'YC-LZJB-2025', description: "Only this programme's claims" })
  @IsOptional()
  @IsString()
  @Matches(PROGRAMME_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-"' })
  programme?: string;
}

// ------------------------------------------------------------------ responses

export class ContractPartyResponse {
  @ApiProperty({ example: 'H-001' }) code!: string;
  @ApiProperty({ example: '王家' }) name!: string;
  @ApiProperty({ enum: PARTY_KINDS }) kind!: string;
}

// Another DTO of the API has this class name: one schema name each, or the document would merge them.
@ApiSchema({ name: 'SubsidyRegionRefResponse' })
export class RegionRefResponse {
  @ApiProperty({ example: '140522101' }) code!: string;
  @ApiProperty({ example: '芹池镇' }) name!: string;
}

export class ContractParcelResponse {
  @ApiProperty({ example: '12' }) id!: string;
  @ApiProperty({ example: '晋(2019)阳城县不动产权第0000001号' }) certificateNo!: string;
  @ApiProperty({ example: '100.0000' }) areaMu!: string;
  @ApiProperty({ example: '2068-12-31' }) rightsEnd!: string;
}

export class OperatingCertificateResponse {
  @ApiProperty({ example: '晋(2025)阳城县林地经营权第0001号' }) number!: string;
  @ApiProperty({ example: '2025-02-01' }) issuedOn!: string;
}

export class ContractResponse {
  @ApiProperty({ example: '7' }) id!: string;
  @ApiProperty({ example: 'YC-LZ-2025-001' }) code!: string;
  @ApiProperty({ enum: CONTRACT_STATES, description: 'REGISTERED → ACTIVE → ENDED (on schedule) or TERMINATED (early)' }) state!: ContractState;
  @ApiProperty({ type: ContractPartyResponse }) transferor!: ContractPartyResponse;
  @ApiProperty({ type: ContractPartyResponse }) transferee!: ContractPartyResponse;
  @ApiProperty({ type: RegionRefResponse, description: 'The township of the parcels' }) township!: RegionRefResponse;
  @ApiProperty({ type: [ContractParcelResponse] }) parcels!: ContractParcelResponse[];
  @ApiProperty({ example: '100.0000' }) parcelsAreaMu!: string;
  @ApiProperty({ example: '100.0000' }) areaMu!: string;
  @ApiProperty({ enum: TRANSFER_MODES }) mode!: TransferMode;
  @ApiProperty({ example: '2025-01-01' }) startDate!: string;
  @ApiProperty({ example: '2029-12-31' }) endDate!: string;
  @ApiProperty({ example: 5, description: 'Whole years the contract runs' }) termYears!: number;
  @ApiProperty({ example: '每亩每年 30 元，每五年递增 5%', description: 'The price terms as the contract states them (text)' }) priceTerms!: string;
  @ApiProperty({ nullable: true, type: String, example: '2000.00' }) annualAmount!: string | null;
  @ApiProperty({ nullable: true, type: String }) platformReference!: string | null;
  @ApiProperty({ nullable: true, type: OperatingCertificateResponse }) certificate!: OperatingCertificateResponse | null;
  @ApiProperty({ nullable: true, type: String }) endedOn!: string | null;
  @ApiProperty({ nullable: true, type: String }) terminatedOn!: string | null;
  @ApiProperty({ nullable: true, type: String }) terminationReason!: string | null;
}

export class RuleResponse {
  @ApiProperty({ example: '3' }) id!: string;
  @ApiProperty({ example: 1 }) version!: number;
  @ApiProperty({ example: '2024-01-01' }) effectiveFrom!: string;
  @ApiProperty({ enum: RATE_BASES }) rateBasis!: RateBasis;
  @ApiProperty({ example: '30' }) rate!: string;
  @ApiProperty({ nullable: true, type: String, example: '50000.00' }) capPerContract!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '20000.00' }) capPerRecipientPerYear!: string | null;
  @ApiProperty({ example: 5 }) minTermYears!: number;
  @ApiProperty({ example: '50.0000' }) minAreaMu!: string;
  @ApiProperty({ enum: TRANSFER_MODES, isArray: true, description: 'Empty: every mode' }) modes!: readonly TransferMode[];
  @ApiProperty({ type: [String], description: 'Empty: every kind' }) transferorKinds!: readonly string[];
  @ApiProperty({ type: [String], description: 'Empty: every kind' }) transfereeKinds!: readonly string[];
  @ApiProperty({ type: [RecipientShareDto] }) recipients!: ReadonlyArray<{ role: RecipientRole; share: string }>;
  @ApiProperty({ type: [InstalmentTermDto] }) instalments!: ReadonlyArray<{ share: string; afterContractYears: number }>;
  @ApiProperty({ example: '1' }) clawbackRate!: string;
}

export class PartyRefResponse {
  @ApiProperty({ example: 'G-FUND' }) code!: string;
  @ApiProperty({ example: '阳城县林业发展专项资金' }) name!: string;
}

export class ProgrammeRegionResponse {
  @ApiProperty({ example: '140522' }) code!: string;
  @ApiProperty({ example: '阳城县' }) name!: string;
  @ApiProperty({ enum: ['COUNTY', 'TOWNSHIP'] }) level!: string;
}

export class ProgrammeAccountsResponse {
  @ApiProperty({ example: 'programme:YC-LZJB-2025:wallet:CNY' }) wallet!: string;
  @ApiProperty({ example: 'programme:YC-LZJB-2025:reserved:CNY' }) reserved!: string;
  @ApiProperty({ example: 'programme:YC-LZJB-2025:clawback-pending:CNY' }) clawbackPending!: string;
}

export class ProgrammeResponse {
  @ApiProperty({ example: 'YC-LZJB-2025' }) code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: PartyRefResponse }) fundingParty!: PartyRefResponse;
  @ApiProperty({ type: [ProgrammeRegionResponse] }) regions!: ProgrammeRegionResponse[];
  @ApiProperty({ type: [RuleResponse], description: 'Every rule version, oldest first' }) rules!: RuleResponse[];
  @ApiProperty({ type: ProgrammeAccountsResponse }) accounts!: ProgrammeAccountsResponse;
  @ApiProperty({ example: '100000.00', description: 'Every top-up so far' }) budget!: string;
  @ApiProperty({ example: '97000.00', description: 'Not yet committed: what approvals may still reserve' }) available!: string;
  @ApiProperty({ example: '1500.00', description: 'Approved, not yet paid' }) reserved!: string;
  @ApiProperty({ example: '1500.00' }) paid!: string;
  @ApiProperty({ example: '0.00', description: 'Clawbacks booked, not yet recovered' }) clawbackPending!: string;
}

export class TopUpResponse {
  @ApiProperty({ description: 'The ledger entry funding party wallet → programme wallet' }) entryId!: string;
  @ApiProperty({ example: '100000.00', description: 'The programme wallet right after' }) available!: string;
  @ApiProperty({ description: 'Whether the ledger entry existed already under this key' }) replayed!: boolean;
}

export class EligibilityReasonResponse {
  @ApiProperty({ enum: ELIGIBILITY_CHECKS }) check!: EligibilityCheck;
  @ApiProperty() met!: boolean;
  @ApiProperty({ example: '≥ 5 years' }) required!: string;
  @ApiProperty({ example: '5 years (2025-01-01 – 2029-12-31)' }) actual!: string;
}

export class RecipientAmountResponse {
  @ApiProperty({ enum: RECIPIENT_ROLES }) role!: RecipientRole;
  @ApiProperty({ example: 'H-001' }) party!: string;
  @ApiProperty({ example: '0.6' }) share!: string;
  @ApiProperty({ example: '1800.00', description: 'The share of the contract amount (largest remainder), before the annual cap' }) allocated!: string;
  @ApiProperty({ example: '0.00' }) approvedThisYear!: string;
  @ApiProperty({ example: '1800.00' }) amount!: string;
}

export class CalculationResponse {
  @ApiProperty({ enum: RATE_BASES }) rateBasis!: RateBasis;
  @ApiProperty({ example: '30' }) rate!: string;
  @ApiProperty({ example: '100.0000' }) areaMu!: string;
  @ApiProperty({ example: '3000.00', description: 'rate × area rounded half-up to the 分, or the fixed amount' }) gross!: string;
  @ApiProperty({ nullable: true, type: String, example: '50000.00' }) capPerContract!: string | null;
  @ApiProperty({ example: '3000.00' }) afterContractCap!: string;
  @ApiProperty({ nullable: true, type: String, example: '20000.00' }) capPerRecipientPerYear!: string | null;
  @ApiProperty({ type: [RecipientAmountResponse] }) recipients!: RecipientAmountResponse[];
  @ApiProperty({ example: '3000.00' }) total!: string;
  @ApiProperty({ type: [String], example: ['30 元/亩 × 100.0000 亩 = 3000.00 元 (四舍五入到分)'], description: 'The calculation in words, one line per step' }) steps!: string[];
}

export class ClaimRuleResponse {
  @ApiProperty({ example: '3' }) id!: string;
  @ApiProperty({ example: 1 }) version!: number;
  @ApiProperty({ example: '2024-01-01' }) effectiveFrom!: string;
}

export class ClaimRecipientResponse {
  @ApiProperty({ example: 'H-001' }) party!: string;
  @ApiProperty({ enum: RECIPIENT_ROLES }) role!: RecipientRole;
  @ApiProperty({ example: '1800.00' }) amount!: string;
  @ApiProperty({ example: '900.00' }) paid!: string;
  @ApiProperty({ nullable: true, type: String, example: '1080.40', description: 'What the party must return after an early termination' }) clawback!: string | null;
  @ApiProperty({ example: '0.00' }) recovered!: string;
  @ApiProperty({ example: '0.00' }) outstanding!: string;
}

export class SplitResponse {
  @ApiProperty({ example: 'H-001' }) party!: string;
  @ApiProperty({ example: '900.00' }) amount!: string;
}

export class InstalmentResponse {
  @ApiProperty({ example: '5' }) id!: string;
  @ApiProperty({ example: 1 }) seq!: number;
  @ApiProperty({ example: '2025-03-10' }) dueDate!: string;
  @ApiProperty({ example: '1500.00' }) amount!: string;
  @ApiProperty({ enum: INSTALMENT_STATES }) state!: InstalmentState;
  @ApiProperty({ type: [SplitResponse] }) splits!: SplitResponse[];
  @ApiProperty({ nullable: true, type: String, description: "The payment entry (programme reserved → recipients' wallets)" }) entryId!: string | null;
  @ApiProperty({ nullable: true, type: String }) paidOn!: string | null;
}

export class ClawbackLineResponse {
  @ApiProperty({ example: 'H-001' }) party!: string;
  @ApiProperty({ example: '1800.00' }) paid!: string;
  @ApiProperty({ example: '1080.40' }) amount!: string;
}

export class ClawbackCalculationResponse {
  @ApiProperty({ example: 1826 }) termDays!: number;
  @ApiProperty({ example: 1096 }) unexpiredDays!: number;
  @ApiProperty({ example: '1' }) rate!: string;
  @ApiProperty({ example: '1800.66' }) total!: string;
  @ApiProperty({ type: [ClawbackLineResponse] }) lines!: ClawbackLineResponse[];
}

export class ClawbackResponse {
  @ApiProperty({ example: '1800.66' }) amount!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The entry booking the receivables (and releasing unpaid reservations)' }) entryId!: string | null;
  @ApiProperty({ type: ClawbackCalculationResponse }) calculation!: ClawbackCalculationResponse;
}

export class ClaimResponse {
  @ApiProperty({ example: '11' }) id!: string;
  @ApiProperty({ example: 'YC-LZJB-2025' }) programme!: string;
  @ApiProperty({ example: 'YC-LZ-2025-001' }) contract!: string;
  @ApiProperty({
    enum: CLAIM_STATES,
    description:
      'APPLIED → APPROVED → COMPLETED; INELIGIBLE (kept to show the failed checks); REJECTED by an approver (from APPLIED); CLAWBACK_DUE → RECOVERED or CANCELLED on early termination',
  })
  state!: ClaimState;
  @ApiProperty({ nullable: true, type: ClaimRuleResponse, description: "The rule version in force on the contract's start date" }) rule!: ClaimRuleResponse | null;
  @ApiProperty() eligible!: boolean;
  @ApiProperty({ type: [EligibilityReasonResponse], description: 'Every check with its outcome' }) eligibility!: EligibilityReasonResponse[];
  @ApiProperty({ nullable: true, type: CalculationResponse }) calculation!: CalculationResponse | null;
  @ApiProperty({ example: '3000.00' }) amount!: string;
  @ApiProperty({ description: 'User id of the applicant' }) appliedBy!: string;
  @ApiProperty({ nullable: true, type: String, description: 'User id of the approver (never the applicant)' }) approvedBy!: string | null;
  @ApiProperty({ nullable: true, type: String }) approvedOn!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'User id of the approver who rejected the claim (never the applicant)' }) rejectedBy!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null }) rejectedOn!: string | null;
  @ApiProperty({ nullable: true, type: String, example: null, description: 'Why it was rejected' }) rejectionReason!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The entry reserving the amount (programme wallet → reserved)' }) reserveEntryId!: string | null;
  @ApiProperty({ type: [ClaimRecipientResponse] }) recipients!: ClaimRecipientResponse[];
  @ApiProperty({ type: [InstalmentResponse] }) instalments!: InstalmentResponse[];
  @ApiProperty({ nullable: true, type: ClawbackResponse }) clawback!: ClawbackResponse | null;
}

export class TerminationResponse {
  @ApiProperty({ example: 'YC-LZ-2025-001' }) contract!: string;
  @ApiProperty({ example: '2026-12-31' }) terminatedOn!: string;
  @ApiProperty({ type: [ClaimResponse], description: "The contract's claims after the clawback" }) claims!: ClaimResponse[];
}

export class PaidInstalmentResponse {
  @ApiProperty() claimId!: string;
  @ApiProperty() seq!: number;
  @ApiProperty() entryId!: string;
}

export class RefusedInstalmentResponse {
  @ApiProperty() claimId!: string;
  @ApiProperty() seq!: number;
  @ApiProperty({ example: 'BUDGET_EXCEEDED' }) code!: string;
  @ApiProperty() message!: string;
}

export class DuePaymentsResponse {
  @ApiProperty({ example: '2025-03-10' }) asOf!: string;
  @ApiProperty({ type: [PaidInstalmentResponse], description: 'Instalments paid by this run (each its own entry and transaction)' }) paid!: PaidInstalmentResponse[];
  @ApiProperty({ type: [RefusedInstalmentResponse], description: 'Instalments that could not be paid, with the reason' }) refused!: RefusedInstalmentResponse[];
}

export class SubsidyFiguresResponse {
  @ApiProperty({ example: 4 }) contracts!: number;
  @ApiProperty({ example: '286.7777' }) transferredAreaMu!: string;
  @ApiProperty({ example: 2 }) approvedClaims!: number;
  @ApiProperty({ example: '5333.33' }) approved!: string;
  @ApiProperty({ example: '4166.67' }) paid!: string;
  @ApiProperty({ example: '1800.66' }) clawedBack!: string;
  @ApiProperty({ example: '1080.40' }) recovered!: string;
  @ApiProperty({ example: '720.26' }) unrecovered!: string;
}

// Another DTO of the API has this class name: one schema name each, or the document would merge them.
@ApiSchema({ name: 'SubsidyTownshipFiguresResponse' })
export class TownshipFiguresResponse extends SubsidyFiguresResponse {
  @ApiProperty({ example: '140522101' }) code!: string;
  @ApiProperty({ example: '芹池镇' }) name!: string;
  @ApiProperty({ description: "At least one approved claim (the seed's pilot target)" }) hasPilot!: boolean;
}

export class ProgrammeFiguresResponse extends SubsidyFiguresResponse {
  @ApiProperty({ example: 'YC-LZJB-2025' }) code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ example: '20000.00' }) budget!: string;
  @ApiProperty({ example: '1166.66' }) reserved!: string;
  @ApiProperty({ example: '15747.07' }) remainingBudget!: string;
}

export class ReportRegionResponse {
  @ApiProperty({ example: '140522' }) code!: string;
  @ApiProperty({ example: '阳城县' }) name!: string;
  @ApiProperty({ enum: ['COUNTY', 'TOWNSHIP'] }) level!: string;
}

export class SubsidyReportResponse {
  @ApiProperty({ type: ReportRegionResponse }) region!: ReportRegionResponse;
  @ApiProperty({ nullable: true, type: String }) programme!: string | null;
  @ApiProperty({ type: [TownshipFiguresResponse] }) townships!: TownshipFiguresResponse[];
  @ApiProperty({ type: [ProgrammeFiguresResponse] }) programmes!: ProgrammeFiguresResponse[];
  @ApiProperty({ type: SubsidyFiguresResponse }) total!: SubsidyFiguresResponse;
  @ApiProperty({ type: [String], example: ['140522102'] }) townshipsWithoutPilot!: string[];
}
