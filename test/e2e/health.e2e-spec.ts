import type { ApiApplication } from '../../apps/api/src/app.setup';
import request from 'supertest';
import { createTestApp } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let app: ApiApplication;

beforeAll(async () => {
  app = await createTestApp(db);
});
afterAll(() => app?.close());

describe('GET /health', () => {
  it('reports PostgreSQL (with its pool) and Redis separately', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toMatchObject({
      status: 'ok',
      postgres: { status: 'up', pool: { max: 20, total: expect.any(Number), idle: expect.any(Number), waiting: 0 } },
      redis: { status: 'up' },
    });
    expect(res.headers['x-correlation-id']).toBeTruthy();
    expect((await request(app.getHttpServer()).get('/health/ready').expect(200)).body).toMatchObject({ status: 'ok', postgres: { status: 'up' } });
    expect((await request(app.getHttpServer()).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/entries', '/v1/entries/batch', '/v1/accounts/{code}/statement']));
  });
});
