import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DomainError } from '@forest-ledger/common';
import { Amount, Dec, isIsoDate, LedgerReads, LedgerService, PostingDraft } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { OwnerScope } from '@forest-ledger/access';
import { ownerRefOf, walletOf } from '../parties/parties.service';
import { partiesByCodes, partiesByIds } from '../parties/party-refs';
import { businessToday, holderListed, holderTickets, PLATFORM_FEES_ACCOUNT, ticketAsset } from '../projects/project-accounts';
import * as store from './listings.store';
import { TicketListingRow, TicketTakeRow } from './listings.store';
import { entryKeyOf, MovementBooking, Position, wholeUnits } from './movement-booking';
import { RegisterLine, RegisterView, SeriesRecord, SeriesService } from './series.service';
import { TicketListingState } from './ticket.model';
import { TicketError } from './tickets.errors';

/** A listing may run at most this many days (its last day is expiresOn). */
export const MAX_LISTING_DAYS = 365;
/** The market's fee rate when a listing names none: the buyer pays amount × rate on top, to platform:fees:CNY. */
export const DEFAULT_MARKET_FEE_RATE = '0';
/** At most this many listings per read. */
export const LISTINGS_LIMIT = 500;

export interface TicketListingInput {
  /** The holder who sells (staff act for a villager on their written request). */
  seller: string;
  /** Whole units, e.g. "100". */
  units: string;
  /** CNY per unit, 2 decimals. */
  unitPrice: string;
  /** The listing's last day (YYYY-MM-DD, today … today + MAX_LISTING_DAYS); it expires the day after. */
  expiresOn: string;
  /** The fee rate a buyer pays on top (0 ≤ rate < 1, up to 6 decimals); default DEFAULT_MARKET_FEE_RATE. */
  feeRate?: string;
}

export interface TicketTakeInput {
  buyer: string;
  units: string;
  effectiveDate?: string;
}

export interface TicketListingView {
  id: string;
  series: string;
  seller: string;
  unitPrice: string;
  unitsListed: string;
  unitsAvailable: string;
  feeRate: string;
  expiresOn: string;
  state: TicketListingState;
  listingEntryId: string;
  closingEntryId: string | null;
  createdAt: string;
  closedAt: string | null;
}

export interface TicketTakeView {
  id: string;
  listingId: string;
  buyer: string;
  units: string;
  unitPrice: string;
  amount: string;
  fee: string;
  effectiveDate: string;
  entryId: string;
}

export interface TicketTakeOutcome {
  listing: TicketListingView;
  take: TicketTakeView;
  /** The seller's and the buyer's free units and wallets after the take. */
  positions: Position[];
}

export interface PriceHistoryView {
  series: string;
  /** The latest trade's date and price, or null before the first. */
  lastPrice: { date: string; unitPrice: string } | null;
  /** Every market trade, oldest first: date, units, price per unit; never a party. */
  trades: Array<{ date: string; units: string; unitPrice: string }>;
}

export interface ValuedRegisterView extends RegisterView {
  lastPrice: { date: string; unitPrice: string } | null;
  /** totalUnits × the last price (null without one): an indication, not a valuation. */
  indicativeTotalValue: string | null;
  lines: Array<RegisterLine & { indicativeValue: string | null }>;
}

/**
 * Who reads listings: null = staff (everything, with parties); `market` = a buyer: every listing, but
 * anonymous (no seller, no other buyer: the exchange matches them); else the scope's own listings only.
 */
export type ListingScope = null | { market: true; ownerRefs: string[] } | { ownerRefs: string[] };

/**
 * The 林票 market (挂牌/摘牌, issue #18): a holder lists units at a price per unit until a last day; the
 * units move into the holder's listed account (still theirs, counted in the register and for dividends)
 * so they cannot be traded, pledged or inherited meanwhile. A buyer takes all or part of a listing:
 * units from the seller's listed account, price and fee from the buyer's wallet, in one entry, with the
 * transfer restriction and the closed-register rule of trades. Withdrawal and expiry return the rest.
 *
 * Locks, always in this order: the series row (MovementBooking.openSeries), then the listing row, then
 * the ledger's accounts. Concurrent takers of one listing queue on them and never get more than listed.
 */
@Injectable()
export class TicketMarketService {
  private readonly logger = new Logger(TicketMarketService.name);
  private readonly booking: MovementBooking;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly reads: LedgerReads,
    private readonly series: SeriesService,
  ) {
    this.booking = new MovementBooking(ledger, reads, series);
  }

  /** Lists units of the seller (挂牌): one LISTING entry moves them to holder:<seller>:tickets:<series>:listed. */
  async createListing(em: EntityManager, seriesCode: string, input: TicketListingInput, key: string): Promise<TicketListingView> {
    const series = await this.booking.openSeries(em, seriesCode);
    const entryKey = entryKeyOf('LISTING', key);
    const replayed = (await this.reads.entryIdsByKeys(em, [entryKey])).get(entryKey);
    if (replayed !== undefined) {
      const row = await store.listingByEntry(em, replayed);
      if (row) return this.view(em, row);
    }
    if (series.transfer_restriction === 'NONE')
      throw new TicketError('TRANSFER_RESTRICTED', `units of ${series.code} are non-transferable: they cannot be listed`, 'series', { restriction: 'NONE' });
    const units = wholeUnits(input.units, 'units');
    const unitPrice = Amount.parsePositive(input.unitPrice, 2, 'unitPrice').value.toFixed(2);
    const feeRate = feeRateOf(input.feeRate);
    const today = businessToday();
    const expiresOn = input.expiresOn;
    if (typeof expiresOn !== 'string' || !isIsoDate(expiresOn)) throw new TicketError('INVALID_TICKET_INPUT', 'expiresOn must be a calendar date YYYY-MM-DD', 'expiresOn');
    const latest = addDays(today, MAX_LISTING_DAYS);
    if (expiresOn < today || expiresOn > latest) {
      throw new TicketError('INVALID_TICKET_INPUT', `expiresOn ${expiresOn} must lie between today ${today} and ${latest} (${MAX_LISTING_DAYS} days)`, 'expiresOn');
    }
    const parties = await this.booking.parties(em, [input.seller], ['seller']);
    await this.booking.requireHolding(em, series, input.seller, 'seller');
    await this.ensureListedAccount(em, series, input.seller);
    const outcome = await this.booking.book(em, series, 'LISTING', key, {
      entry: {
        effectiveDate: today,
        memo: `林票挂牌 ${series.code} ${input.seller} ${units} 份 × ${unitPrice} 元 至 ${expiresOn}`,
        metadata: { series: series.code, seller: input.seller, units, unitPrice, feeRate, expiresOn },
        postings: [
          { account: holderTickets(input.seller, series.code), side: 'DEBIT', amount: units },
          { account: holderListed(input.seller, series.code), side: 'CREDIT', amount: units },
        ],
      },
      legs: [{ from: input.seller, to: input.seller, units }],
      documentReference: null,
      keepsRegister: true,
    });
    const id = await store.insertListing(em, {
      seriesId: series.id,
      sellerPartyId: parties.get(input.seller)!.id,
      unitPrice,
      units,
      feeRate,
      expiresOn,
      entryId: outcome.entryId,
    });
    return this.view(em, (await store.listingById(em, id))!);
  }

  /** Withdraws an OPEN listing (撤牌): its unsold units return to the seller's free account. `sellerOnly`: the scope's own listings only (else 404). */
  async withdraw(em: EntityManager, listingId: string, key: string, scope: OwnerScope = null): Promise<TicketListingView> {
    return this.close(em, listingId, 'WITHDRAWN', entryKeyOf('LISTING_RETURN', key), key, scope);
  }

  /** Expires an OPEN listing whose last day has passed; a listing not due or no longer open is left alone (answered as it is). */
  async expire(em: EntityManager, listingId: string, today: string = businessToday()): Promise<TicketListingView> {
    const row = await this.visibleListing(em, listingId, null);
    if (row.state !== 'OPEN' || row.expires_on >= today) return this.view(em, row);
    const key = `expiry-${row.id}`;
    return this.close(em, listingId, 'EXPIRED', entryKeyOf('LISTING_RETURN', key), key, null);
  }

  /**
   * The daily expiry (the worker's job; safe to run again): every OPEN listing whose last day is before
   * `today` is expired, each in its own transaction. A listing refused by a rule (its project closed) is
   * reported and left for the next run; anything else is thrown.
   */
  async expireDue(today: string = businessToday()): Promise<{ expired: string[]; refused: Array<{ id: string; code: string }> }> {
    const due = await store.dueListingIds(this.dataSource.manager, today);
    const expired: string[] = [];
    const refused: Array<{ id: string; code: string }> = [];
    for (const id of due) {
      try {
        const view = await this.dataSource.transaction((em) => this.expire(em, id, today));
        if (view.state === 'EXPIRED') expired.push(id);
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        this.logger.warn(`listing ${id} not expired: ${error.code} ${error.message}`);
        refused.push({ id, code: error.code });
      }
    }
    return { expired, refused };
  }

  /**
   * A take (摘牌) of all or part of an OPEN listing, delivery versus payment in one entry:
   * holder:<seller>:tickets:<series>:listed → holder:<buyer>:tickets:<series>, party:<buyer>:wallet:CNY
   * pays units × price (rounded to the 分 once) to the seller's wallet and the fee (amount × the
   * listing's rate, rounded) to platform:fees:CNY on top. The buyer passes the series' restriction and
   * the register must be open at the effective date, exactly as for trades.
   */
  async take(em: EntityManager, listingId: string, input: TicketTakeInput, key: string): Promise<TicketTakeOutcome> {
    const unlocked = await this.visibleListing(em, listingId, null);
    const series = await this.booking.openSeries(em, unlocked.series);
    const entryKey = entryKeyOf('MARKET_TRADE', key);
    const replayedEntry = (await this.reads.entryIdsByKeys(em, [entryKey])).get(entryKey);
    const replayed = replayedEntry === undefined ? null : await store.takeByEntry(em, replayedEntry);
    if (replayed) return this.takeOutcome(em, series, replayed);
    const listing = (await store.listingById(em, listingId, true))!;
    const today = businessToday();
    if (listing.state !== 'OPEN' || listing.expires_on < today) {
      const state = listing.state === 'OPEN' ? 'EXPIRED' : listing.state;
      throw new TicketError('LISTING_NOT_OPEN', `listing ${listingId} is ${state}`, 'listing', { state });
    }
    const units = wholeUnits(input.units, 'units');
    if (new Dec(units).greaterThan(listing.units_available)) {
      throw new TicketError('INSUFFICIENT_UNITS', `listing ${listingId} has ${listing.units_available} units left, ${units} asked`, 'units', {
        requested: units,
        availableUnits: listing.units_available,
      });
    }
    const seller = (await partiesByIds(em, [listing.seller_party_id])).get(listing.seller_party_id)!.code;
    if (input.buyer === seller) throw new TicketError('SAME_PARTY', `${seller} is the seller of listing ${listingId}`, 'buyer');
    const parties = await this.booking.parties(em, [input.buyer], ['buyer']);
    this.booking.assertTransferable(series, parties.get(input.buyer)!, 'buyer');
    const effectiveDate = this.booking.effectiveDate(series, input.effectiveDate);
    await this.series.ensureHolding(em, series, input.buyer, 'ACQUIRED');
    const unitPrice = new Dec(listing.unit_price);
    const amount = unitPrice.times(units).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
    const fee = amount.times(listing.fee_rate).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
    const postings: PostingDraft[] = [
      { account: holderListed(seller, series.code), side: 'DEBIT', amount: units },
      { account: holderTickets(input.buyer, series.code), side: 'CREDIT', amount: units },
      { account: walletOf(input.buyer), side: 'DEBIT', amount: amount.plus(fee).toFixed(2) },
      { account: walletOf(seller), side: 'CREDIT', amount: amount.toFixed(2) },
    ];
    if (fee.greaterThan(0)) postings.push({ account: PLATFORM_FEES_ACCOUNT, side: 'CREDIT', amount: fee.toFixed(2) });
    const outcome = await this.booking.book(em, series, 'MARKET_TRADE', key, {
      entry: {
        effectiveDate,
        memo: `林票摘牌 ${series.code} 挂牌 #${listing.id} ${units} 份 × ${unitPrice.toFixed(2)} 元 = ${amount.toFixed(2)} 元`,
        metadata: { series: series.code, listing: listing.id, seller, buyer: input.buyer, units, unitPrice: unitPrice.toFixed(2), amount: amount.toFixed(2), fee: fee.toFixed(2) },
        postings,
      },
      legs: [{ from: seller, to: input.buyer, units }],
      money: { unitPrice: unitPrice.toFixed(2), amount: amount.toFixed(2), fee: fee.greaterThan(0) ? fee.toFixed(2) : null },
      documentReference: `listing:${listing.id}`,
      wallets: [seller, input.buyer],
    });
    await store.takeFromListing(em, listing.id, units);
    await store.insertTake(em, {
      listing_id: listing.id,
      buyer_party_id: parties.get(input.buyer)!.id,
      units,
      unit_price: unitPrice.toFixed(2),
      amount: amount.toFixed(2),
      fee: fee.toFixed(2),
      effective_date: effectiveDate,
      entry_id: outcome.entryId,
    });
    return this.takeOutcome(em, series, (await store.takeByEntry(em, outcome.entryId))!);
  }

  /** Listings newest first (at most LISTINGS_LIMIT); a holder's scope sees only its own listings, a buyer's the market. */
  async listings(filter: { series?: string; state?: TicketListingState }, scope: ListingScope = null, em: EntityManager = this.dataSource.manager): Promise<TicketListingView[]> {
    let sellerPartyId: string | undefined;
    if (scope !== null && !('market' in scope)) {
      const own = ownParty(scope);
      const ref = own === null ? undefined : (await partiesByCodes(em, [own])).get(own);
      if (!ref) return [];
      sellerPartyId = ref.id;
    }
    const rows = await store.listListings(em, { series: filter.series, state: filter.state, sellerPartyId }, LISTINGS_LIMIT);
    return this.views(em, rows, marketParty(scope));
  }

  /** One listing; another seller's is a 404 to a holder's scope. */
  async getListing(id: string, scope: ListingScope = null, em: EntityManager = this.dataSource.manager): Promise<TicketListingView & { takes: TicketTakeView[] }> {
    const row = await this.visibleListing(em, id, scope);
    const takes = await store.takesOf(em, row.id);
    const buyers = await partiesByIds(
      em,
      takes.map((t) => t.buyer_party_id),
    );
    const own = scope === null ? null : ownParty(scope);
    // A seller sees that its units were taken, when and at what price, not by whom (unless staff); a buyer sees its own takes.
    return {
      ...(await this.view(em, row, marketParty(scope))),
      takes: takes.map((t) => takeView(t, scope === null || buyers.get(t.buyer_party_id)!.code === own ? buyers.get(t.buyer_party_id)!.code : '')),
    };
  }

  /** The public, anonymised price history of a series' market (no login): every trade's date, units and price, and the last price. */
  async priceHistory(seriesCode: string, filter: { from?: string; to?: string } = {}, em: EntityManager = this.dataSource.manager): Promise<PriceHistoryView> {
    for (const f of ['from', 'to'] as const) {
      if (filter[f] !== undefined && !isIsoDate(filter[f])) throw new TicketError('INVALID_TICKET_INPUT', `${f} must be a calendar date YYYY-MM-DD`, f);
    }
    const series = await this.series.load(em, seriesCode);
    const points = await store.priceHistory(em, series.id, filter);
    const last = await store.lastPrice(em, series.id);
    return {
      series: series.code,
      lastPrice: last === null ? null : { date: last.date, unitPrice: last.unit_price },
      trades: points.map((p) => ({ date: p.date, units: p.units, unitPrice: p.unit_price })),
    };
  }

  /** The price history as CSV (header in Chinese and English, CRLF; the caller adds the BOM). */
  async priceHistoryCsv(seriesCode: string, filter: { from?: string; to?: string } = {}): Promise<string> {
    const history = await this.priceHistory(seriesCode, filter);
    const rows = [['成交日期 date', '份数 units', '单价 unitPrice (CNY)'], ...history.trades.map((t) => [t.date, t.units, t.unitPrice])];
    return rows.map((r) => r.join(',')).join('\r\n') + '\r\n';
  }

  /** The register with an indicative value at the last market price on or before its date (null without a trade by then). */
  async valueAtLastPrice(register: RegisterView, em: EntityManager = this.dataSource.manager): Promise<ValuedRegisterView> {
    const series = await this.series.load(em, register.series);
    const last = await store.lastPrice(em, series.id, register.asOf);
    const price = last === null ? null : new Dec(last.unit_price);
    const valueOf = (units: string): string | null => (price === null ? null : price.times(units).toFixed(2));
    return {
      ...register,
      lastPrice: last === null ? null : { date: last.date, unitPrice: last.unit_price },
      indicativeTotalValue: valueOf(register.totalUnits),
      lines: register.lines.map((l) => ({ ...l, indicativeValue: valueOf(l.units) })),
    };
  }

  private async close(em: EntityManager, listingId: string, state: 'WITHDRAWN' | 'EXPIRED', entryKey: string, key: string, scope: OwnerScope): Promise<TicketListingView> {
    const unlocked = await this.visibleListing(em, listingId, scope);
    const series = await this.booking.openSeries(em, unlocked.series);
    const listing = (await store.listingById(em, listingId, true))!;
    if (listing.state !== 'OPEN') {
      const closingKey = listing.closing_entry_id === null ? undefined : (await this.reads.entryKeys(em, [listing.closing_entry_id])).get(listing.closing_entry_id);
      if (closingKey === entryKey) return this.view(em, listing);
      throw new TicketError('LISTING_NOT_OPEN', `listing ${listingId} is ${listing.state}`, 'listing', { state: listing.state });
    }
    const seller = (await partiesByIds(em, [listing.seller_party_id])).get(listing.seller_party_id)!.code;
    const units = new Dec(listing.units_available).toFixed(0);
    const word = state === 'WITHDRAWN' ? '撤牌' : '挂牌到期';
    const outcome = await this.booking.book(em, series, 'LISTING_RETURN', key, {
      entry: {
        effectiveDate: businessToday(),
        memo: `林票${word} ${series.code} 挂牌 #${listing.id} ${seller} ${units} 份退回`,
        metadata: { series: series.code, listing: listing.id, seller, units, reason: state },
        postings: [
          { account: holderListed(seller, series.code), side: 'DEBIT', amount: units },
          { account: holderTickets(seller, series.code), side: 'CREDIT', amount: units },
        ],
      },
      legs: [{ from: seller, to: seller, units }],
      documentReference: `listing:${listing.id}`,
      keepsRegister: true,
    });
    await store.closeListing(em, listing.id, state, outcome.entryId);
    return this.view(em, (await store.listingById(em, listing.id))!);
  }

  /** The listing, or 404 UNKNOWN_LISTING when unknown or not the scope's own. */
  private async visibleListing(em: EntityManager, id: string, scope: ListingScope): Promise<TicketListingRow> {
    const row = await store.listingById(em, id);
    if (row && scope !== null && !('market' in scope)) {
      const own = ownParty(scope);
      const ref = own === null ? undefined : (await partiesByCodes(em, [own])).get(own);
      if (ref?.id !== row.seller_party_id) throw new TicketError('UNKNOWN_LISTING', `no listing ${JSON.stringify(id)}`, 'listing');
    }
    if (!row) throw new TicketError('UNKNOWN_LISTING', `no listing ${JSON.stringify(id)}`, 'listing');
    return row;
  }

  private async ensureListedAccount(em: EntityManager, series: SeriesRecord, party: string): Promise<void> {
    const code = holderListed(party, series.code);
    if ((await this.reads.balances(em, [code])).has(code)) return;
    await this.ledger.openAccounts(em, [{ code, asset: ticketAsset(series.code), type: 'LIABILITY', ownerRef: ownerRefOf(party), noOverdraft: true }]);
  }

  private async takeOutcome(em: EntityManager, series: SeriesRecord, take: TicketTakeRow): Promise<TicketTakeOutcome> {
    const listing = (await store.listingById(em, take.listing_id))!;
    const parties = await partiesByIds(em, [listing.seller_party_id, take.buyer_party_id]);
    const seller = parties.get(listing.seller_party_id)!.code;
    const buyer = parties.get(take.buyer_party_id)!.code;
    return {
      listing: await this.view(em, listing),
      take: takeView(take, buyer),
      positions: await this.booking.positions(em, series, [seller, buyer], [seller, buyer]),
    };
  }

  /** `anonymousExcept`: the listing is seen on the market by this party (a buyer): the seller is '' unless it is this party. */
  private async view(em: EntityManager, row: TicketListingRow, anonymousExcept?: string | null): Promise<TicketListingView> {
    return (await this.views(em, [row], anonymousExcept))[0];
  }

  private async views(em: EntityManager, rows: TicketListingRow[], anonymousExcept?: string | null): Promise<TicketListingView[]> {
    const sellers = await partiesByIds(
      em,
      rows.map((r) => r.seller_party_id),
    );
    return rows.map((r) => ({
      id: r.id,
      series: r.series,
      seller: anonymousExcept === undefined || sellers.get(r.seller_party_id)!.code === anonymousExcept ? sellers.get(r.seller_party_id)!.code : '',
      unitPrice: new Dec(r.unit_price).toFixed(2),
      unitsListed: new Dec(r.units_listed).toFixed(0),
      unitsAvailable: new Dec(r.units_available).toFixed(0),
      feeRate: new Dec(r.fee_rate).toString(),
      expiresOn: r.expires_on,
      state: r.state,
      listingEntryId: r.listing_entry_id,
      closingEntryId: r.closing_entry_id,
      createdAt: r.created_at.toISOString(),
      closedAt: r.closed_at?.toISOString() ?? null,
    }));
  }
}

function takeView(t: TicketTakeRow, buyer: string): TicketTakeView {
  return {
    id: t.id,
    listingId: t.listing_id,
    buyer,
    units: new Dec(t.units).toFixed(0),
    unitPrice: new Dec(t.unit_price).toFixed(2),
    amount: new Dec(t.amount).toFixed(2),
    fee: new Dec(t.fee).toFixed(2),
    effectiveDate: t.effective_date,
    entryId: t.entry_id,
  };
}

/** The buyer's party of a market scope (undefined for any other scope: parties shown as the scope allows). */
function marketParty(scope: ListingScope): string | null | undefined {
  return scope !== null && 'market' in scope ? ownParty(scope) : undefined;
}

/** The party of a holder's scope (`party:<code>`), or null. */
function ownParty(scope: { ownerRefs: string[] }): string | null {
  const ref = scope.ownerRefs.find((r) => r.startsWith('party:'));
  return ref === undefined ? null : ref.slice('party:'.length);
}

/** A fee rate: 0 ≤ rate < 1, at most 6 decimals; the default when absent. */
function feeRateOf(value: unknown): string {
  if (value === undefined) return DEFAULT_MARKET_FEE_RATE;
  const rate = Amount.parse(value, 6, 'feeRate').value;
  if (rate.isNegative() || rate.greaterThanOrEqualTo(1)) throw new TicketError('INVALID_TICKET_INPUT', 'feeRate must be at least 0 and below 1', 'feeRate');
  return rate.toString();
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}
