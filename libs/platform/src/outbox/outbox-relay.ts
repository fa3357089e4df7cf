import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { publishCommitted } from './outbox.store';

/**
 * The relay that turns committed outbox rows into the gapless feed (issue 17). Each run is one short
 * transaction under an advisory lock (one relay at a time across processes; never a ledger lock).
 * A row gets its feed sequence only once every transaction older than it has ended, so a consumer
 * paging by sequence never skips a late committer. The worker runs it in a loop (OutboxRelayLoop).
 */
@Injectable()
export class OutboxRelay {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Publishes what is ready; returns how many events got a sequence (0 when another relay held the lock). */
  async publishOnce(limit?: number): Promise<number> {
    return this.dataSource.transaction((em) => publishCommitted(em, limit));
  }

  /** Publishes until nothing more is ready (tests and shutdown). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.publishOnce();
      total += n;
      if (n === 0) return total;
    }
  }
}
