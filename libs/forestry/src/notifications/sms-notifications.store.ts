import { EntityManager } from 'typeorm';

/** The only SQL on sms_notifications and sms_notifier_cursor (issue 17's villager notifier). */

export type SmsState = 'SENDING' | 'SENT' | 'FAILED' | 'NO_MOBILE';

export interface SmsNotificationRow {
  id: string;
  event_id: string;
  event_type: string;
  party_id: string;
  state: SmsState;
  mobile_masked: string | null;
  message: string;
  provider: string;
  provider_reference: string | null;
  error: string | null;
}

export const smsNotificationsStore = {
  /** The last feed sequence the notifier `name` finished (0 before its first run). */
  async cursor(em: EntityManager, name: string): Promise<string> {
    await em.query(`INSERT INTO sms_notifier_cursor (name) VALUES ($1) ON CONFLICT (name) DO NOTHING`, [name]);
    const [row] = await em.query<Array<{ after_seq: string }>>(`SELECT after_seq::text AS after_seq FROM sms_notifier_cursor WHERE name = $1`, [name]);
    return row.after_seq;
  },

  /** Moves the cursor forward (never back, whatever runs concurrently). */
  async advance(em: EntityManager, name: string, seq: string): Promise<void> {
    await em.query(`UPDATE sms_notifier_cursor SET after_seq = GREATEST(after_seq, $2::bigint), updated_at = now() WHERE name = $1`, [name, seq]);
  },

  /**
   * Claims (event, party) before anything is sent: inserts its row, or nothing when one exists (sent, being
   * sent, failed or skipped before). True when this call claimed it; the unique key makes that true once ever.
   */
  async claim(
    em: EntityManager,
    row: { eventId: string; eventType: string; partyId: string; state: 'SENDING' | 'NO_MOBILE'; mobileMasked: string | null; message: string; provider: string },
  ): Promise<boolean> {
    const inserted = await em.query<Array<{ id: string }>>(
      `INSERT INTO sms_notifications (event_id, event_type, party_id, state, mobile_masked, message, provider) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (event_id, party_id) DO NOTHING RETURNING id::text AS id`,
      [row.eventId, row.eventType, row.partyId, row.state, row.mobileMasked, row.message, row.provider],
    );
    return inserted.length === 1;
  },

  /** The send's outcome. */
  async settle(em: EntityManager, eventId: string, partyId: string, outcome: { state: 'SENT' | 'FAILED'; providerReference: string | null; error: string | null }): Promise<void> {
    await em.query(
      `UPDATE sms_notifications SET state = $3, provider_reference = $4, error = $5, sent_at = CASE WHEN $3 = 'SENT' THEN now() END WHERE event_id = $1 AND party_id = $2 AND state = 'SENDING'`,
      [eventId, partyId, outcome.state, outcome.providerReference, outcome.error],
    );
  },

  /** Notifications of one event, or all, in id order. */
  async list(em: EntityManager, filter: { eventId?: string } = {}): Promise<SmsNotificationRow[]> {
    return await em.query<SmsNotificationRow[]>(
      `SELECT id::text AS id, event_id::text AS event_id, event_type, party_id::text AS party_id, state, mobile_masked, message, provider, provider_reference, error
         FROM sms_notifications WHERE ($1::uuid IS NULL OR event_id = $1) ORDER BY id`,
      [filter.eventId ?? null],
    );
  },

  /** How many notifications are in each state. */
  async counts(em: EntityManager): Promise<Record<SmsState, number>> {
    const rows = await em.query<Array<{ state: SmsState; n: number }>>(`SELECT state, count(*)::int AS n FROM sms_notifications GROUP BY state`);
    const counts: Record<SmsState, number> = { SENDING: 0, SENT: 0, FAILED: 0, NO_MOBILE: 0 };
    for (const r of rows) counts[r.state] = r.n;
    return counts;
  },
};
