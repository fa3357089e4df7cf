import { ownerScopeOf, ownPartyOnly, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectsService, SeriesService } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { EntityManager } from 'typeorm';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import {
  CallContributionDto,
  CloseProjectDto,
  ContributionDto,
  ContributionOutcomeResponse,
  CreateProjectDto,
  IssuancePreviewQuery,
  IssuancePreviewResponse,
  IssuanceResponse,
  IssueDto,
  ProjectQuery,
  ProjectResponse,
} from './dto/projects.dto';
import { ApiErrorCodes } from '../http/error-codes';

@ApiTags('projects')
@Controller('v1/projects')
@ApiErrorCodes('project', 'parcel', 'party', 'ticket', 'issuancePlan', 'ledger', 'disclosure')
export class ProjectsController {
  constructor(
    private readonly projects: ProjectsService,
    private readonly series: SeriesService,
    private readonly commands: CommandRunner,
  ) {}

  @Post()
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'Create a cooperation project (合作经营项目) of a state farm and a village collective, as a DRAFT',
    description:
      'Opens the project accounts (project:<code>:wallet:CNY, :commitments:CNY, :capital-to-receive:CNY, :in-kind:CNY, :in-kind-capital:CNY). ' +
      'The parcels must be attachable and in no other open project; areaMu at most their total. A FARM_OPERATOR may only create projects of its own farm (403 FORBIDDEN, field farmCode).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ProjectResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  create(@Body() dto: CreateProjectDto, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ProjectResponse> {
    ownPartyOnly(user, dto.farmCode, 'farmCode');
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.projects.create(em, dto));
  }

  @Get()
  @Roles('ADMIN', 'AUDITOR', 'APPROVER', 'FARM_OPERATOR')
  @ApiOperation({ summary: "List projects (by code, at most 500); a FARM_OPERATOR sees only its farm's" })
  @ApiOkResponse({ type: [ProjectResponse] })
  @ApiErrors(400, 401, 403)
  list(@Query() query: ProjectQuery, @CurrentUser() user: AuthUser): Promise<ProjectResponse[]> {
    return this.projects.list(ownerScopeOf(user), { state: query.state });
  }

  @Get(':code')
  @Roles('ADMIN', 'AUDITOR', 'APPROVER', 'FARM_OPERATOR')
  @ApiOperation({ summary: "Get a project with its parcels, contributions and wallet; another farm's project is a 404, like an unknown code" })
  @ApiOkResponse({ type: ProjectResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<ProjectResponse> {
    return this.projects.get(code, ownerScopeOf(user));
  }

  @Post(':code/contributions')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'Record a contribution of the farm or the collective to a DRAFT project, with its ledger entry',
    description:
      'CASH paid (bankReference): bank:clearing:CNY → project wallet. CASH committed (paid: false): project:<code>:commitments:CNY ↔ :capital-to-receive:CNY, called later. ' +
      'In kind (valuationDocument): project:<code>:in-kind:CNY ↔ :in-kind-capital:CNY at the valuation. Contributions freeze at issuance (422 PROJECT_NOT_DRAFT).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ContributionOutcomeResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  addContribution(
    @Param('code') code: string,
    @Body() dto: ContributionDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<ContributionOutcomeResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => {
      await this.ownProject(em, code, user);
      return this.projects.addContribution(em, code, dto, key);
    });
  }

  @Post(':code/contributions/:id/call')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Call a committed CASH contribution: the money arrived (bank reference); one entry settles the commitment and fills the wallet' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ContributionOutcomeResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  callContribution(
    @Param('code') code: string,
    @Param('id') id: string,
    @Body() dto: CallContributionDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<ContributionOutcomeResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em, key) => {
      await this.ownProject(em, code, user);
      return this.projects.callContribution(em, code, id, dto, key);
    });
  }

  @Post(':code/issuance')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: "Issue the project's 林票: units for the farm, the collective and its members, certificates numbered gaplessly; the project becomes ACTIVE",
    description:
      "Total units = contributions / face value (each contribution must be whole units). Level 2 splits the collective's units between what it retains and its active villagers: " +
      'equal claims (each villager PER_PERSON; each household PER_HOUSEHOLD, held by its head) get equal whole units, the remainder stays with the collective (plan.split; preview it with GET …/issuance-preview). ' +
      'Opens the ledger asset LP.<seriesCode>, series:<seriesCode>:issued and holder:<party>:tickets:<seriesCode>[:pledged] per holder.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: IssuanceResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  issue(
    @Param('code') code: string,
    @Body() dto: IssueDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<IssuanceResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => {
      await this.ownProject(em, code, user);
      return this.series.issue(em, code, dto, key);
    });
  }

  @Get(':code/issuance-preview')
  @Roles('ADMIN', 'AUDITOR', 'APPROVER', 'FARM_OPERATOR')
  @ApiOperation({
    summary: "Preview the issuance of a DRAFT project's 林票: the split and every holding it would create now, nothing written",
    description:
      "Equal claims get equal whole units: each active villager (PER_PERSON) or each household (PER_HOUSEHOLD, one holding in its head's name) gets floor(pool / claims); " +
      'what cannot be divided equally stays with the collective (split.remainderUnits, split.explanation). Refusals are those of the issuance (422 NOT_WHOLE_UNITS, HOUSEHOLD_HEAD, NO_MEMBERS, PROJECT_NOT_DRAFT).',
  })
  @ApiOkResponse({ type: IssuancePreviewResponse })
  @ApiErrors(400, 401, 403, 404, 422)
  previewIssuance(@Param('code') code: string, @Query() query: IssuancePreviewQuery, @CurrentUser() user: AuthUser): Promise<IssuancePreviewResponse> {
    return this.series.preview(code, query, ownerScopeOf(user));
  }

  @Post(':code/close')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Close an ACTIVE project at the end of its term, once settled (wallet and unpaid commitments at 0.00); its 林票 stop moving' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ProjectResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  close(
    @Param('code') code: string,
    @Body() dto: CloseProjectDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<ProjectResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em) => {
      await this.ownProject(em, code, user);
      return this.projects.close(em, code, dto.closedOn);
    });
  }

  /** A FARM_OPERATOR writes only to its farm's projects; any other is a 404 (UNKNOWN_PROJECT), like an unknown code. */
  private async ownProject(em: EntityManager, code: string, user: AuthUser): Promise<void> {
    await this.projects.load(em, code, { scope: ownerScopeOf(user) });
  }
}
