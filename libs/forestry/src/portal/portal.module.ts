import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { DividendsModule } from '../dividends/dividends.module';
import { TicketsModule } from '../tickets/tickets.module';
import { PortalService } from './portal.service';

/** The villagers' page: a holder's own tickets, dividends, wallet, payouts and annual statement. */
@Module({
  imports: [LedgerModule, DividendsModule, TicketsModule],
  providers: [PortalService],
  exports: [PortalService],
})
export class PortalModule {}
