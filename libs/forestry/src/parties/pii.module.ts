import { Global, Module } from '@nestjs/common';
import { Env, keyRing } from '@forest-ledger/platform';
import { PiiCipher } from './pii';

@Global()
@Module({
  providers: [{ provide: PiiCipher, inject: [Env], useFactory: (env: Env) => new PiiCipher(keyRing(env, 'PII_ENCRYPTION_KEYS'), keyRing(env, 'PII_HMAC_KEYS')) }],
  exports: [PiiCipher],
})
export class PiiModule {}
