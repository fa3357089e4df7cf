import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { ChainReport, ChainVerifier } from '@forest-ledger/ledger';
import { Env, LedgerJob, QueueName, ScheduledJobData, ScheduledRunsStore, workerConnection } from '@forest-ledger/platform';
import { Job } from 'bullmq';

/**
 * Ledger maintenance: the hash-chain verification, nightly (the reconciler's job, with `schedule` and
 * the day: once per day, null when done) and on demand.
 */
@Processor(QueueName.Ledger)
export class LedgerProcessor extends WorkerHost {
  private readonly logger = new Logger(LedgerProcessor.name);

  constructor(
    private readonly verifier: ChainVerifier,
    private readonly runs: ScheduledRunsStore,
    env: Env,
  ) {
    super();
    Processor(QueueName.Ledger, { connection: workerConnection(env) })(LedgerProcessor);
  }

  async process(job: Job<ScheduledJobData>): Promise<ChainReport | null> {
    switch (job.name) {
      case LedgerJob.VerifyChain: {
        const verify = () => this.verifier.verify();
        const report = job.data?.schedule && job.data.asOf ? await this.runs.runOnce(job.data.schedule, job.data.asOf, verify) : await verify();
        if (report === null) this.logger.log({ day: job.data.asOf }, 'ledger chain already verified for the day');
        else if (report.ok) this.logger.log({ report }, 'ledger chain verified');
        else this.logger.error({ report }, 'ledger chain BROKEN');
        return report;
      }
      default:
        throw new Error(`unknown job ${job.name} on queue ${QueueName.Ledger}`);
    }
  }
}
