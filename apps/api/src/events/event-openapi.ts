import type { OpenAPIObject } from '@nestjs/swagger';
import type { ReferenceObject, SchemaObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { EVENT_TYPE_NAMES, eventJsonSchema, eventSchemaName } from '@forest-ledger/platform';

/** The component a feed page is declared with (GET /v1/events). */
export const EVENT_PAGE_SCHEMA = 'EventPage';

/**
 * Adds the event catalogue to the OpenAPI document (issue 17): one schema per type and version
 * (`Event.ticket.traded.v1`, generated from the catalogue's one definition per type), `Event` as their
 * oneOf with a discriminator on `type`, and the feed page that GET /v1/events answers.
 */
export function addEventSchemas(doc: OpenAPIObject): OpenAPIObject {
  const schemas: Record<string, SchemaObject | ReferenceObject> = (doc.components ??= {}).schemas ?? {};
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  for (const type of EVENT_TYPE_NAMES) schemas[eventSchemaName(type)] = eventJsonSchema(type);
  schemas.Event = {
    description: 'An event of the feed; its `data` is the schema of its type and version.',
    oneOf: EVENT_TYPE_NAMES.map((t) => ref(eventSchemaName(t))),
    discriminator: { propertyName: 'type', mapping: Object.fromEntries(EVENT_TYPE_NAMES.map((t) => [t, `#/components/schemas/${eventSchemaName(t)}`])) },
  };
  schemas[EVENT_PAGE_SCHEMA] = {
    type: 'object',
    required: ['items', 'next'],
    additionalProperties: false,
    properties: {
      items: { type: 'array', items: ref('Event') },
      next: { type: 'string', description: 'the sequence to ask `after` next' },
    },
  };
  doc.components.schemas = schemas;
  return doc;
}
