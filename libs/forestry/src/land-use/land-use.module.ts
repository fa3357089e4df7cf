import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { ParcelsModule } from '../parcels/parcels.module';
import { TicketsModule } from '../tickets/tickets.module';
import { LandUseClosingService } from './land-use-closing.service';
import { LandUseContractsService } from './land-use-contracts.service';
import { LandUseReceivablesService } from './land-use-receivables.service';
import { LandUseReportsService } from './land-use-reports.service';
import { LandUseViews } from './land-use-views';

/** Paid use of state forest land: contracts, schedules, receivables, late fees, deposits, the close, reports; EQUITY books into a project (TicketsModule's ProjectsService). */
@Module({
  imports: [LedgerModule, ParcelsModule, TicketsModule],
  providers: [LandUseViews, LandUseContractsService, LandUseReceivablesService, LandUseClosingService, LandUseReportsService],
  exports: [LandUseContractsService, LandUseReceivablesService, LandUseClosingService, LandUseReportsService],
})
export class LandUseModule {}
