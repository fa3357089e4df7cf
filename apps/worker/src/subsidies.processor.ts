import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { businessToday, DuePaymentsReport, SubsidiesService } from '@forest-ledger/forestry';
import { DomainError } from '@forest-ledger/ledger';
import { QueueName } from '@forest-ledger/platform';
import { Job, Queue, UnrecoverableError } from 'bullmq';

export const SubsidyJob = {
  /** Pays every scheduled instalment due through `asOf` (default: today in China). */
  PayDue: 'pay-due',
} as const;

export interface SubsidyPayDueJobData {
  asOf?: string;
}

/**
 * Thin: the service pays each due instalment in its own transaction with a deterministic entry key
 * (subsidy-payment:<claim>:<seq>), so a retried or doubled job pays nothing twice.
 */
@Processor(QueueName.Subsidies)
export class SubsidiesProcessor extends WorkerHost {
  private readonly logger = new Logger(SubsidiesProcessor.name);

  constructor(private readonly subsidies: SubsidiesService) {
    super();
  }

  async process(job: Job<SubsidyPayDueJobData>): Promise<DuePaymentsReport> {
    if (job.name !== SubsidyJob.PayDue) throw new UnrecoverableError(`unknown job ${job.name} on queue ${QueueName.Subsidies}`);
    try {
      const report = await this.subsidies.payDueInstalments(job.data?.asOf ?? businessToday());
      this.logger.log({ report }, 'subsidy instalments paid');
      return report;
    } catch (error) {
      if (error instanceof DomainError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  }
}

/** 02:00 China time every day (upsert: idempotent across restarts and replicas). */
@Injectable()
export class SubsidiesSchedules implements OnApplicationBootstrap {
  constructor(@InjectQueue(QueueName.Subsidies) private readonly queue: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler('subsidies-daily', { pattern: '0 0 2 * * *', tz: 'Asia/Shanghai' }, { name: SubsidyJob.PayDue, data: {} });
  }
}
