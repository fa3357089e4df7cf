import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Env, FeedScope, feedHead, inTransaction, Metrics } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { feedScopeOf, scopedFeed } from '../events/feed-scope';
import { partiesByIds } from '../parties/party-refs';
import { PiiCipher } from '../parties/pii';
import { EVENT_ID_HEADER, EVENT_SEQ_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader } from './webhook-signature';
import { postWebhook } from './webhook-sender';
import { SubscriptionRow, webhooksStore } from './webhooks.store';

/** Events read from the feed per page of one delivery run. */
const PAGE = 50;
/** A run delivers at most this many events, then hands over (the job is delayed to now) so others get their turn. */
const MAX_PER_RUN = 500;
/** pg advisory lock class of a subscription's delivery (with hashtext(id)): one delivery in flight per subscription, any process. */
const DELIVERY_LOCK_CLASS = 0x57_48_4b; // "WHK"

/** What one run did and what the job does next. */
export type DeliveryRun =
  { kind: 'caught-up'; delivered: number } | { kind: 'more'; delivered: number } | { kind: 'retry'; delivered: number; at: Date } | { kind: 'busy' } | { kind: 'inactive' };

/**
 * Delivers a subscription's events (issue 17), in feed order, one at a time: each POST signed (HMAC-SHA256
 * over `<t>.<body>` with the current secret, and with the previous one too during a rotation's overlap),
 * each attempt recorded, the cursor moved past an event only once the receiver answered 2xx for it. A
 * failure stops the run and sets the next attempt after an exponential back-off; a failure streak older
 * than WEBHOOK_DISABLE_AFTER_DAYS disables the subscription. A session advisory lock keeps one delivery
 * per subscription in flight (a killed worker's lock goes with its connection), and a receiver may see an
 * event again (a crash between its 2xx and the cursor's update, a redelivery): always with the same event id.
 */
@Injectable()
export class WebhookDeliveryService {
  private readonly logger = new Logger(WebhookDeliveryService.name);
  /** The clock (tests move it to reach the disable threshold). */
  now: () => Date = () => new Date();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pii: PiiCipher,
    private readonly env: Env,
    @Optional() private readonly metrics?: Metrics,
  ) {}

  /** Active subscriptions due a delivery now (behind the feed and not waiting out a back-off). */
  async due(): Promise<string[]> {
    const em = this.dataSource.manager;
    return webhooksStore.due(em, await feedHead(em), this.now());
  }

  /** Active subscriptions behind the feed, due or not: each must have a job (a delayed one lost with Redis is made again). */
  async behind(): Promise<string[]> {
    const em = this.dataSource.manager;
    return webhooksStore.behind(em, await feedHead(em));
  }

  async deliver(subscriptionId: string): Promise<DeliveryRun> {
    const session = this.dataSource.createQueryRunner();
    await session.connect();
    try {
      const [{ locked }] = (await session.query(`SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked`, [DELIVERY_LOCK_CLASS, subscriptionId])) as Array<{ locked: boolean }>;
      if (!locked) return { kind: 'busy' };
      try {
        return await this.run(subscriptionId);
      } finally {
        await session.query(`SELECT pg_advisory_unlock($1, hashtext($2))`, [DELIVERY_LOCK_CLASS, subscriptionId]);
      }
    } finally {
      await session.release();
    }
  }

  private async run(id: string): Promise<DeliveryRun> {
    const em = this.dataSource.manager;
    let delivered = 0;
    while (delivered < MAX_PER_RUN) {
      const sub = await webhooksStore.byId(em, id);
      if (!sub || sub.state !== 'ACTIVE') return { kind: 'inactive' };
      if (sub.next_attempt_at && new Date(sub.next_attempt_at) > this.now()) return { kind: 'retry', delivered, at: new Date(sub.next_attempt_at) };
      // The head first: every event up to it that the page below does not return is not this subscription's.
      const head = await feedHead(em);
      const scope = await this.scopeOf(em, sub);
      const page = await scopedFeed(em, { after: sub.cursor, types: sub.types, limit: PAGE }, scope);
      let cursor = sub.cursor;
      let rewound = false;
      for (const event of page.items) {
        const body = JSON.stringify(event);
        const outcome = await postWebhook(sub.url, this.headers(sub, event.id, event.seq, event.type, body), body, {
          timeoutMs: this.env.WEBHOOK_TIMEOUT_MS,
          allowPrivate: this.env.WEBHOOK_ALLOW_PRIVATE,
        });
        const at = this.now();
        this.metrics?.webhookDeliveries.inc({ outcome: outcome.ok ? 'succeeded' : 'failed' });
        if (outcome.ok) {
          const moved = await inTransaction(this.dataSource, async (tx) => {
            await webhooksStore.recordAttempt(tx, { subscriptionId: id, eventId: event.id, seq: event.seq, at, ...outcome });
            return webhooksStore.advance(tx, id, cursor, event.seq);
          });
          delivered++;
          // Moved back meanwhile (a redelivery): start again from the new cursor.
          if (!moved) {
            rewound = true;
            break;
          }
          cursor = event.seq;
          continue;
        }
        const retryAt = await inTransaction(this.dataSource, async (tx) => {
          await webhooksStore.recordAttempt(tx, { subscriptionId: id, eventId: event.id, seq: event.seq, at, ...outcome });
          return this.failed(tx, id, at);
        });
        this.logger.warn({ subscription: id, seq: event.seq, error: outcome.error, retryAt }, 'webhook delivery failed; retrying after a back-off');
        return retryAt ? { kind: 'retry', delivered, at: retryAt } : { kind: 'inactive' };
      }
      if (rewound) continue;
      // Past the rows the page read (an event cut away entirely included); when it read less than a page, past the head too:
      // every event up to the head that it did not return is another type's or scope's.
      const past = page.read < PAGE && BigInt(head) > BigInt(page.last) ? head : page.last;
      if (BigInt(past) > BigInt(cursor)) await webhooksStore.advance(em, id, cursor, past);
      if (page.read < PAGE) return { kind: 'caught-up', delivered };
    }
    return { kind: 'more', delivered };
  }

  /** Records the failure; returns when to try again, or null when the streak has gone on too long and the subscription is now disabled. */
  private async failed(tx: EntityManager, id: string, at: Date): Promise<Date | null> {
    const sub = (await webhooksStore.byId(tx, id, true))!;
    const failures = sub.consecutive_failures + 1;
    const delay = Math.min(this.env.WEBHOOK_BACKOFF_MS * 2 ** Math.min(failures - 1, 30), this.env.WEBHOOK_BACKOFF_MAX_MS);
    const since = sub.failing_since ? new Date(sub.failing_since) : at;
    const tooLong = at.getTime() - since.getTime() >= this.env.WEBHOOK_DISABLE_AFTER_DAYS * 86_400_000;
    const reason = tooLong ? `deliveries failed without a success since ${since.toISOString()} (WEBHOOK_DISABLE_AFTER_DAYS=${this.env.WEBHOOK_DISABLE_AFTER_DAYS})` : null;
    const next = new Date(at.getTime() + delay);
    await webhooksStore.failed(tx, id, since, next, reason);
    if (reason) {
      this.metrics?.webhookDeliveries.inc({ outcome: 'disabled' });
      this.logger.error({ subscription: id, since }, 'webhook subscription DISABLED after failing too long; an ADMIN enables it again');
    }
    return reason ? null : next;
  }

  private async scopeOf(em: EntityManager, sub: SubscriptionRow): Promise<FeedScope | null> {
    if (!sub.scope_party_id) return null;
    const party = (await partiesByIds(em, [sub.scope_party_id])).get(sub.scope_party_id)!;
    return feedScopeOf(em, { id: party.id, code: party.code });
  }

  private headers(sub: SubscriptionRow, eventId: string, seq: string, type: string, body: string): Record<string, string> {
    const secrets = [this.pii.decrypt(sub.secret_sealed)];
    if (sub.previous_secret_sealed && sub.previous_secret_expires_at && new Date(sub.previous_secret_expires_at) > this.now())
      secrets.push(this.pii.decrypt(sub.previous_secret_sealed));
    const t = Math.floor(Date.now() / 1000);
    return { [SIGNATURE_HEADER]: signatureHeader(secrets, t, body), [EVENT_ID_HEADER]: eventId, [EVENT_SEQ_HEADER]: seq, [EVENT_TYPE_HEADER]: type };
  }
}
