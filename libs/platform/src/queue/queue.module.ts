import { BullModule } from '@nestjs/bullmq';
import { Global, Module } from '@nestjs/common';
import type { RedisOptions } from 'bullmq';
import { Env } from '../config/env';
import { bullmqTelemetry } from '../observability/tracing';
import { RedisKeys } from '../redis/redis-keys';
import { QueueErrorLog } from './queue-errors';
import { DEFAULT_JOB_OPTIONS, QueueName } from './queues';

/**
 * The producers' connection (every Queue, in the API and the worker's reconciler): fails fast while
 * Redis is down (no offline queue, one retry, a command timeout) so that nothing waits on Redis for
 * long; whatever could not be queued is queued by the reconciler from PostgreSQL.
 */
export function producerConnection(env: Env): RedisOptions {
  return { url: env.REDIS_URL, enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: env.QUEUE_PRODUCER_TIMEOUT_MS, connectTimeout: env.QUEUE_PRODUCER_TIMEOUT_MS };
}

/** The workers' connection: blocking commands, so no command timeout and retries until Redis is back (BullMQ requires it). */
export function workerConnection(env: Env): RedisOptions {
  return { url: env.REDIS_URL, maxRetriesPerRequest: null };
}

/** The BullMQ connection (ioredis) and the registered queues, for both the API and the worker. */
@Global()
@Module({
  imports: [
    BullModule.forRootAsync({
      inject: [Env],
      useFactory: (env: Env) => ({
        connection: producerConnection(env),
        // A hash-tagged prefix: every key of every queue in one Redis Cluster slot (redis-keys.ts).
        prefix: RedisKeys.of(env).queuePrefix,
        defaultJobOptions: DEFAULT_JOB_OPTIONS,
        // With tracing on (OTEL_*), each job carries the trace of the request or run that queued it.
        telemetry: bullmqTelemetry(),
      }),
    }),
    BullModule.registerQueue({ name: QueueName.Ledger }, { name: QueueName.Dividends }, { name: QueueName.LandUse }, { name: QueueName.Subsidies }),
  ],
  providers: [QueueErrorLog],
  exports: [BullModule],
})
export class QueueModule {}
