import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Land use keeps what it needs of the ledger and of projects on its own rows (issue 16: only the ledger
 * names ledger tables): the idempotency key of each settlement's and waiver's entry (a payment or waiver
 * replays by it), the day a deposit was received, and the entry of an EQUITY contract's contribution.
 * Existing rows are filled in from the entries and contributions they point at.
 */
export class StoreLandUseEntryLinks1795512000000 implements MigrationInterface {
  name = 'StoreLandUseEntryLinks1795512000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "land_use_settlements" ADD "entry_key" text`);
    await queryRunner.query(`UPDATE "land_use_settlements" s SET "entry_key" = e."idempotency_key" FROM "ledger_entries" e WHERE e."id" = s."entry_id"`);
    await queryRunner.query(`ALTER TABLE "land_use_settlements" ALTER COLUMN "entry_key" SET NOT NULL`);
    await queryRunner.query(`CREATE INDEX "ix_land_use_settlements_entry_key" ON "land_use_settlements" ("entry_key")`);
    await queryRunner.query(`ALTER TABLE "land_use_waivers" ADD "entry_key" text`);
    await queryRunner.query(`UPDATE "land_use_waivers" w SET "entry_key" = e."idempotency_key" FROM "ledger_entries" e WHERE e."id" = w."entry_id"`);
    await queryRunner.query(`ALTER TABLE "land_use_waivers" ALTER COLUMN "entry_key" SET NOT NULL`);
    await queryRunner.query(`CREATE INDEX "ix_land_use_waivers_entry_key" ON "land_use_waivers" ("entry_key")`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" ADD "deposit_received_on" date`);
    await queryRunner.query(`UPDATE "land_use_contracts" c SET "deposit_received_on" = e."effective_date" FROM "ledger_entries" e WHERE e."id" = c."deposit_entry_id"`);
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "ck_land_use_contracts_deposit_received" CHECK (("deposit_entry_id" IS NULL) = ("deposit_received_on" IS NULL))`,
    );
    await queryRunner.query(`ALTER TABLE "land_use_contracts" ADD "contribution_entry_id" bigint`);
    await queryRunner.query(`UPDATE "land_use_contracts" c SET "contribution_entry_id" = pc."entry_id" FROM "project_contributions" pc WHERE pc."id" = c."contribution_id"`);
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "ck_land_use_contracts_contribution_entry" CHECK (("contribution_id" IS NULL) = ("contribution_entry_id" IS NULL))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "ck_land_use_contracts_contribution_entry"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP COLUMN "contribution_entry_id"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "ck_land_use_contracts_deposit_received"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP COLUMN "deposit_received_on"`);
    await queryRunner.query(`DROP INDEX "ix_land_use_waivers_entry_key"`);
    await queryRunner.query(`ALTER TABLE "land_use_waivers" DROP COLUMN "entry_key"`);
    await queryRunner.query(`DROP INDEX "ix_land_use_settlements_entry_key"`);
    await queryRunner.query(`ALTER TABLE "land_use_settlements" DROP COLUMN "entry_key"`);
  }
}
