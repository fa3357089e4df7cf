import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An approver can reject an APPLIED claim (state REJECTED) with a reason and the date; the rejecting
 * command's key makes a repeat return the same claim. A rejected claim, like an ineligible one, no
 * longer blocks a new claim for the contract under the programme.
 */
export class AddSubsidyClaimRejection1795470000000 implements MigrationInterface {
  name = 'AddSubsidyClaimRejection1795470000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "subsidy_claims" ADD "rejected_by" text`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" ADD "rejected_on" date`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" ADD "rejection_reason" text`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" ADD "rejection_key" text`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" ADD CONSTRAINT "uq_subsidy_claims_rejection_key" UNIQUE ("rejection_key")`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP CONSTRAINT "ck_subsidy_claims_state"`);
    await queryRunner.query(
      `ALTER TABLE "subsidy_claims" ADD CONSTRAINT "ck_subsidy_claims_state" CHECK ("state" IN ('APPLIED', 'INELIGIBLE', 'REJECTED', 'APPROVED', 'COMPLETED', 'CANCELLED', 'CLAWBACK_DUE', 'RECOVERED'))`,
    );
    await queryRunner.query(`ALTER TABLE "subsidy_claims" ADD CONSTRAINT "ck_subsidy_claims_four_eyes_rejection" CHECK ("rejected_by" IS NULL OR "rejected_by" <> "applied_by")`);
    await queryRunner.query(
      `ALTER TABLE "subsidy_claims" ADD CONSTRAINT "ck_subsidy_claims_rejection" CHECK (("state" = 'REJECTED') = ("rejected_by" IS NOT NULL) AND ("state" = 'REJECTED') = ("rejected_on" IS NOT NULL) AND ("state" = 'REJECTED') = ("rejection_reason" IS NOT NULL) AND ("state" = 'REJECTED') = ("rejection_key" IS NOT NULL))`,
    );
    await queryRunner.query(`DROP INDEX "public"."uq_subsidy_claims_contract"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_subsidy_claims_contract" ON "subsidy_claims" ("programme_id", "contract_id") WHERE "state" NOT IN ('INELIGIBLE', 'REJECTED')`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // The old state check has no REJECTED, and the old index would count a rejected claim beside its contract's next one.
    const [{ n }] = (await queryRunner.query(`SELECT count(*)::int AS n FROM "subsidy_claims" WHERE "state" = 'REJECTED'`)) as Array<{ n: number }>;
    if (n > 0)
      throw new Error(`${n} REJECTED subsidy claim(s) exist: there is no state to give them before this migration; remove them (and any later claim of their contracts) first`);
    await queryRunner.query(`DROP INDEX "public"."uq_subsidy_claims_contract"`);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_subsidy_claims_contract" ON "subsidy_claims" ("programme_id", "contract_id") WHERE "state" <> 'INELIGIBLE'`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP CONSTRAINT "ck_subsidy_claims_rejection"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP CONSTRAINT "ck_subsidy_claims_four_eyes_rejection"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP CONSTRAINT "ck_subsidy_claims_state"`);
    await queryRunner.query(
      `ALTER TABLE "subsidy_claims" ADD CONSTRAINT "ck_subsidy_claims_state" CHECK ("state" IN ('APPLIED', 'INELIGIBLE', 'APPROVED', 'COMPLETED', 'CANCELLED', 'CLAWBACK_DUE', 'RECOVERED'))`,
    );
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP CONSTRAINT "uq_subsidy_claims_rejection_key"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP COLUMN "rejection_key"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP COLUMN "rejection_reason"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP COLUMN "rejected_on"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP COLUMN "rejected_by"`);
  }
}
