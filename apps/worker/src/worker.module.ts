import { Module } from '@nestjs/common';
import { DividendsModule, LandUseModule, SubsidiesModule } from '@forest-ledger/forestry';
import { LedgerModule } from '@forest-ledger/ledger';
import { DatabaseModule, LoggingModule, PlatformConfigModule, QueueModule } from '@forest-ledger/platform';
import { DividendsProcessor } from './dividends.processor';
import { LandUseProcessor, LandUseSchedules } from './land-use.processor';
import { SubsidiesProcessor, SubsidiesSchedules } from './subsidies.processor';
import { LedgerProcessor, LedgerSchedules } from './ledger.processor';

/** The background entrypoint: BullMQ processors over the shared libs, no HTTP. */
@Module({
  imports: [PlatformConfigModule, LoggingModule, DatabaseModule, QueueModule, LedgerModule, DividendsModule, LandUseModule, SubsidiesModule],
  providers: [LedgerProcessor, LedgerSchedules, DividendsProcessor, LandUseProcessor, LandUseSchedules, SubsidiesProcessor, SubsidiesSchedules],
})
export class WorkerModule {}
