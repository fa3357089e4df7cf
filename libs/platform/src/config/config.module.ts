import { Global, Module } from '@nestjs/common';
import { Env, loadEnv } from './env';

/** Provides the validated `Env` everywhere. Boot fails here, listing every bad variable. */
@Global()
@Module({
  providers: [{ provide: Env, useFactory: () => loadEnv() }],
  exports: [Env],
})
export class PlatformConfigModule {}
