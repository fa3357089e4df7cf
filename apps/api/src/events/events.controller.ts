import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { EventsFeedService, FeedPage, MAX_FEED_PAGE } from '@forest-ledger/forestry';
import { EVENT_TYPE_NAMES } from '@forest-ledger/platform';
import { Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { ApiErrorCodes, EVENT_FEED_ERRORS } from '../http/error-codes';

/** The event feed (issue 17): the outbox's published events, resumable by sequence. */
@ApiTags('events')
@Controller('v1/events')
@ApiErrorCodes(EVENT_FEED_ERRORS)
export class EventsController {
  constructor(private readonly feed: EventsFeedService) {}

  @Get()
  @Roles(...STAFF_READERS)
  @ApiOperation({
    summary: 'Events after a feed sequence, in sequence order (gapless, commit order); store the last seq handled and resume after it',
    description: `Types: ${EVENT_TYPE_NAMES.join(', ')}. Staff only for now.`,
  })
  @ApiQuery({ name: 'after', required: false, description: 'the last sequence handled (0 or absent: from the start)' })
  @ApiQuery({ name: 'types', required: false, description: 'comma-separated event types' })
  @ApiQuery({ name: 'limit', required: false, description: `1..${MAX_FEED_PAGE}, default 100` })
  @ApiOkResponse({ description: '{ items: [{ id, seq, type, version, aggregate: { type, id }, occurredAt, data }], next }' })
  @ApiErrors(400, 401, 403)
  list(@Query('after') after?: string, @Query('types') types?: string, @Query('limit') limit?: string): Promise<FeedPage> {
    return this.feed.page({ after, types, limit });
  }
}
