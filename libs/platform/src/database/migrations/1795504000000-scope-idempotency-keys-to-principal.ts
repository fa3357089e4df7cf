import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * An Idempotency-Key belongs to its caller: the same key from two users is two commands, and a
 * replay goes only to the user who sent the original. Rows stored before take their user from the
 * first successful audit row under the key (written in the command's own transaction), so a retry
 * across the upgrade still replays to that user and to no one else.
 */
export class ScopeIdempotencyKeysToPrincipal1795504000000 implements MigrationInterface {
  name = 'ScopeIdempotencyKeysToPrincipal1795504000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "idempotency_requests" ADD "principal" text`);
    await queryRunner.query(
      `UPDATE "idempotency_requests" r SET "principal" = 'user:' || a.user_id
               FROM (SELECT DISTINCT ON (idempotency_key) idempotency_key, user_id FROM "audit_log"
                      WHERE outcome = 'SUCCESS' AND idempotency_key IS NOT NULL AND user_id IS NOT NULL ORDER BY idempotency_key, id) a
              WHERE a.idempotency_key = r."key"`,
    );
    // No audit row names a caller: nobody can replay the answer (the key is spent).
    await queryRunner.query(`UPDATE "idempotency_requests" SET "principal" = 'unknown' WHERE "principal" IS NULL`);
    await queryRunner.query(`ALTER TABLE "idempotency_requests" ALTER COLUMN "principal" SET NOT NULL`);
    await queryRunner.query(`ALTER TABLE "idempotency_requests" DROP CONSTRAINT "pk_idempotency_requests"`);
    await queryRunner.query(`ALTER TABLE "idempotency_requests" ADD CONSTRAINT "pk_idempotency_requests" PRIMARY KEY ("principal", "key")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Keys global again: of the callers who used one key, the first keeps it.
    await queryRunner.query(
      `DELETE FROM "idempotency_requests" r USING "idempotency_requests" o
              WHERE o."key" = r."key" AND (o.created_at, o.principal) < (r.created_at, r.principal)`,
    );
    await queryRunner.query(`ALTER TABLE "idempotency_requests" DROP CONSTRAINT "pk_idempotency_requests"`);
    await queryRunner.query(`ALTER TABLE "idempotency_requests" DROP COLUMN "principal"`);
    await queryRunner.query(`ALTER TABLE "idempotency_requests" ADD CONSTRAINT "pk_idempotency_requests" PRIMARY KEY ("key")`);
  }
}
