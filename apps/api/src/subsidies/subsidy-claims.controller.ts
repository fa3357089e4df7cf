import type { AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { businessToday, SubsidyClaimsService, SubsidyClawbacksService, SubsidyInstalmentsService, SUBSIDY_POLICIES } from '@forest-ledger/forestry';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CurrentUser, Roles, STAFF_READERS, RolesOf } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { ApplyDto, ApproveDto, ClaimResponse, DuePaymentsResponse, InstalmentResponse, PayDueDto, RecoveryDto, RejectDto } from './dto/subsidies.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** Subsidy claims: application with eligibility and calculation, four-eyes approval or rejection, instalments, clawback recovery. */
@ApiTags('流转奖补 (transfer subsidies)')
@Controller('v1')
@ApiErrorCodes('subsidy', 'party', 'parcel', 'ledger')
export class SubsidyClaimsController {
  constructor(
    private readonly claims: SubsidyClaimsService,
    private readonly subsidyInstalments: SubsidyInstalmentsService,
    private readonly clawbacks: SubsidyClawbacksService,
    private readonly commands: CommandRunner,
  ) {}

  @Post('subsidy-claims')
  @Roles('ADMIN', 'APPROVER')
  @ApiOperation({
    summary: 'Submit a claim for a contract under a programme: every eligibility check with its outcome, and the amount with its calculation',
    description:
      "The rule version in force on the contract's start date applies and is recorded. An ineligible claim is kept (201, state INELIGIBLE, eligible false) to show which checks failed. " +
      'One open claim per contract and programme (409 CLAIM_EXISTS; an INELIGIBLE or REJECTED claim does not count). An APPROVER may submit too: another APPROVER must then approve or reject it (four eyes).',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ClaimResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413)
  apply(@Body() dto: ApplyDto, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ClaimResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.claims.apply(em, dto, { userId: user.userId, role: user.role }, key));
  }

  @Get('subsidy-claims/:id')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'Get a claim: rule version, eligibility per check, calculation, recipients, instalments and clawback' })
  @ApiOkResponse({ type: ClaimResponse })
  @ApiErrors(401, 403, 404)
  get(@Param('id') id: string): Promise<ClaimResponse> {
    return this.claims.getClaim(id);
  }

  @Post('subsidy-claims/:id/approve')
  @RolesOf(SUBSIDY_POLICIES.approveClaim)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Approve a claim: reserves its amount from the programme budget and schedules its instalments',
    description:
      'By an APPROVER who did not submit it (403 SELF_APPROVAL). Eligibility and the amount are recomputed (422 CLAIM_NOT_ELIGIBLE listing the failed checks). ' +
      'One entry moves the amount programme:<p>:wallet:CNY → :reserved:CNY; a budget that cannot cover it is 422 BUDGET_EXCEEDED and nothing moves, even under concurrent approvals.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ClaimResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  approve(
    @Param('id') id: string,
    @Body() dto: ApproveDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<ClaimResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em, key) => this.claims.approve(em, id, dto, { userId: user.userId, role: user.role }, key));
  }

  @Post('subsidy-claims/:id/reject')
  @RolesOf(SUBSIDY_POLICIES.rejectClaim)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Reject an APPLIED claim with a reason (wrong documents, contract not genuine …): state REJECTED, nothing moves in the ledger',
    description:
      'By an APPROVER who did not submit it (403 SELF_REJECTION). Only an APPLIED claim (else 422 CLAIM_STATE, details.state). Application reserves no budget, so none is released and no entry is written. ' +
      'reason is required, 1-500 characters; rejectedOn defaults to today (Asia/Shanghai). The contract may then apply again under the programme.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: ClaimResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  reject(
    @Param('id') id: string,
    @Body() dto: RejectDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<ClaimResponse> {
    return this.commands.run(req, res, HttpStatus.OK, (em, key) => this.claims.reject(em, id, dto, { userId: user.userId, role: user.role }, key));
  }

  @Get('subsidy-claims/:id/instalments')
  @Roles(...STAFF_READERS)
  @ApiOperation({ summary: 'The instalments of a claim with their due dates, splits per recipient, state and payment entry' })
  @ApiOkResponse({ type: [InstalmentResponse] })
  @ApiErrors(401, 403, 404)
  async instalments(@Param('id') id: string): Promise<InstalmentResponse[]> {
    return (await this.claims.getClaim(id)).instalments;
  }

  @Post('subsidy-claims/:id/recoveries')
  @Roles('ADMIN')
  @ApiOperation({
    summary: "Record a clawback recovery: set-off from the recipient's wallet (WALLET) or a bank payment (BANK, bankReference)",
    description:
      'One entry settles programme:<p>:receivable:<party>:CNY and returns the money to the budget (:clawback-pending → :wallet). At most what the party owes (422 NOTHING_TO_RECOVER); the claim becomes RECOVERED once nothing is owed.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: ClaimResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  recover(@Param('id') id: string, @Body() dto: RecoveryDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<ClaimResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.clawbacks.recover(em, id, dto, key));
  }

  @Post('subsidy-instalments/pay-due')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Pay every scheduled instalment due on or before asOf now: what the daily job does, for an operator',
    description:
      "Each instalment is one entry (programme:<p>:reserved:CNY → the recipients' wallets) keyed subsidy-payment:<claim>:<seq> in its own transaction, so a run twice (or alongside the job) pays each once. " +
      'Instalments that cannot be paid are listed under refused with their reason.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: DuePaymentsResponse })
  @ApiErrors(400, 401, 403, 409, 413)
  payDue(@Body() dto: PayDueDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<DuePaymentsResponse> {
    return this.commands.run(req, res, HttpStatus.OK, () => this.subsidyInstalments.payDueInstalments(dto.asOf ?? businessToday()));
  }
}
