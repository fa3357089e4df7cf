import type { ApiApplication } from '../../apps/api/src/app.setup';
import { randomUUID } from 'node:crypto';
import request, { Response } from 'supertest';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let app: ApiApplication;
let adminToken: string;
/** The admin's user id: entries store their keys as user:<id>/<Idempotency-Key>. */
let adminId: string;

beforeAll(async () => {
  app = await createTestApp(db);
  adminToken = await tokenFor(app, 'ADMIN');
  adminId = await userIdOf(`Bearer ${adminToken}`);
  // Listen once up front so that parallel supertest requests share one server.
  await app.listen(0, '127.0.0.1');
});
afterAll(() => app?.close());

interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  correlationId: string;
}

interface EntryBody {
  id: string;
  idempotencyKey: string;
  reversesEntryId: string | null;
  reversedByEntryId: string | null;
}

interface PostEntryBody {
  entry: EntryBody;
  balances: Array<{ account: string; balance: string }>;
  replayed: boolean;
}

interface AccountBody {
  id: string;
  code: string;
  balance: string;
}

const BANK = 'bank:B1:CNY';
const P1 = 'party:P1:wallet:CNY';
const P2 = 'party:P2:wallet:CNY';

function http() {
  return request.agent(app.getHttpServer()).set('Authorization', `Bearer ${adminToken}`);
}

function post(path: string, key: string, payload: object = {}) {
  return http().post(path).set('Idempotency-Key', key).send(payload);
}

function transfer(from: string, to: string, amount: string, extra: { memo?: string; effectiveDate?: string } = {}) {
  return {
    kind: 'TRANSFER',
    effectiveDate: extra.effectiveDate ?? '2025-05-01',
    ...(extra.memo !== undefined ? { memo: extra.memo } : {}),
    postings: [
      { account: from, side: 'DEBIT', amount },
      { account: to, side: 'CREDIT', amount },
    ],
  };
}

function replayed(res: Response): string | undefined {
  const value = res.headers['idempotency-replayed'];
  return typeof value === 'string' ? value : undefined;
}

async function scalar(sql: string, params: unknown[] = []): Promise<number> {
  const rows = await db.dataSource.query<Array<{ n: number }>>(sql, params);
  return rows[0].n;
}

async function userIdOf(authorization: string): Promise<string> {
  return ((await request(app.getHttpServer()).get('/v1/me').set('Authorization', authorization).expect(200)).body as { userId: string }).userId;
}

const entriesWithKey = (key: string, userId = adminId) => scalar(`SELECT count(*)::int AS n FROM ledger_entries WHERE idempotency_key = $1`, [`user:${userId}/${key}`]);
const entryCount = () => scalar(`SELECT count(*)::int AS n FROM ledger_entries`);
const keyRows = (key: string) => scalar(`SELECT count(*)::int AS n FROM idempotency_requests WHERE key = $1`, [key]);

async function balance(code: string): Promise<string> {
  const res = await http().get(`/v1/accounts/${code}`).expect(200);
  return (res.body as AccountBody).balance;
}

function expectError(res: Response, status: number, code: string): ErrorBody {
  const err = res.body as ErrorBody;
  expect({ status: res.status, code: err.code }).toEqual({ status, code });
  expect(err.correlationId).toBeTruthy();
  return err;
}

beforeAll(async () => {
  const setup = (path: string, payload: object) => post(path, randomUUID(), payload).expect(201);
  await setup('/v1/assets', { code: 'CNY', scale: 2 });
  await setup('/v1/accounts', { code: BANK, asset: 'CNY', type: 'ASSET' });
  await setup('/v1/accounts', { code: P1, asset: 'CNY', type: 'LIABILITY', noOverdraft: true });
  await setup('/v1/accounts', { code: P2, asset: 'CNY', type: 'LIABILITY', noOverdraft: true });
  await setup('/v1/entries', transfer(BANK, P1, '1000.00'));
});

describe('Idempotency-Key on POST /v1/entries', () => {
  it('same key and same body: same status, identical body, Idempotency-Replayed true, one entry', async () => {
    const key = randomUUID();
    const body = transfer(P1, P2, '12.34', { memo: 'rent' });
    const first = await post('/v1/entries', key, body);
    expect(first.status).toBe(201);
    expect(replayed(first)).toBe('false');
    expect((first.body as PostEntryBody).replayed).toBe(false);

    const second = await post('/v1/entries', key, body);
    expect(second.status).toBe(first.status);
    expect(replayed(second)).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.text).toBe(first.text);

    expect(await entriesWithKey(key)).toBe(1);
    expect(await keyRows(key)).toBe(1);
    expect(await balance(P2)).toBe('12.34');
  });

  it("the replay holds even with the body's keys in another order", async () => {
    const key = randomUUID();
    const body = transfer(P1, P2, '1.00');
    const first = await post('/v1/entries', key, body);
    expect(first.status).toBe(201);
    const reordered = { postings: body.postings.map((p) => ({ amount: p.amount, side: p.side, account: p.account })), effectiveDate: body.effectiveDate, kind: body.kind };
    const second = await post('/v1/entries', key, reordered);
    expect(second.status).toBe(201);
    expect(replayed(second)).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.text).toBe(first.text);
    expect(await entriesWithKey(key)).toBe(1);
  });

  it('same key and a different body is a 409 IDEMPOTENCY_CONFLICT and writes nothing', async () => {
    const key = randomUUID();
    expect((await post('/v1/entries', key, transfer(P1, P2, '2.00'))).status).toBe(201);
    const before = await entryCount();
    const p2 = await balance(P2);

    const err = expectError(await post('/v1/entries', key, transfer(P1, P2, '2.01')), 409, 'IDEMPOTENCY_CONFLICT');
    expect(err.field).toBe('Idempotency-Key');
    expectError(await post('/v1/entries', key, transfer(P1, P2, '2.00', { memo: 'now with a memo' })), 409, 'IDEMPOTENCY_CONFLICT');

    expect(await entryCount()).toBe(before);
    expect(await balance(P2)).toBe(p2);
    expect(await entriesWithKey(key)).toBe(1);
  });

  it('same key on a different route is a 409 IDEMPOTENCY_CONFLICT', async () => {
    const key = randomUUID();
    const body = transfer(P1, P2, '3.00');
    expect((await post('/v1/entries', key, body)).status).toBe(201);
    const before = await entryCount();

    expectError(await post('/v1/entries/batch', key, { entries: [body] }), 409, 'IDEMPOTENCY_CONFLICT');
    expectError(await post('/v1/accounts', key, { code: 'party:P9:wallet:CNY', asset: 'CNY', type: 'LIABILITY' }), 409, 'IDEMPOTENCY_CONFLICT');
    expectError(await post(`/v1/accounts/${P1}/freeze`, key), 409, 'IDEMPOTENCY_CONFLICT');

    expect(await entryCount()).toBe(before);
    expectError(await http().get('/v1/accounts/party:P9:wallet:CNY'), 404, 'UNKNOWN_ACCOUNT');
    const p1 = (await http().get(`/v1/accounts/${P1}`).expect(200)).body as { frozen: boolean };
    expect(p1.frozen).toBe(false);
  });

  it('a refused command (422) stores nothing; the same key succeeds once the cause is fixed', async () => {
    const poor = 'party:POOR:wallet:CNY';
    expect((await post('/v1/accounts', randomUUID(), { code: poor, asset: 'CNY', type: 'LIABILITY', noOverdraft: true })).status).toBe(201);
    const key = randomUUID();
    const body = transfer(poor, P2, '25.00');

    expectError(await post('/v1/entries', key, body), 422, 'INSUFFICIENT_FUNDS');
    expect(await keyRows(key)).toBe(0);
    expect(await entriesWithKey(key)).toBe(0);
    // Retried unchanged: refused again, not replayed from a stored failure.
    expectError(await post('/v1/entries', key, body), 422, 'INSUFFICIENT_FUNDS');

    expect((await post('/v1/entries', randomUUID(), transfer(BANK, poor, '30.00'))).status).toBe(201);

    const ok = await post('/v1/entries', key, body);
    expect(ok.status).toBe(201);
    expect(replayed(ok)).toBe('false');
    expect((ok.body as PostEntryBody).entry.idempotencyKey).toBe(`user:${adminId}/${key}`);
    expect(await balance(poor)).toBe('5.00');

    const again = await post('/v1/entries', key, body);
    expect(again.status).toBe(201);
    expect(replayed(again)).toBe('true');
    expect(again.body).toEqual(ok.body);
    expect(again.text).toBe(ok.text);
    expect(await balance(poor)).toBe('5.00');
  });

  it('a refused validation (400) stores nothing either; the key is then free for a good request', async () => {
    const key = randomUUID();
    expect((await post('/v1/entries', key, transfer(P1, P2, '1e3'))).status).toBe(400);
    expect(await keyRows(key)).toBe(0);
    const ok = await post('/v1/entries', key, transfer(P1, P2, '4.00'));
    expect(ok.status).toBe(201);
    expect(replayed(ok)).toBe('false');
  });

  it('10 concurrent requests with one key: one entry, all 201 with the same entry id, one fresh and nine replays', async () => {
    const key = randomUUID();
    const body = transfer(P1, P2, '9.99');
    const p2Before = await balance(P2);
    const before = await entryCount();

    const responses = await Promise.all(Array.from({ length: 10 }, () => post('/v1/entries', key, body)));

    expect(responses.filter((r) => r.status >= 500)).toEqual([]);
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    const ids = new Set(responses.map((r) => (r.body as PostEntryBody).entry.id));
    expect(ids.size).toBe(1);
    const flags = responses.map(replayed).sort();
    expect(flags).toEqual(['false', ...Array(9).fill('true')]);
    for (const r of responses) expect(r.text).toBe(responses[0].text);

    expect(await entriesWithKey(key)).toBe(1);
    expect(await entryCount()).toBe(before + 1);
    expect(Number(await balance(P2)) - Number(p2Before)).toBeCloseTo(9.99, 2);
  });

  it('10 concurrent requests with one key but different bodies: one wins, the others are 409, no 5xx', async () => {
    const key = randomUUID();
    const before = await entryCount();
    const responses = await Promise.all(Array.from({ length: 10 }, (_, i) => post('/v1/entries', key, transfer(P1, P2, `0.${String(i + 1).padStart(2, '0')}`))));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, ...Array(9).fill(409)]);
    for (const r of responses.filter((x) => x.status === 409)) expect((r.body as ErrorBody).code).toBe('IDEMPOTENCY_CONFLICT');
    expect(await entriesWithKey(key)).toBe(1);
    expect(await entryCount()).toBe(before + 1);
  });
});

describe('Idempotency-Key on the other commands', () => {
  it('POST /v1/entries/batch replays', async () => {
    const key = randomUUID();
    const body = { entries: [transfer(P1, P2, '1.10'), transfer(P2, P1, '0.10')] };
    const first = await post('/v1/entries/batch', key, body);
    expect(first.status).toBe(201);
    expect(replayed(first)).toBe('false');
    const second = await post('/v1/entries/batch', key, body);
    expect(second.status).toBe(201);
    expect(replayed(second)).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.text).toBe(first.text);
    expect(await entriesWithKey(`${key}#0`)).toBe(1);
    expect(await entriesWithKey(`${key}#1`)).toBe(1);
  });

  it('POST /v1/accounts replays the first answer and opens one account; another body is a 409', async () => {
    const key = randomUUID();
    const body = { code: 'party:P5:wallet:CNY', asset: 'CNY', type: 'LIABILITY', ownerRef: 'party:P5', noOverdraft: true };
    const first = await post('/v1/accounts', key, body);
    expect(first.status).toBe(201);
    expect(replayed(first)).toBe('false');

    const second = await post('/v1/accounts', key, body);
    expect(second.status).toBe(201);
    expect(replayed(second)).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.text).toBe(first.text);
    expect(await scalar(`SELECT count(*)::int AS n FROM ledger_accounts WHERE code = $1`, [body.code])).toBe(1);

    expectError(await post('/v1/accounts', key, { ...body, noOverdraft: false }), 409, 'IDEMPOTENCY_CONFLICT');
    // A new key for the same account is not a replay: the account exists.
    expectError(await post('/v1/accounts', randomUUID(), body), 409, 'ACCOUNT_EXISTS');
  });

  it('POST /v1/assets replays', async () => {
    const key = randomUUID();
    const body = { code: 'LP.TEST', scale: 0 };
    const first = await post('/v1/assets', key, body);
    expect(first.status).toBe(201);
    const second = await post('/v1/assets', key, body);
    expect(second.status).toBe(201);
    expect(replayed(second)).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.text).toBe(first.text);
  });

  it('POST /v1/entries/:id/reverse replays the reversal; only one reversal is written', async () => {
    const original = await post('/v1/entries', randomUUID(), transfer(P1, P2, '6.00'));
    expect(original.status).toBe(201);
    const id = (original.body as PostEntryBody).entry.id;
    const key = randomUUID();
    const body = { effectiveDate: '2025-05-02', memo: 'mistake' };

    const first = await post(`/v1/entries/${id}/reverse`, key, body);
    expect(first.status).toBe(201);
    expect(replayed(first)).toBe('false');
    const second = await post(`/v1/entries/${id}/reverse`, key, body);
    expect(second.status).toBe(201);
    expect(replayed(second)).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(second.text).toBe(first.text);

    expect(await scalar(`SELECT count(*)::int AS n FROM ledger_entries WHERE reverses_entry_id = $1`, [id])).toBe(1);
    const reversal = (first.body as PostEntryBody).entry;
    expect(reversal.reversesEntryId).toBe(id);
    expect(((await http().get(`/v1/entries/${id}`).expect(200)).body as EntryBody).reversedByEntryId).toBe(reversal.id);

    // Same key, other body: conflict. New key: the entry is already reversed.
    expectError(await post(`/v1/entries/${id}/reverse`, key, { ...body, memo: 'other' }), 409, 'IDEMPOTENCY_CONFLICT');
    expectError(await post(`/v1/entries/${id}/reverse`, randomUUID(), body), 422, 'ALREADY_REVERSED');
  });

  it('concurrent reversals of one entry under different keys: exactly one succeeds', async () => {
    const original = await post('/v1/entries', randomUUID(), transfer(P1, P2, '2.50'));
    const id = (original.body as PostEntryBody).entry.id;
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(`/v1/entries/${id}/reverse`, randomUUID(), {})));
    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 422, 422, 422, 422]);
    for (const r of responses.filter((x) => x.status === 422)) expect((r.body as ErrorBody).code).toBe('ALREADY_REVERSED');
    expect(await scalar(`SELECT count(*)::int AS n FROM ledger_entries WHERE reverses_entry_id = $1`, [id])).toBe(1);
  });

  it('POST /v1/accounts/:code/freeze and unfreeze replay under their keys', async () => {
    const freezeKey = randomUUID();
    const first = await post(`/v1/accounts/${P2}/freeze`, freezeKey);
    expect(first.status).toBe(200);
    expect((first.body as { frozen: boolean }).frozen).toBe(true);
    const unfreeze = await post(`/v1/accounts/${P2}/unfreeze`, randomUUID());
    expect(unfreeze.status).toBe(200);

    // The replay returns the first answer (frozen: true) and does not freeze the account again.
    const replay = await post(`/v1/accounts/${P2}/freeze`, freezeKey);
    expect(replay.status).toBe(200);
    expect(replayed(replay)).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(replay.text).toBe(first.text);
    expect(((await http().get(`/v1/accounts/${P2}`).expect(200)).body as { frozen: boolean }).frozen).toBe(false);
  });
});

describe('Idempotency-Key belongs to its caller', () => {
  let other: string;
  let otherId: string;
  /** An API key of the first admin: the same principal as the admin's token. */
  let apiKey: string;

  beforeAll(async () => {
    other = await tokenFor(app, 'ADMIN');
    otherId = await userIdOf(`Bearer ${other}`);
    apiKey = ((await post('/v1/api-keys', randomUUID(), { name: 'script', userId: adminId }).expect(201)).body as { key: string }).key;
  });

  const asOther = (path: string, key: string, payload: object = {}) =>
    request(app.getHttpServer()).post(path).set('Authorization', `Bearer ${other}`).set('Idempotency-Key', key).send(payload);
  const withApiKey = (path: string, key: string, payload: object = {}) =>
    request(app.getHttpServer()).post(path).set('X-Api-Key', apiKey).set('Idempotency-Key', key).send(payload);

  it("a second admin sending the first admin's key and body runs their own command and never sees the first answer", async () => {
    const key = randomUUID();
    const body = transfer(P1, P2, '1.25');
    const first = await post('/v1/entries', key, body);
    expect(first.status).toBe(201);
    const before = await entryCount();

    const theirs = await asOther('/v1/entries', key, body);
    expect(theirs.status).toBe(201);
    expect(replayed(theirs)).toBe('false');
    expect((theirs.body as PostEntryBody).entry.id).not.toBe((first.body as PostEntryBody).entry.id);
    expect((theirs.body as PostEntryBody).entry.idempotencyKey).toBe(`user:${otherId}/${key}`);
    expect(await entryCount()).toBe(before + 1);

    // Each replay goes to its own caller; another body under the key is a conflict for that caller only.
    const mine = await post('/v1/entries', key, body);
    expect(replayed(mine)).toBe('true');
    expect(mine.text).toBe(first.text);
    const theirsAgain = await asOther('/v1/entries', key, body);
    expect(replayed(theirsAgain)).toBe('true');
    expect(theirsAgain.text).toBe(theirs.text);
    expectError(await asOther('/v1/entries', key, transfer(P1, P2, '1.26')), 409, 'IDEMPOTENCY_CONFLICT');
    expect(await entriesWithKey(key)).toBe(1);
    expect(await entriesWithKey(key, otherId)).toBe(1);
    expect(await keyRows(key)).toBe(2);
  });

  it('the same holds on every other command: the second admin is told the account exists, not handed the first answer', async () => {
    const key = randomUUID();
    const body = { code: 'party:P7:wallet:CNY', asset: 'CNY', type: 'LIABILITY' };
    const first = await post('/v1/accounts', key, body);
    expect(first.status).toBe(201);
    expectError(await asOther('/v1/accounts', key, body), 409, 'ACCOUNT_EXISTS');
    const own = await asOther('/v1/accounts', key, { ...body, code: 'party:P8:wallet:CNY' });
    expect(own.status).toBe(201);
    expect(replayed(own)).toBe('false');
    expect((await post('/v1/accounts', key, body)).text).toBe(first.text);
  });

  it("a user's API key is the user: it gets the replay of what the user's token sent, and a conflict for another body", async () => {
    const key = randomUUID();
    const body = transfer(P1, P2, '0.75');
    const first = await post('/v1/entries', key, body);
    expect(first.status).toBe(201);
    const viaKey = await withApiKey('/v1/entries', key, body);
    expect(viaKey.status).toBe(201);
    expect(replayed(viaKey)).toBe('true');
    expect(viaKey.text).toBe(first.text);
    expectError(await withApiKey('/v1/entries', key, transfer(P1, P2, '0.76')), 409, 'IDEMPOTENCY_CONFLICT');
    expect(await entriesWithKey(key)).toBe(1);
  });

  it('one key from two callers at once: each caller has exactly one effect and one answer, replayed to its other requests', async () => {
    const key = randomUUID();
    const body = transfer(P1, P2, '0.33');
    const before = await entryCount();
    const sends = Array.from({ length: 12 }, (_, i) =>
      i % 3 === 0 ? asOther('/v1/entries', key, body) : i % 3 === 1 ? post('/v1/entries', key, body) : withApiKey('/v1/entries', key, body),
    );
    const responses = await Promise.all(sends);
    expect(responses.map((r) => r.status)).toEqual(Array(12).fill(201));
    const idsOf = (which: number[]) => new Set(which.map((i) => (responses[i].body as PostEntryBody).entry.id));
    const others = idsOf([0, 3, 6, 9]);
    const admins = idsOf([1, 2, 4, 5, 7, 8, 10, 11]);
    expect([others.size, admins.size]).toEqual([1, 1]);
    expect([...others][0]).not.toBe([...admins][0]);
    expect(responses.filter((r) => replayed(r) === 'false')).toHaveLength(2);
    expect(await entryCount()).toBe(before + 2);
    expect(await entriesWithKey(key)).toBe(1);
    expect(await entriesWithKey(key, otherId)).toBe(1);

    // The same through the one-transaction commands (a batch).
    const batchKey = randomUUID();
    const batch = { entries: [transfer(P1, P2, '0.01')] };
    const both = await Promise.all(Array.from({ length: 6 }, (_, i) => (i % 2 ? asOther('/v1/entries/batch', batchKey, batch) : post('/v1/entries/batch', batchKey, batch))));
    expect(both.map((r) => r.status)).toEqual(Array(6).fill(201));
    expect(both.filter((r) => replayed(r) === 'false')).toHaveLength(2);
    expect(await entriesWithKey(`${batchKey}#0`)).toBe(1);
    expect(await entriesWithKey(`${batchKey}#0`, otherId)).toBe(1);
  });
});
