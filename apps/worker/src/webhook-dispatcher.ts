import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { WebhookDeliveryService } from '@forest-ledger/forestry';
import { Env, QueueName, WEBHOOK_JOB_OPTIONS, WebhookJob, webhookJobId, within } from '@forest-ledger/platform';
import { Queue } from 'bullmq';

/** How often the worker looks for subscriptions with events to deliver, ms. */
export const WEBHOOK_DISPATCH_INTERVAL_MS = 500;

/**
 * Nudges deliveries (issue 17): every WEBHOOK_DISPATCH_INTERVAL_MS, each active subscription behind the feed
 * and due gets its job (an add under its job id is a no-op while one exists). PostgreSQL says what is
 * pending (the cursor below the head); Redis only carries the job. The reconciler does the same for every
 * subscription behind, due or not, at its own pace.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private lastWarnedAt = 0;

  constructor(
    private readonly deliveries: WebhookDeliveryService,
    private readonly env: Env,
    @InjectQueue(QueueName.Webhooks) private readonly queue: Queue,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running === null) this.running = this.tick().finally(() => (this.running = null));
    }, WEBHOOK_DISPATCH_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** Makes sure each of these subscriptions has its delivery job; returns how many adds were made. */
  async ensureJobs(ids: readonly string[]): Promise<number> {
    for (const subscriptionId of ids)
      await within(
        this.queue.add(WebhookJob.Deliver, { subscriptionId }, { ...WEBHOOK_JOB_OPTIONS, jobId: webhookJobId(subscriptionId) }),
        this.env.QUEUE_PRODUCER_TIMEOUT_MS,
        `adding webhook job ${subscriptionId}`,
      );
    return ids.length;
  }

  private async tick(): Promise<void> {
    try {
      await this.ensureJobs(await this.deliveries.due());
    } catch (error) {
      if (Date.now() - this.lastWarnedAt < 30_000) return;
      this.lastWarnedAt = Date.now();
      this.logger.warn({ err: error }, 'webhook dispatch failed (PostgreSQL or Redis down?); retrying');
    }
  }
}
