/**
 * The SQL that reads the ledger's per-period totals (ledger_account_years, ledger_account_months,
 * ledger_account_days): deltas per period, so the totals as of a date D are the sum of the year rows of
 * the years before D's year, the month rows of D's year before D's month and the day rows of D's month up to D,
 * at most ~45 rows per account whatever the length of its history.
 */

/**
 * SQL of the rows (account_id, debits, credits) whose sums per account are the totals of the postings effective on
 * or before `date` (an SQL date expression). `where` narrows them (an SQL condition on account_id), repeated in
 * each branch so every branch ranges over its table's key (or its period index when it names no account).
 */
export function rowsAsOfSql(date: string, where = 'true'): string {
  const year = `date_trunc('year', (${date})::timestamp)::date`;
  const month = `date_trunc('month', (${date})::timestamp)::date`;
  return `SELECT account_id, debits, credits FROM ledger_account_years WHERE ${where} AND year < ${year}
     UNION ALL SELECT account_id, debits, credits FROM ledger_account_months WHERE ${where} AND month >= ${year} AND month < ${month}
     UNION ALL SELECT account_id, debits, credits FROM ledger_account_days WHERE ${where} AND day >= ${month} AND day <= (${date})`;
}

/**
 * The CTEs (`, name AS (…)` each) of the posting statement that add the postings of `source` (rows account_id, side,
 * amount, effective_date) to the day, month and year totals: one upsert per level, its rows grouped by account and
 * period and taken in that order (the accounts are locked already; the order keeps concurrent writers from deadlocking).
 */
export function periodUpsertsSql(source: string): string {
  const levels = [
    { cte: 'd', table: 'ledger_account_days', column: 'day', period: 'effective_date' },
    { cte: 'm', table: 'ledger_account_months', column: 'month', period: `date_trunc('month', effective_date::timestamp)::date` },
    { cte: 'y', table: 'ledger_account_years', column: 'year', period: `date_trunc('year', effective_date::timestamp)::date` },
  ];
  return levels
    .map(
      ({ cte, table, column, period }) => `, ${cte} AS (
       INSERT INTO ${table} AS ${cte} (account_id, ${column}, debits, credits)
       SELECT account_id, ${period}, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
       FROM ${source} GROUP BY 1, 2 ORDER BY 1, 2
       ON CONFLICT (account_id, ${column}) DO UPDATE SET debits = ${cte}.debits + excluded.debits, credits = ${cte}.credits + excluded.credits
     )`,
    )
    .join('');
}
