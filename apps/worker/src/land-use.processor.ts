import { DomainError } from '@forest-ledger/common';
import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { businessToday, LandUseDailyRun, LandUseReceivablesService } from '@forest-ledger/forestry';
import { Env, inTransaction, QueueName, ScheduledJobData, ScheduledRunsStore, UNBOUNDED_STALLS, workerConnection } from '@forest-ledger/platform';
import { Job, UnrecoverableError } from 'bullmq';
import { DataSource } from 'typeorm';
import { LandUseJob } from './schedules';

export { LandUseJob };
export type LandUseRunJobData = ScheduledJobData;

/**
 * The daily run of the paid-use contracts: thin, one transaction per run. Idempotent per contract,
 * period and day, so a retried or doubled job books nothing twice. A domain refusal is final. A
 * scheduled job (the reconciler's, with `schedule`) runs once per day: null when the day is done.
 */
@Processor(QueueName.LandUse)
export class LandUseProcessor extends WorkerHost {
  private readonly logger = new Logger(LandUseProcessor.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly landUse: LandUseReceivablesService,
    private readonly runs: ScheduledRunsStore,
    env: Env,
  ) {
    super();
    // A dead worker's job is taken over as often as it takes (its runs are idempotent): a crash never fails a day's run for good.
    Processor(QueueName.LandUse, { connection: workerConnection(env), maxStalledCount: UNBOUNDED_STALLS })(LandUseProcessor);
  }

  async process(job: Job<LandUseRunJobData>): Promise<LandUseDailyRun | null> {
    if (job.name !== LandUseJob.RunDaily) throw new UnrecoverableError(`unknown job ${job.name} on queue ${QueueName.LandUse}`);
    const asOf = job.data?.asOf ?? businessToday();
    const run = () => inTransaction(this.dataSource, (em) => this.landUse.runDaily(em, asOf));
    try {
      const outcome = job.data?.schedule ? await this.runs.runOnce(job.data.schedule, asOf, run) : await run();
      this.logger.log({ asOf, outcome }, outcome ? 'land-use daily run finished' : 'land-use daily run already done for the day');
      return outcome;
    } catch (error) {
      if (error instanceof DomainError) throw new UnrecoverableError(`${error.code}: ${error.message}`);
      throw error;
    }
  }
}
