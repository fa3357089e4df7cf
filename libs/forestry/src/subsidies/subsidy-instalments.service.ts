import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, LedgerError, LedgerService, PostingDraft, PostResult } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { walletOf } from '../parties/parties.service';
import { completeClaimIfAllPaid, lockInstalment, markInstalmentPaid, selectDueInstalments } from './claims.store';
import { SubsidyError } from './subsidies.errors';
import { budgetShort, programmeReserved } from './subsidy-accounts';
import { ClaimView, SubsidyClaimsService } from './subsidy-claims.service';
import { subsidyDate } from './subsidy-input';
import { recordEvent } from '../events/record-event';

export interface DuePaymentsReport {
  asOf: string;
  paid: Array<{ claimId: string; seq: number; entryId: string }>;
  refused: Array<{ claimId: string; seq: number; code: string; message: string }>;
}

/** Instalments of approved claims: paying one, and the daily run that pays every one due (DOMAIN.md §6). */
@Injectable()
export class SubsidyInstalmentsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly claims: SubsidyClaimsService,
  ) {}

  /**
   * Pays one instalment from the programme's reserved account to the recipients' wallets: one entry,
   * keyed by claim and sequence, so it is paid once whatever runs it. A paid instalment is a no-op.
   */
  async payInstalment(em: EntityManager, claimId: string, seq: number, asOf: string): Promise<{ claim: ClaimView; entryId: string; paidNow: boolean }> {
    subsidyDate(asOf, 'asOf', 'INVALID_CLAIM');
    const claim = await this.claims.loadClaim(em, claimId, true);
    const inst = await lockInstalment(em, claim.id, seq);
    if (!inst) throw new SubsidyError('UNKNOWN_CLAIM', `claim ${claimId} has no instalment ${seq}`, 'seq');
    if (inst.state === 'PAID') return { claim: await this.claims.getClaim(claim.id, em), entryId: inst.entry_id!, paidNow: false };
    if (inst.state === 'CANCELLED' || claim.state !== 'APPROVED')
      throw new SubsidyError('CLAIM_STATE', `instalment ${seq} of claim ${claimId} cannot be paid: claim ${claim.state}, instalment ${inst.state}`, 'claim');
    if (inst.due_date > asOf) throw new SubsidyError('CLAIM_STATE', `instalment ${seq} of claim ${claimId} is due on ${inst.due_date}`, 'seq', { dueDate: inst.due_date });
    for (const s of inst.splits) await this.ledger.ensureAccount(em, { code: walletOf(s.party), asset: 'CNY', type: 'LIABILITY', ownerRef: `party:${s.party}`, noOverdraft: true });
    const amount = new Dec(inst.amount).toFixed(2);
    let posted: PostResult;
    try {
      posted = await this.ledger.post(em, {
        idempotencyKey: `subsidy-payment:${claim.id}:${seq}`,
        kind: 'SUBSIDY_PAYMENT',
        effectiveDate: asOf,
        memo: `流转奖补 合同 ${claim.contract_code} 第${seq}期 ${amount} 元`,
        metadata: { programme: claim.programme_code, claim: claim.id, contract: claim.contract_code, seq },
        postings: [
          { account: programmeReserved(claim.programme_code), side: 'DEBIT', amount },
          ...inst.splits.map((s): PostingDraft => ({ account: walletOf(s.party), side: 'CREDIT', amount: s.amount })),
        ],
      });
    } catch (error) {
      throw budgetShort(error, claim.programme_code, amount);
    }
    await markInstalmentPaid(em, inst.id, posted.entry.id, asOf);
    await completeClaimIfAllPaid(em, claim.id);
    const view = await this.claims.getClaim(claim.id, em);
    await recordEvent(
      em,
      'subsidy.instalment_paid',
      { type: 'subsidy_claim', id: claim.id },
      {
        claimId: claim.id,
        programme: claim.programme_code,
        contract: claim.contract_code,
        seq,
        amount,
        paidOn: asOf,
        splits: inst.splits.map((x) => ({ party: x.party, amount: new Dec(x.amount).toFixed(2) })),
        claimCompleted: view.state === 'COMPLETED',
        entryId: posted.entry.id,
      },
    );
    return { claim: view, entryId: posted.entry.id, paidNow: true };
  }

  /**
   * The daily job's body: pays every scheduled instalment due on or before `asOf`, each in its own
   * transaction. Running it twice (or twice at once) pays each instalment once.
   */
  async payDueInstalments(asOf: string): Promise<DuePaymentsReport> {
    subsidyDate(asOf, 'asOf', 'INVALID_CLAIM');
    const due = await selectDueInstalments(this.dataSource.manager, asOf);
    const report: DuePaymentsReport = { asOf, paid: [], refused: [] };
    for (const d of due) {
      try {
        const outcome = await inTransaction(this.dataSource, (em) => this.payInstalment(em, d.claim_id, d.seq, asOf));
        if (outcome.paidNow) report.paid.push({ claimId: d.claim_id, seq: d.seq, entryId: outcome.entryId });
      } catch (error) {
        if (!(error instanceof SubsidyError) && !(error instanceof LedgerError)) throw error;
        report.refused.push({ claimId: d.claim_id, seq: d.seq, code: error.code, message: error.message });
      }
    }
    return report;
  }
}
