import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';

export interface AuditRecord {
  userId: string | null;
  role: string | null;
  method: string;
  path: string;
  idempotencyKey: string | null;
  status: number;
  outcome: 'SUCCESS' | 'FAILURE';
  errorCode: string | null;
  entryIds: string[];
  correlationId: string | null;
}

export interface AuditView extends AuditRecord {
  id: string;
  at: string;
}

/** The append-only audit trail of state-changing requests. */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private pending: Array<{ record: AuditRecord; done: (error?: unknown) => void }> = [];
  private flushing = false;

  /**
   * Resolves once the row is committed. Rows arriving while an insert is in flight go into the
   * next one together (one commit for many requests), so auditing costs little under load.
   */
  record(record: AuditRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, done: (error) => (error ? reject(error) : resolve()) });
      void this.flush();
    });
  }

  /**
   * Writes rows in the caller's transaction: a successful command records itself in the same
   * commit as its effects (no second commit to wait for, and never one without the other).
   */
  async insertMany(em: EntityManager, records: AuditRecord[]): Promise<void> {
    if (records.length === 0) return;
    const col = <K extends keyof AuditRecord>(k: K) => records.map((r) => r[k]);
    await em.query(
      `INSERT INTO audit_log (user_id, role, method, path, idempotency_key, status, outcome, error_code, entry_ids, correlation_id)
       SELECT u, r, m, p, k, s, o, e, (SELECT COALESCE(array_agg(x::bigint), '{}') FROM jsonb_array_elements_text(ids) x), c
       FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::text[], $8::text[], $9::jsonb[], $10::text[])
         WITH ORDINALITY AS t(u, r, m, p, k, s, o, e, ids, c, ord) ORDER BY ord`,
      [
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
    );
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.pending.length === 0) return;
    this.flushing = true;
    const batch = this.pending.splice(0, 500);
    try {
      await this.insertMany(
        this.dataSource.manager,
        batch.map((b) => b.record),
      );
      for (const b of batch) b.done();
    } catch (error) {
      for (const b of batch) b.done(error);
    } finally {
      this.flushing = false;
      void this.flush();
    }
  }

  /** Newest first, keyset on id. */
  async list(filter: { userId?: string; before?: string; limit?: number }): Promise<{ items: AuditView[]; nextBefore: string | null }> {
    const limit = Math.min(filter.limit ?? 100, 500);
    const rows = (await this.dataSource.query(
      `SELECT id, at, user_id, role, method, path, idempotency_key, status, outcome, error_code, entry_ids::text[] AS entry_ids, correlation_id
       FROM audit_log WHERE ($1::bigint IS NULL OR user_id = $1) AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3`,
      [filter.userId ?? null, filter.before ?? null, limit + 1],
    )) as Array<{
      id: string;
      at: Date;
      user_id: string | null;
      role: string | null;
      method: string;
      path: string;
      idempotency_key: string | null;
      status: number;
      outcome: 'SUCCESS' | 'FAILURE';
      error_code: string | null;
      entry_ids: string[];
      correlation_id: string | null;
    }>;
    const items = rows.slice(0, limit).map((r) => ({
      id: r.id,
      at: r.at.toISOString(),
      userId: r.user_id,
      role: r.role,
      method: r.method,
      path: r.path,
      idempotencyKey: r.idempotency_key,
      status: r.status,
      outcome: r.outcome,
      errorCode: r.error_code,
      entryIds: r.entry_ids,
      correlationId: r.correlation_id,
    }));
    return { items, nextBefore: rows.length > limit ? items[items.length - 1].id : null };
  }
}
