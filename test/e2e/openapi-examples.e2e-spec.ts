import { createAdmin } from '@forest-ledger/access';
import { DemoLoader, DemoModule, idAfterDemo } from '@forest-ledger/forestry';
import { Env, loadEnv, publishCommitted } from '@forest-ledger/platform';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApiApplication } from '../../apps/api/src/app.setup';
import { ROSTER_MEMBER } from '../../apps/api/src/http/openapi-example-files';
import { FROM_ANSWER, REQUEST_EXAMPLES } from '../../apps/api/src/http/openapi-examples';
import { TEST_REDIS_URL } from '../setup/databases';
import { createTestApp } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * Every request example (apps/api/src/http/openapi-examples.ts), posted in order to an API holding only
 * the demo data set: each must answer 2xx. The one the document shows for a route (the last of that
 * route) is taken from the served document (/docs-json: its path parameter examples and its
 * `examples.demo` body); an earlier one of the same route, from the list.
 */
const db = useTestDatabase();
let app: ApiApplication;

interface Operation {
  parameters?: Array<{ in: string; name: string; example?: string }>;
  requestBody?: { content?: Record<string, { examples?: Record<string, { value: unknown }> }> };
}
type Document = { paths: Record<string, Record<string, Operation>> };

/** What the document shows for a route: its path parameters' examples and its body. */
function shown(operation: Operation): { params: Record<string, string | undefined>; body: unknown } {
  const params = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => [p.name, p.example] as const);
  return { params: Object.fromEntries(params), body: operation.requestBody?.content?.['application/json']?.examples?.demo?.value };
}

let adminPassword: string;

/** As `npm start` does on an empty database: the first administrator, then the demo data set. */
beforeAll(async () => {
  const first = await createAdmin(db.dataSource, 'admin', { onlyIfNoUsers: true });
  adminPassword = first!.password;
  const demo = await Test.createTestingModule({ imports: [DemoModule] })
    .overrideProvider(Env)
    .useValue(loadEnv({ ...process.env, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'silent', NODE_ENV: 'test', DEPLOYMENT_ID: `test-${db.name}` }))
    .compile();
  const context = await demo.init();
  try {
    expect(await context.get(DemoLoader).load()).toBe(true);
  } finally {
    await context.close();
  }
  // The demo's events numbered into the feed, as the worker's outbox relay does within a second of `npm start` (the webhook redelivery example names feed sequence 1).
  await publishCommitted(db.dataSource.manager);
  app = await createTestApp(db);
}, 180_000);

async function login(path: string, body: object): Promise<string> {
  const res = await request(app.getHttpServer()).post(path).send(body);
  if (res.status !== 200) throw new Error(`login ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { accessToken: string }).accessToken;
}

afterAll(async () => {
  await app?.close();
});

describe('the OpenAPI request examples', () => {
  it('each one answers 2xx on the demo data', async () => {
    const doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body as Document;
    const admin = await login('/v1/auth/login', { username: 'admin', password: adminPassword });
    /** The index of the last example of each route: the one the document shows. */
    const lastOf = new Map(REQUEST_EXAMPLES.map(([key], i) => [key, i]));
    const failures: string[] = [];
    /** The latest answer of each route, for a later example's parameter taken from it (FROM_ANSWER). */
    const answers = new Map<string, Record<string, unknown>>();
    for (const [i, [key, example]] of REQUEST_EXAMPLES.entries()) {
      const [method, template] = key.split(' ');
      const operation = doc.paths[template]?.[method.toLowerCase()];
      if (!operation) {
        failures.push(`${key}: not in the document`);
        continue;
      }
      const sent = lastOf.get(key) === i ? shown(operation) : { params: example.params ?? {}, body: example.body };
      let path = template;
      for (const name of Object.keys(shown(operation).params)) {
        const param = sent.params[name];
        const ref = FROM_ANSWER.exec(param ?? '');
        const answered = ref ? answers.get(ref[2])?.[ref[1]] : undefined;
        const value = ref ? (typeof answered === 'string' ? answered : `<no answer ${ref[0]}>`) : (param ?? `<no example for ${name}>`);
        path = path.replace(`{${name}}`, encodeURIComponent(value));
      }
      const body = sent.body ?? {};
      const token =
        example.caller === 'VILLAGER'
          ? await login('/v1/auth/villager-login', { idNumber: '140522196203150310', pin: '123456' })
          : example.caller === 'APPROVER'
            ? await login('/v1/auth/login', { username: 'li.approver', password: 'change-me-at-once-2026' })
            : admin;
      const server = request(app.getHttpServer());
      const send = method === 'PATCH' ? server.patch(path) : method === 'DELETE' ? server.delete(path) : server.post(path);
      const call = send.set('Authorization', `Bearer ${token}`).set('Idempotency-Key', randomUUID());
      const res = method === 'DELETE' ? await call : await call.send(body);
      if (res.status < 200 || res.status > 299) failures.push(`${key} (example ${i + 1}) → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      answers.set(key, res.body as Record<string, unknown>);
    }
    expect(failures).toEqual([]);
    // The user id the examples name: li.approver is the first user after the admin and the demo set's (DEMO_IDS).
    expect(await db.dataSource.query(`SELECT id::text AS id FROM users WHERE username = 'li.approver'`)).toEqual([{ id: idAfterDemo('user') }]);
    // The villager code the roster import gave 王俊杰, whose deactivation the examples approve.
    expect(await db.dataSource.query(`SELECT code, active FROM parties WHERE name = '王俊杰'`)).toEqual([{ code: ROSTER_MEMBER, active: false }]);
  }, 240_000);

  it('every write route has one', async () => {
    const doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body as Document;
    const documented = new Set(REQUEST_EXAMPLES.map(([key]) => key));
    const writes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => m !== 'get')
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(writes.filter((w) => !documented.has(w)).sort()).toEqual([]);
    // And no example names a route the document does not have.
    expect([...documented].filter((key) => !writes.includes(key))).toEqual([]);
  });
});
