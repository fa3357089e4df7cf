import { Module } from '@nestjs/common';
import { Env } from '@forest-ledger/platform';
import { PiiModule } from '../parties/pii.module';
import { SMS_PROVIDER, SmsNotifier } from './sms-notifier.service';
import { HttpSmsProvider, LogSmsProvider, SmsProvider } from './sms-provider';

/** The villagers' SMS notifier and its provider, chosen by SMS_PROVIDER (log in development, http for a gateway). */
export function smsProviderFrom(env: Env): SmsProvider {
  if (env.SMS_PROVIDER === 'http') return new HttpSmsProvider({ url: env.SMS_HTTP_URL, key: env.SMS_HTTP_KEY, keyId: env.SMS_HTTP_KEY_ID, timeoutMs: env.SMS_HTTP_TIMEOUT_MS });
  return new LogSmsProvider();
}

@Module({
  imports: [PiiModule],
  providers: [{ provide: SMS_PROVIDER, inject: [Env], useFactory: smsProviderFrom }, SmsNotifier],
  exports: [SmsNotifier],
})
export class NotificationsModule {}
