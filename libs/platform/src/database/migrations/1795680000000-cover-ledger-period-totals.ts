import { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = [
  ['ledger_account_days', 'day'],
  ['ledger_account_months', 'month'],
  ['ledger_account_years', 'year'],
] as const;

/**
 * The keys of the day, month and year totals carry the totals themselves (PRIMARY KEY … INCLUDE (debits, credits)), so a
 * balance as of a date reads them by index-only scans: one to three leaf pages per level instead of a heap page per row
 * (up to 31 day rows of a busy account, each on its own page as the days are written in date order) (issue 21, B6, H1–H3).
 * The posting statement's upserts lose nothing by it: they change debits and credits, so they were not HOT updates before
 * either (the new row version had its key entries written all the same). The heap pages of past periods stay all-visible
 * (autovacuum), which the index-only scans need; only the rows written since the last vacuum are read from the heap.
 * Each key is built anew beside the old one and swapped in (over 10 M postings: 4.9 M day, 3.4 M month and 0.55 M year
 * rows, ~20 s all told, the tables locked against writes meanwhile).
 */
export class CoverLedgerPeriodTotals1795680000000 implements MigrationInterface {
  name = 'CoverLedgerPeriodTotals1795680000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column] of TABLES) await swapKey(queryRunner, table, column, ' INCLUDE ("debits", "credits")');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, column] of TABLES) await swapKey(queryRunner, table, column, '');
  }
}

async function swapKey(queryRunner: QueryRunner, table: string, column: string, include: string): Promise<void> {
  await queryRunner.query(`CREATE UNIQUE INDEX "pk_${table}_next" ON "${table}" ("account_id", "${column}")${include}`);
  await queryRunner.query(`ALTER TABLE "${table}" DROP CONSTRAINT "pk_${table}", ADD CONSTRAINT "pk_${table}" PRIMARY KEY USING INDEX "pk_${table}_next"`);
}
