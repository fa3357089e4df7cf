import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 8, the last two pieces: an EQUITY contract names the cooperation project its land goes into
 * (project_id, required exactly for EQUITY) and, once active, the farm's IN_KIND_LAND contribution it
 * booked (contribution_id); a draft can be CANCELLED with a reason (closed_at set, like ENDED and TERMINATED).
 */
export class LinkLandUseEquityCancel1795456241458 implements MigrationInterface {
  name = 'LinkLandUseEquityCancel1795456241458';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // An EQUITY contract without its project would break ck_land_use_contracts_project: there is no project to guess.
    const [{ n }] = (await queryRunner.query(`SELECT count(*)::int AS n FROM "land_use_contracts" WHERE "mode" = 'EQUITY'`)) as Array<{ n: number }>;
    if (n > 0) throw new Error(`${n} EQUITY land-use contract(s) exist without a project: set land_use_contracts.project_id for them (or remove them) before this migration`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" ADD "project_id" bigint`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" ADD "contribution_id" bigint`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" ADD "cancellation_reason" text`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" ADD CONSTRAINT "uq_land_use_contracts_contribution" UNIQUE ("contribution_id")`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "ck_land_use_contracts_state"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "ck_land_use_contracts_closed"`);
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "ck_land_use_contracts_state" CHECK ("state" IN ('DRAFT', 'ACTIVE', 'ENDED', 'TERMINATED', 'CANCELLED'))`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "ck_land_use_contracts_closed" CHECK (("state" = 'TERMINATED') = ("terminated_on" IS NOT NULL) AND ("state" IN ('ENDED', 'TERMINATED', 'CANCELLED')) = ("closed_at" IS NOT NULL) AND ("state" = 'CANCELLED') = ("cancellation_reason" IS NOT NULL))`,
    );
    await queryRunner.query(`ALTER TABLE "land_use_contracts" ADD CONSTRAINT "ck_land_use_contracts_project" CHECK (("mode" = 'EQUITY') = ("project_id" IS NOT NULL))`);
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "ck_land_use_contracts_contribution" CHECK (("mode" = 'EQUITY' AND "state" IN ('ACTIVE', 'ENDED', 'TERMINATED')) = ("contribution_id" IS NOT NULL))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_land_use_contracts_project" ON "land_use_contracts" ("project_id") `);
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "fk_land_use_contracts_project" FOREIGN KEY ("project_id") REFERENCES "coop_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "fk_land_use_contracts_contribution" FOREIGN KEY ("contribution_id") REFERENCES "project_contributions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The old state check knows no CANCELLED: such contracts must go first (deleting them is a business decision, not the migration's).
    const [{ n }] = (await queryRunner.query(`SELECT count(*)::int AS n FROM "land_use_contracts" WHERE "state" = 'CANCELLED'`)) as Array<{ n: number }>;
    if (n > 0) throw new Error(`${n} CANCELLED land-use contract(s) exist: the previous schema cannot hold them; remove them before reverting`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "fk_land_use_contracts_contribution"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "fk_land_use_contracts_project"`);
    await queryRunner.query(`DROP INDEX "public"."ix_land_use_contracts_project"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "ck_land_use_contracts_contribution"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "ck_land_use_contracts_project"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "ck_land_use_contracts_closed"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "ck_land_use_contracts_state"`);
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "ck_land_use_contracts_closed" CHECK (("state" = 'TERMINATED') = ("terminated_on" IS NOT NULL) AND ("state" IN ('ENDED', 'TERMINATED')) = ("closed_at" IS NOT NULL))`,
    );
    await queryRunner.query(`ALTER TABLE "land_use_contracts" ADD CONSTRAINT "ck_land_use_contracts_state" CHECK ("state" IN ('DRAFT', 'ACTIVE', 'ENDED', 'TERMINATED'))`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "uq_land_use_contracts_contribution"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP COLUMN "cancellation_reason"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP COLUMN "contribution_id"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP COLUMN "project_id"`);
  }
}
