import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCarbon1795449927786 implements MigrationInterface {
  name = 'CreateCarbon1795449927786';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // int8range/daterange exclusion with plain equality on project_id needs btree_gist's operator classes
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS btree_gist`);
    await queryRunner.query(
      `CREATE TABLE "carbon_projects" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "code" text NOT NULL, "name" text NOT NULL, "owner_party_id" bigint NOT NULL, "coop_project_id" bigint, "standard" text NOT NULL, "external_id" text, "methodology" text NOT NULL, "crediting_start" date NOT NULL, "crediting_end" date NOT NULL, "buffer_ratio" numeric(7,6) NOT NULL, "state" text NOT NULL DEFAULT 'DRAFT', "last_serial" bigint NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "registered_at" TIMESTAMP WITH TIME ZONE, "closed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_carbon_projects_code" UNIQUE ("code"), CONSTRAINT "ck_carbon_projects_last_serial" CHECK ("last_serial" >= 0), CONSTRAINT "ck_carbon_projects_buffer_ratio" CHECK ("buffer_ratio" >= 0 AND "buffer_ratio" < 1), CONSTRAINT "ck_carbon_projects_crediting_period" CHECK ("crediting_end" > "crediting_start"), CONSTRAINT "ck_carbon_projects_state" CHECK ("state" IN ('DRAFT', 'REGISTERED', 'CLOSED')), CONSTRAINT "ck_carbon_projects_standard" CHECK ("standard" IN ('SANMING_TICKET', 'FFCER', 'CCER', 'OTHER')), CONSTRAINT "pk_carbon_projects" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_carbon_projects_coop_project" ON "carbon_projects" ("coop_project_id") `);
    await queryRunner.query(`CREATE INDEX "ix_carbon_projects_owner" ON "carbon_projects" ("owner_party_id") `);
    await queryRunner.query(
      `CREATE TABLE "carbon_project_parcels" ("project_id" bigint NOT NULL, "parcel_id" bigint NOT NULL, CONSTRAINT "pk_carbon_project_parcels" PRIMARY KEY ("project_id", "parcel_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_carbon_project_parcels_parcel" ON "carbon_project_parcels" ("parcel_id") `);
    await queryRunner.query(
      `CREATE TABLE "carbon_revenue_rules" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "project_id" bigint NOT NULL, "version" integer NOT NULL, "rule" jsonb NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_carbon_revenue_rules_version" UNIQUE ("project_id", "version"), CONSTRAINT "ck_carbon_revenue_rules_version" CHECK ("version" > 0), CONSTRAINT "pk_carbon_revenue_rules" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "carbon_issuances" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "project_id" bigint NOT NULL, "vintage" text NOT NULL, "vintage_start" date NOT NULL, "vintage_end" date NOT NULL, "quantity" bigint NOT NULL, "buffer_quantity" bigint NOT NULL, "serial_start" bigint NOT NULL, "serial_end" bigint NOT NULL, "verification_reference" text NOT NULL, "issued_on" date NOT NULL, "entry_id" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_carbon_issuances_entry" UNIQUE ("entry_id"), CONSTRAINT "ck_carbon_issuances_serials" CHECK ("serial_start" > 0 AND "serial_end" - "serial_start" + 1 = "quantity"), CONSTRAINT "ck_carbon_issuances_quantity" CHECK ("quantity" > 0 AND "buffer_quantity" >= 0 AND "buffer_quantity" <= "quantity"), CONSTRAINT "ck_carbon_issuances_vintage" CHECK ("vintage_end" >= "vintage_start"), CONSTRAINT "xc_carbon_issuances_vintage" EXCLUDE USING gist ("project_id" WITH =, daterange("vintage_start", "vintage_end", '[]') WITH &&), CONSTRAINT "pk_carbon_issuances" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "carbon_listings" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "project_id" bigint NOT NULL, "seller_party_id" bigint NOT NULL, "issuance_id" bigint, "unit_price" numeric(20,2) NOT NULL, "quantity_listed" bigint NOT NULL, "quantity_available" bigint NOT NULL, "state" text NOT NULL DEFAULT 'OPEN', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_carbon_listings_quantity" CHECK ("quantity_listed" > 0 AND "quantity_available" >= 0 AND "quantity_available" <= "quantity_listed"), CONSTRAINT "ck_carbon_listings_price" CHECK ("unit_price" > 0), CONSTRAINT "ck_carbon_listings_state" CHECK ("state" IN ('OPEN', 'SOLD_OUT', 'CANCELLED')), CONSTRAINT "pk_carbon_listings" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_carbon_listings_project" ON "carbon_listings" ("project_id") `);
    await queryRunner.query(
      `CREATE TABLE "carbon_sales" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "listing_id" bigint NOT NULL, "buyer_party_id" bigint NOT NULL, "quantity" bigint NOT NULL, "unit_price" numeric(20,2) NOT NULL, "gross_amount" numeric(20,2) NOT NULL, "rule_id" bigint, "rule_version" integer, "serial_ranges" jsonb NOT NULL, "shares" jsonb NOT NULL, "effective_date" date NOT NULL, "entry_id" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_carbon_sales_entry" UNIQUE ("entry_id"), CONSTRAINT "ck_carbon_sales_amount" CHECK ("gross_amount" > 0), CONSTRAINT "ck_carbon_sales_rule" CHECK (("rule_id" IS NULL) = ("rule_version" IS NULL)), CONSTRAINT "ck_carbon_sales_quantity" CHECK ("quantity" > 0), CONSTRAINT "pk_carbon_sales" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_carbon_sales_buyer" ON "carbon_sales" ("buyer_party_id") `);
    await queryRunner.query(`CREATE INDEX "ix_carbon_sales_listing" ON "carbon_sales" ("listing_id") `);
    await queryRunner.query(
      `CREATE TABLE "carbon_retirements" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "certificate_seq" integer NOT NULL, "certificate_no" text NOT NULL, "issuance_id" bigint NOT NULL, "retiring_party_id" bigint NOT NULL, "beneficiary_name" text NOT NULL, "publish_beneficiary" boolean NOT NULL, "purpose" text NOT NULL, "event_name" text, "event_emissions" numeric(20,3), "quantity" bigint NOT NULL, "serial_ranges" jsonb NOT NULL, "effective_date" date NOT NULL, "content_hash" text NOT NULL, "verification_code" text NOT NULL, "entry_id" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_carbon_retirements_entry" UNIQUE ("entry_id"), CONSTRAINT "uq_carbon_retirements_verification_code" UNIQUE ("verification_code"), CONSTRAINT "uq_carbon_retirements_certificate_no" UNIQUE ("certificate_no"), CONSTRAINT "uq_carbon_retirements_certificate_seq" UNIQUE ("certificate_seq"), CONSTRAINT "ck_carbon_retirements_emissions" CHECK ("event_emissions" IS NULL OR "event_emissions" >= 0), CONSTRAINT "ck_carbon_retirements_quantity" CHECK ("quantity" > 0), CONSTRAINT "ck_carbon_retirements_purpose" CHECK ("purpose" IN ('EVENT_NEUTRALITY', 'CSR', 'JUDICIAL_RESTORATION', 'COMPLIANCE_OFFSET', 'OTHER')), CONSTRAINT "pk_carbon_retirements" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_carbon_retirements_issuance" ON "carbon_retirements" ("issuance_id") `);
    await queryRunner.query(
      `CREATE TABLE "carbon_serial_blocks" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "project_id" bigint NOT NULL, "issuance_id" bigint NOT NULL, "serial_start" bigint NOT NULL, "serial_end" bigint NOT NULL, "owner_party_id" bigint, "status" text NOT NULL, "listing_id" bigint, "retirement_id" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_carbon_serial_blocks_listing" CHECK (("status" = 'RESERVED') = ("listing_id" IS NOT NULL)), CONSTRAINT "ck_carbon_serial_blocks_owner" CHECK (("status" = 'BUFFER') = ("owner_party_id" IS NULL)), CONSTRAINT "ck_carbon_serial_blocks_range" CHECK ("serial_start" > 0 AND "serial_end" >= "serial_start"), CONSTRAINT "ck_carbon_serial_blocks_status" CHECK ("status" IN ('HELD', 'RESERVED', 'RETIRED', 'BUFFER', 'CANCELLED')), CONSTRAINT "xc_carbon_serial_blocks_range" EXCLUDE USING gist ("project_id" WITH =, int8range("serial_start", "serial_end", '[]') WITH &&), CONSTRAINT "pk_carbon_serial_blocks" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_carbon_serial_blocks_listing" ON "carbon_serial_blocks" ("listing_id") `);
    await queryRunner.query(`CREATE INDEX "ix_carbon_serial_blocks_issuance" ON "carbon_serial_blocks" ("issuance_id") `);
    await queryRunner.query(`CREATE INDEX "ix_carbon_serial_blocks_owner" ON "carbon_serial_blocks" ("project_id", "owner_party_id", "status") `);
    await queryRunner.query(
      `ALTER TABLE "carbon_projects" ADD CONSTRAINT "fk_carbon_projects_owner" FOREIGN KEY ("owner_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_projects" ADD CONSTRAINT "fk_carbon_projects_coop_project" FOREIGN KEY ("coop_project_id") REFERENCES "coop_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_project_parcels" ADD CONSTRAINT "fk_carbon_project_parcels_project" FOREIGN KEY ("project_id") REFERENCES "carbon_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_project_parcels" ADD CONSTRAINT "fk_carbon_project_parcels_parcel" FOREIGN KEY ("parcel_id") REFERENCES "parcels"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_revenue_rules" ADD CONSTRAINT "fk_carbon_revenue_rules_project" FOREIGN KEY ("project_id") REFERENCES "carbon_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_issuances" ADD CONSTRAINT "fk_carbon_issuances_project" FOREIGN KEY ("project_id") REFERENCES "carbon_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_listings" ADD CONSTRAINT "fk_carbon_listings_project" FOREIGN KEY ("project_id") REFERENCES "carbon_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_listings" ADD CONSTRAINT "fk_carbon_listings_seller" FOREIGN KEY ("seller_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_listings" ADD CONSTRAINT "fk_carbon_listings_issuance" FOREIGN KEY ("issuance_id") REFERENCES "carbon_issuances"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_sales" ADD CONSTRAINT "fk_carbon_sales_listing" FOREIGN KEY ("listing_id") REFERENCES "carbon_listings"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_sales" ADD CONSTRAINT "fk_carbon_sales_buyer" FOREIGN KEY ("buyer_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_sales" ADD CONSTRAINT "fk_carbon_sales_rule" FOREIGN KEY ("rule_id") REFERENCES "carbon_revenue_rules"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_retirements" ADD CONSTRAINT "fk_carbon_retirements_issuance" FOREIGN KEY ("issuance_id") REFERENCES "carbon_issuances"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_retirements" ADD CONSTRAINT "fk_carbon_retirements_retiring_party" FOREIGN KEY ("retiring_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_serial_blocks" ADD CONSTRAINT "fk_carbon_serial_blocks_project" FOREIGN KEY ("project_id") REFERENCES "carbon_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_serial_blocks" ADD CONSTRAINT "fk_carbon_serial_blocks_issuance" FOREIGN KEY ("issuance_id") REFERENCES "carbon_issuances"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_serial_blocks" ADD CONSTRAINT "fk_carbon_serial_blocks_owner" FOREIGN KEY ("owner_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_serial_blocks" ADD CONSTRAINT "fk_carbon_serial_blocks_listing" FOREIGN KEY ("listing_id") REFERENCES "carbon_listings"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "carbon_serial_blocks" ADD CONSTRAINT "fk_carbon_serial_blocks_retirement" FOREIGN KEY ("retirement_id") REFERENCES "carbon_retirements"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "carbon_serial_blocks" DROP CONSTRAINT "fk_carbon_serial_blocks_retirement"`);
    await queryRunner.query(`ALTER TABLE "carbon_serial_blocks" DROP CONSTRAINT "fk_carbon_serial_blocks_listing"`);
    await queryRunner.query(`ALTER TABLE "carbon_serial_blocks" DROP CONSTRAINT "fk_carbon_serial_blocks_owner"`);
    await queryRunner.query(`ALTER TABLE "carbon_serial_blocks" DROP CONSTRAINT "fk_carbon_serial_blocks_issuance"`);
    await queryRunner.query(`ALTER TABLE "carbon_serial_blocks" DROP CONSTRAINT "fk_carbon_serial_blocks_project"`);
    await queryRunner.query(`ALTER TABLE "carbon_retirements" DROP CONSTRAINT "fk_carbon_retirements_retiring_party"`);
    await queryRunner.query(`ALTER TABLE "carbon_retirements" DROP CONSTRAINT "fk_carbon_retirements_issuance"`);
    await queryRunner.query(`ALTER TABLE "carbon_sales" DROP CONSTRAINT "fk_carbon_sales_rule"`);
    await queryRunner.query(`ALTER TABLE "carbon_sales" DROP CONSTRAINT "fk_carbon_sales_buyer"`);
    await queryRunner.query(`ALTER TABLE "carbon_sales" DROP CONSTRAINT "fk_carbon_sales_listing"`);
    await queryRunner.query(`ALTER TABLE "carbon_listings" DROP CONSTRAINT "fk_carbon_listings_issuance"`);
    await queryRunner.query(`ALTER TABLE "carbon_listings" DROP CONSTRAINT "fk_carbon_listings_seller"`);
    await queryRunner.query(`ALTER TABLE "carbon_listings" DROP CONSTRAINT "fk_carbon_listings_project"`);
    await queryRunner.query(`ALTER TABLE "carbon_issuances" DROP CONSTRAINT "fk_carbon_issuances_project"`);
    await queryRunner.query(`ALTER TABLE "carbon_revenue_rules" DROP CONSTRAINT "fk_carbon_revenue_rules_project"`);
    await queryRunner.query(`ALTER TABLE "carbon_project_parcels" DROP CONSTRAINT "fk_carbon_project_parcels_parcel"`);
    await queryRunner.query(`ALTER TABLE "carbon_project_parcels" DROP CONSTRAINT "fk_carbon_project_parcels_project"`);
    await queryRunner.query(`ALTER TABLE "carbon_projects" DROP CONSTRAINT "fk_carbon_projects_coop_project"`);
    await queryRunner.query(`ALTER TABLE "carbon_projects" DROP CONSTRAINT "fk_carbon_projects_owner"`);
    await queryRunner.query(`DROP TABLE "carbon_serial_blocks"`);
    await queryRunner.query(`DROP TABLE "carbon_retirements"`);
    await queryRunner.query(`DROP TABLE "carbon_sales"`);
    await queryRunner.query(`DROP TABLE "carbon_listings"`);
    await queryRunner.query(`DROP TABLE "carbon_issuances"`);
    await queryRunner.query(`DROP TABLE "carbon_revenue_rules"`);
    await queryRunner.query(`DROP TABLE "carbon_project_parcels"`);
    await queryRunner.query(`DROP TABLE "carbon_projects"`);
    // btree_gist stays: an extension may serve other tables, and creating it again is a no-op
  }
}
