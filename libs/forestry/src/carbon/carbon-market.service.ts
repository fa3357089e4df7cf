import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, EntryDraft, isBigintId, LedgerReads, LedgerService, PostingDraft } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { partiesByIds } from '../parties/party-refs';
import { walletOf } from '../parties/parties.service';
import { carbonRevenue, holderCredits, holderCreditsAccount } from './carbon-accounts';
import { lockBlocks, moveTakes, releaseListing } from './carbon-blocks.store';
import {
  CarbonProject,
  conflict,
  effectiveDateOf,
  fromText,
  invalid,
  loadProject,
  openMissingAccounts,
  requireParty,
  takeOrRefuse,
  toText,
  translateFunds,
  walletAccount,
} from './carbon-common';
import { cancelListingRow, insertListing, insertSale, listingById, ListingRow, saleByEntry, saleById, SaleRow, sellFromListing } from './carbon-market.store';
import { issuanceOf, vintagesOfSerials } from './carbon-projects.store';
import { CarbonRevenueService } from './carbon-revenue.service';
import { CarbonError } from './carbon.errors';
import type { ListingInput, ListingView, OrderInput, SaleView } from './carbon.types';
import { carbonSaleAmount, revenueTotalsByParty } from './revenue-split';
import { serialText, wholeTonnes } from './serial-ranges';
import { recordEvent } from '../events/record-event';

/** Share postings per ledger entry: the ledger allows 1,000 postings; the sale's own legs take 5. */
const SHARES_PER_ENTRY = 990;

/** A listing as clients see it, its seller by code. */
export function listingView(row: ListingRow, sellerCode: string): ListingView {
  return {
    id: row.id,
    project: row.project,
    seller: sellerCode,
    issuanceId: row.issuance_id,
    unitPrice: row.unit_price,
    quantityListed: row.quantity_listed,
    quantityAvailable: row.quantity_available,
    state: row.state,
  };
}

/**
 * The carbon market (DOMAIN.md §5): listings that reserve a seller's serials, and orders that pay,
 * deliver and share the revenue in one entry. Every write runs in the caller's transaction (`em`).
 *
 * Locks, always in this order: the listing row, then serial blocks FOR UPDATE by (vintage start,
 * serial start), then the ledger's accounts (by id).
 */
@Injectable()
export class CarbonMarketService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReads,
    private readonly revenue: CarbonRevenueService,
  ) {}

  /**
   * Lists a seller's credits: the oldest HELD blocks (of one vintage if given) become RESERVED for the
   * listing, the last one split. The tonnes stay in the seller's credits account until sold.
   */
  async createListing(em: EntityManager, code: string, input: ListingInput): Promise<ListingView> {
    const project = await loadProject(em, code);
    if (project.state === 'DRAFT') throw new CarbonError('CARBON_PROJECT_NOT_REGISTERED', `carbon project ${code} is a draft`, 'project');
    const seller = await requireParty(em, input.seller, 'seller');
    const unitPrice = Amount.parsePositive(input.unitPrice, 2, 'unitPrice').value.toFixed(2);
    const quantity = wholeTonnes(input.quantity, 'quantity');
    if (input.issuanceId !== undefined && !(await issuanceOf(em, project.id, input.issuanceId))) {
      throw new CarbonError('UNKNOWN_VINTAGE', `carbon project ${project.code} has no issuance ${JSON.stringify(input.issuanceId)}`, 'issuanceId');
    }
    const blocks = await lockBlocks(em, { heldBy: seller.id, projectId: project.id, issuanceId: input.issuanceId ?? null });
    const takes = takeOrRefuse(blocks, quantity, seller.code);
    const listingId = await insertListing(em, { projectId: project.id, sellerPartyId: seller.id, issuanceId: input.issuanceId ?? null, unitPrice, quantity });
    await moveTakes(em, takes, { ownerPartyId: seller.id, status: 'RESERVED', listingId, retirementId: null });
    return this.getListing(listingId, em);
  }

  /** Ends a listing: its unsold tonnes go back to HELD. */
  async cancelListing(em: EntityManager, listingId: string): Promise<ListingView> {
    const listing = await this.lockListing(em, listingId);
    if (listing.state !== 'OPEN') throw new CarbonError('LISTING_NOT_OPEN', `listing ${listingId} is ${listing.state}`, 'listing');
    await releaseListing(em, listing.id);
    await cancelListingRow(em, listing.id);
    return this.getListing(listing.id, em);
  }

  async getListing(id: string, em: EntityManager = this.dataSource.manager): Promise<ListingView> {
    const row = await listingById(em, id);
    if (!row) throw new CarbonError('UNKNOWN_LISTING', `no listing ${JSON.stringify(id)}`, 'listing');
    return listingView(row, await this.codeOf(em, row.seller_party_id));
  }

  /**
   * An order against a listing, settled in one ledger entry (one atomic batch when the shares need
   * more than ~990 postings): buyer wallet → project revenue (quantity × price, rounded once),
   * seller credits → buyer credits, and the revenue → the shares of the project's current rule.
   * The buyer gets the listing's oldest serials (by vintage, then number), the last block split.
   * Locks the listing row first, so concurrent orders on it queue and never sell a tonne twice.
   * A buyer short of money is refused (INSUFFICIENT_FUNDS) and nothing moves.
   *
   * Replays: over HTTP the CommandRunner answers a replay of the same principal and key from
   * idempotency_requests before this runs, so the check below never fires there. It is the one check
   * of the command itself, kept for callers without the runner (scripts, jobs, the integration tests):
   * a sold-out listing or a changed rule would otherwise turn a replay into a refusal or a conflict.
   */
  async order(em: EntityManager, listingId: string, input: OrderInput, key: string): Promise<SaleView> {
    const listing = await this.lockListing(em, listingId);
    const firstKey = `carbon-sale:${key}:1`;
    const firstEntry = (await this.ledgerReads.entryIdsByKeys(em, [firstKey])).get(firstKey);
    const replayed = firstEntry === undefined ? null : await saleByEntry(em, listing.id, firstEntry);
    if (replayed) {
      const sale = await this.saleView(em, replayed);
      if (sale.buyer !== input.buyer || sale.quantity !== String(input.quantity)) throw conflict(key, `order #${sale.id}`);
      return sale;
    }
    if (listing.state !== 'OPEN') throw new CarbonError('LISTING_NOT_OPEN', `listing ${listingId} is ${listing.state}`, 'listing');
    const project = await loadProject(em, listing.project);
    const seller = await this.codeOf(em, listing.seller_party_id);
    const buyer = await requireParty(em, input.buyer, 'buyer');
    if (buyer.code === seller) throw invalid(`${buyer.code} is the seller of listing ${listingId}`, 'buyer');
    const quantity = wholeTonnes(input.quantity, 'quantity');
    const effectiveDate = effectiveDateOf(input.effectiveDate);
    if (quantity > BigInt(listing.quantity_available)) {
      throw new CarbonError('INSUFFICIENT_CREDITS', `listing ${listingId} has ${listing.quantity_available} t left, ${quantity} t ordered`, 'quantity', {
        requested: quantity.toString(),
        available: listing.quantity_available,
      });
    }
    const blocks = await lockBlocks(em, { reservedFor: listing.id });
    const takes = takeOrRefuse(blocks, quantity, seller);
    const gross = carbonSaleAmount(quantity, listing.unit_price);
    const { rule, lines } = await this.revenue.shares(em, project, seller, gross, effectiveDate);
    const totals = revenueTotalsByParty(lines);
    await openMissingAccounts(em, this.ledger, this.ledgerReads, [holderCreditsAccount(buyer.code, project.code), ...totals.map((t) => walletAccount(t.party))]);

    const drafts = saleDrafts({ project, key, effectiveDate, gross, quantity, buyer: buyer.code, seller, listingId: listing.id, ruleVersion: rule?.version ?? null, totals });
    let entryIds: string[];
    try {
      entryIds = drafts.length === 1 ? [(await this.ledger.post(em, drafts[0])).entry.id] : (await this.ledger.postBatch(em, drafts)).entries.map((e) => e.id);
    } catch (error) {
      throw translateFunds(error);
    }
    await moveTakes(em, takes, { ownerPartyId: buyer.id, status: 'HELD', listingId: null, retirementId: null });
    await sellFromListing(em, listing.id, quantity);
    const saleId = await insertSale(em, {
      listingId: listing.id,
      buyerPartyId: buyer.id,
      quantity,
      unitPrice: listing.unit_price,
      grossAmount: gross,
      rule,
      serialRanges: takes.map((t) => toText(t.taken)),
      shares: lines,
      effectiveDate,
      entryIds,
    });
    await recordEvent(
      em,
      'carbon.sold',
      { type: 'carbon_sale', id: saleId },
      {
        saleId,
        listingId: listing.id,
        project: project.code,
        seller,
        buyer: buyer.code,
        quantity: quantity.toString(),
        unitPrice: listing.unit_price,
        grossAmount: gross.toString(),
        effectiveDate,
        entryIds,
      },
    );
    return this.getSale(saleId, em);
  }

  async getSale(id: string, em: EntityManager = this.dataSource.manager): Promise<SaleView> {
    const row = isBigintId(id) ? await saleById(em, id) : null;
    if (!row) throw new CarbonError('UNKNOWN_SALE', `no carbon sale ${JSON.stringify(id)}`, 'id');
    return this.saleView(em, row);
  }

  private async saleView(em: EntityManager, row: SaleRow): Promise<SaleView> {
    const parties = await partiesByIds(em, [row.buyer_party_id, row.seller_party_id]);
    const vintages = await vintagesOfSerials(
      em,
      row.project_id,
      row.serial_ranges.map((r) => r.start),
    );
    return {
      id: row.id,
      listingId: row.listing_id,
      project: row.project,
      buyer: parties.get(row.buyer_party_id)!.code,
      seller: parties.get(row.seller_party_id)!.code,
      quantity: row.quantity,
      unitPrice: row.unit_price,
      grossAmount: row.gross_amount,
      ruleVersion: row.rule_version,
      serialBlocks: row.serial_ranges.map((r, i) => serialText(row.standard, row.project, vintages[i], fromText(r))),
      serialRanges: row.serial_ranges,
      shares: row.shares,
      effectiveDate: row.effective_date,
      entryIds: row.entry_ids,
    };
  }

  private async lockListing(em: EntityManager, listingId: string): Promise<ListingRow> {
    const row = await listingById(em, listingId, true);
    if (!row) throw new CarbonError('UNKNOWN_LISTING', `no listing ${JSON.stringify(listingId)}`, 'listing');
    return row;
  }

  private async codeOf(em: EntityManager, partyId: string): Promise<string> {
    return (await partiesByIds(em, [partyId])).get(partyId)!.code;
  }
}

/** The sale's entries: payment and delivery in the first, the revenue shares spread over as many as their postings need. */
function saleDrafts(s: {
  project: CarbonProject;
  key: string;
  effectiveDate: string;
  gross: string;
  quantity: bigint;
  buyer: string;
  seller: string;
  listingId: string;
  ruleVersion: number | null;
  totals: Array<{ party: string; amount: string }>;
}): EntryDraft[] {
  const code = s.project.code;
  const chunks: Array<Array<{ party: string; amount: string }>> = [];
  for (let i = 0; i < s.totals.length; i += SHARES_PER_ENTRY) chunks.push(s.totals.slice(i, i + SHARES_PER_ENTRY));
  if (chunks.length === 0) chunks.push([]);
  const metadata = { carbonProject: code, listing: s.listingId, buyer: s.buyer, seller: s.seller, ruleVersion: s.ruleVersion };
  return chunks.map((chunk, i): EntryDraft => {
    const paid = chunk.reduce((sum, t) => sum.plus(t.amount), new Dec(0)).toFixed(2);
    const sale: PostingDraft[] =
      i === 0
        ? [
            { account: walletOf(s.buyer), side: 'DEBIT', amount: s.gross },
            { account: carbonRevenue(code), side: 'CREDIT', amount: s.gross },
            { account: holderCredits(s.seller, code), side: 'DEBIT', amount: s.quantity.toString() },
            { account: holderCredits(s.buyer, code), side: 'CREDIT', amount: s.quantity.toString() },
          ]
        : [];
    return {
      idempotencyKey: `carbon-sale:${s.key}:${i + 1}`,
      kind: i === 0 ? 'CARBON_SALE' : 'CARBON_REVENUE_SHARE',
      effectiveDate: s.effectiveDate,
      memo:
        i > 0
          ? `碳汇收益分配 ${code} (${i + 1}/${chunks.length})`
          : `碳汇交易 ${code} ${s.quantity} 吨 ${s.gross} 元，${s.ruleVersion === null ? '转售，价款归卖方' : `收益按第 ${s.ruleVersion} 版分配规则分配`}`,
      metadata: { ...metadata, part: i + 1, parts: chunks.length },
      // The revenue account shows the gross price coming in and the shares going out; a buyer who
      // also has a share pays the price and receives the share.
      clearingAccounts: [carbonRevenue(code), walletOf(s.buyer)],
      postings: [
        ...sale,
        ...(chunk.length > 0 ? [{ account: carbonRevenue(code), side: 'DEBIT' as const, amount: paid }] : []),
        ...chunk.map((t) => ({ account: walletOf(t.party), side: 'CREDIT' as const, amount: t.amount })),
      ],
    };
  });
}
