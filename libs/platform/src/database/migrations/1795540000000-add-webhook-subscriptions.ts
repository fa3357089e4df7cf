import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed webhooks (issue 17): subscriptions with their sealed secrets (the current one and, during a
 * rotation's overlap, the previous one), their cursor in the event feed and their failure streak; and one
 * row per delivery attempt. PostgreSQL owns what is pending: a subscription is behind while its cursor is
 * below the feed's head, whatever Redis holds.
 */
export class AddWebhookSubscriptions1795540000000 implements MigrationInterface {
  name = 'AddWebhookSubscriptions1795540000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "webhook_subscriptions" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "url" text NOT NULL,
      "types" text[] NOT NULL DEFAULT '{}',
      "scope_party_id" bigint,
      "description" text NOT NULL DEFAULT '',
      "state" text NOT NULL DEFAULT 'ACTIVE' CHECK ("state" IN ('ACTIVE', 'DISABLED')),
      "disabled_reason" text,
      "secret_sealed" text NOT NULL,
      "previous_secret_sealed" text,
      "previous_secret_expires_at" timestamptz,
      "cursor" bigint NOT NULL DEFAULT 0,
      "failing_since" timestamptz,
      "consecutive_failures" integer NOT NULL DEFAULT 0,
      "next_attempt_at" timestamptz,
      "created_by" bigint,
      "created_at" timestamptz NOT NULL DEFAULT now(),
      "updated_at" timestamptz NOT NULL DEFAULT now()
    )`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_subscriptions_active" ON "webhook_subscriptions" ("cursor") WHERE "state" = 'ACTIVE'`);
    await queryRunner.query(`CREATE TABLE "webhook_deliveries" (
      "id" bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      "subscription_id" uuid NOT NULL REFERENCES "webhook_subscriptions" ("id") ON DELETE CASCADE,
      "event_id" uuid NOT NULL,
      "feed_seq" bigint NOT NULL,
      "attempted_at" timestamptz NOT NULL DEFAULT now(),
      "status" text NOT NULL CHECK ("status" IN ('SUCCEEDED', 'FAILED')),
      "latency_ms" integer NOT NULL,
      "response_code" integer,
      "error" text
    )`);
    await queryRunner.query(`CREATE INDEX "ix_webhook_deliveries_subscription" ON "webhook_deliveries" ("subscription_id", "id" DESC)`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "webhook_deliveries"`);
    await queryRunner.query(`DROP TABLE "webhook_subscriptions"`);
  }
}
