import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PostgreSQL owns pending work (issue 15). A declaration's `round` names its distribution job
 * (dividend-<id>-r<round>): +1 at each approval and each resume, so a re-approved or resumed
 * declaration gets a job no earlier one blocks. `failed_at`/`failure` record a distribution that
 * truly failed (the reconciler leaves it alone until an ADMIN resumes it). `scheduled_runs` holds one
 * row per daily job and day: a day's run is queued until its row is finished, and runs once.
 */
export class AddDistributionRoundsAndScheduledRuns1795506000000 implements MigrationInterface {
  name = 'AddDistributionRoundsAndScheduledRuns1795506000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "dividend_declarations" ADD "round" integer NOT NULL DEFAULT '0'`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" ADD "failed_at" TIMESTAMP WITH TIME ZONE`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" ADD "failure" text`);
    await queryRunner.query(`UPDATE "dividend_declarations" SET "round" = 1 WHERE "approved_at" IS NOT NULL`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" ADD CONSTRAINT "ck_dividend_declarations_failure" CHECK (("failed_at" IS NULL) = ("failure" IS NULL))`);
    await queryRunner.query(
      `CREATE TABLE "scheduled_runs" ("schedule" text NOT NULL, "day" date NOT NULL, "runs" integer NOT NULL DEFAULT '0', "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "outcome" jsonb, CONSTRAINT "pk_scheduled_runs" PRIMARY KEY ("schedule", "day"))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "scheduled_runs"`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" DROP CONSTRAINT "ck_dividend_declarations_failure"`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" DROP COLUMN "failure"`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" DROP COLUMN "failed_at"`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" DROP COLUMN "round"`);
  }
}
