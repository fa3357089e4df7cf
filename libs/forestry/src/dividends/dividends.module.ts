import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { PiiModule } from '../parties/pii.module';
import { DividendsService } from './dividends.service';
import { PayoutsService } from './payouts.service';

/** Project income and costs, dividend declarations and their distribution, payouts to bank cards. */
@Module({
  imports: [LedgerModule, PiiModule],
  providers: [DividendsService, PayoutsService],
  exports: [DividendsService, PayoutsService],
})
export class DividendsModule {}
