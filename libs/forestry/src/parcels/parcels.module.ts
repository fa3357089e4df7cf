import { Module } from '@nestjs/common';
import { PiiModule } from '../parties/pii.module';
import { ParcelsService } from './parcels.service';

@Module({
  imports: [PiiModule],
  providers: [ParcelsService],
  exports: [ParcelsService],
})
export class ParcelsModule {}
