import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { PARTY_CODE_PATTERN, TICKET_LISTING_STATES } from '@forest-ledger/forestry';
import type { TicketListingState } from '@forest-ledger/forestry';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { IsCalendarDate, IsDecimalString } from '../../http/validators';
import { PositionResponse, RegisterLineResponse, RegisterResponse, WHOLE_UNITS } from './tickets.dto';

const toBool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);
const PARTY_CODE_MESSAGE = '$property must be a party code: 1-48 of upper-case letters, digits, ".", "_", "-"';
const WHOLE_UNITS_MESSAGE = '$property must be a whole number of units as a string, e.g. "100"';

// ------------------------------------------------------------------ requests

export class TicketListingDto {
  @ApiProperty({ example: 'V-0001', description: 'The holder who sells (staff act for a villager on their written request; a FARM_OPERATOR only for its farm)' })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  seller!: string;

  @ApiProperty({ example: '50', pattern: WHOLE_UNITS.source, description: "Whole units, from the seller's free (not pledged, not listed) units" })
  @IsString({ message: WHOLE_UNITS_MESSAGE })
  @Matches(WHOLE_UNITS, { message: WHOLE_UNITS_MESSAGE })
  units!: string;

  @ApiProperty({ example: '108.00', description: 'CNY per unit, 2 decimals' }) @IsDecimalString() unitPrice!: string;

  @ApiProperty({ example: '2027-01-31', description: 'The last day the listing can be taken (today … today + 365 days); the daily run expires it the day after' })
  @IsCalendarDate()
  expiresOn!: string;

  @ApiPropertyOptional({ example: '0.005', description: 'Fee rate the buyer pays on top (amount × rate, to platform:fees:CNY); ADMIN only; default 0' })
  @IsOptional()
  @IsDecimalString()
  feeRate?: string;
}

export class TicketTakeDto {
  @ApiProperty({ example: 'V-0004', description: "Who buys; a BUYER only its own party. The series' transfer restriction applies" })
  @IsString()
  @Matches(PARTY_CODE_PATTERN, { message: PARTY_CODE_MESSAGE })
  buyer!: string;

  @ApiProperty({ example: '20', pattern: WHOLE_UNITS.source, description: 'Whole units, at most what the listing has available' })
  @IsString({ message: WHOLE_UNITS_MESSAGE })
  @Matches(WHOLE_UNITS, { message: WHOLE_UNITS_MESSAGE })
  units!: string;

  @ApiPropertyOptional({ example: '2026-12-03', description: 'Between the issue date and today; defaults to today (Asia/Shanghai)' })
  @IsOptional()
  @IsCalendarDate()
  effectiveDate?: string;
}

export class TicketListingQuery {
  @ApiPropertyOptional({ example: 'YC-DXG-2025' }) @IsOptional() @IsString() series?: string;
  @ApiPropertyOptional({ enum: TICKET_LISTING_STATES }) @IsOptional() @IsIn(TICKET_LISTING_STATES) state?: TicketListingState;
}

export class PriceHistoryQuery {
  @ApiPropertyOptional({ example: '2026-01-01' }) @IsOptional() @IsCalendarDate() from?: string;
  @ApiPropertyOptional({ example: '2026-12-31' }) @IsOptional() @IsCalendarDate() to?: string;
}

export class ValuedRegisterQuery {
  @ApiPropertyOptional({ example: '2025-12-31', description: 'The register at the end of this date (effective dates); defaults to today (Asia/Shanghai)' })
  @IsOptional()
  @IsCalendarDate()
  asOf?: string;

  @ApiPropertyOptional({ description: 'Add an indicative value of each line and the total at the last market price on or before asOf' })
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  valueAtLastPrice?: boolean;
}

// ------------------------------------------------------------------ responses

export class TicketListingResponse {
  @ApiProperty({ example: '12' }) id!: string;
  @ApiProperty({ example: 'YC-DXG-2025' }) series!: string;
  @ApiProperty({ example: 'V-0001' }) seller!: string;
  @ApiProperty({ example: '108.00' }) unitPrice!: string;
  @ApiProperty({ example: '50' }) unitsListed!: string;
  @ApiProperty({ example: '30' }) unitsAvailable!: string;
  @ApiProperty({ example: '0' }) feeRate!: string;
  @ApiProperty({ example: '2027-01-31' }) expiresOn!: string;
  @ApiProperty({ enum: TICKET_LISTING_STATES }) state!: TicketListingState;
  @ApiProperty({ description: 'The entry that moved the units to the listed account' }) listingEntryId!: string;
  @ApiProperty({ nullable: true, type: String, description: 'The entry that returned the unsold units (withdrawal or expiry)' }) closingEntryId!: string | null;
  @ApiProperty() createdAt!: string;
  @ApiProperty({ nullable: true, type: String }) closedAt!: string | null;
}

export class TicketTakeResponse {
  @ApiProperty({ example: '3' }) id!: string;
  @ApiProperty({ example: '12' }) listingId!: string;
  @ApiProperty({ example: 'V-0004', description: "empty for a seller looking at another party's take" }) buyer!: string;
  @ApiProperty({ example: '20' }) units!: string;
  @ApiProperty({ example: '108.00' }) unitPrice!: string;
  @ApiProperty({ example: '2160.00' }) amount!: string;
  @ApiProperty({ example: '0.00' }) fee!: string;
  @ApiProperty({ example: '2026-12-03' }) effectiveDate!: string;
  @ApiProperty() entryId!: string;
}

export class TicketListingDetailResponse extends TicketListingResponse {
  @ApiProperty({ type: [TicketTakeResponse] }) takes!: TicketTakeResponse[];
}

export class TicketTakeOutcomeResponse {
  @ApiProperty({ type: TicketListingResponse }) listing!: TicketListingResponse;
  @ApiProperty({ type: TicketTakeResponse }) take!: TicketTakeResponse;
  @ApiProperty({ type: [PositionResponse], description: "The seller's and buyer's free units and wallets after the take (a BUYER sees its own only)" })
  positions!: PositionResponse[];
}

export class LastPriceResponse {
  @ApiProperty({ example: '2026-12-03' }) date!: string;
  @ApiProperty({ example: '108.00' }) unitPrice!: string;
}

export class PricePointResponse {
  @ApiProperty({ example: '2026-12-03' }) date!: string;
  @ApiProperty({ example: '20' }) units!: string;
  @ApiProperty({ example: '108.00' }) unitPrice!: string;
}

export class PriceHistoryResponse {
  @ApiProperty({ example: 'YC-DXG-2025' }) series!: string;
  @ApiProperty({ type: LastPriceResponse, nullable: true }) lastPrice!: LastPriceResponse | null;
  @ApiProperty({ type: [PricePointResponse], description: 'Every market trade, oldest first; no parties' }) trades!: PricePointResponse[];
}

export class ValuedRegisterLineResponse extends RegisterLineResponse {
  @ApiPropertyOptional({ nullable: true, type: String, example: '38880.00', description: 'units × last price (with ?valueAtLastPrice=true)' }) indicativeValue?: string | null;
}

export class ValuedRegisterResponse extends RegisterResponse {
  @ApiPropertyOptional({ type: LastPriceResponse, nullable: true, description: 'with ?valueAtLastPrice=true' }) lastPrice?: LastPriceResponse | null;
  @ApiPropertyOptional({ nullable: true, type: String, description: 'totalUnits × last price (with ?valueAtLastPrice=true); an indication, not a valuation' })
  indicativeTotalValue?: string | null;
}
