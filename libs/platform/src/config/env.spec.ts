import { ConfigError, loadEnv } from './env';

describe('loadEnv', () => {
  it('has sensible local defaults', () => {
    const env = loadEnv({});
    expect(env).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/forest_ledger',
      REDIS_URL: 'redis://127.0.0.1:6379',
      PORT: 3000,
      DEMO_DATA: true,
      NODE_ENV: 'development',
    });
  });

  it('parses numbers and booleans from text', () => {
    expect(loadEnv({ PORT: '8080', DEMO_DATA: 'false', DB_POOL_SIZE: '5' })).toMatchObject({ PORT: 8080, DEMO_DATA: false, DB_POOL_SIZE: 5 });
  });

  it('lists every bad variable at once', () => {
    let error: unknown;
    try {
      loadEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://x/y', REDIS_URL: 'localhost', NODE_ENV: 'prod' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of ['PORT', 'DATABASE_URL', 'REDIS_URL', 'NODE_ENV']) expect(problems).toContain(name);
  });

  it('refuses a lock timeout that the statement timeout would pre-empt', () => {
    expect(() => loadEnv({ DB_LOCK_TIMEOUT_MS: '20000', DB_STATEMENT_TIMEOUT_MS: '10000' })).toThrow(/DB_LOCK_TIMEOUT_MS=20000 must be below DB_STATEMENT_TIMEOUT_MS=10000/);
    expect(loadEnv({ DB_LOCK_TIMEOUT_MS: '500', DB_STATEMENT_TIMEOUT_MS: '3000', DB_ACQUIRE_TIMEOUT_MS: '400' })).toMatchObject({ DB_LOCK_TIMEOUT_MS: 500, DB_STATEMENT_TIMEOUT_MS: 3000, DB_ACQUIRE_TIMEOUT_MS: 400 });
  });
});
