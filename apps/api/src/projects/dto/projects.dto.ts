import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  CONTRIBUTION_KINDS,
  CONTRIBUTION_STATES,
  MEMBER_WEIGHTINGS,
  PARTY_CODE_PATTERN,
  PROJECT_CODE_PATTERN,
  PROJECT_STATES,
  PROJECT_TYPES,
  SERIES_CODE_PATTERN,
  TRANSFER_RESTRICTIONS,
} from '@forest-ledger/forestry';
import type { ContributionKind, ContributionState, ProjectState, ProjectType, TransferRestriction } from '@forest-ledger/forestry';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { IsCalendarDate, IsDecimalString } from '../../http/validators';
import { SeriesResponse } from '../../tickets/dto/tickets.dto';

const PARTY_CODE_MESSAGE = '$property must be a party code: 1-48 of upper-case letters, digits, ".", "_", "-"';
const PARCEL_ID = /^[1-9][0-9]{0,18}$/;
export const MAX_PROJECT_PARCELS = 1000;

type MemberWeighting = (typeof MEMBER_WEIGHTINGS)[number];

// ------------------------------------------------------------------ requests

export class GuaranteeDto {
  @ApiPropertyOptional({ example: '林场承诺期满按每份 100 元兜底回购', description: 'The guarantee as agreed, in words (保底条款)' })
  @IsOptional()
  @IsString()
  @MaxLength(2000)
  description?: string;

  @ApiPropertyOptional({ example: '100.00', description: 'CNY per unit the farm guarantees to buy back at (2 decimals); the default price of a buy-back' })
  @IsOptional()
  @IsDecimalString()
  buyBackPrice?: string;

  @ApiPropertyOptional({ example: '0.8000', description: 'm³ per 亩 guaranteed at harvest (4 decimals); needs referencePrice' })
  @IsOptional()
  @IsDecimalString()
  yieldPerMu?: string;

  @ApiPropertyOptional({ example: '600.00', description: 'CNY per m³ the guaranteed yield is valued at (2 decimals); needs yieldPerMu' })
  @IsOptional()
  @IsDecimalString()
  referencePrice?: string;
}

export class CreateProjectDto {
  @ApiProperty({ example: 'YC-DXG-2025', pattern: PROJECT_CODE_PATTERN.source, description: 'Readable unique code, part of the account codes (project:<code>:wallet:CNY)' })
  @IsString()
  @Matches(PROJECT_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-", starting with a letter or digit' })
  code!: string;

  @ApiProperty({ example: '大西沟村油松合作造林项目' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiProperty({ example: 'F-YCLC', description: 'The state farm (STATE_FARM). A FARM_OPERATOR may only name its own farm' })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  farmCode!: string;

  @ApiProperty({ example: 'C-DXG', description: "The village collective (COLLECTIVE); its active villagers receive the members' units" })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  collectiveCode!: string;

  @ApiProperty({ enum: PROJECT_TYPES }) @IsIn(PROJECT_TYPES) projectType!: ProjectType;

  @ApiProperty({
    type: [String],
    example: ['12', '13'],
    minItems: 1,
    maxItems: MAX_PROJECT_PARCELS,
    description: 'Parcel ids; each must be attachable (issued to the household, not mortgaged, not seized) and in no other open project',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PROJECT_PARCELS)
  @IsString({ each: true })
  @Matches(PARCEL_ID, { each: true, message: '$property must hold parcel ids (positive integers as strings)' })
  parcelIds!: string[];

  @ApiProperty({ example: '1200.5000', description: "亩, up to 4 decimals, at most the parcels' total area" })
  @IsDecimalString()
  areaMu!: string;

  @ApiProperty({ example: '2025-03-01' }) @IsCalendarDate() startDate!: string;

  @ApiProperty({ example: 10, description: 'Whole years, within PROJECT_TERM_MIN_YEARS..PROJECT_TERM_MAX_YEARS (default 3..20)' })
  @IsInt()
  @Min(1)
  @Max(100)
  termYears!: number;

  @ApiProperty({ example: '0.08', description: "The farm's management fee, a share of project income, 0..1 (up to 6 decimals)" })
  @IsDecimalString()
  managementFeeRate!: string;

  @ApiPropertyOptional({ example: '0.30', default: '0.30', description: "Level 2: the share of the collective's units it keeps, 0..1" })
  @IsOptional()
  @IsDecimalString()
  collectiveRetainedRatio?: string;

  @ApiPropertyOptional({ enum: MEMBER_WEIGHTINGS, default: 'PER_PERSON' }) @IsOptional() @IsIn(MEMBER_WEIGHTINGS) memberWeighting?: MemberWeighting;

  @ApiPropertyOptional({ type: GuaranteeDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => GuaranteeDto)
  guarantee?: GuaranteeDto;
}

export class ProjectQuery {
  @ApiPropertyOptional({ enum: PROJECT_STATES }) @IsOptional() @IsIn(PROJECT_STATES) state?: ProjectState;
}

export class ContributionDto {
  @ApiProperty({ example: 'F-YCLC', description: "The project's farm or its collective" })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  partyCode!: string;

  @ApiProperty({ enum: CONTRIBUTION_KINDS }) @IsIn(CONTRIBUTION_KINDS) kind!: ContributionKind;

  @ApiProperty({ example: '300000.00', description: 'CNY, 2 decimals, > 0; for in-kind contributions the valuation' })
  @IsDecimalString()
  amount!: string;

  @ApiPropertyOptional({ description: 'CASH only, required there: true when the money has arrived (bankReference required), false for a commitment called later' })
  @IsOptional()
  @IsBoolean()
  paid?: boolean;

  @ApiPropertyOptional({ example: 'ICBC-2025030100017', description: 'Bank transaction reference of a paid CASH contribution' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  bankReference?: string;

  @ApiPropertyOptional({ example: '晋林评字(2025)第017号', description: 'In-kind only, required there: the valuation report (评估报告编号)' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  valuationDocument?: string;

  @ApiPropertyOptional({ example: '林地经营权 20 年' }) @IsOptional() @IsString() @MaxLength(2000) description?: string;

  @ApiPropertyOptional({ example: '2025-03-01', description: 'Defaults to today (Asia/Shanghai)' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class CallContributionDto {
  @ApiProperty({ example: 'ICBC-2025061500003', description: 'Bank transaction reference of the money that arrived' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  bankReference!: string;

  @ApiPropertyOptional({ example: '2025-06-15', description: 'Defaults to today (Asia/Shanghai)' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class IssueDto {
  @ApiProperty({
    example: 'YC-DXG-2025',
    pattern: SERIES_CODE_PATTERN.source,
    description: 'The series; its units are the ledger asset LP.<seriesCode>, its certificates <seriesCode>-000001 …',
  })
  @IsString()
  @Matches(SERIES_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-" (e.g. YC-DXG-2025)' })
  seriesCode!: string;

  @ApiPropertyOptional({ example: '林票 阳城县大西沟村 2025', description: 'Defaults to 林票 <project name>' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiProperty({ example: '100.00', description: 'CNY per unit (2 decimals); every contribution must be a whole number of units' })
  @IsDecimalString()
  faceValue!: string;

  @ApiProperty({
    enum: TRANSFER_RESTRICTIONS,
    description: 'OPEN: anyone; COLLECTIVE_MEMBERS: only the collective and its members may receive units by trade or pledge enforcement; NONE: no trades or pledges',
  })
  @IsIn(TRANSFER_RESTRICTIONS)
  transferRestriction!: TransferRestriction;

  @ApiPropertyOptional({ example: '2025-03-15', description: 'Defaults to today (Asia/Shanghai); movements cannot be dated before it' })
  @IsOptional()
  @IsCalendarDate()
  issuedOn?: string;
}

export class IssuancePreviewQuery {
  @ApiProperty({ example: 'YC-DXG-2025', pattern: SERIES_CODE_PATTERN.source, description: 'The series code the issuance would use (it numbers the certificates)' })
  @IsString()
  @Matches(SERIES_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-" (e.g. YC-DXG-2025)' })
  seriesCode!: string;

  @ApiProperty({ example: '100.00', description: 'CNY per unit (2 decimals); every contribution must be a whole number of units' })
  @IsDecimalString()
  faceValue!: string;
}

export class CloseProjectDto {
  @ApiPropertyOptional({ example: '2035-03-01', description: 'Defaults to today (Asia/Shanghai); not before the end of the term' })
  @IsOptional()
  @IsCalendarDate()
  closedOn?: string;
}

// ------------------------------------------------------------------ responses

export class PartyNameResponse {
  @ApiProperty({ example: 'F-YCLC' }) code!: string;
  @ApiProperty({ example: '阳城国有林场' }) name!: string;
}

export class ProjectParcelResponse {
  @ApiProperty({ example: '42' }) id!: string;
  @ApiProperty({ example: '晋(2025)阳城县不动产权第0001001号' }) certificateNo!: string;
  @ApiProperty({ example: '29.8000' }) areaMu!: string;
  @ApiProperty({ example: '芹池镇大西沟村后沟' }) location!: string;
}

export class ContributionResponse {
  @ApiProperty({ example: '3' }) id!: string;
  @ApiProperty({ example: 'F-YCLC' }) partyCode!: string;
  @ApiProperty({ example: '阳城国有林场' }) partyName!: string;
  @ApiProperty({ enum: ['FARM', 'COLLECTIVE'] }) role!: 'FARM' | 'COLLECTIVE';
  @ApiProperty({ enum: CONTRIBUTION_KINDS }) kind!: ContributionKind;
  @ApiProperty({ enum: CONTRIBUTION_STATES, description: 'CASH: PAID, or COMMITTED until called; in kind: VALUED' }) state!: ContributionState;
  @ApiProperty({ example: '300000.00' }) amount!: string;
  @ApiProperty({ nullable: true, type: String }) bankReference!: string | null;
  @ApiProperty({ nullable: true, type: String }) valuationDocument!: string | null;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ description: 'The ledger entry of the contribution (investment, commitment or in-kind valuation)' }) entryId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The ledger entry of the call of a commitment' }) callEntryId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class GuaranteeResponse {
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '100.00' }) buyBackPrice!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '0.8000' }) yieldPerMu!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '600.00' }) referencePrice!: string | null;
}

export class ProjectResponse {
  @ApiProperty({ example: 'YC-DXG-2025' }) code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: PROJECT_STATES, description: 'DRAFT until its 林票 are issued, then ACTIVE (parameters frozen), CLOSED at the end' }) state!: ProjectState;
  @ApiProperty({ enum: ['COOPERATION', 'INCOME_RIGHT'], description: 'COOPERATION (林票); INCOME_RIGHT: a collective income-right scheme (see /v1/income-right-schemes)' })
  projectKind!: 'COOPERATION' | 'INCOME_RIGHT';
  @ApiProperty({ type: PartyNameResponse, nullable: true, description: 'The state farm; null for an income-right scheme' }) farm!: PartyNameResponse | null;
  @ApiProperty({ type: PartyNameResponse }) collective!: PartyNameResponse;
  @ApiProperty({ enum: PROJECT_TYPES }) projectType!: ProjectType;
  @ApiProperty({ example: '1200.5000' }) areaMu!: string;
  @ApiProperty({ type: [ProjectParcelResponse] }) parcels!: ProjectParcelResponse[];
  @ApiProperty({ example: '2100.0000' }) parcelsAreaMu!: string;
  @ApiProperty({ example: '2025-03-01' }) startDate!: string;
  @ApiProperty({ example: 10 }) termYears!: number;
  @ApiProperty({ example: '2035-03-01' }) endDate!: string;
  @ApiProperty({ example: '0.08' }) managementFeeRate!: string;
  @ApiProperty({ example: '0.3' }) collectiveRetainedRatio!: string;
  @ApiProperty({ enum: MEMBER_WEIGHTINGS }) memberWeighting!: MemberWeighting;
  @ApiProperty({ type: GuaranteeResponse }) guarantee!: GuaranteeResponse;
  @ApiProperty({ example: '500000.00', description: 'All contributions (paid, committed and in kind), CNY' }) totalContributions!: string;
  @ApiProperty({ type: [ContributionResponse] }) contributions!: ContributionResponse[];
  @ApiProperty({ example: 'project:YC-DXG-2025:wallet:CNY' }) walletAccount!: string;
  @ApiProperty({ example: '300000.00' }) walletBalance!: string;
  @ApiProperty({ nullable: true, type: String, example: 'YC-DXG-2025' }) seriesCode!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) activatedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) closedAt!: string | null;
}

export class ContributionOutcomeResponse {
  @ApiProperty({ example: 'YC-DXG-2025' }) project!: string;
  @ApiProperty({ type: ContributionResponse }) contribution!: ContributionResponse;
  @ApiProperty({ description: 'The ledger entry posted by this request' }) entryId!: string;
  @ApiProperty({ example: '300000.00', description: 'The project wallet right after' }) walletBalance!: string;
}

export class MemberSplitResponse {
  @ApiProperty({ enum: MEMBER_WEIGHTINGS, description: 'PER_PERSON: each active villager is a claim; PER_HOUSEHOLD: each household is one claim, held by its head (户主)' })
  basis!: MemberWeighting;
  @ApiProperty({ example: 100, description: "Equal claims on the members' pool: villagers or households" }) claims!: number;
  @ApiProperty({ example: '4410', description: 'floor(collectiveUnits × (1 − collectiveRetainedRatio)): at most this many units go to the members' }) poolUnits!: string;
  @ApiProperty({ example: '44', description: 'floor(poolUnits / claims): what every villager (or household) gets, the same for all' }) unitsPerClaim!: string;
  @ApiProperty({ example: '10', description: 'poolUnits − claims × unitsPerClaim (less than claims): cannot be divided equally, so the collective keeps it' })
  remainderUnits!: string;
  @ApiProperty({ example: '1890', description: 'collectiveUnits − poolUnits: kept by the retained ratio' }) retainedByRatioUnits!: string;
  @ApiProperty({
    example:
      "4410 member units (the collective's 6300 less 1890 kept at retained ratio 0.3) among 100 members: 44 each; the 10 that cannot be divided equally stay with the collective, which keeps 1890 + 10 = 1900",
  })
  explanation!: string;
}

export class IssuancePlanResponse {
  @ApiProperty({ example: 'YC-DXG-2025' }) seriesCode!: string;
  @ApiProperty({ example: '100.00' }) faceValue!: string;
  @ApiProperty({ example: '5000' }) totalUnits!: string;
  @ApiProperty({ example: '2000', description: "Level 1: the collective's units = retainedUnits + membersUnits" }) collectiveUnits!: string;
  @ApiProperty({ example: '1900', description: "The collective's own holding: split.retainedByRatioUnits + split.remainderUnits" }) retainedUnits!: string;
  @ApiProperty({ example: '4400', description: 'split.claims × split.unitsPerClaim' }) membersUnits!: string;
  @ApiProperty({ enum: MEMBER_WEIGHTINGS }) memberWeighting!: MemberWeighting;
  @ApiProperty({ type: MemberSplitResponse, nullable: true, description: 'Level 2 as decided; null only for a series issued before it was recorded' })
  split!: MemberSplitResponse | null;
  @ApiProperty({ example: 12, description: 'Number of holdings (certificates) issued' }) holdings!: number;
}

export class PlannedHoldingResponse {
  @ApiProperty({ example: 'V-0001', description: "The holder; per household the household's head (户主)" }) party!: string;
  @ApiProperty({ example: '张守仁' }) name!: string;
  @ApiProperty({ enum: ['FARM', 'COLLECTIVE', 'MEMBER'] }) role!: 'FARM' | 'COLLECTIVE' | 'MEMBER';
  @ApiProperty({ example: '360' }) units!: string;
  @ApiProperty({ example: 'YC-DXG-2025-000003' }) certificateNo!: string;
  @ApiPropertyOptional({ example: 'H-DXG-101', description: 'Members: the household (per household: the household the head holds the units for)' }) household?: string;
}

export class IssuancePreviewResponse {
  @ApiProperty({ example: 'YC-DXG' }) project!: string;
  @ApiProperty({ example: 'YC-DXG-2025' }) seriesCode!: string;
  @ApiProperty({ example: '100.00' }) faceValue!: string;
  @ApiProperty({ example: '9123' }) totalUnits!: string;
  @ApiProperty({ example: '4123' }) collectiveUnits!: string;
  @ApiProperty({ example: '1243' }) retainedUnits!: string;
  @ApiProperty({ example: '2880' }) membersUnits!: string;
  @ApiProperty({ enum: MEMBER_WEIGHTINGS }) memberWeighting!: MemberWeighting;
  @ApiProperty({ type: MemberSplitResponse }) split!: MemberSplitResponse;
  @ApiProperty({ type: [PlannedHoldingResponse], description: 'Farm(s), the collective, then the member holders, in certificate order' }) holdings!: PlannedHoldingResponse[];
}

export class CertificateRangeResponse {
  @ApiProperty({ example: 'YC-DXG-2025-000001' }) first!: string;
  @ApiProperty({ example: 'YC-DXG-2025-000012' }) last!: string;
}

export class IssuanceResponse {
  @ApiProperty({ type: SeriesResponse }) series!: SeriesResponse;
  @ApiProperty({ type: IssuancePlanResponse }) plan!: IssuancePlanResponse;
  @ApiProperty({ type: [String], description: 'The issuance entries: one, or one per 999 holders, posted atomically' }) entryIds!: string[];
  @ApiProperty({ type: CertificateRangeResponse, description: 'Certificate numbers are gapless between first and last' }) certificates!: CertificateRangeResponse;
}
