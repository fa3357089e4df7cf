import { Body, Controller, Get, HttpCode, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import { DividendError, DividendsService, ownerScopeOf, ProjectsService } from '@forest-ledger/forestry';
import type { AuthUser } from '@forest-ledger/forestry';
import { DividendJob, dividendJobId, QueueName } from '@forest-ledger/platform';
import type { DistributeJobData } from '@forest-ledger/platform';
import { Queue } from 'bullmq';
import { DataSource, EntityManager } from 'typeorm';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CurrentUser, Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { IDEMPOTENCY_HEADER } from '../ledger/assets.controller';
import { DeclarationResponse, DeclareDto, DividendLineResponse, LinesQuery, StateProgressResponse } from './dto/dividends.dto';

/** Dividend declarations (分红方案): draft, four-eyes approval reserving the amount, distribution in the worker, cancellation. */
@ApiTags('分红 (dividends)')
@Controller('v1/dividends')
export class DividendDeclarationsController {
  constructor(
    private readonly dividends: DividendsService,
    private readonly projects: ProjectsService,
    private readonly commands: CommandRunner,
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectQueue(QueueName.Dividends) private readonly queue: Queue<DistributeJobData>,
  ) {}

  @Post()
  @Roles('ADMIN', 'FARM_OPERATOR')
  @ApiOperation({
    summary: 'Declare a dividend of a project\'s 林票 series (DRAFT): amount ≤ the project wallet, record date, payment date',
    description: 'Entitlement is the holdings at the record date. A FARM_OPERATOR only for its farm\'s projects (else 404). 422 EXCEEDS_WALLET when the wallet cannot cover the amount.',
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
  @ApiOperation({ summary: 'The distribution\'s progress while it runs: state, holders done / total, chunks, amount credited so far' })
  @ApiOkResponse({ type: StateProgressResponse })
  @ApiErrors(401, 403, 404)
  async progress(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<StateProgressResponse> {
    const view = await this.visible(this.dataSource.manager, id, user);
    return { state: view.state, ...view.progress };
  }

  @Get(':id/lines')
  @Roles(...STAFF_READERS, 'FARM_OPERATOR')
  @ApiOperation({ summary: 'The statement lines (one per holder: units, amount per unit, amount) in allocation order, paged by afterSeq and limit (default 1000)', description: 'A FARM_OPERATOR gets only its own farm\'s line: the holders\' lines are theirs.' })
  @ApiOkResponse({ type: [DividendLineResponse] })
  @ApiErrors(400, 401, 403, 404)
  async lines(@Param('id') id: string, @Query() query: LinesQuery, @CurrentUser() user: AuthUser): Promise<DividendLineResponse[]> {
    await this.visible(this.dataSource.manager, id, user);
    return this.dividends.lines(id, { afterSeq: query.afterSeq, limit: query.limit, scope: ownerScopeOf(user) });
  }

  @Post(':id/approve')
  @Roles('APPROVER')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Approve a DRAFT (or re-approve a STALE) declaration: reserves the amount and queues the distribution in the worker',
    description:
      'By an APPROVER who did not declare it (403 SAME_USER_APPROVAL). The amount moves project wallet → project:<code>:dividend-reserve:CNY. ' +
      'The distribution job (one per declaration) is queued once the approval has committed; a replay queues it again harmlessly.',
  })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOkResponse({ type: DeclarationResponse })
  @ApiErrors(400, 401, 403, 404, 409, 413, 422)
  async approve(@Param('id') id: string, @CurrentUser() user: AuthUser, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<DeclarationResponse> {
    const view = await this.commands.run(req, res, HttpStatus.OK, (em) => this.dividends.approve(em, id, { userId: user.userId, role: user.role }));
    // After the commit: the worker must find the declaration APPROVED. The jobId dedups a replay.
    if (view.state === 'APPROVED') await this.queue.add(DividendJob.Distribute, { declarationId: view.id }, { jobId: dividendJobId(view.id) });
    return view;
  }

  @Post(':id/cancel')
  @Roles('ADMIN', 'APPROVER', 'FARM_OPERATOR')
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

  /** The declaration, if the caller may see it: a FARM_OPERATOR only its farm's (else 404, like an unknown id). */
  private async visible(em: EntityManager, id: string, user: AuthUser): Promise<DeclarationResponse> {
    const view = await this.dividends.get(id, em);
    if (user.role === 'FARM_OPERATOR') {
      try {
        await this.projects.load(em, view.project, { scope: ownerScopeOf(user) });
      } catch {
        throw new DividendError('UNKNOWN_DECLARATION', `no dividend declaration ${JSON.stringify(id)}`, 'id');
      }
    }
    return view;
  }
}
