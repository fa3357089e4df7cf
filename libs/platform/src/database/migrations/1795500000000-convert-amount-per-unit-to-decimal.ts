import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * amountPerUnit becomes a plain decimal of 6 places, rounded half-up (issue 13): it was text in a
 * repeating-decimal notation ("0.000(1)") no client could parse. Recomputed from the declaration's
 * amount and units; the way back writes the 6-place text.
 */
export class ConvertAmountPerUnitToDecimal1795500000000 implements MigrationInterface {
  name = 'ConvertAmountPerUnitToDecimal1795500000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "dividend_declarations" ALTER COLUMN "amount_per_unit" TYPE numeric(20,6)
            USING CASE WHEN "total_units" > 0 THEN round("amount" / "total_units", 6) END`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "dividend_declarations" ALTER COLUMN "amount_per_unit" TYPE text USING "amount_per_unit"::text`);
  }
}
