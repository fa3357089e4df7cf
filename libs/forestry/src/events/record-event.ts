import { EntityManager } from 'typeorm';
import { appendEvents, EVENT_TYPES, EventType } from '@forest-ledger/platform';

/**
 * Records a domain event in the caller's transaction (issue 17's outbox): it exists if and only if the
 * change it describes commits. Payloads carry codes, ids and amounts as decimal strings, never personal data.
 */
export async function recordEvent(em: EntityManager, type: EventType, aggregate: { type: string; id: string }, payload: Record<string, unknown>): Promise<void> {
  await appendEvents(em, [{ type, version: EVENT_TYPES[type], aggregateType: aggregate.type, aggregateId: aggregate.id, payload }]);
}
