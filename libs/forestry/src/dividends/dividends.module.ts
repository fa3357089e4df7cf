import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { PiiModule } from '../parties/pii.module';
import { RegionsService } from '../regions/regions.service';
import { TicketsModule } from '../tickets/tickets.module';
import { BankCardsService } from './bank-cards.service';
import { ProjectCashFlowsService } from './cash-flows.service';
import { DividendDeclarationsService } from './dividend-declarations.service';
import { DividendDistributionService } from './dividend-distribution.service';
import { PayoutsService } from './payouts.service';

const SERVICES = [ProjectCashFlowsService, DividendDeclarationsService, DividendDistributionService, PayoutsService, BankCardsService];

/** Project income and costs, dividend declarations and their distribution, payouts to bank cards. */
@Module({
  imports: [LedgerModule, PiiModule, TicketsModule],
  // RegionsService is a plain reader of regions (payout scopes); PartiesModule would bring access and Redis into the worker.
  providers: [...SERVICES, RegionsService],
  exports: SERVICES,
})
export class DividendsModule {}
