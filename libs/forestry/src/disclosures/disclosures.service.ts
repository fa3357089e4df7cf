import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, isBigintId, isIsoDate } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { DividendDeclarationsService } from '../dividends/dividend-declarations.service';
import { IncomeRightsService } from '../income-rights/income-rights.service';
import { partiesByIds } from '../parties/party-refs';
import { businessToday } from '../projects/project-accounts';
import { villageChains } from '../regions/region-tree';
import { RegionsService } from '../regions/regions.service';
import { SeriesService } from '../tickets/series.service';
import {
  DISCLOSURE_SUBJECT_KINDS,
  DisclosurePhase,
  DisclosureState,
  DisclosureSubject,
  DisclosureSubjectKind,
  disclosurePeriod,
  MAX_DISCLOSURE_DAYS,
  noticeName,
  OBJECTION_OUTCOMES,
  OBJECTION_TEXT_MAX,
  ObjectionOutcome,
  ObjectionState,
  phaseOf,
  RAISED_BY_MAX,
  REASON_MAX,
  samePlan,
  SUBJECT_LABELS,
} from './disclosure.model';
import { disclosureDaysOf, SubjectPlan } from './disclosure-gate';
import { DisclosureError } from './disclosures.errors';
import { DisclosureRow, disclosuresStore, ObjectionRow } from './disclosures.store';

export interface DisclosureActor {
  userId: string;
}

export interface PublishInput {
  kind: DisclosureSubjectKind;
  /** The project's code (TICKET_ISSUANCE), the declaration's id (DIVIDEND). */
  subject: string;
  /** TICKET_ISSUANCE: the series and face value, as the issuance will be made. */
  seriesCode?: string;
  faceValue?: string;
}

export interface ObjectionView {
  id: string;
  raisedBy: string;
  raisedOn: string;
  text: string;
  state: ObjectionState;
  recordedBy: string;
  recordedAt: string;
  resolution: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
}

export interface DisclosureView {
  id: string;
  subjectKind: DisclosureSubjectKind;
  subjectId: string;
  round: number;
  title: string;
  village: { code: string; name: string };
  state: DisclosureState;
  /** Today: IN_PERIOD, OBJECTION_OPEN or CLEARED for a PUBLISHED round; its state otherwise. */
  phase: DisclosurePhase;
  params: Record<string, unknown>;
  days: number;
  publishedOn: string;
  /** The objection period, both days inclusive; it may go ahead from clearsOn. */
  startsOn: string;
  endsOn: string;
  clearsOn: string;
  totalUnits: string;
  totalAmount: string | null;
  lineCount: number;
  publishedBy: string;
  publishedAt: string;
  closedBy: string | null;
  closedAt: string | null;
  closeReason: string | null;
  concludedByAct: string | null;
  objections: ObjectionView[];
}

export interface DisclosureLineView {
  seq: number;
  party: string;
  name: string;
  /** As the public list shows it. */
  shownName: string;
  role: string | null;
  units: string;
  amount: string | null;
}

export interface RegionDisclosureDays {
  region: string;
  /** Set on this region; null: inherits. */
  disclosureDays: number | null;
  /** What applies here: its own, else its parent's, else its county's; 0 = off. */
  effectiveDays: number;
}

/** A round as the village's public page shows it: masked names, no party codes, no ID numbers. */
export interface PublicDisclosure {
  id: string;
  kind: DisclosureSubjectKind;
  kindLabel: string;
  title: string;
  round: number;
  phase: DisclosurePhase;
  phaseLabel: string;
  publishedOn: string;
  startsOn: string;
  endsOn: string;
  days: number;
  totalUnits: string;
  totalAmount: string | null;
  objections: { open: number; upheld: number; dismissed: number };
  lines: Array<{ seq: number; name: string; units: string; amount: string | null }>;
}

export interface PublicVillageDisclosures {
  village: { code: string; name: string; township: string | null; county: string | null };
  today: string;
  /** Published and not yet concluded, newest first. */
  current: PublicDisclosure[];
  /** Concluded, superseded or withdrawn, newest first (the last PAST_LIMIT). */
  past: PublicDisclosure[];
}

export const PHASE_LABELS: Record<DisclosurePhase, string> = {
  IN_PERIOD: '公示中',
  OBJECTION_OPEN: '公示期满，异议处理中',
  CLEARED: '公示期满，无异议',
  SUPERSEDED: '已更正，另行公示',
  WITHDRAWN: '已撤回',
  CONCLUDED: '公示期满，已实施',
};

const PAST_LIMIT = 20;
const LIST_LIMIT = 500;

function text(value: unknown, field: string, max: number): string {
  const t = typeof value === 'string' ? value.trim() : '';
  if (t === '' || t.length > max) throw new DisclosureError('INVALID_DISCLOSURE_INPUT', `${field} must be 1-${max} characters`, field);
  return t;
}

/**
 * Village disclosure (公示, issue 18 §3): the list of an issuance or a dividend published to the
 * collective's village for the days its region sets, objections recorded and resolved by staff. Every
 * write runs in the caller's transaction (the command's, which also writes its audit row). The gate
 * that approvals and issuances call is `requireClearedDisclosure` (disclosure-gate.ts).
 */
@Injectable()
export class DisclosuresService {
  /** How each kind of subject makes its list. */
  private readonly plans: Partial<Record<DisclosureSubjectKind, (em: EntityManager, input: PublishInput) => Promise<SubjectPlan>>>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly regions: RegionsService,
    series: SeriesService,
    dividends: DividendDeclarationsService,
    incomeRights: IncomeRightsService,
  ) {
    this.plans = {
      TICKET_ISSUANCE: (em, input) => {
        if (typeof input.seriesCode !== 'string') throw new DisclosureError('INVALID_DISCLOSURE_INPUT', 'seriesCode is required for a TICKET_ISSUANCE', 'seriesCode');
        if (typeof input.faceValue !== 'string') throw new DisclosureError('INVALID_DISCLOSURE_INPUT', 'faceValue is required for a TICKET_ISSUANCE', 'faceValue');
        return series.disclosurePlan(em, input.subject, { seriesCode: input.seriesCode, faceValue: input.faceValue });
      },
      INCOME_RIGHT_ISSUANCE: (em, input) => {
        if (typeof input.seriesCode !== 'string') throw new DisclosureError('INVALID_DISCLOSURE_INPUT', 'seriesCode is required for an INCOME_RIGHT_ISSUANCE', 'seriesCode');
        return incomeRights.disclosurePlan(em, input.subject, input.seriesCode);
      },
      DIVIDEND: (em, input) => {
        if (!isBigintId(input.subject)) throw new DisclosureError('INVALID_DISCLOSURE_INPUT', 'subject of a DIVIDEND is the declaration id', 'subject');
        return dividends.disclosurePlan(em, input.subject);
      },
    };
  }

  /** Sets the days lists stay up in a region (0 = off; null = inherit from the region above). */
  async setDays(em: EntityManager, actor: DisclosureActor, regionCode: string, days: number | null): Promise<RegionDisclosureDays> {
    if (days !== null && (!Number.isInteger(days) || days < 0 || days > MAX_DISCLOSURE_DAYS)) {
      throw new DisclosureError('INVALID_DISCLOSURE_INPUT', `disclosureDays must be a whole number from 0 to ${MAX_DISCLOSURE_DAYS}, or null to inherit`, 'disclosureDays');
    }
    const region = await this.regions.require(regionCode, em);
    await disclosuresStore.setDays(em, region.id, days, actor.userId);
    return this.days(regionCode, em);
  }

  async days(regionCode: string, em: EntityManager = this.dataSource.manager): Promise<RegionDisclosureDays> {
    const region = await this.regions.require(regionCode, em);
    const own = (await disclosuresStore.settings(em, [region.id])).get(region.id) ?? null;
    let effective = own ?? 0;
    if (own === null && region.level === 'VILLAGE') effective = await disclosureDaysOf(em, region.id);
    else if (own === null && region.level === 'TOWNSHIP' && region.parentCode !== null) {
      const county = await this.regions.require(region.parentCode, em);
      effective = (await disclosuresStore.settings(em, [county.id])).get(county.id) ?? 0;
    }
    return { region: region.code, disclosureDays: own, effectiveDays: effective };
  }

  /**
   * Publishes a new round of a subject's list, today, for its village's days: the plan as it would be
   * carried out now, names masked for the public. A PUBLISHED round with the same list is PLAN_UNCHANGED,
   * as is a round superseded by an upheld objection (the plan must change); another PUBLISHED round is
   * superseded by this one. Refused while the latest round has an open objection.
   */
  async publish(em: EntityManager, actor: DisclosureActor, input: PublishInput): Promise<DisclosureView> {
    if (!DISCLOSURE_SUBJECT_KINDS.includes(input.kind)) {
      throw new DisclosureError('INVALID_DISCLOSURE_INPUT', `kind must be one of ${DISCLOSURE_SUBJECT_KINDS.join(', ')}`, 'kind');
    }
    const planOf = this.plans[input.kind];
    if (!planOf) throw new DisclosureError('INVALID_DISCLOSURE_INPUT', `disclosures of ${input.kind} are not available`, 'kind');
    const subject: DisclosureSubject = { kind: input.kind, id: text(input.subject, 'subject', 100) };
    await disclosuresStore.lockSubject(em, subject);
    const latest = await disclosuresStore.latest(em, subject, true);
    if (latest && latest.open_objections > 0) {
      throw new DisclosureError('OBJECTION_OPEN', `disclosure #${latest.id} has ${latest.open_objections} open objection(s); resolve them before publishing again`, 'subject', {
        disclosureId: latest.id,
      });
    }
    const plan = await planOf(em, { ...input, subject: subject.id });
    if (plan.villageId === null) throw new DisclosureError('NO_VILLAGE', `the collective of ${subject.id} is registered in no village: there is no board to publish to`, 'subject');
    const days = await disclosureDaysOf(em, plan.villageId);
    if (days === 0)
      throw new DisclosureError('DISCLOSURE_OFF', `the village of ${subject.id} has no disclosure period (disclosureDays 0 or unset on it, its township and county)`, 'subject');
    if (latest && (latest.state === 'PUBLISHED' || latest.state === 'SUPERSEDED')) {
      const lines = await disclosuresStore.lines(em, latest.id);
      const published = { lines: lines.map((l) => ({ party: l.party_id, units: l.units, amount: l.amount })), params: latest.params };
      if (samePlan(published, plan)) {
        throw new DisclosureError(
          'PLAN_UNCHANGED',
          latest.state === 'PUBLISHED'
            ? `disclosure #${latest.id} already publishes this list`
            : `disclosure #${latest.id} was superseded (${latest.close_reason ?? ''}) and the plan has not changed since; correct it first`,
          'subject',
          { disclosureId: latest.id },
        );
      }
    }
    const round = (latest?.round ?? 0) + 1;
    if (latest?.state === 'PUBLISHED') await disclosuresStore.close(em, latest.id, 'SUPERSEDED', actor.userId, `replaced by round ${round}`);
    const publishedOn = businessToday();
    const period = disclosurePeriod(publishedOn, days);
    const totalUnits = plan.lines.reduce((s, l) => s.plus(l.units), new Dec(0));
    const payment = plan.lines.some((l) => l.amount !== null);
    const totalAmount = payment ? plan.lines.reduce((s, l) => s.plus(l.amount ?? 0), new Dec(0)).toFixed(2) : null;
    const id = await disclosuresStore.insert(
      em,
      {
        subject_kind: subject.kind,
        subject_id: subject.id,
        round,
        village_id: plan.villageId,
        title: plan.title,
        params: plan.params,
        days,
        published_on: publishedOn,
        starts_on: period.startsOn,
        ends_on: period.endsOn,
        total_units: totalUnits.toFixed(0),
        total_amount: totalAmount,
        line_count: plan.lines.length,
        published_by: actor.userId,
      },
      plan.lines.map((l, i) => ({ seq: i + 1, party_id: l.party, shown_name: noticeName(l.kind, l.name), role: l.role, units: l.units, amount: l.amount })),
    );
    return this.get(id, em);
  }

  /** Records an objection raised by someone in the village (while the round is PUBLISHED: in its period or after it, until it is concluded). */
  async recordObjection(em: EntityManager, actor: DisclosureActor, id: string, input: { raisedBy: string; raisedOn?: string; text: string }): Promise<DisclosureView> {
    const row = await this.load(em, id, true);
    if (row.state !== 'PUBLISHED')
      throw new DisclosureError('DISCLOSURE_STATE', `disclosure #${row.id} is ${row.state}: objections are recorded on a PUBLISHED round`, 'id', { state: row.state });
    const raisedBy = text(input.raisedBy, 'raisedBy', RAISED_BY_MAX);
    const body = text(input.text, 'text', OBJECTION_TEXT_MAX);
    const today = businessToday();
    const raisedOn = input.raisedOn ?? today;
    if (typeof raisedOn !== 'string' || !isIsoDate(raisedOn)) throw new DisclosureError('INVALID_DISCLOSURE_INPUT', 'raisedOn must be a calendar date YYYY-MM-DD', 'raisedOn');
    if (raisedOn < row.published_on || raisedOn > today) {
      throw new DisclosureError('INVALID_DISCLOSURE_INPUT', `raisedOn must lie between the publication ${row.published_on} and today ${today}`, 'raisedOn');
    }
    await disclosuresStore.insertObjection(em, { disclosureId: row.id, raisedBy, raisedOn, text: body, recordedBy: actor.userId });
    return this.get(row.id, em);
  }

  /**
   * Resolves an open objection: DISMISSED with the reason; UPHELD with what is wrong, which supersedes
   * a PUBLISHED round (the plan must change and be published again as a new round).
   */
  async resolveObjection(
    em: EntityManager,
    actor: DisclosureActor,
    id: string,
    objectionId: string,
    input: { outcome: ObjectionOutcome; reason: string },
  ): Promise<DisclosureView> {
    const row = await this.load(em, id, true);
    if (!OBJECTION_OUTCOMES.includes(input.outcome)) throw new DisclosureError('INVALID_DISCLOSURE_INPUT', `outcome must be one of ${OBJECTION_OUTCOMES.join(', ')}`, 'outcome');
    const reason = text(input.reason, 'reason', REASON_MAX);
    const objection = isBigintId(String(objectionId)) ? await disclosuresStore.objection(em, row.id, objectionId) : undefined;
    if (!objection) throw new DisclosureError('UNKNOWN_OBJECTION', `disclosure #${row.id} has no objection ${JSON.stringify(objectionId)}`, 'objectionId');
    if (!(await disclosuresStore.resolveObjection(em, objection.id, input.outcome, reason, actor.userId))) {
      throw new DisclosureError('DISCLOSURE_STATE', `objection #${objection.id} is ${objection.state} already`, 'objectionId', { state: objection.state });
    }
    if (input.outcome === 'UPHELD' && row.state === 'PUBLISHED')
      await disclosuresStore.close(em, row.id, 'SUPERSEDED', actor.userId, `objection #${objection.id} upheld: ${reason}`);
    return this.get(row.id, em);
  }

  /** Takes a PUBLISHED round down (the plan was dropped, e.g. the declaration cancelled). */
  async withdraw(em: EntityManager, actor: DisclosureActor, id: string, reason: string): Promise<DisclosureView> {
    const row = await this.load(em, id, true);
    if (row.state !== 'PUBLISHED')
      throw new DisclosureError('DISCLOSURE_STATE', `disclosure #${row.id} is ${row.state}: only a PUBLISHED round is withdrawn`, 'id', { state: row.state });
    await disclosuresStore.close(em, row.id, 'WITHDRAWN', actor.userId, text(reason, 'reason', REASON_MAX));
    return this.get(row.id, em);
  }

  async get(id: string, em: EntityManager = this.dataSource.manager): Promise<DisclosureView> {
    const row = await this.load(em, id, false);
    return (await this.views(em, [row]))[0];
  }

  /** Newest first (at most 500): by village (its code), state, subject. */
  async list(filter: { village?: string; state?: DisclosureState; kind?: DisclosureSubjectKind; subject?: string }): Promise<DisclosureView[]> {
    const em = this.dataSource.manager;
    let villageIds: string[] | undefined;
    if (filter.village !== undefined) villageIds = [(await this.regions.require(filter.village, em, 'village')).id];
    const subject = filter.kind !== undefined && filter.subject !== undefined ? { kind: filter.kind, id: filter.subject } : undefined;
    const rows = await disclosuresStore.list(em, { villageIds, state: filter.state, subject, limit: LIST_LIMIT });
    return this.views(
      em,
      rows.filter((r) => filter.kind === undefined || r.subject_kind === filter.kind),
    );
  }

  /** A round's lines with the holders' codes and full names (staff), paged by seq. */
  async lines(id: string, page: { afterSeq?: number; limit?: number }): Promise<DisclosureLineView[]> {
    const em = this.dataSource.manager;
    const row = await this.load(em, id, false);
    const lines = await disclosuresStore.lines(em, row.id, { afterSeq: page.afterSeq ?? 0, limit: Math.min(page.limit ?? 1000, 5000) });
    const parties = await partiesByIds(
      em,
      lines.map((l) => l.party_id),
    );
    return lines.map((l) => ({
      seq: l.seq,
      party: parties.get(l.party_id)?.code ?? l.party_id,
      name: parties.get(l.party_id)?.name ?? '',
      shownName: l.shown_name,
      role: l.role,
      units: new Dec(l.units).toFixed(0),
      amount: l.amount === null ? null : new Dec(l.amount).toFixed(2),
    }));
  }

  /** What a village's public page shows: current and past rounds with their masked lists. Unknown codes and non-villages are 404s. */
  async publicVillage(villageCode: string): Promise<PublicVillageDisclosures> {
    const em = this.dataSource.manager;
    const region = await this.regions.find(villageCode, em);
    if (!region || region.level !== 'VILLAGE') throw new DisclosureError('UNKNOWN_DISCLOSURE', `no village with code ${JSON.stringify(villageCode)}`, 'code');
    const chain = (await villageChains(em, [region.id])).get(region.id);
    const rows = await disclosuresStore.list(em, { villageIds: [region.id], limit: LIST_LIMIT });
    const today = businessToday();
    const current = rows.filter((r) => r.state === 'PUBLISHED');
    const past = rows.filter((r) => r.state !== 'PUBLISHED').slice(0, PAST_LIMIT);
    const publicOf = await this.publicViews(em, [...current, ...past], today);
    return {
      village: { code: region.code, name: region.name, township: chain?.township?.name ?? null, county: chain?.county?.name ?? null },
      today,
      current: current.map((r) => publicOf.get(r.id)!),
      past: past.map((r) => publicOf.get(r.id)!),
    };
  }

  /** One round as the public sees it, with its village (for the printed notice). */
  async publicDisclosure(id: string): Promise<{ disclosure: PublicDisclosure; village: PublicVillageDisclosures['village']; today: string }> {
    const em = this.dataSource.manager;
    const row = await this.load(em, id, false);
    const chain = (await villageChains(em, [row.village_id])).get(row.village_id)!;
    const today = businessToday();
    return {
      disclosure: (await this.publicViews(em, [row], today)).get(row.id)!,
      village: { code: chain.village.code, name: chain.village.name, township: chain.township?.name ?? null, county: chain.county?.name ?? null },
      today,
    };
  }

  private async publicViews(em: EntityManager, rows: DisclosureRow[], today: string): Promise<Map<string, PublicDisclosure>> {
    const objections = await disclosuresStore.objections(
      em,
      rows.map((r) => r.id),
    );
    const out = new Map<string, PublicDisclosure>();
    for (const r of rows) {
      const mine = objections.filter((o) => o.disclosure_id === r.id);
      const phase = phaseOf({ state: r.state, endsOn: r.ends_on }, r.open_objections, today);
      const lines = await disclosuresStore.lines(em, r.id);
      out.set(r.id, {
        id: r.id,
        kind: r.subject_kind,
        kindLabel: SUBJECT_LABELS[r.subject_kind],
        title: r.title,
        round: r.round,
        phase,
        phaseLabel: PHASE_LABELS[phase],
        publishedOn: r.published_on,
        startsOn: r.starts_on,
        endsOn: r.ends_on,
        days: r.days,
        totalUnits: new Dec(r.total_units).toFixed(0),
        totalAmount: r.total_amount === null ? null : new Dec(r.total_amount).toFixed(2),
        objections: { open: r.open_objections, upheld: mine.filter((o) => o.state === 'UPHELD').length, dismissed: mine.filter((o) => o.state === 'DISMISSED').length },
        lines: lines.map((l) => ({ seq: l.seq, name: l.shown_name, units: new Dec(l.units).toFixed(0), amount: l.amount === null ? null : new Dec(l.amount).toFixed(2) })),
      });
    }
    return out;
  }

  private async load(em: EntityManager, id: string, lock: boolean): Promise<DisclosureRow> {
    const row = isBigintId(String(id)) ? await disclosuresStore.get(em, id, lock) : undefined;
    if (!row) throw new DisclosureError('UNKNOWN_DISCLOSURE', `no disclosure ${JSON.stringify(id)}`, 'id');
    return row;
  }

  private async views(em: EntityManager, rows: DisclosureRow[]): Promise<DisclosureView[]> {
    const chains = await villageChains(
      em,
      rows.map((r) => r.village_id),
    );
    const objections = await disclosuresStore.objections(
      em,
      rows.map((r) => r.id),
    );
    const today = businessToday();
    return rows.map((r) => ({
      id: r.id,
      subjectKind: r.subject_kind,
      subjectId: r.subject_id,
      round: r.round,
      title: r.title,
      village: { code: chains.get(r.village_id)?.village.code ?? '', name: chains.get(r.village_id)?.village.name ?? '' },
      state: r.state,
      phase: phaseOf({ state: r.state, endsOn: r.ends_on }, r.open_objections, today),
      params: r.params,
      days: r.days,
      publishedOn: r.published_on,
      startsOn: r.starts_on,
      endsOn: r.ends_on,
      clearsOn: disclosurePeriod(r.published_on, r.days).clearsOn,
      totalUnits: new Dec(r.total_units).toFixed(0),
      totalAmount: r.total_amount === null ? null : new Dec(r.total_amount).toFixed(2),
      lineCount: r.line_count,
      publishedBy: r.published_by,
      publishedAt: r.published_at.toISOString(),
      closedBy: r.closed_by,
      closedAt: r.closed_at?.toISOString() ?? null,
      closeReason: r.close_reason,
      concludedByAct: r.concluded_by_act,
      objections: objections.filter((o) => o.disclosure_id === r.id).map(objectionView),
    }));
  }
}

function objectionView(o: ObjectionRow): ObjectionView {
  return {
    id: o.id,
    raisedBy: o.raised_by,
    raisedOn: o.raised_on,
    text: o.text,
    state: o.state,
    recordedBy: o.recorded_by,
    recordedAt: o.recorded_at.toISOString(),
    resolution: o.resolution,
    resolvedBy: o.resolved_by,
    resolvedAt: o.resolved_at?.toISOString() ?? null,
  };
}
