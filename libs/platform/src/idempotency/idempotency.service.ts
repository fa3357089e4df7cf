import { DomainError } from '@forest-ledger/common';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { preparedQuery } from '../database/prepared';
import { runPart, runParts, StatementPart } from '../database/statement-part';
import { inTransaction } from '../database/transaction';

export interface CommandResult<T> {
  status: number;
  body: T;
}

export interface IdempotentResult<T> extends CommandResult<T> {
  replayed: boolean;
}

/** The statement that stores a command's first answer in its claimed row. */
function answerPart<T>(id: CommandKey, answer: CommandResult<T>): StatementPart {
  return {
    name: 'idempotency_answer',
    text: `UPDATE idempotency_requests SET response_status = $3, response_body = $4 WHERE principal = $1 AND key = $2`,
    values: [id.principal, id.key, answer.status, JSON.stringify(answer.body)],
  };
}

/**
 * What an `idempotency_requests` row holds (one per principal and key, the table's only code is here): the
 * fingerprint of the request and the first answer (json, not jsonb, so a replay is byte-identical).
 */
interface StoredAnswer<T> {
  requestHash: string;
  status: number;
  body: T;
}

/**
 * Who sent a command and the Idempotency-Key they chose. A key is unique per principal: the same
 * key from two principals is two commands, and an answer is replayed only to its own principal.
 * The principal is `user:<id>` (a user's API keys act as that user).
 */
export interface CommandKey {
  principal: string;
  key: string;
}

/**
 * The name a command's effects are stored under (ledger entry keys, a feature's own keys):
 * `<principal>/<key>`, unique across principals; "/" never occurs in an Idempotency-Key, so it
 * cannot collide with a key a caller chose or with a job's own keys.
 */
export function scopedKey(id: CommandKey): string {
  return `${id.principal}/${id.key}`;
}

export function idempotencyConflict(key: string): DomainError {
  return new DomainError('conflict', 'IDEMPOTENCY_CONFLICT', `Idempotency-Key ${key} was already used for a different request`, 'Idempotency-Key');
}

/**
 * What tells a replay from another request: one hash, or the same request's hash under each key of a
 * rotating key ring, newest first. The first is stored; a stored hash equal to any of them is the same
 * request (so a retry across a key rotation still replays).
 */
export type Fingerprint = string | readonly string[];

export const storedHashOf = (fingerprint: Fingerprint): string => (typeof fingerprint === 'string' ? fingerprint : fingerprint[0]);

/** The first answer again, or a 409 when the key came with a different request. */
export function replayOf<T>(key: string, fingerprint: Fingerprint, first: StoredAnswer<T>): IdempotentResult<T> {
  const accepted = typeof fingerprint === 'string' ? [fingerprint] : fingerprint;
  if (!accepted.includes(first.requestHash)) throw idempotencyConflict(key);
  return { status: first.status, body: first.body, replayed: true };
}

export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._:-]{8,200}$/;

function byPrincipalAndKey(a: CommandKey, b: CommandKey): number {
  return a.principal < b.principal ? -1 : a.principal > b.principal ? 1 : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Runs a command at most once per principal and key. The key row is inserted first, in the
 * command's own transaction: a concurrent request of the same principal with the same key blocks
 * on the unique index until the first commits (then replays its answer) or rolls back (then runs
 * itself). A failed command leaves no row, so it may be retried with the same key.
 */
@Injectable()
export class IdempotencyService {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * `work` runs the command and returns its answer, with `alongside`: other owners' writes of the same commit (the audit
   * row), which ride in the answer's statement (one round trip).
   */
  execute<T>(
    id: CommandKey,
    fingerprint: Fingerprint,
    work: (em: EntityManager) => Promise<CommandResult<T> & { alongside?: readonly StatementPart[] }>,
  ): Promise<IdempotentResult<T>> {
    return inTransaction(this.dataSource, async (em) => {
      const claimed = await preparedQuery<{ key: string }>(
        em,
        'idempotency_claim',
        `INSERT INTO idempotency_requests (principal, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT (principal, key) DO NOTHING RETURNING key`,
        [id.principal, id.key, storedHashOf(fingerprint)],
      );
      if (claimed.length === 0) {
        const answers = await this.findAnswers<T>(em, [id]);
        return replayOf(id.key, fingerprint, answers.get(scopedKey(id))!);
      }
      const { status, body, alongside = [] } = await work(em);
      const result = { status, body };
      await runParts(em, [...alongside, answerPart(id, result)]);
      return { ...result, replayed: false };
    });
  }

  // Set operations for callers that run many commands in one transaction (PostCoalescer); maps and sets are by scopedKey.

  /** Claims keys in one statement, in sorted order so that concurrent claimers cannot deadlock; returns the scoped keys claimed. */
  async claimMany(em: EntityManager, requests: Array<{ id: CommandKey; fingerprint: Fingerprint }>): Promise<Set<string>> {
    const sorted = [...requests].sort((a, b) => byPrincipalAndKey(a.id, b.id));
    const rows = await preparedQuery<{ principal: string; key: string }>(
      em,
      'idempotency_claim_many',
      `INSERT INTO idempotency_requests (principal, key, request_hash)
       SELECT p, k, h FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS t(p, k, h, ord) ORDER BY ord
       ON CONFLICT (principal, key) DO NOTHING RETURNING principal, key`,
      [sorted.map((r) => r.id.principal), sorted.map((r) => r.id.key), sorted.map((r) => storedHashOf(r.fingerprint))],
    );
    return new Set(rows.map((r) => scopedKey(r)));
  }

  async findAnswers<T>(em: EntityManager, ids: CommandKey[]): Promise<Map<string, StoredAnswer<T>>> {
    const rows = await preparedQuery<{ principal: string; key: string; request_hash: string; response_status: number; response_body: T }>(
      em,
      'idempotency_find_answers',
      `SELECT r.principal, r.key, r.request_hash, r.response_status, r.response_body
         FROM idempotency_requests r JOIN unnest($1::text[], $2::text[]) AS t(p, k) ON r.principal = t.p AND r.key = t.k`,
      [ids.map((i) => i.principal), ids.map((i) => i.key)],
    );
    return new Map(rows.map((r) => [scopedKey(r), { requestHash: r.request_hash, status: r.response_status, body: r.response_body }]));
  }

  /**
   * Stores the answers of claimed commands. `alongside`: another store's write of the same commit (the audit rows of a
   * group commit), carried in this statement as a CTE, so both cost one round trip; it runs alone when there is no answer.
   */
  async answerMany(em: EntityManager, answers: Array<{ id: CommandKey; status: number; body: unknown }>, alongside?: StatementPart | null): Promise<void> {
    if (answers.length === 0) {
      if (alongside) await runPart(em, alongside);
      return;
    }
    const update = `UPDATE idempotency_requests r SET response_status = v.status, response_body = v.body::json
       FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[]) AS v(principal, key, status, body) WHERE r.principal = v.principal AND r.key = v.key`;
    const values = [answers.map((a) => a.id.principal), answers.map((a) => a.id.key), answers.map((a) => a.status), answers.map((a) => JSON.stringify(a.body))];
    const part = { name: 'idempotency_answer_many', text: update, values };
    await runParts(em, alongside ? [alongside, part] : [part]);
  }

  /** Drops claims of commands that failed: a failed command stores nothing and may be retried. */
  async releaseMany(em: EntityManager, ids: CommandKey[]): Promise<void> {
    if (ids.length === 0) return;
    await preparedQuery(
      em,
      'idempotency_release_many',
      `DELETE FROM idempotency_requests r USING unnest($1::text[], $2::text[]) AS t(p, k) WHERE r.principal = t.p AND r.key = t.k`,
      [ids.map((i) => i.principal), ids.map((i) => i.key)],
    );
  }
}
