import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The villagers' SMS notifier (issue 17): a party's mobile number sealed like its ID number (AES-GCM
 * cipher under the PII key ring, a masked copy for screens; the clear `phone` column is no longer written),
 * one row per (event, party) so nothing is ever sent twice, and the notifier's own cursor in the feed.
 */
export class AddSmsNotifications1795550000000 implements MigrationInterface {
  name = 'AddSmsNotifications1795550000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "parties" ADD "mobile_cipher" text, ADD "mobile_masked" text,
      ADD CONSTRAINT "ck_parties_mobile_complete" CHECK (("mobile_cipher" IS NULL) = ("mobile_masked" IS NULL))`);
    await queryRunner.query(`CREATE TABLE "sms_notifications" (
      "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      "event_id" uuid NOT NULL,
      "event_type" text NOT NULL,
      "party_id" bigint NOT NULL REFERENCES "parties" ("id"),
      "state" text NOT NULL,
      "mobile_masked" text,
      "message" text NOT NULL,
      "provider" text NOT NULL,
      "provider_reference" text,
      "error" text,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "sent_at" timestamptz,
      CONSTRAINT "uq_sms_notifications_event_party" UNIQUE ("event_id", "party_id"),
      CONSTRAINT "ck_sms_notifications_state" CHECK ("state" IN ('SENDING', 'SENT', 'FAILED', 'NO_MOBILE'))
    )`);
    await queryRunner.query(`CREATE TABLE "sms_notifier_cursor" ("name" text PRIMARY KEY, "after_seq" bigint NOT NULL DEFAULT 0, "updated_at" timestamptz NOT NULL DEFAULT now())`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "sms_notifier_cursor"`);
    await queryRunner.query(`DROP TABLE "sms_notifications"`);
    await queryRunner.query(`ALTER TABLE "parties" DROP CONSTRAINT "ck_parties_mobile_complete", DROP COLUMN "mobile_masked", DROP COLUMN "mobile_cipher"`);
  }
}
