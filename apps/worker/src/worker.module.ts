import { Module } from '@nestjs/common';
import { DividendsModule, LandUseModule, NotificationsModule, SubsidiesModule, TicketsModule, WebhooksModule } from '@forest-ledger/forestry';
import { LedgerModule } from '@forest-ledger/ledger';
import { DatabaseModule, LoggingModule, MetricsModule, OutboxRelay, PlatformConfigModule, QueueModule, ScheduledRunsStore } from '@forest-ledger/platform';
import { OutboxRelayLoop } from './outbox-relay-loop';
import { SmsNotifierLoop } from './sms-notifier-loop';
import { DividendsProcessor } from './dividends.processor';
import { LandUseProcessor } from './land-use.processor';
import { SubsidiesProcessor } from './subsidies.processor';
import { LedgerProcessor } from './ledger.processor';
import { PendingWorkReconciler } from './reconciler';
import { LegacySchedulers } from './legacy-schedulers';
import { WorkerMetrics } from './worker-metrics';
import { WebhooksProcessor } from './webhooks.processor';
import { WebhookDispatcher } from './webhook-dispatcher';

/** The background entrypoint: BullMQ processors over the shared libs and the reconciler that queues their work from PostgreSQL; no HTTP. */
@Module({
  imports: [
    PlatformConfigModule,
    LoggingModule,
    DatabaseModule,
    QueueModule,
    MetricsModule,
    LedgerModule,
    DividendsModule,
    LandUseModule,
    SubsidiesModule,
    TicketsModule,
    WebhooksModule,
    NotificationsModule,
  ],
  providers: [
    ScheduledRunsStore,
    OutboxRelay,
    OutboxRelayLoop,
    SmsNotifierLoop,
    LedgerProcessor,
    DividendsProcessor,
    LandUseProcessor,
    SubsidiesProcessor,
    PendingWorkReconciler,
    LegacySchedulers,
    WebhooksProcessor,
    WebhookDispatcher,
    WorkerMetrics,
  ],
})
export class WorkerModule {}
