import { EntityManager } from 'typeorm';
import { appendEvents, EVENT_DEFINITIONS, EventData, EventType } from '@forest-ledger/platform';

/**
 * Records a domain event in the caller's transaction (issue 17's outbox): it exists if and only if the
 * change it describes commits. The payload's type is the catalogue's schema for `type` (event-types.ts),
 * so what is written is what the OpenAPI document declares. Codes, ids and amounts as decimal strings,
 * never personal data.
 */
export async function recordEvent<T extends EventType>(
  em: EntityManager,
  type: T,
  aggregate: { type: (typeof EVENT_DEFINITIONS)[T]['aggregate']; id: string },
  payload: EventData<T>,
): Promise<void> {
  await appendEvents(em, [{ type, version: EVENT_DEFINITIONS[type].version, aggregateType: aggregate.type, aggregateId: aggregate.id, payload }]);
}
