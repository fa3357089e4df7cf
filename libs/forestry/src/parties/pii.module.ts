import { Global, Module } from '@nestjs/common';
import { Env } from '@forest-ledger/platform';
import { PiiCipher } from './pii';

@Global()
@Module({
  providers: [{ provide: PiiCipher, inject: [Env], useFactory: (env: Env) => new PiiCipher(env.PII_ENCRYPTION_KEY, env.PII_HMAC_KEY) }],
  exports: [PiiCipher],
})
export class PiiModule {}
