import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { DistributionOutcome, DividendsService } from '@forest-ledger/forestry';
import { DomainError } from '@forest-ledger/ledger';
import { DistributeJobData, DividendJob, Env, QueueName } from '@forest-ledger/platform';
import { Job, UnrecoverableError } from 'bullmq';

/**
 * Dividend distributions (jobId = dividend-<declaration id>). Thin: the service runs the chunks, each
 * its own transaction, and resumes where the last committed chunk left off, so a killed worker's job,
 * picked up again as stalled, pays nobody twice. A domain refusal is final (no retry). The job's lock
 * and the stalled check run on DIVIDEND_JOB_LOCK_MS: a dead worker's job is resumed within about
 * twice that once another worker is running.
 */
@Processor(QueueName.Dividends)
export class DividendsProcessor extends WorkerHost {
  private readonly logger = new Logger(DividendsProcessor.name);

  constructor(
    private readonly dividends: DividendsService,
    env: Env,
  ) {
    super();
    // @nestjs/bullmq takes worker options from the @Processor metadata only, and reads it when the module
    // initialises, after every provider is built: set again here, they come from the environment.
    Processor(QueueName.Dividends, { lockDuration: env.DIVIDEND_JOB_LOCK_MS, stalledInterval: env.DIVIDEND_JOB_LOCK_MS })(DividendsProcessor);
  }

  async process(job: Job<DistributeJobData>): Promise<DistributionOutcome> {
    if (job.name !== DividendJob.Distribute) throw new UnrecoverableError(`unknown job ${job.name} on queue ${QueueName.Dividends}`);
    try {
      const outcome = await this.dividends.distribute(job.data.declarationId, { onProgress: (progress) => job.updateProgress({ ...progress }) });
      this.logger.log({ declaration: job.data.declarationId, outcome }, 'dividend distribution finished');
      return outcome;
    } catch (error) {
      if (error instanceof DomainError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  }
}
