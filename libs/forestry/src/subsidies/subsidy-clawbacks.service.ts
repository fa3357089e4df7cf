import { Injectable } from '@nestjs/common';
import { Amount, Dec, EntryDraft, LedgerReads, LedgerService, PostingDraft } from '@forest-ledger/ledger';
import { EntityManager } from 'typeorm';
import { walletOf } from '../parties/parties.service';
import { partiesByCodes } from '../parties/party-refs';
import { BANK_CLEARING_ACCOUNT, businessToday } from '../projects/project-accounts';
import {
  addRecovered,
  cancelScheduledInstalments,
  ClaimRow,
  lockOpenClaimsOfContract,
  lockRecipient,
  recoverClaimIfSettled,
  selectInstalments,
  updateClaimCancelled,
  updateClaimClawback,
  updateRecipientClawback,
} from './claims.store';
import { SubsidyError } from './subsidies.errors';
import { programmeClawbackPending, programmeReceivable, programmeReserved, programmeWallet, receivableAccount } from './subsidy-accounts';
import { ClaimView, SubsidyClaimsService } from './subsidy-claims.service';
import { subsidyDate, subsidyText } from './subsidy-input';
import { clawback } from './subsidy-rules';
import { ContractRecord, TransferContractsService } from './transfer-contracts.service';
import { recordEvent } from '../events/record-event';

export interface TerminationOutcome {
  contract: string;
  terminatedOn: string;
  claims: ClaimView[];
}

/** Early termination of a contract (its claims' clawback) and the recovery of what recipients owe (DOMAIN.md §6). */
@Injectable()
export class SubsidyClawbacksService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly reads: LedgerReads,
    private readonly contracts: TransferContractsService,
    private readonly claims: SubsidyClaimsService,
  ) {}

  /**
   * Terminates a contract early (before its end date): cancels open claims and unpaid instalments
   * (their reservation goes back to the budget) and, for each claim that paid something, books what
   * each recipient must return (rate × paid, pro rata to the unexpired term) as a receivable, in one
   * entry per claim.
   */
  async terminateContract(em: EntityManager, contractCode: string, input: { terminatedOn: string; reason: string }, key: string): Promise<TerminationOutcome> {
    const contract = await this.contracts.load(em, contractCode, { lock: true });
    const terminatedOn = subsidyDate(input.terminatedOn, 'terminatedOn');
    const reason = subsidyText(input.reason, 'reason', 500);
    if (contract.state === 'TERMINATED' && contract.terminated_on === terminatedOn) return this.terminationOutcome(em, contract, terminatedOn);
    if (contract.state !== 'REGISTERED' && contract.state !== 'ACTIVE') throw new SubsidyError('CONTRACT_STATE', `contract ${contractCode} is ${contract.state}`, 'contract');
    if (terminatedOn < contract.start_date || terminatedOn >= contract.end_date) {
      throw new SubsidyError(
        'CONTRACT_STATE',
        `an early termination lies from ${contract.start_date} to before ${contract.end_date}; a contract that ran its term ends on schedule`,
        'terminatedOn',
      );
    }
    await this.contracts.markTerminated(em, contract, terminatedOn, reason);
    for (const id of await lockOpenClaimsOfContract(em, contract.id)) await this.clawbackClaim(em, await this.claims.loadClaim(em, id), contract, terminatedOn, key);
    return this.terminationOutcome(em, contract, terminatedOn);
  }

  /**
   * A recipient pays back (part of) what they owe: from their wallet on the platform (set-off) or
   * through the bank. One entry settles the receivable and returns the money to the budget.
   */
  async recover(
    em: EntityManager,
    claimId: string,
    input: { partyCode: string; amount: string; source: 'WALLET' | 'BANK'; bankReference?: string; effectiveDate?: string },
    key: string,
  ): Promise<ClaimView> {
    const entryKey = `subsidy-recovery:${key}`;
    const claim = await this.claims.loadClaim(em, claimId, true);
    if ((await this.reads.entryIdsByKeys(em, [entryKey])).has(entryKey)) return this.claims.getClaim(claim.id, em);
    if (claim.state !== 'CLAWBACK_DUE') throw new SubsidyError('NOTHING_TO_RECOVER', `claim ${claimId} is ${claim.state}: nothing is owed`, 'claim');
    const amount = Amount.parsePositive(input.amount, 2, 'amount').value;
    const effectiveDate = input.effectiveDate === undefined ? businessToday() : subsidyDate(input.effectiveDate, 'effectiveDate', 'INVALID_CLAIM');
    const party = typeof input.partyCode === 'string' ? (await partiesByCodes(em, [input.partyCode])).get(input.partyCode) : undefined;
    const recipient = party === undefined ? undefined : await lockRecipient(em, claim.id, party.id);
    if (!recipient) throw new SubsidyError('NOTHING_TO_RECOVER', `${input.partyCode} is not a recipient of claim ${claimId}`, 'partyCode');
    const outstanding = new Dec(recipient.clawback ?? 0).minus(recipient.recovered);
    if (amount.greaterThan(outstanding))
      throw new SubsidyError('NOTHING_TO_RECOVER', `${input.partyCode} owes ${outstanding.toFixed(2)} on claim ${claimId}, less than ${amount.toFixed(2)}`, 'amount', {
        outstanding: outstanding.toFixed(2),
      });
    let source: string;
    if (input.source === 'WALLET') source = walletOf(input.partyCode);
    else if (input.source === 'BANK') {
      subsidyText(input.bankReference, 'bankReference', 100, 'INVALID_CLAIM');
      source = BANK_CLEARING_ACCOUNT;
    } else throw new SubsidyError('INVALID_CLAIM', 'source must be WALLET (set-off) or BANK', 'source');
    const text = amount.toFixed(2);
    const programme = claim.programme_code;
    await this.ledger.post(em, {
      idempotencyKey: entryKey,
      kind: 'SUBSIDY_RECOVERY',
      effectiveDate,
      memo: `收回流转奖补 ${input.partyCode} ${text} 元${input.bankReference ? ` 银行流水 ${input.bankReference}` : ' (抵扣)'}`,
      metadata: { programme, claim: claim.id, party: input.partyCode, source: input.source, bankReference: input.bankReference ?? null },
      postings: [
        { account: source, side: 'DEBIT', amount: text },
        { account: programmeReceivable(programme, input.partyCode), side: 'CREDIT', amount: text },
        { account: programmeClawbackPending(programme), side: 'DEBIT', amount: text },
        { account: programmeWallet(programme), side: 'CREDIT', amount: text },
      ],
    });
    await addRecovered(em, claim.id, recipient.party_id, text);
    await recoverClaimIfSettled(em, claim.id);
    return this.claims.getClaim(claim.id, em);
  }

  private async clawbackClaim(em: EntityManager, claim: ClaimRow, contract: ContractRecord, terminatedOn: string, key: string): Promise<void> {
    if (claim.state === 'APPLIED') {
      await updateClaimCancelled(em, claim.id);
      return;
    }
    const rule = await this.claims.ruleOf(em, claim);
    const instalments = await selectInstalments(em, [claim.id], true);
    const unpaid = instalments.filter((i) => i.state === 'SCHEDULED').reduce((s, i) => s.plus(i.amount), new Dec(0));
    const recipients = claim.calculation?.recipients ?? [];
    const paid = recipients.map((r) => ({
      party: r.party,
      paid: instalments
        .filter((i) => i.state === 'PAID')
        .reduce((s, i) => s.plus(i.splits.find((x) => x.party === r.party)?.amount ?? 0), new Dec(0))
        .toFixed(2),
    }));
    const result = clawback(paid, rule.clawbackRate, contract.start_date, contract.end_date, terminatedOn);
    const programme = claim.programme_code;
    const postings: PostingDraft[] = [];
    for (const line of result.lines) {
      if (new Dec(line.amount).isZero()) continue;
      await this.ledger.ensureAccount(em, receivableAccount(programme, line.party));
      postings.push({ account: programmeReceivable(programme, line.party), side: 'DEBIT', amount: line.amount });
    }
    if (postings.length > 0) postings.push({ account: programmeClawbackPending(programme), side: 'CREDIT', amount: result.total });
    if (unpaid.greaterThan(0)) {
      postings.push({ account: programmeReserved(programme), side: 'DEBIT', amount: unpaid.toFixed(2) });
      postings.push({ account: programmeWallet(programme), side: 'CREDIT', amount: unpaid.toFixed(2) });
    }
    let entryId: string | null = null;
    if (postings.length > 0) {
      const draft: EntryDraft = {
        idempotencyKey: `subsidy-clawback:${key}:${claim.id}`,
        kind: 'SUBSIDY_CLAWBACK',
        effectiveDate: terminatedOn,
        memo: `合同 ${contract.code} 提前终止: 应收回奖补 ${result.total} 元, 释放未拨付 ${unpaid.toFixed(2)} 元`,
        metadata: { programme, claim: claim.id, contract: contract.code, unexpiredDays: result.unexpiredDays, termDays: result.termDays },
        postings,
      };
      entryId = (await this.ledger.post(em, draft)).entry.id;
    }
    await cancelScheduledInstalments(em, claim.id);
    const parties = await partiesByCodes(
      em,
      result.lines.map((l) => l.party),
    );
    for (const line of result.lines) {
      const party = parties.get(line.party);
      if (party) await updateRecipientClawback(em, claim.id, party.id, line.amount);
    }
    const state = new Dec(result.total).greaterThan(0) ? 'CLAWBACK_DUE' : 'CANCELLED';
    await updateClaimClawback(em, claim.id, { state, amount: result.total, entryId, calculation: result });
    await recordEvent(
      em,
      'subsidy.clawback_booked',
      { type: 'subsidy_claim', id: claim.id },
      {
        claimId: claim.id,
        programme,
        contract: contract.code,
        terminatedOn,
        state,
        total: result.total,
        released: unpaid.toFixed(2),
        lines: result.lines.map((l) => ({ party: l.party, amount: l.amount })),
        unexpiredDays: result.unexpiredDays,
        termDays: result.termDays,
        entryId,
      },
    );
  }

  private async terminationOutcome(em: EntityManager, contract: ContractRecord, terminatedOn: string): Promise<TerminationOutcome> {
    return { contract: contract.code, terminatedOn, claims: await this.claims.claimsOfContract(contract.code, em) };
  }
}
