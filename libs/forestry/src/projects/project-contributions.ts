import { Amount, Dec, EntryDraft, LedgerReads, LedgerService, PostResult } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { partiesByIds } from '../parties/party-refs';
import { BANK_CLEARING_ACCOUNT, businessToday, projectCapitalToReceive, projectCommitments, projectInKind, projectInKindCapital, projectWallet } from './project-accounts';
import { CONTRIBUTION_KINDS, ContributionKind, ContributionState } from './project.model';
import { invalidProject as invalid, ProjectError, projectInput } from './projects.errors';
import * as store from './projects.store';
import type { ProjectRow } from './projects.store';

const { requireText, optionalText, requireDate } = projectInput;
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

/** How contributions read their project (ProjectsService.load): locked, with its parties' codes and names. */
export interface ProjectLoader {
  load(
    em: EntityManager,
    code: string,
    options: { lock: true },
  ): Promise<
    Pick<ProjectRow, 'id' | 'state' | 'project_kind' | 'farm_party_id' | 'collective_party_id'> & {
      farm_code: string | null;
      farm_name: string | null;
      collective_code: string;
      collective_name: string;
    }
  >;
}

/**
 * Contributions to a cooperation project (cash paid, cash committed then called, in kind), each with
 * its ledger entry in the caller's transaction. A plain class ProjectsService builds and delegates to.
 */
export class ProjectContributions {
  constructor(
    private readonly ledger: LedgerService,
    private readonly reads: LedgerReads,
    private readonly projects: ProjectLoader,
  ) {}

  /** Records a contribution and posts its entry; only while the project is a draft (parameters freeze at issuance). */
  async add(em: EntityManager, projectCode: string, input: ContributionInput, key: string): Promise<ContributionOutcome> {
    const project = await this.projects.load(em, projectCode, { lock: true });
    if (project.project_kind !== 'COOPERATION') {
      throw new ProjectError('WRONG_PROJECT_KIND', `${projectCode} is a collective income-right scheme: its units are quantified, not contributed`, 'project');
    }
    if (project.state !== 'DRAFT') {
      // A replay of a contribution recorded before the issuance still answers with it (the ledger checks the content is the same).
      const keys = ['project-investment', 'project-commitment', 'project-in-kind'].map((prefix) => `${prefix}:${key}`);
      const entryIds = [...(await this.reads.entryIdsByKeys(em, keys)).values()];
      if (!(await store.hasContributionOfEntries(em, project.id, entryIds)))
        throw new ProjectError('PROJECT_NOT_DRAFT', `project ${projectCode} is ${project.state}: contributions are frozen once its 林票 are issued`, 'project');
    }
    if (!CONTRIBUTION_KINDS.includes(input.kind)) throw invalid(`kind must be one of ${CONTRIBUTION_KINDS.join(', ')}`, 'kind');
    const amount = Amount.parsePositive(input.amount, 2, 'amount').value.toFixed(2);
    const role = project.farm_code !== null && input.partyCode === project.farm_code ? 'FARM' : input.partyCode === project.collective_code ? 'COLLECTIVE' : null;
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
      await store.insertContribution(em, {
        project_id: project.id,
        party_id: role === 'FARM' ? project.farm_party_id! : project.collective_party_id,
        role,
        kind: input.kind,
        state,
        amount,
        bank_reference: bankReference,
        valuation_document: valuationDocument,
        description,
        entry_id: posted.entry.id,
      });
    }
    return this.contributionOutcome(em, projectCode, posted, 'entry_id');
  }

  /** Calls a commitment: the money arrives (bank reference) and the commitment is settled, in one entry. Draft or active projects. */
  async call(em: EntityManager, projectCode: string, contributionId: string, input: CallInput, key: string): Promise<ContributionOutcome> {
    const project = await this.projects.load(em, projectCode, { lock: true });
    if (project.state === 'CLOSED') throw new ProjectError('PROJECT_NOT_ACTIVE', `project ${projectCode} is closed`, 'project');
    const bankReference = requireText(input.bankReference, 'bankReference', 100);
    const effectiveDate = input.effectiveDate === undefined ? businessToday() : requireDate(input.effectiveDate, 'effectiveDate');
    const row = /^\d{1,18}$/.test(contributionId) ? await store.lockContribution(em, project.id, contributionId) : undefined;
    if (!row) throw new ProjectError('UNKNOWN_CONTRIBUTION', `project ${projectCode} has no contribution ${contributionId}`, 'contribution');
    const idempotencyKey = `project-capital-call:${key}`;
    if (row.state !== 'COMMITTED') {
      const replay = await this.reads.entryIdsByKeys(em, [idempotencyKey]);
      if (replay.size === 0) throw new ProjectError('CONTRIBUTION_NOT_COMMITTED', `contribution ${contributionId} is ${row.state}, not an open commitment`, 'contribution');
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
      await store.markContributionCalled(em, row.id, bankReference, posted.entry.id);
    }
    return this.contributionOutcome(em, projectCode, posted, 'call_entry_id');
  }

  /** The contributions of a project, oldest first. */
  async list(em: EntityManager, projectId: string): Promise<ContributionView[]> {
    const rows = await store.contributionsOf(em, projectId);
    const parties = await partiesByIds(
      em,
      rows.map((r) => r.party_id),
    );
    return rows.map((r) => ({
      id: r.id,
      partyCode: parties.get(r.party_id)!.code,
      partyName: parties.get(r.party_id)!.name,
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

  private async contributionOutcome(em: EntityManager, projectCode: string, posted: PostResult, column: 'entry_id' | 'call_entry_id'): Promise<ContributionOutcome> {
    const { id, project_id } = (await store.contributionOfEntry(em, column, posted.entry.id))!;
    const contribution = (await this.list(em, project_id)).find((c) => c.id === id)!;
    const wallet = await this.ledger.getAccount(projectWallet(projectCode), em);
    return { project: projectCode, contribution, entryId: posted.entry.id, walletBalance: wallet.balance };
  }
}
