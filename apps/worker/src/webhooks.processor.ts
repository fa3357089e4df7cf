import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { DeliveryRun, WebhookDeliveryService } from '@forest-ledger/forestry';
import { Env, QueueName, UNBOUNDED_STALLS, WebhookJob, WebhookJobData, workerConnection } from '@forest-ledger/platform';
import { DelayedError, Job, UnrecoverableError } from 'bullmq';

/**
 * Webhook deliveries (issue 17), one job per subscription (jobId webhook-<id>). A run delivers in feed order
 * until caught up, a failure (then the job is delayed to the back-off's end that PostgreSQL records), or its
 * share of work (then delayed to now, behind other subscriptions). A killed worker's job is taken over as
 * stalled; a job lost with Redis is made again by the dispatcher or the reconciler from PostgreSQL.
 */
@Processor(QueueName.Webhooks)
export class WebhooksProcessor extends WorkerHost {
  private readonly logger = new Logger(WebhooksProcessor.name);

  constructor(
    private readonly deliveries: WebhookDeliveryService,
    env: Env,
  ) {
    super();
    const lock = Math.max(5_000, env.WEBHOOK_TIMEOUT_MS * 2);
    Processor(QueueName.Webhooks, {
      connection: workerConnection(env),
      concurrency: 8,
      lockDuration: lock,
      stalledInterval: lock,
      maxStalledCount: UNBOUNDED_STALLS,
    })(WebhooksProcessor);
  }

  async process(job: Job<WebhookJobData>, token?: string): Promise<DeliveryRun> {
    if (job.name !== WebhookJob.Deliver) throw new UnrecoverableError(`unknown job ${job.name} on queue ${QueueName.Webhooks}`);
    const run = await this.deliveries.deliver(job.data.subscriptionId);
    const later = run.kind === 'retry' ? run.at.getTime() : run.kind === 'more' ? Date.now() : run.kind === 'busy' ? Date.now() + 1000 : null;
    if (later === null) return run;
    if (run.kind === 'retry') this.logger.log({ subscription: job.data.subscriptionId, at: run.at }, 'webhook delivery waits out its back-off');
    await job.moveToDelayed(later, token);
    throw new DelayedError();
  }

  /** A job whose lock was lost (Redis flushed or restarted under it): its delivery is in PostgreSQL; the dispatcher makes the job again. */
  @OnWorkerEvent('error')
  onError(error: Error): void {
    this.logger.warn({ err: error }, 'webhooks worker: Redis error; pending deliveries are queued again from PostgreSQL');
  }
}
