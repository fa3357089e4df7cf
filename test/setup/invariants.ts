import { DataSource } from 'typeorm';

/**
 * The ledger invariants, checked straight in SQL (not through the code under test):
 * every entry balances per asset; per asset, all debits equal all credits; cached totals equal
 * the sums of postings, and day, month and year totals (ledger_account_days, _months, _years) those of each period; no no-overdraft account is below zero.
 */
export async function ledgerInvariantViolations(ds: DataSource): Promise<string[]> {
  const problems: string[] = [];
  const unbalanced = await ds.query(
    `SELECT p.entry_id, a.asset_code FROM ledger_postings p JOIN ledger_accounts a ON a.id = p.account_id
     GROUP BY p.entry_id, a.asset_code HAVING SUM(CASE p.side WHEN 'DEBIT' THEN p.amount ELSE -p.amount END) <> 0 LIMIT 5`,
  );
  for (const r of unbalanced) problems.push(`entry ${r.entry_id} does not balance in ${r.asset_code}`);
  const assets = await ds.query(`SELECT asset_code, SUM(debits - credits)::text AS net FROM ledger_accounts GROUP BY asset_code HAVING SUM(debits - credits) <> 0`);
  for (const r of assets) problems.push(`signed balances of ${r.asset_code} sum to ${r.net}, not 0`);
  const cached = await ds.query(
    `SELECT a.code FROM ledger_accounts a LEFT JOIN (
       SELECT account_id, SUM(amount) FILTER (WHERE side = 'DEBIT') AS d, SUM(amount) FILTER (WHERE side = 'CREDIT') AS c
       FROM ledger_postings GROUP BY account_id) t ON t.account_id = a.id
     WHERE a.debits <> COALESCE(t.d, 0) OR a.credits <> COALESCE(t.c, 0) LIMIT 5`,
  );
  for (const r of cached) problems.push(`cached balance of ${r.code} differs from the sum of its postings`);
  const days = await ds.query(
    `SELECT COALESCE(t.account_id, d.account_id)::text AS account_id, COALESCE(t.day, d.day)::text AS day FROM (
       SELECT account_id, effective_date AS day, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0) AS d, COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0) AS c
       FROM ledger_postings GROUP BY account_id, effective_date) t
     FULL JOIN ledger_account_days d ON d.account_id = t.account_id AND d.day = t.day
     WHERE COALESCE(t.d, 0) <> COALESCE(d.debits, 0) OR COALESCE(t.c, 0) <> COALESCE(d.credits, 0) LIMIT 5`,
  );
  for (const r of days) problems.push(`day totals of account ${r.account_id} on ${r.day} differ from that day's postings`);
  for (const [table, column] of [
    ['ledger_account_months', 'month'],
    ['ledger_account_years', 'year'],
  ]) {
    const periods = await ds.query(
      `SELECT COALESCE(t.account_id, d.account_id)::text AS account_id, COALESCE(t.period, d.${column})::text AS period FROM (
         SELECT account_id, date_trunc('${column}', effective_date::timestamp)::date AS period, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0) AS d,
                COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0) AS c
         FROM ledger_postings GROUP BY 1, 2) t
       FULL JOIN ${table} d ON d.account_id = t.account_id AND d.${column} = t.period
       WHERE COALESCE(t.d, 0) <> COALESCE(d.debits, 0) OR COALESCE(t.c, 0) <> COALESCE(d.credits, 0) LIMIT 5`,
    );
    for (const r of periods) problems.push(`${column} totals of account ${r.account_id} for ${r.period} differ from that ${column}'s postings`);
  }
  const overdrawn = await ds.query(`SELECT code FROM ledger_accounts WHERE no_overdraft AND CASE normal_side WHEN 'DEBIT' THEN debits < credits ELSE credits < debits END LIMIT 5`);
  for (const r of overdrawn) problems.push(`no-overdraft account ${r.code} is below zero`);
  return problems;
}

export async function assertLedgerInvariants(ds: DataSource): Promise<void> {
  const problems = await ledgerInvariantViolations(ds);
  if (problems.length > 0) throw new Error(`ledger invariants violated:\n${problems.join('\n')}`);
}
