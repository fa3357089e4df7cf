import { Injectable } from '@nestjs/common';
import { DomainError } from '@forest-ledger/ledger/domain/errors';
import { DataSource, EntityManager } from 'typeorm';
import { inTransaction } from '../database/transaction';

export interface CommandResult<T> {
  status: number;
  body: T;
}

export interface IdempotentResult<T> extends CommandResult<T> {
  replayed: boolean;
}

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:\-]{8,200}$/;

/**
 * Runs a command at most once per key. The key row is inserted first, in the command's own
 * transaction: a concurrent request with the same key blocks on the unique index until the first
 * commits (then replays its answer) or rolls back (then runs itself). A failed command leaves no
 * row, so it may be retried with the same key.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly dataSource: DataSource) {}

  execute<T>(key: string, fingerprint: string, work: (em: EntityManager) => Promise<CommandResult<T>>): Promise<IdempotentResult<T>> {
    return inTransaction(this.dataSource, async (em) => {
      const claimed: unknown[] = await em.query(
        `INSERT INTO idempotency_requests (key, request_hash) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, fingerprint],
      );
      if (claimed.length === 0) {
        const [first] = (await em.query(`SELECT request_hash, response_status, response_body FROM idempotency_requests WHERE key = $1`, [key])) as Array<{
          request_hash: string;
          response_status: number;
          response_body: T;
        }>;
        if (first.request_hash !== fingerprint) {
          throw new DomainError('conflict', 'IDEMPOTENCY_CONFLICT', `Idempotency-Key ${key} was already used for a different request`, 'Idempotency-Key');
        }
        return { status: first.response_status, body: first.response_body, replayed: true };
      }
      const result = await work(em);
      await em.query(`UPDATE idempotency_requests SET response_status = $2, response_body = $3 WHERE key = $1`, [key, result.status, JSON.stringify(result.body)]);
      return { ...result, replayed: false };
    });
  }
}
