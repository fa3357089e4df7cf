import { AccessModule } from '@forest-ledger/access';
import { Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LedgerModule, LedgerService } from '@forest-ledger/ledger';
import { DatabaseModule, PlatformConfigModule, RedisModule } from '@forest-ledger/platform';
import { DataSource } from 'typeorm';
import { DividendsModule } from '../dividends/dividends.module';
import { ProjectCashFlowsService } from '../dividends/cash-flows.service';
import { DividendDeclarationsService } from '../dividends/dividend-declarations.service';
import { DividendDistributionService } from '../dividends/dividend-distribution.service';
import { ParcelsModule } from '../parcels/parcels.module';
import { ParcelsService } from '../parcels/parcels.service';
import { PartiesModule } from '../parties/parties.module';
import { PartiesService } from '../parties/parties.service';
import { PartyAccessDirectory } from '../parties/party-access';
import { PiiModule } from '../parties/pii.module';
import { ProjectsService } from '../projects/projects.service';
import { RegionsService } from '../regions/regions.service';
import { TicketMarketService } from '../tickets/market.service';
import { MovementsService } from '../tickets/movements.service';
import { SeriesService } from '../tickets/series.service';
import { TicketsModule } from '../tickets/tickets.module';
import { loadDemoData } from './demo-set';
import { DisclosuresModule } from '../disclosures/disclosures.module';
import { DisclosuresService } from '../disclosures/disclosures.service';
import { IncomeRightsModule } from '../income-rights/income-rights.module';
import { IncomeRightsService } from '../income-rights/income-rights.service';

/** Loads the demo set through the real services (see demo-set.ts). */
@Injectable()
export class DemoLoader {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly regions: RegionsService,
    private readonly parties: PartiesService,
    private readonly parcels: ParcelsService,
    private readonly projects: ProjectsService,
    private readonly series: SeriesService,
    private readonly movements: MovementsService,
    private readonly cashFlows: ProjectCashFlowsService,
    private readonly declarations: DividendDeclarationsService,
    private readonly distribution: DividendDistributionService,
    private readonly disclosures: DisclosuresService,
    private readonly incomeRights: IncomeRightsService,
    private readonly market: TicketMarketService,
  ) {}

  /** True when the set was loaded; false (nothing written) when the ledger has an asset or a party exists. */
  load(): Promise<boolean> {
    return loadDemoData(this.dataSource, {
      ledger: this.ledger,
      regions: this.regions,
      parties: this.parties,
      parcels: this.parcels,
      projects: this.projects,
      series: this.series,
      movements: this.movements,
      dividends: { cashFlows: this.cashFlows, declarations: this.declarations, distribution: this.distribution },
      disclosures: this.disclosures,
      incomeRights: this.incomeRights,
      market: this.market,
    });
  }
}

/**
 * What the start script boots (as an application context, no HTTP) to load the demo set: config,
 * database, Redis (AccessService needs it to exist, though loading never calls it), ledger, parties,
 * parcels, projects, 林票, dividends, 公示 and income-right schemes.
 */
@Module({
  imports: [
    PlatformConfigModule,
    DatabaseModule,
    RedisModule,
    LedgerModule,
    PiiModule,
    AccessModule.withParties(PartyAccessDirectory),
    PartiesModule,
    ParcelsModule,
    TicketsModule,
    DividendsModule,
    DisclosuresModule,
    IncomeRightsModule,
  ],
  providers: [DemoLoader],
  exports: [DemoLoader],
})
export class DemoModule {}
