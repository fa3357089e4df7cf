import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { ParcelsModule } from '../parcels/parcels.module';
import { TicketsModule } from '../tickets/tickets.module';
import { LandUseReportsService } from './land-use-reports.service';
import { LandUseService } from './land-use.service';

/** Paid use of state forest land: contracts, schedules, receivables, late fees, deposits, reports; EQUITY books into a project (TicketsModule's ProjectsService). */
@Module({
  imports: [LedgerModule, ParcelsModule, TicketsModule],
  providers: [LandUseService, LandUseReportsService],
  exports: [LandUseService, LandUseReportsService],
})
export class LandUseModule {}
