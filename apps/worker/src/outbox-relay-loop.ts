import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { OutboxRelay } from '@forest-ledger/platform';

/** How often the worker publishes committed outbox events into the feed (issue 17). */
export const OUTBOX_RELAY_INTERVAL_MS = 250;

/**
 * Runs the outbox relay in the worker: every OUTBOX_RELAY_INTERVAL_MS, publish what is ready. Several
 * workers are safe (the relay's advisory lock lets one publish at a time); a failed run (PostgreSQL
 * down) is logged and retried at the next tick, and nothing is lost since the rows wait in the outbox.
 */
@Injectable()
export class OutboxRelayLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(OutboxRelayLoop.name);
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly relay: OutboxRelay) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running === null) this.running = this.tick().finally(() => (this.running = null));
    }, OUTBOX_RELAY_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      await this.relay.drain();
    } catch (error) {
      this.logger.warn({ err: error }, 'outbox relay run failed; retrying at the next tick');
    }
  }
}
