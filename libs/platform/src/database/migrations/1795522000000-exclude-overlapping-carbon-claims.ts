import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One forest, one claim (issue 18 §4): a parcel may back two carbon projects only over periods that do
 * not overlap. Each carbon_project_parcels row holds the period its project claims the parcel for (both
 * ends inclusive): an open project its whole crediting period; a CLOSED one only the span of the vintages
 * it issued (none issued: the empty range, which overlaps nothing). The exclusion constraint keeps the
 * rule whatever writes the rows. Existing rows are filled in from their projects and issuances; the
 * migration fails if the data already count a forest twice (to be resolved by hand before it can run).
 */
export class ExcludeOverlappingCarbonClaims1795522000000 implements MigrationInterface {
  name = 'ExcludeOverlappingCarbonClaims1795522000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
    await queryRunner.query(`ALTER TABLE "carbon_project_parcels" ADD "crediting" daterange`);
    await queryRunner.query(
      `UPDATE "carbon_project_parcels" pp SET "crediting" = CASE WHEN p."state" <> 'CLOSED' THEN daterange(p."crediting_start", p."crediting_end", '[]')
         ELSE (SELECT CASE WHEN count(*) = 0 THEN 'empty'::daterange ELSE daterange(min(i."vintage_start"), max(i."vintage_end"), '[]') END FROM "carbon_issuances" i WHERE i."project_id" = p."id") END
         FROM "carbon_projects" p WHERE p."id" = pp."project_id"`,
    );
    await queryRunner.query(`ALTER TABLE "carbon_project_parcels" ALTER COLUMN "crediting" SET NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "carbon_project_parcels" ADD CONSTRAINT "xc_carbon_project_parcels_crediting" EXCLUDE USING gist ("parcel_id" WITH =, "crediting" WITH &&)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "carbon_project_parcels" DROP CONSTRAINT "xc_carbon_project_parcels_crediting"`);
    await queryRunner.query(`ALTER TABLE "carbon_project_parcels" DROP COLUMN "crediting"`);
  }
}
