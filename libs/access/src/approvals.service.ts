import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { isBigintId } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { ApprovalError } from './access.errors';
import { APPROVAL_STATES, ApprovalState } from './access.model';
import { ApprovalRow, approvalsStore } from './approvals.store';

export interface ApprovalView {
  id: string;
  action: string;
  payload: Record<string, unknown>;
  state: ApprovalState;
  requestedBy: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedAt: string | null;
}

export interface ApprovalFilter {
  state?: ApprovalState;
  action?: string;
  limit?: number;
  /** The last id of the previous page (newest first). */
  before?: string;
}

function toView(row: ApprovalRow): ApprovalView {
  return {
    id: row.id,
    action: row.action,
    payload: row.payload,
    state: row.state,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at.toISOString(),
    decidedBy: row.decided_by,
    decidedAt: row.decided_at ? row.decided_at.toISOString() : null,
  };
}

/**
 * Maker-checker: an action requested by one user and decided by another, never the same. The feature
 * that owns the action checks its own rules and applies the effect; this keeps the table and the
 * four-eyes rule, in the caller's transaction.
 */
@Injectable()
export class ApprovalsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** The id of a pending request of `action` whose payload has `key` = `value`, if any. */
  pendingId(em: EntityManager, action: string, key: string, value: string): Promise<string | null> {
    return approvalsStore.pendingId(em, action, key, value);
  }

  async request(em: EntityManager, action: string, payload: Record<string, unknown>, requestedBy: string): Promise<ApprovalView> {
    return toView(await approvalsStore.insert(em, action, payload, requestedBy));
  }

  /**
   * Locks a pending request of `action` for `deciderId` to decide: unknown, another feature's, already
   * decided, or requested by the decider (four eyes) are refused. Two deciders queue on the lock.
   */
  async lockForDecision(em: EntityManager, approvalId: string, action: string, deciderId: string): Promise<ApprovalView> {
    const row = isBigintId(approvalId) ? await approvalsStore.lock(em, approvalId) : undefined;
    if (!row) throw new ApprovalError('UNKNOWN_APPROVAL', `no approval with id ${JSON.stringify(approvalId)}`, 'id');
    if (row.action !== action) throw new ApprovalError('APPROVAL_ACTION_UNSUPPORTED', `approval ${row.id} (${row.action}) is decided by its own feature`, 'id');
    if (row.state !== 'PENDING') throw new ApprovalError('APPROVAL_DECIDED', `approval ${row.id} was already ${row.state.toLowerCase()}`, 'id');
    if (row.requested_by === deciderId) throw new ApprovalError('SAME_USER_APPROVAL', 'the user who requested an action cannot approve or reject it', 'id');
    return toView(row);
  }

  /** Records the decision of a request locked by lockForDecision. */
  async record(em: EntityManager, approvalId: string, approve: boolean, deciderId: string): Promise<ApprovalView> {
    return toView(await approvalsStore.decide(em, approvalId, approve ? 'APPROVED' : 'REJECTED', deciderId));
  }

  /** Newest first, keyset on id. */
  async list(filter: ApprovalFilter = {}): Promise<{ items: ApprovalView[]; nextBefore: string | null }> {
    const limit = Math.min(Math.max(filter.limit ?? 100, 1), 500);
    if (filter.state !== undefined && !APPROVAL_STATES.includes(filter.state))
      throw new ApprovalError('VALIDATION_FAILED', `state must be one of ${APPROVAL_STATES.join(', ')}`, 'state');
    if (filter.before !== undefined && !isBigintId(filter.before)) throw new ApprovalError('VALIDATION_FAILED', 'before must be an approval id', 'before');
    const rows = await approvalsStore.list(this.dataSource.manager, {
      state: filter.state ?? null,
      action: filter.action ?? null,
      before: filter.before ?? null,
      limit: limit + 1,
    });
    const items = rows.slice(0, limit).map(toView);
    return { items, nextBefore: rows.length > limit ? items[items.length - 1].id : null };
  }
}
