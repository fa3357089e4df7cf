import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueName } from './queues';

/** At most one warning per queue in this many ms while its Redis connection keeps failing. */
const WARN_EVERY_MS = 30_000;

/**
 * Connection errors of the producers' queues as throttled warnings. Without a listener BullMQ prints
 * every reconnect failure with console.error; losing Redis is an outage the reconciler covers, not a bug.
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
  ) {
    this.queues = [ledger, dividends, landUse, subsidies];
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
    }
  }
}
