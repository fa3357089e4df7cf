import { runPart, StatementPart } from '@forest-ledger/platform/database/statement-part';
import { EntityManager } from 'typeorm';
import type { AuditOutcome } from './access.model';

/** The only code with SQL on audit_log (append-only). */

export interface AuditRecord {
  userId: string | null;
  role: string | null;
  method: string;
  path: string;
  idempotencyKey: string | null;
  status: number;
  outcome: AuditOutcome;
  errorCode: string | null;
  entryIds: string[];
  correlationId: string | null;
}

export interface AuditRow {
  id: string;
  at: Date;
  user_id: string | null;
  role: string | null;
  method: string;
  path: string;
  idempotency_key: string | null;
  status: number;
  outcome: AuditOutcome;
  error_code: string | null;
  entry_ids: string[];
  correlation_id: string | null;
}

export const auditStore = {
  /** One statement for any number of rows, in the order given. */
  async insertMany(em: EntityManager, records: readonly AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    await runPart(em, this.insertManyPart(records));
  },

  /** insertMany's statement, for another store's statement to carry (StatementPart). */
  insertManyPart(records: readonly AuditRecord[]): StatementPart {
    const col = <K extends keyof AuditRecord>(k: K) => records.map((r) => r[k]);
    return {
      name: 'audit_insert_many',
      text: `INSERT INTO audit_log (user_id, role, method, path, idempotency_key, status, outcome, error_code, entry_ids, correlation_id)
       SELECT u, r, m, p, k, s, o, e, (SELECT COALESCE(array_agg(x::bigint), '{}') FROM jsonb_array_elements_text(ids) x), c
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::text[], $8::text[], $9::jsonb[], $10::text[])
         WITH ORDINALITY AS t(u, r, m, p, k, s, o, e, ids, c, ord) ORDER BY ord`,
      values: [
        col('userId'),
        col('role'),
        col('method'),
        col('path'),
        col('idempotencyKey'),
        col('status'),
        col('outcome'),
        col('errorCode'),
        records.map((r) => JSON.stringify(r.entryIds)),
        col('correlationId'),
      ],
    };
  },

  /** Newest first, `limit` rows with ids below `before`. */
  async list(em: EntityManager, filter: { userId: string | null; before: string | null; limit: number }): Promise<AuditRow[]> {
    return await em.query<AuditRow[]>(
      `SELECT id, at, user_id, role, method, path, idempotency_key, status, outcome, error_code, entry_ids::text[] AS entry_ids, correlation_id
       FROM audit_log WHERE ($1::bigint IS NULL OR user_id = $1) AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [filter.userId, filter.before, filter.limit],
    );
  },
};
