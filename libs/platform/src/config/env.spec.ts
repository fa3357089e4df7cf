import { randomBytes } from 'node:crypto';
import { RedisKeys } from '../redis/redis-keys';
import { ConfigError, keyRing, loadEnv } from './env';

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
    expect(loadEnv({ DB_LOCK_TIMEOUT_MS: '500', DB_STATEMENT_TIMEOUT_MS: '3000', DB_ACQUIRE_TIMEOUT_MS: '400' })).toMatchObject({
      DB_LOCK_TIMEOUT_MS: 500,
      DB_STATEMENT_TIMEOUT_MS: 3000,
      DB_ACQUIRE_TIMEOUT_MS: 400,
    });
  });

  const problemsOf = (raw: Record<string, string>): string => {
    try {
      loadEnv(raw);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems.join('\n');
      throw e;
    }
    return '';
  };
  const b64 = () => randomBytes(32).toString('base64');

  describe('key rings', () => {
    it('takes a single variable as the one key k0, and a list newest first', () => {
      const [k1, k0] = [b64(), b64()];
      expect(keyRing(loadEnv({ PII_ENCRYPTION_KEY: k0 }), 'PII_ENCRYPTION_KEYS')).toEqual([{ id: 'k0', secret: k0 }]);
      expect(keyRing(loadEnv({ PII_ENCRYPTION_KEYS: `k1:${k1}, k0:${k0}` }), 'PII_ENCRYPTION_KEYS')).toEqual([
        { id: 'k1', secret: k1 },
        { id: 'k0', secret: k0 },
      ]);
      expect(keyRing(loadEnv({ JWT_SECRETS: `2027:${'x'.repeat(32)},k0:${'y:'.repeat(16)}` }), 'JWT_SECRETS').map((k) => k.id)).toEqual(['2027', 'k0']);
    });

    it('names every bad ring without showing a secret', () => {
      const secret = 'not-base64-but-long-enough-to-be-shown';
      const problems = problemsOf({ PII_HMAC_KEYS: `k1:${secret},k1:${b64()},${b64()}`, JWT_SECRETS: 'k1:short', PII_ENCRYPTION_KEY: b64(), PII_ENCRYPTION_KEYS: `k1:${b64()}` });
      expect(problems).toContain('PII_HMAC_KEYS key k1: must be 32 bytes in base64');
      expect(problems).toContain('PII_HMAC_KEYS names key k1 twice');
      expect(problems).toContain('PII_HMAC_KEYS item 3 must be <id>:<secret>');
      expect(problems).toContain('JWT_SECRETS key k1: must be at least 32 characters');
      expect(problems).toContain('set PII_ENCRYPTION_KEYS or PII_ENCRYPTION_KEY, not both');
      expect(problems).not.toContain(secret);
      expect(problems).not.toContain('short');
    });

    it('requires each secret in production, in either form', () => {
      expect(problemsOf({ NODE_ENV: 'production', JWT_SECRETS: `k1:${'x'.repeat(32)}`, PII_ENCRYPTION_KEY: b64(), PUBLIC_BASE_URL: 'https://lin.example.gov.cn' })).toBe(
        'PII_HMAC_KEYS (or PII_HMAC_KEY) is required in production (the development default is public)',
      );
    });
  });

  describe('PUBLIC_BASE_URL (the verification link of certificates)', () => {
    const secrets = { JWT_SECRET: 'x'.repeat(32), PII_ENCRYPTION_KEY: b64(), PII_HMAC_KEY: b64() };

    it('is required in production, where the localhost default would print links no phone can open', () => {
      expect(problemsOf({ NODE_ENV: 'production', ...secrets })).toBe(
        'PUBLIC_BASE_URL is required in production: certificates print it (and encode it in their QR code) as the start of their verification link',
      );
      expect(loadEnv({ NODE_ENV: 'production', ...secrets, PUBLIC_BASE_URL: 'https://lin.example.gov.cn/forest' }).PUBLIC_BASE_URL).toBe('https://lin.example.gov.cn/forest');
    });

    it('defaults to localhost elsewhere, and is an http(s) URL without a trailing slash', () => {
      expect(loadEnv({}).PUBLIC_BASE_URL).toBe('http://localhost:3000');
      expect(problemsOf({ PUBLIC_BASE_URL: 'https://lin.example.gov.cn/' })).toContain('PUBLIC_BASE_URL must be an http(s) URL without a trailing slash');
      expect(problemsOf({ PUBLIC_BASE_URL: 'ftp://lin.example.gov.cn' })).toContain('PUBLIC_BASE_URL');
    });
  });

  describe('Redis keys of a deployment', () => {
    it('puts queues and login limits under one hash tag named by DEPLOYMENT_ID', () => {
      const keys = RedisKeys.of(loadEnv({ DEPLOYMENT_ID: 'prod-a' }));
      expect(keys.queuePrefix).toBe('fl:{prod-a}:q');
      expect(keys.loginFailures('account', 'user:li')).toBe('fl:{prod-a}:rl:login:account:user:li');
      expect(keys.pinFailures('7')).toBe('fl:{prod-a}:rl:pin:user:7');
      expect(RedisKeys.of(loadEnv({})).queuePrefix).toBe('fl:{forest-ledger}:q');
    });

    it('keeps a set QUEUE_PREFIX as the BullMQ prefix, and the deployment id it implies', () => {
      const keys = RedisKeys.of(loadEnv({ QUEUE_PREFIX: 'staging' }));
      expect(keys.queuePrefix).toBe('staging');
      expect(keys.loginFailures('address', '::1')).toBe('fl:{staging}:rl:login:address:::1');
      expect(RedisKeys.of(loadEnv({ QUEUE_PREFIX: 'old', DEPLOYMENT_ID: 'new' })).root).toBe('fl:{new}');
      expect(problemsOf({ DEPLOYMENT_ID: 'a{b}' })).toContain('DEPLOYMENT_ID');
    });
  });
});
