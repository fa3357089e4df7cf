import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { Env } from '@forest-ledger/platform';
import { AccessService } from './access.service';
import { AuditService } from './audit.service';

@Module({
  imports: [JwtModule.registerAsync({ inject: [Env], useFactory: (env: Env) => ({ secret: env.JWT_SECRET, signOptions: { algorithm: 'HS256' }, verifyOptions: { algorithms: ['HS256'] } }) })],
  providers: [AccessService, AuditService],
  exports: [AccessService, AuditService],
})
export class AccessModule {}
