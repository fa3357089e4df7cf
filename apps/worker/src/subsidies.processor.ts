import { DomainError } from '@forest-ledger/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { businessToday, DuePaymentsReport, SubsidyInstalmentsService } from '@forest-ledger/forestry';
import { Env, QueueName, ScheduledJobData, ScheduledRunsStore, UNBOUNDED_STALLS, workerConnection } from '@forest-ledger/platform';
import { Job, UnrecoverableError } from 'bullmq';
import { SubsidyJob } from './schedules';

export { SubsidyJob };
export type SubsidyPayDueJobData = ScheduledJobData;

/**
 * Thin: the service pays each due instalment in its own transaction with a deterministic entry key
 * (subsidy-payment:<claim>:<seq>), so a retried or doubled job pays nothing twice. A scheduled job
 * (the reconciler's, with `schedule`) runs once per day: null when the day is done.
 */
@Processor(QueueName.Subsidies)
export class SubsidiesProcessor extends WorkerHost {
  private readonly logger = new Logger(SubsidiesProcessor.name);

  constructor(
    private readonly instalments: SubsidyInstalmentsService,
    private readonly runs: ScheduledRunsStore,
    env: Env,
  ) {
    super();
    // A dead worker's job is taken over as often as it takes (its runs are idempotent): a crash never fails a day's run for good.
    Processor(QueueName.Subsidies, { connection: workerConnection(env), maxStalledCount: UNBOUNDED_STALLS })(SubsidiesProcessor);
  }

  async process(job: Job<SubsidyPayDueJobData>): Promise<DuePaymentsReport | null> {
    if (job.name !== SubsidyJob.PayDue) throw new UnrecoverableError(`unknown job ${job.name} on queue ${QueueName.Subsidies}`);
    const asOf = job.data?.asOf ?? businessToday();
    const run = () => this.instalments.payDueInstalments(asOf);
    try {
      const report = job.data?.schedule ? await this.runs.runOnce(job.data.schedule, asOf, run) : await run();
      this.logger.log({ asOf, report }, report ? 'subsidy instalments paid' : 'subsidy instalments already paid for the day');
      return report;
    } catch (error) {
      if (error instanceof DomainError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  }
}
