import { ownerScopeOf, partyLinesSeenBy, ownPartyOnly, requireRole, type AuthUser } from '@forest-ledger/access';
import { CSV_CONTENT_TYPE, IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { DomainError } from '@forest-ledger/common';
import { TicketMarketService, listingScopeOf, TICKET_POLICIES } from '@forest-ledger/forestry';
import { ALL_ROLES, CurrentUser, Public, Roles } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CommandRunner } from '../http/idempotency';
import { contentDisposition } from './content-disposition';
import {
  PriceHistoryQuery,
  PriceHistoryResponse,
  TicketListingDetailResponse,
  TicketListingDto,
  TicketListingQuery,
  TicketListingResponse,
  TicketTakeDto,
  TicketTakeOutcomeResponse,
} from './dto/market.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** Spreadsheet programs read a UTF-8 CSV as UTF-8 (not GBK) only with the byte order mark. */
const UTF8_BOM = '\uFEFF';

/** The 林票 market (挂牌/摘牌): listings that reserve a holder's units, takes that settle delivery versus payment, and the public price history. */
@ApiTags('林票 market')
@Controller('v1')
@ApiErrorCodes('ticket', 'party', 'ledger')
export class TicketMarketController {
  constructor(
    private readonly market: TicketMarketService,
    private readonly commands: CommandRunner,
  ) {}

  @Post('series/:code/listings')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary:
      "List units for sale (挂牌): they move to holder:<seller>:tickets:<series>:listed, still the seller's, and cannot be traded, pledged or inherited until sold, withdrawn or expired",
    description:
      'Only free units (422 INSUFFICIENT_UNITS: pledged or already listed units cannot be listed); a non-transferable series is 422 TRANSFER_RESTRICTED. ' +
      'Staff list for a villager on their written request; a FARM_OPERATOR only for its own party (403 FORBIDDEN, field seller). feeRate is for ADMINs (403 FORBIDDEN, field feeRate).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: TicketListingResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  list(
    @Param('code') code: string,
    @Body() dto: TicketListingDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<TicketListingResponse> {
    ownPartyOnly(user, dto.seller, 'seller');
    if (dto.feeRate !== undefined) requireRole(user, TICKET_POLICIES.setListingFee, (m) => new DomainError('forbidden', 'FORBIDDEN', m, 'feeRate'));
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.market.createListing(em, code, dto, key));
  }

  @Get('ticket-listings')
  @Roles(...ALL_ROLES)
  @ApiOperation({
    summary: 'Listings of 林票, newest first (at most 500), of one series and/or in one state (OPEN for what can be taken)',
    description: "Staff see every listing; a BUYER the market without the sellers (seller ''); a FARM_OPERATOR or a VILLAGER only its own listings.",
  })
  @ApiOkResponse({ type: [TicketListingResponse] })
  @ApiErrors(400, 401, 403)
  listings(@Query() query: TicketListingQuery, @CurrentUser() user: AuthUser): Promise<TicketListingResponse[]> {
    return this.market.listings({ series: query.series, state: query.state }, listingScopeOf(user));
  }

  @Get('ticket-listings/:id')
  @Roles(...ALL_ROLES)
  @ApiOperation({
    summary: "A listing with its takes; another seller's listing is a 404 to a FARM_OPERATOR or a VILLAGER, who see their takes' dates, units and prices but not the buyers",
  })
  @ApiOkResponse({ type: TicketListingDetailResponse })
  @ApiErrors(401, 403, 404)
  listing(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<TicketListingDetailResponse> {
    return this.market.getListing(id, listingScopeOf(user));
  }

  @Post('ticket-listings/:id/withdraw')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: "Withdraw an OPEN listing (撤牌): its unsold units return to the seller's free account (422 LISTING_NOT_OPEN otherwise); a FARM_OPERATOR only its own (else 404)",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: TicketListingResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  withdraw(@Param('id') id: string, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<TicketListingResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em, key) => this.market.withdraw(em, id, key, ownerScopeOf(user)));
  }

  @Post('ticket-listings/:id/takes')
  @Roles('ADMIN', 'BUYER')
  @ApiOperation({
    summary: 'Take all or part of a listing (摘牌): delivery versus payment in one ledger entry',
    description:
      "holder:<seller>:tickets:<series>:listed → holder:<buyer>:tickets:<series>; party:<buyer>:wallet:CNY pays units × price (rounded to the 分 once) to the seller's wallet and the fee " +
      "(amount × the listing's feeRate) to platform:fees:CNY. More than available: 422 INSUFFICIENT_UNITS; an expired, withdrawn or sold-out listing: 422 LISTING_NOT_OPEN; the series' restriction " +
      '(422 TRANSFER_RESTRICTED) and the closed register (422 REGISTER_CLOSED) apply as for trades; a buyer who cannot pay: 422 INSUFFICIENT_FUNDS. A BUYER takes only for its own party (403 FORBIDDEN).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: TicketTakeOutcomeResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  take(
    @Param('id') id: string,
    @Body() dto: TicketTakeDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<TicketTakeOutcomeResponse> {
    ownPartyOnly(user, dto.buyer, 'buyer');
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => {
      const outcome = await this.market.take(em, id, dto, key);
      // The seller's units and wallet after the take are the seller's: a BUYER's answer shows its own position only, and no seller.
      const scope = ownerScopeOf(user);
      if (scope === null) return outcome;
      return { ...outcome, listing: { ...outcome.listing, seller: '' }, positions: partyLinesSeenBy(scope, outcome.positions, (p) => p.party) };
    });
  }

  @Get('public/series/:code/prices')
  @Public()
  @ApiOperation({ summary: "The public, anonymised price history of a series' market (no login): every trade's date, units and price per unit, and the last price; never a party" })
  @ApiOkResponse({ type: PriceHistoryResponse })
  @ApiErrors(400, 404)
  prices(@Param('code') code: string, @Query() query: PriceHistoryQuery): Promise<PriceHistoryResponse> {
    return this.market.priceHistory(code, { from: query.from, to: query.to });
  }

  @Get('public/series/:code/prices.csv')
  @Public()
  @ApiOperation({ summary: 'The price history as CSV (UTF-8 with BOM, CRLF): date, units, price per unit' })
  @ApiProduces(CSV_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'A CSV attachment' })
  @ApiErrors(400, 404)
  async pricesCsv(@Param('code') code: string, @Query() query: PriceHistoryQuery, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const buffer = Buffer.from(UTF8_BOM + (await this.market.priceHistoryCsv(code, { from: query.from, to: query.to })), 'utf8');
    res.header('Content-Type', CSV_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('attachment', `林票成交价-${code}.csv`, `ticket-prices-${code}.csv`));
    return new StreamableFile(buffer, { length: buffer.length });
  }
}
