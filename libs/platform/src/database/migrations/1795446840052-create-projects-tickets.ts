import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateProjectsTickets1795446840052 implements MigrationInterface {
  name = 'CreateProjectsTickets1795446840052';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "coop_projects" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "code" text NOT NULL, "name" text NOT NULL, "farm_party_id" bigint NOT NULL, "collective_party_id" bigint NOT NULL, "project_type" text NOT NULL, "area_mu" numeric(14,4) NOT NULL, "start_date" date NOT NULL, "term_years" smallint NOT NULL, "management_fee_rate" numeric(7,6) NOT NULL, "collective_retained_ratio" numeric(7,6) NOT NULL, "member_weighting" text NOT NULL, "guarantee_description" text, "guaranteed_buy_back_price" numeric(20,2), "guaranteed_yield_per_mu" numeric(14,4), "guarantee_reference_price" numeric(20,2), "state" text NOT NULL DEFAULT 'DRAFT', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "activated_at" TIMESTAMP WITH TIME ZONE, "closed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "uq_coop_projects_code" UNIQUE ("code"), CONSTRAINT "ck_coop_projects_retained_ratio" CHECK ("collective_retained_ratio" >= 0 AND "collective_retained_ratio" <= 1), CONSTRAINT "ck_coop_projects_fee_rate" CHECK ("management_fee_rate" >= 0 AND "management_fee_rate" <= 1), CONSTRAINT "ck_coop_projects_term" CHECK ("term_years" > 0), CONSTRAINT "ck_coop_projects_area" CHECK ("area_mu" > 0), CONSTRAINT "ck_coop_projects_weighting" CHECK ("member_weighting" IN ('PER_PERSON', 'PER_HOUSEHOLD')), CONSTRAINT "ck_coop_projects_state" CHECK ("state" IN ('DRAFT', 'ACTIVE', 'CLOSED')), CONSTRAINT "ck_coop_projects_type" CHECK ("project_type" IN ('JOINT_AFFORESTATION', 'EXISTING_FOREST')), CONSTRAINT "pk_coop_projects" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_coop_projects_collective" ON "coop_projects" ("collective_party_id") `);
    await queryRunner.query(`CREATE INDEX "ix_coop_projects_farm" ON "coop_projects" ("farm_party_id") `);
    await queryRunner.query(
      `CREATE TABLE "coop_project_parcels" ("project_id" bigint NOT NULL, "parcel_id" bigint NOT NULL, CONSTRAINT "pk_coop_project_parcels" PRIMARY KEY ("project_id", "parcel_id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_coop_project_parcels_parcel" ON "coop_project_parcels" ("parcel_id") `);
    await queryRunner.query(
      `CREATE TABLE "project_contributions" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "project_id" bigint NOT NULL, "party_id" bigint NOT NULL, "role" text NOT NULL, "kind" text NOT NULL, "state" text NOT NULL, "amount" numeric(20,2) NOT NULL, "bank_reference" text, "valuation_document" text, "description" text, "entry_id" bigint NOT NULL, "call_entry_id" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_project_contributions_entry" UNIQUE ("entry_id"), CONSTRAINT "ck_project_contributions_evidence" CHECK (("kind" = 'CASH') = ("state" IN ('PAID', 'COMMITTED')) AND ("state" <> 'PAID' OR "bank_reference" IS NOT NULL) AND ("state" <> 'VALUED' OR "valuation_document" IS NOT NULL)), CONSTRAINT "ck_project_contributions_amount" CHECK ("amount" > 0), CONSTRAINT "ck_project_contributions_role" CHECK ("role" IN ('FARM', 'COLLECTIVE')), CONSTRAINT "ck_project_contributions_state" CHECK ("state" IN ('PAID', 'COMMITTED', 'VALUED')), CONSTRAINT "ck_project_contributions_kind" CHECK ("kind" IN ('CASH', 'IN_KIND_LAND', 'IN_KIND_TREES', 'IN_KIND_OTHER')), CONSTRAINT "pk_project_contributions" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_project_contributions_project" ON "project_contributions" ("project_id") `);
    await queryRunner.query(
      `CREATE TABLE "ticket_series" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "code" text NOT NULL, "name" text NOT NULL, "project_id" bigint NOT NULL, "asset_code" text NOT NULL, "face_value" numeric(20,2) NOT NULL, "total_units" numeric(20,0) NOT NULL, "transfer_restriction" text NOT NULL, "issued_on" date NOT NULL, "issuance_entry_id" bigint NOT NULL, "last_certificate_seq" integer NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_ticket_series_project" UNIQUE ("project_id"), CONSTRAINT "uq_ticket_series_code" UNIQUE ("code"), CONSTRAINT "ck_ticket_series_units" CHECK ("total_units" > 0), CONSTRAINT "ck_ticket_series_face_value" CHECK ("face_value" > 0), CONSTRAINT "ck_ticket_series_restriction" CHECK ("transfer_restriction" IN ('OPEN', 'COLLECTIVE_MEMBERS', 'NONE')), CONSTRAINT "pk_ticket_series" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "ticket_holdings" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "series_id" bigint NOT NULL, "party_id" bigint NOT NULL, "seq" integer NOT NULL, "certificate_no" text NOT NULL, "origin" text NOT NULL, "issued_units" numeric(20,0) NOT NULL, "verification_code" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_ticket_holdings_verification_code" UNIQUE ("verification_code"), CONSTRAINT "uq_ticket_holdings_certificate_no" UNIQUE ("certificate_no"), CONSTRAINT "uq_ticket_holdings_seq" UNIQUE ("series_id", "seq"), CONSTRAINT "uq_ticket_holdings_holder" UNIQUE ("series_id", "party_id"), CONSTRAINT "ck_ticket_holdings_seq" CHECK ("seq" > 0), CONSTRAINT "ck_ticket_holdings_origin" CHECK ("origin" IN ('FARM', 'COLLECTIVE', 'MEMBER', 'ACQUIRED')), CONSTRAINT "pk_ticket_holdings" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_ticket_holdings_party" ON "ticket_holdings" ("party_id") `);
    await queryRunner.query(
      `CREATE TABLE "ticket_pledges" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "series_id" bigint NOT NULL, "holder_party_id" bigint NOT NULL, "pledgee_party_id" bigint NOT NULL, "units" numeric(20,0) NOT NULL, "contract_reference" text NOT NULL, "state" text NOT NULL DEFAULT 'ACTIVE', "pledge_entry_id" bigint NOT NULL, "closing_entry_id" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "closed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_ticket_pledges_closed" CHECK (("state" = 'ACTIVE') = ("closing_entry_id" IS NULL)), CONSTRAINT "ck_ticket_pledges_units" CHECK ("units" > 0), CONSTRAINT "ck_ticket_pledges_state" CHECK ("state" IN ('ACTIVE', 'RELEASED', 'ENFORCED')), CONSTRAINT "pk_ticket_pledges" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_ticket_pledges_series" ON "ticket_pledges" ("series_id", "holder_party_id") `);
    await queryRunner.query(
      `CREATE TABLE "ticket_movements" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "series_id" bigint NOT NULL, "kind" text NOT NULL, "entry_id" bigint NOT NULL, "effective_date" date NOT NULL, "from_party_id" bigint, "to_party_id" bigint NOT NULL, "units" numeric(20,0) NOT NULL, "unit_price" numeric(20,2), "amount" numeric(20,2), "fee" numeric(20,2), "document_reference" text, "pledge_id" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_ticket_movements_units" CHECK ("units" > 0), CONSTRAINT "ck_ticket_movements_kind" CHECK ("kind" IN ('ISSUANCE', 'TRADE', 'INHERITANCE', 'PLEDGE', 'PLEDGE_RELEASE', 'PLEDGE_ENFORCEMENT', 'BUY_BACK')), CONSTRAINT "pk_ticket_movements" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_ticket_movements_entry" ON "ticket_movements" ("entry_id") `);
    await queryRunner.query(`CREATE INDEX "ix_ticket_movements_series" ON "ticket_movements" ("series_id", "id") `);
    await queryRunner.query(
      `ALTER TABLE "coop_projects" ADD CONSTRAINT "fk_coop_projects_farm" FOREIGN KEY ("farm_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "coop_projects" ADD CONSTRAINT "fk_coop_projects_collective" FOREIGN KEY ("collective_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "coop_project_parcels" ADD CONSTRAINT "fk_coop_project_parcels_project" FOREIGN KEY ("project_id") REFERENCES "coop_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "coop_project_parcels" ADD CONSTRAINT "fk_coop_project_parcels_parcel" FOREIGN KEY ("parcel_id") REFERENCES "parcels"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "project_contributions" ADD CONSTRAINT "fk_project_contributions_project" FOREIGN KEY ("project_id") REFERENCES "coop_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "project_contributions" ADD CONSTRAINT "fk_project_contributions_party" FOREIGN KEY ("party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "ticket_series" ADD CONSTRAINT "fk_ticket_series_project" FOREIGN KEY ("project_id") REFERENCES "coop_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "ticket_holdings" ADD CONSTRAINT "fk_ticket_holdings_series" FOREIGN KEY ("series_id") REFERENCES "ticket_series"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "ticket_holdings" ADD CONSTRAINT "fk_ticket_holdings_party" FOREIGN KEY ("party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "ticket_pledges" ADD CONSTRAINT "fk_ticket_pledges_series" FOREIGN KEY ("series_id") REFERENCES "ticket_series"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "ticket_pledges" ADD CONSTRAINT "fk_ticket_pledges_holder" FOREIGN KEY ("holder_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "ticket_pledges" ADD CONSTRAINT "fk_ticket_pledges_pledgee" FOREIGN KEY ("pledgee_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "ticket_movements" ADD CONSTRAINT "fk_ticket_movements_series" FOREIGN KEY ("series_id") REFERENCES "ticket_series"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "ticket_movements" ADD CONSTRAINT "fk_ticket_movements_from" FOREIGN KEY ("from_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "ticket_movements" ADD CONSTRAINT "fk_ticket_movements_to" FOREIGN KEY ("to_party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    // Movements of units are history, like the journal they mirror.
    await queryRunner.query(`CREATE TRIGGER tr_ticket_movements_append_only BEFORE UPDATE OR DELETE ON ticket_movements FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
    await queryRunner.query(`CREATE TRIGGER tr_ticket_movements_no_truncate BEFORE TRUNCATE ON ticket_movements FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER tr_ticket_movements_no_truncate ON ticket_movements`);
    await queryRunner.query(`DROP TRIGGER tr_ticket_movements_append_only ON ticket_movements`);
    await queryRunner.query(`ALTER TABLE "ticket_movements" DROP CONSTRAINT "fk_ticket_movements_to"`);
    await queryRunner.query(`ALTER TABLE "ticket_movements" DROP CONSTRAINT "fk_ticket_movements_from"`);
    await queryRunner.query(`ALTER TABLE "ticket_movements" DROP CONSTRAINT "fk_ticket_movements_series"`);
    await queryRunner.query(`ALTER TABLE "ticket_pledges" DROP CONSTRAINT "fk_ticket_pledges_pledgee"`);
    await queryRunner.query(`ALTER TABLE "ticket_pledges" DROP CONSTRAINT "fk_ticket_pledges_holder"`);
    await queryRunner.query(`ALTER TABLE "ticket_pledges" DROP CONSTRAINT "fk_ticket_pledges_series"`);
    await queryRunner.query(`ALTER TABLE "ticket_holdings" DROP CONSTRAINT "fk_ticket_holdings_party"`);
    await queryRunner.query(`ALTER TABLE "ticket_holdings" DROP CONSTRAINT "fk_ticket_holdings_series"`);
    await queryRunner.query(`ALTER TABLE "ticket_series" DROP CONSTRAINT "fk_ticket_series_project"`);
    await queryRunner.query(`ALTER TABLE "project_contributions" DROP CONSTRAINT "fk_project_contributions_party"`);
    await queryRunner.query(`ALTER TABLE "project_contributions" DROP CONSTRAINT "fk_project_contributions_project"`);
    await queryRunner.query(`ALTER TABLE "coop_project_parcels" DROP CONSTRAINT "fk_coop_project_parcels_parcel"`);
    await queryRunner.query(`ALTER TABLE "coop_project_parcels" DROP CONSTRAINT "fk_coop_project_parcels_project"`);
    await queryRunner.query(`ALTER TABLE "coop_projects" DROP CONSTRAINT "fk_coop_projects_collective"`);
    await queryRunner.query(`ALTER TABLE "coop_projects" DROP CONSTRAINT "fk_coop_projects_farm"`);
    await queryRunner.query(`DROP INDEX "public"."ix_ticket_movements_series"`);
    await queryRunner.query(`DROP INDEX "public"."ix_ticket_movements_entry"`);
    await queryRunner.query(`DROP TABLE "ticket_movements"`);
    await queryRunner.query(`DROP INDEX "public"."ix_ticket_pledges_series"`);
    await queryRunner.query(`DROP TABLE "ticket_pledges"`);
    await queryRunner.query(`DROP INDEX "public"."ix_ticket_holdings_party"`);
    await queryRunner.query(`DROP TABLE "ticket_holdings"`);
    await queryRunner.query(`DROP TABLE "ticket_series"`);
    await queryRunner.query(`DROP INDEX "public"."ix_project_contributions_project"`);
    await queryRunner.query(`DROP TABLE "project_contributions"`);
    await queryRunner.query(`DROP INDEX "public"."ix_coop_project_parcels_parcel"`);
    await queryRunner.query(`DROP TABLE "coop_project_parcels"`);
    await queryRunner.query(`DROP INDEX "public"."ix_coop_projects_farm"`);
    await queryRunner.query(`DROP INDEX "public"."ix_coop_projects_collective"`);
    await queryRunner.query(`DROP TABLE "coop_projects"`);
  }
}
