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
  it('reports PostgreSQL and Redis separately', async () => {
    const res = await request(app.getHttpServer()).get('/health').expect(200);
    expect(res.body).toMatchObject({ status: 'ok', postgres: { status: 'up' }, redis: { status: 'up' } });
    expect(res.headers['x-correlation-id']).toBeTruthy();
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(Object.keys(res.body.paths)).toEqual(expect.arrayContaining(['/v1/entries', '/v1/entries/batch', '/v1/accounts/{code}/statement']));
  });
});
