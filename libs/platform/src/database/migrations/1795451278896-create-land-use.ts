import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateLandUse1795451278896 implements MigrationInterface {
  name = 'CreateLandUse1795451278896';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "land_use_contracts" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "code" text NOT NULL, "lessor_party_id" bigint NOT NULL, "lessee_party_id" bigint NOT NULL, "mode" text NOT NULL, "state" text NOT NULL DEFAULT 'DRAFT', "area_mu" numeric(14,4) NOT NULL, "permitted_uses" text array NOT NULL, "other_use" text, "start_date" date NOT NULL, "end_date" date NOT NULL, "renews_contract_id" bigint, "rent_basis" text, "rent_rate_per_mu" numeric(20,2), "rent_annual_amount" numeric(20,2), "escalation_kind" text NOT NULL DEFAULT 'NONE', "escalation_every_years" smallint, "escalation_step" numeric(20,2), "escalation_percent" numeric(9,4), "billing_frequency" text, "deposit_amount" numeric(20,2) NOT NULL DEFAULT '0', "deposit_entry_id" bigint, "late_fee_daily_rate" numeric(10,8) NOT NULL DEFAULT 0.0005, "late_fee_cap_ratio" numeric(9,6) NOT NULL DEFAULT '1', "appraised_value" numeric(20,2), "appraisal_reference" text, "created_by" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "activated_at" TIMESTAMP WITH TIME ZONE, "terminated_on" date, "termination_reason" text, "settlement" jsonb, "closed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_land_use_contracts_renews" UNIQUE ("renews_contract_id"), CONSTRAINT "uq_land_use_contracts_code" UNIQUE ("code"), CONSTRAINT "ck_land_use_contracts_closed" CHECK (("state" = 'TERMINATED') = ("terminated_on" IS NOT NULL) AND ("state" IN ('ENDED', 'TERMINATED')) = ("closed_at" IS NOT NULL)), CONSTRAINT "ck_land_use_contracts_late_fee" CHECK ("late_fee_daily_rate" >= 0 AND "late_fee_daily_rate" < 1 AND "late_fee_cap_ratio" >= 0), CONSTRAINT "ck_land_use_contracts_deposit" CHECK ("deposit_amount" >= 0 AND ("mode" <> 'EQUITY' OR "deposit_amount" = 0)), CONSTRAINT "ck_land_use_contracts_equity" CHECK (("mode" = 'EQUITY') = ("appraised_value" IS NOT NULL AND "appraisal_reference" IS NOT NULL)), CONSTRAINT "ck_land_use_contracts_frequency" CHECK ("billing_frequency" IS NULL OR "billing_frequency" IN ('ANNUAL', 'SEMI_ANNUAL', 'QUARTERLY')), CONSTRAINT "ck_land_use_contracts_escalation" CHECK ("escalation_kind" IN ('NONE', 'STEP', 'PERCENT') AND ("escalation_kind" = 'NONE') = ("escalation_every_years" IS NULL)), CONSTRAINT "ck_land_use_contracts_rent" CHECK (("mode" = 'EQUITY') = ("rent_basis" IS NULL) AND ("rent_basis" IS NULL OR "rent_basis" IN ('PER_MU', 'FIXED')) AND ("rent_basis" <> 'PER_MU' OR "rent_rate_per_mu" > 0) AND ("rent_basis" <> 'FIXED' OR "rent_annual_amount" > 0)), CONSTRAINT "ck_land_use_contracts_parties" CHECK ("lessor_party_id" <> "lessee_party_id"), CONSTRAINT "ck_land_use_contracts_dates" CHECK ("end_date" >= "start_date"), CONSTRAINT "ck_land_use_contracts_area" CHECK ("area_mu" > 0), CONSTRAINT "ck_land_use_contracts_uses" CHECK (cardinality("permitted_uses") > 0 AND "permitted_uses" <@ ARRAY['UNDERSTORY_ECONOMY', 'FOREST_WELLNESS', 'TOURISM', 'NATURE_EDUCATION', 'OTHER']::text[]), CONSTRAINT "ck_land_use_contracts_state" CHECK ("state" IN ('DRAFT', 'ACTIVE', 'ENDED', 'TERMINATED')), CONSTRAINT "ck_land_use_contracts_mode" CHECK ("mode" IN ('LEASE', 'EQUITY', 'CONCESSION')), CONSTRAINT "pk_land_use_contracts" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_land_use_contracts_lessee" ON "land_use_contracts" ("lessee_party_id") `);
    await queryRunner.query(`CREATE INDEX "ix_land_use_contracts_lessor" ON "land_use_contracts" ("lessor_party_id") `);
    await queryRunner.query(
      `CREATE TABLE "land_use_contract_parcels" ("contract_id" bigint NOT NULL, "parcel_id" bigint NOT NULL, CONSTRAINT "pk_land_use_contract_parcels" PRIMARY KEY ("contract_id", "parcel_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_land_use_contract_parcels_parcel" ON "land_use_contract_parcels" ("parcel_id") `);
    await queryRunner.query(
      `CREATE TABLE "land_use_periods" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "contract_id" bigint NOT NULL, "seq" smallint NOT NULL, "period_start" date NOT NULL, "period_end" date NOT NULL, "due_date" date NOT NULL, "contract_year" smallint NOT NULL, "annual_rent" numeric(20,2) NOT NULL, "days" smallint NOT NULL, "period_days" smallint NOT NULL, "amount" numeric(20,2) NOT NULL, "calculation" text NOT NULL, "state" text NOT NULL DEFAULT 'SCHEDULED', CONSTRAINT "uq_land_use_periods_seq" UNIQUE ("contract_id", "seq"), CONSTRAINT "ck_land_use_periods_amount" CHECK ("amount" > 0 AND "days" > 0 AND "days" <= "period_days"), CONSTRAINT "ck_land_use_periods_state" CHECK ("state" IN ('SCHEDULED', 'RAISED', 'CANCELLED')), CONSTRAINT "pk_land_use_periods" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_land_use_periods_due" ON "land_use_periods" ("state", "due_date") `);
    await queryRunner.query(
      `CREATE TABLE "land_use_receivables" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "contract_id" bigint NOT NULL, "period_id" bigint NOT NULL, "kind" text NOT NULL, "amount" numeric(20,2) NOT NULL, "settled" numeric(20,2) NOT NULL DEFAULT '0', "waived" numeric(20,2) NOT NULL DEFAULT '0', "credited" numeric(20,2) NOT NULL DEFAULT '0', "accrued_through" date, "entry_id" bigint, CONSTRAINT "uq_land_use_receivables_period_kind" UNIQUE ("period_id", "kind"), CONSTRAINT "ck_land_use_receivables_kind_fields" CHECK (("kind" = 'PRINCIPAL' OR "credited" = 0) AND ("kind" = 'LATE_FEE' OR "waived" = 0)), CONSTRAINT "ck_land_use_receivables_amounts" CHECK ("amount" >= 0 AND "settled" >= 0 AND "waived" >= 0 AND "credited" >= 0 AND "settled" + "waived" + "credited" <= "amount"), CONSTRAINT "ck_land_use_receivables_kind" CHECK ("kind" IN ('PRINCIPAL', 'LATE_FEE')), CONSTRAINT "pk_land_use_receivables" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_land_use_receivables_contract" ON "land_use_receivables" ("contract_id") `);
    await queryRunner.query(
      `CREATE TABLE "land_use_settlements" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "contract_id" bigint NOT NULL, "source" text NOT NULL, "amount" numeric(20,2) NOT NULL, "to_credit" numeric(20,2) NOT NULL DEFAULT '0', "effective_date" date NOT NULL, "bank_reference" text, "entry_id" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_land_use_settlements_bank" CHECK (("source" = 'PAYMENT') = ("bank_reference" IS NOT NULL)), CONSTRAINT "ck_land_use_settlements_amounts" CHECK ("amount" > 0 AND "to_credit" >= 0 AND "to_credit" <= "amount" AND ("source" = 'PAYMENT' OR "to_credit" = 0)), CONSTRAINT "ck_land_use_settlements_source" CHECK ("source" IN ('PAYMENT', 'CREDIT', 'DEPOSIT')), CONSTRAINT "pk_land_use_settlements" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_land_use_settlements_contract" ON "land_use_settlements" ("contract_id") `);
    await queryRunner.query(
      `CREATE TABLE "land_use_settlement_lines" ("settlement_id" bigint NOT NULL, "receivable_id" bigint NOT NULL, "amount" numeric(20,2) NOT NULL, CONSTRAINT "ck_land_use_settlement_lines_amount" CHECK ("amount" > 0), CONSTRAINT "pk_land_use_settlement_lines" PRIMARY KEY ("settlement_id", "receivable_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_land_use_settlement_lines_receivable" ON "land_use_settlement_lines" ("receivable_id") `);
    await queryRunner.query(
      `CREATE TABLE "land_use_waivers" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "receivable_id" bigint NOT NULL, "amount" numeric(20,2) NOT NULL, "reason" text NOT NULL, "waived_by" bigint NOT NULL, "entry_id" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_land_use_waivers_entry" UNIQUE ("entry_id"), CONSTRAINT "ck_land_use_waivers_amount" CHECK ("amount" > 0), CONSTRAINT "pk_land_use_waivers" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_land_use_waivers_receivable" ON "land_use_waivers" ("receivable_id") `);
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "fk_land_use_contracts_lessor" FOREIGN KEY ("lessor_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "fk_land_use_contracts_lessee" FOREIGN KEY ("lessee_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "fk_land_use_contracts_renews" FOREIGN KEY ("renews_contract_id") REFERENCES "land_use_contracts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_contracts" ADD CONSTRAINT "fk_land_use_contracts_created_by" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_contract_parcels" ADD CONSTRAINT "fk_land_use_contract_parcels_contract" FOREIGN KEY ("contract_id") REFERENCES "land_use_contracts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_contract_parcels" ADD CONSTRAINT "fk_land_use_contract_parcels_parcel" FOREIGN KEY ("parcel_id") REFERENCES "parcels"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_periods" ADD CONSTRAINT "fk_land_use_periods_contract" FOREIGN KEY ("contract_id") REFERENCES "land_use_contracts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_receivables" ADD CONSTRAINT "fk_land_use_receivables_contract" FOREIGN KEY ("contract_id") REFERENCES "land_use_contracts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_receivables" ADD CONSTRAINT "fk_land_use_receivables_period" FOREIGN KEY ("period_id") REFERENCES "land_use_periods"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_settlements" ADD CONSTRAINT "fk_land_use_settlements_contract" FOREIGN KEY ("contract_id") REFERENCES "land_use_contracts"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_settlement_lines" ADD CONSTRAINT "fk_land_use_settlement_lines_settlement" FOREIGN KEY ("settlement_id") REFERENCES "land_use_settlements"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_settlement_lines" ADD CONSTRAINT "fk_land_use_settlement_lines_receivable" FOREIGN KEY ("receivable_id") REFERENCES "land_use_receivables"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_waivers" ADD CONSTRAINT "fk_land_use_waivers_receivable" FOREIGN KEY ("receivable_id") REFERENCES "land_use_receivables"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "land_use_waivers" ADD CONSTRAINT "fk_land_use_waivers_waived_by" FOREIGN KEY ("waived_by") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "land_use_waivers" DROP CONSTRAINT "fk_land_use_waivers_waived_by"`);
    await queryRunner.query(`ALTER TABLE "land_use_waivers" DROP CONSTRAINT "fk_land_use_waivers_receivable"`);
    await queryRunner.query(`ALTER TABLE "land_use_settlement_lines" DROP CONSTRAINT "fk_land_use_settlement_lines_receivable"`);
    await queryRunner.query(`ALTER TABLE "land_use_settlement_lines" DROP CONSTRAINT "fk_land_use_settlement_lines_settlement"`);
    await queryRunner.query(`ALTER TABLE "land_use_settlements" DROP CONSTRAINT "fk_land_use_settlements_contract"`);
    await queryRunner.query(`ALTER TABLE "land_use_receivables" DROP CONSTRAINT "fk_land_use_receivables_period"`);
    await queryRunner.query(`ALTER TABLE "land_use_receivables" DROP CONSTRAINT "fk_land_use_receivables_contract"`);
    await queryRunner.query(`ALTER TABLE "land_use_periods" DROP CONSTRAINT "fk_land_use_periods_contract"`);
    await queryRunner.query(`ALTER TABLE "land_use_contract_parcels" DROP CONSTRAINT "fk_land_use_contract_parcels_parcel"`);
    await queryRunner.query(`ALTER TABLE "land_use_contract_parcels" DROP CONSTRAINT "fk_land_use_contract_parcels_contract"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "fk_land_use_contracts_created_by"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "fk_land_use_contracts_renews"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "fk_land_use_contracts_lessee"`);
    await queryRunner.query(`ALTER TABLE "land_use_contracts" DROP CONSTRAINT "fk_land_use_contracts_lessor"`);
    await queryRunner.query(`DROP INDEX "public"."ix_land_use_waivers_receivable"`);
    await queryRunner.query(`DROP TABLE "land_use_waivers"`);
    await queryRunner.query(`DROP INDEX "public"."ix_land_use_settlement_lines_receivable"`);
    await queryRunner.query(`DROP TABLE "land_use_settlement_lines"`);
    await queryRunner.query(`DROP INDEX "public"."ix_land_use_settlements_contract"`);
    await queryRunner.query(`DROP TABLE "land_use_settlements"`);
    await queryRunner.query(`DROP INDEX "public"."ix_land_use_receivables_contract"`);
    await queryRunner.query(`DROP TABLE "land_use_receivables"`);
    await queryRunner.query(`DROP INDEX "public"."ix_land_use_periods_due"`);
    await queryRunner.query(`DROP TABLE "land_use_periods"`);
    await queryRunner.query(`DROP INDEX "public"."ix_land_use_contract_parcels_parcel"`);
    await queryRunner.query(`DROP TABLE "land_use_contract_parcels"`);
    await queryRunner.query(`DROP INDEX "public"."ix_land_use_contracts_lessor"`);
    await queryRunner.query(`DROP INDEX "public"."ix_land_use_contracts_lessee"`);
    await queryRunner.query(`DROP TABLE "land_use_contracts"`);
  }
}
