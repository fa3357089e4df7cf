import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { ParcelsModule } from '../parcels/parcels.module';
import { TicketsModule } from '../tickets/tickets.module';
import { CarbonIssuanceService } from './carbon-issuance.service';
import { CarbonMarketService } from './carbon-market.service';
import { CarbonProjectsService } from './carbon-projects.service';
import { CarbonReadsService } from './carbon-reads.service';
import { CarbonRetirementService } from './carbon-retirement.service';
import { CarbonRevenueService } from './carbon-revenue.service';

const SERVICES = [CarbonProjectsService, CarbonRevenueService, CarbonIssuanceService, CarbonMarketService, CarbonRetirementService, CarbonReadsService];

/** Forestry carbon credits: projects and revenue rules, issuance, listings and orders with revenue sharing, retirements; the reads of their routes. */
@Module({
  imports: [LedgerModule, ParcelsModule, TicketsModule],
  providers: SERVICES,
  exports: SERVICES,
})
export class CarbonModule {}
