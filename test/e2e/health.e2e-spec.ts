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
      postgres: { status: 'up', pool: { max: 20, total: expect.any(Number) as unknown, idle: expect.any(Number) as unknown, waiting: 0 } },
      redis: { status: 'up' },
    });
    expect(res.headers['x-correlation-id']).toBeTruthy();
    expect((await request(app.getHttpServer()).get('/health/ready').expect(200)).body).toMatchObject({ status: 'ok', postgres: { status: 'up' } });
    expect((await request(app.getHttpServer()).get('/health/live').expect(200)).body).toEqual({ status: 'ok' });
  });

  it('is not ready (503) while a migration is pending, and live all the same', async () => {
    const [last] = await db.dataSource.query<Array<{ id: number; timestamp: string; name: string }>>(
      `SELECT id, timestamp::text AS timestamp, name FROM migrations ORDER BY id DESC LIMIT 1`,
    );
    await db.dataSource.query(`DELETE FROM migrations WHERE id = $1`, [last.id]);
    try {
      const res = await request(app.getHttpServer()).get('/health/ready').expect(503);
      expect(res.body).toMatchObject({ status: 'unavailable', migrations: { status: 'pending', pending: [last.name] } });
      await request(app.getHttpServer()).get('/health/live').expect(200);
    } finally {
      await db.dataSource.query(`INSERT INTO migrations (id, timestamp, name) VALUES ($1, $2, $3)`, [last.id, last.timestamp, last.name]);
    }
    const ready = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(ready.body).toMatchObject({ status: 'ok', migrations: { status: 'up', pending: [] } });
  });

  it('serves the OpenAPI document', async () => {
    const res = await request(app.getHttpServer()).get('/docs-json').expect(200);
    expect(Object.keys((res.body as { paths: Record<string, unknown> }).paths)).toEqual(
      expect.arrayContaining(['/v1/entries', '/v1/entries/batch', '/v1/accounts/{code}/statement']),
    );
  });
});
