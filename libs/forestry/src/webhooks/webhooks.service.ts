import { DomainError } from '@forest-ledger/common';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Env, EVENT_TYPE_NAMES, feedHead } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { partiesByCodes, partiesByIds } from '../parties/party-refs';
import { PiiCipher } from '../parties/pii';
import { webhookUrlProblem } from './url-guard';
import { newWebhookSecret } from './webhook-signature';
import { DeliveryRow, SubscriptionRow, webhooksStore } from './webhooks.store';

export const MAX_WEBHOOK_TYPES = 100;
export const MAX_DELIVERIES_PAGE = 500;

export interface SubscriptionInput {
  url: string;
  types?: string[];
  /** A party code: the subscription gets what that party's feed shows (null or absent: every event, as staff see them). */
  party?: string | null;
  description?: string;
  /** Where delivery starts: `head` (default: only events from now on) or a sequence to deliver after (0: the whole feed). */
  startAfter?: string;
}

export interface SubscriptionView {
  id: string;
  url: string;
  types: string[];
  scope: { party: string } | null;
  description: string;
  state: 'ACTIVE' | 'DISABLED';
  disabledReason: string | null;
  cursor: string;
  failingSince: string | null;
  consecutiveFailures: number;
  nextAttemptAt: string | null;
  previousSecretExpiresAt: string | null;
  createdAt: string;
}

/** A view with the secret: only in the answer to a creation or a rotation. */
export type SubscriptionWithSecret = SubscriptionView & { secret: string };

export interface DeliveryView {
  id: string;
  eventId: string;
  seq: string;
  attemptedAt: string;
  status: 'SUCCEEDED' | 'FAILED';
  latencyMs: number;
  responseCode: number | null;
  error: string | null;
}

const notFound = (id: string) => new DomainError('not-found', 'WEBHOOK_SUBSCRIPTION_NOT_FOUND', `webhook subscription ${id} not found`, 'id');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Webhook subscriptions (issue 17), an ADMIN's: the URL, the event types, the scope; the secret, shown once
 * (at creation and rotation) and stored sealed (AES-256-GCM under the PII key ring), never in clear. A
 * rotation keeps the previous secret signing beside the new one for an overlap. Delivery is the worker's
 * (WebhookDeliveryService); here the cursor is only moved back, for a redelivery.
 */
@Injectable()
export class WebhooksService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pii: PiiCipher,
    private readonly env: Env,
  ) {}

  async create(em: EntityManager, input: SubscriptionInput, createdBy: string | null): Promise<SubscriptionWithSecret> {
    const url = this.checkUrl(input.url);
    const types = this.checkTypes(input.types ?? []);
    {
      const scopePartyId = input.party ? await this.partyId(em, input.party) : null;
      const head = await feedHead(em);
      const start = input.startAfter === undefined || input.startAfter === 'head' ? head : input.startAfter;
      if (!/^\d{1,18}$/.test(start)) throw new DomainError('invalid', 'VALIDATION_FAILED', 'startAfter must be "head" or a feed sequence number', 'startAfter');
      const secret = newWebhookSecret();
      const row = await webhooksStore.insert(em, {
        url,
        types,
        scopePartyId,
        description: input.description ?? '',
        secretSealed: this.pii.encrypt(secret),
        cursor: start,
        createdBy,
      });
      return { ...(await this.viewOf(em, row)), secret };
    }
  }

  async list(): Promise<SubscriptionView[]> {
    const em = this.dataSource.manager;
    return Promise.all((await webhooksStore.list(em)).map((r) => this.viewOf(em, r)));
  }

  async get(id: string): Promise<SubscriptionView> {
    const em = this.dataSource.manager;
    return this.viewOf(em, await this.load(em, id));
  }

  async update(em: EntityManager, id: string, patch: { url?: string; types?: string[]; description?: string }): Promise<SubscriptionView> {
    const url = patch.url === undefined ? undefined : this.checkUrl(patch.url);
    const types = patch.types === undefined ? undefined : this.checkTypes(patch.types);
    await this.load(em, id, true);
    await webhooksStore.update(em, id, { url, types, description: patch.description });
    return this.viewOf(em, await this.load(em, id));
  }

  async setEnabled(em: EntityManager, id: string, enabled: boolean): Promise<SubscriptionView> {
    await this.load(em, id, true);
    await webhooksStore.setState(em, id, enabled ? 'ACTIVE' : 'DISABLED', enabled ? null : 'disabled by an ADMIN');
    return this.viewOf(em, await this.load(em, id));
  }

  /** A new secret; the old one keeps signing (a second `v1=`) for `overlapHours` (default WEBHOOK_SECRET_OVERLAP_HOURS; 0: not at all). */
  async rotateSecret(em: EntityManager, id: string, overlapHours?: number): Promise<SubscriptionWithSecret> {
    const hours = overlapHours ?? this.env.WEBHOOK_SECRET_OVERLAP_HOURS;
    {
      const row = await this.load(em, id, true);
      const secret = newWebhookSecret();
      const expires = hours > 0 ? new Date(Date.now() + hours * 3_600_000) : null;
      await webhooksStore.rotate(em, id, this.pii.encrypt(secret), expires ? row.secret_sealed : null, expires);
      return { ...(await this.viewOf(em, await this.load(em, id))), secret };
    }
  }

  async remove(em: EntityManager, id: string): Promise<{ id: string; deleted: true }> {
    if (!UUID.test(id)) throw notFound(id);
    if (!(await webhooksStore.remove(em, id))) throw notFound(id);
    return { id, deleted: true };
  }

  /** Delivers again from `fromSeq` (inclusive) on: the cursor goes back to fromSeq − 1; the worker picks it up within a second. */
  async redeliver(em: EntityManager, id: string, fromSeq: string): Promise<SubscriptionView> {
    if (!/^\d{1,18}$/.test(fromSeq) || fromSeq === '0') throw new DomainError('invalid', 'VALIDATION_FAILED', 'fromSeq must be a feed sequence number (1 or more)', 'fromSeq');
    {
      const row = await this.load(em, id, true);
      if (BigInt(fromSeq) > BigInt(await feedHead(em)))
        throw new DomainError('invalid', 'VALIDATION_FAILED', `fromSeq must not be past the feed's head (${await feedHead(em)})`, 'fromSeq');
      await webhooksStore.rewind(em, row.id, (BigInt(fromSeq) - 1n).toString());
      return this.viewOf(em, await this.load(em, id));
    }
  }

  /** Every attempt, newest first (`before`: an attempt id, to page). */
  async deliveries(id: string, q: { before?: string; limit?: string }): Promise<{ items: DeliveryView[]; next: string | null }> {
    const limit = q.limit === undefined ? 100 : Number(q.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_DELIVERIES_PAGE) throw new DomainError('invalid', 'INVALID_QUERY', `limit must be 1..${MAX_DELIVERIES_PAGE}`, 'limit');
    if (q.before !== undefined && !/^\d{1,18}$/.test(q.before)) throw new DomainError('invalid', 'INVALID_QUERY', 'before must be an attempt id', 'before');
    const em = this.dataSource.manager;
    await this.load(em, id);
    const rows = await webhooksStore.attempts(em, id, { before: q.before ?? null, limit });
    return { items: rows.map(deliveryView), next: rows.length === limit ? rows[rows.length - 1].id : null };
  }

  private async load(em: EntityManager, id: string, lock = false): Promise<SubscriptionRow> {
    if (!UUID.test(id)) throw notFound(id);
    const row = await webhooksStore.byId(em, id, lock);
    if (!row) throw notFound(id);
    return row;
  }

  private async partyId(em: EntityManager, code: string): Promise<string> {
    const party = (await partiesByCodes(em, [code])).get(code);
    if (!party) throw new DomainError('invalid', 'VALIDATION_FAILED', `party ${code} does not exist`, 'party');
    return party.id;
  }

  private checkUrl(url: string): string {
    const problem = webhookUrlProblem(url, this.env.WEBHOOK_ALLOW_PRIVATE);
    if (problem) throw new DomainError('invalid', 'VALIDATION_FAILED', problem, 'url');
    return url;
  }

  private checkTypes(types: string[]): string[] {
    const unknown = types.find((t) => !(EVENT_TYPE_NAMES as string[]).includes(t));
    if (unknown !== undefined) throw new DomainError('invalid', 'VALIDATION_FAILED', `unknown event type ${unknown}; one of ${EVENT_TYPE_NAMES.join(', ')}`, 'types');
    return [...new Set(types)];
  }

  private async viewOf(em: EntityManager, r: SubscriptionRow): Promise<SubscriptionView> {
    const party = r.scope_party_id ? (await partiesByIds(em, [r.scope_party_id])).get(r.scope_party_id) : undefined;
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return {
      id: r.id,
      url: r.url,
      types: r.types,
      scope: party ? { party: party.code } : null,
      description: r.description,
      state: r.state,
      disabledReason: r.disabled_reason,
      cursor: r.cursor,
      failingSince: iso(r.failing_since),
      consecutiveFailures: r.consecutive_failures,
      nextAttemptAt: iso(r.next_attempt_at),
      previousSecretExpiresAt: r.previous_secret_sealed ? iso(r.previous_secret_expires_at) : null,
      createdAt: new Date(r.created_at).toISOString(),
    };
  }
}

function deliveryView(r: DeliveryRow): DeliveryView {
  return {
    id: r.id,
    eventId: r.event_id,
    seq: r.feed_seq,
    attemptedAt: new Date(r.attempted_at).toISOString(),
    status: r.status,
    latencyMs: r.latency_ms,
    responseCode: r.response_code,
    error: r.error,
  };
}
