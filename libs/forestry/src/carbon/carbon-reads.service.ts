import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { partyLinesSeenBy } from '@forest-ledger/access';
import { serialiseCsv } from '../imports/csv';
import { partiesByCodes, partiesByIds, PartyRef } from '../parties/party-refs';
import { blocksOf } from './carbon-blocks.store';
import { loadProject } from './carbon-common';
import { issuanceView } from './carbon-issuance.service';
import { listingView, CarbonMarketService } from './carbon-market.service';
import { listListingRows, saleById } from './carbon-market.store';
import { CarbonProjectsService, MAX_CARBON_LIST } from './carbon-projects.service';
import { issuancesOf, projectByCode } from './carbon-projects.store';
import { retirementRows } from './carbon-retirements.store';
import { retirementSerialBlocks } from './carbon-retirement.service';
import { ListingState, SerialStatus } from './carbon.model';
import { CarbonError } from './carbon.errors';
import type { CarbonProjectView, CarbonRegistryView, ListingView, SaleView } from './carbon.types';
import { serialText } from './serial-ranges';

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
 * Read-only lists, the public registry and the scoped reads of the carbon routes: each list is a
 * few queries whatever its length, and a row outside the caller's scope is the same not-found as an
 * unknown id.
 */
@Injectable()
export class CarbonReadsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly projects: CarbonProjectsService,
    private readonly market: CarbonMarketService,
  ) {}

  /** Listings, newest first (at most MAX_CARBON_LIST), of one project, in one state and/or of one seller. */
  async listListings(filter: { project?: string; state?: ListingState; seller?: string }, em: EntityManager = this.dataSource.manager): Promise<ListingView[]> {
    let sellerPartyId: string | null = null;
    if (filter.seller !== undefined) {
      const seller = (await partiesByCodes(em, [filter.seller])).get(filter.seller);
      if (!seller) return [];
      sellerPartyId = seller.id;
    }
    const rows = await listListingRows(em, { project: filter.project ?? null, state: filter.state ?? null, sellerPartyId }, MAX_CARBON_LIST);
    const sellers = await partiesByIds(
      em,
      rows.map((r) => r.seller_party_id),
    );
    return rows.map((r) => listingView(r, sellers.get(r.seller_party_id)!.code));
  }

  /** A project's serial blocks by serial number, with owner, status, listing and certificate; UNKNOWN_CARBON_PROJECT for an unknown code. */
  async serialBlocks(code: string, em: EntityManager = this.dataSource.manager): Promise<SerialBlockView[]> {
    const project = await loadProject(em, code);
    const rows = await blocksOf(em, project.id);
    const owners = await partiesByIds(
      em,
      rows.flatMap((r) => (r.owner_party_id === null ? [] : [r.owner_party_id])),
    );
    return rows.map((r) => ({
      id: r.id,
      issuanceId: r.issuance_id,
      vintage: r.vintage,
      serialBlock: serialText(project.standard, project.code, r.vintage, { start: BigInt(r.serial_start), end: BigInt(r.serial_end) }),
      serials: { start: r.serial_start, end: r.serial_end },
      quantity: r.quantity,
      status: r.status,
      owner: r.owner_party_id === null ? null : owners.get(r.owner_party_id)!.code,
      listingId: r.listing_id,
      certificateNo: r.certificate_no,
    }));
  }

  /** A project as `owner` (null: any owner) may see it; another owner's project is UNKNOWN_CARBON_PROJECT, like an unknown code. */
  async projectFor(code: string, owner: string | null, em: EntityManager = this.dataSource.manager): Promise<CarbonProjectView> {
    const project = await this.projects.getProject(code, em);
    if (owner !== null && project.owner !== owner) throw unknownProject(code);
    return project;
  }

  /** A sale as `scope` (null: any) may see it. The scope is checked before the sale is read, so another party's sale is the same UNKNOWN_SALE as an unknown id. */
  async saleFor(id: string, scope: SaleScope | null, em: EntityManager = this.dataSource.manager): Promise<SaleView> {
    const row = await saleById(em, id);
    const parties = row ? await partiesByIds(em, [row.buyer_party_id, row.seller_party_id]) : new Map<string, PartyRef>();
    const sides = row && { buyer: parties.get(row.buyer_party_id)?.code, seller: parties.get(row.seller_party_id)?.code };
    if (!sides || (scope !== null && scope.party !== sides[scope.side])) throw new CarbonError('UNKNOWN_SALE', `no carbon sale ${JSON.stringify(id)}`, 'sale');
    return saleSeenBy(scope, await this.market.getSale(id, em));
  }

  /** The public registry of a project (issuances, retirements, totals), in a few queries whatever their number. */
  async registry(code: string, em: EntityManager = this.dataSource.manager): Promise<CarbonRegistryView> {
    // The registry names no party, so the project row is read without its owner's code.
    const project = await projectByCode(em, code);
    if (!project) throw unknownProject(code);
    const issuances = (await issuancesOf(em, project.id)).map((r) => issuanceView(project, r));
    const retirements: CarbonRegistryView['retirements'] = (await retirementRows(em, { projectId: project.id })).map((r) => ({
      certificateNo: r.certificate_no,
      vintage: r.vintage,
      quantity: r.quantity,
      serialBlocks: retirementSerialBlocks(r),
      purpose: r.purpose,
      beneficiaryName: r.publish_beneficiary ? r.beneficiary_name : null,
      retiredOn: r.retired_on,
    }));
    const total = (values: string[]) => values.reduce((s, v) => s + BigInt(v), 0n).toString();
    return {
      project: project.code,
      name: project.name,
      standard: project.standard,
      externalId: project.external_id,
      state: project.state,
      issuances: issuances.map((i) => ({
        vintage: i.vintage,
        vintageStart: i.vintageStart,
        vintageEnd: i.vintageEnd,
        quantity: i.quantity,
        bufferQuantity: i.bufferQuantity,
        serialBlock: i.serialBlock,
        issuedOn: i.issuedOn,
        verificationReference: i.verificationReference,
      })),
      retirements,
      totals: { issued: total(issuances.map((i) => i.quantity)), buffer: total(issuances.map((i) => i.bufferQuantity)), retired: total(retirements.map((r) => r.quantity)) },
    };
  }

  /** The registry as CSV (UTF-8, one row per issuance and per retirement, then the totals). */
  async registryCsv(code: string, em: EntityManager = this.dataSource.manager): Promise<string> {
    const r = await this.registry(code, em);
    const cell = (text: string | null) => (text === null ? '' : /^[=+\-@]/.test(text) ? `'${text}` : text); // no formulas in a spreadsheet
    return serialiseCsv([
      ['记录类型 record', '年份 vintage', '数量(吨) tonnes', '序列号 serials', '日期 date', '编号 number', '用途 purpose', '受益方 beneficiary'],
      ...r.issuances.map((i) => ['签发 ISSUANCE', i.vintage, i.quantity, i.serialBlock, i.issuedOn, cell(i.verificationReference), '', '']),
      ...r.retirements.map((x) => ['注销 RETIREMENT', x.vintage, x.quantity, x.serialBlocks.join(' '), x.retiredOn, x.certificateNo, x.purpose, cell(x.beneficiaryName)]),
      ['合计签发 TOTAL_ISSUED', '', r.totals.issued, '', '', '', '', ''],
      ['其中缓冲 TOTAL_BUFFER', '', r.totals.buffer, '', '', '', '', ''],
      ['合计注销 TOTAL_RETIRED', '', r.totals.retired, '', '', '', '', ''],
    ]);
  }
}

/** A sale as a scoped party sees it: of the revenue shares only its own (another party's share is left out). */
export function saleSeenBy(scope: SaleScope | null, sale: SaleView): SaleView {
  return { ...sale, shares: partyLinesSeenBy(scope && { ownerRefs: [`party:${scope.party}`] }, sale.shares, (s) => s.party) };
}

const unknownProject = (code: string): CarbonError => new CarbonError('UNKNOWN_CARBON_PROJECT', `no carbon project ${JSON.stringify(code)}`, 'project');
