import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { businessToday, DividendDeclarationsService, WebhookDeliveryService } from '@forest-ledger/forestry';
import {
  DISTRIBUTION_JOB_OPTIONS,
  DividendJob,
  dividendJobId,
  Env,
  inTransaction,
  QueueName,
  SCHEDULED_JOB_OPTIONS,
  scheduledJobId,
  ScheduledRunsStore,
  within,
} from '@forest-ledger/platform';
import { JobsOptions, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import { dueDay, SCHEDULES } from './schedules';
import { WebhookDispatcher } from './webhook-dispatcher';

/** pg advisory lock key of the reconciler: one pass at a time across every worker process. */
const RECONCILER_LOCK = 0x464c_5243; // "FLRC"

/** What a pass found and did: the distribution jobs it had to (re-)create, the daily jobs it queued, the failures it recorded. */
export interface ReconcileReport {
  skipped: boolean;
  distributions: number;
  added: string[];
  scheduled: string[];
  failed: string[];
  /** Webhook subscriptions behind the feed whose delivery job was made sure of. */
  webhooks: number;
}

type EnsureResult = { kind: 'present' } | { kind: 'added'; replaced: boolean } | { kind: 'failed'; reason: string };

/**
 * PostgreSQL is the source of truth for pending work; the queue only delivers it. On start and every
 * RECONCILE_INTERVAL_MS, makes sure a job exists for each distribution the database says must run and
 * for each daily run due and not finished, and for each webhook subscription behind the feed (it is the scheduler of the daily runs: nothing of theirs
 * lives only in Redis). A pg advisory lock keeps passes from overlapping across workers; job ids per
 * unit of work (and round, and day) make a doubled add a no-op anyway.
 */
@Injectable()
export class PendingWorkReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(PendingWorkReconciler.name);
  private readonly queues: Record<QueueName, Queue>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly env: Env,
    private readonly dividends: DividendDeclarationsService,
    private readonly runs: ScheduledRunsStore,
    @InjectQueue(QueueName.Ledger) ledger: Queue,
    @InjectQueue(QueueName.Dividends) dividendsQueue: Queue,
    @InjectQueue(QueueName.LandUse) landUse: Queue,
    @InjectQueue(QueueName.Subsidies) subsidies: Queue,
    @InjectQueue(QueueName.Webhooks) webhooks: Queue,
    private readonly webhookDeliveries: WebhookDeliveryService,
    private readonly webhookDispatcher: WebhookDispatcher,
  ) {
    this.queues = {
      [QueueName.Ledger]: ledger,
      [QueueName.Dividends]: dividendsQueue,
      [QueueName.LandUse]: landUse,
      [QueueName.Subsidies]: subsidies,
      [QueueName.Webhooks]: webhooks,
    };
  }

  onApplicationBootstrap(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.env.RECONCILE_INTERVAL_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Starts a pass unless one is still running in this process. */
  private tick(): void {
    if (this.running) return;
    this.running = this.reconcile()
      .then((report) => {
        if (report.added.length > 0) this.logger.warn({ ...report }, 'reconciler queued distributions that had no job (lost with Redis, not queued at approval, or due today)');
        else if (report.scheduled.length > 0) this.logger.log({ ...report }, 'reconciler queued the daily runs due');
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'reconciler pass failed; the next one retries'))
      .finally(() => (this.running = null));
  }

  /** One pass, if no other worker is in one. */
  async reconcile(now = new Date()): Promise<ReconcileReport> {
    const report: ReconcileReport = { skipped: true, distributions: 0, added: [], scheduled: [], failed: [], webhooks: 0 };
    const session = this.dataSource.createQueryRunner();
    await session.connect();
    try {
      const [{ locked }] = (await session.query(`SELECT pg_try_advisory_lock($1) AS locked`, [RECONCILER_LOCK])) as Array<{ locked: boolean }>;
      if (!locked) return report;
      try {
        report.skipped = false;
        await this.distributions(now, report);
        await this.schedules(now, report);
        // Every subscription behind the feed has its delivery job (one in back-off moves itself to its delayed time).
        report.webhooks = await this.webhookDispatcher.ensureJobs(await this.webhookDeliveries.behind());
      } finally {
        await session.query(`SELECT pg_advisory_unlock($1)`, [RECONCILER_LOCK]);
      }
    } finally {
      await session.release();
    }
    return report;
  }

  /** Every due distribution has its round's job; a job that failed for good marks its declaration failed. */
  private async distributions(now: Date, report: ReconcileReport): Promise<void> {
    const pending = await this.dividends.pendingDistributions(businessToday(now));
    report.distributions = pending.length;
    for (const d of pending) {
      const jobId = dividendJobId(d.id, d.round);
      const result = await this.ensureJob(
        this.queues[QueueName.Dividends],
        DividendJob.Distribute,
        { declarationId: d.id, round: d.round },
        { ...DISTRIBUTION_JOB_OPTIONS, jobId },
      );
      if (result.kind === 'added') report.added.push(jobId);
      if (result.kind === 'failed' && (await inTransaction(this.dataSource, (em) => this.dividends.recordFailure(em, d.id, d.round, result.reason)))) {
        report.failed.push(jobId);
        this.logger.error({ declaration: d.id, round: d.round, failure: result.reason }, 'dividend distribution FAILED: an ADMIN resumes it (POST /v1/dividends/:id/resume)');
      }
    }
  }

  /** Each schedule's latest due day, unless finished, has its job. A failed day stays failed (logged); the next day's run catches up. */
  private async schedules(now: Date, report: ReconcileReport): Promise<void> {
    for (const s of SCHEDULES) {
      const day = dueDay(s, now);
      if ((await this.runs.finishedOn([s.name], day)).has(s.name)) continue;
      const jobId = scheduledJobId(s.name, day);
      const result = await this.ensureJob(this.queues[s.queue], s.job, { schedule: s.name, asOf: day }, { ...SCHEDULED_JOB_OPTIONS, jobId });
      if (result.kind === 'added') report.scheduled.push(jobId);
      if (result.kind === 'failed') this.logger.error({ schedule: s.name, day, failure: result.reason }, 'scheduled run FAILED for the day');
    }
  }

  /**
   * Makes sure the job exists. A completed job whose work the database still holds is replaced: it
   * finished on an earlier state (a job id can be added once only while it exists).
   */
  private async ensureJob(queue: Queue, name: string, data: object, opts: JobsOptions & { jobId: string }): Promise<EnsureResult> {
    const timeout = this.env.QUEUE_PRODUCER_TIMEOUT_MS;
    const existing = await within(queue.getJob(opts.jobId), timeout, `getting job ${opts.jobId}`);
    let replaced = false;
    if (existing) {
      const state = await within(existing.getState(), timeout, `state of job ${opts.jobId}`);
      if (state === 'failed') return { kind: 'failed', reason: existing.failedReason || 'failed' };
      if (state !== 'completed' && state !== 'unknown') return { kind: 'present' };
      await within(existing.remove(), timeout, `removing job ${opts.jobId}`).catch(() => undefined);
      replaced = true;
    }
    await within(queue.add(name, data, opts), timeout, `adding job ${opts.jobId}`);
    return { kind: 'added', replaced };
  }
}
