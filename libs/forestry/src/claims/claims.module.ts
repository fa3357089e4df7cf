import { Module } from '@nestjs/common';
import { ParcelsModule } from '../parcels/parcels.module';
import { ParcelClaimsService } from './parcel-claims.service';

/** What holds a parcel, assembled from each owner's read (no tables of its own). */
@Module({
  imports: [ParcelsModule],
  providers: [ParcelClaimsService],
  exports: [ParcelClaimsService],
})
export class ClaimsModule {}
