import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A 不动产单元号 names one piece of land: two parcels with the same one (e.g. the old 林权证 and the
 * new 不动产权证 of the same land, imported from two tables) could back two projects. Unique where given.
 */
export class UniqueParcelRealEstateUnit1795480000000 implements MigrationInterface {
  name = 'UniqueParcelRealEstateUnit1795480000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    const duplicates = (await queryRunner.query(
      `SELECT real_estate_unit_no, string_agg(certificate_no, ', ' ORDER BY certificate_no) AS certificates FROM "parcels"
              WHERE real_estate_unit_no IS NOT NULL GROUP BY real_estate_unit_no HAVING count(*) > 1 ORDER BY 1 LIMIT 20`,
    )) as Array<{ real_estate_unit_no: string; certificates: string }>;
    if (duplicates.length > 0) {
      throw new Error(`parcels share a 不动产单元号; resolve them first: ${duplicates.map((d) => `${d.real_estate_unit_no} (${d.certificates})`).join('; ')}`);
    }
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_parcels_real_estate_unit_no" ON "parcels" ("real_estate_unit_no") WHERE "real_estate_unit_no" IS NOT NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."uq_parcels_real_estate_unit_no"`);
  }
}
