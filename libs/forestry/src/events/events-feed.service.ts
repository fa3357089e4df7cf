import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DomainError, DomainErrorKind } from '@forest-ledger/common';
import { EVENT_TYPE_NAMES, FeedEvent } from '@forest-ledger/platform';
import { feedScopeOf, scopedFeed } from './feed-scope';

export const MAX_FEED_PAGE = 500;
/** The feed's own codes (a query it cannot answer), with their kinds: the API declares them (ApiErrorCodes). */
export const EVENT_FEED_ERRORS: Readonly<Record<'INVALID_QUERY', DomainErrorKind>> = { INVALID_QUERY: 'invalid' };
export const DEFAULT_FEED_PAGE = 100;

export interface FeedQuery {
  after?: string;
  types?: string;
  limit?: string;
}

export interface FeedPage {
  items: FeedEvent[];
  /** The sequence to ask `after` next (the last item's, or `after` itself when the page is empty). */
  next: string;
}

/**
 * The resumable event feed (issue 17): pages of published events in feed-sequence order. A consumer that
 * stores the last sequence it handled and asks `after` it never misses or reorders an event. Staff read
 * everything; a party-scoped caller (a bank's or a buyer's key, a farm operator) the events that name its
 * party or are of a pledge in its favour, cut to its own lines (eventSeenBy). An event it may not see
 * is left out, so its page can be shorter than `limit` while more follow: `next` is where to resume.
 */
@Injectable()
export class EventsFeedService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async page(q: FeedQuery, caller: { partyId: string | null; partyCode: string | null } | null = null): Promise<FeedPage> {
    const after = q.after ?? '0';
    if (!/^\d{1,18}$/.test(after)) throw new DomainError('invalid', 'INVALID_QUERY', 'after must be a feed sequence number (0 for the start)', 'after');
    const limit = q.limit === undefined ? DEFAULT_FEED_PAGE : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_FEED_PAGE) throw new DomainError('invalid', 'INVALID_QUERY', `limit must be 1..${MAX_FEED_PAGE}`, 'limit');
    const types = q.types === undefined || q.types === '' ? [] : q.types.split(',');
    const unknown = types.find((t) => !(EVENT_TYPE_NAMES as string[]).includes(t));
    if (unknown !== undefined) throw new DomainError('invalid', 'INVALID_QUERY', `unknown event type ${unknown}; one of ${EVENT_TYPE_NAMES.join(', ')}`, 'types');
    const em = this.dataSource.manager;
    if (caller === null) {
      const { items, last } = await scopedFeed(em, { after, types, limit }, null);
      return { items, next: last };
    }
    // A scoped caller without a party sees nothing.
    if (!caller.partyId || !caller.partyCode) return { items: [], next: after };
    const { items, last } = await scopedFeed(em, { after, types, limit }, await feedScopeOf(em, { id: caller.partyId, code: caller.partyCode }));
    return { items, next: last };
  }
}
