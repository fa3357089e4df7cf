import type { ApiApplication } from '../../apps/api/src/app.setup';
import { MAX_BODY_DEPTH } from '../../apps/api/src/http/body-checks';
import { Dec } from '@forest-ledger/ledger';
import { randomUUID } from 'node:crypto';
import request, { Response } from 'supertest';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let app: ApiApplication;
let adminToken: string;

beforeAll(async () => {
  app = await createTestApp(db);
  adminToken = await tokenFor(app, 'ADMIN');
});
afterAll(() => app?.close());

interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
  correlationId: string;
}

interface AccountBody {
  code: string;
  balance: string;
}

const BANK = 'bank:B1:CNY';
const P1 = 'party:P1:wallet:CNY';
const P2 = 'party:P2:wallet:CNY';

function http() {
  return request.agent(app.getHttpServer()).set('Authorization', `Bearer ${adminToken}`);
}

function posting(account: string, side: 'DEBIT' | 'CREDIT', amount: unknown): Record<string, unknown> {
  return { account, side, amount };
}

/** A valid P1 → P2 transfer of 10.00, to be spoiled one way at a time. */
function validEntry(): Record<string, unknown> {
  return { kind: 'TRANSFER', effectiveDate: '2025-05-01', memo: 'ok', postings: [posting(P1, 'DEBIT', '10.00'), posting(P2, 'CREDIT', '10.00')] };
}

/** The same transfer with `amount` on both postings (so nothing else can be the first fault). */
function withAmount(amount: unknown): Record<string, unknown> {
  return { ...validEntry(), postings: [posting(P1, 'DEBIT', amount), posting(P2, 'CREDIT', amount)] };
}

interface Snapshot {
  entries: number;
  idempotency: number;
  balances: string[];
}

async function count(table: 'ledger_entries' | 'idempotency_requests'): Promise<number> {
  const rows = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

async function snapshot(): Promise<Snapshot> {
  const balances: string[] = [];
  for (const code of [BANK, P1, P2]) {
    const res = await http().get(`/v1/accounts/${code}`).expect(200);
    balances.push((res.body as AccountBody).balance);
  }
  return { entries: await count('ledger_entries'), idempotency: await count('idempotency_requests'), balances };
}

/** The shared contract of every error body: code, message, correlation id; no stack trace, no SQL. */
function expectCleanError(res: Response, status: number): ErrorBody {
  const err = res.body as ErrorBody;
  expect({ status: res.status, code: err.code }).toEqual({ status, code: expect.any(String) });
  expect(err.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
  expect(typeof err.message).toBe('string');
  expect(err.message.length).toBeGreaterThan(0);
  expect(typeof err.correlationId).toBe('string');
  expect(err.correlationId.length).toBeGreaterThan(0);
  expect(res.headers['x-correlation-id']).toBe(err.correlationId);
  const text = JSON.stringify(err);
  expect(text).not.toContain('at /');
  expect(text).not.toMatch(/\bat .*\.(ts|js):\d+/);
  expect(text).not.toContain('SELECT');
  expect(text).not.toContain('INSERT');
  expect(text).not.toContain('node_modules');
  expect(err).not.toHaveProperty('stack');
  return err;
}

beforeAll(async () => {
  const post = (path: string, payload: object) => http().post(path).set('Idempotency-Key', randomUUID()).send(payload).expect(201);
  await post('/v1/assets', { code: 'CNY', scale: 2 });
  await post('/v1/accounts', { code: BANK, asset: 'CNY', type: 'ASSET' });
  await post('/v1/accounts', { code: P1, asset: 'CNY', type: 'LIABILITY', noOverdraft: true });
  await post('/v1/accounts', { code: P2, asset: 'CNY', type: 'LIABILITY', noOverdraft: true });
  await post('/v1/entries', { kind: 'BANK_RECEIPT', effectiveDate: '2025-04-01', postings: [posting(BANK, 'DEBIT', '500.00'), posting(P1, 'CREDIT', '500.00')] });
});

describe('bad input to POST /v1/entries: 400, the field named, nothing written', () => {
  let before: Snapshot;

  beforeEach(async () => {
    before = await snapshot();
  });
  afterEach(async () => {
    expect(await snapshot()).toEqual(before);
  });

  const tooMany = (): Record<string, unknown> => ({
    ...validEntry(),
    postings: Array.from({ length: 1001 }, (_, i) => (i === 0 ? posting(P1, 'DEBIT', '1000.00') : posting(P2, 'CREDIT', '1.00'))),
  });

  it.each<[string, () => Record<string, unknown>, string, string]>([
    ['amount as a JSON number 12.5', () => withAmount(12.5), 'VALIDATION_FAILED', 'postings[0].amount'],
    ['amount "1e3" (exponent)', () => withAmount('1e3'), 'VALIDATION_FAILED', 'postings[0].amount'],
    ['amount "0x10" (hex)', () => withAmount('0x10'), 'VALIDATION_FAILED', 'postings[0].amount'],
    ['amount " 1" (leading space)', () => withAmount(' 1'), 'VALIDATION_FAILED', 'postings[0].amount'],
    ['amount "1,000" (separator)', () => withAmount('1,000'), 'VALIDATION_FAILED', 'postings[0].amount'],
    ['amount "１２" (full-width digits)', () => withAmount('１２'), 'VALIDATION_FAILED', 'postings[0].amount'],
    ['amount "NaN"', () => withAmount('NaN'), 'VALIDATION_FAILED', 'postings[0].amount'],
    ['amount "-0"', () => withAmount('-0'), 'VALIDATION_FAILED', 'postings[0].amount'],
    ['amount "-5"', () => withAmount('-5'), 'VALIDATION_FAILED', 'postings[0].amount'],
    ['amount "0" (checked by the service)', () => withAmount('0'), 'INVALID_AMOUNT', 'postings[0].amount'],
    ['amount "1.005" on a scale-2 account (checked by the service)', () => withAmount('1.005'), 'INVALID_AMOUNT', 'postings[0].amount'],
    ['amount null', () => withAmount(null), 'VALIDATION_FAILED', 'postings[0].amount'],
    [
      'amount missing in the 2nd posting',
      () => ({ ...validEntry(), postings: [posting(P1, 'DEBIT', '1.00'), { account: P2, side: 'CREDIT' }] }),
      'VALIDATION_FAILED',
      'postings[1].amount',
    ],
    ['side "debit"', () => ({ ...validEntry(), postings: [posting(P1, 'debit' as 'DEBIT', '1.00'), posting(P2, 'CREDIT', '1.00')] }), 'VALIDATION_FAILED', 'postings[0].side'],
    ['an entry with one posting', () => ({ ...validEntry(), postings: [posting(P1, 'DEBIT', '1.00')] }), 'VALIDATION_FAILED', 'postings'],
    ['an entry with no postings', () => ({ ...validEntry(), postings: [] }), 'VALIDATION_FAILED', 'postings'],
    ['postings not an array', () => ({ ...validEntry(), postings: { 0: posting(P1, 'DEBIT', '1.00') } }), 'VALIDATION_FAILED', 'postings'],
    ['an entry with 1001 postings', tooMany, 'VALIDATION_FAILED', 'postings'],
    ['an unknown field at the top level', () => ({ ...validEntry(), currency: 'CNY' }), 'VALIDATION_FAILED', 'currency'],
    [
      'an unknown field inside a posting',
      () => ({ ...validEntry(), postings: [{ ...posting(P1, 'DEBIT', '10.00'), note: 'x' }, posting(P2, 'CREDIT', '10.00')] }),
      'VALIDATION_FAILED',
      'postings[0].note',
    ],
    ['effectiveDate "2025-02-30"', () => ({ ...validEntry(), effectiveDate: '2025-02-30' }), 'VALIDATION_FAILED', 'effectiveDate'],
    ['effectiveDate "2025-5-1"', () => ({ ...validEntry(), effectiveDate: '2025-5-1' }), 'VALIDATION_FAILED', 'effectiveDate'],
    ['effectiveDate missing', () => ({ kind: 'TRANSFER', postings: validEntry().postings }), 'VALIDATION_FAILED', 'effectiveDate'],
    ['kind "lowercase"', () => ({ ...validEntry(), kind: 'lowercase' }), 'VALIDATION_FAILED', 'kind'],
    ['metadata not an object', () => ({ ...validEntry(), metadata: 'x' }), 'VALIDATION_FAILED', 'metadata'],
  ])('%s', async (_name, build, code, field) => {
    const res = await http().post('/v1/entries').set('Idempotency-Key', randomUUID()).send(build());
    const err = expectCleanError(res, 400);
    expect(err.code).toBe(code);
    expect(err.message).toContain(field);
    expect(err.field).toContain(field);
  });

  it('a missing Idempotency-Key is a 400 IDEMPOTENCY_KEY_REQUIRED naming the header', async () => {
    const err = expectCleanError(await http().post('/v1/entries').send(validEntry()), 400);
    expect(err.code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    expect(err.field).toBe('Idempotency-Key');
    expect(err.message).toContain('Idempotency-Key');
  });

  it.each([
    ['too short', 'short'],
    ['a space', 'has a space in it'],
    ['a slash', 'a/b/c/d/e/f'],
    ['too long', 'k'.repeat(201)],
  ])('an Idempotency-Key with %s is a 400 IDEMPOTENCY_KEY_INVALID', async (_name, key) => {
    const err = expectCleanError(await http().post('/v1/entries').set('Idempotency-Key', key).send(validEntry()), 400);
    expect(err.code).toBe('IDEMPOTENCY_KEY_INVALID');
    expect(err.field).toBe('Idempotency-Key');
  });

  it.each([
    ['a truncated object', '{"kind": "TRANSFER", "postings": ['],
    ['a trailing comma', '{"kind": "TRANSFER",}'],
    ['single quotes', "{'kind': 'TRANSFER'}"],
  ])('malformed JSON (%s) is a 400 MALFORMED_REQUEST', async (_name, text) => {
    const res = await http().post('/v1/entries').set('Idempotency-Key', randomUUID()).set('Content-Type', 'application/json').send(text);
    const err = expectCleanError(res, 400);
    expect(err.code).toBe('MALFORMED_REQUEST');
    expect(err.message).toMatch(/JSON|pars/i);
  });

  it('a body over 1 MB is a 413 PAYLOAD_TOO_LARGE', async () => {
    const body = JSON.stringify({ ...validEntry(), memo: 'x'.repeat(1024 * 1024 + 10) });
    const res = await http().post('/v1/entries').set('Idempotency-Key', randomUUID()).set('Content-Type', 'application/json').send(body);
    const err = expectCleanError(res, 413);
    expect(err.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('bad input elsewhere: 400 and nothing written', () => {
  let before: Snapshot;

  beforeEach(async () => {
    before = await snapshot();
  });
  afterEach(async () => {
    expect(await snapshot()).toEqual(before);
  });

  it.each<[string, string, Record<string, unknown>, string]>([
    ['batch: amount "1e3" in entries[1]', '/v1/entries/batch', { entries: [validEntry(), withAmount('1e3')] }, 'entries[1].postings[0].amount'],
    ['batch: "1.005" in entries[1] (service)', '/v1/entries/batch', { entries: [validEntry(), withAmount('1.005')] }, 'entries[1].postings[0].amount'],
    ['batch: no entries', '/v1/entries/batch', { entries: [] }, 'entries'],
    ['batch: unknown field', '/v1/entries/batch', { entries: [validEntry()], dryRun: true }, 'dryRun'],
    ['account: lowercase type', '/v1/accounts', { code: 'party:P3:wallet:CNY', asset: 'CNY', type: 'liability' }, 'type'],
    ['account: code with a space', '/v1/accounts', { code: 'party P3', asset: 'CNY', type: 'LIABILITY' }, 'code'],
    ['account: noOverdraft as a string', '/v1/accounts', { code: 'party:P3:wallet:CNY', asset: 'CNY', type: 'LIABILITY', noOverdraft: 'yes' }, 'noOverdraft'],
    ['asset: scale 19', '/v1/assets', { code: 'XYZ', scale: 19 }, 'scale'],
    ['asset: scale "2"', '/v1/assets', { code: 'XYZ', scale: '2' }, 'scale'],
    ['asset: lowercase code', '/v1/assets', { code: 'cny', scale: 2 }, 'code'],
    ['reverse: effectiveDate "2025-02-30"', '/v1/entries/1/reverse', { effectiveDate: '2025-02-30' }, 'effectiveDate'],
  ])('%s', async (_name, path, payload, field) => {
    const err = expectCleanError(await http().post(path).set('Idempotency-Key', randomUUID()).send(payload), 400);
    expect(['VALIDATION_FAILED', 'INVALID_AMOUNT', 'INVALID_ENTRY']).toContain(err.code);
    expect(err.message).toContain(field);
    expect(err.field).toContain(field);
  });

  it.each<[string, string, Record<string, string | number>, string]>([
    ['balance without asOf', `/v1/accounts/${P1}/balance`, {}, 'asOf'],
    ['balance asOf "2025-02-30"', `/v1/accounts/${P1}/balance`, { asOf: '2025-02-30' }, 'asOf'],
    ['statement limit 0', `/v1/accounts/${P1}/statement`, { from: '2025-01-01', to: '2025-12-31', limit: 0 }, 'limit'],
    ['statement with a forged cursor', `/v1/accounts/${P1}/statement`, { from: '2025-01-01', to: '2025-12-31', cursor: 'bm9wZQ' }, 'cursor'],
    ['statement from after to', `/v1/accounts/${P1}/statement`, { from: '2025-12-31', to: '2025-01-01' }, 'from'],
    ['accounts limit 501', '/v1/accounts', { limit: 501 }, 'limit'],
    ['accounts unknown query field', '/v1/accounts', { owner: 'x' }, 'owner'],
    ['entries limit "abc"', '/v1/entries', { limit: 'abc' }, 'limit'],
    ['trial balance byOwner "maybe"', '/v1/reports/trial-balance', { byOwner: 'maybe' }, 'byOwner'],
  ])('GET %s is a 400 naming the parameter', async (_name, path, query, field) => {
    const err = expectCleanError(await http().get(path).query(query), 400);
    expect(err.message).toContain(field);
    expect(err.field).toContain(field);
  });
});

/* Inputs that once reached PostgreSQL unchecked and came back as a 500: each is now a clean 4xx. */
describe('bad input that PostgreSQL itself would refuse', () => {
  it.each<[string, () => Record<string, unknown>, string]>([
    ['a NUL character in memo', () => ({ ...validEntry(), memo: 'a\u0000b' }), 'memo'],
    ['a NUL character inside metadata', () => ({ ...validEntry(), metadata: { note: 'a\u0000b' } }), 'metadata'],
    [
      'a NUL character in a posting account',
      () => ({ ...validEntry(), postings: [posting(`${P1}\u0000`, 'DEBIT', '1.00'), posting(P2, 'CREDIT', '1.00')] }),
      'postings[0].account',
    ],
    ['effectiveDate "0000-01-01" (no year 0 in PostgreSQL)', () => ({ ...validEntry(), effectiveDate: '0000-01-01' }), 'effectiveDate'],
  ])('POST /v1/entries with %s is a 400', async (_name, build, field) => {
    const res = await http().post('/v1/entries').set('Idempotency-Key', randomUUID()).send(build());
    const err = expectCleanError(res, 400);
    expect(err.message).toContain(field);
  });

  it.each<[string, string, Record<string, unknown>]>([
    ['asset description with a NUL character', '/v1/assets', { code: 'NUL1', scale: 2, description: 'a\u0000b' }],
    ['account ownerRef with a NUL character', '/v1/accounts', { code: 'party:NUL:wallet:CNY', asset: 'CNY', type: 'LIABILITY', ownerRef: 'a\u0000b' }],
  ])('POST with an %s is a 400', async (_name, path, payload) => {
    expectCleanError(await http().post(path).set('Idempotency-Key', randomUUID()).send(payload), 400);
  });

  it.each<[string, string, Record<string, string>]>([
    ['entries after=<cursor of "abc">', '/v1/entries', { after: Buffer.from('abc').toString('base64url') }],
    ['statement cursor=<cursor of "x|y">', `/v1/accounts/${P1}/statement`, { from: '2025-01-01', to: '2025-12-31', cursor: Buffer.from('x|y').toString('base64url') }],
    [
      'statement cursor=<cursor of "2025-01-01|abc">',
      `/v1/accounts/${P1}/statement`,
      { from: '2025-01-01', to: '2025-12-31', cursor: Buffer.from('2025-01-01|abc').toString('base64url') },
    ],
    ['balance asOf=0000-01-01', `/v1/accounts/${P1}/balance`, { asOf: '0000-01-01' }],
    ['trial balance asOf=0000-01-01', '/v1/reports/trial-balance', { asOf: '0000-01-01' }],
    ['accounts codePrefix with a NUL character', '/v1/accounts', { codePrefix: 'party\u0000' }],
  ])('GET %s is a 400', async (_name, path, query) => {
    expectCleanError(await http().get(path).query(query), 400);
  });

  it.each([['/v1/accounts/party%00P1'], ['/v1/assets/CN%00Y']])('GET %s (a NUL in the path) is a 400', async (path) => {
    expectCleanError(await http().get(path), 400);
  });
});

describe('hostile bodies: a 400 or 422 naming the fault, never a 500, nothing written', () => {
  let before: Snapshot;

  beforeEach(async () => {
    before = await snapshot();
  });
  afterEach(async () => {
    expect(await snapshot()).toEqual(before);
  });

  const nestedObjects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
  const send = (path: string, text: string, token = true) => {
    const req = request(app.getHttpServer()).post(path).set('Idempotency-Key', randomUUID()).set('Content-Type', 'application/json');
    return (token ? req.set('Authorization', `Bearer ${adminToken}`) : req).send(text);
  };

  it.each<[string, boolean]>([
    ['/v1/auth/login', false],
    ['/v1/auth/villager-login', false],
    ['/v1/entries', true],
    ['/v1/entries/batch', true],
    ['/v1/accounts', true],
    ['/v1/parties', true],
  ])('POST %s with 20,000 levels of objects or arrays, or 33 in metadata, is a 400 BODY_TOO_DEEP', async (path, token) => {
    for (const text of [nestedObjects(20_000), nestedArrays(20_000), `{"metadata":${nestedObjects(32)}}`]) {
      const err = expectCleanError(await send(path, text, token), 400);
      expect({ code: err.code, field: err.field, details: err.details }).toEqual({ code: 'BODY_TOO_DEEP', field: 'body', details: { maxDepth: MAX_BODY_DEPTH } });
    }
  });

  it('a body of exactly 32 levels is parsed (and refused for what it says, not for its depth)', async () => {
    const err = expectCleanError(await send('/v1/entries', `{"metadata":${nestedObjects(31)}}`), 400);
    expect(err.code).toBe('VALIDATION_FAILED');
    const ok = await send('/v1/entries', JSON.stringify({ ...validEntry(), metadata: JSON.parse(nestedObjects(31)) as unknown }));
    expect(ok.status).toBe(201);
    // The one entry this test writes, taken out of the comparison.
    before.entries += 1;
    before.idempotency += 1;
    before.balances = [before.balances[0], new Dec(before.balances[1]).minus(10).toFixed(2), new Dec(before.balances[2]).plus(10).toFixed(2)];
  });

  it.each<[string, string, string]>([
    ['__proto__ in metadata', '{"__proto__":{"admin":true}}', 'metadata.__proto__'],
    ['constructor in metadata', '{"constructor":{"name":"x"}}', 'metadata.constructor'],
    ['prototype deep inside metadata', '{"a":[{"b":{"prototype":1}}]}', 'metadata.a[0].b.prototype'],
  ])('%s is a 400 FORBIDDEN_KEY naming the key', async (_name, metadata, field) => {
    for (const [path, body] of [
      ['/v1/entries', JSON.stringify(validEntry()).replace(/}$/, `,"metadata":${metadata}}`)],
      ['/v1/accounts', `{"code":"party:PROTO:wallet:CNY","asset":"CNY","type":"LIABILITY","metadata":${metadata}}`],
    ]) {
      const err = expectCleanError(await send(path, body), 400);
      expect({ code: err.code, field: err.field }).toEqual({ code: 'FORBIDDEN_KEY', field });
      expect(err.message).toContain(`"${field.split('.').pop()}"`);
    }
  });

  it.each<[string, string, string]>([
    ['a number beyond a double (1e400)', '{"big":1e400}', 'metadata.big'],
    ['a lone surrogate in a string', '{"note":"\\ud800"}', 'metadata.note'],
    ['a lone surrogate in a key', '{"\\udc00":1}', 'metadata.\udc00'],
  ])('metadata with %s is a 400 naming the field', async (_name, metadata, field) => {
    const err = expectCleanError(await send('/v1/entries', JSON.stringify(validEntry()).replace(/}$/, `,"metadata":${metadata}}`)), 400);
    expect({ code: err.code, field: err.field }).toEqual({ code: 'VALIDATION_FAILED', field });
  });

  it.each<[string, Array<Record<string, unknown>>, string]>([
    [
      'debits and credits one account',
      [posting(P1, 'DEBIT', '10.00'), posting(P2, 'CREDIT', '10.00'), posting(P1, 'CREDIT', '1.00'), posting(P1, 'DEBIT', '1.00')],
      'entry.postings[2].account',
    ],
    ['repeats a posting', [posting(P1, 'DEBIT', '5.00'), posting(P1, 'DEBIT', '5.00'), posting(P2, 'CREDIT', '10.00')], 'entry.postings[1].account'],
  ])('an entry that %s is a 422 DUPLICATE_POSTING naming the posting', async (_name, postings, field) => {
    const err = expectCleanError(
      await http()
        .post('/v1/entries')
        .set('Idempotency-Key', randomUUID())
        .send({ ...validEntry(), postings }),
      422,
    );
    expect({ code: err.code, field: err.field }).toEqual({ code: 'DUPLICATE_POSTING', field });
    const batch = expectCleanError(
      await http()
        .post('/v1/entries/batch')
        .set('Idempotency-Key', randomUUID())
        .send({ entries: [validEntry(), { ...validEntry(), postings }] }),
      422,
    );
    expect({ code: batch.code, field: batch.field }).toEqual({ code: 'DUPLICATE_POSTING', field: field.replace('entry', 'entries[1]') });
  });
});

describe('metadata: what is stored is what was sent', () => {
  it('keeps unicode, nested arrays, nulls, numbers and keys named like Object.prototype members, on entries and accounts', async () => {
    const metadata = {
      林票: { 村: ['常口', '余坑'], n: [0, -1, 1.5, 1e21, 9007199254740992, -0.000001] },
      toString: 'x',
      hasOwnProperty: { valueOf: null },
      __defineGetter__: [],
      empty: {},
      list: [[[]], [{}], null, true, false, ''],
      emoji: '🌲\u{1F332}',
    };
    const res = await http()
      .post('/v1/entries')
      .set('Idempotency-Key', randomUUID())
      .send({ ...validEntry(), metadata })
      .expect(201);
    const id = (res.body as { entry: { id: string } }).entry.id;
    const sent = JSON.parse(JSON.stringify(metadata)) as unknown;
    expect((res.body as { entry: { metadata: unknown } }).entry.metadata).toEqual(sent);
    expect(((await http().get(`/v1/entries/${id}`).expect(200)).body as { metadata: unknown }).metadata).toEqual(sent);
    const code = `party:META-${randomUUID().slice(0, 8)}:wallet:CNY`;
    await http().post('/v1/accounts').set('Idempotency-Key', randomUUID()).send({ code, asset: 'CNY', type: 'LIABILITY', metadata }).expect(201);
    expect(((await http().get(`/v1/accounts/${code}`).expect(200)).body as { metadata: unknown }).metadata).toEqual(sent);
    await http()
      .post('/v1/entries')
      .set('Idempotency-Key', randomUUID())
      .send({ ...validEntry(), postings: [posting(P2, 'DEBIT', '10.00'), posting(P1, 'CREDIT', '10.00')] })
      .expect(201);
  });
});

describe('a body that is not a JSON object', () => {
  interface Operation {
    requestBody?: { content?: Record<string, unknown> };
  }

  it('is a 400 on every write route that takes a JSON body, and writes nothing (a DTO whose fields are all optional too)', async () => {
    const doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, Operation>> };
    const routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([method, op]) => ['post', 'put', 'patch', 'delete'].includes(method) && op.requestBody?.content?.['application/json'])
        .map(([method]) => ({ method: method as 'post' | 'put' | 'patch' | 'delete', path: path.replace(/\{\w+\}/g, 'NOPE-1') })),
    );
    expect(routes.length).toBeGreaterThan(40);
    const before = await snapshot();
    const wrong: string[] = [];
    for (const route of routes) {
      for (const text of ['[]', '[{}]', '"text"', '1', 'null']) {
        const agent = request(app.getHttpServer());
        const res = await agent[route.method](route.path)
          .set('Authorization', `Bearer ${adminToken}`)
          .set('Idempotency-Key', randomUUID())
          .set('Content-Type', 'application/json')
          .send(text);
        // Guards run before pipes: a route for another role answers 403 before it reads the body.
        const refusedRole = res.status === 403 && (res.body as ErrorBody).code === 'FORBIDDEN';
        if (res.status !== 400 && !refusedRole) wrong.push(`${route.method.toUpperCase()} ${route.path} ${text} → ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
    expect(await snapshot()).toEqual(before);
    const err = expectCleanError(
      await request(app.getHttpServer())
        .post('/v1/land-use-jobs/daily')
        .set('Authorization', `Bearer ${adminToken}`)
        .set('Idempotency-Key', randomUUID())
        .set('Content-Type', 'application/json')
        .send('[]'),
      400,
    );
    expect(err.code).toBe('VALIDATION_FAILED');
  });
});
