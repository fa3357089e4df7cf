import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { lockParcelsForAttachment } from '../parcels/parcel-refs';
import { ParcelsService } from '../parcels/parcels.service';
import { partiesByCodes } from '../parties/party-refs';
import { WALLET_ASSET } from '../parties/parties.service';
import { BANK_CLEARING_ACCOUNT, PLATFORM_ACCOUNTS } from '../projects/project-accounts';
import { ProjectError } from '../projects/projects.errors';
import { ProjectsService } from '../projects/projects.service';
import { landDeposit, landUseAccounts } from './land-use-accounts';
import * as contracts from './land-use-contracts.store';
import * as receivables from './land-use-receivables.store';
import {
  contractTerms,
  equityContributionKey,
  invalid,
  money,
  outstandingOf,
  plannedSchedule,
  projectNotDraft,
  requireDate,
  requireText,
  scheduleInputOf,
  sum,
  ZERO,
} from './land-use-terms';
import { Contract, LandUseViews } from './land-use-views';
import { LAND_USE_MODES, PERMITTED_USES } from './land-use.model';
import { LandUseError } from './land-use.errors';
import {
  AREA_SCALE,
  CreateLandUseInput,
  LAND_USE_CODE_PATTERN,
  LandUseActor,
  LandUseContractFilter,
  LandUseContractView,
  LandUseCreatedView,
  LandUseSchedulePeriodView,
  LandUseScope,
  MAX_LAND_USE_CONTRACTS_LISTED,
} from './land-use.types';
import { assertLeaseTerm, buildSchedule } from './rent-schedule';

/**
 * Paid-use contracts of state forest land (国有林地有偿使用, DOMAIN.md §7): creation, reads, the
 * deposit, activation (the schedule stored, or an EQUITY contract's stake booked into its project).
 * Every write runs in the caller's transaction (`em`) and locks the contract row first.
 */
@Injectable()
export class LandUseContractsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly reads: LedgerReads,
    private readonly parcels: ParcelsService,
    private readonly projects: ProjectsService,
    private readonly views: LandUseViews,
  ) {}

  /** A draft contract and its planned schedule. A LEASE or CONCESSION over 20 years is refused (Civil Code §705; see assertLeaseTerm). */
  async create(em: EntityManager, actor: LandUseActor, input: CreateLandUseInput): Promise<LandUseCreatedView> {
    const code = requireText(input.code, 'code', 40);
    if (!LAND_USE_CODE_PATTERN.test(code)) throw invalid('code must be 1-40 of capital letters, digits, ".", "_", "-", starting with a letter or digit', 'code');
    if (!LAND_USE_MODES.includes(input.mode)) throw invalid(`mode must be one of ${LAND_USE_MODES.join(', ')}`, 'mode');
    const areaMu = Amount.parsePositive(input.areaMu, AREA_SCALE, 'areaMu').value;
    if (!Array.isArray(input.permittedUses) || input.permittedUses.length === 0) throw invalid('permittedUses must list at least one use', 'permittedUses');
    const uses = [...new Set(input.permittedUses)];
    const unknownUse = uses.find((u) => !PERMITTED_USES.includes(u));
    if (unknownUse !== undefined) throw invalid(`permittedUses: ${String(unknownUse)} is not one of ${PERMITTED_USES.join(', ')}`, 'permittedUses');
    const otherUse = uses.includes('OTHER') ? requireText(input.otherUse, 'otherUse') : null;
    if (!uses.includes('OTHER') && input.otherUse !== undefined) throw invalid('otherUse describes the use OTHER; list OTHER in permittedUses', 'otherUse');
    const startDate = requireDate(input.startDate, 'startDate');
    const endDate = requireDate(input.endDate, 'endDate');
    if (endDate < startDate) throw invalid('endDate must not be before startDate', 'endDate');
    // 特许经营 is not a 租赁合同, but here it grants the same use of the land for rent: the same cap applies.
    if (input.mode !== 'EQUITY') assertLeaseTerm(startDate, endDate);

    const rated = contractTerms(input, areaMu, startDate, endDate);
    const parties = await partiesByCodes(em, [input.lessorCode, input.lesseeCode]);
    const lessor = parties.get(input.lessorCode);
    if (!lessor || !lessor.active) throw new LandUseError('WRONG_PARTY', `lessorCode: no active party with code ${JSON.stringify(input.lessorCode)}`, 'lessorCode');
    if (lessor.kind !== 'STATE_FARM') throw new LandUseError('WRONG_PARTY', `lessorCode: ${lessor.code} is a ${lessor.kind}, not a STATE_FARM`, 'lessorCode');
    const lessee = parties.get(input.lesseeCode);
    if (!lessee || !lessee.active) throw new LandUseError('WRONG_PARTY', `lesseeCode: no active party with code ${JSON.stringify(input.lesseeCode)}`, 'lesseeCode');
    if (lessee.id === lessor.id) throw new LandUseError('WRONG_PARTY', 'the lessee cannot be the lessor', 'lesseeCode');
    const projectId = input.mode === 'EQUITY' ? await this.equityProject(em, input.projectCode, lessor.code, lessee.code) : null;

    let renewsId: string | null = null;
    if (input.renewsContractCode !== undefined) {
      const old = await contracts.contractByCode(em, input.renewsContractCode, { lock: true });
      if (!old) throw new LandUseError('INVALID_RENEWAL', `renewsContractCode: no contract ${JSON.stringify(input.renewsContractCode)}`, 'renewsContractCode');
      if (old.lessor_party_id !== lessor.id || old.lessee_party_id !== lessee.id)
        throw new LandUseError('INVALID_RENEWAL', `a renewal is between the same lessor and lessee as ${old.code}`, 'renewsContractCode');
      if (old.state === 'DRAFT' || old.state === 'TERMINATED' || old.state === 'CANCELLED')
        throw new LandUseError('INVALID_RENEWAL', `${old.code} is ${old.state}: only an active or ended contract can be renewed`, 'renewsContractCode');
      if (old.renewed_by !== null) throw new LandUseError('INVALID_RENEWAL', `${old.code} was already renewed by ${old.renewed_by}`, 'renewsContractCode');
      if (startDate <= old.end_date) throw new LandUseError('INVALID_RENEWAL', `a renewal starts after ${old.code} ends (${old.end_date})`, 'startDate');
      renewsId = old.id;
    }

    if (!Array.isArray(input.parcelIds) || input.parcelIds.length === 0) throw invalid('parcelIds must list at least one parcel', 'parcelIds');
    // Locked before the checks, so two contracts created at once cannot both find the parcels free.
    await lockParcelsForAttachment(em, input.parcelIds);
    const parcels = await this.parcels.assertAttachable(em, input.parcelIds, 'LEASE');
    const notLessors = parcels.filter((p) => String(p.holderPartyId) !== lessor.id);
    if (notLessors.length > 0) {
      throw new LandUseError('PARCEL_NOT_LESSORS', `state land only: ${notLessors.map((p) => p.certificateNo).join(', ')} not held by ${lessor.code}`, 'parcelIds', {
        parcels: notLessors.map((p) => p.id),
      });
    }
    const certificateOf = new Map(parcels.map((p) => [String(p.id), p.certificateNo]));
    const busy = (
      await contracts.contractsHoldingParcels(
        em,
        parcels.map((p) => p.id),
        startDate,
        endDate,
      )
    )
      .map((b) => ({ certificate_no: certificateOf.get(b.parcel_id)!, code: b.code }))
      .sort((a, b) => (a.certificate_no < b.certificate_no ? -1 : a.certificate_no > b.certificate_no ? 1 : 0));
    if (busy.length > 0) {
      throw new LandUseError(
        'PARCEL_IN_OTHER_CONTRACT',
        `parcel(s) under another contract in these dates: ${busy.map((b) => `${b.certificate_no} (${b.code})`).join(', ')}`,
        'parcelIds',
        { parcels: busy },
      );
    }
    const parcelsArea = sum(parcels.map((p) => p.areaMu));
    if (areaMu.greaterThan(parcelsArea)) {
      throw new LandUseError('AREA_EXCEEDS_PARCELS', `areaMu ${areaMu.toFixed(AREA_SCALE)} is more than the parcels' ${parcelsArea.toFixed(AREA_SCALE)} 亩`, 'areaMu', {
        parcelsAreaMu: parcelsArea.toFixed(AREA_SCALE),
      });
    }

    const id = await contracts.insertContract(em, {
      code,
      lessorPartyId: lessor.id,
      lesseePartyId: lessee.id,
      mode: input.mode,
      areaMu: areaMu.toFixed(AREA_SCALE),
      permittedUses: uses,
      otherUse,
      startDate,
      endDate,
      renewsContractId: renewsId,
      ...rated,
      createdBy: actor.userId,
      projectId,
      parcelIds: parcels.map((p) => p.id),
    });
    if (id === null) throw new LandUseError('CONTRACT_EXISTS', `a contract with code ${code} exists already`, 'code');
    if (input.mode !== 'EQUITY') {
      await this.ledger.ensureAsset(em, WALLET_ASSET);
      for (const account of [...PLATFORM_ACCOUNTS, ...landUseAccounts(code, lessor.code, lessee.code)]) await this.ledger.ensureAccount(em, account);
    }
    const created = await this.views.load(em, code);
    return { ...(await this.views.view(em, created)), schedule: plannedSchedule(created) };
  }

  /**
   * The project an EQUITY contract goes into: it exists, its farm is the lessor, its collective the
   * lessee (a project has exactly these two parties, and the lessor is the farm), and it is still a
   * DRAFT (its contributions are frozen once its series is issued). Locks the project row, so an
   * issuance cannot slip in before this transaction commits.
   */
  private async equityProject(em: EntityManager, projectCode: string | undefined, lessorCode: string, lesseeCode: string): Promise<string> {
    if (typeof projectCode !== 'string' || projectCode.trim() === '')
      throw invalid('projectCode: an EQUITY contract names the cooperation project its land goes into', 'projectCode');
    const project = await this.projects.load(em, projectCode, { lock: true }).catch((error: unknown) => {
      if (error instanceof ProjectError && error.code === 'UNKNOWN_PROJECT') {
        throw new LandUseError('UNKNOWN_PROJECT', `projectCode: no cooperation project with code ${JSON.stringify(projectCode)}`, 'projectCode');
      }
      throw error;
    });
    if (project.farm_code !== lessorCode) {
      throw new LandUseError('NOT_THE_PROJECTS_PARTY', `lessorCode: the farm of project ${projectCode} is ${project.farm_code}, not ${lessorCode}`, 'lessorCode', {
        project: projectCode,
        farm: project.farm_code,
      });
    }
    if (project.collective_code !== lesseeCode) {
      throw new LandUseError(
        'NOT_THE_PROJECTS_PARTY',
        `lesseeCode: an EQUITY lessee is the collective of project ${projectCode} (${project.collective_code}), not ${lesseeCode}`,
        'lesseeCode',
        {
          project: projectCode,
          collective: project.collective_code,
        },
      );
    }
    if (project.state !== 'DRAFT') throw projectNotDraft(projectCode, project.state);
    return String(project.id);
  }

  async get(code: string, em: EntityManager = this.dataSource.manager): Promise<LandUseContractView> {
    return this.views.view(em, await this.views.load(em, code));
  }

  /** Contracts by code (at most MAX_LAND_USE_CONTRACTS_LISTED) in `scope`; a fixed number of queries whatever the count. */
  async list(filter: LandUseContractFilter, scope: LandUseScope, em: EntityManager = this.dataSource.manager): Promise<LandUseContractView[]> {
    let partyId: string | null = null;
    if (filter.party !== undefined) {
      const party = (await partiesByCodes(em, [filter.party])).get(filter.party);
      if (!party) return [];
      partyId = party.id;
    }
    const rows = await contracts.listContracts(em, {
      state: filter.state ?? null,
      mode: filter.mode ?? null,
      partyId,
      lessorPartyId: scope?.lessorPartyId ?? null,
      limit: MAX_LAND_USE_CONTRACTS_LISTED,
    });
    return this.views.views(em, await this.views.withParties(em, rows));
  }

  /** Refuses a contract outside `scope` as UNKNOWN_CONTRACT, like an unknown code; an unknown code in no scope is left to the read or write that follows. */
  async assertInScope(code: string, scope: LandUseScope, em: EntityManager = this.dataSource.manager): Promise<void> {
    if (scope === null) return;
    if (!(await contracts.isLessorsContract(em, code, scope.lessorPartyId)))
      throw new LandUseError('UNKNOWN_CONTRACT', `no land-use contract with code ${JSON.stringify(code)}`, 'contract');
  }

  /** The deposit (保证金) received at signing: bank → deposit held for the lessee. Once per contract. */
  async receiveDeposit(em: EntityManager, code: string, input: { receivedOn: string; bankReference: string }, key: string): Promise<LandUseContractView> {
    const c = await this.views.load(em, code, { lock: true });
    const idempotencyKey = `land-use-deposit:${key}`;
    if (c.deposit_entry_id !== null) {
      const keys = await this.reads.entryKeys(em, [c.deposit_entry_id]);
      if (keys.get(c.deposit_entry_id) === idempotencyKey) return this.views.view(em, c);
      throw new LandUseError('DEPOSIT_ALREADY_RECEIVED', `the deposit of ${code} was received already (entry ${c.deposit_entry_id})`, 'contract');
    }
    if (c.state !== 'DRAFT' && c.state !== 'ACTIVE') throw new LandUseError('CONTRACT_NOT_ACTIVE', `${code} is ${c.state}`, 'contract');
    const amount = new Dec(c.deposit_amount);
    if (amount.isZero()) throw invalid(`${code} has no deposit`, 'contract');
    const receivedOn = requireDate(input.receivedOn, 'receivedOn');
    const bankReference = requireText(input.bankReference, 'bankReference', 100);
    const posted = await this.ledger.post(em, {
      idempotencyKey,
      kind: 'LAND_USE_DEPOSIT_RECEIVED',
      effectiveDate: receivedOn,
      memo: `${c.lessee_name} 缴纳保证金 ${money(amount)} 元 合同 ${code} 银行流水 ${bankReference}`,
      metadata: { contract: code, bankReference },
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount: money(amount) },
        { account: landDeposit(code), side: 'CREDIT', amount: money(amount) },
      ],
    });
    await contracts.setDepositReceived(em, c.id, posted.entry.id, receivedOn);
    return this.views.view(em, await this.views.load(em, code));
  }

  /**
   * DRAFT → ACTIVE: stores the schedule (rent contracts need their deposit received first); an EQUITY
   * contract instead books the land's appraised value as the farm's IN_KIND_LAND contribution to its
   * project (still a DRAFT, else PROJECT_NOT_DRAFT and nothing written), under a key derived from the
   * contract code, so the contribution exists once whatever is replayed.
   */
  async activate(em: EntityManager, code: string): Promise<LandUseContractView> {
    const c = await this.views.load(em, code, { lock: true });
    if (c.state !== 'DRAFT') throw new LandUseError('CONTRACT_NOT_DRAFT', `${code} is ${c.state}; only a draft can be activated`, 'contract');
    let contribution: { id: string; entryId: string } | null = null;
    if (c.mode === 'EQUITY') contribution = await this.bookStake(em, c);
    else {
      if (!new Dec(c.deposit_amount).isZero() && c.deposit_entry_id === null) {
        throw new LandUseError('DEPOSIT_NOT_RECEIVED', `the deposit of ${money(c.deposit_amount)} 元 must be received before ${code} is activated`, 'contract');
      }
      await receivables.insertPeriods(em, c.id, buildSchedule(scheduleInputOf(c)));
    }
    await contracts.markActive(em, c.id, contribution);
    return this.views.view(em, await this.views.load(em, code));
  }

  /**
   * The farm's stake: the appraised value as its IN_KIND_LAND contribution to the project, the
   * appraisal as the valuation document, effective on the contract's start date. Locks the project
   * row (after the contract's) and refuses a project no longer DRAFT before anything is written.
   */
  private async bookStake(em: EntityManager, c: Contract): Promise<{ id: string; entryId: string }> {
    const projectCode = c.project_code!;
    const project = await this.projects.load(em, projectCode, { lock: true });
    if (project.state !== 'DRAFT') throw projectNotDraft(projectCode, project.state);
    const booked = await this.projects.addContribution(
      em,
      projectCode,
      {
        partyCode: c.lessor_code,
        kind: 'IN_KIND_LAND',
        amount: money(c.appraised_value!),
        valuationDocument: c.appraisal_reference!,
        description: `国有林地使用权入股 合同 ${c.code} ${new Dec(c.area_mu).toFixed(AREA_SCALE)} 亩 (${c.start_date}~${c.end_date})`,
        effectiveDate: c.start_date,
      },
      equityContributionKey(c.code),
    );
    return { id: booked.contribution.id, entryId: booked.entryId };
  }

  /**
   * The schedule with what is owed on each period: stored at activation; a DRAFT's computed from its
   * terms and shown PLANNED (the same periods activation will store); none for EQUITY or a cancelled draft.
   */
  async schedule(code: string, em: EntityManager = this.dataSource.manager): Promise<LandUseSchedulePeriodView[]> {
    const c = await this.views.load(em, code);
    if (c.state === 'DRAFT') return plannedSchedule(c);
    const periods = await receivables.periodsOf(em, c.id);
    const owed = await receivables.receivablesOf(em, c.id);
    return periods.map((p) => {
      const principal = owed.find((r) => r.period_id === p.id && r.kind === 'PRINCIPAL');
      const fee = owed.find((r) => r.period_id === p.id && r.kind === 'LATE_FEE');
      return {
        seq: p.seq,
        periodStart: p.period_start,
        periodEnd: p.period_end,
        dueDate: p.due_date,
        contractYear: p.contract_year,
        annualRent: money(p.annual_rent),
        days: p.days,
        periodDays: p.period_days,
        amount: money(p.amount),
        calculation: p.calculation,
        parts: p.parts,
        state: p.state,
        principalOutstanding: money(principal ? outstandingOf(principal) : ZERO),
        lateFeeAccrued: money(fee?.amount ?? ZERO),
        lateFeeOutstanding: money(fee ? outstandingOf(fee) : ZERO),
        lateFeeAccruedThrough: fee?.accrued_through ?? null,
      };
    });
  }
}
