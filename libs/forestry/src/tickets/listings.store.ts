import { EntityManager } from 'typeorm';
import type { TicketListingState } from './ticket.model';

/** The only SQL on ticket_listings and ticket_listing_takes (the 林票 market): their rows as the store reads and writes them. */

/** A ticket_listings row with its series' code (numerics as text). */
export interface TicketListingRow {
  id: string;
  series_id: string;
  series: string;
  seller_party_id: string;
  unit_price: string;
  units_listed: string;
  units_available: string;
  fee_rate: string;
  expires_on: string;
  state: TicketListingState;
  listing_entry_id: string;
  closing_entry_id: string | null;
  created_at: Date;
  closed_at: Date | null;
}

/** A ticket_listing_takes row. */
export interface TicketTakeRow {
  id: string;
  listing_id: string;
  buyer_party_id: string;
  units: string;
  unit_price: string;
  amount: string;
  fee: string;
  effective_date: string;
  entry_id: string;
}

const LISTING_SELECT = `SELECT l.id::text AS id, l.series_id::text AS series_id, s.code AS series, l.seller_party_id::text AS seller_party_id, l.unit_price::text AS unit_price,
       l.units_listed::text AS units_listed, l.units_available::text AS units_available, l.fee_rate::text AS fee_rate, to_char(l.expires_on, 'YYYY-MM-DD') AS expires_on,
       l.state, l.listing_entry_id::text AS listing_entry_id, l.closing_entry_id::text AS closing_entry_id, l.created_at, l.closed_at
  FROM ticket_listings l JOIN ticket_series s ON s.id = l.series_id`;

const TAKE_SELECT = `SELECT id::text AS id, listing_id::text AS listing_id, buyer_party_id::text AS buyer_party_id, units::text AS units, unit_price::text AS unit_price,
       amount::text AS amount, fee::text AS fee, to_char(effective_date, 'YYYY-MM-DD') AS effective_date, entry_id::text AS entry_id
  FROM ticket_listing_takes`;

/** A listing (`lock`: its row FOR UPDATE, how concurrent takers queue); null when unknown or not a well-formed id. */
export async function listingById(em: EntityManager, id: string, lock = false): Promise<TicketListingRow | null> {
  if (typeof id !== 'string' || !/^\d{1,18}$/.test(id)) return null;
  const [row] = await em.query<TicketListingRow[]>(`${LISTING_SELECT} WHERE l.id = $1${lock ? ' FOR UPDATE OF l' : ''}`, [id]);
  return row ?? null;
}

/** The listing whose reservation entry is this one (a replayed listing), if any. */
export async function listingByEntry(em: EntityManager, entryId: string): Promise<TicketListingRow | null> {
  const [row] = await em.query<TicketListingRow[]>(`${LISTING_SELECT} WHERE l.listing_entry_id = $1`, [entryId]);
  return row ?? null;
}

/** Listings newest first, at most `limit`: of one series, in one state, of one seller (undefined: any). */
export async function listListings(em: EntityManager, filter: { series?: string; state?: TicketListingState; sellerPartyId?: string }, limit: number): Promise<TicketListingRow[]> {
  return await em.query<TicketListingRow[]>(
    `${LISTING_SELECT} WHERE ($1::text IS NULL OR s.code = $1) AND ($2::text IS NULL OR l.state = $2) AND ($3::bigint IS NULL OR l.seller_party_id = $3)
      ORDER BY l.id DESC LIMIT ${Math.trunc(limit)}`,
    [filter.series ?? null, filter.state ?? null, filter.sellerPartyId ?? null],
  );
}

/** Ids of OPEN listings whose last day has passed (expires_on before `today`), oldest first. */
export async function dueListingIds(em: EntityManager, today: string, limit = 1000): Promise<string[]> {
  const rows = await em.query<Array<{ id: string }>>(
    `SELECT id::text AS id FROM ticket_listings WHERE state = 'OPEN' AND expires_on < $1::date ORDER BY id LIMIT ${Math.trunc(limit)}`,
    [today],
  );
  return rows.map((r) => r.id);
}

export async function insertListing(
  em: EntityManager,
  l: { seriesId: string; sellerPartyId: string; unitPrice: string; units: string; feeRate: string; expiresOn: string; entryId: string },
): Promise<string> {
  const [{ id }] = await em.query<Array<{ id: string }>>(
    `INSERT INTO ticket_listings (series_id, seller_party_id, unit_price, units_listed, units_available, fee_rate, expires_on, listing_entry_id)
     VALUES ($1, $2, $3, $4, $4, $5, $6, $7) RETURNING id::text AS id`,
    [l.seriesId, l.sellerPartyId, l.unitPrice, l.units, l.feeRate, l.expiresOn, l.entryId],
  );
  return id;
}

/** Ends an OPEN listing (WITHDRAWN or EXPIRED): nothing remains available; `closingEntryId` returned the units. */
export async function closeListing(em: EntityManager, id: string, state: 'WITHDRAWN' | 'EXPIRED', closingEntryId: string): Promise<void> {
  await em.query(`UPDATE ticket_listings SET state = $2, units_available = 0, closing_entry_id = $3, closed_at = now() WHERE id = $1 AND state = 'OPEN'`, [
    id,
    state,
    closingEntryId,
  ]);
}

/** Takes `units` off what the listing has available; SOLD_OUT at zero. */
export async function takeFromListing(em: EntityManager, id: string, units: string): Promise<void> {
  await em.query(
    `UPDATE ticket_listings SET units_available = units_available - $2::numeric,
            state = CASE WHEN units_available = $2::numeric THEN 'SOLD_OUT' ELSE state END, closed_at = CASE WHEN units_available = $2::numeric THEN now() ELSE closed_at END
      WHERE id = $1`,
    [id, units],
  );
}

export async function insertTake(em: EntityManager, t: Omit<TicketTakeRow, 'id'>): Promise<string> {
  const [{ id }] = await em.query<Array<{ id: string }>>(
    `INSERT INTO ticket_listing_takes (listing_id, buyer_party_id, units, unit_price, amount, fee, effective_date, entry_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text AS id`,
    [t.listing_id, t.buyer_party_id, t.units, t.unit_price, t.amount, t.fee, t.effective_date, t.entry_id],
  );
  return id;
}

/** The take recorded with this entry, if any (a replay). */
export async function takeByEntry(em: EntityManager, entryId: string): Promise<TicketTakeRow | null> {
  const [row] = await em.query<TicketTakeRow[]>(`${TAKE_SELECT} WHERE entry_id = $1`, [entryId]);
  return row ?? null;
}

/** The takes of a listing, oldest first. */
export async function takesOf(em: EntityManager, listingId: string): Promise<TicketTakeRow[]> {
  return await em.query<TicketTakeRow[]>(`${TAKE_SELECT} WHERE listing_id = $1 ORDER BY id`, [listingId]);
}

/** One anonymised trade of the series' market: date, units, price (no parties), oldest first. */
export interface PricePoint {
  date: string;
  units: string;
  unit_price: string;
}

/** Every take of the series, oldest first, without parties (the public price history). */
export async function priceHistory(em: EntityManager, seriesId: string, filter: { from?: string; to?: string } = {}): Promise<PricePoint[]> {
  return await em.query<PricePoint[]>(
    `SELECT to_char(t.effective_date, 'YYYY-MM-DD') AS date, t.units::text AS units, t.unit_price::text AS unit_price
       FROM ticket_listing_takes t JOIN ticket_listings l ON l.id = t.listing_id
      WHERE l.series_id = $1 AND ($2::date IS NULL OR t.effective_date >= $2::date) AND ($3::date IS NULL OR t.effective_date <= $3::date)
      ORDER BY t.effective_date, t.id`,
    [seriesId, filter.from ?? null, filter.to ?? null],
  );
}

/** The latest take of the series (by date, then booking order; on or before `asOf` if given), or null when none. */
export async function lastPrice(em: EntityManager, seriesId: string, asOf?: string): Promise<PricePoint | null> {
  const [row] = await em.query<PricePoint[]>(
    `SELECT to_char(t.effective_date, 'YYYY-MM-DD') AS date, t.units::text AS units, t.unit_price::text AS unit_price
       FROM ticket_listing_takes t JOIN ticket_listings l ON l.id = t.listing_id WHERE l.series_id = $1 AND ($2::date IS NULL OR t.effective_date <= $2::date)
      ORDER BY t.effective_date DESC, t.id DESC LIMIT 1`,
    [seriesId, asOf ?? null],
  );
  return row ?? null;
}
