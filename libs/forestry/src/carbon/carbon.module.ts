import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { ParcelsModule } from '../parcels/parcels.module';
import { TicketsModule } from '../tickets/tickets.module';
import { CarbonReadsService } from './carbon-reads.service';
import { CarbonService } from './carbon.service';

/** Forestry carbon credits: projects, issuance, listings, orders with revenue sharing, retirements; the scoped reads of their routes. */
@Module({
  imports: [LedgerModule, ParcelsModule, TicketsModule],
  providers: [CarbonService, CarbonReadsService],
  exports: [CarbonService, CarbonReadsService],
})
export class CarbonModule {}
