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
 * The posting statement's upserts write as many index entries as before, each a few bytes wider: they change debits and
 * credits, rows that were not HOT updates before either (32 of 100,021 in a bench), so every new row version had its key entry. The heap pages of past periods stay all-visible
 * (autovacuum), which the index-only scans need; only the rows written since the last vacuum are read from the heap.
 * Each key is built anew beside the old one and swapped in (over 10 M postings: 4.9 M day, 3.4 M month and 0.55 M year
 * rows: 12–14 s all told on a busy 2-core machine; the migration holds the three tables locked until it commits, reads too,
 * as the key swap takes an exclusive lock).
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
