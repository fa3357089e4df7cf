import { AccessService, LOGIN_LIMITS, Role, ROLES } from '@forest-ledger/access';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { PiiCipher } from '@forest-ledger/forestry';
import { Env, inTransaction, REDIS, RedisKeys } from '@forest-ledger/platform';
import type { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { PUBLIC_KEY, ROLES_KEY } from '../../apps/api/src/auth/auth.decorators';
import { LedgerFactory } from '../factories/ledger.factory';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let app: ApiApplication;
const tokens = new Map<Role, string>();
const SCOPED_PARTY: Partial<Record<Role, string>> = { FARM_OPERATOR: 'F-TEST', BUYER: 'B-TEST', VILLAGER: 'V-TEST-1' };
const VILLAGER_ID = '11010519491231002X';

interface Route {
  method: string;
  path: string;
  roles: Role[] | undefined;
  isPublic: boolean;
}

/** Every route of the app, with its declared access, read from the controllers' metadata. */
function routesOf(app: ApiApplication): Route[] {
  const routes: Route[] = [];
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!type) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, type) ?? '');
      for (const name of Object.getOwnPropertyNames(type.prototype)) {
        const handler = (type.prototype as Record<string, unknown>)[name];
        if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(PATH_METADATA, handler) === undefined) continue;
        const path = `/${[base, String(Reflect.getMetadata(PATH_METADATA, handler))].filter((p) => p && p !== '/').join('/')}`.replace(/\/+/g, '/');
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        routes.push({
          method,
          path,
          roles: Reflect.getMetadata(ROLES_KEY, handler) ?? Reflect.getMetadata(ROLES_KEY, type),
          isPublic: Boolean(Reflect.getMetadata(PUBLIC_KEY, handler) ?? Reflect.getMetadata(PUBLIC_KEY, type)),
        });
      }
    }
  }
  return routes;
}

async function insertParty(ds: DataSource, code: string, kind: string, idNumber?: string): Promise<void> {
  await ds.query(`INSERT INTO parties (code, kind, name) VALUES ($1, $2, $3)`, [code, kind, code]);
  if (idNumber) {
    const appPii = app.get(PiiCipher); // the app's own keys, so the HMAC matches the login lookup
    await ds.query(`UPDATE parties SET id_kind = 'RESIDENT_ID', id_hmac = $2, id_cipher = $3, id_masked = $4 WHERE code = $1`, [
      code,
      appPii.hmac('RESIDENT_ID', idNumber),
      appPii.encrypt(idNumber),
      `${idNumber.slice(0, 4)}**********${idNumber.slice(-4)}`,
    ]);
  }
}

beforeAll(async () => {
  app = await createTestApp(db);
  await insertParty(db.dataSource, 'F-TEST', 'STATE_FARM');
  await insertParty(db.dataSource, 'B-TEST', 'ENTERPRISE');
  await insertParty(db.dataSource, 'V-TEST-1', 'VILLAGER', VILLAGER_ID);
  await insertParty(db.dataSource, 'V-TEST-2', 'VILLAGER');
  for (const role of ROLES) tokens.set(role, await tokenFor(app, role, SCOPED_PARTY[role]));
  const f = new LedgerFactory(db.dataSource);
  await f.cnyWorld(['party:V-TEST-1:wallet:CNY', 'party:V-TEST-2:wallet:CNY']);
  await f.transfer('bank:ICBC-YC:CNY', 'party:V-TEST-1:wallet:CNY', '10.00');
  await f.transfer('bank:ICBC-YC:CNY', 'party:V-TEST-2:wallet:CNY', '20.00');
});
afterAll(() => app?.close());

const http = () => request(app.getHttpServer());
const as = (role: Role) => ({ Authorization: `Bearer ${tokens.get(role)}` });

describe('every route declares who may call it', () => {
  it('has no route without @Roles or @Public', () => {
    const routes = routesOf(app);
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => !r.isPublic && (!r.roles || r.roles.length === 0)).map((r) => `${r.method} ${r.path}`)).toEqual([]);
  });

  it('refuses anonymous calls to every non-public route with 401', async () => {
    for (const route of routesOf(app).filter((r) => !r.isPublic)) {
      const path = route.path.replace(/:[A-Za-z]+/g, 'x');
      const res = await http()[route.method.toLowerCase() as 'get' | 'post'](path).set('Idempotency-Key', randomUUID()).send({});
      expect([route.method, route.path, res.status]).toEqual([route.method, route.path, 401]);
    }
  });

  it('lets each role through exactly the routes that name it (others get 403)', async () => {
    for (const route of routesOf(app).filter((r) => !r.isPublic)) {
      const path = route.path.replace(/:[A-Za-z]+/g, 'x');
      for (const role of ROLES) {
        const res = await http()[route.method.toLowerCase() as 'get' | 'post'](path).set(as(role)).set('Idempotency-Key', randomUUID()).send({});
        const allowed = route.roles!.includes(role);
        // Allowed callers reach the handler: whatever it answers (400 for the empty body, 404 for 'x'), it is not 401/403.
        expect([route.method, route.path, role, allowed ? res.status !== 401 && res.status !== 403 : res.status]).toEqual([route.method, route.path, role, allowed ? true : 403]);
      }
    }
  });
});

describe('audit trail of every write', () => {
  it('has an audit row for each state-changing route called by each role allowed to call it', async () => {
    // The previous test called every route as every role; the allowed calls reached the handlers.
    const rows = await db.dataSource.query<Array<{ method: string; path: string; role: string }>>(`SELECT DISTINCT method, path, role FROM audit_log`);
    const seen = new Set(rows.map((r) => `${r.method} ${r.path} ${r.role}`));
    const expected = routesOf(app)
      .filter((r) => !r.isPublic && r.method !== 'GET')
      .flatMap((r) => r.roles!.map((role) => `${r.method} ${r.path.replace(/:[A-Za-z]+/g, 'x')} ${role}`));
    expect(expected.length).toBeGreaterThan(10);
    expect(expected.filter((e) => !seen.has(e))).toEqual([]);
  });
});

describe('projects and 林票 routes', () => {
  const STAFF: Role[] = ['ADMIN', 'AUDITOR', 'APPROVER'];
  /** The access each route of projects, series, movements and certificates is meant to have ('PUBLIC': no login). */
  const EXPECTED: Record<string, Role[] | 'PUBLIC'> = {
    'POST /v1/projects': ['ADMIN', 'FARM_OPERATOR'],
    'GET /v1/projects': [...STAFF, 'FARM_OPERATOR'],
    'GET /v1/projects/:code': [...STAFF, 'FARM_OPERATOR'],
    'POST /v1/projects/:code/contributions': ['ADMIN', 'FARM_OPERATOR'],
    'POST /v1/projects/:code/contributions/:id/call': ['ADMIN', 'FARM_OPERATOR'],
    'POST /v1/projects/:code/issuance': ['ADMIN', 'FARM_OPERATOR'],
    'POST /v1/projects/:code/close': ['ADMIN', 'FARM_OPERATOR'],
    'GET /v1/series': [...ROLES],
    'GET /v1/series/:code': [...ROLES],
    'GET /v1/series/:code/register': [...STAFF, 'FARM_OPERATOR'],
    'GET /v1/series/:code/register.xlsx': [...STAFF, 'FARM_OPERATOR'],
    'POST /v1/series/:code/trades': ['ADMIN'],
    'POST /v1/series/:code/inheritances': ['ADMIN'],
    'POST /v1/series/:code/pledges': ['ADMIN'],
    'GET /v1/series/:code/pledges': STAFF,
    'POST /v1/pledges/:id/release': ['ADMIN'],
    'POST /v1/pledges/:id/enforce': ['ADMIN'],
    'POST /v1/series/:code/buy-backs': ['ADMIN', 'FARM_OPERATOR'],
    'GET /v1/certificates/:certificateNo': [...ROLES],
    'GET /v1/certificates/:certificateNo/pdf': [...ROLES],
    'GET /v1/public/certificates/:code': 'PUBLIC',
  };

  it('declare the roles of the matrix (every role of each route is let through above; the others get 403)', () => {
    const declared = new Map(routesOf(app).map((r) => [`${r.method} ${r.path}`, r.isPublic ? 'PUBLIC' : [...(r.roles ?? [])].sort()]));
    for (const [route, roles] of Object.entries(EXPECTED)) {
      expect([route, declared.get(route)]).toEqual([route, roles === 'PUBLIC' ? roles : [...roles].sort()]);
    }
  });

  it('answers the public certificate verification without credentials (an unknown code is a 404, not a 401)', async () => {
    const res = await http().get('/v1/public/certificates/0000-0000-0000-0000').expect(404);
    expect(res.body.code).toBe('UNKNOWN_CERTIFICATE');
  });
});

describe('carbon credit routes', () => {
  const STAFF: Role[] = ['ADMIN', 'AUDITOR', 'APPROVER'];
  /** The access each carbon route is meant to have ('PUBLIC': no login); BUYER and FARM_OPERATOR are further scoped to their party in the handlers. */
  const EXPECTED: Record<string, Role[] | 'PUBLIC'> = {
    'POST /v1/carbon/projects': ['ADMIN', 'FARM_OPERATOR'],
    'GET /v1/carbon/projects': [...STAFF, 'FARM_OPERATOR'],
    'GET /v1/carbon/projects/:code': [...STAFF, 'FARM_OPERATOR'],
    'POST /v1/carbon/projects/:code/register': ['ADMIN'],
    'POST /v1/carbon/projects/:code/close': ['ADMIN'],
    'POST /v1/carbon/projects/:code/revenue-rules': ['ADMIN'],
    'POST /v1/carbon/projects/:code/issuances': ['ADMIN'],
    'GET /v1/carbon/projects/:code/issuances': [...STAFF, 'FARM_OPERATOR'],
    'GET /v1/carbon/projects/:code/serial-blocks': STAFF,
    'GET /v1/carbon/projects/:code/invariant': STAFF,
    'POST /v1/carbon/projects/:code/listings': ['ADMIN', 'FARM_OPERATOR'],
    'POST /v1/carbon/projects/:code/retirements': ['ADMIN', 'BUYER'],
    'GET /v1/carbon/listings': [...STAFF, 'FARM_OPERATOR', 'BUYER'],
    'GET /v1/carbon/listings/:id': [...STAFF, 'FARM_OPERATOR', 'BUYER'],
    'POST /v1/carbon/listings/:id/cancel': ['ADMIN', 'FARM_OPERATOR'],
    'POST /v1/carbon/listings/:id/orders': ['ADMIN', 'BUYER'],
    'GET /v1/carbon/sales/:id': [...STAFF, 'FARM_OPERATOR', 'BUYER'],
    'GET /v1/carbon/retirements/:certificateNo': [...STAFF, 'BUYER'],
    'GET /v1/carbon/retirements/:certificateNo/pdf': [...STAFF, 'BUYER'],
    'GET /v1/public/carbon-certificates/:certificateNo': 'PUBLIC',
    'GET /v1/public/carbon-projects/:code/registry': 'PUBLIC',
    'GET /v1/public/carbon-projects/:code/registry.csv': 'PUBLIC',
  };

  it('declare the roles of the matrix, and every carbon route is in it', () => {
    const routes = routesOf(app);
    const declared = new Map(routes.map((r) => [`${r.method} ${r.path}`, r.isPublic ? 'PUBLIC' : [...(r.roles ?? [])].sort()]));
    for (const [route, roles] of Object.entries(EXPECTED)) {
      expect([route, declared.get(route)]).toEqual([route, roles === 'PUBLIC' ? roles : [...roles].sort()]);
    }
    expect(routes.map((r) => `${r.method} ${r.path}`).filter((r) => /\/carbon/.test(r) && !(r in EXPECTED))).toEqual([]);
  });

  it('answers the public carbon routes without credentials (unknown: 404, not 401)', async () => {
    expect((await http().get('/v1/public/carbon-certificates/TH-0000001?code=0000-0000-0000-0000').expect(404)).body.code).toBe('UNKNOWN_CERTIFICATE');
    expect((await http().get('/v1/public/carbon-projects/NOPE/registry').expect(404)).body.code).toBe('UNKNOWN_CARBON_PROJECT');
    expect((await http().get('/v1/public/carbon-projects/NOPE/registry.csv').expect(404)).body.code).toBe('UNKNOWN_CARBON_PROJECT');
  });
});

describe('scoping in queries', () => {
  it("a villager reads their own wallet, and another villager's is a 404 (not 403)", async () => {
    await http().get('/v1/accounts/party:V-TEST-1:wallet:CNY').set(as('VILLAGER')).expect(200);
    const other = await http().get('/v1/accounts/party:V-TEST-2:wallet:CNY').set(as('VILLAGER')).expect(404);
    expect(other.body.code).toBe('UNKNOWN_ACCOUNT');
    await http().get('/v1/accounts/party:V-TEST-2:wallet:CNY/statement?from=2020-01-01&to=2030-01-01').set(as('VILLAGER')).expect(404);
    await http().get('/v1/accounts/party:V-TEST-2:wallet:CNY/balance?asOf=2030-01-01').set(as('VILLAGER')).expect(404);
    const list = await http().get('/v1/accounts').set(as('VILLAGER')).expect(200);
    expect(list.body.items.map((a: { code: string }) => a.code)).toEqual(['party:V-TEST-1:wallet:CNY']);
    const entries = await http().get('/v1/entries').set(as('VILLAGER')).expect(200);
    expect(entries.body.items).toHaveLength(1);
    const [theirs] = (await http().get('/v1/entries?account=party:V-TEST-2:wallet:CNY').set(as('ADMIN')).expect(200)).body.items;
    await http().get(`/v1/entries/${theirs.id}`).set(as('VILLAGER')).expect(404);
    await http().get(`/v1/entries/${theirs.id}`).set(as('AUDITOR')).expect(200);
  });
});

describe('logins', () => {
  it('issues a token for a staff login and refuses a wrong password', async () => {
    await inTransaction(db.dataSource, (em) =>
      app.get(AccessService).createUser(em, { username: 'li.admin', displayName: '李', role: 'ADMIN', password: 'a-long-enough-password' }),
    );
    const ok = await http().post('/v1/auth/login').send({ username: 'li.admin', password: 'a-long-enough-password' }).expect(200);
    expect(ok.body).toMatchObject({ tokenType: 'Bearer', role: 'ADMIN' });
    const me = await http().get('/v1/me').set('Authorization', `Bearer ${ok.body.accessToken}`).expect(200);
    expect(me.body.role).toBe('ADMIN');
    await http().post('/v1/auth/login').send({ username: 'li.admin', password: 'wrong' }).expect(401);
  });

  it('rate-limits failed logins per account (429 after the limit, even with the right password)', async () => {
    await inTransaction(db.dataSource, (em) =>
      app.get(AccessService).createUser(em, { username: 'wang.audit', displayName: '王', role: 'AUDITOR', password: 'another-long-password' }),
    );
    for (let i = 0; i < LOGIN_LIMITS.perAccount; i++) await http().post('/v1/auth/login').send({ username: 'wang.audit', password: 'nope' }).expect(401);
    const limited = await http().post('/v1/auth/login').send({ username: 'wang.audit', password: 'another-long-password' }).expect(429);
    expect(limited.body.code).toBe('TOO_MANY_ATTEMPTS');
    expect(limited.body.details.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('lets a villager log in with ID number and PIN, and change the PIN', async () => {
    // tokenFor created the villager's user with PIN 123456.
    const ok = await http().post('/v1/auth/villager-login').send({ idNumber: VILLAGER_ID.toLowerCase(), pin: '123456' }).expect(200);
    const auth = { Authorization: `Bearer ${ok.body.accessToken}` };
    await http().post('/v1/auth/pin').set(auth).set('Idempotency-Key', randomUUID()).send({ currentPin: '000000', newPin: '654321' }).expect(422);
    await http().post('/v1/auth/pin').set(auth).set('Idempotency-Key', randomUUID()).send({ currentPin: '123456', newPin: '654321' }).expect(200);
    await http().post('/v1/auth/villager-login').send({ idNumber: VILLAGER_ID, pin: '123456' }).expect(401);
    await http().post('/v1/auth/villager-login').send({ idNumber: VILLAGER_ID, pin: '654321' }).expect(200);
  });

  it('rate-limits wrong current PINs on a PIN change, so a stolen token cannot try PINs', async () => {
    const ok = await http().post('/v1/auth/villager-login').send({ idNumber: VILLAGER_ID, pin: '654321' }).expect(200);
    const auth = { Authorization: `Bearer ${ok.body.accessToken}` };
    const change = (currentPin: string) => http().post('/v1/auth/pin').set(auth).set('Idempotency-Key', randomUUID()).send({ currentPin, newPin: '111111' });
    for (let i = 0; i < LOGIN_LIMITS.perAccount; i++) await change(String(200000 + i)).expect(422);
    const limited = await change('654321').expect(429);
    expect(limited.body).toMatchObject({ code: 'TOO_MANY_ATTEMPTS', field: 'currentPin' });
    // The PIN did not change.
    await http().post('/v1/auth/villager-login').send({ idNumber: VILLAGER_ID, pin: '654321' }).expect(200);
  });
});

describe('API keys', () => {
  it('authenticates with a created key and refuses it once revoked', async () => {
    const [auditor] = await db.dataSource.query<Array<{ id: string }>>(`SELECT id FROM users WHERE role = 'AUDITOR' ORDER BY id LIMIT 1`);
    const created = await http().post('/v1/api-keys').set(as('ADMIN')).set('Idempotency-Key', randomUUID()).send({ name: 'export', userId: auditor.id }).expect(201);
    await http().get('/v1/reports/trial-balance').set('X-Api-Key', created.body.key).expect(200);
    await http().post('/v1/assets').set('X-Api-Key', created.body.key).set('Idempotency-Key', randomUUID()).send({ code: 'NOPE', scale: 2 }).expect(403);
    const stored = await db.dataSource.query(`SELECT secret_hash FROM api_keys WHERE id = $1`, [created.body.id]);
    // The secret is everything after flk_<prefix>_ (base64url, so it may itself contain '_').
    expect(JSON.stringify(stored)).not.toContain(created.body.key.slice(`flk_${created.body.prefix}_`.length));
    await http().post(`/v1/api-keys/${created.body.id}/revoke`).set(as('ADMIN')).set('Idempotency-Key', randomUUID()).send({}).expect(200);
    await http().get('/v1/reports/trial-balance').set('X-Api-Key', created.body.key).expect(401);
    // Revoking it again, or an unknown key, is a 404 (the revocation finds no active key).
    await http().post(`/v1/api-keys/${created.body.id}/revoke`).set(as('ADMIN')).set('Idempotency-Key', randomUUID()).send({}).expect(404);
    await http().post('/v1/api-keys/999999/revoke').set(as('ADMIN')).set('Idempotency-Key', randomUUID()).send({}).expect(404);
  });
});

describe('audit log', () => {
  it('records each write with who, key, outcome and the ledger entries it produced; only ADMIN and AUDITOR read it', async () => {
    const key = randomUUID();
    const posted = await http()
      .post('/v1/entries')
      .set(as('ADMIN'))
      .set('Idempotency-Key', key)
      .send({
        kind: 'TRANSFER',
        effectiveDate: '2026-01-02',
        postings: [
          { account: 'party:V-TEST-1:wallet:CNY', side: 'DEBIT', amount: '1.00' },
          { account: 'party:V-TEST-2:wallet:CNY', side: 'CREDIT', amount: '1.00' },
        ],
      })
      .expect(201);
    const failedKey = randomUUID();
    await http()
      .post('/v1/entries')
      .set(as('ADMIN'))
      .set('Idempotency-Key', failedKey)
      .send({
        kind: 'TRANSFER',
        effectiveDate: '2026-01-02',
        postings: [
          { account: 'party:V-TEST-1:wallet:CNY', side: 'DEBIT', amount: '999.00' },
          { account: 'party:V-TEST-2:wallet:CNY', side: 'CREDIT', amount: '999.00' },
        ],
      })
      .expect(422);
    const log = await http().get('/v1/audit-log').set(as('AUDITOR')).expect(200);
    const ok = log.body.items.find((r: { idempotencyKey: string }) => r.idempotencyKey === key);
    expect(ok).toMatchObject({ method: 'POST', path: '/v1/entries', status: 201, outcome: 'SUCCESS', role: 'ADMIN', entryIds: [posted.body.entry.id] });
    const failed = log.body.items.find((r: { idempotencyKey: string }) => r.idempotencyKey === failedKey);
    expect(failed).toMatchObject({ status: 422, outcome: 'FAILURE', errorCode: 'INSUFFICIENT_FUNDS', entryIds: [] });
    await http().get('/v1/audit-log').set(as('VILLAGER')).expect(403);
    await expect(db.dataSource.query(`DELETE FROM audit_log`)).rejects.toThrow(/append-only/);
  });

  it('audits a replay with its entries and a refused body, but not a request a guard refused', async () => {
    const transfer = {
      kind: 'TRANSFER',
      effectiveDate: '2026-01-02',
      postings: [
        { account: 'party:V-TEST-1:wallet:CNY', side: 'DEBIT', amount: '0.50' },
        { account: 'party:V-TEST-2:wallet:CNY', side: 'CREDIT', amount: '0.50' },
      ],
    };
    const rowsOf = (key: string) =>
      db.dataSource.query<Array<{ status: number; outcome: string; error_code: string | null; entry_ids: string[] }>>(
        `SELECT status, outcome, error_code, entry_ids::text[] AS entry_ids FROM audit_log WHERE idempotency_key = $1 ORDER BY id`,
        [key],
      );
    const key = randomUUID();
    const first = await http().post('/v1/entries').set(as('ADMIN')).set('Idempotency-Key', key).send(transfer).expect(201);
    await http().post('/v1/entries').set(as('ADMIN')).set('Idempotency-Key', key).send(transfer).expect(201).expect('Idempotency-Replayed', 'true');
    const entry = [first.body.entry.id as string];
    expect(await rowsOf(key)).toEqual([
      { status: 201, outcome: 'SUCCESS', error_code: null, entry_ids: entry },
      { status: 201, outcome: 'SUCCESS', error_code: null, entry_ids: entry },
    ]);
    const invalid = randomUUID();
    await http()
      .post('/v1/entries')
      .set(as('ADMIN'))
      .set('Idempotency-Key', invalid)
      .send({ ...transfer, effectiveDate: '2026-02-30' })
      .expect(400);
    expect(await rowsOf(invalid)).toEqual([{ status: 400, outcome: 'FAILURE', error_code: 'VALIDATION_FAILED', entry_ids: [] }]);
    const forbidden = randomUUID();
    await http().post('/v1/entries').set(as('AUDITOR')).set('Idempotency-Key', forbidden).send(transfer).expect(403);
    expect(await rowsOf(forbidden)).toEqual([]);
  });

  it('audits batches that shared a commit one row each: their own entries, a refused one as its failure', async () => {
    const entry = (amount: string) => ({
      kind: 'TRANSFER',
      effectiveDate: '2026-01-02',
      postings: [
        { account: 'party:V-TEST-1:wallet:CNY', side: 'DEBIT', amount },
        { account: 'party:V-TEST-2:wallet:CNY', side: 'CREDIT', amount },
      ],
    });
    const keys = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const bodies = [[entry('0.01')], [entry('0.02'), entry('99999999.00')], [entry('0.03'), entry('0.04')], [entry('0.05')]];
    const answers = await Promise.all(keys.map((key, i) => http().post('/v1/entries/batch').set(as('ADMIN')).set('Idempotency-Key', key).send({ entries: bodies[i] })));
    expect(answers.map((a) => a.status)).toEqual([201, 422, 201, 201]);
    expect(answers[1].body).toMatchObject({ code: 'INSUFFICIENT_FUNDS', field: 'entries[1].postings' });
    const audited = await db.dataSource.query<Array<{ idempotency_key: string; status: number; outcome: string; error_code: string | null; entry_ids: string[] }>>(
      `SELECT idempotency_key, status, outcome, error_code, entry_ids::text[] AS entry_ids FROM audit_log WHERE idempotency_key = ANY($1) ORDER BY id`,
      [keys],
    );
    const rowOf = (i: number) => audited.filter((r) => r.idempotency_key === keys[i]);
    for (const i of [0, 2, 3]) {
      expect(rowOf(i)).toEqual([
        { idempotency_key: keys[i], status: 201, outcome: 'SUCCESS', error_code: null, entry_ids: answers[i].body.entries.map((e: { id: string }) => e.id) },
      ]);
    }
    expect(rowOf(1)).toEqual([{ idempotency_key: keys[1], status: 422, outcome: 'FAILURE', error_code: 'INSUFFICIENT_FUNDS', entry_ids: [] }]);
    // The refused batch wrote nothing: its key is free, and the same body is refused again.
    await http().post('/v1/entries/batch').set(as('ADMIN')).set('Idempotency-Key', keys[1]).send({ entries: bodies[1] }).expect(422);
  });
});

describe('security headers and errors', () => {
  it('sends helmet headers, no CORS by default, and no stack traces', async () => {
    const res = await http().get('/v1/nope').set('Origin', 'https://evil.example').set(as('ADMIN'));
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(JSON.stringify(res.body)).not.toMatch(/at \/|\.ts:\d+/);
  });
});

describe('login rate limit per address (runs last: it locks this client address out)', () => {
  it('refuses logins from an address after 20 failures whatever the username', async () => {
    let status = 0;
    let attempts = 0;
    while (status !== 429 && attempts < LOGIN_LIMITS.perAddress + 1) {
      status = (
        await http()
          .post('/v1/auth/login')
          .send({ username: `nobody-${attempts}`, password: 'x' })
      ).status;
      attempts += 1;
    }
    expect(status).toBe(429);
    expect(attempts).toBeLessThanOrEqual(LOGIN_LIMITS.perAddress + 1);
    await http().post('/v1/auth/login').send({ username: 'li.admin', password: 'a-long-enough-password' }).expect(429);
  });
});

describe('user management', () => {
  const post = (path: string, role: Role = 'ADMIN') => http().post(path).set(as(role)).set('Idempotency-Key', randomUUID()).send({});

  // The failed logins above count against this address too.
  beforeAll(async () => {
    const redis = app.get<Redis>(REDIS);
    const keys = await redis.keys(`${RedisKeys.of(app.get(Env)).root}:rl:login:*`);
    if (keys.length > 0) await redis.del(...keys);
  });

  it('lists users without credentials, to ADMIN and AUDITOR only', async () => {
    const res = await http().get('/v1/users').set(as('AUDITOR')).expect(200);
    const users = res.body as Array<Record<string, unknown>>;
    expect(users.length).toBeGreaterThanOrEqual(ROLES.length);
    expect(users[0]).toEqual({
      id: expect.any(String),
      username: expect.anything(),
      displayName: expect.any(String),
      role: expect.any(String),
      partyCode: null,
      active: true,
      createdAt: expect.any(String),
    });
    expect(JSON.stringify(users)).not.toMatch(/hash|\$argon2/);
    await http().get('/v1/users').set(as('FARM_OPERATOR')).expect(403);
  });

  it('deactivates a user: their token, password and API keys stop working at once; reactivation lets them log in again', async () => {
    const access = app.get(AccessService);
    const { id } = await inTransaction(db.dataSource, (em) =>
      access.createUser(em, { username: 'zhao.leaving', displayName: '赵', role: 'APPROVER', password: 'a-long-enough-password' }),
    );
    const login = await http().post('/v1/auth/login').send({ username: 'zhao.leaving', password: 'a-long-enough-password' }).expect(200);
    const token = { Authorization: `Bearer ${login.body.accessToken as string}` };
    const key = (await http().post('/v1/api-keys').set(as('ADMIN')).set('Idempotency-Key', randomUUID()).send({ name: 'zhao', userId: id }).expect(201)).body.key as string;
    await http().get('/v1/me').set(token).expect(200);

    const deactivated = await post(`/v1/users/${id}/deactivate`).expect(200);
    expect(deactivated.body).toMatchObject({ id, username: 'zhao.leaving', active: false });
    const refused = await http().get('/v1/me').set(token).expect(401);
    expect(refused.body.message).toBe('this login has been deactivated');
    await http().get('/v1/me').set('X-Api-Key', key).expect(401);
    await http().post('/v1/auth/login').send({ username: 'zhao.leaving', password: 'a-long-enough-password' }).expect(401);
    // Again: nothing changes.
    await post(`/v1/users/${id}/deactivate`).expect(200);

    await post(`/v1/users/${id}/reactivate`).expect(200);
    await http().post('/v1/auth/login').send({ username: 'zhao.leaving', password: 'a-long-enough-password' }).expect(200);
    await http().get('/v1/me').set('X-Api-Key', key).expect(401);
  });

  it('refuses deactivating oneself, the last active ADMIN, an unknown user; only an ADMIN may', async () => {
    const me = (await http().get('/v1/me').set(as('ADMIN')).expect(200)).body as { userId: string };
    expect((await post(`/v1/users/${me.userId}/deactivate`).expect(422)).body).toMatchObject({ code: 'CANNOT_DEACTIVATE_SELF', field: 'id' });
    expect((await post('/v1/users/999999999/deactivate').expect(404)).body.code).toBe('UNKNOWN_USER');
    expect((await post('/v1/users/abc/deactivate').expect(404)).body.code).toBe('UNKNOWN_USER');
    await post(`/v1/users/${me.userId}/deactivate`, 'APPROVER').expect(403);

    // Every other ADMIN deactivated first: the last one stays, whoever asks.
    const access = app.get(AccessService);
    const others = await db.dataSource.query<Array<{ id: string }>>(`SELECT id FROM users WHERE role = 'ADMIN' AND active AND id <> $1`, [me.userId]);
    for (const other of others) await post(`/v1/users/${other.id}/deactivate`).expect(200);
    const [approver] = await db.dataSource.query<Array<{ id: string }>>(`SELECT id FROM users WHERE role = 'APPROVER' AND active ORDER BY id LIMIT 1`);
    const last = await inTransaction(db.dataSource, (em) =>
      access.deactivateUser(em, { userId: approver.id, role: 'APPROVER', partyId: null, partyCode: null, displayName: 'x', via: 'token' }, me.userId),
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(last).toMatchObject({ code: 'LAST_ADMIN' });
    for (const other of others) await post(`/v1/users/${other.id}/reactivate`).expect(200);
  });
});
