import { ownerScopeOf, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { DomainError } from '@forest-ledger/common';
import { Body, Controller, Get, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProjectCashFlowsService, ProjectsService } from '@forest-ledger/forestry';
import type { GuaranteeTopUpInput } from '@forest-ledger/forestry';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CurrentUser, Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { CashFlowResponse, CostDto, DistributableQuery, DistributableResponse, FeeDto, GuaranteeTopUpDto, IncomeDto } from './dto/dividends.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** A guarantee top-up request as the service takes it: the fields of its mode, each required there (400 naming the field). */
export function guaranteeInput(dto: GuaranteeTopUpDto): GuaranteeTopUpInput {
  const common = { bankReference: dto.bankReference, effectiveDate: dto.effectiveDate, description: dto.description };
  const need = (value: string | undefined, field: string): string => {
    if (value === undefined) throw new DomainError('invalid', 'VALIDATION_FAILED', `${field} is required when mode is ${dto.mode}`, field);
    return value;
  };
  if (dto.mode === 'YIELD') return { mode: 'YIELD', actualVolumeM3: need(dto.actualVolumeM3, 'actualVolumeM3'), areaMu: dto.areaMu, ...common };
  return {
    mode: 'RETURN',
    principal: need(dto.principal, 'principal'),
    annualRate: need(dto.annualRate, 'annualRate'),
    years: need(dto.years, 'years'),
    actualReturn: need(dto.actualReturn, 'actualReturn'),
    ...common,
  };
}

/** Project income and costs (issue 5): what comes into the project wallet and goes out of it before dividends. */
@ApiTags('分红 (dividends)')
@Controller('v1/projects')
@ApiErrorCodes('dividend', 'project', 'party', 'ledger')
export class ProjectIncomeController {
  constructor(
    private readonly flows: ProjectCashFlowsService,
    private readonly projects: ProjectsService,
    private readonly commands: CommandRunner,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  @Get(':code/cash-flows')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({ summary: "The project's income, costs, management fees and guarantee top-ups, oldest first; a FARM_OPERATOR sees only its farm's projects (else 404)" })
  @ApiOkResponse({ type: [CashFlowResponse] })
  @ApiErrors(401, 403, 404)
  async cashFlows(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<CashFlowResponse[]> {
    await this.projects.load(this.dataSource.manager, code, { scope: ownerScopeOf(user) });
    return this.flows.cashFlows(code);
  }

  @Get(':code/distributable')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({
    summary:
      'What the project may still pay as dividends, line by line: income by kind (guarantee top-ups included) − costs − management fees − dividends declared and not cancelled',
    description: "As of a date (default today). Contributed capital is not distributable. A FARM_OPERATOR sees only its farm's projects (else 404).",
  })
  @ApiOkResponse({ type: DistributableResponse })
  @ApiErrors(400, 401, 403, 404)
  async distributable(@Param('code') code: string, @Query() query: DistributableQuery, @CurrentUser() user: AuthUser): Promise<DistributableResponse> {
    await this.projects.load(this.dataSource.manager, code, { scope: ownerScopeOf(user) });
    return this.flows.distributable(code, query.asOf);
  }

  @Post(':code/income')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'Record income received into the project wallet (bank:clearing:CNY → project wallet), with its bank reference',
    description: "One ledger entry. A FARM_OPERATOR only for its farm's projects (else 404 UNKNOWN_PROJECT).",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CashFlowResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  income(
    @Param('code') code: string,
    @Body() dto: IncomeDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<CashFlowResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => {
      await this.ownProject(em, code, user);
      return this.flows.recordIncome(em, code, dto, key);
    });
  }

  @Post(':code/costs')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({ summary: 'Record a cost paid out of the project wallet (one ledger entry; the wallet must cover it)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CashFlowResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  cost(
    @Param('code') code: string,
    @Body() dto: CostDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<CashFlowResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => {
      await this.ownProject(em, code, user);
      return this.flows.recordCost(em, code, dto, key);
    });
  }

  @Post(':code/management-fees')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({ summary: "Charge the farm's management fee on an income (base × the project's rate), paid out of the project wallet; once per income (409 FEE_ALREADY_CHARGED)" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CashFlowResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  fee(
    @Param('code') code: string,
    @Body() dto: FeeDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<CashFlowResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => {
      await this.ownProject(em, code, user);
      return this.flows.chargeManagementFee(em, code, dto, key);
    });
  }

  @Post(':code/guarantee-top-ups')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'Guarantee top-up: the farm pays the shortfall (yield below the guaranteed yield, or return below a guaranteed return) into the project wallet',
    description: 'The calculation is shown on the record. 422 NO_GUARANTEE when nothing is owed.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: CashFlowResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  guarantee(
    @Param('code') code: string,
    @Body() dto: GuaranteeTopUpDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<CashFlowResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => {
      await this.ownProject(em, code, user);
      return this.flows.recordGuaranteeTopUp(em, code, guaranteeInput(dto), key);
    });
  }

  /** A FARM_OPERATOR acts only on its farm's projects; any other is a 404 (UNKNOWN_PROJECT), like an unknown code. */
  private async ownProject(em: EntityManager, code: string, user: AuthUser): Promise<void> {
    await this.projects.load(em, code, { scope: ownerScopeOf(user) });
  }
}
