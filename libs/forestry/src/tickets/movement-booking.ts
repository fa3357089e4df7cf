import { Amount, Dec, EntryDraft, isIsoDate, LedgerError, LedgerReads, LedgerService, PostResult } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { inputChecks } from '../common/input-checks';
import { closingDeclaration } from '../dividends/register-closure';
import { walletOf } from '../parties/parties.service';
import { PartyRef, partiesByCodes, partiesByIds } from '../parties/party-refs';
import { businessToday, holderPledged, holderTickets } from '../projects/project-accounts';
import * as store from './movements.store';
import { PledgeRow } from './movements.store';
import * as seriesStore from './series.store';
import type { SeriesRecord, SeriesService } from './series.service';
import { MovementKind, PledgeState } from './ticket.model';
import { TicketError } from './tickets.errors';
import { recordEvent } from '../events/record-event';
import type { EventType } from '@forest-ledger/platform';

/** The outbox event of each movement kind (issue 17). */
const MOVEMENT_EVENTS: Record<MovementKind, Extract<EventType, `ticket.${string}`>> = {
  ISSUANCE: 'ticket.issued',
  TRADE: 'ticket.traded',
  INHERITANCE: 'ticket.inherited',
  PLEDGE: 'ticket.pledged',
  PLEDGE_RELEASE: 'ticket.released',
  PLEDGE_ENFORCEMENT: 'ticket.enforced',
  BUY_BACK: 'ticket.bought_back',
  LISTING: 'ticket.listed',
  LISTING_RETURN: 'ticket.listing_returned',
  MARKET_TRADE: 'ticket.market_traded',
};

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

export interface Leg {
  from: string | null;
  to: string;
  units: string;
}

/** What `book` records besides the entry: the legs, the money, the pledge opened or closed. */
export interface BookingSpec {
  entry: Omit<EntryDraft, 'idempotencyKey' | 'kind'>;
  legs: Leg[];
  money?: { unitPrice: string; amount: string; fee: string | null };
  documentReference: string | null;
  wallets?: string[];
  pledge?: { holder: PartyRef; pledgee: PartyRef; units: string; contractReference: string };
  closesPledge?: { id: string; state: 'RELEASED' | 'ENFORCED' };
  /**
   * A market reservation or its return (LISTING, LISTING_RETURN): the units stay the holder's and the
   * register's columns (units, pledged) do not change on any date, so the closed register does not refuse it.
   */
  keepsRegister?: boolean;
}

/**
 * The machinery every 林票 movement shares (MovementsService holds the use cases): the series lock and
 * its checks, parties and holdings, the register closure, posting the entry and recording its legs,
 * replays and the positions answered. A plain class built by MovementsService with its collaborators.
 */
export class MovementBooking {
  constructor(
    private readonly ledger: LedgerService,
    private readonly reads: LedgerReads,
    private readonly series: SeriesService,
  ) {}

  /** The series, locked (new holders get gapless certificate numbers under this lock); refused once its project is closed. */
  async openSeries(em: EntityManager, code: string): Promise<SeriesRecord> {
    const series = await this.series.load(em, code, null, true);
    if (series.project_state === 'CLOSED') throw new TicketError('SERIES_CLOSED', `project ${series.project_code} is closed: units of ${code} no longer move`, 'series');
    return series;
  }

  effectiveDate(series: SeriesRecord, value: string | undefined): string {
    const today = businessToday();
    const date = value ?? today;
    if (!isIsoDate(date)) throw new TicketError('INVALID_TICKET_INPUT', 'effectiveDate must be a calendar date YYYY-MM-DD', 'effectiveDate');
    if (date < series.issued_on || date > today) {
      throw new TicketError('EFFECTIVE_DATE_OUT_OF_RANGE', `effectiveDate ${date} must lie between the issue date ${series.issued_on} and today ${today}`, 'effectiveDate');
    }
    return date;
  }

  async parties(em: EntityManager, codes: string[], fields: string[], options: { allowInactive?: string[] } = {}): Promise<Map<string, PartyRef>> {
    const found = await partiesByCodes(em, codes);
    codes.forEach((code, i) => {
      const party = typeof code === 'string' ? found.get(code) : undefined;
      if (!party) throw new TicketError('UNKNOWN_PARTY', `${fields[i]}: no party with code ${JSON.stringify(code)}`, fields[i]);
      if (!party.active && !(options.allowInactive ?? []).includes(code)) throw new TicketError('PARTY_INACTIVE', `${fields[i]}: party ${code} is deactivated`, fields[i]);
    });
    return found;
  }

  async requireHolding(em: EntityManager, series: SeriesRecord, party: string, field: string) {
    const holding = await this.series.holdingOf(em, series.id, party);
    if (!holding) throw new TicketError('NOT_A_HOLDER', `${party} holds no units of ${series.code}`, field);
    return holding;
  }

  /** The series' transfer restriction, for whoever would receive units by trade or enforcement. */
  assertTransferable(series: SeriesRecord, to: PartyRef, field: string): void {
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

  /** Balances of these accounts now, in order (0 when absent). Only movements change them, under the series lock the caller holds. */
  async balances(em: EntityManager, codes: string[]): Promise<Dec[]> {
    const byCode = await this.reads.balances(em, codes);
    return codes.map((c) => byCode.get(c) ?? new Dec(0));
  }

  /** Locks and returns an active pledge, or null when this key already closed it (a replay). */
  async activePledge(
    em: EntityManager,
    pledgeId: string,
    entryKey: string,
  ): Promise<{ pledge: { id: string; holder: string; pledgee: string; units: string } | null; series: SeriesRecord }> {
    const row = /^\d{1,18}$/.test(pledgeId) ? await store.findPledge(em, pledgeId) : undefined;
    if (!row) throw new TicketError('UNKNOWN_PLEDGE', `no pledge ${JSON.stringify(pledgeId)}`, 'pledge');
    const seriesCode = (await seriesStore.findSeriesByIds(em, [row.series_id])).get(row.series_id)!.code;
    const series = await this.openSeries(em, seriesCode);
    const locked = (await store.findPledge(em, pledgeId, true))!;
    if (locked.state !== 'ACTIVE') {
      const closingKey = locked.closing_entry_id === null ? undefined : (await this.reads.entryKeys(em, [locked.closing_entry_id])).get(locked.closing_entry_id);
      if (closingKey === entryKey) return { pledge: null, series };
      throw new TicketError('PLEDGE_NOT_ACTIVE', `pledge ${pledgeId} is ${locked.state}`, 'pledge', { state: locked.state });
    }
    const parties = await partiesByIds(em, [row.holder_party_id, row.pledgee_party_id]);
    return {
      pledge: { id: row.id, holder: parties.get(row.holder_party_id)!.code, pledgee: parties.get(row.pledgee_party_id)!.code, units: new Dec(row.units).toFixed(0) },
      series,
    };
  }

  /** The recorded outcome when this key was booked already (a replay), else null. */
  async replayOf(em: EntityManager, series: SeriesRecord, entryKey: string): Promise<MovementOutcome | null> {
    const entryId = await store.movementEntryOf(em, series.id, [...(await this.reads.entryIdsByKeys(em, [entryKey])).values()]);
    return entryId === null ? null : this.outcomeOfEntry(em, series, entryId);
  }

  /**
   * Posts the entry (key `ticket-<kind>:<key>`), records the movement legs (and the pledge), and
   * answers with the new positions. The ledger's refusals become the 林票 words for them.
   */
  async book(em: EntityManager, series: SeriesRecord, kind: MovementKind, key: string, spec: BookingSpec): Promise<MovementOutcome> {
    if (!spec.keepsRegister) await this.assertRegisterOpen(em, series, spec.entry.effectiveDate);
    await this.assertNotBeforeLastMovement(em, series, spec.entry);
    let posted: PostResult;
    try {
      posted = await this.ledger.post(em, { ...spec.entry, idempotencyKey: entryKeyOf(kind, key), kind: `TICKET_${kind}` });
    } catch (error) {
      throw translate(error, series, kind === 'TRADE' || kind === 'MARKET_TRADE' ? 'buyer' : 'units');
    }
    if (!posted.replayed) {
      let pledgeId: string | null = spec.closesPledge?.id ?? null;
      if (spec.pledge) {
        pledgeId = await store.insertPledge(em, {
          series_id: series.id,
          holder_party_id: spec.pledge.holder.id,
          pledgee_party_id: spec.pledge.pledgee.id,
          units: spec.pledge.units,
          contract_reference: spec.pledge.contractReference,
          pledge_entry_id: posted.entry.id,
        });
      }
      if (spec.closesPledge) await store.closePledge(em, spec.closesPledge.id, spec.closesPledge.state, posted.entry.id);
      const parties = await partiesByCodes(
        em,
        spec.legs.flatMap((l) => (l.from === null ? [l.to] : [l.from, l.to])),
      );
      await store.insertMovements(
        em,
        spec.legs
          .filter((l) => (l.from === null || parties.has(l.from)) && parties.has(l.to))
          .map((l) => ({
            series_id: series.id,
            kind,
            entry_id: posted.entry.id,
            effective_date: spec.entry.effectiveDate,
            from_party_id: l.from === null ? null : parties.get(l.from)!.id,
            to_party_id: parties.get(l.to)!.id,
            units: l.units,
            unit_price: spec.money?.unitPrice ?? null,
            amount: spec.money?.amount ?? null,
            fee: spec.money?.fee ?? null,
            document_reference: spec.documentReference,
            pledge_id: pledgeId,
          })),
      );
      await recordEvent(
        em,
        MOVEMENT_EVENTS[kind],
        { type: 'ticket_series', id: series.code },
        {
          series: series.code,
          kind,
          entryId: posted.entry.id,
          pledgeId,
          effectiveDate: spec.entry.effectiveDate,
          legs: spec.legs.map((l) => ({ from: l.from, to: l.to, units: String(l.units) })),
          ...(spec.money ? { unitPrice: spec.money.unitPrice, amount: spec.money.amount, fee: spec.money.fee } : {}),
          documentReference: spec.documentReference,
        },
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
    const dates = await this.reads.lastPostingDates(em, debited);
    // The latest of them (the first account in code order on a tie).
    const last = [...dates.entries()].map(([code, date]) => ({ code, date })).sort((a, b) => (a.date !== b.date ? (a.date < b.date ? 1 : -1) : a.code < b.code ? -1 : 1))[0];
    if (last !== undefined && entry.effectiveDate < last.date) {
      throw new TicketError(
        'EFFECTIVE_DATE_OUT_OF_RANGE',
        `effectiveDate ${entry.effectiveDate} is before the last movement of ${last.code} on ${last.date}; units of ${series.code} cannot leave an account on a date before they moved into it`,
        'effectiveDate',
        { account: last.code, lastMovementDate: last.date },
      );
    }
  }

  async outcomeOfEntry(em: EntityManager, series: SeriesRecord, entryId: string): Promise<MovementOutcome> {
    const rows = await store.movementsOfEntry(em, entryId);
    const codes = await partiesByIds(
      em,
      rows.flatMap((r) => (r.from_party_id === null ? [r.to_party_id] : [r.from_party_id, r.to_party_id])),
    );
    const codeOf = (id: string) => codes.get(id)!.code;
    const first = rows[0];
    const parties = rows.flatMap((r) => (r.from_party_id !== null ? [codeOf(r.from_party_id), codeOf(r.to_party_id)] : [codeOf(r.to_party_id)]));
    const moneyMoved = first.amount !== null;
    const wallets = moneyMoved ? Array.from(new Set(parties)) : [];
    if (moneyMoved && first.kind === 'BUY_BACK' && series.farm_code !== null) wallets.push(series.farm_code);
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

  /** Free and pledged units (and wallets, when asked) of these parties now. */
  async positions(em: EntityManager, series: SeriesRecord, parties: readonly string[], wallets: readonly string[] = []): Promise<Position[]> {
    const unique = Array.from(new Set(parties));
    const codes = unique.flatMap((p) => [holderTickets(p, series.code), holderPledged(p, series.code)]).concat(wallets.map(walletOf));
    const balance = await this.reads.balances(em, codes);
    const refs = await partiesByCodes(em, unique);
    const holdings = await seriesStore.holdingsOf(
      em,
      series.id,
      [...refs.values()].map((r) => r.id),
    );
    const certificateOf = new Map(holdings.map((h) => [h.party_id, h.certificate_no]));
    return unique.map((p) => ({
      party: p,
      certificateNo: certificateOf.get(refs.get(p)?.id ?? '')!,
      units: (balance.get(holderTickets(p, series.code)) ?? new Dec(0)).toFixed(0),
      pledgedUnits: (balance.get(holderPledged(p, series.code)) ?? new Dec(0)).toFixed(0),
      ...(wallets.includes(p) ? { walletBalance: (balance.get(walletOf(p)) ?? new Dec(0)).toFixed(2) } : {}),
    }));
  }

  /** The pledges of the series, by id, with their parties' codes. */
  async pledgeViews(em: EntityManager, series: SeriesRecord, filter: { holder?: string; state?: PledgeState }): Promise<PledgeView[]> {
    const holderPartyId = filter.holder === undefined ? undefined : ((await partiesByCodes(em, [filter.holder])).get(filter.holder)?.id ?? null);
    const rows = await store.pledgesOf(em, series.id, { holderPartyId, state: filter.state });
    const parties = await partiesByIds(
      em,
      rows.flatMap((r) => [r.holder_party_id, r.pledgee_party_id]),
    );
    return rows.map((r) => pledgeView(r, series.code, parties.get(r.holder_party_id)!.code, parties.get(r.pledgee_party_id)!.code));
  }
}

/** The ledger idempotency key of a movement: `ticket-<kind>:<command key>`. */
export const entryKeyOf = (kind: MovementKind, key: string): string => `ticket-${kind.toLowerCase().replace(/_/g, '-')}:${key}`;

function pledgeView(r: PledgeRow, series: string, holder: string, pledgee: string): PledgeView {
  return {
    id: r.id,
    series,
    holder,
    pledgee,
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
export function wholeUnits(value: unknown, field: string): string {
  return Amount.parsePositive(value, 0, field).value.toFixed(0);
}

export const { requireText, optionalText } = inputChecks((message, field) => new TicketError('INVALID_TICKET_INPUT', message, field), { maxOptionalText: 200 });
/**
 * INSUFFICIENT_FUNDS on a units account is INSUFFICIENT_UNITS, naming the holder; on a wallet (the
 * money leg) it stays INSUFFICIENT_FUNDS, naming the request field that asked for the money.
 */
function translate(error: unknown, series: SeriesRecord, moneyField: string): unknown {
  if (!(error instanceof LedgerError) || error.code !== 'INSUFFICIENT_FUNDS') return error;
  const account = error.detailText('account');
  const available = error.detailText('balance', '0');
  const wallet = /^party:(.+):wallet:CNY$/.exec(account);
  if (wallet) {
    return new LedgerError('INSUFFICIENT_FUNDS', `${wallet[1]}'s wallet holds ${available} CNY, less than this movement pays; nothing moved`, moneyField, {
      ...error.details,
      party: wallet[1],
    });
  }
  const match = /^holder:(.+):tickets:[^:]+(:pledged|:listed)?$/.exec(account);
  if (!match) return error;
  return new TicketError(
    'INSUFFICIENT_UNITS',
    `${match[1]} has ${available} ${match[2] ? match[2].slice(1) : 'free'} units of ${series.code}; pledged, listed or frozen units cannot move`,
    'units',
    {
      party: match[1],
      availableUnits: available,
    },
  );
}
