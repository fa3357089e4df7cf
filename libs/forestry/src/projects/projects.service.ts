import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { Env } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import type { OwnerScope } from '@forest-ledger/access';
import { lockParcelsForAttachment, parcelsByIds } from '../parcels/parcel-refs';
import { ParcelsService } from '../parcels/parcels.service';
import { WALLET_ASSET } from '../parties/parties.service';
import { PartyRef, partiesByCodes, partiesByIds } from '../parties/party-refs';
import { findSeriesOfProject, lockSeriesOfProject } from '../tickets/series.store';
import { businessToday, PLATFORM_ACCOUNTS, projectAccounts, projectCommitments, projectWallet } from './project-accounts';
import { MEMBER_WEIGHTINGS, PROJECT_TYPES, ProjectKind, ProjectState, ProjectType } from './project.model';
import { invalidProject, ProjectError, projectInput } from './projects.errors';
import { CallInput, ContributionInput, ContributionOutcome, ContributionView, ProjectContributions } from './project-contributions';

export type { CallInput, ContributionInput, ContributionOutcome, ContributionView } from './project-contributions';
import * as store from './projects.store';
import { ProjectRow } from './projects.store';

export const PROJECT_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;
const AREA_SCALE = 4;
const RATIO_SCALE = 6;

export interface GuaranteeInput {
  /** The guarantee as agreed, in words (保底条款). */
  description?: string;
  /** CNY per unit the farm guarantees to buy back at. */
  buyBackPrice?: string;
  /** m³ per 亩 guaranteed at harvest, valued at referencePrice CNY per m³. */
  yieldPerMu?: string;
  referencePrice?: string;
}

export interface CreateProjectInput {
  code: string;
  name: string;
  farmCode: string;
  collectiveCode: string;
  projectType: ProjectType;
  parcelIds: string[];
  /** 亩, up to 4 decimals, at most the parcels' total. */
  areaMu: string;
  startDate: string;
  termYears: number;
  /** Share of project income, e.g. "0.08". */
  managementFeeRate: string;
  /** Level-2 share of the collective's units it keeps; default "0.30". */
  collectiveRetainedRatio?: string;
  memberWeighting?: 'PER_PERSON' | 'PER_HOUSEHOLD';
  guarantee?: GuaranteeInput;
}

export interface ProjectParcelView {
  id: string;
  certificateNo: string;
  areaMu: string;
  location: string;
}

export interface ProjectView {
  code: string;
  name: string;
  state: ProjectState;
  projectKind: ProjectKind;
  /** The state farm; null for a collective's income-right scheme (INCOME_RIGHT). */
  farm: { code: string; name: string } | null;
  collective: { code: string; name: string };
  projectType: ProjectType;
  areaMu: string;
  parcels: ProjectParcelView[];
  parcelsAreaMu: string;
  startDate: string;
  termYears: number;
  endDate: string;
  managementFeeRate: string;
  collectiveRetainedRatio: string;
  memberWeighting: 'PER_PERSON' | 'PER_HOUSEHOLD';
  guarantee: { description: string | null; buyBackPrice: string | null; yieldPerMu: string | null; referencePrice: string | null };
  /** Sum of all contributions (paid, committed and in kind), CNY. */
  totalContributions: string;
  contributions: ContributionView[];
  walletAccount: string;
  walletBalance: string;
  seriesCode: string | null;
  createdAt: string;
  activatedAt: string | null;
  closedAt: string | null;
}

/** A project row with its farm's and collective's codes and names, as the 林票 services need it (locked or not). */
export interface ProjectRecord extends ProjectRow {
  /** Null for an INCOME_RIGHT scheme (the collective alone). */
  farm_code: string | null;
  farm_name: string | null;
  collective_code: string;
  collective_name: string;
}

const invalid = invalidProject;
const { requireText, optionalText, requireDate } = projectInput;

function ratio(value: unknown, field: string): Dec {
  const d = Amount.parse(value, RATIO_SCALE, field).value;
  if (d.greaterThan(1)) throw invalid(`${field} must lie between 0 and 1; got ${String(value)}`, field);
  return d;
}

/** `start` plus whole years (29 February falls back to 28 February). */
export function addYears(start: string, years: number): string {
  const [y, m, d] = start.split('-').map(Number);
  const date = new Date(Date.UTC(y + years, m - 1, d));
  if (date.getUTCMonth() !== m - 1) date.setUTCDate(0);
  return date.toISOString().slice(0, 10);
}

/**
 * Cooperation projects (合作经营项目) and the contributions that become their 林票 (DOMAIN.md §3).
 * Every write runs in the caller's transaction (`em`) and posts its ledger entry there.
 */
@Injectable()
export class ProjectsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly parcels: ParcelsService,
    private readonly env: Env,
    reads: LedgerReads,
  ) {
    this.contributionsOf = new ProjectContributions(ledger, reads, this);
  }

  private readonly contributionsOf: ProjectContributions;

  async create(em: EntityManager, input: CreateProjectInput): Promise<ProjectView> {
    const code = requireText(input.code, 'code', 40);
    if (!PROJECT_CODE_PATTERN.test(code)) throw invalid('code must be 1-40 of capital letters, digits, ".", "_", "-", starting with a letter or digit', 'code');
    const name = requireText(input.name, 'name');
    if (!PROJECT_TYPES.includes(input.projectType)) throw invalid(`projectType must be one of ${PROJECT_TYPES.join(', ')}`, 'projectType');
    const areaMu = Amount.parsePositive(input.areaMu, AREA_SCALE, 'areaMu').value;
    const startDate = requireDate(input.startDate, 'startDate');
    const { PROJECT_TERM_MIN_YEARS: min, PROJECT_TERM_MAX_YEARS: max } = this.env;
    if (!Number.isInteger(input.termYears) || input.termYears < min || input.termYears > max) {
      throw new ProjectError('TERM_OUT_OF_RANGE', `termYears must be a whole number of years from ${min} to ${max}; got ${String(input.termYears)}`, 'termYears', { min, max });
    }
    const feeRate = ratio(input.managementFeeRate, 'managementFeeRate');
    const retained = ratio(input.collectiveRetainedRatio ?? '0.30', 'collectiveRetainedRatio');
    const weighting = input.memberWeighting ?? 'PER_PERSON';
    if (!MEMBER_WEIGHTINGS.includes(weighting)) throw invalid(`memberWeighting must be one of ${MEMBER_WEIGHTINGS.join(', ')}`, 'memberWeighting');
    const guarantee = input.guarantee ?? {};
    const buyBackPrice = guarantee.buyBackPrice === undefined ? null : Amount.parsePositive(guarantee.buyBackPrice, 2, 'guarantee.buyBackPrice').value;
    const yieldPerMu = guarantee.yieldPerMu === undefined ? null : Amount.parsePositive(guarantee.yieldPerMu, 4, 'guarantee.yieldPerMu').value;
    const referencePrice = guarantee.referencePrice === undefined ? null : Amount.parsePositive(guarantee.referencePrice, 2, 'guarantee.referencePrice').value;
    if ((yieldPerMu === null) !== (referencePrice === null)) {
      throw invalid('a guaranteed yield needs its reference price, and the other way round', yieldPerMu === null ? 'guarantee.yieldPerMu' : 'guarantee.referencePrice');
    }
    const description = optionalText(guarantee.description, 'guarantee.description');

    const parties = await partiesByCodes(em, [input.farmCode, input.collectiveCode]);
    const farm = this.requireParty(parties, input.farmCode, 'farmCode', 'STATE_FARM');
    const collective = this.requireParty(parties, input.collectiveCode, 'collectiveCode', 'COLLECTIVE');
    const parcels = await this.freeParcels(em, input.parcelIds, areaMu);

    const id = await store.insertProject(em, {
      code,
      name,
      project_kind: 'COOPERATION',
      farm_party_id: farm.id,
      collective_party_id: collective.id,
      project_type: input.projectType,
      area_mu: areaMu.toFixed(AREA_SCALE),
      start_date: startDate,
      term_years: input.termYears,
      management_fee_rate: feeRate.toString(),
      collective_retained_ratio: retained.toString(),
      member_weighting: weighting,
      guarantee_description: description,
      guaranteed_buy_back_price: buyBackPrice?.toFixed(2) ?? null,
      guaranteed_yield_per_mu: yieldPerMu?.toFixed(4) ?? null,
      guarantee_reference_price: referencePrice?.toFixed(2) ?? null,
    });
    return this.finishCreate(em, id, code, parcels);
  }

  /**
   * A collective's income-right scheme (集体林地收益权, issue 18 §2) as a DRAFT project of kind
   * INCOME_RIGHT: the collective alone (no farm, no contributions, no management fee), its parcels held
   * like a cooperation project's (attachable, in no other open project), one holding per household.
   * The scheme's own rule lives with the income-rights feature, which calls this in its transaction.
   */
  async createIncomeRight(
    em: EntityManager,
    input: { code: string; name: string; collectiveCode: string; parcelIds: string[]; areaMu: string; startDate: string; termYears: number; retainedRatio: string },
    termLimits: { min: number; max: number },
  ): Promise<ProjectView> {
    const code = requireText(input.code, 'code', 40);
    if (!PROJECT_CODE_PATTERN.test(code)) throw invalid('code must be 1-40 of capital letters, digits, ".", "_", "-", starting with a letter or digit', 'code');
    const name = requireText(input.name, 'name');
    const areaMu = Amount.parsePositive(input.areaMu, AREA_SCALE, 'areaMu').value;
    const startDate = requireDate(input.startDate, 'startDate');
    if (!Number.isInteger(input.termYears) || input.termYears < termLimits.min || input.termYears > termLimits.max) {
      throw new ProjectError(
        'TERM_OUT_OF_RANGE',
        `termYears must be a whole number of years from ${termLimits.min} to ${termLimits.max}; got ${String(input.termYears)}`,
        'termYears',
        termLimits,
      );
    }
    const retained = ratio(input.retainedRatio, 'retainedRatio');
    const parties = await partiesByCodes(em, [input.collectiveCode]);
    const collective = this.requireParty(parties, input.collectiveCode, 'collectiveCode', 'COLLECTIVE');
    // The collective's own land (村集体统一经营的林地): every parcel held by it.
    const parcels = await this.freeParcels(em, input.parcelIds, areaMu, collective);
    const id = await store.insertProject(em, {
      code,
      name,
      project_kind: 'INCOME_RIGHT',
      farm_party_id: null,
      collective_party_id: collective.id,
      project_type: 'EXISTING_FOREST',
      area_mu: areaMu.toFixed(AREA_SCALE),
      start_date: startDate,
      term_years: input.termYears,
      management_fee_rate: '0',
      collective_retained_ratio: retained.toString(),
      member_weighting: 'PER_HOUSEHOLD',
      guarantee_description: null,
      guaranteed_buy_back_price: null,
      guaranteed_yield_per_mu: null,
      guarantee_reference_price: null,
    });
    return this.finishCreate(em, id, code, parcels);
  }

  private async finishCreate(em: EntityManager, id: string | null, code: string, parcels: Array<{ id: string }>): Promise<ProjectView> {
    if (id === null) throw new ProjectError('PROJECT_EXISTS', `a project with code ${code} exists already`, 'code');
    await store.attachParcels(
      em,
      id,
      parcels.map((p) => p.id),
    );
    await this.ledger.ensureAsset(em, WALLET_ASSET);
    for (const account of [...PLATFORM_ACCOUNTS, ...projectAccounts(code)]) await this.ledger.ensureAccount(em, account);
    return this.view(em, await this.load(em, code));
  }

  /** The parcels, locked, attachable, under no other open project (of either kind), and their area at least `areaMu`. */
  private async freeParcels(em: EntityManager, parcelIds: string[], areaMu: Dec, holder?: PartyRef) {
    if (!Array.isArray(parcelIds) || parcelIds.length === 0) throw invalid('parcelIds must list at least one parcel', 'parcelIds');
    const input = { parcelIds };
    // Locked before the check, so two projects created at once cannot both find the parcels free (FOR SHARE alone does not exclude them).
    await lockParcelsForAttachment(em, input.parcelIds);
    const parcels = await this.parcels.assertAttachable(em, input.parcelIds, 'COOPERATION_PROJECT');
    const certificateOf = new Map(parcels.map((p) => [p.id, p.certificateNo]));
    const busy = (
      await store.parcelsInOpenProjects(
        em,
        parcels.map((p) => p.id),
      )
    ).map((b) => ({ ...b, certificate_no: certificateOf.get(b.parcel_id)! }));
    if (busy.length > 0) {
      throw new ProjectError('PARCEL_IN_OTHER_PROJECT', `parcel(s) already under an open project: ${busy.map((b) => `${b.certificate_no} (${b.code})`).join(', ')}`, 'parcelIds', {
        parcels: busy.map((b) => ({ parcelId: b.parcel_id, certificateNo: b.certificate_no, project: b.code })),
      });
    }
    if (holder !== undefined) {
      const refs = await parcelsByIds(
        em,
        parcels.map((p) => p.id),
      );
      const others = [...refs.values()].filter((p) => p.holderPartyId !== holder.id);
      if (others.length > 0) {
        throw new ProjectError('PARCEL_NOT_HELD', `parcel(s) not held by ${holder.code}: ${others.map((p) => p.certificateNo).join(', ')}`, 'parcelIds', {
          parcels: others.map((p) => ({ parcelId: p.id, certificateNo: p.certificateNo })),
        });
      }
    }
    const parcelsArea = parcels.reduce((sum, p) => sum.plus(p.areaMu), new Dec(0));
    if (areaMu.greaterThan(parcelsArea)) {
      throw new ProjectError('AREA_EXCEEDS_PARCELS', `areaMu ${areaMu.toFixed(AREA_SCALE)} is more than the parcels' ${parcelsArea.toFixed(AREA_SCALE)} 亩`, 'areaMu', {
        parcelsAreaMu: parcelsArea.toFixed(AREA_SCALE),
      });
    }

    return parcels;
  }

  /** A project the scope may see: staff see all, a farm or collective its own; any other is the same 404. */
  async get(code: string, scope: OwnerScope, em: EntityManager = this.dataSource.manager): Promise<ProjectView> {
    return this.view(em, await this.load(em, code, { scope }));
  }

  async list(scope: OwnerScope, filter: { state?: ProjectState } = {}): Promise<ProjectView[]> {
    const em = this.dataSource.manager;
    const rows = await this.withParties(em, await store.listProjects(em, { state: filter.state, partyIds: scope === null ? null : await scopePartyIds(em, scope) }));
    const views: ProjectView[] = [];
    for (const row of rows) views.push(await this.view(em, row));
    return views;
  }

  /**
   * Reads the project; `lock` takes its row FOR UPDATE (state changes, issuance). A project outside
   * `scope` is reported as unknown.
   */
  async load(em: EntityManager, code: string, options: { lock?: boolean; scope?: OwnerScope } = {}): Promise<ProjectRecord> {
    if (options.lock) await store.lockProject(em, code);
    const found = await store.findProject(em, code);
    const [row] = found ? await this.withParties(em, [found]) : [];
    const scope = options.scope ?? null;
    if (!row || (scope !== null && (row.farm_code === null || !scope.ownerRefs.includes(`party:${row.farm_code}`)) && !scope.ownerRefs.includes(`party:${row.collective_code}`))) {
      throw new ProjectError('UNKNOWN_PROJECT', `no project with code ${JSON.stringify(code)}`, 'project');
    }
    return row;
  }

  /** Records a contribution and posts its entry; only while the project is a draft (parameters freeze at issuance). */
  async addContribution(em: EntityManager, projectCode: string, input: ContributionInput, key: string): Promise<ContributionOutcome> {
    return this.contributionsOf.add(em, projectCode, input, key);
  }

  /** Calls a commitment: the money arrives (bank reference) and the commitment is settled, in one entry. Draft or active projects. */
  async callContribution(em: EntityManager, projectCode: string, contributionId: string, input: CallInput, key: string): Promise<ContributionOutcome> {
    return this.contributionsOf.call(em, projectCode, contributionId, input, key);
  }

  /** The contributions of a project, oldest first. */
  async contributions(em: EntityManager, projectId: string): Promise<ContributionView[]> {
    return this.contributionsOf.list(em, projectId);
  }

  /**
   * Closes an active project at the end of its term, once settled: nothing left in its wallet and
   * no commitment unpaid. Its 林票 cannot move after that.
   */
  async close(em: EntityManager, projectCode: string, closedOn: string = businessToday()): Promise<ProjectView> {
    const project = await this.load(em, projectCode, { lock: true });
    if (project.state !== 'ACTIVE') throw new ProjectError('PROJECT_NOT_ACTIVE', `project ${projectCode} is ${project.state}; only an active project can be closed`, 'project');
    // The series row too: movements lock it first, so none is booked while the project closes.
    await lockSeriesOfProject(em, project.id);
    requireDate(closedOn, 'closedOn');
    const endDate = addYears(project.start_date, project.term_years);
    if (closedOn < endDate) throw new ProjectError('TERM_NOT_ENDED', `project ${projectCode} runs until ${endDate}; it cannot close on ${closedOn}`, 'closedOn', { endDate });
    const today = businessToday();
    if (closedOn > today) throw invalid(`closedOn ${closedOn} is after today ${today}: a project closes once its term has ended, not in advance`, 'closedOn');
    const wallet = await this.ledger.getAccount(projectWallet(projectCode), em);
    const commitments = await this.ledger.getAccount(projectCommitments(projectCode), em);
    if (!new Dec(wallet.balance).isZero() || !new Dec(commitments.balance).isZero()) {
      throw new ProjectError(
        'PROJECT_NOT_SETTLED',
        `project ${projectCode} is not settled: wallet ${wallet.balance} CNY, unpaid commitments ${commitments.balance} CNY; both must be 0.00`,
        'project',
        { walletBalance: wallet.balance, unpaidCommitments: commitments.balance },
      );
    }
    await store.setProjectState(em, project.id, 'CLOSED');
    return this.view(em, await this.load(em, projectCode));
  }

  private requireParty(parties: Map<string, PartyRef>, code: string, field: string, kind: 'STATE_FARM' | 'COLLECTIVE'): PartyRef {
    const party = parties.get(code);
    if (!party) throw new ProjectError('WRONG_PARTY_KIND', `${field}: no party with code ${JSON.stringify(code)}`, field);
    if (party.kind !== kind) throw new ProjectError('WRONG_PARTY_KIND', `${field}: ${code} is a ${party.kind}, not a ${kind}`, field);
    if (!party.active) throw new ProjectError('WRONG_PARTY_KIND', `${field}: ${code} is deactivated`, field);
    return party;
  }

  /** The projects' parcels (id, certificate number, area, location), by certificate number. */
  async parcelsOf(em: EntityManager, projectId: string): Promise<ProjectParcelView[]> {
    const refs = await parcelsByIds(em, await store.projectParcelIds(em, projectId));
    return [...refs.values()].map((p) => ({ id: p.id, certificateNo: p.certificateNo, areaMu: new Dec(p.areaMu).toFixed(AREA_SCALE), location: p.location }));
  }

  /** Projects by id (unknown ids absent), with their parties' codes and names. */
  async recordsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, ProjectRecord>> {
    const records = await this.withParties(em, [...(await store.findProjectsByIds(em, ids)).values()]);
    return new Map(records.map((r) => [r.id, r]));
  }

  /** The ids of the projects of which one of these parties is the farm or the collective. */
  async idsOfParties(em: EntityManager, partyIds: readonly string[]): Promise<string[]> {
    return store.projectIdsOfParties(em, partyIds);
  }

  /** Marks the project ACTIVE (its 林票 issued; its parameters frozen from now on). */
  async activate(em: EntityManager, projectId: string): Promise<void> {
    await store.setProjectState(em, projectId, 'ACTIVE');
  }

  private async withParties(em: EntityManager, rows: ProjectRow[]): Promise<ProjectRecord[]> {
    const parties = await partiesByIds(
      em,
      rows.flatMap((r) => (r.farm_party_id === null ? [r.collective_party_id] : [r.farm_party_id, r.collective_party_id])),
    );
    return rows.map((r) => {
      const farm = r.farm_party_id === null ? null : parties.get(r.farm_party_id)!;
      const collective = parties.get(r.collective_party_id)!;
      return { ...r, farm_code: farm?.code ?? null, farm_name: farm?.name ?? null, collective_code: collective.code, collective_name: collective.name };
    });
  }

  private async view(em: EntityManager, row: ProjectRecord): Promise<ProjectView> {
    const parcels = await this.parcelsOf(em, row.id);
    const contributions = await this.contributions(em, row.id);
    const wallet = await this.ledger.getAccount(projectWallet(row.code), em);
    const series = await findSeriesOfProject(em, row.id);
    const dec = (v: string | null, places: number) => (v === null ? null : new Dec(v).toFixed(places));
    return {
      code: row.code,
      name: row.name,
      state: row.state,
      projectKind: row.project_kind,
      farm: row.farm_code === null ? null : { code: row.farm_code, name: row.farm_name! },
      collective: { code: row.collective_code, name: row.collective_name },
      projectType: row.project_type,
      areaMu: new Dec(row.area_mu).toFixed(AREA_SCALE),
      parcels,
      parcelsAreaMu: parcels.reduce((s, p) => s.plus(p.areaMu), new Dec(0)).toFixed(AREA_SCALE),
      startDate: row.start_date,
      termYears: row.term_years,
      endDate: addYears(row.start_date, row.term_years),
      managementFeeRate: new Dec(row.management_fee_rate).toString(),
      collectiveRetainedRatio: new Dec(row.collective_retained_ratio).toString(),
      memberWeighting: row.member_weighting,
      guarantee: {
        description: row.guarantee_description,
        buyBackPrice: dec(row.guaranteed_buy_back_price, 2),
        yieldPerMu: dec(row.guaranteed_yield_per_mu, 4),
        referencePrice: dec(row.guarantee_reference_price, 2),
      },
      totalContributions: contributions.reduce((s, c) => s.plus(c.amount), new Dec(0)).toFixed(2),
      contributions,
      walletAccount: wallet.code,
      walletBalance: wallet.balance,
      seriesCode: series?.code ?? null,
      createdAt: row.created_at.toISOString(),
      activatedAt: row.activated_at?.toISOString() ?? null,
      closedAt: row.closed_at?.toISOString() ?? null,
    };
  }
}

/** The parties a scope stands for (its `party:<code>` owner refs), by id. */
export async function scopePartyIds(em: EntityManager, scope: OwnerScope & object): Promise<string[]> {
  const codes = scope.ownerRefs.filter((ref) => ref.startsWith('party:')).map((ref) => ref.slice('party:'.length));
  return [...(await partiesByCodes(em, codes)).values()].map((p) => p.id);
}
