import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import { Env } from '../config/env';
import { RedisKeys } from '../redis/redis-keys';
import { DEFAULT_JOB_OPTIONS, QueueName } from './queues';

/** The BullMQ connection (ioredis) and the registered queues, for both the API and the worker. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [Env],
      useFactory: (env: Env) => ({
        connection: { url: env.REDIS_URL, maxRetriesPerRequest: null },
        // A hash-tagged prefix: every key of every queue in one Redis Cluster slot (redis-keys.ts).
        prefix: RedisKeys.of(env).queuePrefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
      }),
    }),
    BullModule.registerQueue({ name: QueueName.Ledger }, { name: QueueName.Dividends }, { name: QueueName.LandUse }, { name: QueueName.Subsidies }),
  ],
  exports: [BullModule],
})
export class QueueModule {}
