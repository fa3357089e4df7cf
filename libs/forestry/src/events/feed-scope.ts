import { FeedEvent, FeedScope, selectFeed } from '@forest-ledger/platform';
import { EntityManager } from 'typeorm';
import { pledgeIdsOfPledgee } from '../tickets/series-refs';
import { eventSeenBy } from './event-scope';

/** A party's view of the feed: its code and the pledges given in its favour (a bank's). */
export async function feedScopeOf(em: EntityManager, party: { id: string; code: string }): Promise<FeedScope> {
  return { party: party.code, pledgeIds: await pledgeIdsOfPledgee(em, party.id) };
}

/**
 * A page of the feed as `scope` sees it (null: everything, as staff): the SQL keeps the events naming the party,
 * eventSeenBy cuts their data. `read` and `last`: how many rows the page read and the last one's sequence (where to resume).
 */
export async function scopedFeed(
  em: EntityManager,
  q: { after: string; types?: readonly string[]; limit: number },
  scope: FeedScope | null,
): Promise<{ items: FeedEvent[]; read: number; last: string }> {
  const events = await selectFeed(em, { ...q, scope });
  const last = events.length > 0 ? events[events.length - 1].seq : q.after;
  if (!scope) return { items: events, read: events.length, last };
  const pledges = new Set(scope.pledgeIds);
  return { items: events.map((e) => eventSeenBy(e, scope.party, pledges)).filter((e): e is FeedEvent => e !== null), read: events.length, last };
}
