import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import request, { Response } from 'supertest';
import { ApiApplication, securityHeaders } from '../../apps/api/src/app.setup';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/*
 * The HTTP edges the framework decides before a controller runs: bodies that are not JSON,
 * charsets and encodings, malformed paths, unknown routes, trailing slashes, correlation ids.
 * Pinned when the API moved from Express to Fastify, with the answers Express gave.
 */

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
  correlationId: string;
}

/** helmet's default headers, on every response (they were set by helmet's middleware under Express). */
function expectSecurityHeaders(res: Response): void {
  const expected = securityHeaders();
  expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
  expect(expected['x-content-type-options']).toBe('nosniff');
  expect(expected['content-security-policy']).toContain("default-src 'self'");
  for (const [name, value] of Object.entries(expected)) expect({ name, value: res.headers[name] }).toEqual({ name, value });
}

function errorOf(res: Response, status: number, code: string): ErrorBody {
  const body = res.body as ErrorBody;
  expect({ status: res.status, code: body.code }).toEqual({ status, code });
  expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  expect(res.headers['x-correlation-id']).toBe(body.correlationId);
  expectSecurityHeaders(res);
  return body;
}

function postEntry(headers: Record<string, string>, body?: string | Buffer) {
  let req = request(app.getHttpServer()).post('/v1/entries').set('Authorization', `Bearer ${adminToken}`).set('Idempotency-Key', randomUUID());
  for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
  return body === undefined ? req : req.send(body);
}

describe('request bodies', () => {
  it.each<[string, Record<string, string>, string | undefined]>([
    ['text/plain', { 'Content-Type': 'text/plain' }, 'hello'],
    ['a form', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'kind=TRANSFER'],
    ['application/octet-stream', { 'Content-Type': 'application/octet-stream' }, 'abc'],
    ['application/vnd.api+json', { 'Content-Type': 'application/vnd.api+json' }, '{"kind":"TRANSFER"}'],
    ['no body at all', {}, undefined],
    ['an empty JSON body', { 'Content-Type': 'application/json' }, ''],
    ['a JSON array', { 'Content-Type': 'application/json' }, '[]'],
    ['JSON with a byte-order mark', { 'Content-Type': 'application/json' }, '\ufeff{}'],
  ])('%s is not read as an entry: 400 VALIDATION_FAILED naming the first missing field', async (_name, headers, body) => {
    const err = errorOf(await postEntry(headers, body), 400, 'VALIDATION_FAILED');
    expect(err.message).toContain('kind');
  });

  it.each([
    ['a number', '5', "Unexpected token '5'"],
    ['a string', '"x"', 'Unexpected token'],
    ['null', 'null', "Unexpected token 'n'"],
    ['blanks only', '  ', 'Unexpected end of JSON input'],
    ['a truncated object', '{', 'position 1'],
  ])('JSON that is %s is a 400 MALFORMED_REQUEST (only objects and arrays are accepted)', async (_name, text, detail) => {
    const err = errorOf(await postEntry({ 'Content-Type': 'application/json' }, text), 400, 'MALFORMED_REQUEST');
    expect(err.message).toMatch(/^request could not be parsed: /);
    expect(err.message).toContain(detail);
  });

  it('a charset other than UTF-* is a 415 UNSUPPORTED_CHARSET', async () => {
    errorOf(await postEntry({ 'Content-Type': 'application/json; charset=latin1' }, '{}'), 415, 'UNSUPPORTED_CHARSET');
  });

  it('an explicit utf-8 charset is fine', async () => {
    errorOf(await postEntry({ 'Content-Type': 'application/json; charset=UTF-8' }, '{}'), 400, 'VALIDATION_FAILED');
  });

  it.each([
    ['gzip', gzipSync('{}')],
    ['compress', Buffer.from('{}')],
  ])('a %s Content-Encoding is a 415 UNSUPPORTED_ENCODING', async (encoding, body) => {
    errorOf(await postEntry({ 'Content-Type': 'application/json', 'Content-Encoding': encoding }, body), 415, 'UNSUPPORTED_ENCODING');
  });

  it('a Content-Length over 1 MB is refused before the body is read: 413 PAYLOAD_TOO_LARGE', async () => {
    const body = `{"memo":"${'x'.repeat(1024 * 1024)}"}`;
    errorOf(await postEntry({ 'Content-Type': 'application/json' }, body), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('a body of exactly 1 MB is read', async () => {
    const filler = 1024 * 1024 - '{"memo":""}'.length;
    const err = errorOf(await postEntry({ 'Content-Type': 'application/json' }, `{"memo":"${'x'.repeat(filler)}"}`), 400, 'VALIDATION_FAILED');
    expect(err.message).toContain('kind');
  });
});

describe('routes and paths', () => {
  const get = (path: string) => request(app.getHttpServer()).get(path).set('Authorization', `Bearer ${adminToken}`);

  it.each([['/v1/nope'], ['//v1/assets'], ['/v1/assets/CNY/nope']])('GET %s is a 404 ROUTE_NOT_FOUND in the error shape', async (path) => {
    errorOf(await get(path), 404, 'ROUTE_NOT_FOUND');
  });

  it.each([['put'], ['delete'], ['patch'], ['options']] as const)('%s on a route without that method is a 404 ROUTE_NOT_FOUND', async (method) => {
    errorOf(await request(app.getHttpServer())[method]('/v1/assets').set('Authorization', `Bearer ${adminToken}`), 404, 'ROUTE_NOT_FOUND');
  });

  it('a trailing slash names the same route', async () => {
    await get('/v1/assets/').expect(200);
    await request(app.getHttpServer()).get('/health/').expect(200);
    await request(app.getHttpServer()).get('/docs-json/').expect(200);
  });

  it('HEAD answers for a GET route, with the headers and no body', async () => {
    const res = await request(app.getHttpServer()).head('/health').expect(200);
    expect(res.headers['x-correlation-id']).toBeTruthy();
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('a malformed %-encoding in the path is a 400 MALFORMED_REQUEST', async () => {
    errorOf(await get('/v1/accounts/%E0%A4%A'), 400, 'MALFORMED_REQUEST');
  });

  it('a long path parameter reaches the handler (no 414 below 2,000 characters)', async () => {
    errorOf(await get(`/v1/accounts/party:${'x'.repeat(300)}:wallet:CNY`), 404, 'UNKNOWN_ACCOUNT');
  });

  it('serves the Swagger UI at /docs', async () => {
    const res = await request(app.getHttpServer()).get('/docs').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger');
  });

  it('sends no X-Powered-By, and the security headers on success, on files and on the docs', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.headers['x-powered-by']).toBeUndefined();
    expectSecurityHeaders(res);
    expectSecurityHeaders(await request(app.getHttpServer()).get('/docs-json').expect(200));
    expectSecurityHeaders(await request(app.getHttpServer()).get('/docs/swagger-ui.css').expect(200));
  });
});

describe('correlation ids', () => {
  it("echoes the caller's sane X-Correlation-Id, on success and on error", async () => {
    const ok = await request(app.getHttpServer()).get('/health').set('X-Correlation-Id', 'caller-id-123').expect(200);
    expect(ok.headers['x-correlation-id']).toBe('caller-id-123');
    const err = errorOf(await request(app.getHttpServer()).get('/v1/nope').set('X-Correlation-Id', 'caller-id-456'), 404, 'ROUTE_NOT_FOUND');
    expect(err.correlationId).toBe('caller-id-456');
  });

  it('replaces an unusable one with a UUID', async () => {
    const res = await request(app.getHttpServer()).get('/health').set('X-Correlation-Id', 'has spaces and ; semicolons').expect(200);
    expect(res.headers['x-correlation-id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('gives each request its own', async () => {
    const a = await request(app.getHttpServer()).get('/health').expect(200);
    const b = await request(app.getHttpServer()).get('/health').expect(200);
    expect(a.headers['x-correlation-id']).not.toBe(b.headers['x-correlation-id']);
  });

  it('names the request in its audit row', async () => {
    const res = await request(app.getHttpServer())
      .post('/v1/assets')
      .set('Authorization', `Bearer ${adminToken}`)
      .set('Idempotency-Key', randomUUID())
      .set('X-Correlation-Id', 'audit-corr-1')
      .send({ code: 'EDG', scale: 2 })
      .expect(201);
    expect(res.headers['x-correlation-id']).toBe('audit-corr-1');
    expect(res.headers['idempotency-replayed']).toBe('false');
    const rows = await db.dataSource.query<
      Array<{
        path: string;
        status: number;
      }>
    >(`SELECT correlation_id, path, status FROM audit_log WHERE correlation_id = $1`, ['audit-corr-1']);
    expect(rows).toEqual([expect.objectContaining({ path: '/v1/assets', status: 201 })]);
  });
});
