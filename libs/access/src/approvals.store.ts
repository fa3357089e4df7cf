import { EntityManager } from 'typeorm';
import type { ApprovalState } from './access.model';

/** The only code with SQL on approvals (the four-eyes table; a CHECK also refuses decided_by = requested_by). */

export interface ApprovalRow {
  id: string;
  action: string;
  payload: Record<string, unknown>;
  state: ApprovalState;
  requested_by: string;
  requested_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
}

const COLUMNS = `id, action, payload, state, requested_by, requested_at, decided_by, decided_at`;

export const approvalsStore = {
  async insert(em: EntityManager, action: string, payload: Record<string, unknown>, requestedBy: string): Promise<ApprovalRow> {
    const [row] = await em.query<ApprovalRow[]>(`INSERT INTO approvals (action, payload, requested_by) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`, [
      action,
      JSON.stringify(payload),
      requestedBy,
    ]);
    return row;
  },

  /** The id of a PENDING approval of `action` whose payload has `key` = `value` (as text). */
  async pendingId(em: EntityManager, action: string, key: string, value: string): Promise<string | null> {
    const [row] = await em.query<Array<{ id: string }>>(`SELECT id FROM approvals WHERE action = $1 AND state = 'PENDING' AND payload->>$2 = $3`, [action, key, value]);
    return row?.id ?? null;
  },

  async lock(em: EntityManager, id: string): Promise<ApprovalRow | undefined> {
    const [row] = await em.query<ApprovalRow[]>(`SELECT ${COLUMNS} FROM approvals WHERE id = $1 FOR UPDATE`, [id]);
    return row;
  },

  async decide(em: EntityManager, id: string, state: ApprovalState, decidedBy: string): Promise<ApprovalRow> {
    await em.query(`UPDATE approvals SET state = $2, decided_by = $3, decided_at = now() WHERE id = $1`, [id, state, decidedBy]);
    const [row] = await em.query<ApprovalRow[]>(`SELECT ${COLUMNS} FROM approvals WHERE id = $1`, [id]);
    return row;
  },

  /** Newest first, `limit` rows with ids below `before`. */
  async list(em: EntityManager, filter: { state: ApprovalState | null; action: string | null; before: string | null; limit: number }): Promise<ApprovalRow[]> {
    return await em.query<ApprovalRow[]>(
      `SELECT ${COLUMNS} FROM approvals
       WHERE ($1::text IS NULL OR state = $1) AND ($2::text IS NULL OR action = $2) AND ($3::bigint IS NULL OR id < $3) ORDER BY id DESC LIMIT $4`,
      [filter.state, filter.action, filter.before, filter.limit],
    );
  },
};
