import { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import { Env, loadEnv } from '@forest-ledger/platform';
import { ApiModule } from '../../apps/api/src/api.module';
import { configureApp } from '../../apps/api/src/app.setup';
import { TEST_REDIS_URL } from './databases';
import { TestDatabase } from './test-database';

/** The real API (same modules and setup as main.ts) on the file's own database; call in beforeAll. */
export async function createTestApp(db: TestDatabase, env: Record<string, string> = {}): Promise<NestExpressApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [ApiModule] })
    .overrideProvider(Env)
    .useValue(loadEnv({ ...process.env, DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'silent', NODE_ENV: 'test', QUEUE_PREFIX: `test-${db.name}`, ...env }))
    .compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({ bodyParser: false, logger: false });
  configureApp(app);
  await app.init();
  return app;
}
