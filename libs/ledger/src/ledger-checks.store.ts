import { EntityManager } from 'typeorm';

/** The chain verifier's checks of the ledger's derived tables (cached totals, day, month and year totals) against the postings; runs in the caller's `em`. */

/**
 * Every account's chain head, whether its cached totals equal the sums of its postings, whether its day
 * totals (ledger_account_days) equal its postings summed per day, and whether its month and year totals
 * (ledger_account_months, _years) equal them summed per month and per year; in id order.
 */
export async function selectAccountChecks(
  em: EntityManager,
): Promise<Array<{ code: string; head_hash: string | null; totals_ok: boolean; days_ok: boolean; periods_ok: boolean }>> {
  return await em.query<Array<{ code: string; head_hash: string | null; totals_ok: boolean; days_ok: boolean; periods_ok: boolean }>>(
    `WITH t AS (
       SELECT account_id, effective_date AS day, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0) AS debits,
              COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0) AS credits
       FROM ledger_postings GROUP BY account_id, effective_date
     ), bad AS (
       SELECT DISTINCT COALESCE(t.account_id, d.account_id) AS account_id
       FROM t FULL JOIN ledger_account_days d ON d.account_id = t.account_id AND d.day = t.day
       WHERE t.account_id IS NULL AND (d.debits <> 0 OR d.credits <> 0) OR d.account_id IS NULL OR t.debits <> d.debits OR t.credits <> d.credits
     ), tm AS (
       SELECT account_id, date_trunc('month', day::timestamp)::date AS month, SUM(debits) AS debits, SUM(credits) AS credits FROM t GROUP BY 1, 2
     ), ty AS (
       SELECT account_id, date_trunc('year', day::timestamp)::date AS year, SUM(debits) AS debits, SUM(credits) AS credits FROM t GROUP BY 1, 2
     ), bad_periods AS (
       SELECT COALESCE(tm.account_id, m.account_id) AS account_id
       FROM tm FULL JOIN ledger_account_months m ON m.account_id = tm.account_id AND m.month = tm.month
       WHERE COALESCE(tm.debits, 0) <> COALESCE(m.debits, 0) OR COALESCE(tm.credits, 0) <> COALESCE(m.credits, 0)
       UNION
       SELECT COALESCE(ty.account_id, y.account_id)
       FROM ty FULL JOIN ledger_account_years y ON y.account_id = ty.account_id AND y.year = ty.year
       WHERE COALESCE(ty.debits, 0) <> COALESCE(y.debits, 0) OR COALESCE(ty.credits, 0) <> COALESCE(y.credits, 0)
     ), s AS (SELECT account_id, SUM(debits) AS debits, SUM(credits) AS credits FROM t GROUP BY account_id)
     SELECT a.code, a.head_hash, a.debits = COALESCE(s.debits, 0) AND a.credits = COALESCE(s.credits, 0) AS totals_ok,
            NOT EXISTS (SELECT 1 FROM bad WHERE bad.account_id = a.id) AS days_ok,
            NOT EXISTS (SELECT 1 FROM bad_periods b WHERE b.account_id = a.id) AS periods_ok
     FROM ledger_accounts a LEFT JOIN s ON s.account_id = a.id
     ORDER BY a.id`,
  );
}
