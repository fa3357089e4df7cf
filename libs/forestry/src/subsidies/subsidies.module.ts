import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { ParcelsModule } from '../parcels/parcels.module';
import { SubsidyClaimsService } from './subsidy-claims.service';
import { SubsidyClawbacksService } from './subsidy-clawbacks.service';
import { SubsidyInstalmentsService } from './subsidy-instalments.service';
import { SubsidyProgrammesService } from './subsidy-programmes.service';
import { SubsidyReportsService } from './subsidy-reports.service';
import { TransferContractsService } from './transfer-contracts.service';

const SERVICES = [TransferContractsService, SubsidyProgrammesService, SubsidyClaimsService, SubsidyInstalmentsService, SubsidyClawbacksService, SubsidyReportsService];

@Module({
  imports: [LedgerModule, ParcelsModule],
  providers: SERVICES,
  exports: SERVICES,
})
export class SubsidiesModule {}
