import type { AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { SubsidyClaimsService, SubsidyProgrammesService, SUBSIDY_POLICIES } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CurrentUser, Roles, STAFF_READERS, RolesOf } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { ClaimQuery, ClaimResponse, CreateProgrammeDto, ProgrammeResponse, RuleDto, RuleResponse, TopUpDto, TopUpResponse } from './dto/subsidies.dto';
import { ApiErrorCodes } from '../http/error-codes';

export const MAX_PROGRAMMES_LISTED = 200;

/** Subsidy programmes (奖补项目): budgets funded by a government fund, and their versioned rules. */
@ApiTags('流转奖补 (transfer subsidies)')
@Controller('v1/subsidy-programmes')
@ApiErrorCodes('subsidy', 'party', 'parcel', 'ledger')
export class SubsidyProgrammesController {
  constructor(
    private readonly programmes: SubsidyProgrammesService,
    private readonly subsidyClaims: SubsidyClaimsService,
    private readonly commands: CommandRunner,
  ) {}

  @Post()
  @Roles('ADMIN')
  @ApiOperation({
    summary: 'Create a subsidy programme of a county or townships, funded by a GOVERNMENT_FUND (else 422 WRONG_PARTY_KIND)',
    description:
      'Opens programme:<code>:wallet:CNY (available budget), :reserved:CNY (approved, not yet paid) and :clawback-pending:CNY, all never negative. The budget starts at 0.00: top it up.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ProgrammeResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  create(@Body() dto: CreateProgrammeDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ProgrammeResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.programmes.createProgramme(em, dto));
  }

  @Get()
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: `List subsidy programmes by code (at most ${MAX_PROGRAMMES_LISTED}) with their rules and budget figures` })
  @ApiOkResponse({ type: [ProgrammeResponse] })
  @ApiErrors(401, 403)
  list(): Promise<ProgrammeResponse[]> {
    return this.programmes.listProgrammes(MAX_PROGRAMMES_LISTED);
  }

  @Get(':code')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Get a programme: regions, rule versions, budget (every top-up), available, reserved, paid, clawback pending' })
  @ApiOkResponse({ type: ProgrammeResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('code') code: string): Promise<ProgrammeResponse> {
    return this.programmes.getProgramme(code);
  }

  @Post(':code/top-ups')
  @Roles('ADMIN')
  @ApiOperation({
    summary: "Top up the budget: one entry from the funding party's wallet (party:<fund>:wallet:CNY) to programme:<code>:wallet:CNY",
    description: "The fund's wallet must cover it (422 INSUFFICIENT_FUNDS).",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: TopUpResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  topUp(@Param('code') code: string, @Body() dto: TopUpDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<TopUpResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.programmes.topUp(em, code, dto, key));
  }

  @Get(':code/rules')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'The rule versions of a programme, oldest first' })
  @ApiOkResponse({ type: [RuleResponse] })
  @ApiErrors(401, 403, 404)
  async rules(@Param('code') code: string): Promise<RuleResponse[]> {
    return (await this.programmes.getProgramme(code)).rules;
  }

  @Post(':code/rules')
  @RolesOf(SUBSIDY_POLICIES.addRule)
  @ApiOperation({
    summary: 'Add the next rule version, in force from effectiveFrom (versions are never edited: a change is a new version)',
    description:
      'Recipient shares and instalment shares must each sum to 1 (400 INVALID_RULE naming the field); one version per date (409 RULE_VERSION_EXISTS). ' +
      "The version in force on a contract's start date applies to its claim, whenever the claim is made.",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: RuleResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413)
  addRule(
    @Param('code') code: string,
    @Body() dto: RuleDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<RuleResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.programmes.addRule(em, code, dto, { userId: user.userId, role: user.role }));
  }

  @Get(':code/claims')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'The claims of a programme, optionally in one state, oldest first (at most 200)' })
  @ApiOkResponse({ type: [ClaimResponse] })
  @ApiErrors(400, 401, 403, 404)
  async claims(@Param('code') code: string, @Query() query: ClaimQuery): Promise<ClaimResponse[]> {
    await this.programmes.getProgramme(code);
    return this.subsidyClaims.listClaims({ programmeCode: code, state: query.state, limit: query.limit });
  }
}
