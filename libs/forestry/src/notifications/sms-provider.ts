import { Logger } from '@nestjs/common';
import { createHmac } from 'node:crypto';

/** One SMS to one number. `reference` is stable per (event, party): a gateway may dedupe by it. */
export interface SmsMessage {
  to: string;
  text: string;
  reference: string;
}

/** What the gateway answered: its message id, when it gave one. */
export interface SmsReceipt {
  providerReference: string | null;
}

/** Where villagers' SMS go (issue 17): a generic HTTP gateway, or the log in development. */
export interface SmsProvider {
  readonly name: string;
  send(message: SmsMessage): Promise<SmsReceipt>;
}

/** The gateway refused or failed (an HTTP status outside 2xx, a timeout, no connection). */
export class SmsSendError extends Error {
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** The signature header's value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the key>`. */
export function smsSignature(key: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
}

/**
 * A generic HTTP SMS gateway: one POST of `{ to, text, reference }` (JSON) per message, signed with
 * HMAC-SHA256 over the timestamp and the body (X-Sms-Signature, the key's id in X-Sms-Key-Id), given up
 * after `timeoutMs`. A 2xx is sent (the gateway's `id` or `messageId` is kept); anything else is an error.
 */
export class HttpSmsProvider implements SmsProvider {
  readonly name = 'http';

  constructor(private readonly options: { url: string; key: string; keyId: string; timeoutMs: number }) {}

  async send(message: SmsMessage): Promise<SmsReceipt> {
    const body = JSON.stringify({ to: message.to, text: message.text, reference: message.reference });
    const timestamp = Math.floor(Date.now() / 1000);
    let response: Response;
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    try {
      response = await fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-sms-key-id': this.options.keyId, 'x-sms-signature': smsSignature(this.options.key, timestamp, body) },
        body,
        signal: timeout,
      });
    } catch (error) {
      const reason = timeout.aborted ? `no answer within ${this.options.timeoutMs} ms` : error instanceof Error ? error.message : String(error);
      throw new SmsSendError(`SMS gateway: ${reason}`, null);
    }
    const text = await response.text();
    if (!response.ok) throw new SmsSendError(`SMS gateway answered ${response.status}: ${text.slice(0, 200)}`, response.status);
    let reference: string | null = null;
    try {
      const parsed = JSON.parse(text) as { id?: unknown; messageId?: unknown };
      const id = parsed.id ?? parsed.messageId;
      reference = typeof id === 'string' || typeof id === 'number' ? String(id) : null;
    } catch {
      reference = null;
    }
    return { providerReference: reference };
  }
}

/** The development default: the message is logged with the number masked; nothing leaves the machine. */
export class LogSmsProvider implements SmsProvider {
  readonly name = 'log';
  private readonly logger = new Logger('SmsLog');

  send(message: SmsMessage): Promise<SmsReceipt> {
    this.logger.log({ to: `${message.to.slice(0, 3)}****${message.to.slice(-4)}`, text: message.text, reference: message.reference }, 'SMS (log provider: not sent)');
    return Promise.resolve({ providerReference: null });
  }
}
