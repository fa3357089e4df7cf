import { EntityManager } from 'typeorm';
import { preparedQuery } from '../database/prepared';

/**
 * The outbox table's one store (issue 17): events are appended in the caller's transaction (so an event
 * exists if and only if its change committed), and the relay publishes them into the gapless feed.
 */

/** An event as a writer records it. */
export interface OutboxEventInput {
  type: string;
  version?: number;
  aggregateType: string;
  aggregateId: string;
  payload: Record<string, unknown>;
}

/** An event of the feed, as readers and webhooks see it. */
export interface FeedEvent {
  id: string;
  seq: string;
  type: string;
  version: number;
  aggregate: { type: string; id: string };
  occurredAt: string;
  data: Record<string, unknown>;
}

interface FeedRow {
  id: string;
  feed_seq: string;
  type: string;
  version: number;
  aggregate_type: string;
  aggregate_id: string;
  occurred_at: Date;
  payload: Record<string, unknown>;
}

/** Appends events in one statement, in the caller's transaction (a no-op for none). */
export async function appendEvents(em: EntityManager, events: readonly OutboxEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await preparedQuery(
    em,
    'outbox_append',
    `INSERT INTO outbox_events (type, version, aggregate_type, aggregate_id, payload)
     SELECT t.type, t.version, t.aggregate_type, t.aggregate_id, ($5::jsonb) -> (t.ord::int - 1)
     FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) WITH ORDINALITY AS t(type, version, aggregate_type, aggregate_id, ord)
     ORDER BY t.ord`,
    [
      events.map((e) => e.type),
      events.map((e) => e.version ?? 1),
      events.map((e) => e.aggregateType),
      events.map((e) => e.aggregateId),
      JSON.stringify(events.map((e) => e.payload)),
    ],
  );
}

/** The advisory lock that lets one relay run at a time (any process). */
export const OUTBOX_RELAY_LOCK = 1_795_520_017;

/**
 * Publishes committed events: inside the caller's transaction, under a transaction-scoped advisory lock
 * (skipped, returning 0, when another relay holds it), gives the next gapless `feed_seq` numbers to the
 * rows whose writing transaction is older than every transaction still in flight, ordered by txid then
 * write order. The horizon is read first, in its own statement: the oldest transaction id running in
 * this database (only its transactions write the table; other databases on the cluster must not hold
 * the feed back), else the statement snapshot's xmax. Every transaction below it has ended before the
 * UPDATE's newer snapshot is taken, so all its rows are visible to it: none can commit later with a lower txid.
 * Returns how many were published.
 */
export async function publishCommitted(em: EntityManager, limit = 5000): Promise<number> {
  const [lock] = await em.query<Array<{ ok: boolean }>>(`SELECT pg_try_advisory_xact_lock($1) AS ok`, [OUTBOX_RELAY_LOCK]);
  if (!lock.ok) return 0;
  const [{ horizon }] = await em.query<Array<{ horizon: string }>>(
    `SELECT LEAST(
       (SELECT min(backend_xid::text::bigint) FROM pg_stat_activity WHERE datname = current_database() AND backend_xid IS NOT NULL),
       pg_snapshot_xmax(pg_current_snapshot())::text::bigint
     )::text AS horizon`,
  );
  const rows = await em.query<Array<{ n: number }>>(
    `WITH head AS (SELECT COALESCE(MAX(feed_seq), 0) AS seq FROM outbox_events),
          ready AS (
            SELECT id, row_number() OVER (ORDER BY txid, ord) AS n FROM (
              SELECT id, txid, ord FROM outbox_events
              WHERE feed_seq IS NULL AND txid < $2::bigint
              ORDER BY txid, ord LIMIT $1
            ) r
          )
          , published AS (UPDATE outbox_events o SET feed_seq = head.seq + ready.n FROM ready, head WHERE o.id = ready.id RETURNING o.feed_seq)
     SELECT count(*)::int AS n FROM published`,
    [limit, horizon],
  );
  return rows[0].n;
}

/**
 * A page of the feed after `after`, in sequence order, optionally of some types only. Ordered by the column
 * (`o.feed_seq`), not the text alias of the same name: as text, 10 would sort before 9.
 */
export async function selectFeed(em: EntityManager, q: { after: string; types?: readonly string[]; limit: number }): Promise<FeedEvent[]> {
  const rows = await em.query<FeedRow[]>(
    `SELECT id, feed_seq::text AS feed_seq, type, version, aggregate_type, aggregate_id, occurred_at, payload
     FROM outbox_events o
     WHERE o.feed_seq > $1 AND ($2::text[] IS NULL OR o.type = ANY($2))
     ORDER BY o.feed_seq LIMIT $3`,
    [q.after, q.types && q.types.length > 0 ? q.types : null, q.limit],
  );
  return rows.map((r) => ({
    id: r.id,
    seq: r.feed_seq,
    type: r.type,
    version: r.version,
    aggregate: { type: r.aggregate_type, id: r.aggregate_id },
    occurredAt: new Date(r.occurred_at).toISOString(),
    data: r.payload,
  }));
}

/** The highest published sequence (0 for none). */
export async function feedHead(em: EntityManager): Promise<string> {
  const [row] = await em.query<Array<{ seq: string }>>(`SELECT COALESCE(MAX(feed_seq), 0)::text AS seq FROM outbox_events`);
  return row.seq;
}
