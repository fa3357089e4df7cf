import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, EntryDraft, LedgerService, PostResult } from '@forest-ledger/ledger';
import { Env } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import type { OwnerScope } from '../access/access.types';
import { inputChecks } from '../common/input-checks';
import { ParcelsService } from '../parcels/parcels.service';
import { WALLET_ASSET } from '../parties/parties.service';
import { PartyRef, partyRefs } from './party-refs';
import {
  BANK_CLEARING_ACCOUNT,
  businessToday,
  PLATFORM_ACCOUNTS,
  projectAccounts,
  projectCapitalToReceive,
  projectCommitments,
  projectInKind,
  projectInKindCapital,
  projectWallet,
} from './project-accounts';
import { CONTRIBUTION_KINDS, ContributionKind, ContributionState, MEMBER_WEIGHTINGS, PROJECT_TYPES, ProjectState, ProjectType } from './project.entities';
import { ProjectError } from './projects.errors';

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

export interface ContributionView {
  id: string;
  partyCode: string;
  partyName: string;
  role: 'FARM' | 'COLLECTIVE';
  kind: ContributionKind;
  state: ContributionState;
  amount: string;
  bankReference: string | null;
  valuationDocument: string | null;
  description: string | null;
  entryId: string;
  callEntryId: string | null;
  createdAt: string;
}

export interface ProjectView {
  code: string;
  name: string;
  state: ProjectState;
  farm: { code: string; name: string };
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

export interface ContributionInput {
  partyCode: string;
  kind: ContributionKind;
  /** CNY, 2 decimals. */
  amount: string;
  /** CASH only: true when the money has arrived (bankReference required), false for a commitment called later. */
  paid?: boolean;
  bankReference?: string;
  /** In kind: the valuation report or document (评估报告编号). */
  valuationDocument?: string;
  description?: string;
  effectiveDate?: string;
}

export interface CallInput {
  bankReference: string;
  effectiveDate?: string;
}

export interface ContributionOutcome {
  project: string;
  contribution: ContributionView;
  entryId: string;
  walletBalance: string;
}

interface ProjectRow {
  id: string;
  code: string;
  name: string;
  state: ProjectState;
  farm_party_id: string;
  farm_code: string;
  farm_name: string;
  collective_party_id: string;
  collective_code: string;
  collective_name: string;
  project_type: ProjectType;
  area_mu: string;
  start_date: string;
  term_years: number;
  management_fee_rate: string;
  collective_retained_ratio: string;
  member_weighting: 'PER_PERSON' | 'PER_HOUSEHOLD';
  guarantee_description: string | null;
  guaranteed_buy_back_price: string | null;
  guaranteed_yield_per_mu: string | null;
  guarantee_reference_price: string | null;
  created_at: Date;
  activated_at: Date | null;
  closed_at: Date | null;
}

/** A project row as the 林票 services need it (locked or not). */
export type ProjectRecord = ProjectRow;

const PROJECT_SELECT = `SELECT p.id, p.code, p.name, p.state, p.farm_party_id, f.code AS farm_code, f.name AS farm_name,
       p.collective_party_id, c.code AS collective_code, c.name AS collective_name, p.project_type, p.area_mu::text AS area_mu,
       to_char(p.start_date, 'YYYY-MM-DD') AS start_date, p.term_years, p.management_fee_rate::text AS management_fee_rate,
       p.collective_retained_ratio::text AS collective_retained_ratio, p.member_weighting, p.guarantee_description,
       p.guaranteed_buy_back_price::text AS guaranteed_buy_back_price, p.guaranteed_yield_per_mu::text AS guaranteed_yield_per_mu,
       p.guarantee_reference_price::text AS guarantee_reference_price, p.created_at, p.activated_at, p.closed_at
  FROM coop_projects p JOIN parties f ON f.id = p.farm_party_id JOIN parties c ON c.id = p.collective_party_id`;

function invalid(message: string, field: string): ProjectError {
  return new ProjectError('INVALID_PROJECT', message, field);
}

const { requireText, optionalText, requireDate } = inputChecks(invalid);

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
  ) {}

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

    const parties = await partyRefs(em, [input.farmCode, input.collectiveCode]);
    const farm = this.requireParty(parties, input.farmCode, 'farmCode', 'STATE_FARM');
    const collective = this.requireParty(parties, input.collectiveCode, 'collectiveCode', 'COLLECTIVE');

    if (!Array.isArray(input.parcelIds) || input.parcelIds.length === 0) throw invalid('parcelIds must list at least one parcel', 'parcelIds');
    // Locked before the check, so two projects created at once cannot both find the parcels free (FOR SHARE alone does not exclude them).
    await em.query(`SELECT 1 FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [
      input.parcelIds.filter((id) => typeof id === 'string' && /^\d{1,18}$/.test(id)),
    ]);
    const parcels = await this.parcels.assertAttachable(em, input.parcelIds, 'COOPERATION_PROJECT');
    const busy = (await em.query(
      `SELECT pp.parcel_id, pa.certificate_no, p.code FROM coop_project_parcels pp JOIN coop_projects p ON p.id = pp.project_id JOIN parcels pa ON pa.id = pp.parcel_id
        WHERE pp.parcel_id = ANY($1::bigint[]) AND p.state <> 'CLOSED' ORDER BY pp.parcel_id`,
      [parcels.map((p) => p.id)],
    )) as Array<{ parcel_id: string; certificate_no: string; code: string }>;
    if (busy.length > 0) {
      throw new ProjectError('PARCEL_IN_OTHER_PROJECT', `parcel(s) already under an open project: ${busy.map((b) => `${b.certificate_no} (${b.code})`).join(', ')}`, 'parcelIds', {
        parcels: busy.map((b) => ({ parcelId: b.parcel_id, certificateNo: b.certificate_no, project: b.code })),
      });
    }
    const parcelsArea = parcels.reduce((sum, p) => sum.plus(p.areaMu), new Dec(0));
    if (areaMu.greaterThan(parcelsArea)) {
      throw new ProjectError('AREA_EXCEEDS_PARCELS', `areaMu ${areaMu.toFixed(AREA_SCALE)} is more than the parcels' ${parcelsArea.toFixed(AREA_SCALE)} 亩`, 'areaMu', {
        parcelsAreaMu: parcelsArea.toFixed(AREA_SCALE),
      });
    }

    const [row] = (await em.query(
      `INSERT INTO coop_projects (code, name, farm_party_id, collective_party_id, project_type, area_mu, start_date, term_years, management_fee_rate,
                                  collective_retained_ratio, member_weighting, guarantee_description, guaranteed_buy_back_price, guaranteed_yield_per_mu, guarantee_reference_price)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
       ON CONFLICT (code) DO NOTHING RETURNING id`,
      [
        code,
        name,
        farm.id,
        collective.id,
        input.projectType,
        areaMu.toFixed(AREA_SCALE),
        startDate,
        input.termYears,
        feeRate.toString(),
        retained.toString(),
        weighting,
        description,
        buyBackPrice?.toFixed(2) ?? null,
        yieldPerMu?.toFixed(4) ?? null,
        referencePrice?.toFixed(2) ?? null,
      ],
    )) as Array<{ id: string }>;
    if (!row) throw new ProjectError('PROJECT_EXISTS', `a project with code ${code} exists already`, 'code');
    await em.query(`INSERT INTO coop_project_parcels (project_id, parcel_id) SELECT $1, unnest($2::bigint[])`, [row.id, parcels.map((p) => p.id)]);

    await this.ledger.ensureAsset(em, WALLET_ASSET);
    for (const account of [...PLATFORM_ACCOUNTS, ...projectAccounts(code)]) await this.ledger.ensureAccount(em, account);
    return this.view(em, await this.load(em, code));
  }

  /** A project the scope may see: staff see all, a farm or collective its own; any other is the same 404. */
  async get(code: string, scope: OwnerScope, em: EntityManager = this.dataSource.manager): Promise<ProjectView> {
    return this.view(em, await this.load(em, code, { scope }));
  }

  async list(scope: OwnerScope, filter: { state?: ProjectState } = {}): Promise<ProjectView[]> {
    const em = this.dataSource.manager;
    const rows = (await em.query(
      `${PROJECT_SELECT} WHERE ($1::text IS NULL OR p.state = $1) AND ($2::text[] IS NULL OR ('party:' || f.code) = ANY($2) OR ('party:' || c.code) = ANY($2)) ORDER BY p.code LIMIT 500`,
      [filter.state ?? null, scope?.ownerRefs ?? null],
    )) as ProjectRow[];
    const views: ProjectView[] = [];
    for (const row of rows) views.push(await this.view(em, row));
    return views;
  }

  /**
   * Reads the project; `lock` takes its row FOR UPDATE (state changes, issuance). A project outside
   * `scope` is reported as unknown.
   */
  async load(em: EntityManager, code: string, options: { lock?: boolean; scope?: OwnerScope } = {}): Promise<ProjectRecord> {
    if (options.lock) await em.query(`SELECT 1 FROM coop_projects WHERE code = $1 FOR UPDATE`, [code]);
    const [row] = (await em.query(`${PROJECT_SELECT} WHERE p.code = $1`, [code])) as ProjectRow[];
    const scope = options.scope ?? null;
    if (!row || (scope !== null && !scope.ownerRefs.includes(`party:${row.farm_code}`) && !scope.ownerRefs.includes(`party:${row.collective_code}`))) {
      throw new ProjectError('UNKNOWN_PROJECT', `no project with code ${JSON.stringify(code)}`, 'project');
    }
    return row;
  }

  /** Records a contribution and posts its entry; only while the project is a draft (parameters freeze at issuance). */
  async addContribution(em: EntityManager, projectCode: string, input: ContributionInput, key: string): Promise<ContributionOutcome> {
    const project = await this.load(em, projectCode, { lock: true });
    if (project.state !== 'DRAFT') {
      // A replay of a contribution recorded before the issuance still answers with it (the ledger checks the content is the same).
      const keys = ['project-investment', 'project-commitment', 'project-in-kind'].map((prefix) => `${prefix}:${key}`);
      const recorded = await em.query(
        `SELECT 1 FROM project_contributions c JOIN ledger_entries e ON e.id = c.entry_id WHERE c.project_id = $1 AND e.idempotency_key = ANY($2::text[])`,
        [project.id, keys],
      );
      if (recorded.length === 0)
        throw new ProjectError('PROJECT_NOT_DRAFT', `project ${projectCode} is ${project.state}: contributions are frozen once its 林票 are issued`, 'project');
    }
    if (!CONTRIBUTION_KINDS.includes(input.kind)) throw invalid(`kind must be one of ${CONTRIBUTION_KINDS.join(', ')}`, 'kind');
    const amount = Amount.parsePositive(input.amount, 2, 'amount').value.toFixed(2);
    const role = input.partyCode === project.farm_code ? 'FARM' : input.partyCode === project.collective_code ? 'COLLECTIVE' : null;
    if (role === null) {
      throw new ProjectError(
        'NOT_A_PROJECT_PARTY',
        `${input.partyCode} is neither the farm (${project.farm_code}) nor the collective (${project.collective_code}) of project ${projectCode}`,
        'partyCode',
      );
    }
    const effectiveDate = input.effectiveDate === undefined ? businessToday() : requireDate(input.effectiveDate, 'effectiveDate');
    const description = optionalText(input.description, 'description');
    let state: ContributionState;
    let bankReference: string | null = null;
    let valuationDocument: string | null = null;
    let draft: EntryDraft;
    const base = { effectiveDate, metadata: { project: projectCode, party: input.partyCode, kind: input.kind } };
    if (input.kind === 'CASH') {
      if (typeof input.paid !== 'boolean') throw invalid('paid must be true (the money arrived) or false (committed, called later) for a CASH contribution', 'paid');
      if (input.valuationDocument !== undefined) throw invalid('valuationDocument is for in-kind contributions only', 'valuationDocument');
      if (input.paid) {
        state = 'PAID';
        bankReference = requireText(input.bankReference, 'bankReference', 100);
        draft = {
          ...base,
          idempotencyKey: `project-investment:${key}`,
          kind: 'PROJECT_INVESTMENT',
          memo: `${project.farm_code === input.partyCode ? project.farm_name : project.collective_name} 现金投入 ${amount} 元 银行流水 ${bankReference}`,
          metadata: { ...base.metadata, bankReference },
          postings: [
            { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
            { account: projectWallet(projectCode), side: 'CREDIT', amount },
          ],
        };
      } else {
        state = 'COMMITTED';
        if (input.bankReference !== undefined) throw invalid('bankReference comes with the call of a commitment, not with the commitment', 'bankReference');
        draft = {
          ...base,
          idempotencyKey: `project-commitment:${key}`,
          kind: 'PROJECT_COMMITMENT',
          memo: `认缴出资 ${amount} 元 (待实缴)`,
          postings: [
            { account: projectCommitments(projectCode), side: 'DEBIT', amount },
            { account: projectCapitalToReceive(projectCode), side: 'CREDIT', amount },
          ],
        };
      }
    } else {
      if (input.paid !== undefined || input.bankReference !== undefined)
        throw invalid('paid and bankReference are for CASH contributions only', input.paid !== undefined ? 'paid' : 'bankReference');
      state = 'VALUED';
      valuationDocument = requireText(input.valuationDocument, 'valuationDocument', 200);
      draft = {
        ...base,
        idempotencyKey: `project-in-kind:${key}`,
        kind: 'PROJECT_IN_KIND',
        memo: `实物出资 (${input.kind}) 折资 ${amount} 元 评估依据 ${valuationDocument}`,
        metadata: { ...base.metadata, valuationDocument },
        postings: [
          { account: projectInKind(projectCode), side: 'DEBIT', amount },
          { account: projectInKindCapital(projectCode), side: 'CREDIT', amount },
        ],
      };
    }
    const posted = await this.ledger.post(em, draft);
    if (!posted.replayed) {
      await em.query(
        `INSERT INTO project_contributions (project_id, party_id, role, kind, state, amount, bank_reference, valuation_document, description, entry_id)
         VALUES ($1, (SELECT id FROM parties WHERE code = $2), $3, $4, $5, $6, $7, $8, $9, $10)`,
        [project.id, input.partyCode, role, input.kind, state, amount, bankReference, valuationDocument, description, posted.entry.id],
      );
    }
    return this.contributionOutcome(em, projectCode, posted, 'entry_id');
  }

  /** Calls a commitment: the money arrives (bank reference) and the commitment is settled, in one entry. Draft or active projects. */
  async callContribution(em: EntityManager, projectCode: string, contributionId: string, input: CallInput, key: string): Promise<ContributionOutcome> {
    const project = await this.load(em, projectCode, { lock: true });
    if (project.state === 'CLOSED') throw new ProjectError('PROJECT_NOT_ACTIVE', `project ${projectCode} is closed`, 'project');
    const bankReference = requireText(input.bankReference, 'bankReference', 100);
    const effectiveDate = input.effectiveDate === undefined ? businessToday() : requireDate(input.effectiveDate, 'effectiveDate');
    const [row] = /^\d{1,18}$/.test(contributionId)
      ? ((await em.query(`SELECT id, state, amount::text AS amount FROM project_contributions WHERE id = $1 AND project_id = $2 FOR UPDATE`, [
          contributionId,
          project.id,
        ])) as Array<{ id: string; state: ContributionState; amount: string }>)
      : [];
    if (!row) throw new ProjectError('UNKNOWN_CONTRIBUTION', `project ${projectCode} has no contribution ${contributionId}`, 'contribution');
    const idempotencyKey = `project-capital-call:${key}`;
    if (row.state !== 'COMMITTED') {
      const replay = await em.query(`SELECT 1 FROM ledger_entries WHERE idempotency_key = $1`, [idempotencyKey]);
      if (replay.length === 0) throw new ProjectError('CONTRIBUTION_NOT_COMMITTED', `contribution ${contributionId} is ${row.state}, not an open commitment`, 'contribution');
    }
    const amount = new Dec(row.amount).toFixed(2);
    const posted = await this.ledger.post(em, {
      idempotencyKey,
      kind: 'PROJECT_CAPITAL_CALL',
      effectiveDate,
      memo: `认缴出资实缴 ${amount} 元 银行流水 ${bankReference}`,
      metadata: { project: projectCode, contribution: contributionId, bankReference },
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
        { account: projectWallet(projectCode), side: 'CREDIT', amount },
        { account: projectCapitalToReceive(projectCode), side: 'DEBIT', amount },
        { account: projectCommitments(projectCode), side: 'CREDIT', amount },
      ],
    });
    if (!posted.replayed) {
      await em.query(`UPDATE project_contributions SET state = 'PAID', bank_reference = $2, call_entry_id = $3 WHERE id = $1`, [row.id, bankReference, posted.entry.id]);
    }
    return this.contributionOutcome(em, projectCode, posted, 'call_entry_id');
  }

  /**
   * Closes an active project at the end of its term, once settled: nothing left in its wallet and
   * no commitment unpaid. Its 林票 cannot move after that.
   */
  async close(em: EntityManager, projectCode: string, closedOn: string = businessToday()): Promise<ProjectView> {
    const project = await this.load(em, projectCode, { lock: true });
    if (project.state !== 'ACTIVE') throw new ProjectError('PROJECT_NOT_ACTIVE', `project ${projectCode} is ${project.state}; only an active project can be closed`, 'project');
    // The series row too: movements lock it first, so none is booked while the project closes.
    await em.query(`SELECT 1 FROM ticket_series WHERE project_id = $1 FOR UPDATE`, [project.id]);
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
    await em.query(`UPDATE coop_projects SET state = 'CLOSED', closed_at = now() WHERE id = $1`, [project.id]);
    return this.view(em, await this.load(em, projectCode));
  }

  /** The contributions of a project, oldest first. */
  async contributions(em: EntityManager, projectId: string): Promise<ContributionView[]> {
    const rows = (await em.query(
      `SELECT c.id, p.code AS party_code, p.name AS party_name, c.role, c.kind, c.state, c.amount::text AS amount, c.bank_reference, c.valuation_document,
              c.description, c.entry_id, c.call_entry_id, c.created_at
         FROM project_contributions c JOIN parties p ON p.id = c.party_id WHERE c.project_id = $1 ORDER BY c.id`,
      [projectId],
    )) as Array<{
      id: string;
      party_code: string;
      party_name: string;
      role: 'FARM' | 'COLLECTIVE';
      kind: ContributionKind;
      state: ContributionState;
      amount: string;
      bank_reference: string | null;
      valuation_document: string | null;
      description: string | null;
      entry_id: string;
      call_entry_id: string | null;
      created_at: Date;
    }>;
    return rows.map((r) => ({
      id: r.id,
      partyCode: r.party_code,
      partyName: r.party_name,
      role: r.role,
      kind: r.kind,
      state: r.state,
      amount: new Dec(r.amount).toFixed(2),
      bankReference: r.bank_reference,
      valuationDocument: r.valuation_document,
      description: r.description,
      entryId: r.entry_id,
      callEntryId: r.call_entry_id,
      createdAt: r.created_at.toISOString(),
    }));
  }

  private requireParty(parties: Map<string, PartyRef>, code: string, field: string, kind: 'STATE_FARM' | 'COLLECTIVE'): PartyRef {
    const party = parties.get(code);
    if (!party) throw new ProjectError('WRONG_PARTY_KIND', `${field}: no party with code ${JSON.stringify(code)}`, field);
    if (party.kind !== kind) throw new ProjectError('WRONG_PARTY_KIND', `${field}: ${code} is a ${party.kind}, not a ${kind}`, field);
    if (!party.active) throw new ProjectError('WRONG_PARTY_KIND', `${field}: ${code} is deactivated`, field);
    return party;
  }

  private async contributionOutcome(em: EntityManager, projectCode: string, posted: PostResult, column: 'entry_id' | 'call_entry_id'): Promise<ContributionOutcome> {
    const [{ id, project_id }] = (await em.query(`SELECT id, project_id FROM project_contributions WHERE ${column} = $1`, [posted.entry.id])) as Array<{
      id: string;
      project_id: string;
    }>;
    const contribution = (await this.contributions(em, project_id)).find((c) => c.id === id)!;
    const wallet = await this.ledger.getAccount(projectWallet(projectCode), em);
    return { project: projectCode, contribution, entryId: posted.entry.id, walletBalance: wallet.balance };
  }

  private async view(em: EntityManager, row: ProjectRow): Promise<ProjectView> {
    const parcels = (await em.query(
      `SELECT pa.id, pa.certificate_no, pa.area_mu::text AS area_mu, pa.location FROM coop_project_parcels pp JOIN parcels pa ON pa.id = pp.parcel_id WHERE pp.project_id = $1 ORDER BY pa.certificate_no`,
      [row.id],
    )) as Array<{ id: string; certificate_no: string; area_mu: string; location: string }>;
    const contributions = await this.contributions(em, row.id);
    const wallet = await this.ledger.getAccount(projectWallet(row.code), em);
    const [series] = (await em.query(`SELECT code FROM ticket_series WHERE project_id = $1`, [row.id])) as Array<{ code: string }>;
    const dec = (v: string | null, places: number) => (v === null ? null : new Dec(v).toFixed(places));
    return {
      code: row.code,
      name: row.name,
      state: row.state,
      farm: { code: row.farm_code, name: row.farm_name },
      collective: { code: row.collective_code, name: row.collective_name },
      projectType: row.project_type,
      areaMu: new Dec(row.area_mu).toFixed(AREA_SCALE),
      parcels: parcels.map((p) => ({ id: p.id, certificateNo: p.certificate_no, areaMu: new Dec(p.area_mu).toFixed(AREA_SCALE), location: p.location })),
      parcelsAreaMu: parcels.reduce((s, p) => s.plus(p.area_mu), new Dec(0)).toFixed(AREA_SCALE),
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
