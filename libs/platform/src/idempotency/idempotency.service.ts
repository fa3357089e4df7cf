import { Injectable } from '@nestjs/common';
import { DomainError } from '@forest-ledger/ledger/domain/errors';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '../database/prepared';
import { inTransaction } from '../database/transaction';

export interface CommandResult<T> {
  status: number;
  body: T;
}

export interface IdempotentResult<T> extends CommandResult<T> {
  replayed: boolean;
}

interface StoredAnswer<T> {
  requestHash: string;
  status: number;
  body: T;
}

export function idempotencyConflict(key: string): DomainError {
  return new DomainError('conflict', 'IDEMPOTENCY_CONFLICT', `Idempotency-Key ${key} was already used for a different request`, 'Idempotency-Key');
}

/** The first answer again, or a 409 when the key came with a different request. */
export function replayOf<T>(key: string, fingerprint: string, first: StoredAnswer<T>): IdempotentResult<T> {
  if (first.requestHash !== fingerprint) throw idempotencyConflict(key);
  return { status: first.status, body: first.body, replayed: true };
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
      const claimed = await preparedQuery<{ key: string }>(
        em,
        'idempotency_claim',
        `INSERT INTO idempotency_requests (key, request_hash) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`,
        [key, fingerprint],
      );
      if (claimed.length === 0) {
        const answers = await this.findAnswers<T>(em, [key]);
        return replayOf(key, fingerprint, answers.get(key)!);
      }
      const result = await work(em);
      await preparedQuery(em, 'idempotency_answer', `UPDATE idempotency_requests SET response_status = $2, response_body = $3 WHERE key = $1`, [
        key,
        result.status,
        JSON.stringify(result.body),
      ]);
      return { ...result, replayed: false };
    });
  }

  // Set operations for callers that run many commands in one transaction (PostCoalescer).

  /** Claims keys in one statement, in sorted order so that concurrent claimers cannot deadlock; returns the keys claimed. */
  async claimMany(em: EntityManager, requests: Array<{ key: string; fingerprint: string }>): Promise<Set<string>> {
    const sorted = [...requests].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const rows = await preparedQuery<{ key: string }>(
      em,
      'idempotency_claim_many',
      `INSERT INTO idempotency_requests (key, request_hash)
       SELECT k, h FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS t(k, h, ord) ORDER BY ord
       ON CONFLICT (key) DO NOTHING RETURNING key`,
      [sorted.map((r) => r.key), sorted.map((r) => r.fingerprint)],
    );
    return new Set(rows.map((r) => r.key));
  }

  async findAnswers<T>(em: EntityManager, keys: string[]): Promise<Map<string, StoredAnswer<T>>> {
    const rows = await preparedQuery<{ key: string; request_hash: string; response_status: number; response_body: T }>(
      em,
      'idempotency_find_answers',
      `SELECT key, request_hash, response_status, response_body FROM idempotency_requests WHERE key = ANY($1::text[])`,
      [keys],
    );
    return new Map(rows.map((r) => [r.key, { requestHash: r.request_hash, status: r.response_status, body: r.response_body }]));
  }

  async answerMany(em: EntityManager, answers: Array<{ key: string; status: number; body: unknown }>): Promise<void> {
    if (answers.length === 0) return;
    await preparedQuery(
      em,
      'idempotency_answer_many',
      `UPDATE idempotency_requests r SET response_status = v.status, response_body = v.body::json
       FROM unnest($1::text[], $2::smallint[], $3::text[]) AS v(key, status, body) WHERE r.key = v.key`,
      [answers.map((a) => a.key), answers.map((a) => a.status), answers.map((a) => JSON.stringify(a.body))],
    );
  }

  /** Drops claims of commands that failed: a failed command stores nothing and may be retried. */
  async releaseMany(em: EntityManager, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await preparedQuery(em, 'idempotency_release_many', `DELETE FROM idempotency_requests WHERE key = ANY($1::text[])`, [keys]);
  }
}
