import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { allocate, Dec, EntryDraft, isIsoDate, LedgerService, OpenAccountInput } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { OwnerScope, partyLinesSeenBy } from '../access/access.types';
import { ownerRefOf } from '../parties/parties.service';
import { isHouseholdHead } from '../parties/roster-import';
import { businessToday, holderPledged, holderTickets, seriesIssued, ticketAsset } from '../projects/project-accounts';
import { ProjectError } from '../projects/projects.errors';
import { ProjectRecord, ProjectsService } from '../projects/projects.service';
import { IssuanceHolding, IssuancePlan, MemberSplit, planIssuance } from './issuance-plan';
import { HoldingOrigin, TRANSFER_RESTRICTIONS, TransferRestriction } from './ticket.entities';
import { TicketError } from './tickets.errors';
import { newVerificationCode } from './verification-code';

export const SERIES_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;
/** Credits per issuance entry: the ledger allows 1,000 postings, one of them the debit. */
const HOLDINGS_PER_ENTRY = 999;

export interface IssueInput {
  seriesCode: string;
  /** Display name, e.g. 林票 阳城县大西沟村 2025; defaults to the project's name. */
  name?: string;
  /** CNY per unit, e.g. "100.00". */
  faceValue: string;
  transferRestriction: TransferRestriction;
  /** Defaults to today (Asia/Shanghai). */
  issuedOn?: string;
}

export interface SeriesView {
  code: string;
  name: string;
  project: string;
  projectName: string;
  projectState: string;
  farm: { code: string; name: string };
  collective: { code: string; name: string };
  assetCode: string;
  faceValue: string;
  totalUnits: string;
  transferRestriction: TransferRestriction;
  issuedOn: string;
  issuanceEntryId: string;
  /** Parties holding units now. */
  holders: number;
  guaranteedBuyBackPrice: string | null;
}

export interface IssuanceOutcome {
  series: SeriesView;
  /** The plan as issued: level 1, level 2 and the number of holdings (split null only for series issued before it was recorded). */
  plan: Omit<IssuancePlan, 'holdings' | 'split'> & { split: MemberSplit | null; holdings: number };
  /** The issuance entries: one, or one per 999 holders, posted atomically. */
  entryIds: string[];
  /** The first and last certificate numbers (gapless in between). */
  certificates: { first: string; last: string };
}

/** A planned holding with its holder's name, for review before issuing. */
export interface PlannedHolding extends IssuanceHolding {
  name: string;
}

/** The issuance as it would be made now, nothing written: the split and every holding. */
export interface IssuancePreview extends Omit<IssuancePlan, 'holdings'> {
  project: string;
  holdings: PlannedHolding[];
}

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

interface SeriesRow {
  id: string;
  code: string;
  name: string;
  project_id: string;
  asset_code: string;
  face_value: string;
  total_units: string;
  transfer_restriction: TransferRestriction;
  issued_on: string;
  issuance_entry_id: string;
  last_certificate_seq: number;
  project_code: string;
  project_name: string;
  project_state: string;
  farm_code: string;
  farm_name: string;
  farm_party_id: string;
  collective_code: string;
  collective_name: string;
  collective_party_id: string;
  guaranteed_buy_back_price: string | null;
}

/** A series as the movement services need it. */
export type SeriesRecord = SeriesRow;

const SERIES_SELECT = `SELECT s.id, s.code, s.name, s.project_id, s.asset_code, s.face_value::text AS face_value, s.total_units::text AS total_units,
       s.transfer_restriction, to_char(s.issued_on, 'YYYY-MM-DD') AS issued_on, s.issuance_entry_id, s.last_certificate_seq,
       p.code AS project_code, p.name AS project_name, p.state AS project_state, f.code AS farm_code, f.name AS farm_name, p.farm_party_id,
       c.code AS collective_code, c.name AS collective_name, p.collective_party_id, p.guaranteed_buy_back_price::text AS guaranteed_buy_back_price
  FROM ticket_series s JOIN coop_projects p ON p.id = s.project_id JOIN parties f ON f.id = p.farm_party_id JOIN parties c ON c.id = p.collective_party_id`;

export const certificateNoOf = (series: string, seq: number): string => `${series}-${String(seq).padStart(6, '0')}`;

/** 林票 series: issuance (DOMAIN.md §3), the series, its holder register and its certificates' records. */
@Injectable()
export class SeriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly projects: ProjectsService,
  ) {}

  /**
   * Issues the project's 林票: plans the two-level split from the contributions and the collective's
   * members, opens the holders' accounts, posts the issuance (one entry, or one atomic batch of
   * entries of 999 holders), numbers the certificates gaplessly and activates the project, whose
   * parameters are frozen from then on. A replay with the same key returns the same issuance.
   */
  async issue(em: EntityManager, projectCode: string, input: IssueInput, key: string): Promise<IssuanceOutcome> {
    const project = await this.projects.load(em, projectCode, { lock: true });
    const firstKey = `ticket-issuance:${key}:1`;
    if (project.state !== 'DRAFT') {
      const [issued] = (await em.query(
        `SELECT s.code FROM ticket_series s JOIN ledger_entries e ON e.id = s.issuance_entry_id WHERE s.project_id = $1 AND e.idempotency_key = $2`,
        [project.id, firstKey],
      )) as Array<{ code: string }>;
      if (issued) return this.outcomeOf(em, issued.code);
      throw new ProjectError('PROJECT_NOT_DRAFT', `project ${projectCode} is ${project.state}: its 林票 are issued already`, 'project');
    }
    const seriesCode = typeof input.seriesCode === 'string' ? input.seriesCode : '';
    if (!SERIES_CODE_PATTERN.test(seriesCode))
      throw new TicketError('INVALID_TICKET_INPUT', 'seriesCode must be 1-40 of capital letters, digits, ".", "_", "-" (e.g. YC-DXG-2025)', 'seriesCode');
    if (!TRANSFER_RESTRICTIONS.includes(input.transferRestriction)) {
      throw new TicketError('INVALID_TICKET_INPUT', `transferRestriction must be one of ${TRANSFER_RESTRICTIONS.join(', ')}`, 'transferRestriction');
    }
    const issuedOn = input.issuedOn ?? businessToday();
    if (!isIsoDate(issuedOn)) throw new TicketError('INVALID_TICKET_INPUT', 'issuedOn must be a calendar date YYYY-MM-DD', 'issuedOn');
    const today = businessToday();
    if (issuedOn > today)
      throw new TicketError('EFFECTIVE_DATE_OUT_OF_RANGE', `issuedOn ${issuedOn} is after today ${today}: 林票 are issued on or before the day they are booked`, 'issuedOn');
    const name = input.name === undefined ? `林票 ${project.name}` : input.name.trim();
    if (name === '' || name.length > 200) throw new TicketError('INVALID_TICKET_INPUT', 'name must be 1-200 characters', 'name');
    const taken = await em.query(`SELECT 1 FROM ticket_series WHERE code = $1 UNION ALL SELECT 1 FROM ledger_assets WHERE code = $2`, [seriesCode, ticketAsset(seriesCode)]);
    if (taken.length > 0) throw new TicketError('SERIES_EXISTS', `a series ${seriesCode} (or ledger asset ${ticketAsset(seriesCode)}) exists already`, 'seriesCode');

    const plan = await this.planFor(em, project, seriesCode, input.faceValue);

    const asset = ticketAsset(seriesCode);
    await this.ledger.createAsset(em, { code: asset, scale: 0, description: `${name} (面值 ${plan.faceValue} 元/份)` });
    await this.ledger.openAccount(em, {
      code: seriesIssued(seriesCode),
      asset,
      type: 'ASSET',
      ownerRef: `series:${seriesCode}`,
      metadata: { faceValue: plan.faceValue, issuer: project.farm_code },
    });
    await this.ledger.openAccounts(
      em,
      plan.holdings.flatMap((h) => holderAccounts(h.party, seriesCode)),
    );

    const drafts = chunk(plan.holdings, HOLDINGS_PER_ENTRY).map((holdings, i, all): EntryDraft => {
      const units = holdings.reduce((sum, h) => sum.plus(h.units), new Dec(0)).toFixed(0);
      return {
        idempotencyKey: `ticket-issuance:${key}:${i + 1}`,
        kind: 'TICKET_ISSUANCE',
        effectiveDate: issuedOn,
        memo: `林票发行 ${seriesCode}${all.length > 1 ? ` (${i + 1}/${all.length})` : ''}: ${holdings.length} 户/人 ${units} 份`,
        // The first entry records level 2 as decided (claims, units each, the remainder kept), for the issuance's replay.
        metadata: { series: seriesCode, project: projectCode, faceValue: plan.faceValue, part: i + 1, parts: all.length, ...(i === 0 ? { split: plan.split } : {}) },
        postings: [
          { account: seriesIssued(seriesCode), side: 'DEBIT', amount: units },
          ...holdings.map((h) => ({ account: holderTickets(h.party, seriesCode), side: 'CREDIT' as const, amount: h.units })),
        ],
      };
    });
    const batch = await this.ledger.postBatch(em, drafts);
    const entryIds = batch.entries.map((e) => e.id);

    const [series] = (await em.query(
      `INSERT INTO ticket_series (code, name, project_id, asset_code, face_value, total_units, transfer_restriction, issued_on, issuance_entry_id, last_certificate_seq)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
      [seriesCode, name, project.id, asset, plan.faceValue, plan.totalUnits, input.transferRestriction, issuedOn, entryIds[0], plan.holdings.length],
    )) as Array<{ id: string }>;
    const entryOf = (index: number) => entryIds[Math.floor(index / HOLDINGS_PER_ENTRY)];
    await em.query(
      `WITH h AS (
         SELECT * FROM unnest($2::text[], $3::int[], $4::text[], $5::text[], $6::numeric[], $7::text[], $8::bigint[]) AS t(party, seq, certificate_no, origin, units, code, entry_id)
       ), holdings AS (
         INSERT INTO ticket_holdings (series_id, party_id, seq, certificate_no, origin, issued_units, verification_code)
         SELECT $1, p.id, h.seq, h.certificate_no, h.origin, h.units, h.code FROM h JOIN parties p ON p.code = h.party
         RETURNING party_id
       )
       INSERT INTO ticket_movements (series_id, kind, entry_id, effective_date, to_party_id, units)
       SELECT $1, 'ISSUANCE', h.entry_id, $9::date, p.id, h.units FROM h JOIN parties p ON p.code = h.party`,
      [
        series.id,
        plan.holdings.map((h) => h.party),
        plan.holdings.map((_, i) => i + 1),
        plan.holdings.map((h) => h.certificateNo),
        plan.holdings.map(originOf),
        plan.holdings.map((h) => h.units),
        plan.holdings.map(() => newVerificationCode()),
        plan.holdings.map((_, i) => entryOf(i)),
        issuedOn,
      ],
    );
    await em.query(`UPDATE coop_projects SET state = 'ACTIVE', activated_at = now() WHERE id = $1`, [project.id]);
    return this.outcomeOf(em, seriesCode);
  }

  /**
   * The plan `issue` would carry out now for this DRAFT project, its contributions and its active
   * villagers; nothing is written. Refusals are the issuance's own (NOT_WHOLE_UNITS, HOUSEHOLD_HEAD …).
   */
  async preview(
    projectCode: string,
    input: { seriesCode: string; faceValue: string },
    scope: OwnerScope = null,
    em: EntityManager = this.dataSource.manager,
  ): Promise<IssuancePreview> {
    const project = await this.projects.load(em, projectCode, { scope });
    if (project.state !== 'DRAFT') throw new ProjectError('PROJECT_NOT_DRAFT', `project ${projectCode} is ${project.state}: its 林票 are issued already`, 'project');
    const seriesCode = typeof input.seriesCode === 'string' ? input.seriesCode : '';
    if (!SERIES_CODE_PATTERN.test(seriesCode))
      throw new TicketError('INVALID_TICKET_INPUT', 'seriesCode must be 1-40 of capital letters, digits, ".", "_", "-" (e.g. YC-DXG-2025)', 'seriesCode');
    const plan = await this.planFor(em, project, seriesCode, input.faceValue);
    const names = new Map(
      ((await em.query(`SELECT code, name FROM parties WHERE code = ANY($1::text[])`, [plan.holdings.map((h) => h.party)])) as Array<{ code: string; name: string }>).map((r) => [
        r.code,
        r.name,
      ]),
    );
    // The would-be holders' units are theirs: a scoped reader gets the split and its own holding only (partyLinesSeenBy).
    const holdings = plan.holdings.map((h) => ({ ...h, name: names.get(h.party) ?? h.party }));
    return { project: projectCode, ...plan, holdings: partyLinesSeenBy(scope, holdings, (h) => h.party) };
  }

  /** The issuance plan of the project now: its contributions, its active villagers (with who heads each household). */
  private async planFor(em: EntityManager, project: ProjectRecord, seriesCode: string, faceValue: string): Promise<IssuancePlan> {
    const contributions = await this.projects.contributions(em, project.id);
    if (contributions.length === 0) throw new ProjectError('NO_CONTRIBUTIONS', `project ${project.code} has no contributions to issue 林票 for`, 'project');
    const members = (await em.query(
      `SELECT v.code, h.code AS household, v.metadata ->> 'relation' AS relation FROM parties v JOIN parties h ON h.id = v.household_id
        WHERE v.kind = 'VILLAGER' AND v.active AND v.collective_id = $1`,
      [project.collective_party_id],
    )) as Array<{ code: string; household: string; relation: string | null }>;
    return planIssuance({
      seriesCode,
      faceValue,
      contributions: contributions.map((c) => ({ party: c.partyCode, role: c.role, amount: c.amount })),
      collectiveRetainedRatio: new Dec(project.collective_retained_ratio).toString(),
      memberWeighting: project.member_weighting,
      members: members.map((m) => ({ party: m.code, household: m.household, head: isHouseholdHead(m.relation) })),
    });
  }

  async get(code: string, scope: OwnerScope = null, em: EntityManager = this.dataSource.manager): Promise<SeriesView> {
    const row = await this.load(em, code, scope);
    const holders = await this.holderCounts(em, [row.asset_code]);
    return seriesView(row, holders.get(row.asset_code) ?? 0);
  }

  async list(scope: OwnerScope = null): Promise<SeriesView[]> {
    const rows = (await this.dataSource.query(
      `${SERIES_SELECT} WHERE ($1::text[] IS NULL OR ('party:' || f.code) = ANY($1) OR ('party:' || c.code) = ANY($1)
         OR EXISTS (SELECT 1 FROM ticket_holdings th JOIN parties hp ON hp.id = th.party_id WHERE th.series_id = s.id AND ('party:' || hp.code) = ANY($1)))
       ORDER BY s.code LIMIT 500`,
      [scope?.ownerRefs ?? null],
    )) as SeriesRow[];
    const holders = await this.holderCounts(
      this.dataSource.manager,
      rows.map((r) => r.asset_code),
    );
    return rows.map((r) => seriesView(r, holders.get(r.asset_code) ?? 0));
  }

  /** Parties holding units (free or pledged) now, per series asset: the register's count, not the certificates ever issued. */
  private async holderCounts(em: EntityManager, assets: string[]): Promise<Map<string, number>> {
    const rows = (await em.query(
      `SELECT asset_code, count(DISTINCT owner_ref)::int AS n FROM ledger_accounts
        WHERE asset_code = ANY($1::text[]) AND type = 'LIABILITY' AND credits <> debits GROUP BY asset_code`,
      [assets],
    )) as Array<{ asset_code: string; n: number }>;
    return new Map(rows.map((r) => [r.asset_code, r.n]));
  }

  /**
   * Reads a series (`lock`: FOR UPDATE of its row, which is how new holders get gapless certificate
   * numbers). A scope sees the series of its farm or collective, and those it holds units of.
   */
  async load(em: EntityManager, code: string, scope: OwnerScope = null, lock = false): Promise<SeriesRecord> {
    if (lock) await em.query(`SELECT 1 FROM ticket_series WHERE code = $1 FOR UPDATE`, [code]);
    const [row] = (await em.query(`${SERIES_SELECT} WHERE s.code = $1`, [code])) as SeriesRow[];
    if (row && scope !== null) {
      const refs = scope.ownerRefs;
      const visible =
        refs.includes(`party:${row.farm_code}`) ||
        refs.includes(`party:${row.collective_code}`) ||
        (await em.query(`SELECT 1 FROM ticket_holdings th JOIN parties p ON p.id = th.party_id WHERE th.series_id = $1 AND ('party:' || p.code) = ANY($2)`, [row.id, refs]))
          .length > 0;
      if (!visible) throw new TicketError('UNKNOWN_SERIES', `no 林票 series ${JSON.stringify(code)}`, 'series');
    }
    if (!row) throw new TicketError('UNKNOWN_SERIES', `no 林票 series ${JSON.stringify(code)}`, 'series');
    return row;
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
    const holdings = (await em.query(
      `SELECT p.code, p.name, p.id_masked, h.certificate_no, h.origin, h.seq FROM ticket_holdings h JOIN parties p ON p.id = h.party_id
        WHERE h.series_id = $1 AND p.code = ANY($2::text[]) ORDER BY h.seq`,
      [series.id, [...byParty.keys()]],
    )) as Array<{ code: string; name: string; id_masked: string | null; certificate_no: string; origin: HoldingOrigin }>;
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
    // Wrapped in a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, rowCount], not the rows.
    const [{ seq }] = (await em.query(
      `WITH u AS (UPDATE ticket_series SET last_certificate_seq = last_certificate_seq + 1 WHERE id = $1 RETURNING last_certificate_seq) SELECT last_certificate_seq AS seq FROM u`,
      [series.id],
    )) as Array<{ seq: number }>;
    await this.ledger.openAccounts(em, holderAccounts(partyCode, series.code));
    await em.query(
      `INSERT INTO ticket_holdings (series_id, party_id, seq, certificate_no, origin, issued_units, verification_code)
       SELECT $1, id, $3, $4, $5, 0, $6 FROM parties WHERE code = $2`,
      [series.id, partyCode, seq, certificateNoOf(series.code, seq), origin, newVerificationCode()],
    );
    return (await this.holdingOf(em, series.id, partyCode))!;
  }

  async holdingOf(em: EntityManager, seriesId: string, partyCode: string): Promise<HoldingRecord | null> {
    const [row] = (await em.query(
      `SELECT h.id, h.series_id, h.party_id, p.code AS party_code, h.seq, h.certificate_no, h.origin, h.verification_code
         FROM ticket_holdings h JOIN parties p ON p.id = h.party_id WHERE h.series_id = $1 AND p.code = $2`,
      [seriesId, partyCode],
    )) as Array<{ id: string; series_id: string; party_id: string; party_code: string; seq: number; certificate_no: string; origin: HoldingOrigin; verification_code: string }>;
    return row
      ? {
          id: row.id,
          seriesId: row.series_id,
          partyId: row.party_id,
          partyCode: row.party_code,
          seq: row.seq,
          certificateNo: row.certificate_no,
          origin: row.origin,
          verificationCode: row.verification_code,
        }
      : null;
  }

  private async outcomeOf(em: EntityManager, code: string): Promise<IssuanceOutcome> {
    const series = await this.get(code, null, em);
    const row = await this.load(em, code);
    const entries = (await em.query(`SELECT DISTINCT entry_id FROM ticket_movements WHERE series_id = $1 AND kind = 'ISSUANCE' ORDER BY entry_id`, [row.id])) as Array<{
      entry_id: string;
    }>;
    const [levels] = (await em.query(
      `SELECT COALESCE(SUM(issued_units) FILTER (WHERE origin = 'FARM'), 0)::text AS farm, COALESCE(SUM(issued_units) FILTER (WHERE origin = 'COLLECTIVE'), 0)::text AS retained,
              COALESCE(SUM(issued_units) FILTER (WHERE origin = 'MEMBER'), 0)::text AS members, count(*) FILTER (WHERE issued_units > 0)::int AS holdings,
              min(seq) FILTER (WHERE issued_units > 0) AS first, max(seq) FILTER (WHERE issued_units > 0) AS last
         FROM ticket_holdings WHERE series_id = $1`,
      [row.id],
    )) as Array<{ farm: string; retained: string; members: string; holdings: number; first: number; last: number }>;
    const [project] = (await em.query(`SELECT member_weighting FROM coop_projects WHERE id = $1`, [row.project_id])) as Array<{ member_weighting: 'PER_PERSON' | 'PER_HOUSEHOLD' }>;
    const split = (await this.ledger.getEntry(row.issuance_entry_id, em)).metadata.split;
    return {
      series,
      plan: {
        seriesCode: code,
        faceValue: series.faceValue,
        totalUnits: series.totalUnits,
        collectiveUnits: new Dec(levels.retained).plus(levels.members).toFixed(0),
        retainedUnits: new Dec(levels.retained).toFixed(0),
        membersUnits: new Dec(levels.members).toFixed(0),
        memberWeighting: project.member_weighting,
        split: isMemberSplit(split) ? split : null,
        holdings: levels.holdings,
      },
      entryIds: entries.map((e) => e.entry_id),
      certificates: { first: certificateNoOf(code, levels.first), last: certificateNoOf(code, levels.last) },
    };
  }
}

/** A holder's free and pledged accounts in a series (credit-normal, never negative, owned by the party). */
export function holderAccounts(party: string, series: string): OpenAccountInput[] {
  const asset = ticketAsset(series);
  return [
    { code: holderTickets(party, series), asset, type: 'LIABILITY', ownerRef: ownerRefOf(party), noOverdraft: true },
    { code: holderPledged(party, series), asset, type: 'LIABILITY', ownerRef: ownerRefOf(party), noOverdraft: true },
  ];
}

function isMemberSplit(value: unknown): value is MemberSplit {
  return typeof value === 'object' && value !== null && typeof (value as MemberSplit).unitsPerClaim === 'string' && typeof (value as MemberSplit).claims === 'number';
}

function originOf(h: IssuanceHolding): HoldingOrigin {
  return h.role;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function seriesView(row: SeriesRow, holders: number): SeriesView {
  return {
    code: row.code,
    name: row.name,
    project: row.project_code,
    projectName: row.project_name,
    projectState: row.project_state,
    farm: { code: row.farm_code, name: row.farm_name },
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
