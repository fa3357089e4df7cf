import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox (issue 17): every event is written in the transaction of the change it
 * describes. `txid` is the writing transaction's id; the relay gives `feed_seq` (gapless, in commit
 * order) only to rows whose transaction is older than every transaction still in flight.
 */
export class AddOutboxEvents1795520000000 implements MigrationInterface {
  name = 'AddOutboxEvents1795520000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE "outbox_events" (
      "id" uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      "ord" bigint GENERATED ALWAYS AS IDENTITY,
      "type" text NOT NULL,
      "version" integer NOT NULL,
      "aggregate_type" text NOT NULL,
      "aggregate_id" text NOT NULL,
      "payload" jsonb NOT NULL,
      "occurred_at" timestamptz NOT NULL DEFAULT now(),
      "txid" bigint NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
      "feed_seq" bigint
    )`);
    await queryRunner.query(`CREATE UNIQUE INDEX "ux_outbox_events_feed_seq" ON "outbox_events" ("feed_seq")`);
    await queryRunner.query(`CREATE INDEX "ix_outbox_events_unpublished" ON "outbox_events" ("txid", "ord") WHERE "feed_seq" IS NULL`);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE "outbox_events"`);
  }
}
