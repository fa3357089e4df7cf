import { actingPartyOf, ownPartyOnly, type AuthUser, type Role } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER, PDF_CONTENT_TYPE } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { CarbonError, CarbonMarketService, CarbonReadsService, CarbonRetirementService, saleSeenBy, listingSellerScopeOf, saleScopeOf } from '@forest-ledger/forestry';
import type { RetirementView } from '@forest-ledger/forestry';
import { CurrentUser, Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CommandRunner } from '../http/idempotency';
import { contentDisposition } from '../tickets/content-disposition';
import { ListingQuery, ListingResponse, OrderDto, RetirementResponse, SaleResponse } from './dto/carbon.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** Who may look at the market's listings: staff, the sellers' operators and the buyers. */
export const MARKET_READERS: Role[] = [...STAFF_READERS, 'FARM_OPERATOR', 'BUYER'];

/** The carbon market: listings, orders (payment, delivery and revenue shares in one entry), sales, and retirement certificates. */
@ApiTags('carbon credits')
@Controller('v1/carbon')
@ApiErrorCodes('carbon', 'party', 'ledger')
export class CarbonMarketController {
  constructor(
    private readonly market: CarbonMarketService,
    private readonly retirements: CarbonRetirementService,
    private readonly reads: CarbonReadsService,
    private readonly commands: CommandRunner,
  ) {}

  @Get('listings')
  @Roles(...MARKET_READERS)
  @ApiOperation({
    summary: 'Listings, newest first (at most 500), of one project and/or in one state (OPEN for what can be bought)',
    description: 'A BUYER sees the whole market; a FARM_OPERATOR only its own listings.',
  })
  @ApiOkResponse({ type: [ListingResponse] })
  @ApiErrors(400, 401, 403)
  listings(@Query() query: ListingQuery, @CurrentUser() user: AuthUser): Promise<ListingResponse[]> {
    return this.reads.listListings({ project: query.project, state: query.state, seller: listingSellerScopeOf(user) });
  }

  @Get('listings/:id')
  @Roles(...MARKET_READERS)
  @ApiOperation({ summary: "A listing with its price and the tonnes still available; another seller's listing is a 404 to a FARM_OPERATOR" })
  @ApiOkResponse({ type: ListingResponse })
  @ApiErrors(401, 403, 404)
  async listing(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<ListingResponse> {
    const listing = await this.market.getListing(id);
    const seller = listingSellerScopeOf(user);
    if (seller !== undefined && listing.seller !== seller) throw new CarbonError('UNKNOWN_LISTING', `no listing ${JSON.stringify(id)}`, 'listing');
    return listing;
  }

  @Post('listings/:id/cancel')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'End an OPEN listing: its unsold tonnes go back to HELD (422 LISTING_NOT_OPEN otherwise); a FARM_OPERATOR cancels only its own listings (else 404)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ListingResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  cancel(@Param('id') id: string, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ListingResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em) => {
      const listing = await this.market.getListing(id, em);
      const own = actingPartyOf(user);
      if (own !== null && listing.seller !== own) throw new CarbonError('UNKNOWN_LISTING', `no listing ${JSON.stringify(id)}`, 'listing');
      return this.market.cancelListing(em, id);
    });
  }

  @Post('listings/:id/orders')
  @Roles('ADMIN', 'BUYER')
  @ApiOperation({
    summary: 'Buy from a listing: payment, delivery and the revenue shares settle in one ledger entry',
    description:
      "party:<buyer>:wallet:CNY → carbon-project:<code>:revenue:CNY (quantity × price, rounded to the 分 once) → the shares of the project's current revenue rule (largest remainder, exact to the 分; " +
      'a resale pays the seller the whole price); holder:<seller>:credits:<code> → holder:<buyer>:credits:<code>, the oldest serials first (the last block split). ' +
      'More than available: 422 INSUFFICIENT_CREDITS (field quantity); a buyer who cannot pay: 422 INSUFFICIENT_FUNDS (field buyer); nothing moves. A BUYER may only buy for its own party (403 FORBIDDEN, field buyer).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: SaleResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  order(
    @Param('id') id: string,
    @Body() dto: OrderDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<SaleResponse> {
    ownPartyOnly(user, dto.buyer, 'buyer');
    // The buyer's answer shows its purchase, not how the seller's revenue is shared among others.
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => saleSeenBy(saleScopeOf(user), await this.market.order(em, id, dto, key)));
  }

  @Get('sales/:id')
  @Roles(...MARKET_READERS)
  @ApiOperation({ summary: 'A sale with its serials, revenue shares and rule version; a BUYER sees its purchases, a FARM_OPERATOR its sales, else 404' })
  @ApiOkResponse({ type: SaleResponse })
  @ApiErrors(401, 403, 404)
  sale(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<SaleResponse> {
    return this.reads.saleFor(id, saleScopeOf(user));
  }

  @Get('retirements/:certificateNo')
  @Roles(...STAFF_READERS, 'BUYER')
  @ApiOperation({ summary: 'A retirement and its certificate content, hash and verification code; a BUYER sees only its own retirements, else 404' })
  @ApiOkResponse({ type: RetirementResponse })
  @ApiErrors(401, 403, 404)
  retirement(@Param('certificateNo') certificateNo: string, @CurrentUser() user: AuthUser): Promise<RetirementResponse> {
    return this.ownRetirement(certificateNo, user);
  }

  @Get('retirements/:certificateNo/pdf')
  @Roles(...STAFF_READERS, 'BUYER')
  @ApiOperation({
    summary: 'The retirement certificate (碳汇注销证明) as a one-page PDF in Chinese with its verification code; the beneficiary is printed only if they allowed it',
  })
  @ApiProduces(PDF_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'A PDF, inline' })
  @ApiErrors(401, 403, 404)
  async pdf(@Param('certificateNo') certificateNo: string, @CurrentUser() user: AuthUser, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    const retirement = await this.ownRetirement(certificateNo, user);
    const buffer = await this.retirements.certificatePdf(retirement.id);
    res.header('Content-Type', PDF_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('inline', `碳汇注销证明-${retirement.certificateNo}.pdf`, `carbon-certificate-${retirement.certificateNo}.pdf`));
    return new StreamableFile(buffer, { length: buffer.length });
  }

  /** A BUYER sees only the retirements it made; any other is a 404, like an unknown number. */
  private async ownRetirement(certificateNo: string, user: AuthUser): Promise<RetirementView> {
    const retirement = await this.retirements.getRetirementByCertificate(certificateNo);
    const own = actingPartyOf(user);
    if (own !== null && retirement.retiringParty !== own)
      throw new CarbonError('UNKNOWN_CERTIFICATE', `no retirement certificate ${JSON.stringify(certificateNo)}`, 'certificateNo');
    return retirement;
  }
}
