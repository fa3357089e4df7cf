import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import Redis from 'ioredis';
import { Env } from '../config/env';

export const REDIS = Symbol('REDIS');

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** One shared ioredis client for the service's own Redis use (health, rate limits); BullMQ keeps its own. */
@Global()
@Module({
  providers: [{ provide: REDIS, inject: [Env], useFactory: (env: Env) => new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1 }) }, RedisCloser],
  exports: [REDIS],
})
export class RedisModule {}
