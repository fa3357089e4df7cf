import { Dec, EntryDraft, isIsoDate, LedgerReads, LedgerService, OpenAccountInput } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { OwnerScope, partyLinesSeenBy } from '@forest-ledger/access';
import { ownerRefOf } from '../parties/parties.service';
import { activeVillagersOf, partiesByCodes } from '../parties/party-refs';
import { isHouseholdHead } from '../parties/roster-import';
import { businessToday, holderPledged, holderTickets, seriesIssued, ticketAsset } from '../projects/project-accounts';
import { ProjectError } from '../projects/projects.errors';
import { ProjectRecord, ProjectsService } from '../projects/projects.service';
import { IssuanceHolding, IssuancePlan, MemberSplit, planIssuance } from './issuance-plan';
import * as movementsStore from './movements.store';
import * as store from './series.store';
import { HoldingOrigin, TRANSFER_RESTRICTIONS, TransferRestriction } from './ticket.model';
import { TicketError } from './tickets.errors';
import { newVerificationCode } from './verification-code';
import { recordEvent } from '../events/record-event';
import { requireClearedDisclosure, SubjectPlan, villageOfParty } from '../disclosures/disclosure-gate';
import { issuanceDisclosurePlan } from './issuance-disclosure';

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
  /** TICKET (林票 of a cooperation project) or INCOME_RIGHT (集体林地收益权证书 of a collective's scheme). */
  instrument: 'TICKET' | 'INCOME_RIGHT';
  /** The issuing farm; null for an income-right scheme (issued by the collective). */
  farm: { code: string; name: string } | null;
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

/**
 * Issuance of a project's 林票 (DOMAIN.md §3) and its preview, for SeriesService (which answers with
 * the series it creates). A plain class: SeriesService builds it with its own collaborators.
 */
export class SeriesIssuance {
  constructor(
    private readonly ledger: LedgerService,
    private readonly reads: LedgerReads,
    private readonly projects: ProjectsService,
    /** The series as SeriesService shows it. */
    private readonly viewOf: (em: EntityManager, code: string) => Promise<SeriesView>,
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
      const issued = await store.findSeriesOfProject(em, project.id);
      if (issued && (await this.reads.entryKeys(em, [issued.issuance_entry_id])).get(issued.issuance_entry_id) === firstKey) return this.outcomeOf(em, issued.code);
      throw new ProjectError('PROJECT_NOT_DRAFT', `project ${projectCode} is ${project.state}: its 林票 are issued already`, 'project');
    }
    const seriesCode = this.seriesCodeOf(input.seriesCode);
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
    if ((await store.seriesCodeTaken(em, seriesCode)) || (await this.reads.assetExists(em, ticketAsset(seriesCode))))
      throw new TicketError('SERIES_EXISTS', `a series ${seriesCode} (or ledger asset ${ticketAsset(seriesCode)}) exists already`, 'seriesCode');

    if (project.project_kind !== 'COOPERATION')
      throw new ProjectError('WRONG_PROJECT_KIND', `${projectCode} is a collective income-right scheme: issue it through /v1/income-right-schemes`, 'project');
    const plan = await this.planFor(em, project, seriesCode, input.faceValue);
    // 公示: where the village's region asks for it, the list must have been published and cleared (issue 18 §3).
    await requireClearedDisclosure(em, {
      subject: { kind: 'TICKET_ISSUANCE', id: project.code },
      villageId: await villageOfParty(em, project.collective_party_id),
      plan: () => issuanceDisclosurePlan(em, project, plan),
      act: `林票发行 ${seriesCode}`,
      userId: null,
    });
    return this.book(em, project, { seriesCode, name, issuedOn, transferRestriction: input.transferRestriction, label: '林票发行' }, plan, key);
  }

  /**
   * Books a planned issuance of a DRAFT project (locked by the caller, inputs checked): the asset and
   * accounts, the entries (999 holders each, atomically), the series, its holdings (certificates
   * numbered as planned) and ISSUANCE movements; the project becomes ACTIVE. Shared by the 林票
   * issuance and the collective income-right schemes (收益权证书), whose plans differ only in who gets what.
   */
  async book(
    em: EntityManager,
    project: ProjectRecord,
    input: { seriesCode: string; name: string; issuedOn: string; transferRestriction: TransferRestriction; label: string },
    plan: { faceValue: string; totalUnits: string; holdings: IssuanceHolding[]; split: unknown },
    key: string,
  ): Promise<IssuanceOutcome> {
    const { seriesCode, name, issuedOn } = input;
    const projectCode = project.code;
    const asset = ticketAsset(seriesCode);
    if ((await store.seriesCodeTaken(em, seriesCode)) || (await this.reads.assetExists(em, asset)))
      throw new TicketError('SERIES_EXISTS', `a series ${seriesCode} (or ledger asset ${asset}) exists already`, 'seriesCode');
    await this.ledger.createAsset(em, { code: asset, scale: 0, description: `${name} (面值 ${plan.faceValue} 元/份)` });
    await this.ledger.openAccount(em, {
      code: seriesIssued(seriesCode),
      asset,
      type: 'ASSET',
      ownerRef: `series:${seriesCode}`,
      metadata: { faceValue: plan.faceValue, issuer: project.farm_code ?? project.collective_code },
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
        memo: `${input.label} ${seriesCode}${all.length > 1 ? ` (${i + 1}/${all.length})` : ''}: ${holdings.length} 户/人 ${units} 份`,
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

    const seriesId = await store.insertSeries(em, {
      code: seriesCode,
      name,
      project_id: project.id,
      asset_code: asset,
      face_value: plan.faceValue,
      total_units: plan.totalUnits,
      transfer_restriction: input.transferRestriction,
      issued_on: issuedOn,
      issuance_entry_id: entryIds[0],
      last_certificate_seq: plan.holdings.length,
    });
    const parties = await partiesByCodes(
      em,
      plan.holdings.map((h) => h.party),
    );
    // seq is the holding's place in the plan (its certificate number's); the entry is the one that credited it.
    const issued = plan.holdings.map((h, i) => ({ ...h, seq: i + 1, entryId: entryIds[Math.floor(i / HOLDINGS_PER_ENTRY)] })).filter((h) => parties.has(h.party));
    await store.insertHoldings(
      em,
      issued.map((h) => ({
        series_id: seriesId,
        party_id: parties.get(h.party)!.id,
        seq: h.seq,
        certificate_no: h.certificateNo,
        origin: originOf(h),
        issued_units: h.units,
        verification_code: newVerificationCode(),
      })),
    );
    await movementsStore.insertMovements(
      em,
      issued.map((h) => ({
        series_id: seriesId,
        kind: 'ISSUANCE' as const,
        entry_id: h.entryId,
        effective_date: issuedOn,
        from_party_id: null,
        to_party_id: parties.get(h.party)!.id,
        units: h.units,
        unit_price: null,
        amount: null,
        fee: null,
        document_reference: null,
        pledge_id: null,
      })),
    );
    await this.projects.activate(em, project.id);
    await recordEvent(
      em,
      'ticket.issued',
      { type: 'ticket_series', id: seriesCode },
      {
        series: seriesCode,
        project: projectCode,
        issuedOn,
        faceValue: plan.faceValue,
        totalUnits: plan.totalUnits,
        holders: plan.holdings.length,
        entryIds,
      },
    );
    return this.outcomeOf(em, seriesCode);
  }

  /**
   * The plan `issue` would carry out now for this DRAFT project, its contributions and its active
   * villagers; nothing is written. Refusals are the issuance's own (NOT_WHOLE_UNITS, HOUSEHOLD_HEAD …).
   */
  async preview(em: EntityManager, projectCode: string, input: { seriesCode: string; faceValue: string }, scope: OwnerScope): Promise<IssuancePreview> {
    const project = await this.projects.load(em, projectCode, { scope });
    if (project.state !== 'DRAFT') throw new ProjectError('PROJECT_NOT_DRAFT', `project ${projectCode} is ${project.state}: its 林票 are issued already`, 'project');
    const seriesCode = this.seriesCodeOf(input.seriesCode);
    const plan = await this.planFor(em, project, seriesCode, input.faceValue);
    const names = await partiesByCodes(
      em,
      plan.holdings.map((h) => h.party),
    );
    // The would-be holders' units are theirs: a scoped reader gets the split and its own holding only (partyLinesSeenBy).
    const holdings = plan.holdings.map((h) => ({ ...h, name: names.get(h.party)?.name ?? h.party }));
    return { project: projectCode, ...plan, holdings: partyLinesSeenBy(scope, holdings, (h) => h.party) };
  }

  /** The list a disclosure (公示) of this DRAFT project's issuance publishes: the plan `issue` would carry out now. */
  async disclosurePlan(em: EntityManager, projectCode: string, input: { seriesCode: string; faceValue: string }): Promise<SubjectPlan> {
    const project = await this.projects.load(em, projectCode);
    if (project.state !== 'DRAFT') throw new ProjectError('PROJECT_NOT_DRAFT', `project ${projectCode} is ${project.state}: its 林票 are issued already`, 'project');
    const plan = await this.planFor(em, project, this.seriesCodeOf(input.seriesCode), input.faceValue);
    return issuanceDisclosurePlan(em, project, plan);
  }

  private seriesCodeOf(value: unknown): string {
    const seriesCode = typeof value === 'string' ? value : '';
    if (!SERIES_CODE_PATTERN.test(seriesCode))
      throw new TicketError('INVALID_TICKET_INPUT', 'seriesCode must be 1-40 of capital letters, digits, ".", "_", "-" (e.g. YC-DXG-2025)', 'seriesCode');
    return seriesCode;
  }

  /** The issuance plan of the project now: its contributions, its active villagers (with who heads each household). */
  private async planFor(em: EntityManager, project: ProjectRecord, seriesCode: string, faceValue: string): Promise<IssuancePlan> {
    const contributions = await this.projects.contributions(em, project.id);
    if (contributions.length === 0) throw new ProjectError('NO_CONTRIBUTIONS', `project ${project.code} has no contributions to issue 林票 for`, 'project');
    const members = await activeVillagersOf(em, project.collective_party_id);
    return planIssuance({
      seriesCode,
      faceValue,
      contributions: contributions.map((c) => ({ party: c.partyCode, role: c.role, amount: c.amount })),
      collectiveRetainedRatio: new Dec(project.collective_retained_ratio).toString(),
      memberWeighting: project.member_weighting,
      members: members.map((m) => ({ party: m.code, household: m.household, head: isHouseholdHead(m.relation) })),
    });
  }

  /** The issuance as recorded: the series, the levels of its holdings, its entries and its certificate numbers. */
  async outcomeOf(em: EntityManager, code: string): Promise<IssuanceOutcome> {
    const series = await this.viewOf(em, code);
    const row = (await store.findSeries(em, code))!;
    const entryIds = await movementsStore.issuanceEntryIds(em, row.id);
    const levels = await store.issuedLevels(em, row.id);
    const [project] = [...(await this.projects.recordsByIds(em, [row.project_id])).values()];
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
      entryIds,
      certificates: { first: certificateNoOf(code, levels.first), last: certificateNoOf(code, levels.last) },
    };
  }
}

export const certificateNoOf = (series: string, seq: number): string => `${series}-${String(seq).padStart(6, '0')}`;

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
