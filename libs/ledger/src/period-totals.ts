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
