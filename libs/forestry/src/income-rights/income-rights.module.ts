import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { TicketsModule } from '../tickets/tickets.module';
import { IncomeRightsService } from './income-rights.service';

/** Collective income-right schemes (集体林地收益权证书): a project kind and a plan over the 林票 machinery. */
@Module({
  imports: [LedgerModule, TicketsModule],
  providers: [IncomeRightsService],
  exports: [IncomeRightsService],
})
export class IncomeRightsModule {}
