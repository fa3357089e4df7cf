import { ApiProperty } from '@nestjs/swagger';
import { PAYOUT_LINE_STATES, TRANSFER_RESTRICTIONS } from '@forest-ledger/forestry';
import type { PayoutLineState, TransferRestriction } from '@forest-ledger/forestry';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { PartyDividendResponse } from '../../dividends/dto/dividends.dto';

export class AnnualStatementQuery {
  @ApiProperty({ example: 2026, description: 'A whole year from 2000 to this year' })
  @Type(() => Number)
  @IsInt()
  @Min(2000)
  @Max(9999)
  year!: number;
}

export class PortalPledgeResponse {
  @ApiProperty({ example: '中国工商银行阳城支行' }) pledgee!: string;
  @ApiProperty({ example: '300' }) units!: string;
  @ApiProperty() contractReference!: string;
  @ApiProperty({ example: '2026-03-01' }) since!: string;
}

export class PortalHoldingResponse {
  @ApiProperty({ example: 'YC-DXG-2025-000004' }) certificateNo!: string;
  @ApiProperty({ enum: ['TICKET', 'INCOME_RIGHT'], description: 'TICKET: 林票; INCOME_RIGHT: 集体林地收益权证书' }) instrument!: 'TICKET' | 'INCOME_RIGHT';
  @ApiProperty() series!: string;
  @ApiProperty() seriesName!: string;
  @ApiProperty() project!: string;
  @ApiProperty() projectName!: string;
  @ApiProperty({ example: '100.00' }) faceValue!: string;
  @ApiProperty({ example: '63', description: 'Free units' }) units!: string;
  @ApiProperty({ example: '0' }) pledgedUnits!: string;
  @ApiProperty({ example: '6300.00', description: '(units + pledged) × face value' }) faceAmount!: string;
  @ApiProperty({ enum: TRANSFER_RESTRICTIONS }) transferRestriction!: TransferRestriction;
  @ApiProperty({ example: '限本集体成员间转让' }) transferRestrictionLabel!: string;
  @ApiProperty({ example: '2025-12-31' }) issuedOn!: string;
  @ApiProperty({ type: [PortalPledgeResponse] }) pledges!: PortalPledgeResponse[];
}

export class PortalPayoutResponse {
  @ApiProperty() lineId!: string;
  @ApiProperty() batchId!: string;
  @ApiProperty({ example: '33.34' }) amount!: string;
  @ApiProperty({ enum: PAYOUT_LINE_STATES }) state!: PayoutLineState;
  @ApiProperty({ nullable: true, type: String }) paidOn!: string | null;
  @ApiProperty({ nullable: true, type: String }) bankName!: string | null;
  @ApiProperty({ nullable: true, type: String, example: '6228 **** **** 0000' }) cardMasked!: string | null;
  @ApiProperty({ nullable: true, type: String }) failureReason!: string | null;
  @ApiProperty() createdOn!: string;
}

class PortalHolderResponse {
  @ApiProperty() code!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: String, example: '1405**********0310' }) idMasked!: string | null;
}

class PortalWalletResponse {
  @ApiProperty({ example: 'party:V-0001:wallet:CNY' }) account!: string;
  @ApiProperty({ example: '12345.67' }) balance!: string;
}

export class PortalOverviewResponse {
  @ApiProperty({ example: '2026-11-23' }) asOf!: string;
  @ApiProperty({ type: PortalHolderResponse }) holder!: PortalHolderResponse;
  @ApiProperty({ type: [PortalHoldingResponse] }) holdings!: PortalHoldingResponse[];
  @ApiProperty({ type: [PartyDividendResponse] }) dividends!: PartyDividendResponse[];
  @ApiProperty({ type: PortalWalletResponse }) wallet!: PortalWalletResponse;
  @ApiProperty({ type: [PortalPayoutResponse] }) payouts!: PortalPayoutResponse[];
  @ApiProperty({ type: [Number], example: [2026, 2025] }) statementYears!: number[];
}
