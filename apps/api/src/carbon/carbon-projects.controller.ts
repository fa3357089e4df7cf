import { actingPartyOf, ownPartyOnly, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CarbonIssuanceService, CarbonMarketService, CarbonProjectsService, CarbonReadsService, CarbonRetirementService } from '@forest-ledger/forestry';
import { CurrentUser, Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CommandRunner } from '../http/idempotency';
import { revenueRuleOf } from './revenue-rule';
import {
  CarbonInvariantResponse,
  CarbonIssuanceResponse,
  CarbonProjectQuery,
  CarbonProjectResponse,
  CreateCarbonProjectDto,
  IssueCreditsDto,
  ListingDto,
  ListingResponse,
  RetireDto,
  RetirementResponse,
  RevenueRuleDto,
  RevenueRuleVersionResponse,
  SerialBlockResponse,
} from './dto/carbon.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** Forestry carbon projects (林业碳汇项目): registration, revenue rules, issuance by vintage, serial blocks, and the project's listings and retirements. */
@ApiTags('carbon credits')
@Controller('v1/carbon/projects')
@ApiErrorCodes('carbon', 'party', 'parcel', 'ledger')
export class CarbonProjectsController {
  constructor(
    private readonly projects: CarbonProjectsService,
    private readonly issuance: CarbonIssuanceService,
    private readonly market: CarbonMarketService,
    private readonly retirements: CarbonRetirementService,
    private readonly reads: CarbonReadsService,
    private readonly commands: CommandRunner,
  ) {}

  @Post()
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'Create a carbon project as a DRAFT, with its parcels and version 1 of its revenue-sharing rule',
    description:
      "Opens carbon-project:<code>:issued / :buffer / :retired (TCO2E), :revenue:CNY and the owner's holder:<owner>:credits:<code>. " +
      'The parcels must be attachable and claimed by no other carbon project over an overlapping period (409 PARCEL_ALREADY_CLAIMED, field parcelIds, `details.claims` naming each parcel, the other project and its period; a CLOSED project keeps only the span of the vintages it issued). A FARM_OPERATOR may only create projects it owns (403 FORBIDDEN, field ownerCode).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CarbonProjectResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  create(
    @Body() dto: CreateCarbonProjectDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<CarbonProjectResponse> {
    ownPartyOnly(user, dto.ownerCode, 'ownerCode');
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.projects.createProject(em, { ...dto, revenueRule: revenueRuleOf(dto.revenueRule) }));
  }

  @Get()
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({ summary: 'List carbon projects (by code, at most 500); a FARM_OPERATOR sees only those it owns' })
  @ApiOkResponse({ type: [CarbonProjectResponse] })
  @ApiErrors(400, 401, 403)
  list(@Query() query: CarbonProjectQuery, @CurrentUser() user: AuthUser): Promise<CarbonProjectResponse[]> {
    return this.projects.listProjects({ owner: actingPartyOf(user), state: query.state });
  }

  @Get(':code')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({ summary: "Get a carbon project with its parcels and current revenue rule; another owner's project is a 404 for a FARM_OPERATOR, like an unknown code" })
  @ApiOkResponse({ type: CarbonProjectResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<CarbonProjectResponse> {
    return this.reads.projectFor(code, actingPartyOf(user));
  }

  @Post(':code/register')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: "Register a DRAFT project with its standard's registry: from then on credits can be issued (422 CARBON_PROJECT_NOT_DRAFT otherwise)" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: CarbonProjectResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  register(@Param('code') code: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<CarbonProjectResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.projects.register(em, code));
  }

  @Post(':code/close')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Close a project: no more issuances; credits already issued are still listed, sold and retired (422 CARBON_PROJECT_CLOSED if closed already)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: CarbonProjectResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  close(@Param('code') code: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<CarbonProjectResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.projects.close(em, code));
  }

  @Post(':code/revenue-rules')
  @Roles('ADMIN')
  @ApiOperation({
    summary: "A new version of the project's revenue-sharing rule; later sales use it, earlier sales keep the version they recorded",
    description: 'The ratios add up to exactly 1 (400 INVALID_REVENUE_RULE naming rule.shares[i].…); TICKET_UNITS needs the project linked to a cooperation project.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: RevenueRuleVersionResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  setRevenueRule(
    @Param('code') code: string,
    @Body() dto: RevenueRuleDto,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<RevenueRuleVersionResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.projects.setRevenueRule(em, code, revenueRuleOf(dto)));
  }

  @Post(':code/issuances')
  @Roles('ADMIN')
  @ApiOperation({
    summary:
      "Issue one vintage (monitoring period) of verified whole tonnes: a serial block continuing the project's numbering, the buffer share (rounded down) withheld, in one TCO2E entry",
    description:
      'carbon-project:<code>:issued → holder:<owner>:credits:<code> and carbon-project:<code>:buffer. The project must be REGISTERED (422 CARBON_PROJECT_NOT_REGISTERED); ' +
      'the period must lie inside the crediting period (422 VINTAGE_OUTSIDE_CREDITING_PERIOD) and overlap no earlier issuance (422 VINTAGE_OVERLAPS).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CarbonIssuanceResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  issue(@Param('code') code: string, @Body() dto: IssueCreditsDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<CarbonIssuanceResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.issuance.issue(em, code, dto, key));
  }

  @Get(':code/issuances')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({ summary: "The project's issuances by vintage, with serials and buffer; a FARM_OPERATOR sees only its own projects'" })
  @ApiOkResponse({ type: [CarbonIssuanceResponse] })
  @ApiErrors(401, 403, 404)
  async issuances(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<CarbonIssuanceResponse[]> {
    await this.reads.projectFor(code, actingPartyOf(user));
    return this.issuance.issuances(code);
  }

  @Get(':code/serial-blocks')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: "The project's serial blocks by serial number: every tonne's owner and status (HELD, RESERVED, RETIRED, BUFFER, CANCELLED), listing and certificate" })
  @ApiOkResponse({ type: [SerialBlockResponse] })
  @ApiErrors(401, 403, 404)
  serialBlocks(@Param('code') code: string): Promise<SerialBlockResponse[]> {
    return this.reads.serialBlocks(code);
  }

  @Get(':code/invariant')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Per vintage: issued = held + reserved + retired + buffer + cancelled; and the serial blocks agree with the ledger accounts' })
  @ApiOkResponse({ type: CarbonInvariantResponse })
  @ApiErrors(401, 403, 404)
  invariant(@Param('code') code: string): Promise<CarbonInvariantResponse> {
    return this.issuance.checkInvariant(code);
  }

  @Post(':code/listings')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: "Offer a seller's credits of the project at a price per tonne: the oldest held serials (of one vintage if given) become RESERVED for the listing",
    description:
      "The tonnes stay in the seller's credits account until sold. 422 INSUFFICIENT_CREDITS when the seller holds fewer; a FARM_OPERATOR may only list its own credits (403 FORBIDDEN, field seller).",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ListingResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  createListing(
    @Param('code') code: string,
    @Body() dto: ListingDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<ListingResponse> {
    ownPartyOnly(user, dto.seller, 'seller');
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.market.createListing(em, code, dto));
  }

  @Post(':code/retirements')
  @Roles('ADMIN', 'BUYER')
  @ApiOperation({
    summary:
      "Retire (注销) a holder's tonnes of one vintage for a beneficiary: terminal, with a certificate (gapless number, serial ranges, SHA-256 of its content, verification code)",
    description:
      'holder:<holder>:credits:<code> → carbon-project:<code>:retired in one TCO2E entry; the oldest held serials of the vintage are retired. 422 INSUFFICIENT_CREDITS when the holder holds fewer of that vintage. ' +
      'A BUYER may only retire its own credits (403 FORBIDDEN, field holder).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: RetirementResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  retire(
    @Param('code') code: string,
    @Body() dto: RetireDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<RetirementResponse> {
    ownPartyOnly(user, dto.holder, 'holder');
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.retirements.retire(em, code, dto, key));
  }
}
