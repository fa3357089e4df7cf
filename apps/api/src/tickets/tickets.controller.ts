import { ownerScopeOf, partyLinesSeenBy, actingPartyOf, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER, XLSX_CONTENT_TYPE } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { businessToday, CertificatesService, MovementsService, SeriesService, TicketError, TicketMarketService } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { DataSource, EntityManager } from 'typeorm';
import { ALL_ROLES, CurrentUser, Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { contentDisposition } from './content-disposition';
import { ValuedRegisterQuery, ValuedRegisterResponse } from './dto/market.dto';
import {
  BuyBackDto,
  EnforceDto,
  InheritanceDto,
  MovementResponse,
  PledgeCloseDto,
  PledgeDto,
  PledgeQuery,
  PledgeResponse,
  RegisterQuery,
  SeriesResponse,
  TradeDto,
} from './dto/tickets.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** 林票 series, their register and the movements of their units. */
@ApiTags('林票 (tickets)')
@Controller('v1')
@ApiErrorCodes('ticket', 'issuancePlan', 'project', 'party', 'ledger')
export class TicketsController {
  constructor(
    private readonly series: SeriesService,
    private readonly movements: MovementsService,
    private readonly certificates: CertificatesService,
    private readonly market: TicketMarketService,
    private readonly commands: CommandRunner,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Get('series')
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: "List 林票 series (by code, at most 500); scoped callers see their farm's or collective's series and those they hold units of" })
  @ApiOkResponse({ type: [SeriesResponse] })
  @ApiErrors(401, 403)
  list(@CurrentUser() user: AuthUser): Promise<SeriesResponse[]> {
    return this.series.list(ownerScopeOf(user));
  }

  @Get('series/:code')
  @Roles(...ALL_ROLES)
  @ApiOperation({ summary: 'Get a 林票 series; one a scoped caller may not see is a 404, like an unknown code' })
  @ApiOkResponse({ type: SeriesResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<SeriesResponse> {
    return this.series.get(code, ownerScopeOf(user));
  }

  @Get('series/:code/register')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({
    summary: "The holder register (股东名册) at the end of a date: every holder's units, pledged units and share (the shares add up to exactly 1)",
    description:
      "A FARM_OPERATOR gets only its own farm's series (any other is a 404), with the totals and only its own holding's line: the holders' lines are theirs. " +
      'With ?valueAtLastPrice=true each line and the total carry an indicative value at the last market price on or before asOf (null before the first trade).',
  })
  @ApiOkResponse({ type: ValuedRegisterResponse })
  @ApiErrors(400, 401, 403, 404)
  async register(@Param('code') code: string, @Query() query: ValuedRegisterQuery, @CurrentUser() user: AuthUser): Promise<ValuedRegisterResponse> {
    await this.issuingFarmOnly(this.dataSource.manager, code, user);
    const register = await this.series.register(code, query.asOf, undefined, ownerScopeOf(user));
    return query.valueAtLastPrice ? this.market.valueAtLastPrice(register) : register;
  }

  @Get('series/:code/register.xlsx')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'The holder register as an Excel workbook (持有人名册, one sheet with a total row)',
    description: "A FARM_OPERATOR gets only its own farm's series, with the totals and only its own line.",
  })
  @ApiProduces(XLSX_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'An .xlsx attachment' })
  @ApiErrors(400, 401, 403, 404)
  async registerWorkbook(
    @Param('code') code: string,
    @Query() query: RegisterQuery,
    @CurrentUser() user: AuthUser,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<StreamableFile> {
    await this.issuingFarmOnly(this.dataSource.manager, code, user);
    const asOf = query.asOf ?? businessToday();
    const { fileName, buffer } = await this.certificates.registerWorkbook(code, asOf, ownerScopeOf(user));
    res.header('Content-Type', XLSX_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('attachment', fileName, `register-${code}-${asOf}.xlsx`));
    return new StreamableFile(buffer, { length: buffer.length });
  }

  @Post('series/:code/trades')
  @Roles('ADMIN')
  @ApiOperation({
    summary: 'Trade units between holders, delivery versus payment in one entry',
    description:
      "holder:<seller>:tickets:<series> → holder:<buyer>:tickets:<series>; the buyer's wallet pays units × unitPrice to the seller's, and the fee (if any) to platform:fees:CNY on top. " +
      "Only free units move (422 INSUFFICIENT_UNITS); the buyer must pass the series' restriction (422 TRANSFER_RESTRICTED) and afford price + fee (422 INSUFFICIENT_FUNDS).",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: MovementResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  trade(@Param('code') code: string, @Body() dto: TradeDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<MovementResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.movements.trade(em, code, dto, key));
  }

  @Post('series/:code/inheritances')
  @Roles('ADMIN')
  @ApiOperation({
    summary: "Inheritance (继承): all the deceased holder's units to the heirs as split, without price",
    description: "Exempt from the transfer restriction. The heirs' units must add up to the holder's (422 HEIRS_MISMATCH); pledged units must be released or enforced first.",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: MovementResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  inherit(@Param('code') code: string, @Body() dto: InheritanceDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<MovementResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.movements.inherit(em, code, dto, key));
  }

  @Post('series/:code/pledges')
  @Roles('ADMIN')
  @ApiOperation({
    summary: "Pledge (质押) units to a bank: they move to holder:<party>:tickets:<series>:pledged, still the holder's, and cannot move until released or enforced",
    description: 'Refused for a non-transferable series (NONE).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: MovementResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  pledge(@Param('code') code: string, @Body() dto: PledgeDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<MovementResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.movements.pledge(em, code, dto, key));
  }

  @Get('series/:code/pledges')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'The pledges of a series, oldest first, by holder and state' })
  @ApiOkResponse({ type: [PledgeResponse] })
  @ApiErrors(400, 401, 403, 404)
  pledges(@Param('code') code: string, @Query() query: PledgeQuery): Promise<PledgeResponse[]> {
    return this.movements.pledges(this.dataSource.manager, code, { holder: query.holder, state: query.state });
  }

  @Post('pledges/:id/release')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Release an active pledge: the units return to the holder's free account" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: MovementResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  release(@Param('id') id: string, @Body() dto: PledgeCloseDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<MovementResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em, key) => this.movements.releasePledge(em, id, dto, key));
  }

  @Post('pledges/:id/enforce')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Enforce an active pledge (质权实现): the pledged units go to the bank, or to a transferee it names',
    description: "The transferee must pass the series' transfer restriction (422 TRANSFER_RESTRICTED).",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: MovementResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  enforce(@Param('id') id: string, @Body() dto: EnforceDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<MovementResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em, key) => this.movements.enforcePledge(em, id, dto, key));
  }

  @Post('series/:code/buy-backs')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'Buy-back (兑现 / 兜底回购) by the issuing farm, from its own wallet, at the guaranteed or an agreed price',
    description:
      "Exempt from the transfer restriction. The farm's wallet must cover the amount (422 INSUFFICIENT_FUNDS). A FARM_OPERATOR may buy back only its own farm's series (else 404).",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: MovementResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  buyBack(
    @Param('code') code: string,
    @Body() dto: BuyBackDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<MovementResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => {
      await this.issuingFarmOnly(em, code, user);
      const outcome = await this.movements.buyBack(em, code, dto, key);
      // The holder's units and wallet after the buy-back are theirs: a FARM_OPERATOR's answer shows its own position only.
      return { ...outcome, positions: partyLinesSeenBy(ownerScopeOf(user), outcome.positions, (p) => p.party) };
    });
  }

  /** A FARM_OPERATOR acts only on its own farm's series; any other is a 404 (UNKNOWN_SERIES), like an unknown code. */
  private async issuingFarmOnly(em: EntityManager, code: string, user: AuthUser): Promise<void> {
    const own = actingPartyOf(user);
    if (own === null) return;
    const series = await this.series.load(em, code);
    if (series.farm_code !== own) throw new TicketError('UNKNOWN_SERIES', `no 林票 series ${JSON.stringify(code)}`, 'series');
  }
}
