import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, LedgerService } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { ParcelsService } from '../parcels/parcels.service';
import { partiesByCodes } from '../parties/party-refs';
import { WALLET_ASSET } from '../parties/parties.service';
import { projectIdsByCodes } from '../projects/project-refs';
import { CARBON_ASSET, carbonProjectAccounts, holderCreditsAccount } from './carbon-accounts';
import { invalid, loadProject, requireDate, requireText, withRefs } from './carbon-common';
import {
  claimProjectParcels,
  insertProject,
  insertRevenueRule,
  lockParcelsForProjects,
  projectViewRows,
  CarbonProjectViewRow,
  setProjectState,
  shrinkClaimsToIssuedVintages,
} from './carbon-projects.store';
import { CarbonRevenueService } from './carbon-revenue.service';
import { CARBON_EXTERNAL_ID_MAX, CARBON_STANDARDS, CarbonProjectState } from './carbon.model';
import { CarbonError } from './carbon.errors';
import type { CarbonProjectView, CreateCarbonProjectInput } from './carbon.types';
import { RevenueRule } from './revenue-split';
import { bufferTonnes } from './serial-ranges';

export const CARBON_PROJECT_CODE_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,39}$/;
/** At most this many rows in one list read (projects, listings). */
export const MAX_CARBON_LIST = 500;

/**
 * Carbon projects (DOMAIN.md §5): a draft with its parcels, accounts and revenue rule v1, then
 * registered, new rule versions, closed. Every write runs in the caller's transaction (`em`) and
 * locks the project row first.
 */
@Injectable()
export class CarbonProjectsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly parcels: ParcelsService,
    private readonly revenue: CarbonRevenueService,
  ) {}

  /** A draft project with its parcels, its accounts and version 1 of its revenue rule. */
  async createProject(em: EntityManager, input: CreateCarbonProjectInput): Promise<CarbonProjectView> {
    const code = requireText(input.code, 'code', 40);
    if (!CARBON_PROJECT_CODE_PATTERN.test(code)) throw invalid('code must be 1-40 of capital letters, digits, ".", "_", "-", starting with a letter or digit', 'code');
    const name = requireText(input.name, 'name');
    if (!CARBON_STANDARDS.includes(input.standard)) throw invalid(`standard must be one of ${CARBON_STANDARDS.join(', ')}`, 'standard');
    const methodology = requireText(input.methodology, 'methodology');
    const externalId = input.externalId === undefined ? null : requireText(input.externalId, 'externalId', CARBON_EXTERNAL_ID_MAX);
    const creditingStart = requireDate(input.creditingStart, 'creditingStart');
    const creditingEnd = requireDate(input.creditingEnd, 'creditingEnd');
    if (creditingEnd <= creditingStart) throw invalid('creditingEnd must be after creditingStart', 'creditingEnd');
    bufferTonnes(1n, String(input.bufferRatio));
    const bufferRatio = new Dec(input.bufferRatio);
    if (bufferRatio.greaterThanOrEqualTo(1)) throw invalid('bufferRatio must be below 1', 'bufferRatio');
    const owner = (await partiesByCodes(em, [input.ownerCode])).get(input.ownerCode);
    if (!owner || !owner.active) throw new CarbonError('UNKNOWN_PARTY', `no active party ${JSON.stringify(input.ownerCode)}`, 'ownerCode');
    let coopProjectId: string | null = null;
    if (input.coopProjectCode !== undefined) {
      coopProjectId = (await projectIdsByCodes(em, [input.coopProjectCode])).get(input.coopProjectCode) ?? null;
      if (coopProjectId === null) throw invalid(`no cooperation project ${JSON.stringify(input.coopProjectCode)}`, 'coopProjectCode');
    }
    const rule = await this.revenue.checkRule(em, input.revenueRule, coopProjectId !== null);

    if (!Array.isArray(input.parcelIds) || input.parcelIds.length === 0) throw invalid('parcelIds must list at least one parcel', 'parcelIds');
    // Creators naming the same parcels take turns (in lock-key order, so they never deadlock); the claim itself is checked by the database.
    await lockParcelsForProjects(
      em,
      input.parcelIds.filter((id) => typeof id === 'string' && /^\d{1,18}$/.test(id)),
    );
    const parcels = await this.parcels.assertAttachable(em, input.parcelIds, 'COOPERATION_PROJECT');
    const projectId = await insertProject(em, {
      code,
      name,
      owner_party_id: owner.id,
      coop_project_id: coopProjectId,
      standard: input.standard,
      external_id: externalId,
      methodology,
      crediting_start: creditingStart,
      crediting_end: creditingEnd,
      buffer_ratio: bufferRatio.toString(),
    });
    if (projectId === null) throw new CarbonError('CARBON_PROJECT_EXISTS', `a carbon project ${code} exists already`, 'code');
    const conflicts = await claimProjectParcels(em, projectId, [...new Set(parcels.map((p) => p.id))], creditingStart, creditingEnd);
    if (conflicts.length > 0) {
      const certificateOf = new Map(parcels.map((p) => [p.id, p.certificateNo]));
      const claims = conflicts.map((c) => ({ ...c, certificateNo: certificateOf.get(c.parcelId) ?? null }));
      throw new CarbonError(
        'PARCEL_ALREADY_CLAIMED',
        `parcel(s) already claimed by another carbon project over an overlapping period (credits would be counted twice): ${claims
          .map((c) => `${c.certificateNo} (${c.project} ${c.from}..${c.to})`)
          .join(', ')}`,
        'parcelIds',
        { claims },
      );
    }
    await insertRevenueRule(em, projectId, rule);

    await this.ledger.ensureAsset(em, CARBON_ASSET);
    await this.ledger.ensureAsset(em, WALLET_ASSET);
    for (const account of [...carbonProjectAccounts(code), holderCreditsAccount(owner.code, code)]) await this.ledger.ensureAccount(em, account);
    return this.getProject(code, em);
  }

  /** Registration with the standard's registry: from then on credits can be issued. */
  async register(em: EntityManager, code: string): Promise<CarbonProjectView> {
    const project = await loadProject(em, code, true);
    if (project.state !== 'DRAFT') throw new CarbonError('CARBON_PROJECT_NOT_DRAFT', `carbon project ${code} is ${project.state}`, 'project');
    await setProjectState(em, project.id, 'REGISTERED');
    return this.getProject(code, em);
  }

  /** A new version of the revenue rule; earlier sales keep the version they used. */
  async setRevenueRule(em: EntityManager, code: string, rule: RevenueRule): Promise<{ version: number; rule: RevenueRule }> {
    const project = await loadProject(em, code, true);
    if (project.state === 'CLOSED') throw new CarbonError('CARBON_PROJECT_CLOSED', `carbon project ${code} is closed`, 'project');
    const clean = await this.revenue.checkRule(em, rule, project.coop_project_id !== null);
    return { version: await insertRevenueRule(em, project.id, clean), rule: clean };
  }

  /**
   * Closes a project: no more issuances; credits already issued are still listed, sold and retired. Its
   * parcels stay claimed over the vintages it issued and are free for another project outside them.
   */
  async close(em: EntityManager, code: string): Promise<CarbonProjectView> {
    const project = await loadProject(em, code, true);
    if (project.state === 'CLOSED') throw new CarbonError('CARBON_PROJECT_CLOSED', `carbon project ${code} is closed already`, 'project');
    await setProjectState(em, project.id, 'CLOSED');
    await shrinkClaimsToIssuedVintages(em, project.id);
    return this.getProject(code, em);
  }

  async getProject(code: string, em: EntityManager = this.dataSource.manager): Promise<CarbonProjectView> {
    const [row] = await projectViewRows(em, { code });
    if (!row) throw new CarbonError('UNKNOWN_CARBON_PROJECT', `no carbon project ${JSON.stringify(code)}`, 'project');
    const [view] = await this.projectViews(em, [row]);
    return view;
  }

  /** Projects by code (at most MAX_CARBON_LIST), only `owner`'s when given; at most three queries whatever the count. */
  async listProjects(filter: { owner?: string | null; state?: CarbonProjectState }, em: EntityManager = this.dataSource.manager): Promise<CarbonProjectView[]> {
    let ownerPartyId: string | null = null;
    if (filter.owner !== undefined && filter.owner !== null) {
      const owner = (await partiesByCodes(em, [filter.owner])).get(filter.owner);
      if (!owner) return [];
      ownerPartyId = owner.id;
    }
    return this.projectViews(em, await projectViewRows(em, { ownerPartyId, state: filter.state ?? null, limit: MAX_CARBON_LIST }));
  }

  /** The views of `rows`, in their order, with their owners' and cooperation projects' codes. */
  private async projectViews(em: EntityManager, rows: CarbonProjectViewRow[]): Promise<CarbonProjectView[]> {
    return (await withRefs(em, rows)).map((p) => ({
      code: p.code,
      name: p.name,
      state: p.state,
      owner: p.ownerCode,
      coopProject: p.coopProjectCode,
      standard: p.standard,
      externalId: p.external_id,
      methodology: p.methodology,
      creditingStart: p.crediting_start,
      creditingEnd: p.crediting_end,
      bufferRatio: new Dec(p.buffer_ratio).toString(),
      parcelIds: p.parcel_ids,
      lastSerial: p.last_serial,
      revenueRule: { version: p.current_rule.version, rule: p.current_rule.rule },
    }));
  }
}
