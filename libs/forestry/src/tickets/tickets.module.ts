import { Module } from '@nestjs/common';
import { LedgerModule } from '@forest-ledger/ledger';
import { ParcelsModule } from '../parcels/parcels.module';
import { ProjectsService } from '../projects/projects.service';
import { CertificatesService } from './certificates.service';
import { TicketMarketService } from './market.service';
import { MovementsService } from './movements.service';
import { SeriesService } from './series.service';

/** Cooperation projects and their 林票: issuance, movements, register, certificates. */
@Module({
  imports: [LedgerModule, ParcelsModule],
  providers: [ProjectsService, SeriesService, MovementsService, CertificatesService, TicketMarketService],
  exports: [ProjectsService, SeriesService, MovementsService, CertificatesService, TicketMarketService],
})
export class TicketsModule {}
