import { Injectable } from '@nestjs/common';
import { Amount, Dec, EntryDraft, isIsoDate, LedgerError, LedgerService, PostingDraft, PostResult } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { inputChecks } from '../common/input-checks';
import { closingDeclaration } from '../dividends/register-closure';
import { walletOf } from '../parties/parties.service';
import { PartyRef, partyRefs } from '../projects/party-refs';
import { businessToday, holderPledged, holderTickets, PLATFORM_FEES_ACCOUNT } from '../projects/project-accounts';
import { SeriesRecord, SeriesService } from './series.service';
import { MovementKind, PledgeState } from './ticket.entities';
import { TicketError } from './tickets.errors';

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

export interface Position {
  party: string;
  certificateNo: string;
  /** Free units (can move). */
  units: string;
  pledgedUnits: string;
  /** The CNY wallet, when money moved. */
  walletBalance?: string;
}

export interface MovementOutcome {
  series: string;
  kind: MovementKind;
  entryId: string;
  movementIds: string[];
  pledgeId?: string;
  /** Units × price, rounded to the 分 once (trades and buy-backs). */
  amount?: string;
  fee?: string;
  positions: Position[];
}

export interface PledgeView {
  id: string;
  series: string;
  holder: string;
  pledgee: string;
  units: string;
  contractReference: string;
  state: PledgeState;
  pledgeEntryId: string;
  closingEntryId: string | null;
  createdAt: string;
  closedAt: string | null;
}

interface Leg {
  from: string | null;
  to: string;
  units: string;
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
    private readonly ledger: LedgerService,
    private readonly series: SeriesService,
  ) {}

  async trade(em: EntityManager, seriesCode: string, input: TradeInput, key: string): Promise<MovementOutcome> {
    const series = await this.openSeries(em, seriesCode);
    const replay = await this.replayOf(em, series, entryKeyOf('TRADE', key));
    if (replay) return replay;
    const units = wholeUnits(input.units, 'units');
    const unitPrice = Amount.parsePositive(input.unitPrice, 2, 'unitPrice').value;
    const fee = input.fee === undefined ? new Dec(0) : Amount.parse(input.fee, 2, 'fee').value;
    const effectiveDate = this.effectiveDate(series, input.effectiveDate);
    const contractReference = optionalText(input.contractReference, 'contractReference');
    if (input.seller === input.buyer) throw new TicketError('SAME_PARTY', 'seller and buyer are the same party', 'buyer');
    const parties = await this.parties(em, [input.seller, input.buyer], ['seller', 'buyer']);
    this.assertTransferable(series, parties.get(input.buyer)!, 'buyer');
    const seller = await this.requireHolding(em, series, input.seller, 'seller');
    await this.series.ensureHolding(em, series, input.buyer, 'ACQUIRED');
    const amount = unitPrice.times(units).toDecimalPlaces(2, Dec.ROUND_HALF_UP);
    const postings: PostingDraft[] = [
      { account: holderTickets(input.seller, seriesCode), side: 'DEBIT', amount: units },
      { account: holderTickets(input.buyer, seriesCode), side: 'CREDIT', amount: units },
      { account: walletOf(input.buyer), side: 'DEBIT', amount: amount.plus(fee).toFixed(2) },
      { account: walletOf(input.seller), side: 'CREDIT', amount: amount.toFixed(2) },
    ];
    if (fee.greaterThan(0)) postings.push({ account: PLATFORM_FEES_ACCOUNT, side: 'CREDIT', amount: fee.toFixed(2) });
    return this.book(em, series, 'TRADE', key, {
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
    const series = await this.openSeries(em, seriesCode);
    const replay = await this.replayOf(em, series, entryKeyOf('INHERITANCE', key));
    if (replay) return replay;
    const documentReference = requireText(input.documentReference, 'documentReference');
    const effectiveDate = this.effectiveDate(series, input.effectiveDate);
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
    await this.parties(em, [input.from, ...heirs.map((h) => h.party)], ['from', ...heirs.map((_, i) => `heirs[${i}].party`)], { allowInactive: [input.from] });
    await this.requireHolding(em, series, input.from, 'from');
    const [free, pledged] = await this.balances(em, [holderTickets(input.from, seriesCode), holderPledged(input.from, seriesCode)], true);
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
    return this.book(em, series, 'INHERITANCE', key, {
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
    const series = await this.openSeries(em, seriesCode);
    const replay = await this.replayOf(em, series, entryKeyOf('PLEDGE', key));
    if (replay) return replay;
    if (series.transfer_restriction === 'NONE')
      throw new TicketError('TRANSFER_RESTRICTED', `series ${seriesCode} is non-transferable, so its units cannot be pledged (enforcement could not transfer them)`, 'series');
    const units = wholeUnits(input.units, 'units');
    const contractReference = requireText(input.contractReference, 'contractReference');
    const effectiveDate = this.effectiveDate(series, input.effectiveDate);
    const parties = await this.parties(em, [input.holder, input.pledgee], ['holder', 'pledgee']);
    if (parties.get(input.pledgee)!.kind !== 'BANK')
      throw new TicketError('NOT_A_BANK', `pledgee ${input.pledgee} is a ${parties.get(input.pledgee)!.kind}, not a BANK`, 'pledgee');
    await this.requireHolding(em, series, input.holder, 'holder');
    const outcome = await this.book(em, series, 'PLEDGE', key, {
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
    const { pledge, series } = await this.activePledge(em, pledgeId, entryKeyOf('PLEDGE_RELEASE', key));
    if (pledge === null) return (await this.replayOf(em, series, entryKeyOf('PLEDGE_RELEASE', key)))!;
    const effectiveDate = this.effectiveDate(series, input.effectiveDate);
    const documentReference = optionalText(input.documentReference, 'documentReference');
    return this.book(em, series, 'PLEDGE_RELEASE', key, {
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
    const { pledge, series } = await this.activePledge(em, pledgeId, entryKeyOf('PLEDGE_ENFORCEMENT', key));
    if (pledge === null) return (await this.replayOf(em, series, entryKeyOf('PLEDGE_ENFORCEMENT', key)))!;
    const transferee = input.transferee ?? pledge.pledgee;
    if (transferee === pledge.holder) throw new TicketError('SAME_PARTY', 'the transferee is the pledging holder', 'transferee');
    const parties = await this.parties(em, [transferee], ['transferee']);
    this.assertTransferable(series, parties.get(transferee)!, 'transferee');
    const effectiveDate = this.effectiveDate(series, input.effectiveDate);
    const documentReference = optionalText(input.documentReference, 'documentReference');
    await this.series.ensureHolding(em, series, transferee, 'ACQUIRED');
    return this.book(em, series, 'PLEDGE_ENFORCEMENT', key, {
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
    const series = await this.openSeries(em, seriesCode);
    const replay = await this.replayOf(em, series, entryKeyOf('BUY_BACK', key));
    if (replay) return replay;
    const units = wholeUnits(input.units, 'units');
    const farm = series.farm_code;
    if (input.holder === farm) throw new TicketError('SAME_PARTY', `${farm} is the issuing farm itself`, 'holder');
    let unitPrice: Dec;
    if (input.unitPrice !== undefined) unitPrice = Amount.parsePositive(input.unitPrice, 2, 'unitPrice').value;
    else if (series.guaranteed_buy_back_price !== null) unitPrice = new Dec(series.guaranteed_buy_back_price);
    else throw new TicketError('NO_GUARANTEED_PRICE', `project ${series.project_code} has no guaranteed buy-back price; give unitPrice (the agreed price)`, 'unitPrice');
    const effectiveDate = this.effectiveDate(series, input.effectiveDate);
    const documentReference = optionalText(input.documentReference, 'documentReference');
    await this.parties(em, [input.holder], ['holder'], { allowInactive: [input.holder] });
    await this.requireHolding(em, series, input.holder, 'holder');
    await this.series.ensureHolding(em, series, farm, 'ACQUIRED');
    const amount = unitPrice.times(units).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2);
    return this.book(em, series, 'BUY_BACK', key, {
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
    const rows = (await em.query(`${PLEDGE_SELECT} WHERE tp.series_id = $1 AND ($2::text IS NULL OR h.code = $2) AND ($3::text IS NULL OR tp.state = $3) ORDER BY tp.id`, [
      series.id,
      filter.holder ?? null,
      filter.state ?? null,
    ])) as PledgeRow[];
    return rows.map(pledgeView);
  }

  /** Free and pledged units (and wallets, when asked) of these parties now. */
  async positions(em: EntityManager, series: SeriesRecord, parties: readonly string[], wallets: readonly string[] = []): Promise<Position[]> {
    const unique = Array.from(new Set(parties));
    const codes = unique.flatMap((p) => [holderTickets(p, series.code), holderPledged(p, series.code)]).concat(wallets.map(walletOf));
    const rows = (await em.query(`SELECT code, (credits - debits)::text AS balance FROM ledger_accounts WHERE code = ANY($1::text[])`, [codes])) as Array<{
      code: string;
      balance: string;
    }>;
    const balance = new Map(rows.map((r) => [r.code, new Dec(r.balance)]));
    const certificates = (await em.query(
      `SELECT p.code, h.certificate_no FROM ticket_holdings h JOIN parties p ON p.id = h.party_id WHERE h.series_id = $1 AND p.code = ANY($2::text[])`,
      [series.id, unique],
    )) as Array<{ code: string; certificate_no: string }>;
    const certificateOf = new Map(certificates.map((c) => [c.code, c.certificate_no]));
    return unique.map((p) => ({
      party: p,
      certificateNo: certificateOf.get(p)!,
      units: (balance.get(holderTickets(p, series.code)) ?? new Dec(0)).toFixed(0),
      pledgedUnits: (balance.get(holderPledged(p, series.code)) ?? new Dec(0)).toFixed(0),
      ...(wallets.includes(p) ? { walletBalance: (balance.get(walletOf(p)) ?? new Dec(0)).toFixed(2) } : {}),
    }));
  }

  // ---------------------------------------------------------------- internals

  /** The series, locked (new holders get gapless certificate numbers under this lock); refused once its project is closed. */
  private async openSeries(em: EntityManager, code: string): Promise<SeriesRecord> {
    const series = await this.series.load(em, code, null, true);
    if (series.project_state === 'CLOSED') throw new TicketError('SERIES_CLOSED', `project ${series.project_code} is closed: units of ${code} no longer move`, 'series');
    return series;
  }

  private effectiveDate(series: SeriesRecord, value: string | undefined): string {
    const today = businessToday();
    const date = value ?? today;
    if (!isIsoDate(date)) throw new TicketError('INVALID_TICKET_INPUT', 'effectiveDate must be a calendar date YYYY-MM-DD', 'effectiveDate');
    if (date < series.issued_on || date > today) {
      throw new TicketError('EFFECTIVE_DATE_OUT_OF_RANGE', `effectiveDate ${date} must lie between the issue date ${series.issued_on} and today ${today}`, 'effectiveDate');
    }
    return date;
  }

  private async parties(em: EntityManager, codes: string[], fields: string[], options: { allowInactive?: string[] } = {}): Promise<Map<string, PartyRef>> {
    const found = await partyRefs(em, codes);
    codes.forEach((code, i) => {
      const party = typeof code === 'string' ? found.get(code) : undefined;
      if (!party) throw new TicketError('UNKNOWN_PARTY', `${fields[i]}: no party with code ${JSON.stringify(code)}`, fields[i]);
      if (!party.active && !(options.allowInactive ?? []).includes(code)) throw new TicketError('PARTY_INACTIVE', `${fields[i]}: party ${code} is deactivated`, fields[i]);
    });
    return found;
  }

  private async requireHolding(em: EntityManager, series: SeriesRecord, party: string, field: string) {
    const holding = await this.series.holdingOf(em, series.id, party);
    if (!holding) throw new TicketError('NOT_A_HOLDER', `${party} holds no units of ${series.code}`, field);
    return holding;
  }

  /** The series' transfer restriction, for whoever would receive units by trade or enforcement. */
  private assertTransferable(series: SeriesRecord, to: PartyRef, field: string): void {
    if (series.transfer_restriction === 'NONE') throw new TicketError('TRANSFER_RESTRICTED', `units of ${series.code} are non-transferable`, field, { restriction: 'NONE' });
    if (series.transfer_restriction === 'COLLECTIVE_MEMBERS' && to.id !== series.collective_party_id && to.collectiveId !== series.collective_party_id) {
      throw new TicketError(
        'TRANSFER_RESTRICTED',
        `units of ${series.code} may go only to members of ${series.collective_name} (${series.collective_code}); ${to.code} is not one`,
        field,
        {
          restriction: 'COLLECTIVE_MEMBERS',
          collective: series.collective_code,
        },
      );
    }
  }

  private async balances(em: EntityManager, codes: string[], lock: boolean): Promise<Dec[]> {
    const rows = (await em.query(`SELECT code, (credits - debits)::text AS balance FROM ledger_accounts WHERE code = ANY($1::text[]) ORDER BY id ${lock ? 'FOR UPDATE' : ''}`, [
      codes,
    ])) as Array<{
      code: string;
      balance: string;
    }>;
    const byCode = new Map(rows.map((r) => [r.code, new Dec(r.balance)]));
    return codes.map((c) => byCode.get(c) ?? new Dec(0));
  }

  /** Locks and returns an active pledge, or null when this key already closed it (a replay). */
  private async activePledge(
    em: EntityManager,
    pledgeId: string,
    entryKey: string,
  ): Promise<{ pledge: { id: string; holder: string; pledgee: string; units: string } | null; series: SeriesRecord }> {
    const [row] = /^\d{1,18}$/.test(pledgeId) ? ((await em.query(`${PLEDGE_SELECT} WHERE tp.id = $1`, [pledgeId])) as PledgeRow[]) : [];
    if (!row) throw new TicketError('UNKNOWN_PLEDGE', `no pledge ${JSON.stringify(pledgeId)}`, 'pledge');
    const series = await this.openSeries(em, row.series_code);
    const [locked] = (await em.query(`SELECT state, closing_entry_id FROM ticket_pledges WHERE id = $1 FOR UPDATE`, [pledgeId])) as Array<{
      state: PledgeState;
      closing_entry_id: string | null;
    }>;
    if (locked.state !== 'ACTIVE') {
      const [closing] = (await em.query(`SELECT idempotency_key FROM ledger_entries WHERE id = $1`, [locked.closing_entry_id])) as Array<{ idempotency_key: string }>;
      if (closing?.idempotency_key === entryKey) return { pledge: null, series };
      throw new TicketError('PLEDGE_NOT_ACTIVE', `pledge ${pledgeId} is ${locked.state}`, 'pledge', { state: locked.state });
    }
    return { pledge: { id: row.id, holder: row.holder_code, pledgee: row.pledgee_code, units: new Dec(row.units).toFixed(0) }, series };
  }

  /** The recorded outcome when this key was booked already (a replay), else null. */
  private async replayOf(em: EntityManager, series: SeriesRecord, entryKey: string): Promise<MovementOutcome | null> {
    const [entry] = (await em.query(
      `SELECT e.id FROM ledger_entries e WHERE e.idempotency_key = $1 AND EXISTS (SELECT 1 FROM ticket_movements m WHERE m.entry_id = e.id AND m.series_id = $2)`,
      [entryKey, series.id],
    )) as Array<{ id: string }>;
    return entry ? this.outcomeOfEntry(em, series, entry.id) : null;
  }

  /**
   * Posts the entry (key `ticket-<kind>:<key>`), records the movement legs (and the pledge), and
   * answers with the new positions. The ledger's refusals become the 林票 words for them.
   */
  private async book(
    em: EntityManager,
    series: SeriesRecord,
    kind: MovementKind,
    key: string,
    spec: {
      entry: Omit<EntryDraft, 'idempotencyKey' | 'kind'>;
      legs: Leg[];
      money?: { unitPrice: string; amount: string; fee: string | null };
      documentReference: string | null;
      wallets?: string[];
      pledge?: { holder: PartyRef; pledgee: PartyRef; units: string; contractReference: string };
      closesPledge?: { id: string; state: 'RELEASED' | 'ENFORCED' };
    },
  ): Promise<MovementOutcome> {
    await this.assertRegisterOpen(em, series, spec.entry.effectiveDate);
    await this.assertNotBeforeLastMovement(em, series, spec.entry);
    let posted: PostResult;
    try {
      posted = await this.ledger.post(em, { ...spec.entry, idempotencyKey: entryKeyOf(kind, key), kind: `TICKET_${kind}` });
    } catch (error) {
      throw translate(error, series, kind === 'TRADE' ? 'buyer' : 'units');
    }
    if (!posted.replayed) {
      let pledgeId: string | null = spec.closesPledge?.id ?? null;
      if (spec.pledge) {
        const [row] = (await em.query(
          `INSERT INTO ticket_pledges (series_id, holder_party_id, pledgee_party_id, units, contract_reference, pledge_entry_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
          [series.id, spec.pledge.holder.id, spec.pledge.pledgee.id, spec.pledge.units, spec.pledge.contractReference, posted.entry.id],
        )) as Array<{ id: string }>;
        pledgeId = row.id;
      }
      if (spec.closesPledge) {
        await em.query(`UPDATE ticket_pledges SET state = $2, closing_entry_id = $3, closed_at = now() WHERE id = $1`, [
          spec.closesPledge.id,
          spec.closesPledge.state,
          posted.entry.id,
        ]);
      }
      await em.query(
        `INSERT INTO ticket_movements (series_id, kind, entry_id, effective_date, from_party_id, to_party_id, units, unit_price, amount, fee, document_reference, pledge_id)
         SELECT $1, $2, $3, $4::date, f.id, t.id, l.units, $8, $9, $10, $11, $12
           FROM unnest($5::text[], $6::text[], $7::numeric[]) WITH ORDINALITY AS l(from_code, to_code, units, n)
           JOIN parties f ON f.code = l.from_code JOIN parties t ON t.code = l.to_code ORDER BY l.n`,
        [
          series.id,
          kind,
          posted.entry.id,
          spec.entry.effectiveDate,
          spec.legs.map((l) => l.from),
          spec.legs.map((l) => l.to),
          spec.legs.map((l) => l.units),
          spec.money?.unitPrice ?? null,
          spec.money?.amount ?? null,
          spec.money?.fee ?? null,
          spec.documentReference,
          pledgeId,
        ],
      );
    }
    return this.outcomeOfEntry(em, series, posted.entry.id);
  }

  /**
   * The register is closed at the record date of an approved (or paid) dividend: no movement of any
   * kind (a pledge or release included, so the register of that date, pledged column and all, stays
   * as it was paid) may be dated on or before it. Every movement holds the series row lock (openSeries),
   * which approval takes too: a movement and an approval racing are serialised, never interleaved.
   */
  private async assertRegisterOpen(em: EntityManager, series: SeriesRecord, effectiveDate: string): Promise<void> {
    const closing = await closingDeclaration(em, series.id, effectiveDate);
    if (closing === null) return;
    throw new TicketError(
      'REGISTER_CLOSED',
      `the register of ${series.code} is closed up to ${closing.recordDate}: dividend declaration #${closing.id} (${closing.state}) pays the holders of record date ${closing.recordDate}; effectiveDate ${effectiveDate} must be after it`,
      'effectiveDate',
      { declarationId: closing.id, recordDate: closing.recordDate, state: closing.state },
    );
  }

  /**
   * Units may not leave a holder's account on a date before their last movement into or out of it: the
   * ledger checks the balance now, so a back-dated debit would leave the account negative on the days
   * in between, and the register (and record dates) of those days would be wrong.
   */
  private async assertNotBeforeLastMovement(em: EntityManager, series: SeriesRecord, entry: Omit<EntryDraft, 'idempotencyKey' | 'kind'>): Promise<void> {
    const debited = entry.postings.filter((p) => p.side === 'DEBIT' && p.account.startsWith('holder:')).map((p) => p.account);
    if (debited.length === 0) return;
    const [last] = (await em.query(
      `SELECT a.code, to_char(max(p.effective_date), 'YYYY-MM-DD') AS date FROM ledger_accounts a JOIN ledger_postings p ON p.account_id = a.id
        WHERE a.code = ANY($1::text[]) GROUP BY a.code ORDER BY max(p.effective_date) DESC LIMIT 1`,
      [debited],
    )) as Array<{ code: string; date: string }>;
    if (last !== undefined && entry.effectiveDate < last.date) {
      throw new TicketError(
        'EFFECTIVE_DATE_OUT_OF_RANGE',
        `effectiveDate ${entry.effectiveDate} is before the last movement of ${last.code} on ${last.date}; units of ${series.code} cannot leave an account on a date before they moved into it`,
        'effectiveDate',
        { account: last.code, lastMovementDate: last.date },
      );
    }
  }

  private async outcomeOfEntry(em: EntityManager, series: SeriesRecord, entryId: string): Promise<MovementOutcome> {
    const rows = (await em.query(
      `SELECT m.id, m.kind, f.code AS from_code, t.code AS to_code, m.amount::text AS amount, m.fee::text AS fee, m.pledge_id
         FROM ticket_movements m LEFT JOIN parties f ON f.id = m.from_party_id JOIN parties t ON t.id = m.to_party_id WHERE m.entry_id = $1 ORDER BY m.id`,
      [entryId],
    )) as Array<{ id: string; kind: MovementKind; from_code: string | null; to_code: string; amount: string | null; fee: string | null; pledge_id: string | null }>;
    const first = rows[0];
    const parties = rows.flatMap((r) => (r.from_code ? [r.from_code, r.to_code] : [r.to_code]));
    const moneyMoved = first.amount !== null;
    const wallets = moneyMoved ? Array.from(new Set(parties)) : [];
    if (moneyMoved && first.kind === 'BUY_BACK') wallets.push(series.farm_code);
    return {
      series: series.code,
      kind: first.kind,
      entryId,
      movementIds: rows.map((r) => r.id),
      ...(first.pledge_id !== null ? { pledgeId: first.pledge_id } : {}),
      ...(first.amount !== null ? { amount: new Dec(first.amount).toFixed(2) } : {}),
      ...(first.fee !== null ? { fee: new Dec(first.fee).toFixed(2) } : {}),
      positions: await this.positions(em, series, parties, wallets),
    };
  }
}

/** The ledger idempotency key of a movement: `ticket-<kind>:<command key>`. */
const entryKeyOf = (kind: MovementKind, key: string): string => `ticket-${kind.toLowerCase().replace(/_/g, '-')}:${key}`;

interface PledgeRow {
  id: string;
  series_code: string;
  holder_code: string;
  pledgee_code: string;
  units: string;
  contract_reference: string;
  state: PledgeState;
  pledge_entry_id: string;
  closing_entry_id: string | null;
  created_at: Date;
  closed_at: Date | null;
}

const PLEDGE_SELECT = `SELECT tp.id, s.code AS series_code, h.code AS holder_code, b.code AS pledgee_code, tp.units::text AS units, tp.contract_reference, tp.state,
       tp.pledge_entry_id, tp.closing_entry_id, tp.created_at, tp.closed_at
  FROM ticket_pledges tp JOIN ticket_series s ON s.id = tp.series_id JOIN parties h ON h.id = tp.holder_party_id JOIN parties b ON b.id = tp.pledgee_party_id`;

function pledgeView(r: PledgeRow): PledgeView {
  return {
    id: r.id,
    series: r.series_code,
    holder: r.holder_code,
    pledgee: r.pledgee_code,
    units: new Dec(r.units).toFixed(0),
    contractReference: r.contract_reference,
    state: r.state,
    pledgeEntryId: r.pledge_entry_id,
    closingEntryId: r.closing_entry_id,
    createdAt: r.created_at.toISOString(),
    closedAt: r.closed_at?.toISOString() ?? null,
  };
}

/** A positive whole number of units, as text. */
function wholeUnits(value: unknown, field: string): string {
  return Amount.parsePositive(value, 0, field).value.toFixed(0);
}

const { requireText, optionalText } = inputChecks((message, field) => new TicketError('INVALID_TICKET_INPUT', message, field), { maxOptionalText: 200 });

/**
 * INSUFFICIENT_FUNDS on a units account is INSUFFICIENT_UNITS, naming the holder; on a wallet (the
 * money leg) it stays INSUFFICIENT_FUNDS, naming the request field that asked for the money.
 */
function translate(error: unknown, series: SeriesRecord, moneyField: string): unknown {
  if (!(error instanceof LedgerError) || error.code !== 'INSUFFICIENT_FUNDS') return error;
  const account = String(error.details?.account ?? '');
  const available = String(error.details?.balance ?? '0');
  const wallet = /^party:(.+):wallet:CNY$/.exec(account);
  if (wallet) {
    return new LedgerError('INSUFFICIENT_FUNDS', `${wallet[1]}'s wallet holds ${available} CNY, less than this movement pays; nothing moved`, moneyField, {
      ...error.details,
      party: wallet[1],
    });
  }
  const match = /^holder:(.+):tickets:[^:]+(:pledged)?$/.exec(account);
  if (!match) return error;
  return new TicketError(
    'INSUFFICIENT_UNITS',
    `${match[1]} has ${available} free units of ${series.code}${match[2] ? ' pledged' : ''}; pledged or frozen units cannot move`,
    'units',
    {
      party: match[1],
      availableUnits: available,
    },
  );
}
