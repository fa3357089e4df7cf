import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { RegionsService } from '../regions/regions.service';
import { PartiesService } from './parties.service';
import { PiiModule } from './pii.module';

/**
 * Regions and parties (with their wallets, deactivation approvals and roster imports). Uses the global
 * AccessModule, which the application registers with this feature's PartyAccessDirectory.
 */
@Module({
  imports: [LedgerModule, PiiModule],
  providers: [RegionsService, PartiesService],
  exports: [RegionsService, PartiesService],
})
export class PartiesModule {}
