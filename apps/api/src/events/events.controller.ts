import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { EventsFeedService, FeedPage, MAX_FEED_PAGE } from '@forest-ledger/forestry';
import { EVENT_TYPE_NAMES } from '@forest-ledger/platform';
import type { AuthUser } from '@forest-ledger/access';
import { CurrentUser, Roles, STAFF_READERS } from '../auth/auth.decorators';
import { ApiErrors } from '../http/error.dto';
import { EVENT_PAGE_SCHEMA } from './event-openapi';
import { ApiErrorCodes } from '../http/error-codes';

/** The event feed (issue 17): the outbox's published events, resumable by sequence. */
@ApiTags('events')
@Controller('v1/events')
@ApiErrorCodes('eventFeed')
export class EventsController {
  constructor(private readonly feed: EventsFeedService) {}

  @Get()
  // A villager none (403); a bank's or buyer's key, a farm operator: its party's events.
  @Roles(...STAFF_READERS, 'FARM_OPERATOR', 'BUYER')
  @ApiOperation({
    summary: 'Events after a feed sequence, in sequence order (gapless, commit order); store the last seq handled and resume after it',
    description: `Types: ${EVENT_TYPE_NAMES.join(', ')}. Staff see every event; a FARM_OPERATOR or BUYER (a bank's key: a BUYER user of the BANK party) the events naming its party or of a pledge in its favour, cut to its own lines; a VILLAGER none (403).`,
  })
  @ApiQuery({ name: 'after', required: false, description: 'the last sequence handled (0 or absent: from the start)' })
  @ApiQuery({ name: 'types', required: false, description: 'comma-separated event types' })
  @ApiQuery({ name: 'limit', required: false, description: `1..${MAX_FEED_PAGE}, default 100` })
  @ApiOkResponse({
    description:
      '{ items: [{ id, seq, type, version, aggregate: { type, id }, occurredAt, data }], next }; each item is one of the Event.<type>.v<version> schemas (discriminator: type)',
    schema: { $ref: `#/components/schemas/${EVENT_PAGE_SCHEMA}` },
  })
  @ApiErrors(400, 401, 403)
  list(@CurrentUser() user: AuthUser, @Query('after') after?: string, @Query('types') types?: string, @Query('limit') limit?: string): Promise<FeedPage> {
    const staff = STAFF_READERS.includes(user.role);
    return this.feed.page({ after, types, limit }, staff ? null : { partyId: user.partyId, partyCode: user.partyCode });
  }
}
