import { EVENT_TYPE_NAMES, eventJsonSchema } from '@forest-ledger/platform';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { DataSource } from 'typeorm';

/**
 * Every event checked against the JSON schema the OpenAPI document declares for its type and version
 * (issue 17), with Ajv (OpenAPI 3.0 `nullable`, formats). Run over every test file's outbox before its
 * database is dropped, so whatever the test data produces is validated.
 */
const ajv = new Ajv({ allErrors: true, strict: false, discriminator: true });
addFormats(ajv);
const validators = new Map<string, ValidateFunction>(EVENT_TYPE_NAMES.map((t) => [t, ajv.compile(eventJsonSchema(t))]));

/** Problems with one feed event (as GET /v1/events answers it); none when it matches its type's schema. */
export function eventSchemaProblems(event: { type: string } & Record<string, unknown>): string[] {
  const type = event.type;
  const validate = validators.get(type);
  if (!validate) return [`unknown event type ${type}`];
  if (validate(event)) return [];
  return (validate.errors ?? []).map((e) => `${type}${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Every outbox row of this database, as a feed event, against its schema (a published row's seq, else 1). */
export async function eventSchemaViolations(ds: DataSource, limit = 20): Promise<string[]> {
  const problems: string[] = [];
  let after = '0';
  for (;;) {
    const rows = await ds.query<
      Array<{
        id: string;
        ord: string;
        seq: string;
        type: string;
        version: number;
        aggregate_type: string;
        aggregate_id: string;
        occurred_at: Date;
        payload: Record<string, unknown>;
      }>
    >(
      `SELECT id, ord::text AS ord, COALESCE(feed_seq, 1)::text AS seq, type, version, aggregate_type, aggregate_id, occurred_at, payload
         FROM outbox_events WHERE ord > $1 ORDER BY ord LIMIT 2000`,
      [after],
    );
    if (rows.length === 0) return problems;
    for (const r of rows) {
      const event = {
        id: r.id,
        seq: r.seq,
        type: r.type,
        version: r.version,
        aggregate: { type: r.aggregate_type, id: r.aggregate_id },
        occurredAt: new Date(r.occurred_at).toISOString(),
        data: r.payload,
      };
      for (const p of eventSchemaProblems(event)) if (problems.length < limit) problems.push(`event ${r.id}: ${p}`);
    }
    after = rows[rows.length - 1].ord;
  }
}
