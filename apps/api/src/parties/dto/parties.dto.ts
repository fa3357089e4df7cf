import { APPROVAL_STATES, type ApprovalState } from '@forest-ledger/access';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ID_KINDS, PARTY_CODE_PATTERN, PARTY_KINDS, REGION_CODE_PATTERN, REGION_LEVELS } from '@forest-ledger/forestry';
import type { IdKind, PartyKind, RegionLevel } from '@forest-ledger/forestry';
import { Transform } from 'class-transformer';
import { IsBase64, IsBoolean, IsIn, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { IsFreeFormObject } from '../../http/validators';

const toInt = ({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value);
const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
const REGION_CODE_MESSAGE = '$property must be a statistical division code of 6 (county), 9 (township) or 12 (village) digits';
const PARTY_CODE_MESSAGE = '$property must be 1-48 of upper-case letters, digits, ".", "_", "-"';

// ------------------------------------------------------------------ regions

export class CreateRegionDto {
  @ApiProperty({ example: '140522101201', description: "6 digits for a county; the parent's code + 3 digits for a township or a village" })
  @IsString()
  @Matches(REGION_CODE_PATTERN, { message: REGION_CODE_MESSAGE })
  code!: string;

  @ApiProperty({ example: '大西沟村' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name!: string;

  @ApiProperty({ enum: REGION_LEVELS, description: "COUNTY has no parent; a TOWNSHIP's parent is a COUNTY; a VILLAGE's a TOWNSHIP" })
  @IsIn(REGION_LEVELS)
  level!: RegionLevel;

  @ApiPropertyOptional({ example: '140522101' })
  @IsOptional()
  @IsString()
  @Matches(REGION_CODE_PATTERN, { message: REGION_CODE_MESSAGE })
  parentCode?: string;
}

export class RegionQuery {
  @ApiPropertyOptional({ example: '140522101', description: 'Children of this region; without parent, level or name: the counties' })
  @IsOptional()
  @IsString()
  @Matches(REGION_CODE_PATTERN, { message: REGION_CODE_MESSAGE })
  parent?: string;

  @ApiPropertyOptional({ enum: REGION_LEVELS }) @IsOptional() @IsIn(REGION_LEVELS) level?: RegionLevel;

  @ApiPropertyOptional({ example: '大西沟村', description: 'Exact name (whitespace ignored), e.g. to find a village within a township' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  name?: string;
}

export class RegionResponse {
  @ApiProperty({ example: '140522101201' }) code!: string;
  @ApiProperty({ example: '大西沟村' }) name!: string;
  @ApiProperty({ enum: REGION_LEVELS }) level!: RegionLevel;
  @ApiProperty({ nullable: true, type: String, example: '140522101' }) parentCode!: string | null;
}

// ------------------------------------------------------------------ parties

export class CreatePartyDto {
  @ApiProperty({ enum: PARTY_KINDS }) @IsIn(PARTY_KINDS) kind!: PartyKind;

  @ApiProperty({ example: '大西沟村股份经济合作社' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @ApiPropertyOptional({
    example: 'C-DXG',
    description:
      "Readable unique code (part of account codes). When absent: the kind's prefix and the next number, e.g. V-0013 (F farm, C collective, H household, V villager, E enterprise, B buyer, G fund, K bank, L lessee)",
  })
  @IsOptional()
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  code?: string;

  @ApiPropertyOptional({
    example: '140522101201',
    description: "A VILLAGE for collectives (required), households and villagers (default: their collective's / household's); any level otherwise",
  })
  @IsOptional()
  @IsString()
  @Matches(REGION_CODE_PATTERN, { message: REGION_CODE_MESSAGE })
  regionCode?: string;

  @ApiPropertyOptional({
    example: '91140522MA0K12348Q',
    description:
      'Resident ID number (VILLAGER, INDIVIDUAL_BUYER: required) or unified social credit code (STATE_FARM, COLLECTIVE, ENTERPRISE, BANK: required; GOVERNMENT_FUND optional); LESSEE either, optional; never for a HOUSEHOLD. Check characters are verified; stored only as HMAC + ciphertext and shown masked',
  })
  @IsOptional()
  @IsString()
  @MaxLength(40)
  idNumber?: string;

  @ApiPropertyOptional({ example: '13869893550', description: 'A mainland mobile number (the villagers’ SMS); sealed at rest, returned masked' })
  @IsOptional()
  @IsString()
  @MaxLength(30)
  mobile?: string;

  @ApiPropertyOptional({ example: 'H-DXG-001', description: "A VILLAGER's household (required for a VILLAGER)" })
  @IsOptional()
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  householdCode?: string;

  @ApiPropertyOptional({ example: 'C-DXG', description: "A HOUSEHOLD's collective (required); for a VILLAGER it must be its household's" })
  @IsOptional()
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  collectiveCode?: string;

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'Free-form; never put ID numbers here' })
  @IsOptional()
  @IsFreeFormObject()
  metadata?: Record<string, unknown>;
}

export class PartyQuery {
  @ApiPropertyOptional({ enum: PARTY_KINDS }) @IsOptional() @IsIn(PARTY_KINDS) kind?: PartyKind;

  @ApiPropertyOptional({ example: '140522101', description: 'Parties in this region or below it' })
  @IsOptional()
  @IsString()
  @Matches(REGION_CODE_PATTERN, { message: REGION_CODE_MESSAGE })
  regionCode?: string;

  @ApiPropertyOptional({ example: 'C-DXG' }) @IsOptional() @IsString() @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE }) collectiveCode?: string;
  @ApiPropertyOptional({ example: 'H-DXG-001' }) @IsOptional() @IsString() @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE }) householdCode?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(toBool) @IsBoolean() active?: boolean;
  @ApiPropertyOptional({ default: 100, maximum: 500 }) @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: '$property must be a nextCursor this API returned' })
  after?: string;
}

export class PartyRegionResponse {
  @ApiProperty({ example: '140522101201' }) code!: string;
  @ApiProperty({ example: '大西沟村' }) name!: string;
  @ApiProperty({ enum: REGION_LEVELS }) level!: RegionLevel;
}

export class PartyResponse {
  @ApiProperty({ example: 'V-0012' }) code!: string;
  @ApiProperty({ enum: PARTY_KINDS }) kind!: PartyKind;
  @ApiProperty({ example: '王建国' }) name!: string;
  @ApiProperty({ type: PartyRegionResponse, nullable: true }) region!: PartyRegionResponse | null;
  @ApiProperty({ enum: ID_KINDS, nullable: true }) idKind!: IdKind | null;
  @ApiProperty({ nullable: true, type: String, example: '1405**********0030', description: 'Always masked; the full value only through the audited reveal-id' }) idNumberMasked!:
    string | null;
  @ApiProperty({ nullable: true, type: String, example: '138****8776', description: 'Always masked' }) mobileMasked!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'H-DXG-002' }) householdCode!: string | null;
  @ApiProperty({ nullable: true, type: String, example: 'C-DXG' }) collectiveCode!: string | null;
  @ApiProperty() active!: boolean;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) deactivatedAt!: string | null;
  @ApiProperty({ type: 'object', additionalProperties: true }) metadata!: Record<string, unknown>;
  @ApiProperty({ example: 'party:V-0012:wallet:CNY', description: 'The CNY wallet opened with the party (credit-normal, no overdraft)' }) walletAccount!: string;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
}

export class PartyPageResponse {
  @ApiProperty({ type: [PartyResponse] }) items!: PartyResponse[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}

export class SetMobileDto {
  @ApiProperty({ nullable: true, type: String, example: '13869893550', description: 'A mainland mobile number, or null to remove it; sealed at rest, returned masked' })
  @ValidateIf((o: SetMobileDto) => o.mobile !== null)
  @IsString()
  @MaxLength(30)
  mobile!: string | null;
}

export class RevealIdDto {
  @ApiProperty({ example: '核对林权证权利人身份（工单 2026-0153）', description: 'Why the full number is needed; stored in the PII access log' })
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason!: string;
}

export class RevealIdResponse {
  @ApiProperty({ example: 'V-0012' }) code!: string;
  @ApiProperty({ enum: ID_KINDS }) idKind!: IdKind;
  @ApiProperty({ example: '140522194409260030' }) idNumber!: string;
}

export class DeactivationRequestDto {
  @ApiPropertyOptional({ example: '户籍迁出' }) @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

export const MAX_ROSTER_BASE64 = 1_000_000;

export class RosterImportDto {
  @ApiProperty({ example: 'roster-大西沟村.xlsx', description: 'Only for messages: the format is recognised from the content (xlsx, CSV UTF-8 or GB18030)' })
  @IsString()
  @MinLength(1)
  @MaxLength(255)
  fileName!: string;

  @ApiProperty({ description: "The file's bytes in base64. The JSON body limit is 1 MB, so the file may be up to about 750 KB" })
  @IsString()
  @MaxLength(MAX_ROSTER_BASE64)
  @IsBase64(undefined, { message: '$property must be the file in base64' })
  contentBase64!: string;
}

export class RosterImportResponse {
  @ApiProperty({ example: 'C-DXG' }) collectiveCode!: string;
  @ApiProperty({ example: 40 }) households!: number;
  @ApiProperty({ example: 104 }) villagers!: number;
}

export class VillagerPinDto {
  @ApiProperty({ example: '482913' }) @IsString() @Matches(/^\d{6}$/, { message: '$property must be 6 digits' }) pin!: string;
}

export class VillagerPinResponse {
  @ApiProperty({ example: 'V-0012' }) partyCode!: string;
  @ApiProperty() userId!: string;
  @ApiProperty({ description: 'False when the villager already had a user and only the PIN changed' }) created!: boolean;
}

// ------------------------------------------------------------------ approvals

export class ApprovalQuery {
  @ApiPropertyOptional({ enum: APPROVAL_STATES }) @IsOptional() @IsIn(APPROVAL_STATES) state?: ApprovalState;
  @ApiPropertyOptional({ example: 'DEACTIVATE_PARTY' }) @IsOptional() @IsString() @Matches(/^[A-Z][A-Z0-9_]{0,63}$/) action?: string;
  @ApiPropertyOptional({ default: 100, maximum: 500 }) @IsOptional() @Transform(toInt) @IsInt() @Min(1) @Max(500) limit?: number;
  @ApiPropertyOptional({ description: 'nextBefore of the previous page' }) @IsOptional() @IsString() @Matches(/^\d{1,18}$/) before?: string;
}

export class ApprovalResponse {
  @ApiProperty({ example: '7' }) id!: string;
  @ApiProperty({ example: 'DEACTIVATE_PARTY' }) action!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, example: { partyCode: 'V-0012', partyName: '王建国' } }) payload!: Record<string, unknown>;
  @ApiProperty({ enum: APPROVAL_STATES }) state!: ApprovalState;
  @ApiProperty({ description: 'User id of the maker' }) requestedBy!: string;
  @ApiProperty({ format: 'date-time' }) requestedAt!: string;
  @ApiProperty({ nullable: true, type: String, description: 'User id of the checker (never the maker)' }) decidedBy!: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) decidedAt!: string | null;
}

export class ApprovalPageResponse {
  @ApiProperty({ type: [ApprovalResponse] }) items!: ApprovalResponse[];
  @ApiProperty({ nullable: true, type: String }) nextBefore!: string | null;
}
