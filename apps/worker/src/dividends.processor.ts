import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { DistributionOutcome, DividendsService } from '@forest-ledger/forestry';
import { DomainError } from '@forest-ledger/ledger';
import { DistributeJobData, DividendJob, QueueName } from '@forest-ledger/platform';
import { Job, UnrecoverableError } from 'bullmq';

/**
 * Dividend distributions (jobId = dividend-<declaration id>). Thin: the service runs the chunks, each
 * its own transaction, and resumes where the last committed chunk left off, so a killed worker's job,
 * picked up again as stalled, pays nobody twice. A domain refusal is final (no retry).
 */
@Processor(QueueName.Dividends)
export class DividendsProcessor extends WorkerHost {
  private readonly logger = new Logger(DividendsProcessor.name);

  constructor(private readonly dividends: DividendsService) {
    super();
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
