import { Injectable } from '@nestjs/common';
import { Dec, LedgerService, PostingDraft } from '@forest-ledger/ledger';
import Decimal from 'decimal.js';
import { EntityManager } from 'typeorm';
import { BANK_CLEARING_ACCOUNT, businessToday } from '../projects/project-accounts';
import { landDeposit, landIncome, landLesseeCredit, landReceivable } from './land-use-accounts';
import * as contracts from './land-use-contracts.store';
import * as receivables from './land-use-receivables.store';
import { LandUseReceivablesService } from './land-use-receivables.service';
import { invalid, money, outstandingOf, requireDate, requireText, sum, ZERO } from './land-use-terms';
import { Contract, LandUseViews } from './land-use-views';
import { LandUseError } from './land-use.errors';
import { DepositDisposition, LandUseCancellationInput, LandUseClosingSettlement, LandUseContractView, LandUseEndOfTermInput, LandUseTerminationInput } from './land-use.types';
import { allocatePayment } from './receivables';
import { daysInclusive, unusedRent } from './rent-schedule';

/**
 * The close of a contract (DOMAIN.md §7): early termination, the end of term, cancelling a draft. Each
 * settles what is owed from the lessee's credit, then the deposit (applied, returned or forfeited), and
 * refunds what credit is left; its settlement is stored on the contract. Replays with the same key
 * return the closed contract.
 */
@Injectable()
export class LandUseClosingService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly receivables: LandUseReceivablesService,
    private readonly views: LandUseViews,
  ) {}

  /**
   * Early termination on `terminatedOn` (the last day of use): raises what was due by then and
   * accrues late fees through it, cancels the later periods, credits the unused days of the current
   * period pro rata, then settles (the lessee's credit, then the deposit, applied to what is owed;
   * the deposit's rest returned or forfeited; any credit left refunded). Late fees stop at the close.
   */
  async terminate(em: EntityManager, code: string, input: LandUseTerminationInput, key: string): Promise<LandUseContractView> {
    const c = await this.views.load(em, code, { lock: true });
    if (c.settlement !== null && c.settlement.key === key && c.state === 'TERMINATED') return this.views.view(em, c);
    if (c.state !== 'ACTIVE') throw new LandUseError('CONTRACT_NOT_ACTIVE', `${code} is ${c.state}; only an active contract can be terminated`, 'contract');
    const terminatedOn = requireDate(input.terminatedOn, 'terminatedOn');
    if (terminatedOn < c.start_date || terminatedOn >= c.end_date) {
      throw new LandUseError(
        'INVALID_TERMINATION',
        `terminatedOn must lie from ${c.start_date} to the day before the end ${c.end_date} (the end of term is endTerm)`,
        'terminatedOn',
      );
    }
    const reason = requireText(input.reason, 'reason', 500);
    const forfeitReason = dispositionReason(input);
    let periodCredit: LandUseClosingSettlement['periodCredit'] = null;
    const cancelled: number[] = [];
    if (c.mode !== 'EQUITY') {
      await this.receivables.bringUpTo(em, c, terminatedOn);
      cancelled.push(...(await receivables.cancelPeriodsAfter(em, c.id, terminatedOn)));
      periodCredit = await this.creditUnusedDays(em, c, terminatedOn, key);
    }
    const settlement = await this.settleClose(em, c, terminatedOn, input.deposit, forfeitReason, key, periodCredit, cancelled);
    await contracts.markClosed(em, c.id, { state: 'TERMINATED', terminatedOn, reason }, settlement);
    return this.views.view(em, await this.views.load(em, code));
  }

  /** The end of term: everything raised and accrued through `endedOn`, then the same settlement as a termination (without the period credit). */
  async endTerm(em: EntityManager, code: string, input: LandUseEndOfTermInput, key: string): Promise<LandUseContractView> {
    const c = await this.views.load(em, code, { lock: true });
    if (c.settlement !== null && c.settlement.key === key && c.state === 'ENDED') return this.views.view(em, c);
    if (c.state !== 'ACTIVE') throw new LandUseError('CONTRACT_NOT_ACTIVE', `${code} is ${c.state}; only an active contract can end`, 'contract');
    const endedOn = requireDate(input.endedOn, 'endedOn');
    if (endedOn < c.end_date)
      throw new LandUseError('TERM_NOT_ENDED', `${code} runs until ${c.end_date}; it cannot end on ${endedOn} (terminate it early instead)`, 'endedOn', { endDate: c.end_date });
    const forfeitReason = dispositionReason(input);
    if (c.mode !== 'EQUITY') await this.receivables.bringUpTo(em, c, endedOn);
    const settlement = await this.settleClose(em, c, endedOn, input.deposit, forfeitReason, key, null, []);
    await contracts.markClosed(em, c.id, { state: 'ENDED' }, settlement);
    return this.views.view(em, await this.views.load(em, code));
  }

  /**
   * Cancels a draft that never took effect (any mode), with a reason: DRAFT → CANCELLED. A deposit
   * already received goes back to the lessee in the same transaction, by the close's own deposit
   * settlement (nothing is owed on a draft, so all of it is returned: one entry deposit → bank),
   * recorded on the settlement. A contract that took effect is terminated or ended instead.
   */
  async cancel(em: EntityManager, code: string, input: LandUseCancellationInput, key: string): Promise<LandUseContractView> {
    const c = await this.views.load(em, code, { lock: true });
    if (c.settlement !== null && c.settlement.key === key && c.state === 'CANCELLED') return this.views.view(em, c);
    if (c.state === 'CANCELLED') throw new LandUseError('CONTRACT_NOT_CANCELLABLE', `${code} is cancelled already`, 'contract', { state: c.state });
    if (c.state !== 'DRAFT') {
      throw new LandUseError(
        'CONTRACT_NOT_CANCELLABLE',
        `${code} is ${c.state}: only a draft can be cancelled; ${c.state === 'ACTIVE' ? 'terminate it instead' : 'it is closed already'}`,
        'contract',
        { state: c.state },
      );
    }
    const reason = requireText(input.reason, 'reason', 500);
    const settlement = await this.settleClose(em, c, businessToday(), 'RETURN', null, key, null, []);
    await contracts.markClosed(em, c.id, { state: 'CANCELLED', reason }, settlement);
    return this.views.view(em, await this.views.load(em, code));
  }

  /**
   * The unused days of the period running on `lastDay`, at the rent of the contract year each falls in
   * (unusedRent): income back, off what is owed for it, the rest to the lessee's credit.
   */
  private async creditUnusedDays(em: EntityManager, c: Contract, lastDay: string, key: string): Promise<LandUseClosingSettlement['periodCredit']> {
    const current = await receivables.principalRunningOn(em, c.id, lastDay);
    if (!current) return null;
    const period = await receivables.periodById(em, current.period_id);
    const usedDays = daysInclusive(period.period_start, lastDay);
    const credit = unusedRent(period.parts, lastDay);
    if (credit.isZero()) return null;
    const offReceivable = Decimal.min(credit, outstandingOf(current));
    const toCredit = credit.minus(offReceivable);
    const postings: PostingDraft[] = [{ account: landIncome(c.code), side: 'DEBIT', amount: money(credit) }];
    if (offReceivable.greaterThan(0)) postings.push({ account: landReceivable(c.code), side: 'CREDIT', amount: money(offReceivable) });
    if (toCredit.greaterThan(0)) postings.push({ account: landLesseeCredit(c.code), side: 'CREDIT', amount: money(toCredit) });
    await this.ledger.post(em, {
      idempotencyKey: `land-use-close:${key}:period-credit`,
      kind: 'LAND_USE_TERMINATION_CREDIT',
      effectiveDate: lastDay,
      memo: `提前终止 第 ${current.seq} 期 未使用 ${period.days - usedDays}/${period.days} 天 退租金 ${money(credit)} 元`,
      metadata: { contract: c.code, periodSeq: current.seq, usedDays, days: period.days },
      postings,
    });
    await receivables.addCredited(em, current.id, money(offReceivable));
    return { seq: current.seq, usedDays, days: period.days, amount: money(credit) };
  }

  private async settleClose(
    em: EntityManager,
    c: Contract,
    closedOn: string,
    disposition: DepositDisposition,
    forfeitReason: string | null,
    key: string,
    periodCredit: LandUseClosingSettlement['periodCredit'],
    cancelledPeriods: number[],
  ): Promise<LandUseClosingSettlement> {
    const settlement: LandUseClosingSettlement = {
      key,
      closedOn,
      periodCredit,
      creditApplied: '0.00',
      depositHeld: '0.00',
      depositApplied: '0.00',
      depositReturned: '0.00',
      depositForfeited: '0.00',
      forfeitReason,
      creditRefunded: '0.00',
      cancelledPeriods,
      remainingOwed: '0.00',
    };
    if (c.mode === 'EQUITY') return settlement;
    const code = c.code;
    const credit = new Dec((await this.ledger.getAccount(landLesseeCredit(code), em)).balance);
    if (credit.greaterThan(0)) {
      const allocation = allocatePayment(money(credit), await this.receivables.openItems(em, c.id));
      const applied = credit.minus(allocation.credit);
      if (applied.greaterThan(0)) {
        const posted = await this.ledger.post(em, {
          idempotencyKey: `land-use-close:${key}:credit`,
          kind: 'LAND_USE_CREDIT_APPLIED',
          effectiveDate: closedOn,
          memo: `合同 ${code} 结算：预收款抵欠款 ${money(applied)} 元`,
          metadata: { contract: code },
          postings: [
            { account: landLesseeCredit(code), side: 'DEBIT', amount: money(applied) },
            { account: landReceivable(code), side: 'CREDIT', amount: money(applied) },
          ],
        });
        await this.receivables.recordSettlement(em, c.id, 'CREDIT', applied, ZERO, closedOn, null, posted.entry, allocation.applications);
        settlement.creditApplied = money(applied);
      }
    }
    const held = new Dec((await this.ledger.getAccount(landDeposit(code), em)).balance);
    settlement.depositHeld = money(held);
    if (held.greaterThan(0)) {
      const allocation = allocatePayment(money(held), await this.receivables.openItems(em, c.id));
      const applied = held.minus(allocation.credit);
      const rest = new Dec(allocation.credit);
      const postings: PostingDraft[] = [{ account: landDeposit(code), side: 'DEBIT', amount: money(held) }];
      if (applied.greaterThan(0)) postings.push({ account: landReceivable(code), side: 'CREDIT', amount: money(applied) });
      if (rest.greaterThan(0)) postings.push({ account: disposition === 'RETURN' ? BANK_CLEARING_ACCOUNT : landIncome(code), side: 'CREDIT', amount: money(rest) });
      const posted = await this.ledger.post(em, {
        idempotencyKey: `land-use-close:${key}:deposit`,
        kind: 'LAND_USE_DEPOSIT_SETTLED',
        effectiveDate: closedOn,
        memo: `合同 ${code} 结算保证金 ${money(held)} 元：抵欠款 ${money(applied)} 元，${disposition === 'RETURN' ? '退还' : `没收 (${forfeitReason})`} ${money(rest)} 元`,
        metadata: { contract: code, applied: money(applied), disposition, rest: money(rest), forfeitReason },
        postings,
      });
      if (applied.greaterThan(0)) await this.receivables.recordSettlement(em, c.id, 'DEPOSIT', applied, ZERO, closedOn, null, posted.entry, allocation.applications);
      settlement.depositApplied = money(applied);
      if (disposition === 'RETURN') settlement.depositReturned = money(rest);
      else settlement.depositForfeited = money(rest);
    }
    const left = new Dec((await this.ledger.getAccount(landLesseeCredit(code), em)).balance);
    if (left.greaterThan(0)) {
      await this.ledger.post(em, {
        idempotencyKey: `land-use-close:${key}:refund`,
        kind: 'LAND_USE_CREDIT_REFUNDED',
        effectiveDate: closedOn,
        memo: `合同 ${code} 结算：退还预收款 ${money(left)} 元`,
        metadata: { contract: code },
        postings: [
          { account: landLesseeCredit(code), side: 'DEBIT', amount: money(left) },
          { account: BANK_CLEARING_ACCOUNT, side: 'CREDIT', amount: money(left) },
        ],
      });
      settlement.creditRefunded = money(left);
    }
    settlement.remainingOwed = money(sum((await this.receivables.openItems(em, c.id)).map((i) => i.outstanding)));
    return settlement;
  }
}

function dispositionReason(input: { deposit: DepositDisposition; forfeitReason?: string }): string | null {
  if (input.deposit !== 'RETURN' && input.deposit !== 'FORFEIT') throw invalid('deposit must be RETURN or FORFEIT', 'deposit');
  if (input.deposit === 'FORFEIT') return requireText(input.forfeitReason, 'forfeitReason', 500);
  if (input.forfeitReason !== undefined) throw invalid('forfeitReason goes with deposit FORFEIT', 'forfeitReason');
  return null;
}
