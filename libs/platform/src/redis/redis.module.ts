import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Env } from '../config/env';
import { redisClient } from './redis-cluster';

export const REDIS = Symbol('REDIS');

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** How long start-up waits for Redis before going on without it (the client keeps reconnecting). */
const FIRST_CONNECT_WAIT_MS = 2_000;

/**
 * The service's own Redis client (health, login limits), built to fail fast: while disconnected a
 * command fails at once (no offline queue, no retries), a hung one after REDIS_COMMAND_TIMEOUT_MS,
 * and the client reconnects in the background (every 0.1–1 s). Callers decide what an unreachable
 * Redis means for them (the login limits fall back to this process's memory).
 */
export async function connectRedis(env: Env): Promise<Redis> {
  // With REDIS_CLUSTER_NODES an ioredis Cluster: the commands used (GET/MGET/MULTI on one deployment's hash tag, PING) are the same.
  const redis = redisClient(env, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: env.REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: FIRST_CONNECT_WAIT_MS,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
  }) as Redis;
  redis.on('error', () => undefined); // reconnection is automatic; the health check reports the state
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, FIRST_CONNECT_WAIT_MS);
    redis.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  return redis;
}

/** One shared ioredis client for the service's own Redis use (health, rate limits); BullMQ keeps its own. */
@Global()
@Module({
  providers: [{ provide: REDIS, inject: [Env], useFactory: connectRedis }, RedisCloser],
  exports: [REDIS],
})
export class RedisModule {}
