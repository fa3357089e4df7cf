import { DomainError } from '@forest-ledger/common';
import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { hostname } from 'node:os';
import { InjectDataSource } from '@nestjs/typeorm';
import { DistributionOutcome, DividendDeclarationsService, DividendDistributionService } from '@forest-ledger/forestry';
import { DistributeJobData, DividendJob, Env, inTransaction, QueueName, UNBOUNDED_STALLS, workerConnection } from '@forest-ledger/platform';
import { Job, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';

/**
 * Dividend distributions (jobId = dividend-<declaration id>-r<round>). Thin: the service runs the chunks,
 * each its own transaction, and resumes where the last committed chunk left off, so a killed worker's
 * job, picked up again as stalled (as often as it takes), pays nobody twice. The job's lock and the
 * stalled check run on DIVIDEND_JOB_LOCK_MS: a dead worker's job is resumed within about twice that
 * once another worker is running. A domain refusal, or an error on the last attempt, is recorded on
 * the declaration (failedAt, failure): the reconciler then leaves it alone until an ADMIN resumes it.
 */
@Processor(QueueName.Dividends)
export class DividendsProcessor extends WorkerHost {
  private readonly logger = new Logger(DividendsProcessor.name);

  constructor(
    private readonly distribution: DividendDistributionService,
    private readonly declarations: DividendDeclarationsService,
    @InjectDataSource() private readonly dataSource: DataSource,
    env: Env,
  ) {
    super();
    // @nestjs/bullmq takes worker options from the @Processor metadata only, and reads it when the module
    // initialises, after every provider is built: set again here, they come from the environment.
    Processor(QueueName.Dividends, {
      connection: workerConnection(env),
      // Shown as the job's processedBy: which process holds a distribution.
      name: `${hostname()}:${process.pid}`,
      lockDuration: env.DIVIDEND_JOB_LOCK_MS,
      stalledInterval: env.DIVIDEND_JOB_LOCK_MS,
      maxStalledCount: UNBOUNDED_STALLS,
    })(DividendsProcessor);
  }

  async process(job: Job<DistributeJobData>): Promise<DistributionOutcome> {
    if (job.name !== DividendJob.Distribute) throw new UnrecoverableError(`unknown job ${job.name} on queue ${QueueName.Dividends}`);
    const { declarationId, round } = job.data;
    try {
      // Progress in Redis is for watching; a job Redis lost fails here, and the reconciler's new job takes over.
      const outcome = await this.distribution.distribute(declarationId, { onProgress: (progress) => job.updateProgress({ ...progress }) });
      this.logger.log({ declaration: declarationId, round, outcome }, 'dividend distribution finished');
      return outcome;
    } catch (error) {
      const refused = error instanceof DomainError;
      if (refused || job.attemptsMade + 1 >= (job.opts.attempts ?? 1)) await this.recordFailure(job, refused ? `${error.code}: ${error.message}` : String(error));
      if (refused) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  }

  @OnWorkerEvent('stalled')
  onStalled(jobId: string): void {
    this.logger.warn({ jobId }, 'dividend distribution taken over from a dead worker (stalled)');
  }

  @OnWorkerEvent('failed')
  onFailed(job: Job<DistributeJobData> | undefined, error: Error): void {
    this.logger.error({ jobId: job?.id, attemptsMade: job?.attemptsMade, err: error }, 'dividend distribution attempt failed');
  }

  /** Best effort: when PostgreSQL cannot take it now, the reconciler records it from the failed job. */
  private async recordFailure(job: Job<DistributeJobData>, failure: string): Promise<void> {
    try {
      const recorded = await inTransaction(this.dataSource, (em) => this.declarations.recordFailure(em, job.data.declarationId, job.data.round ?? null, failure));
      if (recorded)
        this.logger.error(
          { declaration: job.data.declarationId, round: job.data.round, failure },
          'dividend distribution FAILED: an ADMIN resumes it (POST /v1/dividends/:id/resume)',
        );
    } catch (error) {
      this.logger.error({ declaration: job.data.declarationId, err: error }, 'dividend distribution failure not recorded; the reconciler records it');
    }
  }
}
