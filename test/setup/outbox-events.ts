import { EventType } from '@forest-ledger/platform';
import { DataSource } from 'typeorm';

/** An outbox row as the tests read it (published or not). */
export interface OutboxRow {
  ord: string;
  type: string;
  version: number;
  aggregate: { type: string; id: string };
  data: Record<string, unknown>;
}

/** The outbox's position now: events written after it are those with a higher `ord`. */
export async function outboxMark(ds: DataSource): Promise<string> {
  const [row] = await ds.query<Array<{ ord: string }>>(`SELECT COALESCE(max(ord), 0)::text AS ord FROM outbox_events`);
  return row.ord;
}

/** The events written since `mark` (optionally of some types), in write order. */
export async function outboxSince(ds: DataSource, mark: string, types?: readonly EventType[]): Promise<OutboxRow[]> {
  const rows = await ds.query<Array<{ ord: string; type: string; version: number; aggregate_type: string; aggregate_id: string; payload: Record<string, unknown> }>>(
    `SELECT ord::text AS ord, type, version, aggregate_type, aggregate_id, payload FROM outbox_events WHERE ord > $1 AND ($2::text[] IS NULL OR type = ANY($2)) ORDER BY ord`,
    [mark, types ?? null],
  );
  return rows.map((r) => ({ ord: r.ord, type: r.type, version: r.version, aggregate: { type: r.aggregate_type, id: r.aggregate_id }, data: r.payload }));
}

/** Runs `work` in a transaction that is then rolled back: whatever it wrote, events included, must be gone. */
export async function rolledBack(ds: DataSource, work: (em: import('typeorm').EntityManager) => Promise<unknown>): Promise<void> {
  const abort = new Error('rolled back on purpose');
  await expect(
    ds.transaction(async (em) => {
      await work(em);
      throw abort;
    }),
  ).rejects.toBe(abort);
}
