import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { TicketMarketService } from '@forest-ledger/forestry';
import { ChainReport, ChainVerifier } from '@forest-ledger/ledger';
import { Env, LedgerJob, QueueName, ScheduledJobData, ScheduledRunsStore, UNBOUNDED_STALLS, workerConnection } from '@forest-ledger/platform';
import { Job } from 'bullmq';
import { TicketJob } from './schedules';

/**
 * Ledger maintenance: the hash-chain verification, nightly (the reconciler's job, with `schedule` and
 * the day: once per day, null when done) and on demand; and the daily expiry of 林票 listings (their
 * unsold units go back to the holders).
 */
@Processor(QueueName.Ledger)
export class LedgerProcessor extends WorkerHost {
  private readonly logger = new Logger(LedgerProcessor.name);

  constructor(
    private readonly verifier: ChainVerifier,
    private readonly runs: ScheduledRunsStore,
    private readonly market: TicketMarketService,
    env: Env,
  ) {
    super();
    // A dead worker's job is taken over as often as it takes (its runs are idempotent): a crash never fails a day's run for good.
    Processor(QueueName.Ledger, { connection: workerConnection(env), maxStalledCount: UNBOUNDED_STALLS })(LedgerProcessor);
  }

  async process(job: Job<ScheduledJobData>): Promise<ChainReport | { expired: string[] } | null> {
    switch (job.name) {
      case TicketJob.ExpireListings: {
        const expire = async () => {
          const outcome = await this.market.expireDue(job.data?.asOf);
          if (outcome.refused.length > 0) this.logger.warn({ refused: outcome.refused }, 'some 林票 listings could not be expired');
          return { expired: outcome.expired };
        };
        const outcome = job.data?.schedule && job.data.asOf ? await this.runs.runOnce(job.data.schedule, job.data.asOf, expire) : await expire();
        this.logger.log({ day: job.data?.asOf, outcome }, '林票 listings past their last day expired');
        return outcome;
      }
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
