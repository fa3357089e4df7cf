import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateSubsidies1795450134934 implements MigrationInterface {
  name = 'CreateSubsidies1795450134934';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "transfer_contracts" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "code" text NOT NULL, "transferor_party_id" bigint NOT NULL, "transferee_party_id" bigint NOT NULL, "township_id" bigint NOT NULL, "mode" text NOT NULL, "area_mu" numeric(14,4) NOT NULL, "start_date" date NOT NULL, "end_date" date NOT NULL, "price_terms" text NOT NULL, "annual_amount" numeric(20,2), "platform_reference" text, "certificate_no" text, "certificate_issued_on" date, "state" text NOT NULL DEFAULT 'REGISTERED', "ended_on" date, "terminated_on" date, "termination_reason" text, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_transfer_contracts_code" UNIQUE ("code"), CONSTRAINT "ck_transfer_contracts_terminated" CHECK (("state" = 'TERMINATED') = ("terminated_on" IS NOT NULL)), CONSTRAINT "ck_transfer_contracts_parties" CHECK ("transferor_party_id" <> "transferee_party_id"), CONSTRAINT "ck_transfer_contracts_dates" CHECK ("end_date" >= "start_date"), CONSTRAINT "ck_transfer_contracts_area" CHECK ("area_mu" > 0), CONSTRAINT "ck_transfer_contracts_state" CHECK ("state" IN ('REGISTERED', 'ACTIVE', 'ENDED', 'TERMINATED')), CONSTRAINT "ck_transfer_contracts_mode" CHECK ("mode" IN ('LEASE', 'EQUITY', 'COOPERATION', 'SUBCONTRACT')), CONSTRAINT "pk_transfer_contracts" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_transfer_contracts_township" ON "transfer_contracts" ("township_id") `);
    await queryRunner.query(`CREATE INDEX "ix_transfer_contracts_transferee" ON "transfer_contracts" ("transferee_party_id") `);
    await queryRunner.query(`CREATE INDEX "ix_transfer_contracts_transferor" ON "transfer_contracts" ("transferor_party_id") `);
    await queryRunner.query(
      `CREATE TABLE "transfer_contract_parcels" ("contract_id" bigint NOT NULL, "parcel_id" bigint NOT NULL, CONSTRAINT "pk_transfer_contract_parcels" PRIMARY KEY ("contract_id", "parcel_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_transfer_contract_parcels_parcel" ON "transfer_contract_parcels" ("parcel_id") `);
    await queryRunner.query(
      `CREATE TABLE "subsidy_programmes" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "code" text NOT NULL, "name" text NOT NULL, "funding_party_id" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_subsidy_programmes_code" UNIQUE ("code"), CONSTRAINT "pk_subsidy_programmes" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "subsidy_programme_regions" ("programme_id" bigint NOT NULL, "region_id" bigint NOT NULL, CONSTRAINT "pk_subsidy_programme_regions" PRIMARY KEY ("programme_id", "region_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_subsidy_programme_regions_region" ON "subsidy_programme_regions" ("region_id") `);
    await queryRunner.query(
      `CREATE TABLE "subsidy_rules" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "programme_id" bigint NOT NULL, "version" integer NOT NULL, "effective_from" date NOT NULL, "rate_basis" text NOT NULL, "rate" numeric(20,6) NOT NULL, "cap_per_contract" numeric(20,2), "cap_per_recipient_per_year" numeric(20,2), "min_term_years" smallint NOT NULL, "min_area_mu" numeric(14,4) NOT NULL, "modes" text array NOT NULL, "transferor_kinds" text array NOT NULL, "transferee_kinds" text array NOT NULL, "recipients" jsonb NOT NULL, "instalments" jsonb NOT NULL, "clawback_rate" numeric(7,6) NOT NULL, "created_by" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_subsidy_rules_effective" UNIQUE ("programme_id", "effective_from"), CONSTRAINT "uq_subsidy_rules_version" UNIQUE ("programme_id", "version"), CONSTRAINT "ck_subsidy_rules_clawback" CHECK ("clawback_rate" >= 0 AND "clawback_rate" <= 1), CONSTRAINT "ck_subsidy_rules_min" CHECK ("min_term_years" >= 0 AND "min_area_mu" >= 0), CONSTRAINT "ck_subsidy_rules_caps" CHECK (("cap_per_contract" IS NULL OR "cap_per_contract" >= 0) AND ("cap_per_recipient_per_year" IS NULL OR "cap_per_recipient_per_year" >= 0)), CONSTRAINT "ck_subsidy_rules_rate" CHECK ("rate" >= 0), CONSTRAINT "ck_subsidy_rules_basis" CHECK ("rate_basis" IN ('PER_MU', 'PER_CONTRACT')), CONSTRAINT "pk_subsidy_rules" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "subsidy_claims" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "programme_id" bigint NOT NULL, "contract_id" bigint NOT NULL, "rule_id" bigint, "state" text NOT NULL, "apply_key" text NOT NULL, "eligibility" jsonb NOT NULL, "calculation" jsonb, "amount" numeric(20,2) NOT NULL, "applied_by" text NOT NULL, "applied_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "approved_by" text, "approved_on" date, "reserve_entry_id" bigint, "clawback_amount" numeric(20,2), "clawback_entry_id" bigint, "clawback_calculation" jsonb, CONSTRAINT "uq_subsidy_claims_apply_key" UNIQUE ("apply_key"), CONSTRAINT "ck_subsidy_claims_amount" CHECK ("amount" >= 0), CONSTRAINT "ck_subsidy_claims_four_eyes" CHECK ("approved_by" IS NULL OR "approved_by" <> "applied_by"), CONSTRAINT "ck_subsidy_claims_state" CHECK ("state" IN ('APPLIED', 'INELIGIBLE', 'APPROVED', 'COMPLETED', 'CANCELLED', 'CLAWBACK_DUE', 'RECOVERED')), CONSTRAINT "pk_subsidy_claims" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_subsidy_claims_contract" ON "subsidy_claims" ("contract_id") `);
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_subsidy_claims_contract" ON "subsidy_claims" ("programme_id", "contract_id") WHERE "state" <> 'INELIGIBLE'`);
    await queryRunner.query(
      `CREATE TABLE "subsidy_claim_recipients" ("claim_id" bigint NOT NULL, "party_id" bigint NOT NULL, "role" text NOT NULL, "amount" numeric(20,2) NOT NULL, "approved_year" smallint NOT NULL, "clawback_amount" numeric(20,2), "recovered_amount" numeric(20,2) NOT NULL DEFAULT '0', CONSTRAINT "ck_subsidy_claim_recipients_recovered" CHECK ("recovered_amount" >= 0 AND "recovered_amount" <= COALESCE("clawback_amount", 0)), CONSTRAINT "ck_subsidy_claim_recipients_role" CHECK ("role" IN ('TRANSFEROR', 'TRANSFEREE')), CONSTRAINT "pk_subsidy_claim_recipients" PRIMARY KEY ("claim_id", "party_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_subsidy_claim_recipients_party" ON "subsidy_claim_recipients" ("party_id", "approved_year") `);
    await queryRunner.query(
      `CREATE TABLE "subsidy_instalments" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "claim_id" bigint NOT NULL, "seq" smallint NOT NULL, "due_date" date NOT NULL, "amount" numeric(20,2) NOT NULL, "splits" jsonb NOT NULL, "state" text NOT NULL DEFAULT 'SCHEDULED', "entry_id" bigint, "paid_on" date, CONSTRAINT "uq_subsidy_instalments_seq" UNIQUE ("claim_id", "seq"), CONSTRAINT "ck_subsidy_instalments_paid" CHECK (("state" = 'PAID') = ("entry_id" IS NOT NULL)), CONSTRAINT "ck_subsidy_instalments_amount" CHECK ("amount" > 0), CONSTRAINT "ck_subsidy_instalments_state" CHECK ("state" IN ('SCHEDULED', 'PAID', 'CANCELLED')), CONSTRAINT "pk_subsidy_instalments" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_subsidy_instalments_due" ON "subsidy_instalments" ("state", "due_date") `);
    await queryRunner.query(
      `ALTER TABLE "transfer_contracts" ADD CONSTRAINT "fk_transfer_contracts_transferor" FOREIGN KEY ("transferor_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "transfer_contracts" ADD CONSTRAINT "fk_transfer_contracts_transferee" FOREIGN KEY ("transferee_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "transfer_contracts" ADD CONSTRAINT "fk_transfer_contracts_township" FOREIGN KEY ("township_id") REFERENCES "regions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "transfer_contract_parcels" ADD CONSTRAINT "fk_transfer_contract_parcels_contract" FOREIGN KEY ("contract_id") REFERENCES "transfer_contracts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "transfer_contract_parcels" ADD CONSTRAINT "fk_transfer_contract_parcels_parcel" FOREIGN KEY ("parcel_id") REFERENCES "parcels"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_programmes" ADD CONSTRAINT "fk_subsidy_programmes_funding_party" FOREIGN KEY ("funding_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_programme_regions" ADD CONSTRAINT "fk_subsidy_programme_regions_programme" FOREIGN KEY ("programme_id") REFERENCES "subsidy_programmes"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_programme_regions" ADD CONSTRAINT "fk_subsidy_programme_regions_region" FOREIGN KEY ("region_id") REFERENCES "regions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_rules" ADD CONSTRAINT "fk_subsidy_rules_programme" FOREIGN KEY ("programme_id") REFERENCES "subsidy_programmes"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_claims" ADD CONSTRAINT "fk_subsidy_claims_programme" FOREIGN KEY ("programme_id") REFERENCES "subsidy_programmes"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_claims" ADD CONSTRAINT "fk_subsidy_claims_contract" FOREIGN KEY ("contract_id") REFERENCES "transfer_contracts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_claims" ADD CONSTRAINT "fk_subsidy_claims_rule" FOREIGN KEY ("rule_id") REFERENCES "subsidy_rules"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_claim_recipients" ADD CONSTRAINT "fk_subsidy_claim_recipients_claim" FOREIGN KEY ("claim_id") REFERENCES "subsidy_claims"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_claim_recipients" ADD CONSTRAINT "fk_subsidy_claim_recipients_party" FOREIGN KEY ("party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "subsidy_instalments" ADD CONSTRAINT "fk_subsidy_instalments_claim" FOREIGN KEY ("claim_id") REFERENCES "subsidy_claims"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "subsidy_instalments" DROP CONSTRAINT "fk_subsidy_instalments_claim"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claim_recipients" DROP CONSTRAINT "fk_subsidy_claim_recipients_party"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claim_recipients" DROP CONSTRAINT "fk_subsidy_claim_recipients_claim"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP CONSTRAINT "fk_subsidy_claims_rule"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP CONSTRAINT "fk_subsidy_claims_contract"`);
    await queryRunner.query(`ALTER TABLE "subsidy_claims" DROP CONSTRAINT "fk_subsidy_claims_programme"`);
    await queryRunner.query(`ALTER TABLE "subsidy_rules" DROP CONSTRAINT "fk_subsidy_rules_programme"`);
    await queryRunner.query(`ALTER TABLE "subsidy_programme_regions" DROP CONSTRAINT "fk_subsidy_programme_regions_region"`);
    await queryRunner.query(`ALTER TABLE "subsidy_programme_regions" DROP CONSTRAINT "fk_subsidy_programme_regions_programme"`);
    await queryRunner.query(`ALTER TABLE "subsidy_programmes" DROP CONSTRAINT "fk_subsidy_programmes_funding_party"`);
    await queryRunner.query(`ALTER TABLE "transfer_contract_parcels" DROP CONSTRAINT "fk_transfer_contract_parcels_parcel"`);
    await queryRunner.query(`ALTER TABLE "transfer_contract_parcels" DROP CONSTRAINT "fk_transfer_contract_parcels_contract"`);
    await queryRunner.query(`ALTER TABLE "transfer_contracts" DROP CONSTRAINT "fk_transfer_contracts_township"`);
    await queryRunner.query(`ALTER TABLE "transfer_contracts" DROP CONSTRAINT "fk_transfer_contracts_transferee"`);
    await queryRunner.query(`ALTER TABLE "transfer_contracts" DROP CONSTRAINT "fk_transfer_contracts_transferor"`);
    await queryRunner.query(`DROP INDEX "public"."ix_subsidy_instalments_due"`);
    await queryRunner.query(`DROP TABLE "subsidy_instalments"`);
    await queryRunner.query(`DROP INDEX "public"."ix_subsidy_claim_recipients_party"`);
    await queryRunner.query(`DROP TABLE "subsidy_claim_recipients"`);
    await queryRunner.query(`DROP INDEX "public"."uq_subsidy_claims_contract"`);
    await queryRunner.query(`DROP INDEX "public"."ix_subsidy_claims_contract"`);
    await queryRunner.query(`DROP TABLE "subsidy_claims"`);
    await queryRunner.query(`DROP TABLE "subsidy_rules"`);
    await queryRunner.query(`DROP INDEX "public"."ix_subsidy_programme_regions_region"`);
    await queryRunner.query(`DROP TABLE "subsidy_programme_regions"`);
    await queryRunner.query(`DROP TABLE "subsidy_programmes"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transfer_contract_parcels_parcel"`);
    await queryRunner.query(`DROP TABLE "transfer_contract_parcels"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transfer_contracts_transferor"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transfer_contracts_transferee"`);
    await queryRunner.query(`DROP INDEX "public"."ix_transfer_contracts_township"`);
    await queryRunner.query(`DROP TABLE "transfer_contracts"`);
  }
}
