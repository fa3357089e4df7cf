import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { CarbonProjectView, CarbonService, ListingView, MAX_CARBON_LIST, SaleView } from './carbon.service';
import { CarbonStandard, ListingState, SerialStatus } from './carbon.model';
import { CarbonError } from './carbon.errors';
import { serialText } from './serial-ranges';
import { partyLinesSeenBy } from '../access/access.types';

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

/** Whose side of a sale a scoped caller sees: a BUYER its purchases, a seller's operator its sales. */
export interface SaleScope {
  party: string;
  side: 'buyer' | 'seller';
}

/**
 * Read-only lists and the scoped reads of the carbon routes: each list is one query, and a row
 * outside the caller's scope is the same not-found as an unknown id.
 */
@Injectable()
export class CarbonReadsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly carbon: CarbonService,
  ) {}

  /** Listings, newest first (at most MAX_CARBON_LIST), of one project and/or in one state. */
  async listListings(filter: { project?: string; state?: ListingState; seller?: string }, em: EntityManager = this.dataSource.manager): Promise<ListingView[]> {
    const rows = (await em.query(
      `SELECT l.id::text AS id, p.code AS project, s.code AS seller, l.issuance_id::text AS issuance_id, l.unit_price::text AS unit_price,
              l.quantity_listed::text AS quantity_listed, l.quantity_available::text AS quantity_available, l.state
         FROM carbon_listings l JOIN carbon_projects p ON p.id = l.project_id JOIN parties s ON s.id = l.seller_party_id
        WHERE ($1::text IS NULL OR p.code = $1) AND ($2::text IS NULL OR l.state = $2) AND ($3::text IS NULL OR s.code = $3) ORDER BY l.id DESC LIMIT ${MAX_CARBON_LIST}`,
      [filter.project ?? null, filter.state ?? null, filter.seller ?? null],
    )) as Array<{
      id: string;
      project: string;
      seller: string;
      issuance_id: string | null;
      unit_price: string;
      quantity_listed: string;
      quantity_available: string;
      state: string;
    }>;
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

  /** A project's serial blocks by serial number, with owner, status, listing and certificate; UNKNOWN_CARBON_PROJECT for an unknown code. */
  async serialBlocks(project: string, em: EntityManager = this.dataSource.manager): Promise<SerialBlockView[]> {
    const known = (await em.query(`SELECT 1 FROM carbon_projects WHERE code = $1`, [project])) as unknown[];
    if (known.length === 0) throw unknownProject(project);
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

  /** A project as `owner` (null: any owner) may see it; another owner's project is UNKNOWN_CARBON_PROJECT, like an unknown code. */
  async projectFor(code: string, owner: string | null, em: EntityManager = this.dataSource.manager): Promise<CarbonProjectView> {
    const project = await this.carbon.getProject(code, em);
    if (owner !== null && project.owner !== owner) throw unknownProject(code);
    return project;
  }

  /** A sale as `scope` (null: any) may see it. The scope is checked before the sale is read, so another party's sale is the same UNKNOWN_SALE as an unknown id. */
  async saleFor(id: string, scope: SaleScope | null, em: EntityManager = this.dataSource.manager): Promise<SaleView> {
    const [parties] = /^\d{1,18}$/.test(id)
      ? ((await em.query(
          `SELECT b.code AS buyer, se.code AS seller FROM carbon_sales s JOIN parties b ON b.id = s.buyer_party_id
             JOIN carbon_listings l ON l.id = s.listing_id JOIN parties se ON se.id = l.seller_party_id WHERE s.id = $1`,
          [id],
        )) as Array<{ buyer: string; seller: string }>)
      : [];
    if (!parties || (scope !== null && scope.party !== parties[scope.side])) throw new CarbonError('UNKNOWN_SALE', `no carbon sale ${JSON.stringify(id)}`, 'sale');
    return saleSeenBy(scope, await this.carbon.getSale(id, em));
  }
}

/** A sale as a scoped party sees it: of the revenue shares only its own (another party's share is left out). */
export function saleSeenBy(scope: SaleScope | null, sale: SaleView): SaleView {
  return { ...sale, shares: partyLinesSeenBy(scope && { ownerRefs: [`party:${scope.party}`] }, sale.shares, (s) => s.party) };
}

const unknownProject = (code: string): CarbonError => new CarbonError('UNKNOWN_CARBON_PROJECT', `no carbon project ${JSON.stringify(code)}`, 'project');
