import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { PartiesModule } from '../parties/parties.module';
import { PiiModule } from '../parties/pii.module';
import { TicketsModule } from '../tickets/tickets.module';
import { BankCardsService } from './bank-cards.service';
import { ProjectCashFlowsService } from './cash-flows.service';
import { DividendDeclarationsService } from './dividend-declarations.service';
import { DividendDistributionService } from './dividend-distribution.service';
import { PayoutsService } from './payouts.service';

const SERVICES = [ProjectCashFlowsService, DividendDeclarationsService, DividendDistributionService, PayoutsService, BankCardsService];

/** Project income and costs, dividend declarations and their distribution, payouts to bank cards. */
@Module({
  imports: [LedgerModule, PiiModule, PartiesModule, TicketsModule],
  providers: SERVICES,
  exports: SERVICES,
})
export class DividendsModule {}
