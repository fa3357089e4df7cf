import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CARBON_EXTERNAL_ID_MAX,
  CARBON_PROJECT_CODE_PATTERN,
  CARBON_TEXT_MAX,
  CARBON_PROJECT_STATES,
  CARBON_STANDARDS,
  LISTING_STATES,
  MAX_REVENUE_SHARES,
  PARTY_CODE_PATTERN,
  RETIREMENT_PURPOSES,
  REVENUE_RATIO_PATTERN,
  REVENUE_SHARE_KINDS,
  SERIAL_STATUSES,
  WHOLE_TONNES_PATTERN,
} from '@forest-ledger/forestry';
import type { CarbonProjectState, CarbonStandard, ListingState, RetirementPurpose, SerialStatus } from '@forest-ledger/forestry';
import { Type } from 'class-transformer';
import { IsDefined, ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { IsCalendarDate, IsDecimalString } from '../../http/validators';

const PARTY_CODE_MESSAGE = '$property must be a party code: 1-48 of upper-case letters, digits, ".", "_", "-"';
const PARCEL_ID = /^[1-9][0-9]{0,18}$/;
const ROW_ID = /^[1-9][0-9]{0,17}$/;
/** Credits are whole tonnes: a positive integer as a string, as the service expects (at most 15 digits). */
export const WHOLE_TONNES = WHOLE_TONNES_PATTERN;
const WHOLE_TONNES_MESSAGE = '$property must be a whole number of tonnes as a string, e.g. "2723"';
/** A share's ratio as the rule stores it: 0 < ratio ≤ 1, up to 6 decimals. */
const RATIO = REVENUE_RATIO_PATTERN;
export const MAX_CARBON_PARCELS = 1000;

function PartyCode() {
  return Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE });
}

function WholeTonnes() {
  return Matches(WHOLE_TONNES, { message: WHOLE_TONNES_MESSAGE });
}

type RevenueShareKind = (typeof REVENUE_SHARE_KINDS)[number];

// ------------------------------------------------------------------ requests

export class RevenueShareDto {
  @ApiProperty({
    enum: REVENUE_SHARE_KINDS,
    description:
      "PARTY: to one party; PER_PERSON / PER_HOUSEHOLD: equally among the active villagers / households of `collective`; TICKET_UNITS: pro rata to the linked 林票 series' units at the sale date",
  })
  @IsIn(REVENUE_SHARE_KINDS)
  kind!: RevenueShareKind;

  @ApiProperty({ example: '0.30', pattern: RATIO.source, description: 'Above 0 and at most 1, up to 6 decimals; the ratios of a rule add up to exactly 1' })
  @IsString({ message: '$property must be a decimal string such as "0.30"' })
  @Matches(RATIO, { message: '$property must be a decimal above 0 and at most 1 with up to 6 places, e.g. "0.30"' })
  ratio!: string;

  @ApiPropertyOptional({ example: 'F-YCLC', description: 'PARTY only: who receives the share' })
  @IsOptional()
  @IsString()
  @PartyCode()
  party?: string;

  @ApiPropertyOptional({ example: 'C-DXG', description: 'PER_PERSON / PER_HOUSEHOLD only: the collective whose members share it' })
  @IsOptional()
  @IsString()
  @PartyCode()
  collective?: string;
}

/** A revenue-sharing rule (收益分配规则): also the body of a new rule version. */
export class RevenueRuleDto {
  @ApiProperty({ type: [RevenueShareDto], minItems: 1, maxItems: MAX_REVENUE_SHARES })
  @ValidateNested({ each: true })
  @Type(() => RevenueShareDto)
  @ArrayMaxSize(MAX_REVENUE_SHARES)
  @ArrayMinSize(1)
  @IsArray() // checked first: decorators register bottom-up
  shares!: RevenueShareDto[];
}

export class CreateCarbonProjectDto {
  @ApiProperty({
    example: 'JL-CK',
    pattern: CARBON_PROJECT_CODE_PATTERN.source,
    description: 'Readable unique code, part of the serials and account codes (carbon-project:<code>:issued)',
  })
  @IsString()
  @Matches(CARBON_PROJECT_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-", starting with a letter or digit' })
  code!: string;

  @ApiProperty({ example: '将乐县常口村林业碳汇项目' }) @IsString() @MinLength(1) @MaxLength(CARBON_TEXT_MAX) name!: string;

  @ApiProperty({ example: 'F-YCLC', description: 'The owner (a state farm or a collective): issuances go to its credits account. A FARM_OPERATOR may only name its own party' })
  @IsString()
  @PartyCode()
  ownerCode!: string;

  @ApiPropertyOptional({ example: 'YC-DXG-2025', description: 'The cooperation project whose 林票 units may share the revenue (TICKET_UNITS)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(40)
  coopProjectCode?: string;

  @ApiProperty({ enum: CARBON_STANDARDS }) @IsIn(CARBON_STANDARDS) standard!: CarbonStandard;

  @ApiPropertyOptional({ example: 'FJ-FFCER-2021-001', description: "The id in the standard's registry" })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(CARBON_EXTERNAL_ID_MAX)
  externalId?: string;

  @ApiProperty({ example: 'FFCER-CM-001 森林经营碳汇项目方法学' }) @IsString() @MinLength(1) @MaxLength(CARBON_TEXT_MAX) methodology!: string;

  @ApiProperty({ example: '2016-01-01', description: 'First day of the crediting period' }) @IsCalendarDate() creditingStart!: string;
  @ApiProperty({ example: '2035-12-31', description: 'Last day of the crediting period, after its start' }) @IsCalendarDate() creditingEnd!: string;

  @ApiProperty({ example: '0.10', description: 'Share of each issuance withheld into the buffer (缓冲库), 0 ≤ ratio < 1; the buffer tonnes are rounded down' })
  @IsDecimalString()
  bufferRatio!: string;

  @ApiProperty({
    type: [String],
    example: ['12', '13'],
    minItems: 1,
    maxItems: MAX_CARBON_PARCELS,
    description: 'Parcel ids; attachable and claimed by no other carbon project over an overlapping period',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_CARBON_PARCELS)
  @IsString({ each: true })
  @Matches(PARCEL_ID, { each: true, message: '$property must hold parcel ids (positive integers as strings)' })
  parcelIds!: string[];

  @ApiProperty({ type: RevenueRuleDto, description: 'Version 1 of the revenue-sharing rule' })
  @ValidateNested()
  @Type(() => RevenueRuleDto)
  revenueRule!: RevenueRuleDto;
}

export class CarbonProjectQuery {
  @ApiPropertyOptional({ enum: CARBON_PROJECT_STATES }) @IsOptional() @IsIn(CARBON_PROJECT_STATES) state?: CarbonProjectState;
}

export class IssueCreditsDto {
  @ApiProperty({ example: '2016-01-01', description: 'Monitoring period (vintage) start, inside the crediting period, overlapping no earlier issuance' })
  @IsCalendarDate()
  vintageStart!: string;
  @ApiProperty({ example: '2020-12-31', description: 'Monitoring period end; its year names the vintage' }) @IsCalendarDate() vintageEnd!: string;

  @ApiProperty({ example: '12723', pattern: WHOLE_TONNES.source, description: 'Verified whole tonnes (tCO2e)' })
  @IsString({ message: WHOLE_TONNES_MESSAGE })
  @WholeTonnes()
  quantity!: string;

  @ApiProperty({ example: '核查报告 FJ-HC-2021-017', description: 'The verification (核查) reference' })
  @IsString()
  @MinLength(1)
  @MaxLength(CARBON_TEXT_MAX)
  verificationReference!: string;

  @ApiPropertyOptional({ example: '2021-05-01', description: 'Not before the vintage ends, not after today; defaults to today (Asia/Shanghai)' })
  @IsOptional()
  @IsCalendarDate()
  issuedOn?: string;
}

export class ListingDto {
  @ApiProperty({ example: 'F-YCLC', description: 'Whose credits are offered; a FARM_OPERATOR may only name its own party' })
  @IsString()
  @PartyCode()
  seller!: string;

  @ApiProperty({ example: '15.00', description: 'CNY per tonne, 2 decimals, > 0' }) @IsDecimalString() unitPrice!: string;

  @ApiProperty({ example: '2723', pattern: WHOLE_TONNES.source, description: "Whole tonnes reserved for the listing from the seller's held credits, oldest vintage first" })
  @IsString({ message: WHOLE_TONNES_MESSAGE })
  @WholeTonnes()
  quantity!: string;

  @ApiPropertyOptional({ example: '3', description: "Only this issuance's (vintage's) credits" })
  @IsOptional()
  @IsString()
  @Matches(ROW_ID, { message: '$property must be an issuance id (a positive integer as a string)' })
  issuanceId?: string;
}

export class ListingQuery {
  @ApiPropertyOptional({ example: 'JL-CK', description: "Only this carbon project's listings" }) @IsOptional() @IsString() @MaxLength(40) project?: string;
  @ApiPropertyOptional({ enum: LISTING_STATES, description: 'Only listings in this state' }) @IsOptional() @IsIn(LISTING_STATES) state?: ListingState;
}

export class OrderDto {
  @ApiProperty({ example: 'E-CO', description: 'Who buys and pays: a BUYER user may only name its own party' })
  @IsString()
  @PartyCode()
  buyer!: string;

  @ApiProperty({ example: '2723', pattern: WHOLE_TONNES.source, description: "Whole tonnes, at most the listing's available quantity" })
  @IsString({ message: WHOLE_TONNES_MESSAGE })
  @WholeTonnes()
  quantity!: string;

  @ApiPropertyOptional({ example: '2026-11-23', description: 'Not after today; defaults to today (Asia/Shanghai). Also the date of the 林票 register for TICKET_UNITS shares' })
  @IsOptional()
  @IsCalendarDate()
  effectiveDate?: string;
}

export class RetireDto {
  @ApiProperty({ example: 'E-CONF', description: 'Who retires its held credits: a BUYER user may only name its own party' })
  @IsString()
  @PartyCode()
  holder!: string;

  @ApiProperty({ example: '3', description: 'The issuance (vintage) retired from: one vintage per retirement, never mixed' })
  @IsString()
  @Matches(ROW_ID, { message: '$property must be an issuance id (a positive integer as a string)' })
  issuanceId!: string;

  @ApiProperty({ example: '300', pattern: WHOLE_TONNES.source })
  @IsString({ message: WHOLE_TONNES_MESSAGE })
  @WholeTonnes()
  quantity!: string;

  @ApiProperty({ example: '2026 年林业碳汇国际研讨会组委会', description: 'On whose behalf the tonnes are retired (may differ from the holder)' })
  @IsString()
  @MinLength(1)
  @MaxLength(CARBON_TEXT_MAX)
  beneficiaryName!: string;
  @ApiProperty({ description: "May the beneficiary's name be published (certificate PDF, public verification, registry)?" }) @IsBoolean() publishBeneficiary!: boolean;
  @ApiProperty({ enum: RETIREMENT_PURPOSES }) @IsIn(RETIREMENT_PURPOSES) purpose!: RetirementPurpose;
  @ApiPropertyOptional({ example: '2026 年林业碳汇国际研讨会' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(CARBON_TEXT_MAX) eventName?: string;

  @ApiPropertyOptional({ example: '200', description: 'tCO2e the event emitted, up to 3 decimals' })
  @IsOptional()
  @IsDecimalString()
  eventEmissions?: string;

  @ApiPropertyOptional({ example: '2026-11-23', description: 'Not after today; defaults to today (Asia/Shanghai)' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class VerifyCarbonCertificateQuery {
  @ApiProperty({
    example: '7K2M-9QXH-4TNB-R8WD',
    description: 'The verification code printed on the certificate (dashes, spaces and lower case accepted); the printed link and its QR code carry it',
  })
  @IsString()
  @MinLength(1, { message: 'code is required' })
  @MaxLength(64)
  // Checked first: a link opened without its code is told so, not that the code is too long.
  @IsDefined({ message: 'code is required' })
  code!: string;
}

// ------------------------------------------------------------------ responses

export class SerialRangeResponse {
  @ApiProperty({ example: '1', description: 'First serial, inclusive' }) start!: string;
  @ApiProperty({ example: '2723', description: 'Last serial, inclusive' }) end!: string;
}

export class RevenueShareResponse {
  @ApiProperty({ enum: REVENUE_SHARE_KINDS }) kind!: RevenueShareKind;
  @ApiProperty({ example: '0.3' }) ratio!: string;
  @ApiPropertyOptional({ example: 'F-YCLC' }) party?: string;
  @ApiPropertyOptional({ example: 'C-DXG' }) collective?: string;
}

export class RevenueRuleResponse {
  @ApiProperty({ type: [RevenueShareResponse] }) shares!: RevenueShareResponse[];
}

export class RevenueRuleVersionResponse {
  @ApiProperty({ example: 2, description: 'Versions count from 1; a sale records the version it was shared by' }) version!: number;
  @ApiProperty({ type: RevenueRuleResponse }) rule!: RevenueRuleResponse;
}

export class CarbonProjectResponse {
  @ApiProperty({ example: 'JL-CK' }) code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: CARBON_PROJECT_STATES }) state!: CarbonProjectState;
  @ApiProperty({ example: 'F-YCLC', description: 'The owner party' }) owner!: string;
  @ApiProperty({ nullable: true, type: String, example: 'YC-DXG-2025' }) coopProject!: string | null;
  @ApiProperty({ enum: CARBON_STANDARDS }) standard!: CarbonStandard;
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty() methodology!: string;
  @ApiProperty({ example: '2016-01-01' }) creditingStart!: string;
  @ApiProperty({ example: '2035-12-31' }) creditingEnd!: string;
  @ApiProperty({ example: '0.1' }) bufferRatio!: string;
  @ApiProperty({ type: [String] }) parcelIds!: string[];
  @ApiProperty({ example: '12723', description: 'The last serial issued; the next issuance continues after it' }) lastSerial!: string;
  @ApiProperty({ type: RevenueRuleVersionResponse, description: 'The current revenue rule' }) revenueRule!: RevenueRuleVersionResponse;
}

export class CarbonIssuanceResponse {
  @ApiProperty({ example: '3' }) id!: string;
  @ApiProperty({ example: 'JL-CK' }) project!: string;
  @ApiProperty({ example: '2020', description: 'The year the monitoring period ends' }) vintage!: string;
  @ApiProperty({ example: '2016-01-01' }) vintageStart!: string;
  @ApiProperty({ example: '2020-12-31' }) vintageEnd!: string;
  @ApiProperty({ example: '12723', description: 'Whole tonnes issued, buffer included' }) quantity!: string;
  @ApiProperty({ example: '1272', description: 'Withheld into the buffer (rounded down)' }) bufferQuantity!: string;
  @ApiProperty({ example: 'FFCER-JL-CK-2020-1-12723', description: '<standard>-<project>-<vintage>-<start>-<end> of the whole issuance' }) serialBlock!: string;
  @ApiProperty({ type: SerialRangeResponse }) serials!: SerialRangeResponse;
  @ApiProperty() verificationReference!: string;
  @ApiProperty({ example: '2021-05-01' }) issuedOn!: string;
  @ApiProperty({ description: "The one TCO2E ledger entry: issued → owner's credits and buffer" }) entryId!: string;
}

export class SerialBlockResponse {
  @ApiProperty({ example: '7' }) id!: string;
  @ApiProperty({ example: '3' }) issuanceId!: string;
  @ApiProperty({ example: '2020' }) vintage!: string;
  @ApiProperty({ example: 'FFCER-JL-CK-2020-1-2723' }) serialBlock!: string;
  @ApiProperty({ type: SerialRangeResponse }) serials!: SerialRangeResponse;
  @ApiProperty({ example: '2723' }) quantity!: string;
  @ApiProperty({ enum: SERIAL_STATUSES }) status!: SerialStatus;
  @ApiProperty({ nullable: true, type: String, example: 'E-CO', description: 'The holder; null for the buffer' }) owner!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'RESERVED: the listing' }) listingId!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'TH-0000001', description: 'RETIRED: the certificate' }) certificateNo!: string | null;
}

export class VintageBalanceResponse {
  @ApiProperty() issuanceId!: string;
  @ApiProperty({ example: '2020' }) vintage!: string;
  @ApiProperty({ example: '12723' }) issued!: string;
  @ApiProperty({ example: '9000' }) held!: string;
  @ApiProperty({ example: '1000' }) reserved!: string;
  @ApiProperty({ example: '300' }) retired!: string;
  @ApiProperty({ example: '1272' }) buffer!: string;
  @ApiProperty({ example: '0' }) cancelled!: string;
  @ApiProperty({ description: 'issued = held + reserved + retired + buffer + cancelled' }) ok!: boolean;
}

export class CarbonInvariantResponse {
  @ApiProperty({ example: 'JL-CK' }) project!: string;
  @ApiProperty({ description: 'Every vintage balances and the serial blocks agree with the ledger' }) ok!: boolean;
  @ApiProperty({ type: [VintageBalanceResponse] }) vintages!: VintageBalanceResponse[];
  @ApiProperty({ type: [String], description: 'Disagreements between the serial blocks and the ledger accounts; empty when sound' }) ledgerMismatches!: string[];
}

export class ListingResponse {
  @ApiProperty({ example: '5' }) id!: string;
  @ApiProperty({ example: 'JL-CK' }) project!: string;
  @ApiProperty({ example: 'F-YCLC' }) seller!: string;
  @ApiProperty({ nullable: true, type: String, description: "Only this issuance's credits, else the seller's oldest" }) issuanceId!: string | null;
  @ApiProperty({ example: '15.00', description: 'CNY per tonne' }) unitPrice!: string;
  @ApiProperty({ example: '2723' }) quantityListed!: string;
  @ApiProperty({ example: '723' }) quantityAvailable!: string;
  @ApiProperty({ enum: LISTING_STATES }) state!: string;
}

export class RevenueShareLineResponse {
  @ApiProperty({ example: 0, description: "Index of the rule's share this line belongs to" }) share!: number;
  @ApiProperty({ example: 'V-0001' }) party!: string;
  @ApiProperty({ example: '3403.75', description: "CNY credited to the party's wallet in the sale's entry" }) amount!: string;
}

export class SaleResponse {
  @ApiProperty({ example: '9' }) id!: string;
  @ApiProperty({ example: '5' }) listingId!: string;
  @ApiProperty({ example: 'JL-CK' }) project!: string;
  @ApiProperty({ example: 'E-CO' }) buyer!: string;
  @ApiProperty({ example: 'F-YCLC' }) seller!: string;
  @ApiProperty({ example: '2723' }) quantity!: string;
  @ApiProperty({ example: '15.00' }) unitPrice!: string;
  @ApiProperty({ example: '40845.00', description: 'quantity × unitPrice, rounded to the 分 once' }) grossAmount!: string;
  @ApiProperty({ nullable: true, type: Number, example: 1, description: 'The revenue rule version used; null for a resale (the seller is paid the whole price)' }) ruleVersion!:
    number | null;
  @ApiProperty({ type: [String], example: ['FFCER-JL-CK-2020-1-2723'], description: 'Delivered blocks, oldest vintage first' }) serialBlocks!: string[];
  @ApiProperty({ type: [SerialRangeResponse] }) serialRanges!: SerialRangeResponse[];
  @ApiProperty({ type: [RevenueShareLineResponse], description: 'The revenue shares; they add up to grossAmount exactly' }) shares!: RevenueShareLineResponse[];
  @ApiProperty({ example: '2026-11-23' }) effectiveDate!: string;
  @ApiProperty({ type: [String], description: "The sale's ledger entry (more only when the shares need over ~990 postings, posted in one atomic batch)" }) entryIds!: string[];
}

export class RetirementResponse {
  @ApiProperty({ example: '2' }) id!: string;
  @ApiProperty({ example: 'TH-0000001', description: 'Gapless certificate number' }) certificateNo!: string;
  @ApiProperty({ example: 'JL-CK' }) project!: string;
  @ApiProperty() projectName!: string;
  @ApiProperty({ enum: CARBON_STANDARDS }) standard!: CarbonStandard;
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty({ example: '2020' }) vintage!: string;
  @ApiProperty({ example: '2016-01-01' }) vintageStart!: string;
  @ApiProperty({ example: '2020-12-31' }) vintageEnd!: string;
  @ApiProperty({ example: '300' }) quantity!: string;
  @ApiProperty({ type: [String], example: ['FFCER-JL-CK-2020-2724-3023'] }) serialBlocks!: string[];
  @ApiProperty({ example: 'E-CONF' }) retiringParty!: string;
  @ApiProperty() retiringPartyName!: string;
  @ApiProperty() beneficiaryName!: string;
  @ApiProperty() publishBeneficiary!: boolean;
  @ApiProperty({ enum: RETIREMENT_PURPOSES }) purpose!: RetirementPurpose;
  @ApiProperty({ nullable: true, type: String }) eventName!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '200.000' }) eventEmissions!: string | null;
  @ApiProperty({ example: '2026-11-23' }) retiredOn!: string;
  @ApiProperty({ description: "SHA-256 (hex) of the certificate's canonical content" }) contentHash!: string;
  @ApiProperty({ example: '7K2M-9QXH-4TNB-R8WD', description: 'Printed on the certificate; the public verification needs it' }) verificationCode!: string;
  @ApiProperty({ description: "The TCO2E entry: holder's credits → the project's retired account" }) entryId!: string;
}

export class PublicCarbonCertificateResponse {
  @ApiProperty({ example: 'TH-0000001' }) certificateNo!: string;
  @ApiProperty({ example: 'JL-CK' }) project!: string;
  @ApiProperty() projectName!: string;
  @ApiProperty({ enum: CARBON_STANDARDS }) standard!: CarbonStandard;
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty({ example: '2020' }) vintage!: string;
  @ApiProperty() vintageStart!: string;
  @ApiProperty() vintageEnd!: string;
  @ApiProperty({ example: '300' }) quantity!: string;
  @ApiProperty({ type: [String] }) serialBlocks!: string[];
  @ApiProperty({ nullable: true, type: String, description: 'Null unless the beneficiary allowed publication' }) beneficiaryName!: string | null;
  @ApiProperty() publishBeneficiary!: boolean;
  @ApiProperty({ enum: RETIREMENT_PURPOSES }) purpose!: RetirementPurpose;
  @ApiProperty({ nullable: true, type: String }) eventName!: string | null;
  @ApiProperty({ nullable: true, type: String }) eventEmissions!: string | null;
  @ApiProperty() retiredOn!: string;
  @ApiProperty({ description: 'SHA-256 of the certificate content as stored at retirement' }) contentHash!: string;
}

export class CarbonVerificationResponse {
  @ApiProperty({ description: 'The number and code match a certificate (a mismatch is a 404)' }) valid!: boolean;
  @ApiProperty({ description: 'The stored content still hashes to the stored SHA-256; false means the records were altered' }) intact!: boolean;
  @ApiProperty({ type: PublicCarbonCertificateResponse }) certificate!: PublicCarbonCertificateResponse;
}

export class RegistryIssuanceResponse {
  @ApiProperty({ example: '2020' }) vintage!: string;
  @ApiProperty() vintageStart!: string;
  @ApiProperty() vintageEnd!: string;
  @ApiProperty({ example: '12723' }) quantity!: string;
  @ApiProperty({ example: '0' }) bufferQuantity!: string;
  @ApiProperty({ example: 'FFCER-JL-CK-2020-1-12723' }) serialBlock!: string;
  @ApiProperty() issuedOn!: string;
  @ApiProperty() verificationReference!: string;
}

export class RegistryRetirementResponse {
  @ApiProperty({ example: 'TH-0000001' }) certificateNo!: string;
  @ApiProperty({ example: '2020' }) vintage!: string;
  @ApiProperty({ example: '300' }) quantity!: string;
  @ApiProperty({ type: [String] }) serialBlocks!: string[];
  @ApiProperty({ enum: RETIREMENT_PURPOSES }) purpose!: RetirementPurpose;
  @ApiProperty({ nullable: true, type: String, description: 'Null unless the beneficiary allowed publication' }) beneficiaryName!: string | null;
  @ApiProperty() retiredOn!: string;
}

export class RegistryTotalsResponse {
  @ApiProperty({ example: '12723' }) issued!: string;
  @ApiProperty({ example: '0' }) buffer!: string;
  @ApiProperty({ example: '300' }) retired!: string;
}

export class CarbonRegistryResponse {
  @ApiProperty({ example: 'JL-CK' }) project!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: CARBON_STANDARDS }) standard!: CarbonStandard;
  @ApiProperty({ nullable: true, type: String }) externalId!: string | null;
  @ApiProperty({ enum: CARBON_PROJECT_STATES }) state!: CarbonProjectState;
  @ApiProperty({ type: [RegistryIssuanceResponse] }) issuances!: RegistryIssuanceResponse[];
  @ApiProperty({ type: [RegistryRetirementResponse] }) retirements!: RegistryRetirementResponse[];
  @ApiProperty({ type: RegistryTotalsResponse }) totals!: RegistryTotalsResponse;
}
