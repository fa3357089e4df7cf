import { createAdmin } from '@forest-ledger/access';
import { DemoLoader, DemoModule, idAfterDemo } from '@forest-ledger/forestry';
import { Env, loadEnv, publishCommitted } from '@forest-ledger/platform';
import { Test } from '@nestjs/testing';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { ApiApplication } from '../../apps/api/src/app.setup';
import { FROM_ANSWER, REQUEST_EXAMPLES } from '../../apps/api/src/http/openapi-examples';
import { TEST_REDIS_URL } from '../setup/databases';
import { createTestApp } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * Every request example of the OpenAPI document (apps/api/src/http/openapi-examples.ts), taken from the
 * served document (/docs-json: its path parameter examples and its `examples.demo` body), posted in
 * order to an API holding only the demo data set: each must answer 2xx, or the status and code its
 * `expect` documents.
 */
const db = useTestDatabase();
let app: ApiApplication;

interface Operation {
  parameters?: Array<{ in: string; name: string; example?: string }>;
  requestBody?: { content?: Record<string, { examples?: Record<string, { value: unknown }> }> };
}
type Document = { paths: Record<string, Record<string, Operation>> };

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
    expect(new Set(REQUEST_EXAMPLES.map(([key]) => key)).size).toBe(REQUEST_EXAMPLES.length);
    const failures: string[] = [];
    /** Each example's answer, for a later one's parameter taken from it (FROM_ANSWER). */
    const answers = new Map<string, Record<string, unknown>>();
    for (const [key, example] of REQUEST_EXAMPLES) {
      const [method, template] = key.split(' ');
      const operation = doc.paths[template]?.[method.toLowerCase()];
      if (!operation) {
        failures.push(`${key}: not in the document`);
        continue;
      }
      let path = template;
      for (const p of operation.parameters ?? []) {
        if (p.in !== 'path') continue;
        const ref = FROM_ANSWER.exec(p.example ?? '');
        const answered = ref ? answers.get(ref[2])?.[ref[1]] : undefined;
        const value = ref ? (typeof answered === 'string' ? answered : `<no answer ${ref[0]}>`) : (p.example ?? `<no example for ${p.name}>`);
        path = path.replace(`{${p.name}}`, encodeURIComponent(value));
      }
      const body = operation.requestBody?.content?.['application/json']?.examples?.demo?.value ?? {};
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
      const code = (res.body as { code?: string }).code;
      const ok = example.expect ? res.status === example.expect.status && code === example.expect.code : res.status >= 200 && res.status <= 299;
      if (!ok) failures.push(`${key} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      answers.set(key, res.body as Record<string, unknown>);
    }
    expect(failures).toEqual([]);
    // The user id the examples name: li.approver is the first user after the admin and the demo set's (DEMO_IDS).
    expect(await db.dataSource.query(`SELECT id::text AS id FROM users WHERE username = 'li.approver'`)).toEqual([{ id: idAfterDemo('user') }]);
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
