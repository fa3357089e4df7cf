import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsInt, IsNumber, IsString, Matches, Max, Min, ValidateIf, validateSync } from 'class-validator';
import { NamedKey, parseKeyRing, SINGLE_KEY_ID } from './key-ring';

/** Development-only secrets; production must set its own (checked in loadEnv). */
const DEV_SECRET = (purpose: string) => `forest-ledger-development-only-${purpose}-secret-0000000000`;
/** Each secret as a single value (the legacy form, key id `k0`) or as a ring `id:secret,…`, newest first. */
const KEY_RINGS = [
  { single: 'JWT_SECRET', ring: 'JWT_SECRETS' },
  { single: 'PII_ENCRYPTION_KEY', ring: 'PII_ENCRYPTION_KEYS' },
  { single: 'PII_HMAC_KEY', ring: 'PII_HMAC_KEYS' },
] as const;
type KeyRingName = (typeof KEY_RINGS)[number]['ring'];
const SECRETS: readonly string[] = [...KEY_RINGS.flatMap((k) => [k.single, k.ring]), 'METRICS_TOKEN', 'SMS_HTTP_KEY'];
const BASE64_32 = /^[A-Za-z0-9+/]{43}=$/;
const SECRET_RULES: Record<KeyRingName, (secret: string) => string | null> = {
  JWT_SECRETS: (s) => (s.length >= 32 ? null : 'must be at least 32 characters'),
  PII_ENCRYPTION_KEYS: (s) => (BASE64_32.test(s) ? null : 'must be 32 bytes in base64 (openssl rand -base64 32)'),
  PII_HMAC_KEYS: (s) => (BASE64_32.test(s) ? null : 'must be 32 bytes in base64 (openssl rand -base64 32)'),
};
const DEPLOYMENT_ID_PATTERN = /^[A-Za-z0-9_.:-]{1,50}$/;

const toBool = ({ value }: { value: unknown }) => (typeof value === 'string' ? ['1', 'true', 'yes', 'on'].includes(value.toLowerCase()) : value);

/** Every environment variable the service reads, validated once at boot. Nothing else reads process.env. */
export class Env {
  @IsIn(['development', 'test', 'production'])
  NODE_ENV: 'development' | 'test' | 'production' = 'development';

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(65535)
  PORT = 3000;

  @IsString()
  @Matches(/^postgres(ql)?:\/\/.+\/[A-Za-z0-9_]+(\?.*)?$/, { message: 'DATABASE_URL must be postgres://user@host:port/database' })
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/forest_ledger';

  @IsString()
  @Matches(/^rediss?:\/\/.+/, { message: 'REDIS_URL must be redis://host:port' })
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE = 20;

  /**
   * How long a request waits for a free connection of the pool (and for a new connection to open), ms:
   * beyond it the pool counts as saturated and the answer is 503 with Retry-After.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(100)
  @Max(600_000)
  DB_ACQUIRE_TIMEOUT_MS = 5_000;

  /** PostgreSQL statement_timeout of commands and ordinary reads, ms (lock waits included). */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  DB_STATEMENT_TIMEOUT_MS = 15_000;

  /** PostgreSQL lock_timeout of commands, ms: a row held longer by another transaction gives 503 RESOURCE_BUSY. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(50)
  @Max(3_600_000)
  DB_LOCK_TIMEOUT_MS = 5_000;

  /** statement_timeout of reports and of the dividend distribution's chunks (SET LOCAL in their transactions), ms. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(100)
  @Max(86_400_000)
  DB_LONG_STATEMENT_TIMEOUT_MS = 300_000;

  /** lock_timeout of the dividend distribution's chunks (and reports), ms: they may wait behind commands. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(50)
  @Max(86_400_000)
  DB_LONG_LOCK_TIMEOUT_MS = 30_000;

  /** API processes sharing the port (node:cluster); one per core is typical in production. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(64)
  API_PROCESSES = 1;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * How long the service's own Redis client (health, login limits) waits for a reply, ms. It queues
   * nothing while disconnected, so an unreachable Redis is known at once, a hung one after this.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(50)
  @Max(60_000)
  REDIS_COMMAND_TIMEOUT_MS = 500;

  /**
   * Redis Cluster instead of REDIS_URL (empty: one Redis at REDIS_URL): comma-separated host:port of some of the
   * cluster's nodes; the service's own client and every BullMQ connection become ioredis Cluster clients.
   */
  @Matches(/^$|^[A-Za-z0-9_.-]+:\d{1,5}(,[A-Za-z0-9_.-]+:\d{1,5})*$/, { message: 'REDIS_CLUSTER_NODES must be host:port[,host:port…]' })
  REDIS_CLUSTER_NODES = '';

  /**
   * A read-only PostgreSQL (a streaming replica) for reads that tolerate a little lag (the villagers' page, public
   * verification and registry, reports); empty: everything reads from DATABASE_URL. Commands never use it.
   */
  @Matches(/^$|^postgres(ql)?:\/\/.+\/[A-Za-z0-9_]+(\?.*)?$/, { message: 'DATABASE_READ_URL must be postgres://user@host:port/database' })
  DATABASE_READ_URL = '';

  /** Above this replay lag of the replica (ms), lag-tolerant reads go to the primary until it catches up. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  @Max(3_600_000)
  READ_MAX_LAG_MS = 1_000;

  /** Read-your-writes: how long a read carrying X-Min-LSN waits for the replica to replay it before reading the primary, ms. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  @Max(10_000)
  READ_MIN_LSN_WAIT_MS = 200;

  /**
   * Names this deployment's Redis keys: every key (queues, login limits) starts with `fl:{DEPLOYMENT_ID}:`,
   * so deployments (and test files) sharing one Redis never share state. See redis-keys.ts.
   */
  @IsString()
  @Matches(DEPLOYMENT_ID_PATTERN, { message: 'DEPLOYMENT_ID must be 1-50 of letters, digits, "_", ".", ":", "-"' })
  DEPLOYMENT_ID = 'forest-ledger';

  /**
   * Deprecated (empty when not set): when set, the BullMQ prefix verbatim, as before DEPLOYMENT_ID (so queued
   * jobs survive the upgrade; not Redis Cluster safe), and DEPLOYMENT_ID's default.
   */
  @ValidateIf((env: Env) => env.QUEUE_PREFIX !== '')
  @IsString()
  @Matches(DEPLOYMENT_ID_PATTERN, { message: 'QUEUE_PREFIX must be 1-50 of letters, digits, "_", ".", ":", "-"' })
  QUEUE_PREFIX = '';

  /**
   * Lock of a running dividend distribution job, ms, and how often the worker looks for stalled ones: a job
   * whose worker died is resumed within about twice this once another worker is running. BullMQ's default is 30 s.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1000)
  @Max(600_000)
  DIVIDEND_JOB_LOCK_MS = 30_000;

  /**
   * How often the worker's reconciler makes sure a job exists for every piece of pending work PostgreSQL
   * holds (distributions, the daily runs), ms. Also the most a daily run starts late.
   */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  RECONCILE_INTERVAL_MS = 60_000;

  /** Webhooks (issue 17): the most one delivery request may take, ms, connection to last byte; then it is a failed attempt. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(100)
  @Max(120_000)
  WEBHOOK_TIMEOUT_MS = 10_000;

  /** Webhooks: the first retry's delay, ms; each further failure doubles it, up to WEBHOOK_BACKOFF_MAX_MS. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(10)
  @Max(3_600_000)
  WEBHOOK_BACKOFF_MS = 5_000;

  /** Webhooks: the longest wait between two attempts, ms (an hour). */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(10)
  @Max(86_400_000)
  WEBHOOK_BACKOFF_MAX_MS = 3_600_000;

  /** Webhooks: a subscription whose deliveries have failed without a success for this many days is disabled (fractions allowed). */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value))
  @IsNumber()
  @Min(0.000001)
  @Max(365)
  WEBHOOK_DISABLE_AFTER_DAYS = 3;

  /** Webhooks: how long a rotated-out secret still signs (beside the new one), hours, unless the rotation says otherwise. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  @Max(720)
  WEBHOOK_SECRET_OVERLAP_HOURS = 24;

  /**
   * Webhooks: allow URLs that resolve to private, loopback or link-local addresses, and plain http
   * (tests, a receiver inside the same network). Off: such a URL is refused at subscription and at each delivery.
   */
  @Transform(toBool)
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE = false;

  /** The most a producer (an approval, the reconciler) waits on Redis to queue a job, ms: then it logs and the reconciler queues it later. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(100)
  @Max(60_000)
  QUEUE_PRODUCER_TIMEOUT_MS = 2_000;

  /**
   * Bearer token for GET /metrics (API) and the worker's metrics port. Unset: /metrics is open in
   * development and test, and not served at all in production (see README, Operations).
   */
  @IsString()
  METRICS_TOKEN = '';

  /** Port of the worker's own metrics endpoint (GET /metrics); 0: none. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(0)
  @Max(65535)
  WORKER_METRICS_PORT = 0;

  /** HMAC secret for access tokens. Required in production; a fixed development value otherwise. */
  @IsString()
  @Matches(/^.{32,}$/, { message: 'JWT_SECRET must be at least 32 characters' })
  JWT_SECRET = DEV_SECRET('jwt');

  /** Rotation form of JWT_SECRET: `id:secret,…`; the first signs, all verify (tokens carry the id as `kid`). */
  @IsString()
  JWT_SECRETS = '';

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(60)
  @Max(86400)
  JWT_TTL_SECONDS = 900;

  /** 32-byte key (base64) encrypting ID numbers at rest (AES-256-GCM). Required in production. */
  @IsString()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'PII_ENCRYPTION_KEY must be 32 bytes in base64 (openssl rand -base64 32)' })
  PII_ENCRYPTION_KEY = Buffer.from(DEV_SECRET('pii-enc').slice(0, 32)).toString('base64');

  /** Rotation form of PII_ENCRYPTION_KEY: `id:base64,…`; the first encrypts, all decrypt (ciphertexts carry the id). */
  @IsString()
  PII_ENCRYPTION_KEYS = '';

  /** 32-byte key (base64) for the HMAC that finds a party by ID number. Required in production. */
  @IsString()
  @Matches(/^[A-Za-z0-9+/]{43}=$/, { message: 'PII_HMAC_KEY must be 32 bytes in base64 (openssl rand -base64 32)' })
  PII_HMAC_KEY = Buffer.from(DEV_SECRET('pii-mac').slice(0, 32)).toString('base64');

  /** Rotation form of PII_HMAC_KEY: `id:base64,…`; the first makes new HMACs, lookups try all (HMACs carry the id). */
  @IsString()
  PII_HMAC_KEYS = '';

  /** Load the demo data set into an empty database at start-up. */
  @Transform(toBool)
  @IsBoolean()
  DEMO_DATA = true;

  /** The range of a cooperation project's term, in years (DOMAIN.md §3: 3–20 is typical). */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(99)
  PROJECT_TERM_MIN_YEARS = 3;

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(1)
  @Max(99)
  PROJECT_TERM_MAX_YEARS = 20;

  /**
   * Where the public reaches this service (scheme, host, optional path; no trailing slash): the start of the
   * verification link every certificate prints and encodes in its QR code (扫码验真). Required in production
   * (the default points at localhost, which no phone can open).
   */
  @IsString()
  @Matches(/^https?:\/\/[^\s]+[^/\s]$/, { message: 'PUBLIC_BASE_URL must be an http(s) URL without a trailing slash' })
  PUBLIC_BASE_URL = 'http://localhost:3000';

  /** How the villagers' SMS are sent (issue 17): `log` (development default: logged with the number masked, nothing sent) or `http`. */
  @IsIn(['log', 'http'])
  SMS_PROVIDER: 'log' | 'http' = 'log';

  /** The HTTP SMS gateway's endpoint (SMS_PROVIDER=http): each message is one signed POST. */
  @IsString()
  @ValidateIf((e: Env) => e.SMS_HTTP_URL !== '')
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'SMS_HTTP_URL must be an http(s) URL' })
  SMS_HTTP_URL = '';

  /** The gateway's secret key: it signs every request (HMAC-SHA256 over timestamp and body); never sent. */
  @IsString()
  SMS_HTTP_KEY = '';

  /** The key's id at the gateway (X-Sms-Key-Id). */
  @IsString()
  SMS_HTTP_KEY_ID = 'forest-ledger';

  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(100)
  @Max(60_000)
  SMS_HTTP_TIMEOUT_MS = 5000;

  /** How often the worker's notifier reads the feed for new dividend and payout events. */
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value))
  @IsInt()
  @Min(100)
  @Max(3_600_000)
  SMS_NOTIFIER_INTERVAL_MS = 5000;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses and validates the environment; throws one error listing every problem. */
export function loadEnv(raw: Record<string, string | undefined> = process.env): Env {
  const known = Object.keys(new Env());
  const present = Object.fromEntries(Object.entries(raw).filter(([k, v]) => known.includes(k) && v !== undefined && v !== ''));
  const env = plainToInstance(Env, present, { exposeDefaultValues: true });
  const errors = validateSync(env, { whitelist: false, forbidUnknownValues: true });
  const problems = errors.flatMap((e) =>
    Object.values(e.constraints ?? {}).map((m) => `${e.property}=${SECRETS.includes(e.property) ? '(hidden)' : JSON.stringify(e.value)}: ${m}`),
  );
  for (const { single, ring } of KEY_RINGS) {
    if (present[single] && present[ring]) problems.push(`set ${ring} or ${single}, not both (${single} is the one-key form of ${ring})`);
    if (present[ring]) problems.push(...parseKeyRing(ring, env[ring], SECRET_RULES[ring]).problems);
    if (env.NODE_ENV === 'production' && !present[single] && !present[ring]) problems.push(`${ring} (or ${single}) is required in production (the development default is public)`);
  }
  // A deployment that separated itself with QUEUE_PREFIX stays separate (its login limits too) without new settings.
  if (present.QUEUE_PREFIX && !present.DEPLOYMENT_ID) env.DEPLOYMENT_ID = env.QUEUE_PREFIX;
  if (env.NODE_ENV === 'production' && !present.PUBLIC_BASE_URL) {
    problems.push('PUBLIC_BASE_URL is required in production: certificates print it (and encode it in their QR code) as the start of their verification link');
  }
  if (env.METRICS_TOKEN !== '' && env.METRICS_TOKEN.length < 16) problems.push('METRICS_TOKEN=(hidden): must be at least 16 characters');
  if (env.PROJECT_TERM_MIN_YEARS > env.PROJECT_TERM_MAX_YEARS)
    problems.push(`PROJECT_TERM_MIN_YEARS=${env.PROJECT_TERM_MIN_YEARS} is above PROJECT_TERM_MAX_YEARS=${env.PROJECT_TERM_MAX_YEARS}`);
  // statement_timeout counts the lock wait too: a lock timeout at or above it would never fire.
  if (env.DB_LOCK_TIMEOUT_MS >= env.DB_STATEMENT_TIMEOUT_MS)
    problems.push(`DB_LOCK_TIMEOUT_MS=${env.DB_LOCK_TIMEOUT_MS} must be below DB_STATEMENT_TIMEOUT_MS=${env.DB_STATEMENT_TIMEOUT_MS}`);
  if (env.DB_LONG_LOCK_TIMEOUT_MS >= env.DB_LONG_STATEMENT_TIMEOUT_MS) {
    problems.push(`DB_LONG_LOCK_TIMEOUT_MS=${env.DB_LONG_LOCK_TIMEOUT_MS} must be below DB_LONG_STATEMENT_TIMEOUT_MS=${env.DB_LONG_STATEMENT_TIMEOUT_MS}`);
  }
  if (env.SMS_PROVIDER === 'http' && (env.SMS_HTTP_URL === '' || env.SMS_HTTP_KEY.length < 16))
    problems.push('SMS_PROVIDER=http needs SMS_HTTP_URL and SMS_HTTP_KEY (at least 16 characters)');
  if (problems.length > 0) throw new ConfigError(problems);
  return env;
}

/**
 * A secret's key ring, newest first: the `…S` list when set, else the single variable as key `k0`.
 * The first key encrypts and signs; every key decrypts and verifies.
 */
export function keyRing(env: Env, name: KeyRingName): NamedKey[] {
  const { single, ring } = KEY_RINGS.find((k) => k.ring === name)!;
  if (!env[ring]) return [{ id: SINGLE_KEY_ID, secret: env[single] }];
  const { keys, problems } = parseKeyRing(ring, env[ring], SECRET_RULES[ring]);
  if (problems.length > 0) throw new ConfigError(problems);
  return keys;
}
