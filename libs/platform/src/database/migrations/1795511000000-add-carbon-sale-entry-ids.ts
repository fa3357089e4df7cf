import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A carbon sale remembers every entry it posted (its batch when the shares need more than one entry),
 * instead of finding them by the prefix of their idempotency keys (carbon-sale:<key>:1, :2 …). The
 * backfill applies that old rule once; entry_ids[1] is the sale's entry_id (its CARBON_SALE entry).
 */
export class AddCarbonSaleEntryIds1795511000000 implements MigrationInterface {
  name = 'AddCarbonSaleEntryIds1795511000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "carbon_sales" ADD "entry_ids" bigint[]`);
    await queryRunner.query(
      `UPDATE "carbon_sales" s SET "entry_ids" = COALESCE(
         (SELECT array_agg(part.id ORDER BY part.id) FROM "ledger_entries" first JOIN "ledger_entries" part
             ON left(part.idempotency_key, length(first.idempotency_key) - 1) = left(first.idempotency_key, length(first.idempotency_key) - 1)
            AND substr(part.idempotency_key, length(first.idempotency_key)) ~ '^[0-9]+$'
           WHERE first.id = s.entry_id),
         ARRAY[s.entry_id])`,
    );
    await queryRunner.query(`ALTER TABLE "carbon_sales" ALTER COLUMN "entry_ids" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "carbon_sales" ADD CONSTRAINT "ck_carbon_sales_entry_ids" CHECK ("entry_ids"[1] = "entry_id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "carbon_sales" DROP CONSTRAINT "ck_carbon_sales_entry_ids"`);
    await queryRunner.query(`ALTER TABLE "carbon_sales" DROP COLUMN "entry_ids"`);
  }
}
