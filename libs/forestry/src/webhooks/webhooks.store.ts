import { EntityManager } from 'typeorm';

/** The only SQL on webhook_subscriptions and webhook_deliveries (issue 17). */

export interface SubscriptionRow {
  id: string;
  url: string;
  types: string[];
  scope_party_id: string | null;
  description: string;
  state: 'ACTIVE' | 'DISABLED';
  disabled_reason: string | null;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  cursor: string;
  failing_since: Date | null;
  consecutive_failures: number;
  next_attempt_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface DeliveryRow {
  id: string;
  event_id: string;
  feed_seq: string;
  attempted_at: Date;
  status: 'SUCCEEDED' | 'FAILED';
  latency_ms: number;
  response_code: number | null;
  error: string | null;
}

const SELECT = `SELECT id, url, types, scope_party_id, description, state, disabled_reason, secret_sealed, previous_secret_sealed, previous_secret_expires_at,
  cursor::text AS cursor, failing_since, consecutive_failures, next_attempt_at, created_at, updated_at FROM webhook_subscriptions`;

export const webhooksStore = {
  async insert(
    em: EntityManager,
    s: { url: string; types: string[]; scopePartyId: string | null; description: string; secretSealed: string; cursor: string; createdBy: string | null },
  ): Promise<SubscriptionRow> {
    const [row] = await em.query<Array<{ id: string }>>(
      `INSERT INTO webhook_subscriptions (url, types, scope_party_id, description, secret_sealed, cursor, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)
       RETURNING id`,
      [s.url, s.types, s.scopePartyId, s.description, s.secretSealed, s.cursor, s.createdBy],
    );
    return (await this.byId(em, row.id))!;
  },

  async byId(em: EntityManager, id: string, lock = false): Promise<SubscriptionRow | null> {
    const rows = await em.query<SubscriptionRow[]>(`${SELECT} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return rows[0] ?? null;
  },

  async list(em: EntityManager): Promise<SubscriptionRow[]> {
    return await em.query<SubscriptionRow[]>(`${SELECT} ORDER BY created_at, id`);
  },

  async update(em: EntityManager, id: string, patch: { url?: string; types?: string[]; description?: string }): Promise<void> {
    await em.query(
      `UPDATE webhook_subscriptions SET url = COALESCE($2, url), types = COALESCE($3, types), description = COALESCE($4, description), updated_at = now() WHERE id = $1`,
      [id, patch.url ?? null, patch.types ?? null, patch.description ?? null],
    );
  },

  /** Enabling starts a new failure streak and delivers at once; disabling records why. */
  async setState(em: EntityManager, id: string, state: 'ACTIVE' | 'DISABLED', reason: string | null): Promise<void> {
    await em.query(
      `UPDATE webhook_subscriptions SET state = $2, disabled_reason = $3, updated_at = now(),
         failing_since = CASE WHEN $2 = 'ACTIVE' THEN NULL ELSE failing_since END,
         consecutive_failures = CASE WHEN $2 = 'ACTIVE' THEN 0 ELSE consecutive_failures END,
         next_attempt_at = CASE WHEN $2 = 'ACTIVE' THEN NULL ELSE next_attempt_at END
       WHERE id = $1`,
      [id, state, reason],
    );
  },

  async rotate(em: EntityManager, id: string, secretSealed: string, previousSealed: string | null, previousExpiresAt: Date | null): Promise<void> {
    await em.query(`UPDATE webhook_subscriptions SET secret_sealed = $2, previous_secret_sealed = $3, previous_secret_expires_at = $4, updated_at = now() WHERE id = $1`, [
      id,
      secretSealed,
      previousSealed,
      previousExpiresAt,
    ]);
  },

  async remove(em: EntityManager, id: string): Promise<boolean> {
    const rows = await em.query<Array<{ id: string }>>(`DELETE FROM webhook_subscriptions WHERE id = $1 RETURNING id`, [id]);
    return rows.length > 0;
  },

  /** Moves the cursor back (a redelivery): the next delivery starts after `cursor`, at once, on a new streak. */
  async rewind(em: EntityManager, id: string, cursor: string): Promise<void> {
    await em.query(`UPDATE webhook_subscriptions SET cursor = $2, next_attempt_at = NULL, failing_since = NULL, consecutive_failures = 0, updated_at = now() WHERE id = $1`, [
      id,
      cursor,
    ]);
  },

  /** A delivered event: the cursor moves to it only from where the delivery started (a redelivery meanwhile wins). */
  async advance(em: EntityManager, id: string, from: string, to: string): Promise<boolean> {
    const rows = await em.query<Array<{ id: string }>>(
      `UPDATE webhook_subscriptions SET cursor = $3, failing_since = NULL, consecutive_failures = 0, next_attempt_at = NULL WHERE id = $1 AND cursor = $2 RETURNING id`,
      [id, from, to],
    );
    return rows.length > 0;
  },

  /** A failed attempt: the streak starts (or goes on), the next attempt waits; disabled when the streak is too old. */
  async failed(em: EntityManager, id: string, at: Date, nextAttemptAt: Date, disableReason: string | null): Promise<void> {
    await em.query(
      `UPDATE webhook_subscriptions SET failing_since = COALESCE(failing_since, $2), consecutive_failures = consecutive_failures + 1, next_attempt_at = $3,
         state = CASE WHEN $4::text IS NULL THEN state ELSE 'DISABLED' END, disabled_reason = COALESCE($4, disabled_reason)
       WHERE id = $1`,
      [id, at, nextAttemptAt, disableReason],
    );
  },

  async recordAttempt(
    em: EntityManager,
    a: { subscriptionId: string; eventId: string; seq: string; at: Date; ok: boolean; latencyMs: number; responseCode: number | null; error: string | null },
  ): Promise<void> {
    await em.query(
      `INSERT INTO webhook_deliveries (subscription_id, event_id, feed_seq, attempted_at, status, latency_ms, response_code, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [a.subscriptionId, a.eventId, a.seq, a.at, a.ok ? 'SUCCEEDED' : 'FAILED', a.latencyMs, a.responseCode, a.error],
    );
  },

  async attempts(em: EntityManager, id: string, q: { before: string | null; limit: number }): Promise<DeliveryRow[]> {
    return await em.query<DeliveryRow[]>(
      `SELECT id::text AS id, event_id, feed_seq::text AS feed_seq, attempted_at, status, latency_ms, response_code, error FROM webhook_deliveries
       WHERE subscription_id = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [id, q.before, q.limit],
    );
  },

  /** Active subscriptions behind the feed's head and due (not waiting out a back-off): the ones that need a delivery job. */
  async due(em: EntityManager, head: string, now: Date): Promise<string[]> {
    const rows = await em.query<Array<{ id: string }>>(
      `SELECT id FROM webhook_subscriptions WHERE state = 'ACTIVE' AND cursor < $1 AND (next_attempt_at IS NULL OR next_attempt_at <= $2) ORDER BY id`,
      [head, now],
    );
    return rows.map((r) => r.id);
  },

  /** Active subscriptions behind the feed's head, due or not (the reconciler: a delayed job lost with Redis is made again). */
  async behind(em: EntityManager, head: string): Promise<string[]> {
    const rows = await em.query<Array<{ id: string }>>(`SELECT id FROM webhook_subscriptions WHERE state = 'ACTIVE' AND cursor < $1 ORDER BY id`, [head]);
    return rows.map((r) => r.id);
  },
};
