import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { SmsNotifier } from '@forest-ledger/forestry';
import { Env } from '@forest-ledger/platform';

/**
 * Runs the villagers' SMS notifier in the worker (issue 17): every SMS_NOTIFIER_INTERVAL_MS it handles the
 * dividend and payout events after its cursor. Its claims make several workers safe (a pair is sent once);
 * a failed run (PostgreSQL down) is logged and retried at the next tick from the stored cursor.
 */
@Injectable()
export class SmsNotifierLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SmsNotifierLoop.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly notifier: SmsNotifier,
    private readonly env: Env,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running === null) this.running = this.tick().finally(() => (this.running = null));
    }, this.env.SMS_NOTIFIER_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      await this.notifier.runOnce();
    } catch (error) {
      this.logger.warn({ err: error }, 'villager SMS run failed; retrying at the next tick');
    }
  }
}
