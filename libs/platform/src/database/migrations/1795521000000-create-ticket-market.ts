import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The 林票 market (挂牌/摘牌, issue #18): a listing reserves a holder's units (moved to their listed
 * account by its entry) at a price per unit until an expiry date; takes buy all or part of it, each
 * one delivery-versus-payment entry. Owned by the tickets feature (listings.store.ts). The movements'
 * kinds gain LISTING and LISTING_RETURN (reservations, no owner changes) and MARKET_TRADE (a take).
 */
export class CreateTicketMarket1795521000000 implements MigrationInterface {
  name = 'CreateTicketMarket1795521000000';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `CREATE TABLE "ticket_listings" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "series_id" bigint NOT NULL REFERENCES "ticket_series"("id") ON DELETE RESTRICT,
        "seller_party_id" bigint NOT NULL REFERENCES "parties"("id") ON DELETE RESTRICT, "unit_price" numeric(20,2) NOT NULL, "units_listed" numeric(20,0) NOT NULL,
        "units_available" numeric(20,0) NOT NULL, "fee_rate" numeric(8,6) NOT NULL DEFAULT 0, "expires_on" date NOT NULL, "state" text NOT NULL DEFAULT 'OPEN',
        "listing_entry_id" bigint NOT NULL, "closing_entry_id" bigint, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "closed_at" TIMESTAMP WITH TIME ZONE,
        CONSTRAINT "ck_ticket_listings_state" CHECK ("state" IN ('OPEN', 'SOLD_OUT', 'WITHDRAWN', 'EXPIRED')),
        CONSTRAINT "ck_ticket_listings_units" CHECK ("units_listed" > 0 AND "units_available" >= 0 AND "units_available" <= "units_listed"),
        CONSTRAINT "ck_ticket_listings_open" CHECK (("state" = 'OPEN') = ("units_available" > 0 AND "closed_at" IS NULL)),
        CONSTRAINT "ck_ticket_listings_price" CHECK ("unit_price" > 0), CONSTRAINT "ck_ticket_listings_fee_rate" CHECK ("fee_rate" >= 0 AND "fee_rate" < 1),
        CONSTRAINT "pk_ticket_listings" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_ticket_listings_series" ON "ticket_listings" ("series_id", "state", "id")`);
    await queryRunner.query(`CREATE INDEX "ix_ticket_listings_open_expiry" ON "ticket_listings" ("expires_on") WHERE "state" = 'OPEN'`);
    await queryRunner.query(
      `CREATE TABLE "ticket_listing_takes" ("id" bigint GENERATED ALWAYS AS IDENTITY NOT NULL, "listing_id" bigint NOT NULL REFERENCES "ticket_listings"("id") ON DELETE RESTRICT,
        "buyer_party_id" bigint NOT NULL REFERENCES "parties"("id") ON DELETE RESTRICT, "units" numeric(20,0) NOT NULL, "unit_price" numeric(20,2) NOT NULL,
        "amount" numeric(20,2) NOT NULL, "fee" numeric(20,2) NOT NULL DEFAULT 0, "effective_date" date NOT NULL, "entry_id" bigint NOT NULL UNIQUE,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_ticket_listing_takes_units" CHECK ("units" > 0), CONSTRAINT "pk_ticket_listing_takes" PRIMARY KEY ("id"))`,
    );
    await queryRunner.query(`CREATE INDEX "ix_ticket_listing_takes_listing" ON "ticket_listing_takes" ("listing_id", "id")`);
    await queryRunner.query(`ALTER TABLE "ticket_movements" DROP CONSTRAINT "ck_ticket_movements_kind"`);
    await queryRunner.query(
      `ALTER TABLE "ticket_movements" ADD CONSTRAINT "ck_ticket_movements_kind" CHECK ("kind" IN ('ISSUANCE', 'TRADE', 'INHERITANCE', 'PLEDGE', 'PLEDGE_RELEASE', 'PLEDGE_ENFORCEMENT', 'BUY_BACK', 'LISTING', 'LISTING_RETURN', 'MARKET_TRADE'))`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "ticket_movements" DROP CONSTRAINT "ck_ticket_movements_kind"`);
    await queryRunner.query(
      `ALTER TABLE "ticket_movements" ADD CONSTRAINT "ck_ticket_movements_kind" CHECK ("kind" IN ('ISSUANCE', 'TRADE', 'INHERITANCE', 'PLEDGE', 'PLEDGE_RELEASE', 'PLEDGE_ENFORCEMENT', 'BUY_BACK'))`,
    );
    await queryRunner.query(`DROP TABLE "ticket_listing_takes"`);
    await queryRunner.query(`DROP TABLE "ticket_listings"`);
  }
}
