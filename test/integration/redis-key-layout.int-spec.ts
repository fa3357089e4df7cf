import { AccessService, insertUser, LOGIN_LIMITS } from '@forest-ledger/access';
import { PartyAccessDirectory, PiiCipher } from '@forest-ledger/forestry';
import { DEFAULT_JOB_OPTIONS, inTransaction, loadEnv, QueueName, RedisKeys } from '@forest-ledger/platform';
import * as argon2 from 'argon2';
import { FlowProducer, Queue, QueueEvents, Worker } from 'bullmq';
import Redis, { Cluster } from 'ioredis';
import { TEST_REDIS_URL } from '../setup/databases';
import { startOwnRedisClusterNode } from '../setup/own-services';
import { useTestDatabase } from '../setup/test-database';

/**
 * The key layout on a real Redis Cluster: a one-node cluster of our own (all 16384 slots on one node)
 * on a spare port. Redis refuses multi-key commands and scripts across slots even on one node, so a
 * prefix without a hash tag fails here as it would on a many-node cluster.
 */
const db = useTestDatabase({ checkInvariants: false });
let node: { port: number; stop(): void } | undefined;
let cluster: Cluster;

beforeAll(async () => {
  node = await startOwnRedisClusterNode();
  cluster = new Cluster([{ host: '127.0.0.1', port: node.port }], { redisOptions: { maxRetriesPerRequest: null } });
});

afterAll(async () => {
  await cluster?.quit().catch(() => cluster.disconnect());
  node?.stop();
});

const slotOf = async (key: string) => Number(await cluster.call('CLUSTER', 'KEYSLOT', key));

it('keeps every key BullMQ creates for the deployment in one Redis Cluster slot', async () => {
  const prefix = RedisKeys.of(loadEnv({ DEPLOYMENT_ID: 'prod-a' })).queuePrefix;
  const connection = cluster;
  const queues = Object.values(QueueName).map((name) => new Queue(name, { connection, prefix, defaultJobOptions: DEFAULT_JOB_OPTIONS }));
  const events = new QueueEvents(QueueName.Ledger, { connection, prefix });
  const worker = new Worker(QueueName.Ledger, (job) => (job.name === 'fails' ? Promise.reject(new Error('planned failure')) : Promise.resolve({ ok: true })), {
    connection,
    prefix,
  });
  try {
    await events.waitUntilReady();
    const [ledger] = queues;
    // What the service does with its queues: plain, delayed, prioritised and deduplicated jobs, schedules, retries and failures.
    const done = await ledger.add('verify-chain', {});
    await ledger.add('fails', {}, { attempts: 1 });
    for (const q of queues) {
      await q.upsertJobScheduler(`${q.name}-daily`, { pattern: '0 0 1 * * *', tz: 'Asia/Shanghai' }, { name: 'daily', data: {} });
      await q.add('later', {}, { delay: 60_000 });
      await q.add('urgent', {}, { priority: 1 });
      await q.add('once', {}, { jobId: `${q.name}-once` });
      await q.add('once', {}, { jobId: `${q.name}-once` });
    }
    await new FlowProducer({ connection, prefix }).add({ name: 'parent', queueName: QueueName.Dividends, children: [{ name: 'child', queueName: QueueName.Dividends }] });
    expect(await done.waitUntilFinished(events, 20_000)).toEqual({ ok: true });
    await ledger.pause();
    await ledger.resume();

    const keys = await cluster.keys('*');
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.filter((k) => !k.startsWith('fl:{prod-a}:q:'))).toEqual([]);
    expect(new Set(await Promise.all(keys.map(slotOf)))).toEqual(new Set([await slotOf('fl:{prod-a}')]));
  } finally {
    await worker.close();
    await events.close();
    for (const q of queues) await q.obliterate({ force: true }).finally(() => q.close());
  }
});

it('a prefix without a hash tag fails on the cluster (CROSSSLOT): the control for the test above', async () => {
  const queue = new Queue(QueueName.Ledger, { connection: cluster, prefix: 'forest-ledger' });
  try {
    await expect(queue.add('verify-chain', {})).rejects.toThrow(/CROSSSLOT/);
  } finally {
    await queue.close();
  }
});

describe('login limits', () => {
  const pii = new PiiCipher(loadEnv({}).PII_ENCRYPTION_KEY, loadEnv({}).PII_HMAC_KEY);
  const accessOf = (deploymentId: string, redis: Redis | Cluster) =>
    new AccessService(db.dataSource, loadEnv({ DATABASE_URL: db.url, NODE_ENV: 'test', DEPLOYMENT_ID: deploymentId }), new PartyAccessDirectory(pii), redis as Redis);
  const password = 'the-right-password-long';
  let username: string;

  beforeAll(async () => {
    username = `li.${db.name.slice(-10)}`;
    const { id } = await inTransaction(db.dataSource, (em) => insertUser(em, { username, displayName: 'Li', role: 'ADMIN', password }));
    // A cheap argon2 cost: these tests count logins, not hashing.
    await db.dataSource.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [id, await argon2.hash(password, { timeCost: 1, memoryCost: 1024 })]);
  });

  it('are counted per deployment: a lockout in one is not a lockout in another sharing the Redis', async () => {
    const redis = new Redis(TEST_REDIS_URL);
    try {
      const [a, b] = [`test-a-${db.name}`, `test-b-${db.name}`].map((id) => accessOf(id, redis));
      for (let i = 0; i < LOGIN_LIMITS.perAccount; i++) await expect(a.login(username, 'wrong-password-123', '10.0.0.1')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      await expect(a.login(username, password, '10.0.0.1')).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
      await expect(b.login(username, password, '10.0.0.1')).resolves.toMatchObject({ tokenType: 'Bearer' });
      expect((await redis.keys(`fl:{test-a-${db.name}}:rl:login:*`)).sort()).toEqual([
        `fl:{test-a-${db.name}}:rl:login:account:user:${username}`,
        `fl:{test-a-${db.name}}:rl:login:address:10.0.0.1`,
      ]);
      await redis.del(...(await redis.keys(`fl:{test-?-${db.name}}:*`)));
    } finally {
      await redis.quit();
    }
  });

  it('work on Redis Cluster (their MGET and MULTI stay in the deployment slot)', async () => {
    const access = accessOf('prod-b', cluster);
    for (let i = 0; i < LOGIN_LIMITS.perAccount; i++) await expect(access.login(username, 'wrong-password-123', '10.0.0.2')).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    await expect(access.login(username, password, '10.0.0.2')).rejects.toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
    const keys = await cluster.keys('fl:{prod-b}:*');
    expect(keys).toHaveLength(2);
    expect(new Set(await Promise.all(keys.map(slotOf)))).toEqual(new Set([await slotOf(new RedisKeys('prod-b').root)]));
  });
});
