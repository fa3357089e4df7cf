import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import type { StatementPart } from '@forest-ledger/platform/database/statement-part';
import { AuditRecord, auditStore } from './audit.store';

export type { AuditRecord } from './audit.store';

export interface AuditView extends AuditRecord {
  id: string;
  at: string;
}

/** The append-only audit trail of state-changing requests. */
@Injectable()
export class AuditService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private pending: Array<{ record: AuditRecord; done: (failure?: { error: unknown }) => void }> = [];
  private flushing = false;

  /**
   * Resolves once the row is committed. Rows arriving while an insert is in flight go into the
   * next one together (one commit for many requests), so auditing costs little under load.
   */
  record(record: AuditRecord): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record, done: (failure) => (failure ? reject(failure.error) : resolve()) });
      void this.flush();
    });
  }

  /**
   * Writes rows in the caller's transaction: a successful command records itself in the same
   * commit as its effects (no second commit to wait for, and never one without the other).
   */
  insertMany(em: EntityManager, records: AuditRecord[]): Promise<void> {
    return auditStore.insertMany(em, records);
  }

  /** The statement insertMany runs, for a writer to carry in its own statement of the same commit (PostCoalescer's answers). */
  insertManyPart(records: AuditRecord[]): StatementPart {
    return auditStore.insertManyPart(records);
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
      for (const b of batch) b.done({ error });
    } finally {
      this.flushing = false;
      void this.flush();
    }
  }

  /** Newest first, keyset on id. */
  async list(filter: { userId?: string; before?: string; limit?: number }): Promise<{ items: AuditView[]; nextBefore: string | null }> {
    const limit = Math.min(filter.limit ?? 100, 500);
    const rows = await auditStore.list(this.dataSource.manager, { userId: filter.userId ?? null, before: filter.before ?? null, limit: limit + 1 });
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
