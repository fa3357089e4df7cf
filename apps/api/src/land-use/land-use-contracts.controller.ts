import { ownPartyOnly, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER, XLSX_CONTENT_TYPE } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res, StreamableFile } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import {
  businessToday,
  LandUseClosingService,
  LandUseContractsService,
  LandUseReceivablesService,
  MAX_LAND_USE_CONTRACTS_LISTED,
  scheduleWorkbook,
  LAND_USE_POLICIES,
  landUseScopeOf,
} from '@forest-ledger/forestry';
import type { CreateLandUseInput, Escalation, LandUseRentInput } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CurrentUser, Roles, STAFF_READERS, RolesOf } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { contentDisposition } from '../tickets/content-disposition';
import {
  CreateLandUseContractDto,
  LandUseCancellationDto,
  LandUseContractQuery,
  LandUseContractResponse,
  LandUseCreatedResponse,
  LandUseDailyRunDto,
  LandUseDailyRunResponse,
  LandUseEndOfTermDto,
  LandUsePaymentDto,
  LandUsePaymentResponse,
  LandUseSchedulePeriodResponse,
  LandUseTerminationDto,
  LandUseWaiverDto,
  LandUseWaiverResponse,
  ReceiveDepositDto,
} from './dto/land-use.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** The request body as the service's input: the DTO has been validated; the service checks the rest (the rent and escalation variants). */
function createInputOf(dto: CreateLandUseContractDto): CreateLandUseInput {
  const { rent, escalation, ...rest } = dto;
  return {
    ...rest,
    ...(rent === undefined ? {} : { rent: { ...rent } as LandUseRentInput }),
    ...(escalation === undefined ? {} : { escalation: { ...escalation } as Escalation }),
  };
}

/**
 * Paid use of state forest land (国有林地有偿使用, issue 8): lease, equity and concession contracts,
 * their rent schedule (or, for equity, the farm's stake in a cooperation project), the deposit,
 * payments, late-fee waivers, the daily job on demand, cancellation of a draft, early termination
 * and the end of term. A FARM_OPERATOR works only on contracts of its own farm (as
 * lessor); any other contract is a 404 to it, like an unknown code.
 */
@ApiTags('国有林地有偿使用 (state forest land)')
@Controller('v1/land-use-contracts')
@ApiErrorCodes('landUse', 'rentSchedule', 'party', 'parcel', 'ledger')
export class LandUseContractsController {
  constructor(
    private readonly landUse: LandUseContractsService,
    private readonly receivables: LandUseReceivablesService,
    private readonly closing: LandUseClosingService,
    private readonly commands: CommandRunner,
  ) {}

  @Post()
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'Create a draft contract (LEASE, EQUITY or CONCESSION) of state parcels held by the lessor farm',
    description:
      'A LEASE or CONCESSION longer than 20 years is refused (Civil Code §705: 422, field endDate); a renewal is a new contract linked by renewsContractCode. ' +
      'A FARM_OPERATOR may only name its own farm as lessor (403 FORBIDDEN, field lessorCode). The answer includes the planned schedule (every period, state PLANNED) to review before signing; it is stored at activation, and receivables are raised only once the contract is ACTIVE. ' +
      'An EQUITY contract pays no rent: it names projectCode (400 if missing, and for LEASE/CONCESSION if given), a DRAFT cooperation project (404 UNKNOWN_PROJECT; 409 PROJECT_NOT_DRAFT) ' +
      "whose farm is the lessor and whose collective is the lessee (422 NOT_THE_PROJECTS_PARTY, field lessorCode or lesseeCode); its appraised value becomes the farm's stake at activation.",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: LandUseCreatedResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  create(
    @Body() dto: CreateLandUseContractDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<LandUseCreatedResponse> {
    ownPartyOnly(user, dto.lessorCode, 'lessorCode');
    return this.commands.run(req, res, HttpStatus.CREATED, (em) => this.landUse.create(em, { userId: user.userId, role: user.role }, createInputOf(dto)));
  }

  @Get()
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({
    summary: `List contracts by code (at most ${MAX_LAND_USE_CONTRACTS_LISTED}), optionally by state, mode and party (lessor or lessee); a FARM_OPERATOR sees only its farm's`,
  })
  @ApiOkResponse({ type: [LandUseContractResponse] })
  @ApiErrors(400, 401, 403)
  list(@Query() query: LandUseContractQuery, @CurrentUser() user: AuthUser): Promise<LandUseContractResponse[]> {
    return this.landUse.list({ state: query.state, mode: query.mode, party: query.party }, landUseScopeOf(user));
  }

  @Get(':code')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({
    summary:
      'A contract: parties, parcels, term, rent, deposit, late-fee terms, what the lessee owes now and its credit, the closing settlement; ' +
      "for EQUITY the stake: project, contribution, and once the series is issued the farm's units and the dividends paid to it",
  })
  @ApiOkResponse({ type: LandUseContractResponse })
  @ApiErrors(401, 403, 404)
  async get(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<LandUseContractResponse> {
    await this.landUse.assertInScope(code, landUseScopeOf(user));
    return this.landUse.get(code);
  }

  @Get(':code/schedule')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'The rent schedule: every period with its due date, amount, calculation and parts per contract year, what is outstanding and the late fee accrued',
    description: 'A DRAFT shows the periods it plans (state PLANNED, nothing owed), as activation will store them; EQUITY and cancelled drafts have none.',
  })
  @ApiOkResponse({ type: [LandUseSchedulePeriodResponse] })
  @ApiErrors(401, 403, 404)
  async schedule(@Param('code') code: string, @CurrentUser() user: AuthUser): Promise<LandUseSchedulePeriodResponse[]> {
    await this.landUse.assertInScope(code, landUseScopeOf(user));
    return this.landUse.schedule(code);
  }

  @Get(':code/schedule.xlsx')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({
    summary:
      "The rent schedule as an Excel workbook: a row per part of a period (第 n 合同年, days, annual rent, amount, how computed, state) and the total per contract year; a draft's PLANNED periods too",
  })
  @ApiProduces(XLSX_CONTENT_TYPE)
  @ApiOkResponse({ schema: { type: 'string', format: 'binary' }, description: 'An .xlsx attachment' })
  @ApiErrors(401, 403, 404)
  async scheduleXlsx(@Param('code') code: string, @CurrentUser() user: AuthUser, @Res({ passthrough: true }) res: HttpResponse): Promise<StreamableFile> {
    await this.landUse.assertInScope(code, landUseScopeOf(user));
    const { fileName, buffer } = await scheduleWorkbook(await this.landUse.get(code), await this.landUse.schedule(code));
    res.header('Content-Type', XLSX_CONTENT_TYPE);
    res.header('Content-Disposition', contentDisposition('attachment', fileName, `rent-schedule-${code}.xlsx`));
    return new StreamableFile(buffer, { length: buffer.length });
  }

  @Post(':code/deposit')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'The deposit (保证金) received: bank → deposit held for the lessee (a liability of the farm); once per contract' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: LandUseContractResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  deposit(
    @Param('code') code: string,
    @Body() dto: ReceiveDepositDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<LandUseContractResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em, key) => {
      await this.landUse.assertInScope(code, landUseScopeOf(user), em);
      return this.landUse.receiveDeposit(em, code, { receivedOn: dto.receivedOn, bankReference: dto.bankReference }, key);
    });
  }

  @Post(':code/activate')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'DRAFT → ACTIVE (a contract with a deposit needs it received first)',
    description:
      "LEASE and CONCESSION: the rent schedule is stored. EQUITY: the appraised value is booked, in the same transaction, as the farm's IN_KIND_LAND contribution to the project " +
      '(valuation document = the appraisal reference); a project no longer DRAFT (its 林票 issued) is a 409 PROJECT_NOT_DRAFT and nothing is written.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: LandUseContractResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  activate(@Param('code') code: string, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<LandUseContractResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em) => {
      await this.landUse.assertInScope(code, landUseScopeOf(user), em);
      return this.landUse.activate(em, code);
    });
  }

  @Post(':code/payments')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: "A payment from the lessee: settles the oldest open receivable first (late fees before principal of the same period); any overpayment stays as the lessee's credit",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: LandUsePaymentResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  pay(
    @Param('code') code: string,
    @Body() dto: LandUsePaymentDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<LandUsePaymentResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em, key) => {
      await this.landUse.assertInScope(code, landUseScopeOf(user), em);
      return this.receivables.recordPayment(em, code, { amount: dto.amount, receivedOn: dto.receivedOn, bankReference: dto.bankReference }, key);
    });
  }

  @Post(':code/late-fee-waivers')
  @RolesOf(LAND_USE_POLICIES.waiveLateFee)
  @ApiOperation({ summary: "Waive a period's late fee (all of it by default) with a reason; the contract's creator may not (403 NOT_AN_APPROVER)" })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: LandUseWaiverResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  waive(
    @Param('code') code: string,
    @Body() dto: LandUseWaiverDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<LandUseWaiverResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) =>
      this.receivables.waiveLateFee(em, code, { periodSeq: dto.periodSeq, amount: dto.amount, reason: dto.reason }, { userId: user.userId, role: user.role }, key),
    );
  }

  @Post(':code/termination')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary:
      'Terminate early: future receivables stop, the last period is settled pro rata, the deposit is applied to what is owed and the rest returned or forfeited; the settlement reports what remains owed',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: LandUseContractResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  terminate(
    @Param('code') code: string,
    @Body() dto: LandUseTerminationDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<LandUseContractResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em, key) => {
      await this.landUse.assertInScope(code, landUseScopeOf(user), em);
      return this.closing.terminate(em, code, { terminatedOn: dto.terminatedOn, reason: dto.reason, deposit: dto.deposit, forfeitReason: dto.forfeitReason }, key);
    });
  }

  @Post(':code/cancel')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Cancel a draft (any mode) with a reason: DRAFT → CANCELLED; a deposit already received is returned to the bank in the same transaction and shown on the settlement',
    description: 'A contract that took effect cannot be cancelled (409 CONTRACT_NOT_CANCELLABLE): terminate an ACTIVE one instead. Its parcels are free for another contract.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: LandUseContractResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  cancel(
    @Param('code') code: string,
    @Body() dto: LandUseCancellationDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<LandUseContractResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em, key) => {
      await this.landUse.assertInScope(code, landUseScopeOf(user), em);
      return this.closing.cancel(em, code, { reason: dto.reason }, key);
    });
  }

  @Post(':code/end')
  @Roles('ADMIN', 'FARM_OPERATOR')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'End of term (on or after the end date): late fees accrue through endedOn, the deposit is applied and the rest returned or forfeited' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: LandUseContractResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  end(
    @Param('code') code: string,
    @Body() dto: LandUseEndOfTermDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<LandUseContractResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em, key) => {
      await this.landUse.assertInScope(code, landUseScopeOf(user), em);
      return this.closing.endTerm(em, code, { endedOn: dto.endedOn, deposit: dto.deposit, forfeitReason: dto.forfeitReason }, key);
    });
  }
}

/** The daily job (raise receivables due, accrue late fees) run now, for an operator. */
@ApiTags('国有林地有偿使用 (state forest land)')
@Controller('v1/land-use-jobs')
@ApiErrorCodes('landUse', 'rentSchedule', 'ledger')
export class LandUseJobsController {
  constructor(
    private readonly receivables: LandUseReceivablesService,
    private readonly commands: CommandRunner,
  ) {}

  @Post('daily')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Run the daily job now (same body as the job): raise each receivable due through asOf (once per contract and period) and accrue late fees day by day' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: LandUseDailyRunResponse })
  @ApiErrors(400, 401, 403, 409, 413, 422)
  runDaily(@Body() dto: LandUseDailyRunDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<LandUseDailyRunResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.receivables.runDaily(em, dto.asOf ?? businessToday()));
  }
}
