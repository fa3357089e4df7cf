import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * Hostile bodies on every write route of the OpenAPI document, as an ADMIN and without a token:
 * deep, wide, unicode, huge numbers and strings, wrong types, prototype keys. Never a 5xx, and
 * nothing written but the audit rows of refused requests. Seeded: FUZZ_SEED=<n> replays a run
 * (the seed is printed); FUZZ_RUNS=<n> sets the bodies per route and caller (default 4).
 */
const SEED = Number(process.env.FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const RUNS = Number(process.env.FUZZ_RUNS ?? 4);

const db = useTestDatabase();
let app: ApiApplication;
let adminToken: string;
let routes: Route[];
let propertyNames: string[];
let tables: string[];

interface Route {
  method: 'post' | 'put' | 'patch' | 'delete';
  path: string;
  params: string[];
}

interface OpenApiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
}

const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

beforeAll(async () => {
  process.stdout.write(`fuzz.e2e-spec: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}\n`);
  app = await createTestApp(db);
  adminToken = await tokenFor(app, 'ADMIN');
  const doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body as OpenApiDocument;
  routes = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops)
      .filter((m) => WRITE_METHODS.has(m))
      .map((method) => ({ method: method as Route['method'], path, params: [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]) })),
  );
  propertyNames = [...new Set(Object.values(doc.components.schemas).flatMap((s) => Object.keys(s.properties ?? {})))];
  tables = (
    await db.dataSource.query<
      Array<{
        tablename: string;
      }>
    >(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ('migrations', 'audit_log') ORDER BY 1`)
  ).map((t) => t.tablename);
});
afterAll(() => app?.close());

/** Row counts of every table but the audit log (checked on its own: a refused request is audited as a FAILURE). */
async function rowCounts(): Promise<Record<string, number>> {
  const rows = await db.dataSource.query<Array<{ t: string; n: number }>>(tables.map((t) => `SELECT '${t}' AS t, count(*)::int AS n FROM "${t}"`).join(' UNION ALL '));
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

async function lastAuditId(): Promise<string> {
  const [row] = await db.dataSource.query<Array<{ id: string }>>(`SELECT coalesce(max(id), 0)::text AS id FROM audit_log`);
  return row.id;
}

// ------------------------------------------------------------------ generators (JSON as text, so any key can be written)

const quote = (s: string) => JSON.stringify(s);
/** A string with lone surrogates written as \u escapes (JSON allows them; they are not Unicode). */
const escapeUnits = (s: string) => `"${[...Array(s.length).keys()].map((i) => `\\u${s.charCodeAt(i).toString(16).padStart(4, '0')}`).join('')}"`;

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

function generators(names: string[]) {
  const key = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names) },
    { weight: 1, arbitrary: fc.constantFrom(...PROTOTYPE_KEYS, 'toString', 'hasOwnProperty', 'metadata', 'postings', 'entries') },
    { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  );
  const number = fc.oneof(
    fc.integer().map(String),
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
    fc.constantFrom('1e400', '-1e400', '1e-400', '-0', '123456789012345678901234567890123456789', '0.1000000000000000055511151231257827', '9007199254740993'),
  );
  const string = fc.oneof(
    { weight: 4, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }).map(quote) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }).map(escapeUnits) },
    { weight: 1, arbitrary: fc.constantFrom('"12.50"', '"-1"', '"1e3"', '"2026-02-30"', '"0000-01-01"', '"\\u0000"', '"ADMIN"', '"DEBIT"', '"CNY"', '"party:X:wallet:CNY"') },
    { weight: 1, arbitrary: fc.integer({ min: 1_000, max: 120_000 }).map((n) => quote('林'.repeat(n))) },
  );
  const leaf = fc.oneof(fc.constantFrom('null', 'true', 'false'), number, string);
  const { value } = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
    value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('object'), tie('array')),
    object: fc.array(fc.tuple(key, tie('value')), { maxLength: 6 }).map((members) => `{${members.map(([k, v]) => `${quote(k)}:${v}`).join(',')}}`),
    array: fc.array(tie('value'), { maxLength: 6 }).map((items) => `[${items.join(',')}]`),
  }));
  /** Deep: a value under up to 3,000 levels of arrays or single-member objects. */
  const deep = fc
    .tuple(fc.integer({ min: 2, max: 3_000 }), fc.boolean(), key, value)
    .map(([levels, arrays, k, v]) => (arrays ? `${'['.repeat(levels)}${v}${']'.repeat(levels)}` : `${`{${quote(k)}:`.repeat(levels)}${v}${'}'.repeat(levels)}`));
  /** Wide: up to 20,000 members or items. */
  const wide = fc
    .tuple(
      fc.integer({ min: 100, max: 20_000 }),
      fc.boolean(),
      leaf.filter((v) => v.length < 40),
    )
    .map(([n, arrays, v]) => (arrays ? `[${Array(n).fill(v).join(',')}]` : `{${Array.from({ length: n }, (_, i) => `"k${i}":${v}`).join(',')}}`));
  const top = fc.array(fc.tuple(key, value), { maxLength: 8 });
  return { value, deep, wide, top };
}

/**
 * Valid commands but for what this empty database lacks (no asset, no account): hostile metadata
 * reaches the handler (fingerprint, ledger checks) and must still end in a 4xx.
 */
const SKELETONS: Record<string, (metadata: string) => string> = {
  '/v1/entries': (m) =>
    `{"kind":"FUZZ","effectiveDate":"2025-01-01","metadata":${m},"postings":[{"account":"fz:a","side":"DEBIT","amount":"1.00"},{"account":"fz:b","side":"CREDIT","amount":"1.00"}]}`,
  '/v1/entries/batch': (m) => `{"entries":[${SKELETONS['/v1/entries'](m)}]}`,
  '/v1/accounts': (m) => `{"code":"fz:c","asset":"FZ-NONE","type":"ASSET","metadata":${m}}`,
};

/** A body as text; `poisoned` adds a member no DTO declares, so that a body can never be a valid command. */
function bodyArbitrary(names: string[], path: string, poisoned: boolean): fc.Arbitrary<string> {
  const g = generators(names);
  const members = (list: Array<[string, string]>, extra: string[]) => `{${[...list.map(([k, v]) => `${quote(k)}:${v}`), ...extra].join(',')}}`;
  const object = fc
    .tuple(g.top, fc.option(fc.constantFrom('metadata', 'postings', 'entries', 'body'), { nil: undefined }), fc.oneof(g.deep, g.wide, g.value))
    .map(([list, slot, filler]) => members(list, [...(slot ? [`${quote(slot)}:${filler}`] : []), ...(poisoned ? ['"fuzzUnknownMember":1'] : [])]));
  // An object from the other branches could be a valid command (`{}` runs a route whose fields are all optional).
  const spoil = (body: string) => (poisoned && body.startsWith('{') ? `{"fuzzUnknownMember":1${body === '{}' ? '' : ','}${body.slice(1)}` : body);
  const bodies = [
    { weight: 6, arbitrary: object },
    { weight: 1, arbitrary: g.deep.map(spoil) },
    { weight: 1, arbitrary: g.wide.map(spoil) },
    { weight: 1, arbitrary: g.value.map(spoil) },
  ];
  const skeleton = SKELETONS[path];
  if (!skeleton) return fc.oneof(...bodies);
  const metadata = fc.oneof(
    g.top.map((list) => members(list, [])),
    fc.tuple(g.top, g.deep).map(([list, deep]) => members(list, [`"deep":${deep}`])),
  );
  return fc.oneof(...bodies, { weight: 6, arbitrary: metadata.map(skeleton) });
}

/** Path parameters that name nothing in this database (it holds only the test's own users, ids below 10^12). */
const paramArbitrary = fc.oneof(
  fc.bigInt({ min: BigInt(10) ** BigInt(12), max: BigInt(10) ** BigInt(30) }).map(String),
  fc.constantFrom('0', '-1', 'CNY-NOPE', 'party:NOPE:wallet:CNY', 'a.b', '%00', '..', ' '),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).filter((s) => !/^\d{1,11}$/.test(s.trim())),
);

const keyArbitrary = fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('', 'short', 'a/b/c/d/e', 'k'.repeat(300)) });

// ------------------------------------------------------------------ the property

function send(route: Route, params: string[], body: string, token: string | null, key: string | null) {
  let path = route.path;
  route.params.forEach((p, i) => (path = path.replace(`{${p}}`, encodeURIComponent(params[i]))));
  const agent = request(app.getHttpServer());
  let req = agent[route.method](path)
    .set('Content-Type', 'application/json')
    .set('Idempotency-Key', key ?? randomUUID());
  if (token) req = req.set('Authorization', `Bearer ${token}`);
  return req.send(body);
}

describe('fuzzed bodies on every write route', () => {
  it('never answer 5xx and write nothing (as an ADMIN and without a token)', async () => {
    expect(routes.length).toBeGreaterThan(50);
    const failures: string[] = [];
    const answers = new Map<string, number>();
    for (const [index, route] of routes.entries()) {
      const before = await rowCounts();
      const audited = await lastAuditId();
      for (const asAdmin of [true, false]) {
        // Without path parameters nothing is in the way of a valid command but the body, so it is spoilt
        // (but for the skeletons, which name what does not exist).
        const poisoned = route.params.length === 0;
        const property = fc.asyncProperty(
          bodyArbitrary(propertyNames, route.path, poisoned),
          fc.array(paramArbitrary, { minLength: route.params.length, maxLength: route.params.length }),
          keyArbitrary,
          async (body, params, key) => {
            const res = await send(route, params, body, asAdmin ? adminToken : null, key);
            const answer = `${res.status} ${(res.body as { code?: string }).code ?? ''}`;
            answers.set(answer, (answers.get(answer) ?? 0) + 1);
            if (res.status >= 500) {
              throw new Error(
                `${route.method.toUpperCase()} ${route.path} (${asAdmin ? 'ADMIN' : 'no token'}) params ${JSON.stringify(params)} → ${res.status} ${res.text}\nbody (${body.length} chars): ${body.slice(0, 300)}`,
              );
            }
          },
        );
        const details = await fc.check(property, { seed: SEED + index * 2 + (asAdmin ? 0 : 1), numRuns: asAdmin ? RUNS : Math.max(1, RUNS / 2), endOnFailure: true });
        if (details.failed) failures.push(`${fc.defaultReportMessage(details) ?? 'failed'} (FUZZ_SEED=${SEED})`);
      }
      expect(failures).toEqual([]);
      expect({ route: `${route.method} ${route.path}`, rows: await rowCounts() }).toEqual({ route: `${route.method} ${route.path}`, rows: before });
      const effects = await db.dataSource.query<unknown[]>(`SELECT method, path, status, outcome FROM audit_log WHERE id > $1 AND (outcome <> 'FAILURE' OR status >= 500)`, [
        audited,
      ]);
      expect(effects).toEqual([]);
    }
    process.stdout.write(`fuzz.e2e-spec: answers ${JSON.stringify(Object.fromEntries([...answers].sort(([, a], [, b]) => b - a)))}\n`);
    expect(failures).toEqual([]);
  }, 180_000);
});
