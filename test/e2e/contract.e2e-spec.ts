import type { Role } from '@forest-ledger/access';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { inTransaction } from '@forest-ledger/platform';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { allErrorCodes, FEATURE_ERRORS } from '../../apps/api/src/http/error-codes';
import { ContractChecker, OpenApiDocument } from '../setup/contract';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * The API contract (issue 20, items 7–10): every status a route answers is declared (401/403 from its guards),
 * error codes are an enum narrowed per route and status from the features' error maps, amounts and dates carry
 * their pattern/format, the headers are declared — and the answers of a sweep over every operation, without a
 * token and as each role, keep the document (status, body schema, shapes).
 */

const db = useTestDatabase();
let app: ApiApplication;
let doc: OpenApiDocument & { components: { schemas: Record<string, Record<string, unknown>>; headers?: Record<string, unknown> } };
let contract: ContractChecker;
const tokens = new Map<Role, string>();
const ROLES: Role[] = ['ADMIN', 'FARM_OPERATOR', 'APPROVER', 'BUYER', 'VILLAGER', 'AUDITOR'];
const SCOPED_PARTY: Partial<Record<Role, string>> = { FARM_OPERATOR: 'F-CONTRACT', BUYER: 'E-CONTRACT', VILLAGER: 'V-CONTRACT' };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

type Operation = {
  operationId: string;
  responses: Record<string, { headers?: Record<string, unknown>; content?: Record<string, { schema?: Record<string, unknown> }>; 'x-error-codes'?: string[] }>;
  parameters?: Array<{ name: string; in: string; schema?: Record<string, unknown>; example?: unknown }>;
  'x-roles'?: Role[];
  security?: unknown[];
};

function operations(): Array<{ path: string; method: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    METHODS.filter((m) => m in item).map((method) => ({ path, method, op: (item as unknown as Record<string, Operation>)[method] })),
  );
}

beforeAll(async () => {
  app = await createTestApp(db);
  const ds = app.get(DataSource);
  await inTransaction(ds, (em) =>
    em.query(
      `INSERT INTO parties (code, kind, name) VALUES ('F-CONTRACT', 'STATE_FARM', '契约林场'), ('E-CONTRACT', 'ENTERPRISE', '契约公司'), ('V-CONTRACT', 'VILLAGER', '契约村民')`,
    ),
  );
  for (const role of ROLES) tokens.set(role, await tokenFor(app, role, SCOPED_PARTY[role]));
  doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body as typeof doc;
  contract = new ContractChecker(doc);
});

afterAll(async () => {
  await app?.close();
});

describe('item 7: statuses from the guards', () => {
  it('declares 401 and 403 on every route with roles (x-roles = the guard’s), none on public routes', () => {
    const missing: string[] = [];
    for (const { path, method, op } of operations()) {
      const roles = op['x-roles'];
      if (roles === undefined) continue;
      for (const status of ['401', '403']) if (!op.responses[status]) missing.push(`${method.toUpperCase()} ${path} ${status}`);
    }
    expect(missing).toEqual([]);
    const ledger = ['/v1/assets', '/v1/accounts', '/v1/entries', '/v1/entries/batch', '/v1/entries/{id}/reverse', '/v1/accounts/{code}/freeze'];
    for (const path of ledger) {
      const op = (doc.paths[path] as unknown as Record<string, Operation>).post;
      expect([path, Object.keys(op.responses)]).toEqual([path, expect.arrayContaining(['401', '403'])]);
    }
    const publicVerify = (doc.paths['/v1/public/carbon-certificates/{certificateNo}'] as unknown as Record<string, Operation>).get;
    expect(publicVerify['x-roles']).toBeUndefined();
    expect(publicVerify.responses['401']).toBeUndefined();
  });

  it('every operation, called without a token and as each role, answers only statuses it declares, with bodies that match', async () => {
    const problems: string[] = [];
    const callers: Array<[string, string | undefined]> = [['no token', undefined], ...ROLES.map((r): [string, string | undefined] => [r, tokens.get(r)])];
    for (const { path, method } of operations()) {
      const url = path.replace(/\{[^}]+\}/g, 'X-1');
      for (const [who, token] of callers) {
        let req = request(app.getHttpServer())[method as 'get'](url).set('Idempotency-Key', randomUUID());
        if (token !== undefined) req = req.set('Authorization', `Bearer ${token}`);
        if (method !== 'get' && method !== 'delete') req = req.send({});
        const res = await req;
        if (res.status >= 500) problems.push(`${method.toUpperCase()} ${path} as ${who}: ${res.status} ${JSON.stringify(res.body)}`);
        problems.push(...contract.problems(method, url, res.status, res.headers as Record<string, string>, res.body).map((p) => `${p} (as ${who})`));
      }
    }
    expect(problems).toEqual([]);
    expect(contract.checked.length).toBe(operations().length * callers.length);
  }, 300_000);
});

describe('item 8: error codes per route', () => {
  const codesOf = (path: string, method: string, status: string) =>
    (doc.paths[path] as unknown as Record<string, Operation>)[method].responses[status]?.['x-error-codes'] ?? [`(no ${status} declared)`];

  it('ErrorResponse.code is an enum of every code, and every code thrown in the source is in it', () => {
    const code = (doc.components.schemas.ErrorResponse as { properties: { code: { enum: string[] } } }).properties.code;
    expect(code.enum).toEqual(allErrorCodes());
    const thrown = new Set<string>();
    const scan = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const file = join(dir, name);
        if (statSync(file).isDirectory()) scan(file);
        else if (file.endsWith('.ts') && !file.endsWith('.spec.ts')) {
          for (const m of readFileSync(file, 'utf8').matchAll(/DomainError\(\s*'[a-z-]+',\s*'([A-Z0-9_]+)'/g)) thrown.add(m[1]);
          // Every feature error class too (TicketError('INSUFFICIENT_UNITS', …), RentScheduleError('LEASE_TOO_LONG', …)).
          for (const m of readFileSync(file, 'utf8').matchAll(/new [A-Z][A-Za-z]*Error\(\s*'([A-Z][A-Z0-9_]+)'/g)) thrown.add(m[1]);
          for (const m of readFileSync(file, 'utf8').matchAll(/\bcode: '([A-Z][A-Z0-9_]+)'/g)) if (file.includes('error.filter')) thrown.add(m[1]);
        }
      }
    };
    for (const root of ['apps', 'libs']) scan(root);
    expect([...thrown].filter((c) => !code.enum.includes(c))).toEqual([]);
    for (const map of Object.values(FEATURE_ERRORS)) for (const c of Object.keys(map)) expect(code.enum).toContain(c);
  });

  it('narrows each error response to the codes of its route and status (a trade, an approval, a declaration)', () => {
    expect(codesOf('/v1/series/{code}/trades', 'post', '422')).toEqual(expect.arrayContaining(['INSUFFICIENT_UNITS', 'TRANSFER_RESTRICTED', 'INSUFFICIENT_FUNDS']));
    expect(codesOf('/v1/dividends/{id}/approve', 'post', '422')).toContain('DECLARATION_STATE');
    expect(codesOf('/v1/dividends', 'post', '422')).toContain('EXCEEDS_WALLET');
    expect(codesOf('/v1/entries', 'post', '422')).not.toContain('TRANSFER_RESTRICTED');
    expect(codesOf('/v1/entries', 'post', '400')).toEqual(expect.arrayContaining(['VALIDATION_FAILED', 'IDEMPOTENCY_KEY_REQUIRED']));
    expect(codesOf('/v1/entries', 'post', '401')).toEqual(['UNAUTHENTICATED']);
    expect(codesOf('/v1/accounts/{code}', 'get', '400')).not.toContain('IDEMPOTENCY_KEY_REQUIRED');
  });
});

describe('item 9: shapes and headers', () => {
  it('gives every DTO class its own schema name (two classes of one name would merge into one schema)', () => {
    const names = new Map<string, string[]>();
    const scan = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const file = join(dir, name);
        if (statSync(file).isDirectory()) scan(file);
        else if (file.endsWith('.ts')) {
          // Every class, exported or not: a nested response class is a schema of the document too.
          for (const m of readFileSync(file, 'utf8').matchAll(/(@ApiSchema\(\{ name: '(\w+)' \}\)\s*)?^(?:export )?class (\w+)/gm))
            names.set(m[2] ?? m[3], [...(names.get(m[2] ?? m[3]) ?? []), file]);
        }
      }
    };
    scan('apps/api/src');
    expect([...names].filter(([, files]) => files.length > 1)).toEqual([]);
  });

  type Prop = { type?: string; format?: string; pattern?: string; example?: unknown; enum?: unknown[]; items?: Prop; properties?: Record<string, Prop> };

  it('no amount lacks a pattern, no date lacks format: date, no timestamp lacks format: date-time (schemas and query parameters)', () => {
    const lacking: string[] = [];
    const check = (where: string, name: string, p: Prop): void => {
      if (p.type !== 'string' || p.enum) return;
      const example = typeof p.example === 'string' ? p.example : '';
      if (/^\d{4}-\d{2}-\d{2}$/.test(example) && p.format !== 'date') lacking.push(`${where}: date without format: date`);
      if (/^\d{4}-\d{2}-\d{2}T/.test(example) && p.format !== 'date-time') lacking.push(`${where}: timestamp without format: date-time`);
      if (/^-?\d+\.\d+$/.test(example) && p.pattern === undefined) lacking.push(`${where}: amount without pattern`);
      if (/At$/.test(name) && p.format !== 'date-time') lacking.push(`${where}: timestamp without format: date-time`);
      if (/^(asOf|date|effectiveDate|paymentDate|recordDate)$/.test(name) && p.format !== 'date') lacking.push(`${where}: date without format: date`);
    };
    const walk = (where: string, schema: Prop): void => {
      for (const [name, p] of Object.entries(schema.properties ?? {})) {
        check(`${where}.${name}`, name, p);
        if (p.items) check(`${where}.${name}[]`, name, p.items);
        if (p.properties) walk(`${where}.${name}`, p);
      }
    };
    for (const [name, schema] of Object.entries(doc.components.schemas)) walk(name, schema);
    for (const { path, method, op } of operations()) {
      for (const p of op.parameters ?? []) if (p.in === 'query' && p.schema) check(`${method.toUpperCase()} ${path} ?${p.name}`, p.name, { example: p.example, ...p.schema });
    }
    expect(lacking).toEqual([]);
    const entry = doc.components.schemas.PostingDto as { properties: { amount: Prop } };
    expect(entry.properties.amount.pattern).toBe('^(0|[1-9][0-9]{0,19})(\\.[0-9]{1,18})?$');
  });

  it('declares X-Correlation-Id on every response and Idempotency-Replayed on every command’s success', () => {
    const lacking: string[] = [];
    for (const { path, method, op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!response.headers?.['X-Correlation-Id']) lacking.push(`${method.toUpperCase()} ${path} ${status}: X-Correlation-Id`);
        const command = method !== 'get' && !/auth\/(login|villager-login|refresh)|reveal-id/.test(path);
        if (command && status.startsWith('2') && !response.headers?.['Idempotency-Replayed']) lacking.push(`${method.toUpperCase()} ${path} ${status}: Idempotency-Replayed`);
      }
    }
    expect(lacking).toEqual([]);
    expect(Object.keys(doc.components.headers ?? {})).toEqual(expect.arrayContaining(['X-Correlation-Id', 'Idempotency-Replayed']));
  });
});
