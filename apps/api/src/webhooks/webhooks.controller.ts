import { ApiErrorCodes } from '../http/error-codes';
import { Body, Controller, Delete, Get, HttpStatus, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '@forest-ledger/access';
import { DeliveryView, PiiCipher, SubscriptionView, SubscriptionWithSecret, WebhooksService } from '@forest-ledger/forestry';
import { CurrentUser, Roles } from '../auth/auth.decorators';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { ApiErrors } from '../http/error.dto';
import type { HttpRequest, HttpResponse } from '../http/http';
import { CommandRunner } from '../http/idempotency';
import { EntityManager } from 'typeorm';
import { CreateWebhookSubscriptionDto, RedeliverDto, RotateWebhookSecretDto, UpdateWebhookSubscriptionDto } from './webhooks.dto';

/** Signed webhook subscriptions (issue 17): ADMIN only. Delivery is the worker's. */
@ApiErrorCodes('webhook', 'party')
@ApiTags('webhooks')
@Controller('v1/webhook-subscriptions')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly commands: CommandRunner,
    private readonly pii: PiiCipher,
  ) {}

  /**
   * Runs a command whose answer carries a new secret: the answer kept for replays (idempotency_requests) holds it
   * sealed, never in clear; the caller (and a replay of its request) gets it unsealed.
   */
  private async withSecret(req: HttpRequest, res: HttpResponse, status: number, work: (em: EntityManager) => Promise<SubscriptionWithSecret>): Promise<SubscriptionWithSecret> {
    const answer = await this.commands.run(req, res, status, async (em) => {
      const made = await work(em);
      return { ...made, secret: this.pii.encrypt(made.secret) };
    });
    return { ...answer, secret: this.pii.decrypt(answer.secret) };
  }

  @Post()
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Subscribe a URL to events (types, scope); the signing secret is in this answer only' })
  @ApiCreatedResponse({ description: 'the subscription and its `secret` (whsec_…), shown once' })
  @ApiErrors(400, 401, 403, 409, 422)
  create(
    @Body() dto: CreateWebhookSubscriptionDto,
    @CurrentUser() user: AuthUser,
    @Req() req: HttpRequest,
    @Res({ passthrough: true }) res: HttpResponse,
  ): Promise<SubscriptionWithSecret> {
    return this.withSecret(req, res, HttpStatus.CREATED, (em) => this.webhooks.create(em, dto, user.userId));
  }

  @Get()
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Every webhook subscription (never its secret)' })
  @ApiOkResponse({ description: '[subscription]' })
  @ApiErrors(401, 403)
  list(): Promise<SubscriptionView[]> {
    return this.webhooks.list();
  }

  @Get(':id')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'One subscription: state, cursor (the last sequence delivered), failure streak, next attempt' })
  @ApiOkResponse({ description: 'subscription' })
  @ApiErrors(401, 403, 404)
  get(@Param('id') id: string): Promise<SubscriptionView> {
    return this.webhooks.get(id);
  }

  @Get(':id/deliveries')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Every delivery attempt, newest first: event, sequence, status, latency ms, response code, error' })
  @ApiQuery({ name: 'before', required: false, description: 'an attempt id (the `next` of the previous page)' })
  @ApiQuery({ name: 'limit', required: false, description: '1..500, default 100' })
  @ApiOkResponse({ description: '{ items: [attempt], next }' })
  @ApiErrors(400, 401, 403, 404)
  deliveries(@Param('id') id: string, @Query('before') before?: string, @Query('limit') limit?: string): Promise<{ items: DeliveryView[]; next: string | null }> {
    return this.webhooks.deliveries(id, { before, limit });
  }

  @Patch(':id')
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Change the URL, the event types or the description' })
  @ApiOkResponse({ description: 'subscription' })
  @ApiErrors(400, 401, 403, 404, 409, 422)
  update(@Param('id') id: string, @Body() dto: UpdateWebhookSubscriptionDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<SubscriptionView> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.webhooks.update(em, id, dto));
  }

  @Post(':id/disable')
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Stop delivering (the cursor stays; enabling resumes from it)' })
  @ApiOkResponse({ description: 'subscription' })
  @ApiErrors(400, 401, 403, 404, 409)
  disable(@Param('id') id: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<SubscriptionView> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.webhooks.setEnabled(em, id, false));
  }

  @Post(':id/enable')
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Deliver again from the cursor (also after an automatic disable), on a new failure streak' })
  @ApiOkResponse({ description: 'subscription' })
  @ApiErrors(400, 401, 403, 404, 409)
  enable(@Param('id') id: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<SubscriptionView> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.webhooks.setEnabled(em, id, true));
  }

  @Post(':id/rotate-secret')
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'A new signing secret (in this answer only); the old one also signs during the overlap' })
  @ApiOkResponse({ description: 'the subscription and its new `secret`' })
  @ApiErrors(400, 401, 403, 404, 409)
  rotate(@Param('id') id: string, @Body() dto: RotateWebhookSecretDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<SubscriptionWithSecret> {
    return this.withSecret(req, res, HttpStatus.OK, (em) => this.webhooks.rotateSecret(em, id, dto.overlapHours));
  }

  @Post(':id/redeliver')
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Deliver again from a feed sequence on (inclusive), in order, with the same event ids' })
  @ApiOkResponse({ description: 'subscription' })
  @ApiErrors(400, 401, 403, 404, 409)
  redeliver(@Param('id') id: string, @Body() dto: RedeliverDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<SubscriptionView> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.webhooks.redeliver(em, id, dto.fromSeq));
  }

  @Delete(':id')
  @Roles('ADMIN')
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiOperation({ summary: 'Delete a subscription and its attempts' })
  @ApiOkResponse({ description: '{ id, deleted: true }' })
  @ApiErrors(400, 401, 403, 404, 409)
  remove(@Param('id') id: string, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<{ id: string; deleted: true }> {
    return this.commands.run(req, res, HttpStatus.OK, (em) => this.webhooks.remove(em, id));
  }
}
