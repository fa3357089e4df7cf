import { ownerScopeOf, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpCode, HttpStatus, Logger, Param, Post, Query, Req, Res } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { businessToday, DividendDeclarationsService, DividendError, ProjectError, ProjectsService, DIVIDEND_POLICIES } from '@forest-ledger/forestry';
import type { DeclarationView } from '@forest-ledger/forestry';
import { addWithin, DISTRIBUTION_JOB_OPTIONS, DividendJob, dividendJobId, Env, QueueName } from '@forest-ledger/platform';
import type { DistributeJobData } from '@forest-ledger/platform';
import { Queue } from 'bullmq';
import { DataSource, EntityManager } from 'typeorm';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CurrentUser, Roles, STAFF_READERS, RolesOf } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { DeclarationResponse, DeclareDto, DividendLineResponse, LinesQuery, StateProgressResponse } from './dto/dividends.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** Dividend declarations (分红方案): draft, four-eyes approval reserving the amount, distribution in the worker, cancellation. */
@ApiTags('分红 (dividends)')
@Controller('v1/dividends')
@ApiErrorCodes('dividend', 'project', 'ticket', 'ledger', 'disclosure')
export class DividendDeclarationsController {
  private readonly logger = new Logger(DividendDeclarationsController.name);

  constructor(
    private readonly dividends: DividendDeclarationsService,
    private readonly projects: ProjectsService,
    private readonly commands: CommandRunner,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Dividends) private readonly queue: Queue<DistributeJobData>,
    private readonly env: Env,
  ) {}

  @Post()
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: "Declare a dividend of a project's 林票 series (DRAFT): amount ≤ the distributable amount and ≤ the project wallet, record date, payment date",
    description:
      "Entitlement is the holdings at the record date. A FARM_OPERATOR only for its farm's projects (else 404). 422 EXCEEDS_DISTRIBUTABLE (with the figures) when the amount exceeds " +
      'income − costs − management fees − dividends declared and not cancelled (GET /v1/projects/:code/distributable); 422 EXCEEDS_WALLET when the wallet cannot cover it.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: DeclarationResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  declare(@Body() dto: DeclareDto, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<DeclarationResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, async (em) => {
      await this.projects.load(em, dto.project, { scope: ownerScopeOf(user) });
      return this.dividends.declare(em, { userId: user.userId, role: user.role }, dto);
    });
  }

  @Get(':id')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({ summary: 'Get a declaration with its distribution progress (holders done / total)' })
  @ApiOkResponse({ type: DeclarationResponse })
  @ApiErrors(401, 403, 404)
  async get(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<DeclarationResponse> {
    return this.visible(this.dataSource.manager, id, user);
  }

  @Get(':id/progress')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({ summary: "The distribution's progress while it runs: state, holders done / total, chunks, amount credited so far, and when it failed" })
  @ApiOkResponse({ type: StateProgressResponse })
  @ApiErrors(401, 403, 404)
  async progress(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<StateProgressResponse> {
    const view = await this.visible(this.dataSource.manager, id, user);
    return { state: view.state, failedAt: view.failedAt, ...view.progress };
  }

  @Get(':id/lines')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'The statement lines (one per holder: units, amount per unit, amount) in allocation order, paged by afterSeq and limit (default 1000)',
    description: "A FARM_OPERATOR gets only its own farm's line: the holders' lines are theirs.",
  })
  @ApiOkResponse({ type: [DividendLineResponse] })
  @ApiErrors(400, 401, 403, 404)
  async lines(@Param('id') id: string, @Query() query: LinesQuery, @CurrentUser() user: AuthUser): Promise<DividendLineResponse[]> {
    await this.visible(this.dataSource.manager, id, user);
    return this.dividends.lines(id, { afterSeq: query.afterSeq, limit: query.limit, scope: ownerScopeOf(user) });
  }

  @Post(':id/approve')
  @RolesOf(DIVIDEND_POLICIES.approve)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Approve a DRAFT (or re-approve a STALE) declaration: reserves the amount and queues the distribution in the worker',
    description:
      'By an APPROVER who did not declare it (403 SAME_USER_APPROVAL). The amount moves project wallet → project:<code>:dividend-reserve:CNY. ' +
      'Once the approval has committed, the distribution job (one per declaration and round) is queued if the payment date has come, without waiting on Redis ' +
      "for more than QUEUE_PRODUCER_TIMEOUT_MS; otherwise the worker's reconciler queues it (within RECONCILE_INTERVAL_MS, on the payment date). A replay queues it again harmlessly.",
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: DeclarationResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  async approve(@Param('id') id: string, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<DeclarationResponse> {
    const view = await this.commands.run(req, res, HttpStatus.OK, (em) => this.dividends.approve(em, id, { userId: user.userId, role: user.role }));
    await this.queueDistribution(view);
    return view;
  }

  @Post(':id/resume')
  @Roles('ADMIN')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Resume a distribution that failed (failedAt set): a new round, continuing after the last paid chunk',
    description:
      'For a declaration whose distribution job truly failed (a bug or a refusal, shown in failedAt and failure; a dead worker is not a failure). Clears the failure, ' +
      'starts round + 1 and queues its job; already paid holders are never paid again. On an APPROVED or DISTRIBUTING declaration that has not failed it changes nothing ' +
      'and queues its job again (harmless); other states are 422 DECLARATION_STATE.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: DeclarationResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  async resume(@Param('id') id: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<DeclarationResponse> {
    const view = await this.commands.run(req, res, HttpStatus.OK, (em) => this.dividends.resume(em, id));
    this.logger.warn({ declaration: view.id, round: view.round }, 'dividend distribution resumed');
    await this.queueDistribution(view);
    return view;
  }

  @Post(':id/cancel')
  @RolesOf(DIVIDEND_POLICIES.cancel)
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Cancel a declaration before its distribution starts (by its declarer, an APPROVER or an ADMIN); a reserved amount returns to the wallet' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: DeclarationResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  cancel(@Param('id') id: string, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<DeclarationResponse> {
    return this.commands.run(req, res, HttpStatus.OK, async (em) => {
      await this.visible(em, id, user);
      return this.dividends.cancel(em, id, { userId: user.userId, role: user.role });
    });
  }

  /**
   * After the commit (the worker must find the declaration APPROVED): queues this round's job if it is
   * due, never holding the answer for long. Whatever is not queued here the reconciler queues.
   */
  private async queueDistribution(view: DeclarationView): Promise<void> {
    const due = (view.state === 'APPROVED' && view.paymentDate <= businessToday()) || view.state === 'DISTRIBUTING';
    // A replayed answer stored before rounds existed has none: the reconciler queues that one.
    if (!due || view.failedAt !== null || typeof view.round !== 'number') return;
    const queued = await addWithin(
      this.queue,
      DividendJob.Distribute,
      { declarationId: view.id, round: view.round },
      { ...DISTRIBUTION_JOB_OPTIONS, jobId: dividendJobId(view.id, view.round) },
      this.env.QUEUE_PRODUCER_TIMEOUT_MS,
    );
    if (!queued.queued) this.logger.warn({ declaration: view.id, round: view.round, err: queued.error }, "distribution not queued now; the worker's reconciler queues it");
  }

  /** The declaration, if the caller may see it: a scoped caller (a FARM_OPERATOR) only its farm's (else 404, like an unknown id). */
  private async visible(em: EntityManager, id: string, user: AuthUser): Promise<DeclarationResponse> {
    const view = await this.dividends.get(id, em);
    const scope = ownerScopeOf(user);
    if (scope !== null) {
      try {
        await this.projects.load(em, view.project, { scope });
      } catch (error) {
        if (error instanceof ProjectError && error.code === 'UNKNOWN_PROJECT')
          throw new DividendError('UNKNOWN_DECLARATION', `no dividend declaration ${JSON.stringify(id)}`, 'id');
        throw error;
      }
    }
    return view;
  }
}
