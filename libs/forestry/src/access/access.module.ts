import { Module } from '@nestjs/common';
import { AccessService } from './access.service';
import { AuditService } from './audit.service';

@Module({
  providers: [AccessService, AuditService],
  exports: [AccessService, AuditService],
})
export class AccessModule {}
