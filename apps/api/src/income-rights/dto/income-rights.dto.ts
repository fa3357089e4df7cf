import { ApiProperty, ApiPropertyOptional, ApiSchema } from '@nestjs/swagger';
import { PARTY_CODE_PATTERN, PROJECT_CODE_PATTERN, QUANTIFICATION_BASES, SCHEME_TERM_YEARS, SERIES_CODE_PATTERN, TRANSFER_RESTRICTIONS } from '@forest-ledger/forestry';
import type { QuantificationBasis, TransferRestriction } from '@forest-ledger/forestry';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateNested } from 'class-validator';
import { IsCalendarDate, IsDecimalString } from '../../http/validators';
import { MAX_PROJECT_PARCELS } from '../../projects/dto/projects.dto';

const PARCEL_ID = /^[1-9][0-9]{0,18}$/;

export class CreateSchemeDto {
  @ApiProperty({
    example: 'SY-DXG-2026',
    pattern: PROJECT_CODE_PATTERN.source,
    description: 'Readable unique code (a project code: project:<code>:wallet:CNY is its income account)',
  })
  @IsString()
  @Matches(PROJECT_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-", starting with a letter or digit' })
  code!: string;

  @ApiProperty({ example: '大西沟村集体林地收益权量化' }) @IsString() @MinLength(1) @MaxLength(200) name!: string;

  @ApiProperty({ example: 'C-DXG', description: 'The village collective (COLLECTIVE); the parcels must be held by it' })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: '$property must be a party code' })
  collectiveCode!: string;

  @ApiProperty({
    type: [String],
    example: ['12'],
    minItems: 1,
    maxItems: MAX_PROJECT_PARCELS,
    description: "The collective's parcels; attachable and in no open project or scheme",
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_PROJECT_PARCELS)
  @IsString({ each: true })
  @Matches(PARCEL_ID, { each: true, message: '$property must hold parcel ids (positive integers as strings)' })
  parcelIds!: string[];

  @ApiProperty({ example: '800.0000', description: "亩, up to 4 decimals, at most the parcels' total" }) @IsDecimalString() areaMu!: string;
  @ApiProperty({ example: '2026-07-01' }) @IsCalendarDate() startDate!: string;

  @ApiProperty({ example: 30, description: `Whole years, ${SCHEME_TERM_YEARS.min}..${SCHEME_TERM_YEARS.max}` })
  @IsInt()
  @Min(SCHEME_TERM_YEARS.min)
  @Max(SCHEME_TERM_YEARS.max)
  termYears!: number;

  @ApiProperty({ example: '2026-06-30', description: 'The roster is read as of this date (villagers registered by then and not deactivated); not after today' })
  @IsCalendarDate()
  censusDate!: string;

  @ApiProperty({
    enum: QUANTIFICATION_BASES,
    description: 'PER_HOUSEHOLD: equal units per household; PER_PERSON: per person of the household; WEIGHTED: householdWeight of the pool per household, the rest per person',
  })
  @IsIn(QUANTIFICATION_BASES)
  basis!: QuantificationBasis;

  @ApiPropertyOptional({ example: '0.40', description: "WEIGHTED only: the household part of the pool, 0..1 (6 decimals), entered by the collective's office" })
  @IsOptional()
  @IsDecimalString()
  householdWeight?: string;

  @ApiPropertyOptional({ example: '0.20', default: '0', description: 'Share the collective keeps (集体股), 0..1' }) @IsOptional() @IsDecimalString() retainedRatio?: string;
  @ApiProperty({ example: '100000', description: 'Whole units of the scheme' }) @IsDecimalString() totalUnits!: string;
  @ApiProperty({ example: '1.00', description: 'CNY per unit printed on the certificate (折股量化)' }) @IsDecimalString() faceValue!: string;
}

export class SchemeIssueDto {
  @ApiProperty({ example: 'SY-DXG-2026', pattern: SERIES_CODE_PATTERN.source, description: 'Series code: ledger asset LP.<code>, certificates <code>-000001 …' })
  @IsString()
  @Matches(SERIES_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-"' })
  seriesCode!: string;

  @ApiPropertyOptional({ example: '集体林地收益权 大西沟村 2026' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional({ enum: TRANSFER_RESTRICTIONS, default: 'COLLECTIVE_MEMBERS' }) @IsOptional() @IsIn(TRANSFER_RESTRICTIONS) transferRestriction?: TransferRestriction;
  @ApiPropertyOptional({ example: '2026-07-15', description: 'Between the census date and today; default today' }) @IsOptional() @IsCalendarDate() issuedOn?: string;
}

export class SchemePreviewQuery {
  @ApiProperty({ example: 'SY-DXG-2026' })
  @IsString()
  @Matches(SERIES_CODE_PATTERN, { message: '$property must be 1-40 of capital letters, digits, ".", "_", "-"' })
  seriesCode!: string;
}

export class TargetDto {
  @ApiProperty({ example: '2026-07-31' }) @IsCalendarDate() dueDate!: string;
  @ApiProperty({ example: '0.40', description: 'Share of the households to issue by then, above 0 and at most 1' }) @IsDecimalString() share!: string;
}

export class TargetsDto {
  @ApiProperty({ type: [TargetDto], maxItems: 24 })
  @IsArray()
  @ArrayMaxSize(24)
  @ValidateNested({ each: true })
  @Type(() => TargetDto)
  targets!: TargetDto[];
}

export class ProgressQuery {
  @ApiPropertyOptional({ example: '2026-08-31', description: 'Default today' }) @IsOptional() @IsCalendarDate() asOf?: string;
}

// ------------------------------------------------------------------ responses

class CodeNameResponse {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
}

class SchemeParcelResponse {
  @ApiProperty() id!: string;
  @ApiProperty() certificateNo!: string;
  @ApiProperty() areaMu!: string;
  @ApiProperty() location!: string;
}

class SchemeRuleResponse {
  @ApiProperty({ enum: QUANTIFICATION_BASES }) basis!: QuantificationBasis;
  @ApiProperty({ example: '0.4' }) householdWeight!: string;
  @ApiProperty({ example: '0.6' }) personWeight!: string;
  @ApiProperty({ example: '0.2' }) retainedRatio!: string;
}

export class SchemeResponse {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ enum: ['DRAFT', 'ACTIVE', 'CLOSED'] }) state!: string;
  @ApiProperty({ type: CodeNameResponse }) collective!: CodeNameResponse;
  @ApiProperty({ type: [SchemeParcelResponse] }) parcels!: SchemeParcelResponse[];
  @ApiProperty() areaMu!: string;
  @ApiProperty() startDate!: string;
  @ApiProperty() termYears!: number;
  @ApiProperty() endDate!: string;
  @ApiProperty() censusDate!: string;
  @ApiProperty({ type: SchemeRuleResponse }) rule!: SchemeRuleResponse;
  @ApiProperty() totalUnits!: string;
  @ApiProperty() faceValue!: string;
  @ApiProperty({ example: 'project:SY-DXG-2026:wallet:CNY', description: 'Income is received here (POST /v1/projects/:code/income), then declared as dividends' })
  walletAccount!: string;
  @ApiProperty() walletBalance!: string;
  @ApiProperty({ nullable: true, type: String }) seriesCode!: string | null;
  @ApiProperty({ nullable: true, type: String }) issuedOn!: string | null;
}

@ApiSchema({ name: 'IncomeRightSplitResponse' })
class SplitResponse {
  @ApiProperty({ enum: QUANTIFICATION_BASES }) basis!: QuantificationBasis;
  @ApiProperty({ example: '0.4' }) householdWeight!: string;
  @ApiProperty({ example: '0.6' }) personWeight!: string;
  @ApiProperty() households!: number;
  @ApiProperty() persons!: number;
  @ApiProperty() poolUnits!: string;
  @ApiProperty() retainedByRatioUnits!: string;
  @ApiProperty() householdPartUnits!: string;
  @ApiProperty() personPartUnits!: string;
  @ApiProperty() unitsPerHousehold!: string;
  @ApiProperty() unitsPerPerson!: string;
  @ApiProperty({ description: 'Cannot be divided equally: kept by the collective' }) remainderUnits!: string;
  @ApiProperty() collectiveUnits!: string;
  @ApiProperty() explanation!: string;
}

@ApiSchema({ name: 'IncomeRightPlannedHoldingResponse' })
class PlannedHoldingResponse {
  @ApiProperty() certificateNo!: string;
  @ApiProperty() party!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) household!: string | null;
  @ApiProperty({ nullable: true, type: Number }) persons!: number | null;
  @ApiProperty({ enum: ['COLLECTIVE', 'MEMBER'] }) role!: 'COLLECTIVE' | 'MEMBER';
  @ApiProperty() units!: string;
}

export class SchemePreviewResponse {
  @ApiProperty() scheme!: string;
  @ApiProperty() seriesCode!: string;
  @ApiProperty() censusDate!: string;
  @ApiProperty() totalUnits!: string;
  @ApiProperty() faceValue!: string;
  @ApiProperty({ type: SplitResponse }) split!: SplitResponse;
  @ApiProperty({ type: [PlannedHoldingResponse] }) holdings!: PlannedHoldingResponse[];
}

export class SchemeIssuanceResponse {
  @ApiProperty({ type: SchemeResponse }) scheme!: SchemeResponse;
  @ApiProperty({ type: SplitResponse }) split!: SplitResponse;
  @ApiProperty({ description: 'The series issued (as POST /v1/projects/:code/issuance answers): series, entries, certificate numbers' }) issuance!: object;
}

export class TargetResponse {
  @ApiProperty() dueDate!: string;
  @ApiProperty({ example: '0.40' }) share!: string;
}

@ApiSchema({ name: 'IncomeRightDueResponse' })
class DueResponse {
  @ApiProperty() dueDate!: string;
  @ApiProperty({ example: '0.40' }) share!: string;
  @ApiProperty() householdsRequired!: number;
}

@ApiSchema({ name: 'IncomeRightProgressLineResponse' })
class ProgressLineResponse {
  @ApiProperty({ enum: ['VILLAGE', 'TOWNSHIP', 'TOTAL'] }) level!: 'VILLAGE' | 'TOWNSHIP' | 'TOTAL';
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String }) township!: string | null;
  @ApiProperty() householdsToIssue!: number;
  @ApiProperty() householdsIssued!: number;
  @ApiProperty() issuedShare!: string;
  @ApiProperty({ type: DueResponse, nullable: true }) due!: DueResponse | null;
  @ApiProperty() onTrack!: boolean;
}

@ApiSchema({ name: 'IncomeRightRegionBriefResponse' })
class RegionBriefResponse {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
  @ApiProperty() level!: string;
}

@ApiSchema({ name: 'IncomeRightProgressResponse' })
export class ProgressResponse {
  @ApiProperty({ type: RegionBriefResponse }) region!: RegionBriefResponse;
  @ApiProperty() asOf!: string;
  @ApiProperty({ type: [TargetResponse] }) targets!: TargetResponse[];
  @ApiProperty({ type: [ProgressLineResponse] }) lines!: ProgressLineResponse[];
}
