import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { ParcelsModule } from '../parcels/parcels.module';
import { SubsidiesService } from './subsidies.service';
import { SubsidyReportsService } from './subsidy-reports.service';
import { TransferContractsService } from './transfer-contracts.service';

@Module({
  imports: [LedgerModule, ParcelsModule],
  providers: [TransferContractsService, SubsidiesService, SubsidyReportsService],
  exports: [TransferContractsService, SubsidiesService, SubsidyReportsService],
})
export class SubsidiesModule {}
