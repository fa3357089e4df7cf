import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { DatabaseModule, LoggingModule, PlatformConfigModule, QueueModule } from '@forest-ledger/platform';
import { LedgerProcessor, LedgerSchedules } from './ledger.processor';

/** The background entrypoint: BullMQ processors over the shared libs, no HTTP. */
@Module({
  imports: [PlatformConfigModule, LoggingModule, DatabaseModule, QueueModule, LedgerModule],
  providers: [LedgerProcessor, LedgerSchedules],
})
export class WorkerModule {}
