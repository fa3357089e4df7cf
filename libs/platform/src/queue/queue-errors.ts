import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueName } from './queues';

/** At most one warning per queue in this many ms while its Redis connection keeps failing. */
const WARN_EVERY_MS = 30_000;

/** Nest's shutdown hook that @nestjs/bullmq puts on each queue it provides. */
type ShutdownHooked = Queue & { onApplicationShutdown?: () => Promise<void> };

/**
 * The producers' queues while Redis is down. Connection errors become throttled warnings (without a
 * listener BullMQ prints every reconnect failure with console.error); losing Redis is an outage the
 * reconciler covers, not a bug. And shutting down does not fail: closing a queue whose connection is
 * down (no offline queue) rejects with "Stream isn't writeable"; the queue is then disconnected.
 */
@Injectable()
export class QueueErrorLog implements OnModuleInit {
  private readonly logger = new Logger('Queues');
  private readonly queues: Queue[];

  constructor(
    @InjectQueue(QueueName.Ledger) ledger: Queue,
    @InjectQueue(QueueName.Dividends) dividends: Queue,
    @InjectQueue(QueueName.LandUse) landUse: Queue,
    @InjectQueue(QueueName.Subsidies) subsidies: Queue,
    @InjectQueue(QueueName.Webhooks) webhooks: Queue,
  ) {
    this.queues = [ledger, dividends, landUse, subsidies, webhooks];
  }

  onModuleInit(): void {
    for (const queue of this.queues) {
      let lastWarnedAt = 0;
      queue.on('error', (error: Error) => {
        const now = Date.now();
        if (now - lastWarnedAt < WARN_EVERY_MS) return;
        lastWarnedAt = now;
        this.logger.warn(`queue ${queue.name}: Redis unavailable (${error.message}); jobs not queued now are queued by the reconciler`);
      });
      const hooked = queue as ShutdownHooked;
      const shutdown = hooked.onApplicationShutdown?.bind(queue);
      if (!shutdown) continue;
      hooked.onApplicationShutdown = async () => {
        try {
          await shutdown();
        } catch (error) {
          this.logger.warn(`queue ${queue.name}: closed by disconnecting (${error instanceof Error ? error.message : String(error)})`);
          // Not awaited: BullMQ's disconnect waits for a connection that is not coming back.
          void queue.disconnect().catch(() => undefined);
        }
      };
    }
  }
}
