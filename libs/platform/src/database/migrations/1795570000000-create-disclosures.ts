import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Village disclosure (公示, issue 18 §3): before a 林票 or income-right issuance and before a dividend
 * is paid, the list is published to the village for the days its region sets, objections are
 * recorded and resolved. `disclosure_settings`: days per region (a village inherits its township's,
 * a township its county's; none or 0 = off). `disclosures`: one row per round of a subject (kind +
 * id); at most one PUBLISHED round per subject. `disclosure_lines`: the list as published (the
 * masked name shown, units, amount). `disclosure_objections`: who raised what, who recorded and
 * resolved it.
 */
export class CreateDisclosures1795570000000 implements MigrationInterface {
  name = 'CreateDisclosures1795570000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "disclosure_settings" ("region_id" bigint NOT NULL, "disclosure_days" smallint NOT NULL, "updated_by" bigint, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "pk_disclosure_settings" PRIMARY KEY ("region_id"),
        CONSTRAINT "ck_disclosure_settings_days" CHECK ("disclosure_days" BETWEEN 0 AND 90),
        CONSTRAINT "fk_disclosure_settings_region" FOREIGN KEY ("region_id") REFERENCES "regions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `CREATE TABLE "disclosures" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "subject_kind" text NOT NULL, "subject_id" text NOT NULL, "round" integer NOT NULL,
        "village_id" bigint NOT NULL, "title" text NOT NULL, "params" jsonb NOT NULL DEFAULT '{}', "state" text NOT NULL DEFAULT 'PUBLISHED',
        "days" smallint NOT NULL, "published_on" date NOT NULL, "starts_on" date NOT NULL, "ends_on" date NOT NULL,
        "total_units" numeric NOT NULL, "total_amount" numeric, "line_count" integer NOT NULL,
        "published_by" bigint NOT NULL, "published_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "closed_by" bigint, "closed_at" TIMESTAMP WITH TIME ZONE, "close_reason" text, "concluded_by_act" text,
        CONSTRAINT "pk_disclosures" PRIMARY KEY ("id"),
        CONSTRAINT "ck_disclosures_kind" CHECK ("subject_kind" IN ('TICKET_ISSUANCE', 'DIVIDEND', 'INCOME_RIGHT_ISSUANCE')),
        CONSTRAINT "ck_disclosures_state" CHECK ("state" IN ('PUBLISHED', 'SUPERSEDED', 'WITHDRAWN', 'CONCLUDED')),
        CONSTRAINT "ck_disclosures_period" CHECK ("days" > 0 AND "starts_on" > "published_on" AND "ends_on" >= "starts_on"),
        CONSTRAINT "ck_disclosures_closed" CHECK (("state" = 'PUBLISHED') = ("closed_at" IS NULL)),
        CONSTRAINT "uq_disclosures_round" UNIQUE ("subject_kind", "subject_id", "round"),
        CONSTRAINT "fk_disclosures_village" FOREIGN KEY ("village_id") REFERENCES "regions"("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "uq_disclosures_published" ON "disclosures" ("subject_kind", "subject_id") WHERE "state" = 'PUBLISHED'`);
    await queryRunner.query(`CREATE INDEX "ix_disclosures_village" ON "disclosures" ("village_id", "published_on")`);
    await queryRunner.query(
      `CREATE TABLE "disclosure_lines" ("disclosure_id" bigint NOT NULL, "seq" integer NOT NULL, "party_id" bigint NOT NULL, "shown_name" text NOT NULL, "role" text,
        "units" numeric NOT NULL, "amount" numeric,
        CONSTRAINT "pk_disclosure_lines" PRIMARY KEY ("disclosure_id", "seq"),
        CONSTRAINT "fk_disclosure_lines_disclosure" FOREIGN KEY ("disclosure_id") REFERENCES "disclosures"("id") ON DELETE RESTRICT ON UPDATE NO ACTION,
        CONSTRAINT "fk_disclosure_lines_party" FOREIGN KEY ("party_id") REFERENCES "parties"("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(
      `CREATE TABLE "disclosure_objections" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "disclosure_id" bigint NOT NULL, "raised_by" text NOT NULL, "raised_on" date NOT NULL,
        "text" text NOT NULL, "state" text NOT NULL DEFAULT 'OPEN', "recorded_by" bigint NOT NULL, "recorded_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        "resolution" text, "resolved_by" bigint, "resolved_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "pk_disclosure_objections" PRIMARY KEY ("id"),
        CONSTRAINT "ck_disclosure_objections_state" CHECK ("state" IN ('OPEN', 'UPHELD', 'DISMISSED')),
        CONSTRAINT "ck_disclosure_objections_resolved" CHECK (("state" = 'OPEN') = ("resolved_at" IS NULL) AND ("state" = 'OPEN' OR "resolution" IS NOT NULL)),
        CONSTRAINT "fk_disclosure_objections_disclosure" FOREIGN KEY ("disclosure_id") REFERENCES "disclosures"("id") ON DELETE RESTRICT ON UPDATE NO ACTION)`,
    );
    await queryRunner.query(`CREATE INDEX "ix_disclosure_objections_disclosure" ON "disclosure_objections" ("disclosure_id", "id")`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "disclosure_objections"`);
    await queryRunner.query(`DROP TABLE "disclosure_lines"`);
    await queryRunner.query(`DROP TABLE "disclosures"`);
    await queryRunner.query(`DROP TABLE "disclosure_settings"`);
  }
}
