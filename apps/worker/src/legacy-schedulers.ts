import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Env, QueueName, within } from '@forest-ledger/platform';
import { Queue } from 'bullmq';
import { SCHEDULES } from './schedules';

/**
 * Removes the BullMQ repeatable jobs earlier versions registered under the schedules' names: the
 * reconciler drives the daily runs now, and a leftover scheduler would run each day twice.
 */
@Injectable()
export class LegacySchedulers implements OnApplicationBootstrap {
  private readonly logger = new Logger(LegacySchedulers.name);

  constructor(
    private readonly env: Env,
    @InjectQueue(QueueName.Ledger) private readonly ledger: Queue,
    @InjectQueue(QueueName.LandUse) private readonly landUse: Queue,
    @InjectQueue(QueueName.Subsidies) private readonly subsidies: Queue,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const queues: Partial<Record<QueueName, Queue>> = { [QueueName.Ledger]: this.ledger, [QueueName.LandUse]: this.landUse, [QueueName.Subsidies]: this.subsidies };
    for (const s of SCHEDULES) {
      const queue = queues[s.queue];
      if (!queue) continue;
      try {
        if (await within(queue.removeJobScheduler(s.name), this.env.QUEUE_PRODUCER_TIMEOUT_MS, `removing scheduler ${s.name}`))
          this.logger.log({ scheduler: s.name }, 'removed a legacy BullMQ job scheduler');
      } catch (error) {
        this.logger.warn({ scheduler: s.name, err: error }, 'legacy scheduler not removed now (Redis?); retried at the next start');
      }
    }
  }
}
