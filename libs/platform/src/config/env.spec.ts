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
});
