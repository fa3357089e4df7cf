import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type request from 'supertest';
import { openApiDocument, type ApiApplication } from '../../apps/api/src/app.setup';

/**
 * Checks answers against the service's own OpenAPI document (issue 20, item 10): the status is declared for the
 * operation, the JSON body validates against the declared schema (ajv, OpenAPI 3.0 `nullable` translated), the
 * X-Correlation-Id header is there, and no string in the body that looks like an amount or a date sits at a field
 * whose schema does not say so (pattern / format) — a data-driven check of item 9 independent of how the document
 * was completed. A drift of either side fails the test that made the request.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Schema = { [key: string]: Json };
interface Operation {
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
}
export interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const DECIMAL_LIKE = /^-?\d+\.\d+$/;
const DATE_LIKE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME_LIKE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/;

/** OpenAPI 3.0's `nullable: true` as JSON Schema (ajv): the type also admits null. */
function toJsonSchema(schema: Json): Json {
  if (Array.isArray(schema)) return schema.map(toJsonSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'example' || key === 'nullable' || key.startsWith('x-')) continue;
    out[key] = key === '$ref' && typeof value === 'string' ? value.replace('#/components/schemas/', 'doc#/components/schemas/') : toJsonSchema(value);
  }
  return schema.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}

export class ContractChecker {
  private readonly ajv = new Ajv({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly routes: Array<{ method: string; template: string; pattern: RegExp }>;
  readonly checked: Array<{ method: string; template: string; status: number }> = [];

  constructor(readonly document: OpenApiDocument) {
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ $id: 'doc', components: { schemas: toJsonSchema(document.components.schemas) } });
    this.routes = Object.entries(document.paths).flatMap(([template, item]) =>
      Object.keys(item).map((method) => ({
        method: method.toUpperCase(),
        template,
        pattern: new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
      })),
    );
  }

  /** The problems of one answer (empty when it keeps the contract); unknown routes (not in the document) are not checked. */
  problems(method: string, url: string, status: number, headers: Record<string, string | string[] | undefined>, body: unknown): string[] {
    const path = url.replace(/^https?:\/\/[^/]+/, '').split('?')[0];
    const route = this.routes.find((r) => r.method === method.toUpperCase() && r.pattern.test(path));
    if (!route) return [];
    const where = `${method.toUpperCase()} ${route.template} → ${status}`;
    this.checked.push({ method: route.method, template: route.template, status });
    const problems: string[] = [];
    const response =
      this.document.paths[route.template][route.method.toLowerCase()].responses[String(status)] ??
      this.document.paths[route.template][route.method.toLowerCase()].responses.default;
    if (!response)
      return [`${where}: status ${status} is not declared (declared: ${Object.keys(this.document.paths[route.template][route.method.toLowerCase()].responses).join(', ')})`];
    if (!headers['x-correlation-id']) problems.push(`${where}: no X-Correlation-Id header`);
    const type = String(headers['content-type'] ?? '');
    const schema = response.content?.['application/json']?.schema;
    if (!type.startsWith('application/json') || schema === undefined) return problems;
    const key = `${route.method} ${route.template} ${status}`;
    let validate = this.validators.get(key);
    if (!validate) {
      validate = this.ajv.compile(toJsonSchema(schema) as Schema);
      this.validators.set(key, validate);
    }
    if (!validate(body))
      problems.push(`${where}: body ${JSON.stringify(body).slice(0, 300)} does not match the declared schema: ${this.ajv.errorsText(validate.errors, { dataVar: 'body' })}`);
    this.shapes(body as Json, schema, '$', problems, where);
    return problems;
  }

  /** Throws listing the problems of a supertest answer. */
  check(res: request.Response): void {
    const req = (res as unknown as { req: { method: string; path: string } }).req;
    const problems = this.problems(req.method, req.path, res.status, res.headers, res.body);
    if (problems.length > 0) throw new Error(`the answer breaks the OpenAPI contract:\n${problems.join('\n')}`);
  }

  private resolve(schema: Schema | undefined): Schema | undefined {
    let current = schema;
    for (let i = 0; current && i < 10; i++) {
      if (typeof current.$ref === 'string') current = this.document.components.schemas[current.$ref.replace('#/components/schemas/', '')];
      else if (Array.isArray(current.allOf) && current.allOf.length > 0) current = current.allOf[0] as Schema;
      else return current;
    }
    return current;
  }

  /** Strings that look like amounts or dates where the schema says neither (item 9, from the data). */
  private shapes(value: Json, schema: Schema | undefined, at: string, problems: string[], where: string): void {
    const s = this.resolve(schema);
    if (!s) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => this.shapes(v, s.items as Schema | undefined, `${at}[${i}]`, problems, where));
    } else if (value !== null && typeof value === 'object') {
      const properties = (s.properties ?? {}) as Record<string, Schema>;
      for (const [k, v] of Object.entries(value)) this.shapes(v, properties[k], `${at}.${k}`, problems, where);
    } else if (typeof value === 'string' && s.type === 'string' && s.enum === undefined) {
      if (DATE_LIKE.test(value) && s.format !== 'date') problems.push(`${where}: ${at} = "${value}" is a date but its schema has no format: date`);
      if (DATE_TIME_LIKE.test(value) && s.format !== 'date-time') problems.push(`${where}: ${at} = "${value}" is a timestamp but its schema has no format: date-time`);
      if (DECIMAL_LIKE.test(value) && s.pattern === undefined) problems.push(`${where}: ${at} = "${value}" is an amount but its schema has no pattern`);
    }
  }
}

/**
 * The checker of a test app's own document (built as /docs-json builds it, completed by openapi-contract.ts), made
 * once per app: pass `contractOf(() => app)` as apiClient's third argument.
 */
export function contractOf(app: () => ApiApplication): () => ContractChecker | undefined {
  const checkers = new WeakMap<ApiApplication, ContractChecker>();
  return () => {
    const current = app();
    if (current === undefined) return undefined;
    let checker = checkers.get(current);
    if (!checker) {
      // The document exactly as served (/docs-json), event schemas and request examples included.
      const document = openApiDocument(current);
      checker = new ContractChecker(JSON.parse(JSON.stringify(document)) as OpenApiDocument);
      checkers.set(current, checker);
    }
    return checker;
  };
}
