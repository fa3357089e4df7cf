import { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateDividends1795451692901 implements MigrationInterface {
  name = 'CreateDividends1795451692901';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "project_cash_flows" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "project_id" bigint NOT NULL, "kind" text NOT NULL, "income_kind" text, "amount" numeric(20,2) NOT NULL, "bank_reference" text, "description" text, "calculation" jsonb NOT NULL DEFAULT '{}', "base_flow_id" bigint, "effective_date" date NOT NULL, "entry_id" bigint NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "uq_project_cash_flows_entry" UNIQUE ("entry_id"), CONSTRAINT "ck_project_cash_flows_amount" CHECK ("amount" > 0), CONSTRAINT "ck_project_cash_flows_income_kind" CHECK (("kind" = 'INCOME') = ("income_kind" IS NOT NULL) AND ("income_kind" IS NULL OR "income_kind" IN ('HARVEST_FINAL', 'HARVEST_THINNING', 'PRE_DIVIDEND', 'CARBON', 'OTHER'))), CONSTRAINT "ck_project_cash_flows_kind" CHECK ("kind" IN ('INCOME', 'COST', 'MANAGEMENT_FEE', 'GUARANTEE_TOP_UP')), CONSTRAINT "pk_project_cash_flows" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_project_cash_flows_project" ON "project_cash_flows" ("project_id", "id") `);
    await queryRunner.query(
      `CREATE TABLE "dividend_declarations" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "project_id" bigint NOT NULL, "series_id" bigint NOT NULL, "amount" numeric(20,2) NOT NULL, "record_date" date NOT NULL, "payment_date" date NOT NULL, "memo" text, "state" text NOT NULL DEFAULT 'DRAFT', "declared_by" bigint NOT NULL, "approved_by" bigint, "approved_at" TIMESTAMP WITH TIME ZONE, "movement_watermark" bigint, "reserve_entry_id" bigint, "release_entry_id" bigint, "stale_reason" text, "total_units" numeric(20,0), "amount_per_unit" text, "holders_total" integer NOT NULL DEFAULT '0', "holders_done" integer NOT NULL DEFAULT '0', "amount_distributed" numeric(20,2) NOT NULL DEFAULT '0', "chunk_size" integer NOT NULL DEFAULT '5000', "chunks_total" integer NOT NULL DEFAULT '0', "chunks_done" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "started_at" TIMESTAMP WITH TIME ZONE, "distributed_at" TIMESTAMP WITH TIME ZONE, "cancelled_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_dividend_declarations_four_eyes" CHECK ("approved_by" IS NULL OR "approved_by" <> "declared_by"), CONSTRAINT "ck_dividend_declarations_progress" CHECK ("holders_done" <= "holders_total" AND "chunks_done" <= "chunks_total" AND "amount_distributed" <= "amount"), CONSTRAINT "ck_dividend_declarations_dates" CHECK ("payment_date" >= "record_date"), CONSTRAINT "ck_dividend_declarations_amount" CHECK ("amount" > 0), CONSTRAINT "ck_dividend_declarations_state" CHECK ("state" IN ('DRAFT', 'APPROVED', 'STALE', 'DISTRIBUTING', 'DISTRIBUTED', 'CANCELLED')), CONSTRAINT "pk_dividend_declarations" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_dividend_declarations_series" ON "dividend_declarations" ("series_id") `);
    await queryRunner.query(`CREATE INDEX "ix_dividend_declarations_project" ON "dividend_declarations" ("project_id") `);
    await queryRunner.query(
      `CREATE TABLE "dividend_lines" ("declaration_id" bigint NOT NULL, "seq" integer NOT NULL, "party_id" bigint NOT NULL, "holder_account_id" bigint NOT NULL, "units" numeric(20,0) NOT NULL, "amount" numeric(20,2) NOT NULL, "chunk" integer NOT NULL, "entry_id" bigint, CONSTRAINT "ck_dividend_lines_amount" CHECK ("amount" >= 0), CONSTRAINT "ck_dividend_lines_units" CHECK ("units" > 0), CONSTRAINT "pk_dividend_lines" PRIMARY KEY ("declaration_id", "seq"))`,
    );
    // Room in each page, so marking a line paid (entry_id, not indexed) is a HOT update: no index writes.
    await queryRunner.query(`ALTER TABLE "dividend_lines" SET (fillfactor = 70)`);
    await queryRunner.query(`CREATE INDEX "ix_dividend_lines_party" ON "dividend_lines" ("party_id") `);
    await queryRunner.query(
      `CREATE TABLE "payout_batches" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "scope" text NOT NULL, "scope_code" text NOT NULL, "state" text NOT NULL DEFAULT 'OPEN', "total_amount" numeric(20,2) NOT NULL, "line_count" integer NOT NULL, "created_by" bigint NOT NULL, "bank_reference" text, "paid_on" date, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "confirmed_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_payout_batches_total" CHECK ("total_amount" > 0), CONSTRAINT "ck_payout_batches_state" CHECK ("state" IN ('OPEN', 'PAID', 'CANCELLED')), CONSTRAINT "ck_payout_batches_scope" CHECK ("scope" IN ('PROJECT', 'VILLAGE', 'TOWNSHIP')), CONSTRAINT "pk_payout_batches" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(
      `CREATE TABLE "payout_lines" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "batch_id" bigint NOT NULL, "party_id" bigint NOT NULL, "amount" numeric(20,2) NOT NULL, "state" text NOT NULL DEFAULT 'PENDING', "entry_id" bigint, "return_entry_id" bigint, "failure_reason" text, CONSTRAINT "ck_payout_lines_amount" CHECK ("amount" > 0), CONSTRAINT "ck_payout_lines_state" CHECK ("state" IN ('PENDING', 'PAID', 'FAILED')), CONSTRAINT "pk_payout_lines" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_payout_lines_party" ON "payout_lines" ("party_id") `);
    await queryRunner.query(`CREATE INDEX "ix_payout_lines_batch" ON "payout_lines" ("batch_id") `);
    await queryRunner.query(
      `CREATE TABLE "party_bank_cards" ("party_id" bigint NOT NULL, "bank_name" text NOT NULL, "card_cipher" text NOT NULL, "card_masked" text NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "pk_party_bank_cards" PRIMARY KEY ("party_id"))`,
    );
    await queryRunner.query(
      `ALTER TABLE "project_cash_flows" ADD CONSTRAINT "fk_project_cash_flows_project" FOREIGN KEY ("project_id") REFERENCES "coop_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "dividend_declarations" ADD CONSTRAINT "fk_dividend_declarations_project" FOREIGN KEY ("project_id") REFERENCES "coop_projects"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "dividend_declarations" ADD CONSTRAINT "fk_dividend_declarations_series" FOREIGN KEY ("series_id") REFERENCES "ticket_series"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "dividend_declarations" ADD CONSTRAINT "fk_dividend_declarations_declared_by" FOREIGN KEY ("declared_by") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "dividend_declarations" ADD CONSTRAINT "fk_dividend_declarations_approved_by" FOREIGN KEY ("approved_by") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "dividend_lines" ADD CONSTRAINT "fk_dividend_lines_declaration" FOREIGN KEY ("declaration_id") REFERENCES "dividend_declarations"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "dividend_lines" ADD CONSTRAINT "fk_dividend_lines_party" FOREIGN KEY ("party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "payout_batches" ADD CONSTRAINT "fk_payout_batches_created_by" FOREIGN KEY ("created_by") REFERENCES "users"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "payout_lines" ADD CONSTRAINT "fk_payout_lines_batch" FOREIGN KEY ("batch_id") REFERENCES "payout_batches"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "payout_lines" ADD CONSTRAINT "fk_payout_lines_party" FOREIGN KEY ("party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    await queryRunner.query(
      `ALTER TABLE "party_bank_cards" ADD CONSTRAINT "fk_party_bank_cards_party" FOREIGN KEY ("party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`,
    );
    // Income and cost records are history, like the journal entries they sit beside.
    await queryRunner.query(`CREATE TRIGGER tr_project_cash_flows_append_only BEFORE UPDATE OR DELETE ON project_cash_flows FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change()`);
    await queryRunner.query(`CREATE TRIGGER tr_project_cash_flows_no_truncate BEFORE TRUNCATE ON project_cash_flows FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change()`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER tr_project_cash_flows_no_truncate ON project_cash_flows`);
    await queryRunner.query(`DROP TRIGGER tr_project_cash_flows_append_only ON project_cash_flows`);
    await queryRunner.query(`ALTER TABLE "party_bank_cards" DROP CONSTRAINT "fk_party_bank_cards_party"`);
    await queryRunner.query(`ALTER TABLE "payout_lines" DROP CONSTRAINT "fk_payout_lines_party"`);
    await queryRunner.query(`ALTER TABLE "payout_lines" DROP CONSTRAINT "fk_payout_lines_batch"`);
    await queryRunner.query(`ALTER TABLE "payout_batches" DROP CONSTRAINT "fk_payout_batches_created_by"`);
    await queryRunner.query(`ALTER TABLE "dividend_lines" DROP CONSTRAINT "fk_dividend_lines_party"`);
    await queryRunner.query(`ALTER TABLE "dividend_lines" DROP CONSTRAINT "fk_dividend_lines_declaration"`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" DROP CONSTRAINT "fk_dividend_declarations_approved_by"`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" DROP CONSTRAINT "fk_dividend_declarations_declared_by"`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" DROP CONSTRAINT "fk_dividend_declarations_series"`);
    await queryRunner.query(`ALTER TABLE "dividend_declarations" DROP CONSTRAINT "fk_dividend_declarations_project"`);
    await queryRunner.query(`ALTER TABLE "project_cash_flows" DROP CONSTRAINT "fk_project_cash_flows_project"`);
    await queryRunner.query(`DROP TABLE "party_bank_cards"`);
    await queryRunner.query(`DROP INDEX "public"."ix_payout_lines_batch"`);
    await queryRunner.query(`DROP INDEX "public"."ix_payout_lines_party"`);
    await queryRunner.query(`DROP TABLE "payout_lines"`);
    await queryRunner.query(`DROP TABLE "payout_batches"`);
    await queryRunner.query(`DROP INDEX "public"."ix_dividend_lines_party"`);
    await queryRunner.query(`DROP TABLE "dividend_lines"`);
    await queryRunner.query(`DROP INDEX "public"."ix_dividend_declarations_project"`);
    await queryRunner.query(`DROP INDEX "public"."ix_dividend_declarations_series"`);
    await queryRunner.query(`DROP TABLE "dividend_declarations"`);
    await queryRunner.query(`DROP INDEX "public"."ix_project_cash_flows_project"`);
    await queryRunner.query(`DROP TABLE "project_cash_flows"`);
  }
}
