import { EntityManager } from 'typeorm';
import type { CashFlowKind, IncomeKind } from './dividend.model';

/** A row of project_cash_flows: money into or out of a project's wallet, one ledger entry each. */
export interface CashFlowRow {
  id: string;
  project_id: string;
  kind: CashFlowKind;
  income_kind: IncomeKind | null;
  amount: string;
  bank_reference: string | null;
  description: string | null;
  calculation: Record<string, unknown>;
  base_flow_id: string | null;
  effective_date: string;
  entry_id: string;
}

export type NewCashFlow = Omit<CashFlowRow, 'id'>;

const FLOW_SELECT = `SELECT id::text AS id, project_id::text AS project_id, kind, income_kind, amount::text AS amount, bank_reference, description, calculation,
       base_flow_id::text AS base_flow_id, to_char(effective_date, 'YYYY-MM-DD') AS effective_date, entry_id::text AS entry_id FROM project_cash_flows`;

/** The only SQL on project_cash_flows. */
export const cashFlowsStore = {
  async insert(em: EntityManager, f: NewCashFlow): Promise<void> {
    await em.query(
      `INSERT INTO project_cash_flows (project_id, kind, income_kind, amount, bank_reference, description, calculation, base_flow_id, effective_date, entry_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
      [f.project_id, f.kind, f.income_kind, f.amount, f.bank_reference, f.description, JSON.stringify(f.calculation), f.base_flow_id, f.effective_date, f.entry_id],
    );
  },

  async byEntry(em: EntityManager, entryId: string): Promise<CashFlowRow | null> {
    const [row] = await em.query<CashFlowRow[]>(`${FLOW_SELECT} WHERE entry_id = $1`, [entryId]);
    return row ?? null;
  },

  /** The project's records, oldest first. */
  async ofProject(em: EntityManager, projectId: string): Promise<CashFlowRow[]> {
    return await em.query<CashFlowRow[]>(`${FLOW_SELECT} WHERE project_id = $1 ORDER BY id`, [projectId]);
  },

  async income(em: EntityManager, projectId: string, id: string): Promise<CashFlowRow | null> {
    const [row] = await em.query<CashFlowRow[]>(`${FLOW_SELECT} WHERE id = $1 AND project_id = $2 AND kind = 'INCOME'`, [id, projectId]);
    return row ?? null;
  },

  /** The management fee charged on an income, if any. */
  async feeOn(em: EntityManager, incomeId: string): Promise<CashFlowRow | null> {
    const [row] = await em.query<CashFlowRow[]>(`${FLOW_SELECT} WHERE base_flow_id = $1 AND kind = 'MANAGEMENT_FEE'`, [incomeId]);
    return row ?? null;
  },

  /** Sums by kind and income kind of the records effective on or before `asOf` (null: all). */
  async totals(em: EntityManager, projectId: string, asOf: string | null): Promise<Array<{ kind: CashFlowKind; income_kind: IncomeKind | null; amount: string }>> {
    return await em.query<Array<{ kind: CashFlowKind; income_kind: IncomeKind | null; amount: string }>>(
      `SELECT kind, income_kind, sum(amount)::text AS amount FROM project_cash_flows
        WHERE project_id = $1 AND ($2::date IS NULL OR effective_date <= $2::date) GROUP BY kind, income_kind`,
      [projectId, asOf],
    );
  },
};
