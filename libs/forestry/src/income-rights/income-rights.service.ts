import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, LedgerReads } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { namedLines, requireClearedDisclosure, SubjectPlan, villageOfParty } from '../disclosures/disclosure-gate';
import { partiesByCodes, villagersAsOf } from '../parties/party-refs';
import { isHouseholdHead } from '../parties/roster-import';
import { addYears, ProjectRecord, ProjectsService, ProjectParcelView } from '../projects/projects.service';
import { listProjectsOfKind } from '../projects/projects.store';
import { businessToday, projectWallet } from '../projects/project-accounts';
import { ProjectError } from '../projects/projects.errors';
import { IssuanceHolding, IssuancePlanError } from '../tickets/issuance-plan';
import { IssuanceOutcome, SeriesService, SERIES_CODE_PATTERN } from '../tickets/series.service';
import { seriesOfProjects } from '../tickets/series-refs';
import { TRANSFER_RESTRICTIONS, TransferRestriction } from '../tickets/ticket.model';
import { progress, ProgressView, progressWorkbook, setTargets, TargetView } from './income-right-progress';
import * as store from './income-rights.store';
import { IncomeRightError, invalidScheme, schemeInput } from './income-rights.errors';
import { CensusHousehold, QUANTIFICATION_BASES, QuantificationBasis, QuantificationSplit, quantify, weightsOf } from './quantification';

/** A scheme's term: the collective's own land, up to the 70 years of a forest-land contract (农村土地承包法 §21). */
export const SCHEME_TERM_YEARS = { min: 1, max: 70 } as const;
const requireText = (value: unknown, field: string): string => schemeInput.requireText(value, field);
const requireDate = (value: unknown, field: string): string => schemeInput.requireDate(value, field);

export interface CreateSchemeInput {
  code: string;
  name: string;
  collectiveCode: string;
  parcelIds: string[];
  areaMu: string;
  startDate: string;
  termYears: number;
  /** Roster date the households and persons are counted on (≤ today). */
  censusDate: string;
  basis: QuantificationBasis;
  /** WEIGHTED: the household part of the pool (0..1), entered by the collective's office; the person part is the rest. */
  householdWeight?: string;
  /** Share the collective keeps (集体股), default "0". */
  retainedRatio?: string;
  /** Whole units of the scheme, e.g. "100000". */
  totalUnits: string;
  /** CNY per unit printed on the certificate (折股量化 value), e.g. "1.00". */
  faceValue: string;
}

export interface SchemeView {
  code: string;
  name: string;
  state: string;
  collective: { code: string; name: string };
  parcels: ProjectParcelView[];
  areaMu: string;
  startDate: string;
  termYears: number;
  endDate: string;
  censusDate: string;
  rule: { basis: QuantificationBasis; householdWeight: string; personWeight: string; retainedRatio: string };
  totalUnits: string;
  faceValue: string;
  /** The scheme's income account: rent, carbon shares and other income are received here, then declared as dividends (/v1/dividends). */
  walletAccount: string;
  walletBalance: string;
  /** Null until issued. */
  seriesCode: string | null;
  issuedOn: string | null;
}

export interface SchemeHoldingView {
  certificateNo: string;
  party: string;
  name: string;
  /** The household (MEMBER holdings), its head holding for all; null for the collective's own holding. */
  household: string | null;
  persons: number | null;
  role: 'COLLECTIVE' | 'MEMBER';
  units: string;
}

export interface SchemePlanView {
  scheme: string;
  seriesCode: string;
  censusDate: string;
  totalUnits: string;
  faceValue: string;
  split: QuantificationSplit;
  holdings: SchemeHoldingView[];
}

export interface SchemeIssueInput {
  seriesCode: string;
  name?: string;
  /** Default COLLECTIVE_MEMBERS: units pass only among the collective and its members (inheritance exempt). */
  transferRestriction?: TransferRestriction;
  issuedOn?: string;
}

export interface SchemeIssuanceView {
  scheme: SchemeView;
  split: QuantificationSplit;
  issuance: IssuanceOutcome;
}

/**
 * Collective income-right schemes (集体林地收益权证书, issue 18 §2): a collective alone quantifies its
 * land's income right into whole units per household (quantification.ts) and issues them. A scheme is
 * a project of kind INCOME_RIGHT, so its units are a 林票-style series: same register, certificates,
 * movements (restriction, inheritance, pledges), income and dividends; only the plan differs.
 */
@Injectable()
export class IncomeRightsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly projects: ProjectsService,
    private readonly series: SeriesService,
    private readonly reads: LedgerReads,
  ) {}

  async create(em: EntityManager, input: CreateSchemeInput): Promise<SchemeView> {
    const censusDate = requireDate(input.censusDate, 'censusDate');
    const today = businessToday();
    if (censusDate > today) throw invalidScheme(`censusDate ${censusDate} is after today ${today}: the roster is counted as it stood`, 'censusDate');
    if (!QUANTIFICATION_BASES.includes(input.basis)) throw invalidScheme(`basis must be one of ${QUANTIFICATION_BASES.join(', ')}`, 'basis');
    if (input.basis !== 'WEIGHTED' && input.householdWeight !== undefined) throw invalidScheme('householdWeight is for a WEIGHTED rule only', 'householdWeight');
    const weights = weightsOf(input.basis, input.householdWeight);
    const totalUnits = Amount.parsePositive(input.totalUnits, 0, 'totalUnits').value;
    const faceValue = Amount.parsePositive(input.faceValue, 2, 'faceValue').value;
    const project = await this.projects.createIncomeRight(
      em,
      {
        code: input.code,
        name: input.name,
        collectiveCode: input.collectiveCode,
        parcelIds: input.parcelIds,
        areaMu: input.areaMu,
        startDate: input.startDate,
        termYears: input.termYears,
        retainedRatio: input.retainedRatio ?? '0',
      },
      SCHEME_TERM_YEARS,
    );
    const record = await this.projects.load(em, project.code);
    await store.insertScheme(em, {
      project_id: record.id,
      census_date: censusDate,
      basis: input.basis,
      household_weight: weights.household.toString(),
      person_weight: weights.person.toString(),
      face_value: faceValue.toFixed(2),
      total_units: totalUnits.toFixed(0),
    });
    return this.get(project.code, em);
  }

  async get(code: string, em: EntityManager = this.dataSource.manager): Promise<SchemeView> {
    const { project, scheme } = await this.load(em, code);
    return this.view(em, project, scheme);
  }

  async list(em: EntityManager = this.dataSource.manager): Promise<SchemeView[]> {
    const rows = await listProjectsOfKind(em, 'INCOME_RIGHT');
    const out: SchemeView[] = [];
    for (const r of rows) out.push(await this.get(r.code, em));
    return out;
  }

  /** The issuance as it would be made now, nothing written: the split and every household's holding with its head's name. */
  async preview(code: string, seriesCode: string, em: EntityManager = this.dataSource.manager): Promise<SchemePlanView> {
    const { project, scheme } = await this.load(em, code);
    if (project.state !== 'DRAFT') throw new ProjectError('PROJECT_NOT_DRAFT', `scheme ${code} is ${project.state}: its certificates are issued already`, 'scheme');
    return this.plan(em, project, scheme, this.seriesCodeOf(seriesCode));
  }

  /**
   * Issues the scheme's units and certificates (one holding per household, in its head's name; the
   * collective keeps what its ratio retains and what cannot be divided equally), in one use case and
   * the caller's transaction. Where the village's region asks for it, the list must have been
   * published (公示, issue 18 §3) and cleared, as for a 林票 issuance. A replay with the same key
   * answers with the same issuance.
   */
  async issue(em: EntityManager, code: string, input: SchemeIssueInput, key: string): Promise<SchemeIssuanceView> {
    const { project, scheme } = await this.load(em, code, true);
    if (project.state !== 'DRAFT') {
      const issued = (await seriesOfProjects(em, [project.id])).get(project.id);
      if (issued) {
        const outcome = await this.series.issuanceOutcome(em, issued.code);
        if ((await this.reads.entryKeys(em, [outcome.entryIds[0]])).get(outcome.entryIds[0]) === `ticket-issuance:${key}:1`) {
          const split = (await this.plan(em, project, scheme, issued.code)).split;
          return { scheme: await this.view(em, project, scheme), split, issuance: outcome };
        }
      }
      throw new ProjectError('PROJECT_NOT_DRAFT', `scheme ${code} is ${project.state}: its certificates are issued already`, 'scheme');
    }
    const seriesCode = this.seriesCodeOf(input.seriesCode);
    const restriction = input.transferRestriction ?? 'COLLECTIVE_MEMBERS';
    if (!TRANSFER_RESTRICTIONS.includes(restriction)) throw invalidScheme(`transferRestriction must be one of ${TRANSFER_RESTRICTIONS.join(', ')}`, 'transferRestriction');
    const today = businessToday();
    const issuedOn = input.issuedOn === undefined ? today : requireDate(input.issuedOn, 'issuedOn');
    if (issuedOn > today || issuedOn < scheme.census_date)
      throw invalidScheme(`issuedOn ${issuedOn} must lie between the census date ${scheme.census_date} and today ${today}`, 'issuedOn');
    const name = input.name === undefined ? `集体林地收益权 ${project.name}` : requireText(input.name, 'name');
    const plan = await this.plan(em, project, scheme, seriesCode);
    await requireClearedDisclosure(em, {
      subject: { kind: 'INCOME_RIGHT_ISSUANCE', id: project.code },
      villageId: await villageOfParty(em, project.collective_party_id),
      plan: () => this.disclosurePlanOf(em, project, plan),
      act: `收益权证书发放 ${seriesCode}`,
      userId: null,
    });
    const holdings: IssuanceHolding[] = plan.holdings.map((h) => ({
      party: h.party,
      role: h.role,
      units: h.units,
      certificateNo: h.certificateNo,
      ...(h.household === null ? {} : { household: h.household }),
    }));
    const issuance = await this.series.issuePlanned(
      em,
      project,
      { seriesCode, name, issuedOn, transferRestriction: restriction, label: '收益权证书发行' },
      { faceValue: plan.faceValue, totalUnits: plan.totalUnits, holdings, split: { scheme: code, ...plan.split } },
      key,
    );
    return { scheme: await this.view(em, (await this.load(em, code)).project, scheme), split: plan.split, issuance };
  }

  /** The list to publish in the village (公示) before issuing: each household head's units, and the collective's. */
  async disclosurePlan(em: EntityManager, code: string, seriesCode: string): Promise<SubjectPlan> {
    const { project, scheme } = await this.load(em, code);
    if (project.state !== 'DRAFT') throw new ProjectError('PROJECT_NOT_DRAFT', `scheme ${code} is ${project.state}: its certificates are issued already`, 'scheme');
    return this.disclosurePlanOf(em, project, await this.plan(em, project, scheme, this.seriesCodeOf(seriesCode)));
  }

  private async disclosurePlanOf(
    em: EntityManager,
    project: ProjectRecord,
    plan: { totalUnits: string; faceValue: string; holdings: Array<{ party: string; role: string; units: string }> },
  ): Promise<SubjectPlan> {
    return {
      title: `${project.name} 集体林地收益权证书发放：共 ${plan.totalUnits} 份（每份 ${plan.faceValue} 元）`,
      villageId: await villageOfParty(em, project.collective_party_id),
      params: { faceValue: plan.faceValue, totalUnits: plan.totalUnits },
      lines: await namedLines(
        em,
        plan.holdings.map((h) => ({ party: h.party, units: h.units, amount: null, role: h.role })),
      ),
    };
  }

  /** Households issued / to issue per village and township of a region, against the county's dates (JSON; progressWorkbook for Excel). */
  async progress(regionCode: string, asOf?: string): Promise<ProgressView> {
    return progress(this.dataSource.manager, regionCode, asOf);
  }

  async progressWorkbook(regionCode: string, asOf?: string): Promise<{ fileName: string; buffer: Buffer }> {
    return progressWorkbook(await this.progress(regionCode, asOf));
  }

  /** The county's issuance dates (e.g. 40 % by 07-31, 80 % by 08-31, all by 09-30), replacing the previous ones. */
  async setTargets(em: EntityManager, countyCode: string, targets: TargetView[]): Promise<TargetView[]> {
    return setTargets(em, countyCode, targets);
  }

  /** The scheme by code; any other project is an unknown scheme (404). `lock` takes the project's row lock. */
  private async load(em: EntityManager, code: string, lock = false): Promise<{ project: ProjectRecord; scheme: store.SchemeRow }> {
    let project: ProjectRecord | undefined;
    try {
      project = await this.projects.load(em, code, { lock });
    } catch (error) {
      if (!(error instanceof ProjectError && error.code === 'UNKNOWN_PROJECT')) throw error;
    }
    const scheme = project?.project_kind === 'INCOME_RIGHT' ? (await store.schemesByProjectIds(em, [project.id])).get(String(project.id)) : undefined;
    if (!project || !scheme) throw new IncomeRightError('UNKNOWN_SCHEME', `no income-right scheme ${JSON.stringify(code)}`, 'scheme');
    return { project, scheme };
  }

  private seriesCodeOf(value: unknown): string {
    if (typeof value !== 'string' || !SERIES_CODE_PATTERN.test(value))
      throw invalidScheme('seriesCode must be 1-40 of capital letters, digits, ".", "_", "-" (e.g. SY-DXG-2026)', 'seriesCode');
    return value;
  }

  /** The roster on the census date, one claim per household, quantified; holdings numbered: the collective first, then households by code. */
  private async plan(
    em: EntityManager,
    project: ProjectRecord,
    scheme: store.SchemeRow,
    seriesCode: string,
  ): Promise<SchemePlanView & { holdings: Array<SchemeHoldingView & { certificateNo: string }> }> {
    const villagers = await villagersAsOf(em, project.collective_party_id, scheme.census_date);
    const byHousehold = new Map<string, { persons: number; heads: Array<{ code: string; active: boolean }> }>();
    for (const v of villagers) {
      const h = byHousehold.get(v.household) ?? { persons: 0, heads: [] };
      h.persons += 1;
      if (isHouseholdHead(v.relation)) h.heads.push({ code: v.code, active: v.active });
      byHousehold.set(v.household, h);
    }
    const wrong = [...byHousehold].filter(([, h]) => h.heads.length !== 1 || !h.heads[0].active);
    if (wrong.length > 0) {
      throw new IssuancePlanError(
        'HOUSEHOLD_HEAD',
        `each household's units go to its head (户主), one active head per household on the census date ${scheme.census_date}; not so for: ${wrong
          .slice(0, 20)
          .map(([h, x]) => `${h} (${x.heads.length === 0 ? 'no head' : x.heads.length > 1 ? `${x.heads.length} heads` : `head ${x.heads[0].code} deactivated`})`)
          .join('; ')}`,
        'censusDate',
        { households: wrong.map(([h, x]) => ({ household: h, heads: x.heads.map((m) => m.code) })) },
      );
    }
    const census: CensusHousehold[] = [...byHousehold].map(([household, h]) => ({ household, head: h.heads[0].code, persons: h.persons }));
    const q = quantify({
      totalUnits: scheme.total_units,
      retainedRatio: new Dec(project.collective_retained_ratio).toString(),
      basis: scheme.basis,
      householdWeight: new Dec(scheme.household_weight).toString(),
      households: census,
    });
    const names = await partiesByCodes(em, [project.collective_code, ...q.holdings.map((h) => h.head)]);
    const drafts: SchemeHoldingView[] = [
      ...(new Dec(q.split.collectiveUnits).greaterThan(0)
        ? [
            {
              certificateNo: '',
              party: project.collective_code,
              name: project.collective_name,
              household: null,
              persons: null,
              role: 'COLLECTIVE' as const,
              units: q.split.collectiveUnits,
            },
          ]
        : []),
      ...q.holdings.map((h) => ({
        certificateNo: '',
        party: h.head,
        name: names.get(h.head)?.name ?? h.head,
        household: h.household,
        persons: h.persons,
        role: 'MEMBER' as const,
        units: h.units,
      })),
    ];
    return {
      scheme: project.code,
      seriesCode,
      censusDate: scheme.census_date,
      totalUnits: q.totalUnits,
      faceValue: new Dec(scheme.face_value).toFixed(2),
      split: q.split,
      holdings: drafts.map((d, i) => ({ ...d, certificateNo: `${seriesCode}-${String(i + 1).padStart(6, '0')}` })),
    };
  }

  private async view(em: EntityManager, project: ProjectRecord, scheme: store.SchemeRow): Promise<SchemeView> {
    const series = (await seriesOfProjects(em, [project.id])).get(String(project.id));
    const issued = series ? await this.series.get(series.code, null, em) : null;
    const wallet = (await this.reads.balances(em, [projectWallet(project.code)])).get(projectWallet(project.code)) ?? new Dec(0);
    return {
      code: project.code,
      name: project.name,
      state: project.state,
      collective: { code: project.collective_code, name: project.collective_name },
      parcels: await this.projects.parcelsOf(em, project.id),
      areaMu: new Dec(project.area_mu).toFixed(4),
      startDate: project.start_date,
      termYears: project.term_years,
      endDate: addYears(project.start_date, project.term_years),
      censusDate: scheme.census_date,
      rule: {
        basis: scheme.basis,
        householdWeight: new Dec(scheme.household_weight).toString(),
        personWeight: new Dec(scheme.person_weight).toString(),
        retainedRatio: new Dec(project.collective_retained_ratio).toString(),
      },
      totalUnits: new Dec(scheme.total_units).toFixed(0),
      faceValue: new Dec(scheme.face_value).toFixed(2),
      walletAccount: projectWallet(project.code),
      walletBalance: wallet.toFixed(2),
      seriesCode: series?.code ?? null,
      issuedOn: issued?.issuedOn ?? null,
    };
  }
}
