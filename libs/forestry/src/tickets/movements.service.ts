import { Injectable } from '@nestjs/common';
import { Amount, Dec, LedgerReads, LedgerService, PostingDraft } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { walletOf } from '../parties/parties.service';
import { holderListed, holderPledged, holderTickets, PLATFORM_FEES_ACCOUNT } from '../projects/project-accounts';
import { entryKeyOf, MovementBooking, MovementOutcome, optionalText, PledgeView, Position, requireText, wholeUnits } from './movement-booking';
import { SeriesRecord, SeriesService } from './series.service';
import { PledgeState } from './ticket.model';
import { TicketError } from './tickets.errors';

export type { MovementOutcome, PledgeView, Position } from './movement-booking';

export interface TradeInput {
  seller: string;
  buyer: string;
  /** Whole units, e.g. "100". */
  units: string;
  /** CNY per unit, 2 decimals. */
  unitPrice: string;
  /** CNY the buyer pays the platform on top of the price; optional. */
  fee?: string;
  /** 交易合同 / 平台成交编号. */
  contractReference?: string;
  effectiveDate?: string;
}

export interface InheritanceInput {
  /** The deceased holder. */
  from: string;
  /** Heirs and their units; they must add up exactly to the holder's units. */
  heirs: Array<{ party: string; units: string }>;
  /** 继承公证书 / 判决书 number. */
  documentReference: string;
  effectiveDate?: string;
}

export interface PledgeInput {
  holder: string;
  /** The bank (a party of kind BANK). */
  pledgee: string;
  units: string;
  /** 质押合同编号. */
  contractReference: string;
  effectiveDate?: string;
}

export interface PledgeCloseInput {
  documentReference?: string;
  effectiveDate?: string;
}

export interface EnforceInput extends PledgeCloseInput {
  /** Who receives the units: the bank itself (default) or a buyer it names. */
  transferee?: string;
}

export interface BuyBackInput {
  holder: string;
  units: string;
  /** CNY per unit; defaults to the project's guaranteed buy-back price. */
  unitPrice?: string;
  documentReference?: string;
  effectiveDate?: string;
}

/**
 * Movements of 林票 units (DOMAIN.md §3), each one ledger entry in the caller's transaction:
 * trades settle units and money together (delivery versus payment), pledges lock units in the
 * holder's pledged sub-account, buy-backs pay from the farm's wallet. The ledger's no-overdraft
 * accounts under row locks decide races: of concurrent sales of the same units only as many
 * succeed as there are units. Replays (same key) return the movement as recorded.
 */
@Injectable()
export class MovementsService {
  constructor(
    ledger: LedgerService,
    private readonly series: SeriesService,
    reads: LedgerReads,
  ) {
    this.booking = new MovementBooking(ledger, reads, series);
  }

  private readonly booking: MovementBooking;

  async trade(em: EntityManager, seriesCode: string, input: TradeInput, key: string): Promise<MovementOutcome> {
    const series = await this.booking.openSeries(em, seriesCode);
    const replay = await this.booking.replayOf(em, series, entryKeyOf('TRADE', key));
    if (replay) return replay;
    const units = wholeUnits(input.units, 'units');
    const unitPrice = Amount.parsePositive(input.unitPrice, 2, 'unitPrice').value;
    const fee = input.fee === undefined ? new Dec(0) : Amount.parse(input.fee, 2, 'fee').value;
    const effectiveDate = this.booking.effectiveDate(series, input.effectiveDate);
    const contractReference = optionalText(input.contractReference, 'contractReference');
    if (input.seller === input.buyer) throw new TicketError('SAME_PARTY', 'seller and buyer are the same party', 'buyer');
    const parties = await this.booking.parties(em, [input.seller, input.buyer], ['seller', 'buyer']);
    this.booking.assertTransferable(series, parties.get(input.buyer)!, 'buyer');
    const seller = await this.booking.requireHolding(em, series, input.seller, 'seller');
    await this.series.ensureHolding(em, series, input.buyer, 'ACQUIRED');
    const amount = unitPrice.times(units).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
    const postings: PostingDraft[] = [
      { account: holderTickets(input.seller, seriesCode), side: 'DEBIT', amount: units },
      { account: holderTickets(input.buyer, seriesCode), side: 'CREDIT', amount: units },
      { account: walletOf(input.buyer), side: 'DEBIT', amount: amount.plus(fee).toFixed(2) },
      { account: walletOf(input.seller), side: 'CREDIT', amount: amount.toFixed(2) },
    ];
    if (fee.greaterThan(0)) postings.push({ account: PLATFORM_FEES_ACCOUNT, side: 'CREDIT', amount: fee.toFixed(2) });
    return this.booking.book(em, series, 'TRADE', key, {
      entry: {
        effectiveDate,
        memo: `林票转让 ${seriesCode} ${units} 份 × ${unitPrice.toFixed(2)} 元 = ${amount.toFixed(2)} 元 (${seller.certificateNo})`,
        metadata: {
          series: seriesCode,
          seller: input.seller,
          buyer: input.buyer,
          units,
          unitPrice: unitPrice.toFixed(2),
          amount: amount.toFixed(2),
          fee: fee.toFixed(2),
          contractReference,
        },
        postings,
      },
      legs: [{ from: input.seller, to: input.buyer, units }],
      money: { unitPrice: unitPrice.toFixed(2), amount: amount.toFixed(2), fee: fee.greaterThan(0) ? fee.toFixed(2) : null },
      documentReference: contractReference,
      wallets: [input.seller, input.buyer],
    });
  }

  /** Inheritance (继承): all the deceased's units to the heirs as split, without price. Exempt from the transfer restriction. */
  async inherit(em: EntityManager, seriesCode: string, input: InheritanceInput, key: string): Promise<MovementOutcome> {
    const series = await this.booking.openSeries(em, seriesCode);
    const replay = await this.booking.replayOf(em, series, entryKeyOf('INHERITANCE', key));
    if (replay) return replay;
    const documentReference = requireText(input.documentReference, 'documentReference');
    const effectiveDate = this.booking.effectiveDate(series, input.effectiveDate);
    if (!Array.isArray(input.heirs) || input.heirs.length === 0) throw new TicketError('INVALID_TICKET_INPUT', 'heirs must list at least one heir', 'heirs');
    const heirs = input.heirs.map((h, i) => {
      if (h.party === input.from) throw new TicketError('SAME_PARTY', `heirs[${i}] is the deceased holder`, `heirs[${i}].party`);
      return { party: h.party, units: wholeUnits(h.units, `heirs[${i}].units`) };
    });
    const seen = new Set<string>();
    heirs.forEach((h, i) => {
      if (seen.has(h.party)) throw new TicketError('INVALID_TICKET_INPUT', `heir ${h.party} is listed twice`, `heirs[${i}].party`);
      seen.add(h.party);
    });
    await this.booking.parties(em, [input.from, ...heirs.map((h) => h.party)], ['from', ...heirs.map((_, i) => `heirs[${i}].party`)], { allowInactive: [input.from] });
    await this.booking.requireHolding(em, series, input.from, 'from');
    const [free, pledged, listed] = await this.booking.balances(em, [
      holderTickets(input.from, seriesCode),
      holderPledged(input.from, seriesCode),
      holderListed(input.from, seriesCode),
    ]);
    if (listed.greaterThan(0)) {
      throw new TicketError('LISTED_UNITS_OUTSTANDING', `${input.from} has ${listed.toFixed(0)} units listed on the market; withdraw the listing before the inheritance`, 'from', {
        listedUnits: listed.toFixed(0),
      });
    }
    if (pledged.greaterThan(0)) {
      throw new TicketError('PLEDGED_UNITS_OUTSTANDING', `${input.from} has ${pledged.toFixed(0)} pledged units; release or enforce the pledge before the inheritance`, 'from', {
        pledgedUnits: pledged.toFixed(0),
      });
    }
    const sum = heirs.reduce((s, h) => s.plus(h.units), new Dec(0));
    if (!sum.equals(free)) {
      throw new TicketError('HEIRS_MISMATCH', `the heirs' units add up to ${sum.toFixed(0)}, but ${input.from} holds ${free.toFixed(0)}; they must be equal`, 'heirs', {
        heirsUnits: sum.toFixed(0),
        holderUnits: free.toFixed(0),
      });
    }
    for (const h of heirs) await this.series.ensureHolding(em, series, h.party, 'ACQUIRED');
    return this.booking.book(em, series, 'INHERITANCE', key, {
      entry: {
        effectiveDate,
        memo: `林票继承 ${seriesCode} ${input.from} → ${heirs.map((h) => `${h.party} ${h.units} 份`).join(', ')} 依据 ${documentReference}`,
        metadata: { series: seriesCode, from: input.from, heirs, documentReference },
        postings: [
          { account: holderTickets(input.from, seriesCode), side: 'DEBIT', amount: free.toFixed(0) },
          ...heirs.map((h) => ({ account: holderTickets(h.party, seriesCode), side: 'CREDIT' as const, amount: h.units })),
        ],
      },
      legs: heirs.map((h) => ({ from: input.from, to: h.party, units: h.units })),
      documentReference,
    });
  }

  /** Pledge (质押) to a bank: the units move to the holder's pledged sub-account; they stay the holder's. */
  async pledge(em: EntityManager, seriesCode: string, input: PledgeInput, key: string): Promise<MovementOutcome> {
    const series = await this.booking.openSeries(em, seriesCode);
    const replay = await this.booking.replayOf(em, series, entryKeyOf('PLEDGE', key));
    if (replay) return replay;
    if (series.transfer_restriction === 'NONE')
      throw new TicketError('TRANSFER_RESTRICTED', `series ${seriesCode} is non-transferable, so its units cannot be pledged (enforcement could not transfer them)`, 'series');
    const units = wholeUnits(input.units, 'units');
    const contractReference = requireText(input.contractReference, 'contractReference');
    const effectiveDate = this.booking.effectiveDate(series, input.effectiveDate);
    const parties = await this.booking.parties(em, [input.holder, input.pledgee], ['holder', 'pledgee']);
    if (parties.get(input.pledgee)!.kind !== 'BANK')
      throw new TicketError('NOT_A_BANK', `pledgee ${input.pledgee} is a ${parties.get(input.pledgee)!.kind}, not a BANK`, 'pledgee');
    await this.booking.requireHolding(em, series, input.holder, 'holder');
    const outcome = await this.booking.book(em, series, 'PLEDGE', key, {
      entry: {
        effectiveDate,
        memo: `林票质押 ${seriesCode} ${input.holder} ${units} 份 质权人 ${input.pledgee} 合同 ${contractReference}`,
        metadata: { series: seriesCode, holder: input.holder, pledgee: input.pledgee, units, contractReference },
        postings: [
          { account: holderTickets(input.holder, seriesCode), side: 'DEBIT', amount: units },
          { account: holderPledged(input.holder, seriesCode), side: 'CREDIT', amount: units },
        ],
      },
      legs: [{ from: input.holder, to: input.holder, units }],
      documentReference: contractReference,
      pledge: { holder: parties.get(input.holder)!, pledgee: parties.get(input.pledgee)!, units, contractReference },
    });
    return outcome;
  }

  /** Release of a pledge: the units return to the holder's free account. */
  async releasePledge(em: EntityManager, pledgeId: string, input: PledgeCloseInput, key: string): Promise<MovementOutcome> {
    const { pledge, series } = await this.booking.activePledge(em, pledgeId, entryKeyOf('PLEDGE_RELEASE', key));
    if (pledge === null) return (await this.booking.replayOf(em, series, entryKeyOf('PLEDGE_RELEASE', key)))!;
    const effectiveDate = this.booking.effectiveDate(series, input.effectiveDate);
    const documentReference = optionalText(input.documentReference, 'documentReference');
    return this.booking.book(em, series, 'PLEDGE_RELEASE', key, {
      entry: {
        effectiveDate,
        memo: `林票解除质押 ${series.code} ${pledge.holder} ${pledge.units} 份 (质押 #${pledge.id})`,
        metadata: { series: series.code, pledge: pledge.id, documentReference },
        postings: [
          { account: holderPledged(pledge.holder, series.code), side: 'DEBIT', amount: pledge.units },
          { account: holderTickets(pledge.holder, series.code), side: 'CREDIT', amount: pledge.units },
        ],
      },
      legs: [{ from: pledge.holder, to: pledge.holder, units: pledge.units }],
      documentReference,
      closesPledge: { id: pledge.id, state: 'RELEASED' },
    });
  }

  /** Enforcement (质权实现): the pledged units go to the bank, or to a buyer it names (the restriction applies to them). */
  async enforcePledge(em: EntityManager, pledgeId: string, input: EnforceInput, key: string): Promise<MovementOutcome> {
    const { pledge, series } = await this.booking.activePledge(em, pledgeId, entryKeyOf('PLEDGE_ENFORCEMENT', key));
    if (pledge === null) return (await this.booking.replayOf(em, series, entryKeyOf('PLEDGE_ENFORCEMENT', key)))!;
    const transferee = input.transferee ?? pledge.pledgee;
    if (transferee === pledge.holder) throw new TicketError('SAME_PARTY', 'the transferee is the pledging holder', 'transferee');
    const parties = await this.booking.parties(em, [transferee], ['transferee']);
    this.booking.assertTransferable(series, parties.get(transferee)!, 'transferee');
    const effectiveDate = this.booking.effectiveDate(series, input.effectiveDate);
    const documentReference = optionalText(input.documentReference, 'documentReference');
    await this.series.ensureHolding(em, series, transferee, 'ACQUIRED');
    return this.booking.book(em, series, 'PLEDGE_ENFORCEMENT', key, {
      entry: {
        effectiveDate,
        memo: `林票质权实现 ${series.code} ${pledge.holder} ${pledge.units} 份 → ${transferee} (质押 #${pledge.id})`,
        metadata: { series: series.code, pledge: pledge.id, transferee, documentReference },
        postings: [
          { account: holderPledged(pledge.holder, series.code), side: 'DEBIT', amount: pledge.units },
          { account: holderTickets(transferee, series.code), side: 'CREDIT', amount: pledge.units },
        ],
      },
      legs: [{ from: pledge.holder, to: transferee, units: pledge.units }],
      documentReference,
      closesPledge: { id: pledge.id, state: 'ENFORCED' },
    });
  }

  /** Buy-back (兑现 / 兜底回购) by the issuing farm, from its own wallet, at the guaranteed or an agreed price. */
  async buyBack(em: EntityManager, seriesCode: string, input: BuyBackInput, key: string): Promise<MovementOutcome> {
    const series = await this.booking.openSeries(em, seriesCode);
    const replay = await this.booking.replayOf(em, series, entryKeyOf('BUY_BACK', key));
    if (replay) return replay;
    const units = wholeUnits(input.units, 'units');
    const farm = series.farm_code;
    if (farm === null) throw new TicketError('NO_GUARANTEED_PRICE', `${seriesCode} is a collective income-right scheme: no farm buys its units back`, 'series');
    if (input.holder === farm) throw new TicketError('SAME_PARTY', `${farm} is the issuing farm itself`, 'holder');
    let unitPrice: Dec;
    if (input.unitPrice !== undefined) unitPrice = Amount.parsePositive(input.unitPrice, 2, 'unitPrice').value;
    else if (series.guaranteed_buy_back_price !== null) unitPrice = new Dec(series.guaranteed_buy_back_price);
    else throw new TicketError('NO_GUARANTEED_PRICE', `project ${series.project_code} has no guaranteed buy-back price; give unitPrice (the agreed price)`, 'unitPrice');
    const effectiveDate = this.booking.effectiveDate(series, input.effectiveDate);
    const documentReference = optionalText(input.documentReference, 'documentReference');
    await this.booking.parties(em, [input.holder], ['holder'], { allowInactive: [input.holder] });
    await this.booking.requireHolding(em, series, input.holder, 'holder');
    await this.series.ensureHolding(em, series, farm, 'ACQUIRED');
    const amount = unitPrice.times(units).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2);
    return this.booking.book(em, series, 'BUY_BACK', key, {
      entry: {
        effectiveDate,
        memo: `林票回购 ${seriesCode} ${input.holder} ${units} 份 × ${unitPrice.toFixed(2)} 元 = ${amount} 元 由 ${farm} 兑付`,
        metadata: { series: seriesCode, holder: input.holder, farm, units, unitPrice: unitPrice.toFixed(2), amount, documentReference },
        postings: [
          { account: holderTickets(input.holder, seriesCode), side: 'DEBIT', amount: units },
          { account: holderTickets(farm, seriesCode), side: 'CREDIT', amount: units },
          { account: walletOf(farm), side: 'DEBIT', amount },
          { account: walletOf(input.holder), side: 'CREDIT', amount },
        ],
      },
      legs: [{ from: input.holder, to: farm, units }],
      money: { unitPrice: unitPrice.toFixed(2), amount, fee: null },
      documentReference,
      wallets: [input.holder, farm],
    });
  }

  async pledges(em: EntityManager, seriesCode: string, filter: { holder?: string; state?: PledgeState } = {}): Promise<PledgeView[]> {
    const series = await this.series.load(em, seriesCode);
    return this.booking.pledgeViews(em, series, filter);
  }

  /** Free and pledged units (and wallets, when asked) of these parties now. */
  async positions(em: EntityManager, series: SeriesRecord, parties: readonly string[], wallets: readonly string[] = []): Promise<Position[]> {
    return this.booking.positions(em, series, parties, wallets);
  }
}
