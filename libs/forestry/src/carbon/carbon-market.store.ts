import { EntityManager } from 'typeorm';
import type { CarbonStandard, ListingState } from './carbon.model';
import type { SerialRangeText } from './carbon.types';
import type { RevenueShareLine } from './revenue-split';

/** SQL of carbon_listings and carbon_sales: the only code naming them, with their row types. */

/** A row of carbon_listings with its project's code (numbers as text). */
export interface ListingRow {
  id: string;
  project_id: string;
  project: string;
  seller_party_id: string;
  issuance_id: string | null;
  unit_price: string;
  quantity_listed: string;
  quantity_available: string;
  state: ListingState;
}

const LISTING_SELECT = `SELECT l.id::text AS id, l.project_id::text AS project_id, p.code AS project, l.seller_party_id::text AS seller_party_id, l.issuance_id::text AS issuance_id,
       l.unit_price::text AS unit_price, l.quantity_listed::text AS quantity_listed, l.quantity_available::text AS quantity_available, l.state
  FROM carbon_listings l JOIN carbon_projects p ON p.id = l.project_id`;

/** A listing (`lock`: its row FOR UPDATE, how orders on it queue); null when unknown or not a well-formed id. */
export async function listingById(em: EntityManager, id: string, lock = false): Promise<ListingRow | null> {
  if (typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return null;
  const [row] = await em.query<ListingRow[]>(`${LISTING_SELECT} WHERE l.id = $1${lock ? ' FOR UPDATE OF l' : ''}`, [id]);
  return row ?? null;
}

/** Listings newest first, at most `limit`, of one project, in one state and/or of one seller. */
export async function listListingRows(
  em: EntityManager,
  filter: { project: string | null; state: ListingState | null; sellerPartyId: string | null },
  limit: number,
): Promise<ListingRow[]> {
  return await em.query<ListingRow[]>(
    `${LISTING_SELECT} WHERE ($1::text IS NULL OR p.code = $1) AND ($2::text IS NULL OR l.state = $2) AND ($3::bigint IS NULL OR l.seller_party_id = $3)
      ORDER BY l.id DESC LIMIT ${limit}`,
    [filter.project, filter.state, filter.sellerPartyId],
  );
}

export async function insertListing(
  em: EntityManager,
  l: { projectId: string; sellerPartyId: string; issuanceId: string | null; unitPrice: string; quantity: bigint },
): Promise<string> {
  const [{ id }] = await em.query<Array<{ id: string }>>(
    `INSERT INTO carbon_listings (project_id, seller_party_id, issuance_id, unit_price, quantity_listed, quantity_available) VALUES ($1, $2, $3, $4, $5, $5) RETURNING id::text AS id`,
    [l.projectId, l.sellerPartyId, l.issuanceId, l.unitPrice, l.quantity.toString()],
  );
  return id;
}

export async function cancelListingRow(em: EntityManager, listingId: string): Promise<void> {
  await em.query(`UPDATE carbon_listings SET state = 'CANCELLED', quantity_available = 0 WHERE id = $1`, [listingId]);
}

/** Takes `quantity` off what the listing has available; SOLD_OUT at zero. */
export async function sellFromListing(em: EntityManager, listingId: string, quantity: bigint): Promise<void> {
  await em.query(
    `UPDATE carbon_listings SET quantity_available = quantity_available - $2, state = CASE WHEN quantity_available = $2 THEN 'SOLD_OUT' ELSE state END WHERE id = $1`,
    [listingId, quantity.toString()],
  );
}

/** A row of carbon_sales with its listing's project and seller. */
export interface SaleRow {
  id: string;
  listing_id: string;
  project_id: string;
  project: string;
  standard: CarbonStandard;
  buyer_party_id: string;
  seller_party_id: string;
  quantity: string;
  unit_price: string;
  gross_amount: string;
  rule_version: number | null;
  serial_ranges: SerialRangeText[];
  shares: RevenueShareLine[];
  effective_date: string;
  /** Every entry the sale posted, in order: [0] is its CARBON_SALE entry (entry_id), then its CARBON_REVENUE_SHARE entries. */
  entry_ids: string[];
}

const SALE_SELECT = `SELECT s.id::text AS id, s.listing_id::text AS listing_id, p.id::text AS project_id, p.code AS project, p.standard, s.buyer_party_id::text AS buyer_party_id,
       l.seller_party_id::text AS seller_party_id, s.quantity::text AS quantity, s.unit_price::text AS unit_price, s.gross_amount::text AS gross_amount, s.rule_version,
       s.serial_ranges, s.shares, to_char(s.effective_date, 'YYYY-MM-DD') AS effective_date, s.entry_ids::text[] AS entry_ids
  FROM carbon_sales s JOIN carbon_listings l ON l.id = s.listing_id JOIN carbon_projects p ON p.id = l.project_id`;

/** A sale; null when unknown or not a well-formed id. */
export async function saleById(em: EntityManager, id: string): Promise<SaleRow | null> {
  if (typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return null;
  const [row] = await em.query<SaleRow[]>(`${SALE_SELECT} WHERE s.id = $1`, [id]);
  return row ?? null;
}

/** The sale of this listing whose CARBON_SALE entry is `entryId`, if any. */
export async function saleByEntry(em: EntityManager, listingId: string, entryId: string): Promise<SaleRow | null> {
  const [row] = await em.query<SaleRow[]>(`${SALE_SELECT} WHERE s.listing_id = $1 AND s.entry_id = $2`, [listingId, entryId]);
  return row ?? null;
}

export async function insertSale(
  em: EntityManager,
  s: {
    listingId: string;
    buyerPartyId: string;
    quantity: bigint;
    unitPrice: string;
    grossAmount: string;
    rule: { id: string; version: number } | null;
    serialRanges: SerialRangeText[];
    shares: RevenueShareLine[];
    effectiveDate: string;
    entryIds: string[];
  },
): Promise<string> {
  const [{ id }] = await em.query<Array<{ id: string }>>(
    `INSERT INTO carbon_sales (listing_id, buyer_party_id, quantity, unit_price, gross_amount, rule_id, rule_version, serial_ranges, shares, effective_date, entry_id, entry_ids)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::bigint[]) RETURNING id::text AS id`,
    [
      s.listingId,
      s.buyerPartyId,
      s.quantity.toString(),
      s.unitPrice,
      s.grossAmount,
      s.rule?.id ?? null,
      s.rule?.version ?? null,
      JSON.stringify(s.serialRanges),
      JSON.stringify(s.shares),
      s.effectiveDate,
      s.entryIds[0],
      s.entryIds,
    ],
  );
  return id;
}

/** Every party that bought credits of the project. */
export async function buyersOf(em: EntityManager, projectId: string): Promise<string[]> {
  const rows = await em.query<Array<{ id: string }>>(
    `SELECT DISTINCT s.buyer_party_id::text AS id FROM carbon_sales s JOIN carbon_listings l ON l.id = s.listing_id WHERE l.project_id = $1`,
    [projectId],
  );
  return rows.map((r) => r.id);
}
