import { BullModule } from '@nestjs/bullmq';
import { Global, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { ConnectionOptions } from 'bullmq';
import { Env } from '../config/env';
import { bullmqTelemetry } from '../observability/tracing';
import { closeClusterClients, redisClient } from '../redis/redis-cluster';
import { RedisKeys } from '../redis/redis-keys';
import { QueueErrorLog } from './queue-errors';
import { DEFAULT_JOB_OPTIONS, QueueName } from './queues';

/**
 * The producers' connection (every Queue, in the API and the worker's reconciler): fails fast while
 * Redis is down (no offline queue, one retry, a command timeout) so that nothing waits on Redis for
 * long; whatever could not be queued is queued by the reconciler from PostgreSQL.
 */
export function producerConnection(env: Env): ConnectionOptions {
  const options = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: env.QUEUE_PRODUCER_TIMEOUT_MS, connectTimeout: env.QUEUE_PRODUCER_TIMEOUT_MS };
  // On Redis Cluster (REDIS_CLUSTER_NODES) BullMQ is handed a Cluster client; its keys share one slot (the hash-tagged prefix).
  return env.REDIS_CLUSTER_NODES ? redisClient(env, options) : { url: env.REDIS_URL, ...options };
}

/** The workers' connection: blocking commands, so no command timeout and retries until Redis is back (BullMQ requires it). */
export function workerConnection(env: Env): ConnectionOptions {
  return env.REDIS_CLUSTER_NODES ? redisClient(env, { maxRetriesPerRequest: null }) : { url: env.REDIS_URL, maxRetriesPerRequest: null };
}

/** Quits the Cluster clients handed to BullMQ (it closes only connections it made), after its queues and workers closed. */
@Injectable()
class ClusterClientCloser implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    await closeClusterClients();
  }
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
    BullModule.registerQueue({ name: QueueName.Ledger }, { name: QueueName.Dividends }, { name: QueueName.LandUse }, { name: QueueName.Subsidies }, { name: QueueName.Webhooks }),
  ],
  providers: [QueueErrorLog, ClusterClientCloser],
  exports: [BullModule],
})
export class QueueModule {}
