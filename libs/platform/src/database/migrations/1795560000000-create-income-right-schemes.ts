import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Collective income-right shares (集体林地收益权证书, issue 18 §2). A scheme is a project of a new kind,
 * `INCOME_RIGHT`, sponsored by the collective alone (no farm), so that its units reuse the 林票 series,
 * holdings, movements, register, certificates and dividends unchanged. What is the scheme's own (the
 * quantification rule, the census date) lives in income_right_schemes; the county's issuance dates
 * (发放进度) in income_right_targets. Income may also be rent from transfers (RENT).
 */
export class CreateIncomeRightSchemes1795560000000 implements MigrationInterface {
  name = 'CreateIncomeRightSchemes1795560000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "coop_projects" ADD "project_kind" text NOT NULL DEFAULT 'COOPERATION'`);
    await queryRunner.query(`ALTER TABLE "coop_projects" ALTER COLUMN "farm_party_id" DROP NOT NULL`);
    await queryRunner.query(`ALTER TABLE "coop_projects" ADD CONSTRAINT "ck_coop_projects_kind" CHECK ("project_kind" IN ('COOPERATION', 'INCOME_RIGHT'))`);
    await queryRunner.query(`ALTER TABLE "coop_projects" ADD CONSTRAINT "ck_coop_projects_kind_farm" CHECK (("project_kind" = 'INCOME_RIGHT') = ("farm_party_id" IS NULL))`);
    await queryRunner.query(
      `CREATE TABLE "income_right_schemes" ("project_id" bigint NOT NULL, "census_date" date NOT NULL, "basis" text NOT NULL,
        "household_weight" numeric(7,6) NOT NULL, "person_weight" numeric(7,6) NOT NULL, "face_value" numeric(20,2) NOT NULL, "total_units" numeric(20,0) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "pk_income_right_schemes" PRIMARY KEY ("project_id"),
        CONSTRAINT "fk_income_right_schemes_project" FOREIGN KEY ("project_id") REFERENCES "coop_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION,
        CONSTRAINT "ck_income_right_schemes_basis" CHECK ("basis" IN ('PER_HOUSEHOLD', 'PER_PERSON', 'WEIGHTED')),
        CONSTRAINT "ck_income_right_schemes_weights" CHECK ("household_weight" >= 0 AND "person_weight" >= 0 AND "household_weight" + "person_weight" = 1),
        CONSTRAINT "ck_income_right_schemes_units" CHECK ("total_units" > 0 AND "face_value" > 0))`,
    );
    await queryRunner.query(
      `CREATE TABLE "income_right_targets" ("county_id" bigint NOT NULL, "due_date" date NOT NULL, "share" numeric(7,6) NOT NULL,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "pk_income_right_targets" PRIMARY KEY ("county_id", "due_date"),
        CONSTRAINT "fk_income_right_targets_county" FOREIGN KEY ("county_id") REFERENCES "regions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION,
        CONSTRAINT "ck_income_right_targets_share" CHECK ("share" > 0 AND "share" <= 1))`,
    );
    await queryRunner.query(`ALTER TABLE "project_cash_flows" DROP CONSTRAINT "ck_project_cash_flows_income_kind"`);
    await queryRunner.query(
      `ALTER TABLE "project_cash_flows" ADD CONSTRAINT "ck_project_cash_flows_income_kind" CHECK (("kind" = 'INCOME') = ("income_kind" IS NOT NULL) AND ("income_kind" IS NULL OR "income_kind" IN ('HARVEST_FINAL', 'HARVEST_THINNING', 'PRE_DIVIDEND', 'CARBON', 'RENT', 'OTHER')))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "project_cash_flows" DROP CONSTRAINT "ck_project_cash_flows_income_kind"`);
    await queryRunner.query(
      `ALTER TABLE "project_cash_flows" ADD CONSTRAINT "ck_project_cash_flows_income_kind" CHECK (("kind" = 'INCOME') = ("income_kind" IS NOT NULL) AND ("income_kind" IS NULL OR "income_kind" IN ('HARVEST_FINAL', 'HARVEST_THINNING', 'PRE_DIVIDEND', 'CARBON', 'OTHER')))`,
    );
    await queryRunner.query(`DROP TABLE "income_right_targets"`);
    await queryRunner.query(`DROP TABLE "income_right_schemes"`);
    await queryRunner.query(`ALTER TABLE "coop_projects" DROP CONSTRAINT "ck_coop_projects_kind_farm"`);
    await queryRunner.query(`ALTER TABLE "coop_projects" DROP CONSTRAINT "ck_coop_projects_kind"`);
    await queryRunner.query(`ALTER TABLE "coop_projects" ALTER COLUMN "farm_party_id" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "coop_projects" DROP COLUMN "project_kind"`);
  }
}
