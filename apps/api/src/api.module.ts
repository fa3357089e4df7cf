import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { LedgerModule, PostCoalescer } from '@forest-ledger/ledger';
import { DatabaseModule, IdempotencyModule, LoggingModule, PlatformConfigModule, QueueModule, RedisModule } from '@forest-ledger/platform';
import { HealthController } from './health/health.controller';
import { ErrorFilter } from './http/error.filter';
import { CommandRunner, IdempotencyKeyGuard } from './http/idempotency';
import { AccountsController } from './ledger/accounts.controller';
import { AssetsController } from './ledger/assets.controller';
import { EntriesController } from './ledger/entries.controller';
import { ReportsController } from './ledger/reports.controller';

/** The HTTP entrypoint: controllers over the shared libs. */
@Module({
  imports: [PlatformConfigModule, LoggingModule, DatabaseModule, QueueModule, RedisModule, IdempotencyModule, LedgerModule],
  controllers: [HealthController, AssetsController, AccountsController, EntriesController, ReportsController],
  providers: [CommandRunner, PostCoalescer, { provide: APP_FILTER, useClass: ErrorFilter }, { provide: APP_GUARD, useClass: IdempotencyKeyGuard }],
})
export class ApiModule {}
