import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Rent periods are billed per contract year (issue 13): a period spanning an anniversary has a part
 * per contract year, stored with it; contract years are numbered from 1 (第 1 合同年), as their
 * labels always were. Periods stored before keep their amounts (they were agreed and may be raised
 * already): each becomes one part of the contract year of its first day.
 */
export class SplitLandUsePeriodsByContractYear1795502000000 implements MigrationInterface {
  name = 'SplitLandUsePeriodsByContractYear1795502000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE "land_use_periods" SET "contract_year" = "contract_year" + 1`);
    await queryRunner.query(`ALTER TABLE "land_use_periods" ADD "parts" jsonb`);
    await queryRunner.query(
      `UPDATE "land_use_periods" SET "parts" = jsonb_build_array(jsonb_build_object(
               'contractYear', "contract_year", 'partStart', "period_start"::text, 'partEnd', "period_end"::text, 'days', "days",
               'annualRent', "annual_rent"::text, 'amount', "amount"::text, 'basis', CASE WHEN "days" = "period_days" THEN 'FULL' ELSE 'PRORATED' END))`,
    );
    await queryRunner.query(`ALTER TABLE "land_use_periods" ALTER COLUMN "parts" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "land_use_periods" ADD CONSTRAINT "ck_land_use_periods_contract_year" CHECK ("contract_year" >= 1)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "land_use_periods" DROP CONSTRAINT "ck_land_use_periods_contract_year"`);
    await queryRunner.query(`ALTER TABLE "land_use_periods" DROP COLUMN "parts"`);
    await queryRunner.query(`UPDATE "land_use_periods" SET "contract_year" = "contract_year" - 1`);
  }
}
