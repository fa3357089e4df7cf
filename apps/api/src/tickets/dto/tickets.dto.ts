import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { HOLDING_ORIGINS, MOVEMENT_KINDS, PARTY_CODE_PATTERN, PLEDGE_STATES, TRANSFER_RESTRICTIONS } from '@forest-ledger/forestry';
import type { HoldingOrigin, MovementKind, PledgeState, TransferRestriction } from '@forest-ledger/forestry';
import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { IsCalendarDate, IsDecimalString } from '../../http/validators';

const PARTY_CODE_MESSAGE = '$property must be a party code: 1-48 of upper-case letters, digits, ".", "_", "-"';
/** Units are whole: a positive integer as a string. */
export const WHOLE_UNITS = /^[1-9][0-9]{0,19}$/;
const WHOLE_UNITS_MESSAGE = '$property must be a whole number of units as a string, e.g. "100"';
export const MAX_HEIRS = 100;

function PartyCode() {
  return Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE });
}

// ------------------------------------------------------------------ requests

export class RegisterQuery {
  @ApiPropertyOptional({ example: '2025-12-31', description: 'The register at the end of this date (effective dates); defaults to today (Asia/Shanghai)' })
  @IsOptional()
  @IsCalendarDate()
  asOf?: string;
}

export class PledgeQuery {
  @ApiPropertyOptional({ example: 'V-0003', description: "Only this holder's pledges" }) @IsOptional() @IsString() @PartyCode() holder?: string;
  @ApiPropertyOptional({ enum: PLEDGE_STATES }) @IsOptional() @IsIn(PLEDGE_STATES) state?: PledgeState;
}

export class TradeDto {
  @ApiProperty({ example: 'V-0003', description: 'A holder of the series' }) @IsString() @PartyCode() seller!: string;
  @ApiProperty({ example: 'V-0007', description: "Who receives the units; the series' transfer restriction applies" }) @IsString() @PartyCode() buyer!: string;

  @ApiProperty({ example: '10', pattern: WHOLE_UNITS.source, description: "Whole units, from the seller's free (not pledged) units" })
  @IsString({ message: WHOLE_UNITS_MESSAGE })
  @Matches(WHOLE_UNITS, { message: WHOLE_UNITS_MESSAGE })
  units!: string;

  @ApiProperty({ example: '105.00', description: 'CNY per unit, 2 decimals; amount = units × unitPrice, rounded to the 分 once' })
  @IsDecimalString()
  unitPrice!: string;

  @ApiPropertyOptional({ example: '5.00', description: 'CNY the buyer pays the platform (platform:fees:CNY) on top of the price' })
  @IsOptional()
  @IsDecimalString()
  fee?: string;

  @ApiPropertyOptional({ example: 'LQJY-2025-00042', description: '交易合同 / 平台成交编号' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(200) contractReference?: string;

  @ApiPropertyOptional({ example: '2025-11-23', description: 'Between the issue date and today; defaults to today (Asia/Shanghai)' })
  @IsOptional()
  @IsCalendarDate()
  effectiveDate?: string;
}

export class HeirDto {
  @ApiProperty({ example: 'V-0004' }) @IsString() @PartyCode() party!: string;

  @ApiProperty({ example: '70', pattern: WHOLE_UNITS.source })
  @IsString({ message: WHOLE_UNITS_MESSAGE })
  @Matches(WHOLE_UNITS, { message: WHOLE_UNITS_MESSAGE })
  units!: string;
}

export class InheritanceDto {
  @ApiProperty({ example: 'V-0003', description: 'The deceased holder (may be deactivated); must have no pledged units' }) @IsString() @PartyCode() from!: string;

  @ApiProperty({ type: [HeirDto], minItems: 1, maxItems: MAX_HEIRS, description: "Their units must add up exactly to the holder's units" })
  @ValidateNested({ each: true })
  @Type(() => HeirDto)
  @ArrayMaxSize(MAX_HEIRS)
  @ArrayMinSize(1)
  @IsArray() // checked first: decorators register bottom-up
  heirs!: HeirDto[];

  @ApiProperty({ example: '(2025)晋阳证字第 118 号', description: '继承公证书 / 判决书 number' }) @IsString() @MinLength(1) @MaxLength(200) documentReference!: string;

  @ApiPropertyOptional({ example: '2025-11-23' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class PledgeDto {
  @ApiProperty({ example: 'V-0003' }) @IsString() @PartyCode() holder!: string;
  @ApiProperty({ example: 'K-NSH', description: 'The pledgee: a party of kind BANK' }) @IsString() @PartyCode() pledgee!: string;

  @ApiProperty({ example: '20', pattern: WHOLE_UNITS.source })
  @IsString({ message: WHOLE_UNITS_MESSAGE })
  @Matches(WHOLE_UNITS, { message: WHOLE_UNITS_MESSAGE })
  units!: string;

  @ApiProperty({ example: 'NSH-ZY-2025-0007', description: '质押合同编号' }) @IsString() @MinLength(1) @MaxLength(200) contractReference!: string;
  @ApiPropertyOptional({ example: '2025-11-23' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class PledgeCloseDto {
  @ApiPropertyOptional({ example: 'NSH-JC-2026-0002', description: '解除质押通知书 / court order' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  documentReference?: string;
  @ApiPropertyOptional({ example: '2025-11-23' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

export class EnforceDto extends PledgeCloseDto {
  @ApiPropertyOptional({ example: 'V-0007', description: 'Who receives the units: the bank itself (default) or a buyer it names; the transfer restriction applies' })
  @IsOptional()
  @IsString()
  @PartyCode()
  transferee?: string;
}

export class BuyBackDto {
  @ApiProperty({ example: 'V-0003', description: 'The holder selling back to the issuing farm' }) @IsString() @PartyCode() holder!: string;

  @ApiProperty({ example: '30', pattern: WHOLE_UNITS.source })
  @IsString({ message: WHOLE_UNITS_MESSAGE })
  @Matches(WHOLE_UNITS, { message: WHOLE_UNITS_MESSAGE })
  units!: string;

  @ApiPropertyOptional({ example: '100.00', description: "CNY per unit; defaults to the project's guaranteed buy-back price" }) @IsOptional() @IsDecimalString() unitPrice?: string;
  @ApiPropertyOptional({ example: '兑付协议 2035-001' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(200) documentReference?: string;
  @ApiPropertyOptional({ example: '2025-11-23' }) @IsOptional() @IsCalendarDate() effectiveDate?: string;
}

// ------------------------------------------------------------------ responses

export class SeriesPartyResponse {
  @ApiProperty({ example: 'F-YCLC' }) code!: string;
  @ApiProperty({ example: '阳城国有林场' }) name!: string;
}

export class SeriesResponse {
  @ApiProperty({ example: 'YC-DXG-2025' }) code!: string;
  @ApiProperty({ example: '林票 大西沟村油松合作造林项目' }) name!: string;
  @ApiProperty({ example: 'YC-DXG-2025' }) project!: string;
  @ApiProperty() projectName!: string;
  @ApiProperty({ enum: ['DRAFT', 'ACTIVE', 'CLOSED'] }) projectState!: string;
  @ApiProperty({ enum: ['TICKET', 'INCOME_RIGHT'], description: 'TICKET: 林票 of a cooperation project; INCOME_RIGHT: 集体林地收益权证书 of a collective scheme' })
  instrument!: 'TICKET' | 'INCOME_RIGHT';
  @ApiProperty({ type: SeriesPartyResponse, nullable: true, description: 'The issuing farm; null for an income-right scheme (the collective issues it)' })
  farm!: SeriesPartyResponse | null;
  @ApiProperty({ type: SeriesPartyResponse }) collective!: SeriesPartyResponse;
  @ApiProperty({ example: 'LP.YC-DXG-2025', description: 'The ledger asset of the units (scale 0)' }) assetCode!: string;
  @ApiProperty({ example: '100.00', description: 'CNY per unit' }) faceValue!: string;
  @ApiProperty({ example: '5000' }) totalUnits!: string;
  @ApiProperty({ enum: TRANSFER_RESTRICTIONS }) transferRestriction!: TransferRestriction;
  @ApiProperty({ example: '2025-03-15' }) issuedOn!: string;
  @ApiProperty() issuanceEntryId!: string;
  @ApiProperty({ example: 12, description: 'Holdings (certificates) ever created, including emptied ones' }) holders!: number;
  @ApiProperty({ nullable: true, type: String, example: '100.00' }) guaranteedBuyBackPrice!: string | null;
}

export class RegisterLineResponse {
  @ApiProperty({ example: 'YC-DXG-2025-000003' }) certificateNo!: string;
  @ApiProperty({ example: 'V-0001' }) partyCode!: string;
  @ApiProperty({ example: '张守仁' }) name!: string;
  @ApiProperty({ nullable: true, type: String, example: '1405**********0310' }) idMasked!: string | null;
  @ApiProperty({ enum: HOLDING_ORIGINS }) origin!: HoldingOrigin;
  @ApiProperty({ example: '140', description: 'Free plus pledged units' }) units!: string;
  @ApiProperty({ example: '20' }) pledgedUnits!: string;
  @ApiProperty({ example: '0.0280000000', description: 'units / total, 10 decimals, largest remainder: the column adds up to exactly 1' }) share!: string;
}

export class RegisterResponse {
  @ApiProperty({ example: 'YC-DXG-2025' }) series!: string;
  @ApiProperty({ example: '2025-12-31' }) asOf!: string;
  @ApiProperty({ example: '5000' }) totalUnits!: string;
  @ApiProperty({ example: '200', description: 'pledged units of all holders' }) pledgedUnits!: string;
  @ApiProperty({ example: 12 }) holders!: number;
  @ApiProperty({ type: [RegisterLineResponse], description: "every holder's line; a FARM_OPERATOR's only its own farm's (the totals stay the series')" })
  lines!: RegisterLineResponse[];
}

export class PositionResponse {
  @ApiProperty({ example: 'V-0003' }) party!: string;
  @ApiProperty({ example: 'YC-DXG-2025-000005' }) certificateNo!: string;
  @ApiProperty({ example: '130', description: 'Free units (can move)' }) units!: string;
  @ApiProperty({ example: '0' }) pledgedUnits!: string;
  @ApiPropertyOptional({ example: '1050.00', description: 'The CNY wallet, when money moved' }) walletBalance?: string;
}

export class MovementResponse {
  @ApiProperty({ example: 'YC-DXG-2025' }) series!: string;
  @ApiProperty({ enum: MOVEMENT_KINDS }) kind!: MovementKind;
  @ApiProperty({ description: 'The one ledger entry of the movement' }) entryId!: string;
  @ApiProperty({ type: [String] }) movementIds!: string[];
  @ApiPropertyOptional({ description: 'Pledges and their release or enforcement' }) pledgeId?: string;
  @ApiPropertyOptional({ example: '1050.00', description: 'Trades and buy-backs: units × unit price, rounded to the 分 once' }) amount?: string;
  @ApiPropertyOptional({ example: '5.00', description: 'The platform fee the buyer paid on top' }) fee?: string;
  @ApiProperty({ type: [PositionResponse], description: "The parties' positions right after" }) positions!: PositionResponse[];
}

export class PledgeResponse {
  @ApiProperty({ example: '4' }) id!: string;
  @ApiProperty({ example: 'YC-DXG-2025' }) series!: string;
  @ApiProperty({ example: 'V-0003' }) holder!: string;
  @ApiProperty({ example: 'K-NSH' }) pledgee!: string;
  @ApiProperty({ example: '20' }) units!: string;
  @ApiProperty() contractReference!: string;
  @ApiProperty({ enum: PLEDGE_STATES }) state!: PledgeState;
  @ApiProperty() pledgeEntryId!: string;
  @ApiProperty({ nullable: true, type: String }) closingEntryId!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ nullable: true, type: String, format: 'date-time' }) closedAt!: string | null;
}

export class CertificateHolderResponse {
  @ApiProperty({ example: 'V-0001' }) code!: string;
  @ApiProperty({ example: '张守仁' }) name!: string;
  @ApiProperty({ nullable: true, type: String, example: '1405**********0310' }) idMasked!: string | null;
}

export class CertificateHouseholdResponse {
  @ApiProperty({ example: 'H-DXG-101' }) code!: string;
  @ApiProperty({ example: '张守仁户' }) name!: string;
}

export class CertificateResponse {
  @ApiProperty({ example: 'YC-DXG-2025-000003' }) certificateNo!: string;
  @ApiProperty({ enum: ['TICKET', 'INCOME_RIGHT'], description: 'TICKET: 林票持有凭证; INCOME_RIGHT: 集体林地收益权证书' }) instrument!: 'TICKET' | 'INCOME_RIGHT';
  @ApiProperty({ example: 'YC-DXG-2025' }) series!: string;
  @ApiProperty() seriesName!: string;
  @ApiProperty() project!: string;
  @ApiProperty() projectName!: string;
  @ApiProperty({ type: CertificateHolderResponse }) holder!: CertificateHolderResponse;
  @ApiProperty({
    type: CertificateHouseholdResponse,
    nullable: true,
    description: 'Issued per household (收益权量化到户): the household whose units these are; the holder is its head (户主). Null otherwise',
  })
  household!: CertificateHouseholdResponse | null;
  @ApiProperty({ enum: HOLDING_ORIGINS }) origin!: HoldingOrigin;
  @ApiProperty({ example: '120', description: 'Free units now' }) units!: string;
  @ApiProperty({ example: '20' }) pledgedUnits!: string;
  @ApiProperty({ example: '100.00' }) faceValue!: string;
  @ApiProperty({ example: '14000.00', description: '(units + pledged) × face value, CNY' }) faceAmount!: string;
  @ApiProperty({ example: '壹万肆仟元整', description: '大写金额' }) faceAmountInWords!: string;
  @ApiProperty({ enum: TRANSFER_RESTRICTIONS }) transferRestriction!: TransferRestriction;
  @ApiProperty({ example: '2025-03-15' }) issuedOn!: string;
  @ApiProperty({ example: '7K2M-9QXH-4TNB-R8WD', description: 'Printed on the certificate; anyone can check it at verificationUrl' }) verificationCode!: string;
  @ApiProperty({ example: 'http://localhost:3000/v1/public/certificates/7K2M9QXH4TNBR8WD' }) verificationUrl!: string;
}

export class VerificationResponse {
  @ApiProperty({ description: "True while the certificate's holding has units" }) valid!: boolean;
  @ApiProperty({ example: 'YC-DXG-2025-000003' }) certificateNo!: string;
  @ApiProperty({ example: 'YC-DXG-2025' }) series!: string;
  @ApiProperty() seriesName!: string;
  @ApiProperty() projectName!: string;
  @ApiProperty({ example: '阳城国有林场' }) issuer!: string;
  @ApiProperty({ example: '张*仁', description: "A person's name masked; an organisation's in full" }) holderName!: string;
  @ApiProperty({ example: '140', description: 'Units held (free and pledged) today' }) units!: string;
  @ApiProperty({ example: '20' }) pledgedUnits!: string;
  @ApiProperty({ example: '100.00' }) faceValue!: string;
  @ApiProperty({ example: '2025-11-23' }) asOf!: string;
}
