import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

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

  async record(r: AuditRecord): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_log (user_id, role, method, path, idempotency_key, status, outcome, error_code, entry_ids, correlation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::bigint[], $10)`,
      [r.userId, r.role, r.method, r.path, r.idempotencyKey, r.status, r.outcome, r.errorCode, r.entryIds, r.correlationId],
    );
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
