import type { ApiApplication } from '../../apps/api/src/app.setup';
import { EVENT_TYPE_NAMES, eventJsonSchema, eventSchemaName, OutboxRelay } from '@forest-ledger/platform';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { LedgerFactory } from '../factories/ledger.factory';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let app: ApiApplication;
let admin: string;
let relay: OutboxRelay;

beforeAll(async () => {
  app = await createTestApp(db);
  admin = `Bearer ${await tokenFor(app, 'ADMIN')}`;
  relay = new OutboxRelay(db.dataSource);
  await app.listen(0, '127.0.0.1');
  await new LedgerFactory(db.dataSource).cnyWorld(['party:A:wallet:CNY']);
});
afterAll(() => app?.close());

interface Page {
  items: Array<{ id: string; seq: string; type: string; data: Record<string, unknown> }>;
  next: string;
}

const feed = async (query: string, auth = admin) => request(app.getHttpServer()).get(`/v1/events${query}`).set('Authorization', auth);

describe('GET /v1/events (issue 17)', () => {
  it('pages the published events by sequence; a consumer resumes after the last one it handled', async () => {
    const posted: string[] = [];
    const feedIds = new Set<string>();
    for (const amount of ['1.00', '2.00', '3.00']) {
      const res = await request(app.getHttpServer())
        .post('/v1/entries')
        .set('Authorization', admin)
        .set('Idempotency-Key', randomUUID())
        .send({
          kind: 'TRANSFER',
          effectiveDate: '2026-11-23',
          postings: [
            { account: 'bank:ICBC-YC:CNY', side: 'DEBIT', amount },
            { account: 'party:A:wallet:CNY', side: 'CREDIT', amount },
          ],
        });
      expect(res.status).toBe(201);
      posted.push((res.body as { entry: { id: string } }).entry.id);
    }
    for (let i = 0; i < 100 && !posted.every((id) => feedIds.has(id)); i++) {
      if ((await relay.drain()) === 0) await new Promise((r) => setTimeout(r, 50));
      for (const e of ((await feed('?limit=500')).body as Page).items) feedIds.add(String(e.data.entryId));
    }
    const seen: Page['items'] = [];
    let after = '0';
    for (;;) {
      const res = await feed(`?after=${after}&types=ledger.entry.posted&limit=2`);
      expect(res.status).toBe(200);
      const page = res.body as Page;
      if (page.items.length === 0) break;
      seen.push(...page.items);
      after = page.next;
    }
    expect(seen.map((e) => e.data.entryId).slice(-3)).toEqual(posted);
    expect(seen.map((e) => BigInt(e.seq))).toEqual([...seen.map((e) => BigInt(e.seq))].sort((a, b) => (a < b ? -1 : 1)));
    expect(seen.slice(-3).map((e) => e.data.postings)).toEqual(
      ['1.00', '2.00', '3.00'].map((amount) => [
        { account: 'bank:ICBC-YC:CNY', side: 'DEBIT', amount },
        { account: 'party:A:wallet:CNY', side: 'CREDIT', amount },
      ]),
    );
  });

  it('refuses unknown types and bad cursors, and needs a staff caller', async () => {
    expect((await feed('?types=nope')).status).toBe(400);
    expect((await feed('?after=-1')).status).toBe(400);
    expect((await feed('?limit=501')).status).toBe(400);
    // A VILLAGER gets 403, a FARM_OPERATOR or BUYER its own events: test/e2e/scoped-reads.e2e-spec.ts reads /v1/events as each, test/e2e/webhooks.e2e-spec.ts as a bank.
  });
});

describe('the event schemas in the OpenAPI document (issue 17)', () => {
  it('declares one versioned schema per type, the catalogue’s own, and the feed as a oneOf on type; the feed’s events validate against the document', async () => {
    const doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body as {
      components: { schemas: Record<string, { oneOf?: Array<{ $ref: string }>; discriminator?: { propertyName: string; mapping: Record<string, string> } }> };
      paths: Record<string, Record<string, { responses: Record<string, { content: Record<string, { schema: unknown }> }> }>>;
    };
    const schemas = doc.components.schemas;
    for (const type of EVENT_TYPE_NAMES) expect(schemas[eventSchemaName(type)]).toEqual(eventJsonSchema(type));
    expect(schemas['Event.ticket.traded.v1']).toBeDefined();
    expect(schemas['Event.payout.batch_confirmed.v1']).toBeDefined();
    expect(schemas.Event.oneOf).toHaveLength(EVENT_TYPE_NAMES.length);
    expect(schemas.Event.discriminator).toEqual({
      propertyName: 'type',
      mapping: Object.fromEntries(EVENT_TYPE_NAMES.map((t) => [t, `#/components/schemas/${eventSchemaName(t)}`])),
    });
    expect(doc.paths['/v1/events'].get.responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/EventPage' });

    // A page of the real feed, validated against the document itself (not the catalogue).
    await relay.drain();
    const page = (await feed('?limit=500')).body as Page;
    expect(page.items.length).toBeGreaterThan(0);
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(ajv);
    ajv.addSchema({ ...doc, $id: 'openapi' });
    const validate = ajv.compile({ $ref: 'openapi#/components/schemas/EventPage' });
    expect(validate(page) ? [] : validate.errors).toEqual([]);
    // And a forged payload is refused: an amount as a number.
    const forged = structuredClone(page);
    const posted = forged.items.find((e) => e.type === 'ledger.entry.posted')!;
    (posted.data.postings as Array<{ amount: unknown }>)[0].amount = 1;
    expect(validate(forged)).toBe(false);
  });
});
