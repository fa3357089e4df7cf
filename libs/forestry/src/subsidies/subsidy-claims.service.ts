import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { partiesByCodes, partiesByIds } from '../parties/party-refs';
import { businessToday } from '../projects/project-accounts';
import { regionsByIds } from '../regions/region-refs';
import {
  approvedInYear,
  ClaimRow,
  insertClaim,
  insertInstalments,
  insertRecipients,
  lockKeys,
  selectClaim,
  selectClaimByApplyKey,
  selectClaimIdByRejectionKey,
  selectClaimsOfContract,
  selectClaimsOfProgramme,
  selectInstalments,
  selectRecipients,
  updateClaimApproved,
  updateClaimRejected,
} from './claims.store';
import { hasRecipientCap, programmeCovers, ProgrammeRow, ruleView, RuleView, selectRules, selectRulesByIds } from './programmes.store';
import { SubsidyError } from './subsidies.errors';
import { budgetShort, programmeReserved, programmeWallet } from './subsidy-accounts';
import { subsidyDate, subsidyText } from './subsidy-input';
import { ClaimState, InstalmentState, SubsidyActor } from './subsidy.model';
import { SubsidyProgrammesService } from './subsidy-programmes.service';
import { calculateSubsidy, Calculation, ClawbackResult, EligibilityReason, evaluateEligibility, instalmentSchedule, RecipientRole, ruleInForce } from './subsidy-rules';
import { ContractRecord, TransferContractsService } from './transfer-contracts.service';
import { recordEvent } from '../events/record-event';
import { requireRole } from '@forest-ledger/access';
import { SUBSIDY_POLICIES } from './subsidy-policies';

export interface RecipientView {
  party: string;
  role: RecipientRole;
  amount: string;
  paid: string;
  clawback: string | null;
  recovered: string;
  outstanding: string;
}

export interface InstalmentView {
  id: string;
  seq: number;
  dueDate: string;
  amount: string;
  state: InstalmentState;
  splits: Array<{ party: string; amount: string }>;
  entryId: string | null;
  paidOn: string | null;
}

export interface ClaimView {
  id: string;
  programme: string;
  contract: string;
  state: ClaimState;
  rule: { id: string; version: number; effectiveFrom: string } | null;
  eligible: boolean;
  eligibility: EligibilityReason[];
  calculation: Calculation | null;
  amount: string;
  appliedBy: string;
  approvedBy: string | null;
  approvedOn: string | null;
  /** Set when an approver rejected the claim (state REJECTED). */
  rejectedBy: string | null;
  rejectedOn: string | null;
  rejectionReason: string | null;
  reserveEntryId: string | null;
  recipients: RecipientView[];
  instalments: InstalmentView[];
  clawback: { amount: string; entryId: string | null; calculation: ClawbackResult } | null;
}

/** States in which a claim's approved amount counts against the recipient's annual cap. */
const COUNTED_STATES: ClaimState[] = ['APPROVED', 'COMPLETED', 'CLAWBACK_DUE', 'RECOVERED'];

/**
 * Subsidy claims: application, approval (which reserves the budget and schedules the instalments) and
 * rejection, and the claims' views (DOMAIN.md §6). Every write runs in the caller's transaction (`em`).
 *
 * Budget: approval moves the claim's amount from the programme wallet to its reserved account in one
 * entry, and both accounts are no-overdraft, so the ledger's row locks make concurrent approvals
 * serialise on the wallet and refuse whatever the budget cannot cover.
 */
@Injectable()
export class SubsidyClaimsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly reads: LedgerReads,
    private readonly contracts: TransferContractsService,
    private readonly programmes: SubsidyProgrammesService,
  ) {}

  /**
   * Applies for the subsidy of a contract under a programme. The rule version in force on the
   * contract's start date applies and is recorded; every eligibility check is recorded with its
   * outcome, and an ineligible claim is kept (state INELIGIBLE) to show which checks failed.
   * A repeat with the same key returns the first claim.
   */
  async apply(em: EntityManager, input: { programmeCode: string; contractCode: string; appliedOn?: string }, actor: SubsidyActor, key: string): Promise<ClaimView> {
    const replay = await selectClaimByApplyKey(em, key);
    if (replay) return this.sameClaim(replay, input, em);
    // The contract locked first (the order termination and approval take): a termination committed while this
    // waited is seen, and one that comes later finds this claim among the contract's open claims.
    const contract = await this.contracts.load(em, input.contractCode, { lock: true });
    const programme = await this.programmes.loadProgramme(em, input.programmeCode);
    const appliedOn = input.appliedOn === undefined ? businessToday() : subsidyDate(input.appliedOn, 'appliedOn', 'INVALID_CLAIM');
    const { rule, eligibility, calculation } = await this.assess(em, programme, contract, Number(appliedOn.slice(0, 4)));
    const eligible = eligibility.every((r) => r.met);
    const id = await insertClaim(em, {
      programmeId: programme.id,
      contractId: contract.id,
      ruleId: rule?.id ?? null,
      state: eligible ? 'APPLIED' : 'INELIGIBLE',
      applyKey: key,
      eligibility,
      calculation,
      appliedBy: actor.userId,
    });
    if (id === null) {
      const raced = await selectClaimByApplyKey(em, key);
      if (raced) return this.sameClaim(raced, input, em);
      throw new SubsidyError(
        'CLAIM_EXISTS',
        `contract ${contract.code} has an open claim under programme ${programme.code} already (only an ineligible or rejected one allows another)`,
        'contractCode',
      );
    }
    return this.getClaim(id, em);
  }

  /**
   * Approves a claim: an APPROVER other than the applicant. Recomputes eligibility and the amount
   * (the annual cap counts approvals of the approval's year, under a per-recipient advisory lock),
   * reserves the amount from the programme wallet (refused, nothing written, when the budget is
   * short) and schedules the instalments.
   */
  async approve(em: EntityManager, claimId: string, input: { approvedOn?: string }, actor: SubsidyActor, key: string): Promise<ClaimView> {
    const entryKey = `subsidy-reserve:${key}`;
    requireRole(actor, SUBSIDY_POLICIES.approveClaim, (m) => new SubsidyError('NOT_AN_APPROVER', m, 'role'));
    // Contract before claim, the order a termination locks them in.
    const contract = await this.contracts.load(em, (await this.loadClaim(em, claimId)).contract_code, { lock: true });
    const claim = await this.loadClaim(em, claimId, true);
    if (claim.state !== 'APPLIED') {
      const existing = (await this.reads.entryIdsByKeys(em, [entryKey])).get(entryKey);
      if (existing !== undefined && existing === claim.reserve_entry_id) return this.getClaim(claim.id, em);
      if (claim.state === 'INELIGIBLE') throw this.notEligible(claim.eligibility, claim.id);
      throw new SubsidyError('CLAIM_STATE', `claim ${claim.id} is ${claim.state}, not APPLIED`, 'claim');
    }
    if (claim.applied_by === actor.userId) throw new SubsidyError('SELF_APPROVAL', 'the applicant cannot approve their own claim: a second person must', 'claim');
    const approvedOn = input.approvedOn === undefined ? businessToday() : subsidyDate(input.approvedOn, 'approvedOn', 'INVALID_CLAIM');
    const programme = await this.programmes.loadProgramme(em, claim.programme_code);
    const parties = await partiesByCodes(em, [contract.transferor_code, contract.transferee_code]);
    // Under an annual cap per recipient, approvals for one recipient under one programme take turns
    // (the cap reads what was approved before). The budget needs no such lock: the ledger's is enough.
    if (await hasRecipientCap(em, programme.id)) {
      await lockKeys(
        em,
        [...parties.values()].map((p) => `subsidy-cap:${programme.id}:${p.id}`),
      );
    }
    const year = Number(approvedOn.slice(0, 4));
    const { rule, eligibility, calculation } = await this.assess(em, programme, contract, year);
    if (!eligibility.every((r) => r.met) || rule === null || calculation === null) throw this.notEligible(eligibility, claim.id);
    let reserveEntryId: string | null = null;
    if (new Dec(calculation.total).greaterThan(0)) {
      try {
        const posted = await this.ledger.post(em, {
          idempotencyKey: entryKey,
          kind: 'SUBSIDY_RESERVE',
          effectiveDate: approvedOn,
          memo: `流转奖补批准 合同 ${contract.code} 金额 ${calculation.total} 元`,
          metadata: { programme: programme.code, claim: claim.id, contract: contract.code },
          postings: [
            { account: programmeWallet(programme.code), side: 'DEBIT', amount: calculation.total },
            { account: programmeReserved(programme.code), side: 'CREDIT', amount: calculation.total },
          ],
        });
        reserveEntryId = posted.entry.id;
      } catch (error) {
        throw budgetShort(error, programme.code, calculation.total);
      }
    }
    const schedule = instalmentSchedule(rule.instalments, calculation.recipients, approvedOn, contract.start_date);
    await updateClaimApproved(em, claim.id, {
      state: schedule.length === 0 ? 'COMPLETED' : 'APPROVED',
      ruleId: rule.id,
      eligibility,
      calculation,
      approvedBy: actor.userId,
      approvedOn,
      reserveEntryId,
    });
    await insertRecipients(
      em,
      claim.id,
      calculation.recipients.map((r) => ({ partyId: parties.get(r.party)!.id, role: r.role, amount: r.amount, approvedYear: year })),
    );
    if (schedule.length > 0) await insertInstalments(em, claim.id, schedule);
    await recordEvent(
      em,
      'subsidy.claim_approved',
      { type: 'subsidy_claim', id: claim.id },
      {
        claimId: claim.id,
        programme: programme.code,
        contract: contract.code,
        approvedOn,
        total: calculation.total,
        recipients: calculation.recipients.map((r) => ({ party: r.party, role: r.role, amount: r.amount })),
        instalments: schedule.length,
        reserveEntryId,
      },
    );
    return this.getClaim(claim.id, em);
  }

  /**
   * Rejects an APPLIED claim (wrong documents, contract not genuine …): an APPROVER other than the
   * applicant, with a reason. Application reserves nothing, so nothing returns to the budget and no
   * entry is written. The contract may apply again under the programme. A repeat with the same key
   * returns the rejected claim.
   */
  async reject(em: EntityManager, claimId: string, input: { reason: string; rejectedOn?: string }, actor: SubsidyActor, key: string): Promise<ClaimView> {
    requireRole(actor, SUBSIDY_POLICIES.rejectClaim, (m) => new SubsidyError('NOT_AN_APPROVER', m, 'role'));
    // The claim row only: a rejection touches nothing else (an approval or a termination waits on this lock, then sees REJECTED).
    const claim = await this.loadClaim(em, claimId, true);
    if (claim.rejection_key === key) return this.getClaim(claim.id, em);
    const other = await selectClaimIdByRejectionKey(em, key);
    if (other !== undefined) throw new SubsidyError('IDEMPOTENCY_CONFLICT', `this key rejected claim ${other}, not ${claim.id}`, 'idempotencyKey');
    const reason = subsidyText(input.reason, 'reason', 500, 'INVALID_CLAIM');
    const rejectedOn = input.rejectedOn === undefined ? businessToday() : subsidyDate(input.rejectedOn, 'rejectedOn', 'INVALID_CLAIM');
    if (claim.state !== 'APPLIED')
      throw new SubsidyError('CLAIM_STATE', `claim ${claim.id} is ${claim.state}: only an APPLIED claim can be rejected`, 'claim', { state: claim.state });
    if (claim.applied_by === actor.userId) throw new SubsidyError('SELF_REJECTION', 'the applicant cannot reject their own claim: a second person must', 'claim');
    await updateClaimRejected(em, claim.id, { rejectedBy: actor.userId, rejectedOn, reason, key });
    return this.getClaim(claim.id, em);
  }

  async getClaim(claimId: string, em: EntityManager = this.dataSource.manager): Promise<ClaimView> {
    const [view] = await this.claimViews(em, [await this.loadClaim(em, claimId)]);
    return view;
  }

  /** Claims of a programme (optionally in one state), oldest first, at most 200. */
  async listClaims(filter: { programmeCode: string; state?: ClaimState; limit?: number }): Promise<ClaimView[]> {
    const em = this.dataSource.manager;
    return this.claimViews(em, await selectClaimsOfProgramme(em, filter.programmeCode, filter.state ?? null, Math.min(filter.limit ?? 100, 200)));
  }

  async claimsOfContract(contractCode: string, em: EntityManager = this.dataSource.manager): Promise<ClaimView[]> {
    return this.claimViews(em, await selectClaimsOfContract(em, contractCode));
  }

  /** The claim's row; `lock` takes it FOR UPDATE. 404 UNKNOWN_CLAIM for an unknown or malformed id. */
  async loadClaim(em: EntityManager, claimId: string, lock = false): Promise<ClaimRow> {
    if (typeof claimId !== 'string' || !/^\d{1,18}$/.test(claimId)) throw new SubsidyError('UNKNOWN_CLAIM', `no claim ${JSON.stringify(claimId)}`, 'claim');
    const row = await selectClaim(em, claimId, lock);
    if (!row) throw new SubsidyError('UNKNOWN_CLAIM', `no claim ${claimId}`, 'claim');
    return row;
  }

  /** The rule version a claim was approved under (its clawback rate applies on termination). */
  async ruleOf(em: EntityManager, claim: ClaimRow): Promise<RuleView> {
    const [row] = await selectRulesByIds(em, [claim.rule_id!]);
    return ruleView(row);
  }

  /** The views of claims in their order (rules, instalments, recipients and their parties: a query each, whatever their number). */
  private async claimViews(em: EntityManager, claims: ClaimRow[]): Promise<ClaimView[]> {
    if (claims.length === 0) return [];
    const ids = claims.map((c) => c.id);
    const rules = await selectRulesByIds(em, [...new Set(claims.map((c) => c.rule_id).filter((id): id is string => id !== null))]);
    const instalments = await selectInstalments(em, ids);
    const recipientRows = await selectRecipients(em, ids);
    // A recipient's party is the one its role named in the claim's calculation (written together at approval); any other is looked up.
    const byRole = (claimId: string, role: RecipientRole) => claims.find((c) => c.id === claimId)?.calculation?.recipients.find((r) => r.role === role)?.party;
    const others = await partiesByIds(
      em,
      recipientRows.filter((r) => byRole(r.claim_id, r.role) === undefined).map((r) => r.party_id),
    );
    const recipients = recipientRows.map((r) => ({ ...r, code: byRole(r.claim_id, r.role) ?? others.get(r.party_id)!.code }));
    return claims.map((claim) => {
      const rule = rules.find((r) => r.id === claim.rule_id);
      const own = instalments.filter((i) => i.claim_id === claim.id);
      const order = (claim.calculation?.recipients ?? []).map((r) => r.party);
      const parts = recipients.filter((r) => r.claim_id === claim.id).sort((a, b) => order.indexOf(a.code) - order.indexOf(b.code));
      const paidTo = (party: string) => own.filter((i) => i.state === 'PAID').reduce((sum, i) => sum.plus(i.splits.find((x) => x.party === party)?.amount ?? 0), new Dec(0));
      return {
        id: claim.id,
        programme: claim.programme_code,
        contract: claim.contract_code,
        state: claim.state,
        rule: rule ? { id: rule.id, version: rule.version, effectiveFrom: rule.effective_from } : null,
        eligible: claim.eligibility.every((r) => r.met),
        eligibility: claim.eligibility,
        calculation: claim.calculation,
        amount: new Dec(claim.amount).toFixed(2),
        appliedBy: claim.applied_by,
        approvedBy: claim.approved_by,
        approvedOn: claim.approved_on,
        rejectedBy: claim.rejected_by,
        rejectedOn: claim.rejected_on,
        rejectionReason: claim.rejection_reason,
        reserveEntryId: claim.reserve_entry_id,
        recipients: parts.map((r) => ({
          party: r.code,
          role: r.role,
          amount: new Dec(r.amount).toFixed(2),
          paid: paidTo(r.code).toFixed(2),
          clawback: r.clawback === null ? null : new Dec(r.clawback).toFixed(2),
          recovered: new Dec(r.recovered).toFixed(2),
          outstanding: new Dec(r.clawback ?? 0).minus(r.recovered).toFixed(2),
        })),
        instalments: own.map((i) => ({
          id: i.id,
          seq: i.seq,
          dueDate: i.due_date,
          amount: new Dec(i.amount).toFixed(2),
          state: i.state,
          splits: i.splits,
          entryId: i.entry_id,
          paidOn: i.paid_on,
        })),
        clawback:
          claim.clawback_calculation === null
            ? null
            : { amount: new Dec(claim.clawback_amount ?? 0).toFixed(2), entryId: claim.clawback_entry_id, calculation: claim.clawback_calculation },
      };
    });
  }

  private async sameClaim(row: ClaimRow, input: { programmeCode: string; contractCode: string }, em: EntityManager): Promise<ClaimView> {
    if (row.programme_code !== input.programmeCode || row.contract_code !== input.contractCode) {
      throw new SubsidyError('IDEMPOTENCY_CONFLICT', 'this key was used for a claim on another programme or contract', 'idempotencyKey');
    }
    return this.getClaim(row.id, em);
  }

  /** The rule in force on the contract's start date, every eligibility check, and the amount (caps counted in `year`). */
  private async assess(
    em: EntityManager,
    programme: ProgrammeRow,
    contract: ContractRecord,
    year: number,
  ): Promise<{ rule: RuleView | null; eligibility: EligibilityReason[]; calculation: Calculation | null }> {
    const rules = (await selectRules(em, [programme.id])).map(ruleView);
    const rule = ruleInForce(rules, contract.start_date);
    // The programme covers the contract's township, or the county it lies in.
    const township = (await regionsByIds(em, [contract.township_id])).get(contract.township_id);
    const inside = await programmeCovers(em, programme.id, township?.parentId ? [contract.township_id, township.parentId] : [contract.township_id]);
    const { reasons } = evaluateEligibility(rule, {
      startDate: contract.start_date,
      endDate: contract.end_date,
      areaMu: contract.area_mu,
      mode: contract.mode,
      transferorKind: contract.transferor_kind,
      transfereeKind: contract.transferee_kind,
      inProgrammeRegion: inside,
      inForce: contract.state === 'REGISTERED' || contract.state === 'ACTIVE',
    });
    if (rule === null) return { rule, eligibility: reasons, calculation: null };
    const partyOf: Record<RecipientRole, string> = { TRANSFEROR: contract.transferor_code, TRANSFEREE: contract.transferee_code };
    const parties = await partiesByCodes(em, Object.values(partyOf));
    const used = await approvedInYear(
      em,
      programme.id,
      [...parties.values()].map((p) => p.id),
      year,
      COUNTED_STATES,
    );
    const usedBy = (code: string) => {
      const party = parties.get(code);
      return (party && used.get(party.id)) ?? '0';
    };
    const calculation = calculateSubsidy(
      rule,
      contract.area_mu,
      rule.recipients.map((r) => ({ role: r.role, party: partyOf[r.role], approvedThisYear: usedBy(partyOf[r.role]) })),
    );
    return { rule, eligibility: reasons, calculation };
  }

  private notEligible(reasons: EligibilityReason[], claimId: string): SubsidyError {
    const failed = reasons.filter((r) => !r.met);
    return new SubsidyError(
      'CLAIM_NOT_ELIGIBLE',
      `claim ${claimId} is not eligible: ${failed.map((r) => `${r.check} (required ${r.required}, actual ${r.actual})`).join('; ')}`,
      'claim',
      { failed },
    );
  }
}
