import { AccessService, Role } from '@forest-ledger/access';
import { Test } from '@nestjs/testing';
import { Env, inTransaction, loadEnv } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ApiModule } from '../../apps/api/src/api.module';
import { ApiApplication, configureApp, createHttpAdapter } from '../../apps/api/src/app.setup';
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
  await app.init();
  // Fastify serves only once ready; supertest then drives app.getHttpServer() directly.
  await app.getHttpAdapter().getInstance().ready();
  return app;
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
