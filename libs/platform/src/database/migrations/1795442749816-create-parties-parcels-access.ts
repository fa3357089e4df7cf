import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreatePartiesParcelsAccess1795442749816 implements MigrationInterface {
  name = 'CreatePartiesParcelsAccess1795442749816';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "regions" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "code" text NOT NULL, "name" text NOT NULL, "level" text NOT NULL, "parent_id" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_regions_code" UNIQUE ("code"), CONSTRAINT "ck_regions_parent" CHECK (("level" = 'COUNTY') = ("parent_id" IS NULL)), CONSTRAINT "ck_regions_level" CHECK ("level" IN ('COUNTY', 'TOWNSHIP', 'VILLAGE')), CONSTRAINT "pk_regions" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_regions_parent" ON "regions" ("parent_id") `);
    await queryRunner.query(
      `CREATE TABLE "parties" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "code" text NOT NULL, "kind" text NOT NULL, "name" text NOT NULL, "region_id" bigint, "id_kind" text, "id_hmac" text, "id_cipher" text, "id_masked" text, "phone" text, "household_id" bigint, "collective_id" bigint, "active" boolean NOT NULL DEFAULT true, "deactivated_at" TIMESTAMP WITH TIME ZONE, "metadata" jsonb NOT NULL DEFAULT '{}', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_parties_id_hmac" UNIQUE ("id_kind", "id_hmac"), CONSTRAINT "uq_parties_code" UNIQUE ("code"), CONSTRAINT "ck_parties_id_complete" CHECK (("id_kind" IS NULL) = ("id_hmac" IS NULL) AND ("id_hmac" IS NULL) = ("id_cipher" IS NULL) AND ("id_cipher" IS NULL) = ("id_masked" IS NULL)), CONSTRAINT "ck_parties_id_kind" CHECK ("id_kind" IS NULL OR "id_kind" IN ('RESIDENT_ID', 'CREDIT_CODE')), CONSTRAINT "ck_parties_kind" CHECK ("kind" IN ('STATE_FARM', 'COLLECTIVE', 'HOUSEHOLD', 'VILLAGER', 'ENTERPRISE', 'INDIVIDUAL_BUYER', 'GOVERNMENT_FUND', 'BANK', 'LESSEE')), CONSTRAINT "pk_parties" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_parties_household" ON "parties" ("household_id") `);
    await queryRunner.query(`CREATE INDEX "ix_parties_collective" ON "parties" ("collective_id") `);
    await queryRunner.query(`CREATE INDEX "ix_parties_region" ON "parties" ("region_id") `);
    await queryRunner.query(
      `CREATE TABLE "pii_access_log" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "party_id" bigint NOT NULL, "user_id" bigint NOT NULL, "reason" text NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_pii_access_log" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_pii_access_log_party" ON "pii_access_log" ("party_id") `);
    await queryRunner.query(
      `CREATE TABLE "parcels" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "certificate_no" text NOT NULL, "real_estate_unit_no" text, "holder_party_id" bigint NOT NULL, "village_id" bigint NOT NULL, "location" text NOT NULL, "forest_compartment" text NOT NULL, "sub_compartment" text NOT NULL, "area_mu" numeric(14,4) NOT NULL, "forest_type" text NOT NULL, "main_species" text NOT NULL, "rights_start" date NOT NULL, "rights_end" date NOT NULL, "certificate_state" text NOT NULL, "mortgaged" boolean NOT NULL DEFAULT false, "seized" boolean NOT NULL DEFAULT false, "remarks" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_parcels_certificate_no" UNIQUE ("certificate_no"), CONSTRAINT "ck_parcels_certificate_state" CHECK ("certificate_state" IN ('ISSUED_TO_HOUSEHOLD', 'PRINTED_SEALED_NOT_ISSUED', 'PRINTED_NOT_SEALED', 'NOT_PRINTED')), CONSTRAINT "ck_parcels_rights" CHECK ("rights_end" >= "rights_start"), CONSTRAINT "ck_parcels_area" CHECK ("area_mu" > 0), CONSTRAINT "pk_parcels" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_parcels_holder" ON "parcels" ("holder_party_id") `);
    await queryRunner.query(`CREATE INDEX "ix_parcels_village" ON "parcels" ("village_id") `);
    await queryRunner.query(
      `CREATE TABLE "users" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "username" text, "display_name" text NOT NULL, "role" text NOT NULL, "party_id" bigint, "password_hash" text, "pin_hash" text, "active" boolean NOT NULL DEFAULT true, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_users_party_role" UNIQUE ("party_id", "role"), CONSTRAINT "uq_users_username" UNIQUE ("username"), CONSTRAINT "ck_users_login" CHECK (("role" = 'VILLAGER' AND "pin_hash" IS NOT NULL) OR ("role" <> 'VILLAGER' AND "username" IS NOT NULL)), CONSTRAINT "ck_users_scope" CHECK (("role" IN ('FARM_OPERATOR', 'BUYER', 'VILLAGER')) = ("party_id" IS NOT NULL)), CONSTRAINT "ck_users_role" CHECK ("role" IN ('ADMIN', 'FARM_OPERATOR', 'APPROVER', 'BUYER', 'VILLAGER', 'AUDITOR')), CONSTRAINT "pk_users" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "api_keys" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "prefix" text NOT NULL, "secret_hash" text NOT NULL, "name" text NOT NULL, "user_id" bigint NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_api_keys_prefix" UNIQUE ("prefix"), CONSTRAINT "pk_api_keys" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_api_keys_user" ON "api_keys" ("user_id") `);
    await queryRunner.query(
      `CREATE TABLE "audit_log" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "user_id" bigint, "role" text, "method" text NOT NULL, "path" text NOT NULL, "idempotency_key" text, "status" smallint NOT NULL, "outcome" text NOT NULL, "error_code" text, "entry_ids" bigint array NOT NULL DEFAULT '{}', "correlation_id" text, CONSTRAINT "ck_audit_log_outcome" CHECK ("outcome" IN ('SUCCESS', 'FAILURE')), CONSTRAINT "pk_audit_log" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_audit_log_user" ON "audit_log" ("user_id", "at") `);
    await queryRunner.query(`CREATE INDEX "ix_audit_log_at" ON "audit_log" ("at") `);
    await queryRunner.query(
      `CREATE TABLE "approvals" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "action" text NOT NULL, "payload" jsonb NOT NULL, "state" text NOT NULL DEFAULT 'PENDING', "requested_by" bigint NOT NULL, "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "decided_by" bigint, "decided_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_approvals_four_eyes" CHECK ("decided_by" IS NULL OR "decided_by" <> "requested_by"), CONSTRAINT "ck_approvals_state" CHECK ("state" IN ('PENDING', 'APPROVED', 'REJECTED')), CONSTRAINT "pk_approvals" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_approvals_state" ON "approvals" ("state") `);
    await queryRunner.query(`ALTER TABLE "regions" ADD CONSTRAINT "fk_regions_parent" FOREIGN KEY ("parent_id") REFERENCES "regions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "parties" ADD CONSTRAINT "fk_parties_region" FOREIGN KEY ("region_id") REFERENCES "regions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(
      `ALTER TABLE "parties" ADD CONSTRAINT "fk_parties_household" FOREIGN KEY ("household_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "parties" ADD CONSTRAINT "fk_parties_collective" FOREIGN KEY ("collective_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "pii_access_log" ADD CONSTRAINT "fk_pii_access_log_party" FOREIGN KEY ("party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "parcels" ADD CONSTRAINT "fk_parcels_holder" FOREIGN KEY ("holder_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "parcels" ADD CONSTRAINT "fk_parcels_village" FOREIGN KEY ("village_id") REFERENCES "regions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(`ALTER TABLE "users" ADD CONSTRAINT "fk_users_party" FOREIGN KEY ("party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE "api_keys" ADD CONSTRAINT "fk_api_keys_user" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    await queryRunner.query(
      `ALTER TABLE "approvals" ADD CONSTRAINT "fk_approvals_requested_by" FOREIGN KEY ("requested_by") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "approvals" ADD CONSTRAINT "fk_approvals_decided_by" FOREIGN KEY ("decided_by") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    // The audit trail and the record of ID reveals are append-only, like the journal.
    for (const table of ['audit_log', 'pii_access_log']) {
      await queryRunner.query(`CREATE TRIGGER tr_${table}_append_only BEFORE UPDATE OR DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
      await queryRunner.query(`CREATE TRIGGER tr_${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['audit_log', 'pii_access_log']) {
      await queryRunner.query(`DROP TRIGGER tr_${table}_no_truncate ON ${table}`);
      await queryRunner.query(`DROP TRIGGER tr_${table}_append_only ON ${table}`);
    }
    await queryRunner.query(`ALTER TABLE "approvals" DROP CONSTRAINT "fk_approvals_decided_by"`);
    await queryRunner.query(`ALTER TABLE "approvals" DROP CONSTRAINT "fk_approvals_requested_by"`);
    await queryRunner.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "fk_api_keys_user"`);
    await queryRunner.query(`ALTER TABLE "users" DROP CONSTRAINT "fk_users_party"`);
    await queryRunner.query(`ALTER TABLE "parcels" DROP CONSTRAINT "fk_parcels_village"`);
    await queryRunner.query(`ALTER TABLE "parcels" DROP CONSTRAINT "fk_parcels_holder"`);
    await queryRunner.query(`ALTER TABLE "pii_access_log" DROP CONSTRAINT "fk_pii_access_log_party"`);
    await queryRunner.query(`ALTER TABLE "parties" DROP CONSTRAINT "fk_parties_collective"`);
    await queryRunner.query(`ALTER TABLE "parties" DROP CONSTRAINT "fk_parties_household"`);
    await queryRunner.query(`ALTER TABLE "parties" DROP CONSTRAINT "fk_parties_region"`);
    await queryRunner.query(`ALTER TABLE "regions" DROP CONSTRAINT "fk_regions_parent"`);
    await queryRunner.query(`DROP INDEX "public"."ix_approvals_state"`);
    await queryRunner.query(`DROP TABLE "approvals"`);
    await queryRunner.query(`DROP INDEX "public"."ix_audit_log_at"`);
    await queryRunner.query(`DROP INDEX "public"."ix_audit_log_user"`);
    await queryRunner.query(`DROP TABLE "audit_log"`);
    await queryRunner.query(`DROP INDEX "public"."ix_api_keys_user"`);
    await queryRunner.query(`DROP TABLE "api_keys"`);
    await queryRunner.query(`DROP TABLE "users"`);
    await queryRunner.query(`DROP INDEX "public"."ix_parcels_village"`);
    await queryRunner.query(`DROP INDEX "public"."ix_parcels_holder"`);
    await queryRunner.query(`DROP TABLE "parcels"`);
    await queryRunner.query(`DROP INDEX "public"."ix_pii_access_log_party"`);
    await queryRunner.query(`DROP TABLE "pii_access_log"`);
    await queryRunner.query(`DROP INDEX "public"."ix_parties_region"`);
    await queryRunner.query(`DROP INDEX "public"."ix_parties_collective"`);
    await queryRunner.query(`DROP INDEX "public"."ix_parties_household"`);
    await queryRunner.query(`DROP TABLE "parties"`);
    await queryRunner.query(`DROP INDEX "public"."ix_regions_parent"`);
    await queryRunner.query(`DROP TABLE "regions"`);
  }
}
