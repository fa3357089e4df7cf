import { AccessService, Role } from '@forest-ledger/access';
import { Test } from '@nestjs/testing';
import { Env, inTransaction, loadEnv } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApiModule } from '../../apps/api/src/api.module';
import { ApiApplication, configureApp, createHttpAdapter, openApiDocument } from '../../apps/api/src/app.setup';
import { ContractChecker, OpenApiDocument } from './contract';
import { TEST_REDIS_URL } from './databases';
import { TestDatabase } from './test-database';

/** The real API (same modules and setup as main.ts) on the file's own database; call in beforeAll. */
export async function createTestApp(db: TestDatabase, env: Record<string, string> = {}): Promise<ApiApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [ApiModule] })
    .overrideProvider(Env)
    .useValue(loadEnv({ ...process.env, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'silent', NODE_ENV: 'test', DEPLOYMENT_ID: `test-${db.name}`, ...env }))
    .compile();
  const app = moduleRef.createNestApplication<ApiApplication>(createHttpAdapter(), { bodyParser: false, logger: false });
  configureApp(app);
  const answers = recordAnswers(app);
  await app.init();
  // Fastify serves only once ready; supertest then drives app.getHttpServer() directly.
  await app.getHttpAdapter().getInstance().ready();
  // Every answer the app gave is checked against its OpenAPI document when the file closes it (issue 20, item 10):
  // an undeclared status, a body off its schema or an amount or date without its pattern or format fails the file.
  const close = app.close.bind(app);
  app.close = async () => {
    const problems = contractProblems(app, answers);
    await close();
    if (problems.length > 0) throw new Error(`answers broke the OpenAPI contract (${problems.length}):\n${problems.slice(0, 20).join('\n')}`);
  };
  return app;
}

interface Answer {
  method: string;
  url: string;
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

/** Records each answer of the app (method, URL, status, headers, JSON body) as it is sent. */
function recordAnswers(app: ApiApplication): Answer[] {
  const answers: Answer[] = [];
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onSend', async (request, reply, payload) => {
      const type = String(reply.getHeader('content-type') ?? '');
      let body: unknown = undefined;
      if (type.startsWith('application/json') && (typeof payload === 'string' || Buffer.isBuffer(payload))) {
        try {
          body = JSON.parse(payload.toString()) as unknown;
        } catch (error) {
          if (!(error instanceof SyntaxError)) throw error;
          body = payload.toString();
        }
      }
      const headers = Object.fromEntries(Object.entries(reply.getHeaders()).map(([k, v]) => [k, v === undefined ? undefined : Array.isArray(v) ? v.map(String) : String(v)]));
      answers.push({ method: request.method, url: request.url, status: reply.statusCode, headers, body });
      return payload;
    });
  return answers;
}

function contractProblems(app: ApiApplication, answers: readonly Answer[]): string[] {
  if (answers.length === 0) return [];
  const checker = new ContractChecker(JSON.parse(JSON.stringify(openApiDocument(app))) as OpenApiDocument);
  return answers.flatMap((a) => checker.problems(a.method, a.url, a.status, a.headers, a.body));
}

/**
 * A bearer token for a new user of `role` (scoped to `partyCode` for FARM_OPERATOR, BUYER and
 * VILLAGER), created straight in the database: tests of a route need not go through logins.
 */
export async function tokenFor(app: ApiApplication, role: Role, partyCode?: string): Promise<string> {
  const access = app.get(AccessService);
  const ds = app.get(DataSource);
  const user = await inTransaction(ds, async (em) => {
    let partyId: string | null = null;
    if (partyCode) {
      const [party] = await em.query<Array<{ id: string }>>(`SELECT id FROM parties WHERE code = $1`, [partyCode]);
      if (!party) throw new Error(`tokenFor: no party ${partyCode}`);
      partyId = party.id;
    }
    const name = `${role.toLowerCase()}-${randomUUID().slice(0, 8)}`;
    return access.createUser(
      em,
      role === 'VILLAGER' ? { displayName: name, role, partyId, pin: '123456' } : { username: name, displayName: name, role, password: 'test-password-long-enough', partyId },
    );
  });
  return (await access.tokenFor(user.id)).accessToken;
}
