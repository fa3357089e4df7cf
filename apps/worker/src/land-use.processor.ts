import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { businessToday, LandUseDailyRun, LandUseService } from '@forest-ledger/forestry';
import { DomainError } from '@forest-ledger/ledger';
import { inTransaction, QueueName } from '@forest-ledger/platform';
import { Job, Queue, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';

/** The land-use daily run: raises due receivables and accrues late fees (LandUseService.runDaily). */
export const LandUseJob = {
  /** Raises the receivables due and accrues late fees through `asOf` (default: today in China). */
  RunDaily: 'run-daily',
} as const;

export interface LandUseRunJobData {
  asOf?: string;
}

/**
 * The daily run of the paid-use contracts: thin, one transaction per run. Idempotent per contract,
 * period and day, so a retried or doubled job books nothing twice. A domain refusal is final.
 */
@Processor(QueueName.LandUse)
export class LandUseProcessor extends WorkerHost {
  private readonly logger = new Logger(LandUseProcessor.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly landUse: LandUseService,
  ) {
    super();
  }

  async process(job: Job<LandUseRunJobData>): Promise<LandUseDailyRun> {
    if (job.name !== LandUseJob.RunDaily) throw new UnrecoverableError(`unknown job ${job.name} on queue ${QueueName.LandUse}`);
    const asOf = job.data?.asOf ?? businessToday();
    try {
      const outcome = await inTransaction(this.dataSource, (em) => this.landUse.runDaily(em, asOf));
      this.logger.log({ outcome }, 'land-use daily run finished');
      return outcome;
    } catch (error) {
      if (error instanceof DomainError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  }
}

/** 01:00 China time every day (upsert: idempotent across restarts and replicas). */
@Injectable()
export class LandUseSchedules implements OnApplicationBootstrap {
  constructor(@InjectQueue(QueueName.LandUse) private readonly queue: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler('land-use-daily', { pattern: '0 0 1 * * *', tz: 'Asia/Shanghai' }, { name: LandUseJob.RunDaily, data: {} });
  }
}
