import type { ApiApplication } from '../../apps/api/src/app.setup';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { LedgerFactory } from '../factories/ledger.factory';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let app: ApiApplication;
let adminToken: string;
let f: LedgerFactory;
const BANK = 'bank:ICBC-YC:CNY';
const A = 'party:A:wallet:CNY';
const B = 'party:B:wallet:CNY';
const SINK = 'party:SINK:wallet:CNY';

beforeAll(async () => {
  app = await createTestApp(db);
  adminToken = await tokenFor(app, 'ADMIN');
  f = new LedgerFactory(db.dataSource);
  await f.cnyWorld([A, B, SINK]);
});
afterAll(() => app?.close());

function transfer(from: string, to: string, amount: string) {
  return request(app.getHttpServer())
    .post('/v1/entries')
    .set('Authorization', `Bearer ${adminToken}`)
    .set('Idempotency-Key', randomUUID())
    .send({
      kind: 'TRANSFER',
      effectiveDate: '2026-01-01',
      postings: [
        { account: from, side: 'DEBIT', amount },
        { account: to, side: 'CREDIT', amount },
      ],
    });
}

describe('concurrent requests', () => {
  it('50 parallel debits against an account that can afford 20: exactly 20 succeed, balance exactly 0, no 5xx', async () => {
    await f.transfer(BANK, A, '200.00');
    const responses = await Promise.all(Array.from({ length: 50 }, () => transfer(A, SINK, '10.00')));
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 422)).toHaveLength(30);
    expect(responses.filter((r) => r.status === 422).every((r) => r.body.code === 'INSUFFICIENT_FUNDS')).toBe(true);
    expect((await f.ledger.getAccount(A)).balance).toBe('0.00');
    expect((await f.ledger.getAccount(SINK)).balance).toBe('200.00');
  });

  it('100 parallel transfers in both directions between two accounts: no deadlock surfaced, totals exact', async () => {
    await f.transfer(BANK, A, '1000.00');
    await f.transfer(BANK, B, '1000.00');
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? transfer(A, B, '1.01') : transfer(B, A, '2.02'))));
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(201));
    // 50 × 1.01 from A to B and 50 × 2.02 from B to A: A gains 50.50, B loses 50.50.
    expect((await f.ledger.getAccount(A)).balance).toBe('1050.50');
    expect((await f.ledger.getAccount(B)).balance).toBe('949.50');
    expect((await f.verifier.verify()).ok).toBe(true);
  });
});
