import { Injectable, Module } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LedgerModule, LedgerService } from '@forest-ledger/ledger';
import { DatabaseModule, PlatformConfigModule, RedisModule } from '@forest-ledger/platform';
import { DataSource } from 'typeorm';
import { AccessModule } from '../access/access.module';
import { ParcelsModule } from '../parcels/parcels.module';
import { ParcelsService } from '../parcels/parcels.service';
import { PartiesModule } from '../parties/parties.module';
import { PartiesService } from '../parties/parties.service';
import { PiiModule } from '../parties/pii.module';
import { RegionsService } from '../regions/regions.service';
import { loadDemoData } from './demo-set';

/** Loads the demo set through the real services (see demo-set.ts). */
@Injectable()
export class DemoLoader {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly regions: RegionsService,
    private readonly parties: PartiesService,
    private readonly parcels: ParcelsService,
  ) {}

  /** True when the set was loaded; false (nothing written) when the ledger has an asset or a party exists. */
  load(): Promise<boolean> {
    return loadDemoData(this.dataSource, { ledger: this.ledger, regions: this.regions, parties: this.parties, parcels: this.parcels });
  }
}

/**
 * What the start script boots (as an application context, no HTTP) to load the demo set: config,
 * database, Redis (AccessService needs it to exist, though loading never calls it), ledger, parties, parcels.
 */
@Module({
  imports: [PlatformConfigModule, DatabaseModule, RedisModule, LedgerModule, PiiModule, AccessModule, PartiesModule, ParcelsModule],
  providers: [DemoLoader],
  exports: [DemoLoader],
})
export class DemoModule {}
