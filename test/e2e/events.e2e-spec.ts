import type { ApiApplication } from '../../apps/api/src/app.setup';
import { OutboxRelay } from '@forest-ledger/platform';
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
      posted.push(res.body.entry.id);
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
