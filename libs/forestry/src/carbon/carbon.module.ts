import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { ParcelsModule } from '../parcels/parcels.module';
import { TicketsModule } from '../tickets/tickets.module';
import { CarbonService } from './carbon.service';

/** Forestry carbon credits: projects, issuance, listings, orders with revenue sharing, retirements. */
@Module({
  imports: [LedgerModule, ParcelsModule, TicketsModule],
  providers: [CarbonService],
  exports: [CarbonService],
})
export class CarbonModule {}
