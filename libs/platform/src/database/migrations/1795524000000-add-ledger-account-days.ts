import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Per account and day, the debit and credit totals of the postings effective that day (issue 21, B6):
 * a balance as of a date sums at most one row per day (≈1,800 over five years) instead of every
 * posting (a million on a clearing account). Per-day deltas rather than cumulative figures, so a
 * backdated posting touches one row, not every later day. Written in the posting statement
 * (ledger.store insertEntries), checked against the postings by the chain verifier. Existing postings
 * are summed in here.
 */
export class AddLedgerAccountDays1795524000000 implements MigrationInterface {
  name = 'AddLedgerAccountDays1795524000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "ledger_account_days" ("account_id" bigint NOT NULL, "day" date NOT NULL, "debits" numeric NOT NULL DEFAULT 0, "credits" numeric NOT NULL DEFAULT 0,
        CONSTRAINT "pk_ledger_account_days" PRIMARY KEY ("account_id", "day"),
        CONSTRAINT "fk_ledger_account_days_account" FOREIGN KEY ("account_id") REFERENCES "ledger_accounts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `INSERT INTO "ledger_account_days" ("account_id", "day", "debits", "credits")
       SELECT account_id, effective_date, COALESCE(SUM(amount) FILTER (WHERE side = 'DEBIT'), 0), COALESCE(SUM(amount) FILTER (WHERE side = 'CREDIT'), 0)
       FROM "ledger_postings" GROUP BY account_id, effective_date`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "ledger_account_days"`);
  }
}
