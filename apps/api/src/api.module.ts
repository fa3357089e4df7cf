import { EventsController } from './events/events.controller';
import { EventsFeedService, WebhooksModule } from '@forest-ledger/forestry';
import { WebhooksController } from './webhooks/webhooks.controller';
import { Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD } from '@nestjs/core';
import { AccessModule } from '@forest-ledger/access';
import {
  CarbonModule,
  ClaimsModule,
  IncomeRightsModule,
  ParcelsModule,
  PartiesModule,
  PiiModule,
  SubsidiesModule,
  TicketsModule,
  LandUseModule,
  DividendsModule,
  PortalModule,
  DisclosuresModule,
  PartyAccessDirectory,
} from '@forest-ledger/forestry';
import { DIVIDEND_CONTROLLERS } from './dividends/dividends.controllers';
import { LAND_USE_CONTROLLERS } from './land-use/land-use.controllers';
import { AuditedCommits } from './auth/audited-commits';
import { AuthController } from './auth/auth.controller';
import { AuthGuard } from './auth/auth.guard';
import { CarbonMarketController } from './carbon/carbon-market.controller';
import { CarbonProjectsController } from './carbon/carbon-projects.controller';
import { CarbonPublicController } from './carbon/carbon-public.controller';
import { LedgerModule } from '@forest-ledger/ledger';
import { PostCoalescer } from './ledger/post-coalescer';
import { BatchCoalescer } from './ledger/batch-coalescer';
import { DatabaseModule, IdempotencyModule, LoggingModule, MetricsModule, PlatformConfigModule, QueueModule, ReadDatabaseModule, RedisModule } from '@forest-ledger/platform';
import { ReadRoutingInterceptor } from './http/read-routing.interceptor';
import { LedgerMetrics } from './observability/http-metrics';
import { HealthController } from './health/health.controller';
import { ErrorFilter } from './http/error.filter';
import { CommandRunner, IdempotencyKeyGuard } from './http/idempotency';
import { AccountsController } from './ledger/accounts.controller';
import { AssetsController } from './ledger/assets.controller';
import { EntriesController } from './ledger/entries.controller';
import { ReportsController } from './ledger/reports.controller';
import { ParcelsController } from './parcels/parcels.controller';
import { ApprovalsController } from './parties/approvals.controller';
import { PartiesController } from './parties/parties.controller';
import { PortalController } from './portal/portal.controller';
import { DisclosurePageController } from './portal/disclosure-page.controller';
import { DisclosuresController } from './disclosures/disclosures.controller';
import { RegionsController } from './parties/regions.controller';
import { ProjectsController } from './projects/projects.controller';
import { IncomeRightsController } from './income-rights/income-rights.controller';
import { CertificatesController } from './tickets/certificates.controller';
import { TicketsController } from './tickets/tickets.controller';
import { TicketMarketController } from './tickets/market.controller';
import { SUBSIDY_CONTROLLERS } from './subsidies/subsidies.controllers';

/** The HTTP entrypoint: controllers over the shared libs. */
@Module({
  imports: [
    PlatformConfigModule,
    LoggingModule,
    DatabaseModule,
    ReadDatabaseModule,
    QueueModule,
    RedisModule,
    IdempotencyModule,
    MetricsModule,
    LedgerModule,
    PiiModule,
    WebhooksModule,
    AccessModule.withParties(PartyAccessDirectory),
    ParcelsModule,
    PartiesModule,
    TicketsModule,
    CarbonModule,
    ClaimsModule,
    IncomeRightsModule,
    SubsidiesModule,
    LandUseModule,
    DividendsModule,
    PortalModule,
    DisclosuresModule,
  ],
  controllers: [
    HealthController,
    AuthController,
    AssetsController,
    AccountsController,
    EntriesController,
    ReportsController,
    ParcelsController,
    RegionsController,
    PartiesController,
    ApprovalsController,
    ProjectsController,
    IncomeRightsController,
    TicketsController,
    TicketMarketController,
    CertificatesController,
    CarbonProjectsController,
    CarbonMarketController,
    CarbonPublicController,
    ...SUBSIDY_CONTROLLERS,
    ...LAND_USE_CONTROLLERS,
    ...DIVIDEND_CONTROLLERS,
    PortalController,
    DisclosurePageController,
    DisclosuresController,
    EventsController,
    WebhooksController,
  ],
  providers: [
    CommandRunner,
    PostCoalescer,
    BatchCoalescer,
    EventsFeedService,
    AuditedCommits,
    LedgerMetrics,
    // Global only with a replica (configureApp): without one it has nothing to do.
    ReadRoutingInterceptor,
    { provide: APP_FILTER, useClass: ErrorFilter },
    // Guards run in this order: who is calling, then the Idempotency-Key check, which marks the request for
    // its audit row (audit-hooks.ts, installed by configureApp): keep it last.
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_GUARD, useClass: IdempotencyKeyGuard },
  ],
})
export class ApiModule {}
