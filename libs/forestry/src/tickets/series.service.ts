import type { SubjectPlan } from '../disclosures/disclosure-gate';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { allocate, Dec, isIsoDate, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { OwnerScope, partyLinesSeenBy } from '@forest-ledger/access';
import { partiesByCodes } from '../parties/party-refs';
import { businessToday, holderPledged } from '../projects/project-accounts';
import { ProjectRecord, ProjectsService, scopePartyIds } from '../projects/projects.service';
import { certificateNoOf, holderAccounts, IssuanceOutcome, IssuancePreview, IssueInput, SeriesIssuance, SeriesView } from './series-issuance';
import * as store from './series.store';
import { SeriesRow } from './series.store';
import { HoldingOrigin } from './ticket.model';
import type { ProjectKind } from '../projects/project.model';
import { TicketError } from './tickets.errors';
import { newVerificationCode } from './verification-code';

export { certificateNoOf, holderAccounts, SERIES_CODE_PATTERN } from './series-issuance';
export type { IssuanceOutcome, IssuancePreview, IssueInput, PlannedHolding, SeriesView } from './series-issuance';

export interface RegisterLine {
  certificateNo: string;
  partyCode: string;
  name: string;
  idMasked: string | null;
  origin: HoldingOrigin;
  /** Free plus pledged units: what the holder holds (and is paid dividends on). */
  units: string;
  pledgedUnits: string;
  /** units / total, 10 decimals, allotted by largest remainder so that the column adds up to exactly 1. */
  share: string;
}

export interface RegisterView {
  series: string;
  asOf: string;
  totalUnits: string;
  /** Pledged units of all holders. */
  pledgedUnits: string;
  holders: number;
  /** Every holder's line; a scoped reader's own only. */
  lines: RegisterLine[];
}

export interface HoldingRecord {
  id: string;
  seriesId: string;
  partyId: string;
  partyCode: string;
  seq: number;
  certificateNo: string;
  origin: HoldingOrigin;
  verificationCode: string;
}

/** A series as the movement services need it: its row with its project's state, parties and guaranteed price. */
export interface SeriesRecord extends SeriesRow {
  project_code: string;
  project_name: string;
  project_state: string;
  /** Null for an income-right scheme's series (the collective issues it). */
  farm_code: string | null;
  farm_name: string | null;
  farm_party_id: string | null;
  project_kind: ProjectKind;
  collective_code: string;
  collective_name: string;
  collective_party_id: string;
  guaranteed_buy_back_price: string | null;
}

function recordOf(row: SeriesRow, p: ProjectRecord): SeriesRecord {
  return {
    ...row,
    project_code: p.code,
    project_name: p.name,
    project_state: p.state,
    project_kind: p.project_kind,
    farm_code: p.farm_code,
    farm_name: p.farm_name,
    farm_party_id: p.farm_party_id,
    collective_code: p.collective_code,
    collective_name: p.collective_name,
    collective_party_id: p.collective_party_id,
    guaranteed_buy_back_price: p.guaranteed_buy_back_price,
  };
}

/** 林票 series (DOMAIN.md §3): the series, its holder register and its holdings' records; issuance is TicketIssuanceService's. */
@Injectable()
export class SeriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly projects: ProjectsService,
    private readonly reads: LedgerReads,
  ) {
    this.issuance = new SeriesIssuance(ledger, reads, projects, (em, code) => this.get(code, null, em));
  }

  private readonly issuance: SeriesIssuance;

  /** Issues the project's 林票 (see SeriesIssuance.issue); a replay with the same key returns the same issuance. */
  async issue(em: EntityManager, projectCode: string, input: IssueInput, key: string): Promise<IssuanceOutcome> {
    return this.issuance.issue(em, projectCode, input, key);
  }

  /** Books an issuance planned elsewhere (a collective income-right scheme, SeriesIssuance.book): same series, holdings, certificates and entries as 林票. */
  async issuePlanned(
    em: EntityManager,
    project: ProjectRecord,
    input: Parameters<SeriesIssuance['book']>[2],
    plan: Parameters<SeriesIssuance['book']>[3],
    key: string,
  ): Promise<IssuanceOutcome> {
    return this.issuance.book(em, project, input, plan, key);
  }

  /** The issuance as recorded (series, levels, entries, certificate numbers). */
  async issuanceOutcome(em: EntityManager, code: string): Promise<IssuanceOutcome> {
    return this.issuance.outcomeOf(em, code);
  }

  /** The plan `issue` would carry out now for this DRAFT project; nothing is written. */
  async preview(
    projectCode: string,
    input: { seriesCode: string; faceValue: string },
    scope: OwnerScope = null,
    em: EntityManager = this.dataSource.manager,
  ): Promise<IssuancePreview> {
    return this.issuance.preview(em, projectCode, input, scope);
  }

  /** The list a disclosure (公示) of this DRAFT project's issuance publishes. */
  disclosurePlan(em: EntityManager, projectCode: string, input: { seriesCode: string; faceValue: string }): Promise<SubjectPlan> {
    return this.issuance.disclosurePlan(em, projectCode, input);
  }

  async get(code: string, scope: OwnerScope = null, em: EntityManager = this.dataSource.manager): Promise<SeriesView> {
    const row = await this.load(em, code, scope);
    const holders = await this.holderCounts(em, [row.asset_code]);
    return seriesView(row, holders.get(row.asset_code) ?? 0);
  }

  async list(scope: OwnerScope = null): Promise<SeriesView[]> {
    const em = this.dataSource.manager;
    let filter: { projectIds: string[]; holderPartyIds: string[] } | null = null;
    if (scope !== null) {
      const partyIds = await scopePartyIds(em, scope);
      filter = { projectIds: await this.projects.idsOfParties(em, partyIds), holderPartyIds: partyIds };
    }
    const rows = await store.listSeries(em, filter);
    const projects = await this.projects.recordsByIds(
      em,
      rows.map((r) => r.project_id),
    );
    const holders = await this.holderCounts(
      em,
      rows.map((r) => r.asset_code),
    );
    return rows.map((r) => seriesView(recordOf(r, projects.get(r.project_id)!), holders.get(r.asset_code) ?? 0));
  }

  /** Parties holding units (free or pledged) now, per series asset: the register's count, not the certificates ever issued. */
  private async holderCounts(em: EntityManager, assets: string[]): Promise<Map<string, number>> {
    return this.reads.holderCounts(em, assets);
  }

  /**
   * Reads a series (`lock`: FOR UPDATE of its row, which is how new holders get gapless certificate
   * numbers). A scope sees the series of its farm or collective, and those it holds units of.
   */
  async load(em: EntityManager, code: string, scope: OwnerScope = null, lock = false): Promise<SeriesRecord> {
    if (lock) await store.lockSeries(em, code);
    const found = await store.findSeries(em, code);
    const row = found && recordOf(found, (await this.projects.recordsByIds(em, [found.project_id])).get(found.project_id)!);
    if (row && scope !== null) {
      const refs = scope.ownerRefs;
      const visible =
        refs.includes(`party:${row.farm_code}`) || refs.includes(`party:${row.collective_code}`) || (await store.holdingsOf(em, row.id, await scopePartyIds(em, scope))).length > 0;
      if (!visible) throw new TicketError('UNKNOWN_SERIES', `no 林票 series ${JSON.stringify(code)}`, 'series');
    }
    if (!row) throw new TicketError('UNKNOWN_SERIES', `no 林票 series ${JSON.stringify(code)}`, 'series');
    return row;
  }

  /** Several series by id with their projects, in three statements whatever their number (no scope check: callers pass ids they may see). */
  async recordsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, SeriesRecord>> {
    const rows = await store.findSeriesByIds(em, ids);
    const projects = await this.projects.recordsByIds(
      em,
      [...rows.values()].map((r) => r.project_id),
    );
    return new Map([...rows].map(([id, row]) => [id, recordOf(row, projects.get(row.project_id)!)]));
  }

  /** The holder register (股东名册) at the end of `asOf`: every holder with units, pledged units and exact share. */
  /** The register at the end of `asOf`; a scoped reader gets the series' totals and only its own lines (partyLinesSeenBy). */
  async register(code: string, asOf: string = businessToday(), em: EntityManager = this.dataSource.manager, scope: OwnerScope = null): Promise<RegisterView> {
    if (!isIsoDate(asOf)) throw new TicketError('INVALID_TICKET_INPUT', 'asOf must be a calendar date YYYY-MM-DD', 'asOf');
    const series = await this.load(em, code);
    const balances = await this.ledger.balancesOfAssetAsOf(series.asset_code, 'LIABILITY', asOf, em);
    const byParty = new Map<string, { units: Dec; pledged: Dec }>();
    for (const b of balances) {
      const party = b.ownerRef?.startsWith('party:') ? b.ownerRef.slice('party:'.length) : null;
      if (party === null) continue;
      const entry = byParty.get(party) ?? { units: new Dec(0), pledged: new Dec(0) };
      entry.units = entry.units.plus(b.balance);
      if (b.account === holderPledged(party, code)) entry.pledged = entry.pledged.plus(b.balance);
      byParty.set(party, entry);
    }
    const parties = await partiesByCodes(em, [...byParty.keys()]);
    const byId = new Map([...parties.values()].map((p) => [p.id, p]));
    const holdings = (await store.holdingsOf(em, series.id, [...byId.keys()])).map((h) => {
      const p = byId.get(h.party_id)!;
      return { code: p.code, name: p.name, id_masked: p.idMasked, certificate_no: h.certificate_no, origin: h.origin };
    });
    const total = holdings.reduce((sum, h) => sum.plus(byParty.get(h.code)!.units), new Dec(0));
    const shares = total.isZero()
      ? []
      : allocate(
          1,
          holdings.map((h) => byParty.get(h.code)!.units),
          10,
        );
    const pledged = holdings.reduce((sum, h) => sum.plus(byParty.get(h.code)!.pledged), new Dec(0));
    const lines = holdings.map((h, i): RegisterLine => ({
      certificateNo: h.certificate_no,
      partyCode: h.code,
      name: h.name,
      idMasked: h.id_masked,
      origin: h.origin,
      units: byParty.get(h.code)!.units.toFixed(0),
      pledgedUnits: byParty.get(h.code)!.pledged.toFixed(0),
      share: shares[i].toFixed(10),
    }));
    return {
      series: code,
      asOf,
      totalUnits: total.toFixed(0),
      pledgedUnits: pledged.toFixed(0),
      holders: holdings.length,
      lines: partyLinesSeenBy(scope, lines, (l) => l.partyCode),
    };
  }

  /**
   * The holding of `party` in the series, created with the next certificate number when the party
   * holds nothing yet (its two accounts opened). The caller holds the series row lock (load(…, lock)).
   */
  async ensureHolding(em: EntityManager, series: SeriesRecord, partyCode: string, origin: HoldingOrigin): Promise<HoldingRecord> {
    const existing = await this.holdingOf(em, series.id, partyCode);
    if (existing) return existing;
    const seq = await store.nextCertificateSeq(em, series.id);
    await this.ledger.openAccounts(em, holderAccounts(partyCode, series.code));
    const party = (await partiesByCodes(em, [partyCode])).get(partyCode);
    if (party) {
      await store.insertHoldings(em, [
        {
          series_id: series.id,
          party_id: party.id,
          seq,
          certificate_no: certificateNoOf(series.code, seq),
          origin,
          issued_units: '0',
          verification_code: newVerificationCode(),
        },
      ]);
    }
    return (await this.holdingOf(em, series.id, partyCode))!;
  }

  async holdingOf(em: EntityManager, seriesId: string, partyCode: string): Promise<HoldingRecord | null> {
    const party = (await partiesByCodes(em, [partyCode])).get(partyCode);
    const [row] = party ? await store.holdingsOf(em, seriesId, [party.id]) : [];
    return row
      ? {
          id: row.id,
          seriesId: row.series_id,
          partyId: row.party_id,
          partyCode,
          seq: row.seq,
          certificateNo: row.certificate_no,
          origin: row.origin,
          verificationCode: row.verification_code,
        }
      : null;
  }
}

export function seriesView(row: SeriesRecord, holders: number): SeriesView {
  return {
    code: row.code,
    name: row.name,
    project: row.project_code,
    projectName: row.project_name,
    projectState: row.project_state,
    instrument: row.project_kind === 'INCOME_RIGHT' ? 'INCOME_RIGHT' : 'TICKET',
    farm: row.farm_code === null ? null : { code: row.farm_code, name: row.farm_name! },
    collective: { code: row.collective_code, name: row.collective_name },
    assetCode: row.asset_code,
    faceValue: new Dec(row.face_value).toFixed(2),
    totalUnits: new Dec(row.total_units).toFixed(0),
    transferRestriction: row.transfer_restriction,
    issuedOn: row.issued_on,
    issuanceEntryId: row.issuance_entry_id,
    holders,
    guaranteedBuyBackPrice: row.guaranteed_buy_back_price === null ? null : new Dec(row.guaranteed_buy_back_price).toFixed(2),
  };
}
