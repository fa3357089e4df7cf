import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { AccessModule } from '../access/access.module';
import { RegionsService } from '../regions/regions.service';
import { PartiesService } from './parties.service';
import { PiiModule } from './pii.module';

/** Regions and parties (with their wallets, deactivation approvals and roster imports). */
@Module({
  imports: [LedgerModule, AccessModule, PiiModule],
  providers: [RegionsService, PartiesService],
  exports: [RegionsService, PartiesService],
})
export class PartiesModule {}
