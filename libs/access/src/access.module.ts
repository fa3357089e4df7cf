import { DynamicModule, Global, Module, Type } from '@nestjs/common';
import { AccessParties } from './access-parties';
import { AccessService } from './access.service';
import { ApprovalsService } from './approvals.service';
import { AuditService } from './audit.service';

/**
 * Users, tokens, API keys, the audit trail and four-eyes approvals. Global, registered once by the
 * application with the parties feature's answer to AccessParties: features use it, it uses none.
 */
@Global()
@Module({})
export class AccessModule {
  static withParties(parties: Type<AccessParties>): DynamicModule {
    return {
      module: AccessModule,
      providers: [{ provide: AccessParties, useClass: parties }, AccessService, AuditService, ApprovalsService],
      exports: [AccessService, AuditService, ApprovalsService],
    };
  }
}
