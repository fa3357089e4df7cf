import { ownerScopeOf, type AuthUser } from '@forest-ledger/access';
import { IDEMPOTENCY_HEADER } from '../http/constants';
import { Body, Controller, Get, HttpStatus, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { EntryDraft, LedgerReportsService, LedgerService } from '@forest-ledger/ledger';
import { PostCoalescer } from './post-coalescer';
import { BatchCoalescer } from './batch-coalescer';
import type { HttpRequest, HttpResponse } from '../http/http';
import { ALL_ROLES, CurrentUser, Roles } from '../auth/auth.decorators';
import { MANAGED_ASSET_PREFIXES } from '@forest-ledger/forestry';
import { AuditableRequest } from '../auth/audit';
import { ApiErrors } from '../http/error.dto';
import { CommandRunner } from '../http/idempotency';
import { BatchResponse, EntryPageResponse, ListEntriesQuery, PostBatchDto, PostEntryDto, PostEntryResponse, ReverseEntryDto, SeenEntryResponse } from './dto/ledger.dto';
import { ApiErrorCodes } from '../http/error-codes';

/** A raw entry never moves 林票 units or carbon credits: their own operations keep the register, serials and rules (REGISTER_CLOSED …). */
function toDraft(dto: PostEntryDto, idempotencyKey: string): EntryDraft {
  return {
    idempotencyKey,
    kind: dto.kind,
    effectiveDate: dto.effectiveDate,
    memo: dto.memo,
    metadata: dto.metadata,
    postings: dto.postings,
    refusedAssetPrefixes: MANAGED_ASSET_PREFIXES,
  };
}

@ApiTags('ledger: entries')
@Controller('v1/entries')
@ApiErrorCodes('ledger')
export class EntriesController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly reports: LedgerReportsService,
    private readonly commands: CommandRunner,
    private readonly coalescer: PostCoalescer,
    private readonly batches: BatchCoalescer,
  ) {}

  @Post()
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Post a balanced journal entry (2–1000 postings)', description: 'Refused as a whole if any rule fails; nothing is written.' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: PostEntryResponse })
  @ApiErrors(400, 404, 409, 413, 422)
  async post(@Body() dto: PostEntryDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<PostEntryResponse> {
    // Concurrent single-entry posts share commits (group commit); each keeps its own idempotency and errors.
    const { id, key, fingerprint } = this.commands.identify(req);
    const result = await this.coalescer.submit(id, toDraft(dto, key), fingerprint, req);
    // A fresh commit wrote the audit row with it (see AuditedCommits); a replay is audited by the interceptor.
    if (!result.replayed) (req as AuditableRequest).audited = true;
    return this.commands.respond(res, result);
  }

  @Post('batch')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Post many entries atomically (all or nothing)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: BatchResponse })
  @ApiErrors(400, 404, 409, 413, 422)
  async batch(@Body() dto: PostBatchDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<BatchResponse> {
    // Concurrent batches share commits (group commit), each all or nothing with its own idempotency and errors.
    const { id, key, fingerprint } = this.commands.identify(req);
    const result = await this.batches.submit(
      id,
      dto.entries.map((e, i) => toDraft(e, `${key}#${i}`)),
      fingerprint,
      req,
    );
    if (!result.replayed) (req as AuditableRequest).audited = true;
    return this.commands.respond(res, result);
  }

  @Post(':id/reverse')
  @Roles('ADMIN')
  @ApiOperation({ summary: 'Reverse an entry: post its mirror, pointing at it (at most once)' })
  @ApiHeader(IDEMPOTENCY_HEADER)
  @ApiCreatedResponse({ type: PostEntryResponse })
  @ApiErrors(400, 404, 409, 413, 422)
  reverse(@Param('id') id: string, @Body() dto: ReverseEntryDto, @Req() req: HttpRequest, @Res({ passthrough: true }) res: HttpResponse): Promise<PostEntryResponse> {
    return this.commands.run(req, res, HttpStatus.CREATED, (em, key) => this.ledger.reverse(em, id, { idempotencyKey: key, ...dto, refusedAssetPrefixes: MANAGED_ASSET_PREFIXES }));
  }

  @Get()
  @Roles(...ALL_ROLES)
  @ApiOperation({
    summary: 'List entries, newest first, by account and effective-date range (keyset pages)',
    description: 'Scoped roles see only entries touching their own accounts, and of those only their own postings.',
  })
  @ApiOkResponse({ type: EntryPageResponse })
  @ApiErrors(400, 401, 404)
  list(@Query() query: ListEntriesQuery, @CurrentUser() user: AuthUser): Promise<EntryPageResponse> {
    return this.reports.listEntries({ ...query, visibility: ownerScopeOf(user) });
  }

  @Get(':id')
  @Roles(...ALL_ROLES)
  @ApiOperation({
    summary: 'Get an entry with its postings',
    description: "Scoped roles see only their own postings of an entry touching their accounts (another party's are left out).",
  })
  @ApiOkResponse({ type: SeenEntryResponse })
  @ApiErrors(401, 404)
  get(@Param('id') id: string, @CurrentUser() user: AuthUser): Promise<SeenEntryResponse> {
    return this.reports.getEntry(id, undefined, ownerScopeOf(user));
  }
}
