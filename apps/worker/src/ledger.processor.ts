import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { ChainReport, LedgerService } from '@forest-ledger/ledger';
import { LedgerJob, QueueName } from '@forest-ledger/platform';
import { Job, Queue } from 'bullmq';

/** Ledger maintenance: the nightly hash-chain verification (and on-demand runs). */
@Processor(QueueName.Ledger)
export class LedgerProcessor extends WorkerHost {
  private readonly logger = new Logger(LedgerProcessor.name);

  constructor(private readonly ledger: LedgerService) {
    super();
  }

  async process(job: Job): Promise<ChainReport> {
    switch (job.name) {
      case LedgerJob.VerifyChain: {
        const report = await this.ledger.verifyChain();
        if (report.ok) this.logger.log({ report }, 'ledger chain verified');
        else this.logger.error({ report }, 'ledger chain BROKEN');
        return report;
      }
      default:
        throw new Error(`unknown job ${job.name} on queue ${QueueName.Ledger}`);
    }
  }
}

/** Registers the repeatable jobs once per deployment (upsert: idempotent across restarts and replicas). */
@Injectable()
export class LedgerSchedules implements OnApplicationBootstrap {
  constructor(@InjectQueue(QueueName.Ledger) private readonly queue: Queue) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.queue.upsertJobScheduler('verify-chain-nightly', { pattern: '0 30 2 * * *', tz: 'Asia/Shanghai' }, { name: LedgerJob.VerifyChain });
  }
}
