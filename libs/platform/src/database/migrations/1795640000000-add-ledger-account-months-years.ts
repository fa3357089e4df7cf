import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per account, the debit and credit totals of the postings effective in each month and each year (issue 21, B6,
 * H4): a balance as of D sums the year rows of the years before D's year, the month rows of D's year before D's
 * month and the day rows (ledger_account_days) of D's month up to D: at most ~45 rows per account instead of up to
 * ~1,800 day rows, and the trial balance over all accounts reads a bounded slice of each table.
 * Two tables, not one with a grain column: each has its own (account_id, period) key, so the posting statement
 * upserts each level with a plain ON CONFLICT, and each read names the table it ranges over. A period is its first
 * day (a `date`: 2025-03-01, 2025-01-01), so the reads compare dates with dates.
 * Deltas per period, not cumulative, so a backdated posting touches one row per level and never a later one.
 * Written in the posting statement (ledger.store insertEntries) with the day totals; checked against the
 * postings by the chain verifier. The indexes by period (and by day) serve the trial balance: it reads the rows of
 * one range of periods over all accounts. Existing postings are summed in here.
 */
export class AddLedgerAccountMonthsYears1795640000000 implements MigrationInterface {
  name = 'AddLedgerAccountMonthsYears1795640000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column, grain] of [
      ['ledger_account_months', 'month', 'month'],
      ['ledger_account_years', 'year', 'year'],
    ] as const) {
      await queryRunner.query(
        `CREATE TABLE "${table}" ("account_id" bigint NOT NULL, "${column}" date NOT NULL, "debits" numeric NOT NULL DEFAULT 0, "credits" numeric NOT NULL DEFAULT 0,
          CONSTRAINT "pk_${table}" PRIMARY KEY ("account_id", "${column}"),
          CONSTRAINT "ck_${table}_first_day" CHECK ("${column}" = date_trunc('${grain}', "${column}"::timestamp)::date),
          CONSTRAINT "fk_${table}_account" FOREIGN KEY ("account_id") REFERENCES "ledger_accounts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`,
      );
      await queryRunner.query(
        `INSERT INTO "${table}" ("account_id", "${column}", "debits", "credits")
         SELECT account_id, date_trunc('${grain}', effective_date::timestamp)::date,
                COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
         FROM "ledger_postings" GROUP BY 1, 2 ORDER BY 2, 1`,
      );
      await queryRunner.query(`CREATE INDEX "ix_${table}_${column}" ON "${table}" ("${column}")`);
    }
    await queryRunner.query(`CREATE INDEX "ix_ledger_account_days_day" ON "ledger_account_days" ("day")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "ix_ledger_account_days_day"`);
    await queryRunner.query(`DROP TABLE "ledger_account_years"`);
    await queryRunner.query(`DROP TABLE "ledger_account_months"`);
  }
}
