import { DomainError } from '@forest-ledger/ledger';
import { CarbonError, CarbonService, serialText } from '@forest-ledger/forestry';
import type { AuthUser, CarbonProjectState, CarbonProjectView, CarbonStandard, ListingState, ListingView, RevenueRule, RevenueShare, SerialStatus } from '@forest-ledger/forestry';
import { EntityManager } from 'typeorm';

/**
 * Reads the carbon library has no method for yet (lists, serial blocks) and the scoping checks of
 * the carbon routes. Plain queries over the library's tables; each answers in the library's shapes.
 */

export const MAX_CARBON_LIST = 500;

/** Project codes (by code, at most 500), only `owner`'s when given. */
export async function carbonProjectCodes(em: EntityManager, filter: { owner?: string | null; state?: CarbonProjectState }): Promise<string[]> {
  const rows = (await em.query(
    `SELECT p.code FROM carbon_projects p JOIN parties o ON o.id = p.owner_party_id
      WHERE ($1::text IS NULL OR o.code = $1) AND ($2::text IS NULL OR p.state = $2) ORDER BY p.code LIMIT ${MAX_CARBON_LIST}`,
    [filter.owner ?? null, filter.state ?? null],
  )) as Array<{ code: string }>;
  return rows.map((r) => r.code);
}

export async function listCarbonProjects(carbon: CarbonService, em: EntityManager, filter: { owner?: string | null; state?: CarbonProjectState }): Promise<CarbonProjectView[]> {
  const out: CarbonProjectView[] = [];
  for (const code of await carbonProjectCodes(em, filter)) out.push(await carbon.getProject(code, em));
  return out;
}

/** Listings, newest first (at most 500), of one project and/or in one state. */
export async function listListings(em: EntityManager, filter: { project?: string; state?: ListingState }): Promise<ListingView[]> {
  const rows = (await em.query(
    `SELECT l.id::text AS id, p.code AS project, s.code AS seller, l.issuance_id::text AS issuance_id, l.unit_price::text AS unit_price,
            l.quantity_listed::text AS quantity_listed, l.quantity_available::text AS quantity_available, l.state
       FROM carbon_listings l JOIN carbon_projects p ON p.id = l.project_id JOIN parties s ON s.id = l.seller_party_id
      WHERE ($1::text IS NULL OR p.code = $1) AND ($2::text IS NULL OR l.state = $2) ORDER BY l.id DESC LIMIT ${MAX_CARBON_LIST}`,
    [filter.project ?? null, filter.state ?? null],
  )) as Array<{ id: string; project: string; seller: string; issuance_id: string | null; unit_price: string; quantity_listed: string; quantity_available: string; state: string }>;
  return rows.map((r) => ({
    id: r.id,
    project: r.project,
    seller: r.seller,
    issuanceId: r.issuance_id,
    unitPrice: r.unit_price,
    quantityListed: r.quantity_listed,
    quantityAvailable: r.quantity_available,
    state: r.state,
  }));
}

export interface SerialBlockView {
  id: string;
  issuanceId: string;
  vintage: string;
  serialBlock: string;
  serials: { start: string; end: string };
  quantity: string;
  status: SerialStatus;
  owner: string | null;
  listingId: string | null;
  certificateNo: string | null;
}

/** A project's serial blocks by serial number, with owner, status, listing and certificate. */
export async function serialBlocks(em: EntityManager, project: string): Promise<SerialBlockView[]> {
  const rows = (await em.query(
    `SELECT b.id::text AS id, b.issuance_id::text AS issuance_id, i.vintage, p.standard, b.serial_start::text AS serial_start, b.serial_end::text AS serial_end,
            (b.serial_end - b.serial_start + 1)::text AS quantity, b.status, o.code AS owner, b.listing_id::text AS listing_id, r.certificate_no
       FROM carbon_serial_blocks b JOIN carbon_projects p ON p.id = b.project_id JOIN carbon_issuances i ON i.id = b.issuance_id
       LEFT JOIN parties o ON o.id = b.owner_party_id LEFT JOIN carbon_retirements r ON r.id = b.retirement_id
      WHERE p.code = $1 ORDER BY b.serial_start`,
    [project],
  )) as Array<{
    id: string;
    issuance_id: string;
    vintage: string;
    standard: CarbonStandard;
    serial_start: string;
    serial_end: string;
    quantity: string;
    status: SerialStatus;
    owner: string | null;
    listing_id: string | null;
    certificate_no: string | null;
  }>;
  return rows.map((r) => ({
    id: r.id,
    issuanceId: r.issuance_id,
    vintage: r.vintage,
    serialBlock: serialText(r.standard, project, r.vintage, { start: BigInt(r.serial_start), end: BigInt(r.serial_end) }),
    serials: { start: r.serial_start, end: r.serial_end },
    quantity: r.quantity,
    status: r.status,
    owner: r.owner,
    listingId: r.listing_id,
    certificateNo: r.certificate_no,
  }));
}

/** The buyer and seller of a sale, or null for an unknown id: the scope is checked before the sale is read, so another party's sale is the same 404. */
export async function saleParties(em: EntityManager, id: string): Promise<{ buyer: string; seller: string } | null> {
  if (!/^\d{1,18}$/.test(id)) return null;
  const [row] = (await em.query(
    `SELECT b.code AS buyer, se.code AS seller FROM carbon_sales s JOIN parties b ON b.id = s.buyer_party_id
       JOIN carbon_listings l ON l.id = s.listing_id JOIN parties se ON se.id = l.seller_party_id WHERE s.id = $1`,
    [id],
  )) as Array<{ buyer: string; seller: string }>;
  return row ?? null;
}

export const unknownSale = (id: string): DomainError => new DomainError('not-found', 'UNKNOWN_SALE', `no carbon sale ${JSON.stringify(id)}`, 'sale');

/** The party a scoped caller (FARM_OPERATOR, BUYER) acts for; null for staff. */
export function scopedParty(user: AuthUser): string | null {
  return user.role === 'FARM_OPERATOR' || user.role === 'BUYER' || user.role === 'VILLAGER' ? (user.partyCode ?? '') : null;
}

/** A scoped caller may only name its own party in `field`: else 403 FORBIDDEN naming the field (nothing runs). */
export function ownPartyOnly(user: AuthUser, party: string, field: string): void {
  const own = scopedParty(user);
  if (own !== null && party !== own) {
    throw new DomainError('forbidden', 'FORBIDDEN', `a ${user.role} may only act for its own party (${user.partyCode ?? 'none'}), not ${party}`, field);
  }
}

/** A FARM_OPERATOR sees and acts on its own projects only; another's is a 404, like an unknown code. */
export async function ownCarbonProject(carbon: CarbonService, em: EntityManager, code: string, user: AuthUser): Promise<CarbonProjectView> {
  const project = await carbon.getProject(code, em);
  const own = scopedParty(user);
  if (own !== null && project.owner !== own) throw new CarbonError('UNKNOWN_CARBON_PROJECT', `no carbon project ${JSON.stringify(code)}`, 'project');
  return project;
}

/**
 * The rule as the library types it, from the request's shares. A missing party or collective stays
 * an empty text, which the library's rule check refuses naming rule.shares[i].party / .collective.
 */
export function revenueRuleOf(dto: { shares: ReadonlyArray<{ kind: RevenueShare['kind']; ratio: string; party?: string; collective?: string }> }): RevenueRule {
  return {
    shares: dto.shares.map((s): RevenueShare => {
      switch (s.kind) {
        case 'PARTY':
          return { kind: 'PARTY', ratio: s.ratio, party: s.party ?? '' };
        case 'PER_PERSON':
        case 'PER_HOUSEHOLD':
          return { kind: s.kind, ratio: s.ratio, collective: s.collective ?? '' };
        case 'TICKET_UNITS':
          return { kind: 'TICKET_UNITS', ratio: s.ratio };
      }
    }),
  };
}
