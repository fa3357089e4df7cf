import { Module } from '@nestjs/common';
import { DividendsModule } from '../dividends/dividends.module';
import { IncomeRightsModule } from '../income-rights/income-rights.module';
import { RegionsService } from '../regions/regions.service';
import { TicketsModule } from '../tickets/tickets.module';
import { DisclosuresService } from './disclosures.service';

/** Village disclosure (公示) of issuances and dividends before they go ahead. */
@Module({
  imports: [TicketsModule, DividendsModule, IncomeRightsModule],
  // RegionsService is a plain reader of regions.
  providers: [DisclosuresService, RegionsService],
  exports: [DisclosuresService],
})
export class DisclosuresModule {}
