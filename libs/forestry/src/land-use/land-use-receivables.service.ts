import { Injectable } from '@nestjs/common';
import { Amount, Dec, EntryDraft, LedgerService, PostingDraft } from '@forest-ledger/ledger';
import Decimal from 'decimal.js';
import { EntityManager } from 'typeorm';
import { BANK_CLEARING_ACCOUNT, businessToday } from '../projects/project-accounts';
import { landIncome, landLesseeCredit, landReceivable } from './land-use-accounts';
import * as contracts from './land-use-contracts.store';
import * as receivables from './land-use-receivables.store';
import { ReceivableRow } from './land-use-receivables.store';
import { money, outstandingOf, requireDate, requireText, round2, sum, ZERO } from './land-use-terms';
import { Contract, LandUseViews } from './land-use-views';
import type { SettlementSource } from './land-use.model';
import { LandUseError } from './land-use.errors';
import { LandUseActor, LandUseDailyRun, LandUsePaymentInput, LandUsePaymentOutcome, LandUseSettlementView, LandUseWaiverInput, LandUseWaiverOutcome } from './land-use.types';
import { allocatePayment, lateFeeForDay, OpenItem } from './receivables';
import { addDays } from './rent-schedule';
import { recordEvent } from '../events/record-event';
import { requireRole } from '@forest-ledger/access';
import { LAND_USE_POLICIES } from './land-use-policies';

/**
 * What lessees owe (DOMAIN.md §7): the daily run raising receivables on their due dates and accruing
 * late fees, payments (oldest first, late fee before principal), late-fee waivers. Every write runs in
 * the caller's transaction, locks the contract row first, and posts under keys derived from the
 * command key or from (contract, period, day).
 */
@Injectable()
export class LandUseReceivablesService {
  constructor(
    private readonly ledger: LedgerService,
    private readonly views: LandUseViews,
  ) {}

  // ---------------------------------------------------------------- the daily run

  /**
   * Raises every receivable due on or before `asOf` that is not raised yet (one entry per contract
   * and period), then accrues late fees for every day not accrued yet up to `asOf` (one entry per
   * contract and day). Running it again for the same day books nothing more.
   */
  async runDaily(em: EntityManager, asOf: string): Promise<LandUseDailyRun> {
    requireDate(asOf, 'asOf');
    const codes = await contracts.activeRentContractCodes(em);
    const outcome: LandUseDailyRun = { asOf, contracts: codes.length, raised: 0, lateFeeEntries: 0, lateFees: '0.00' };
    for (const code of codes) {
      const c = await this.views.load(em, code, { lock: true });
      if (c.state !== 'ACTIVE') continue;
      const run = await this.bringUpTo(em, c, asOf);
      outcome.raised += run.raised;
      outcome.lateFeeEntries += run.lateFeeEntries;
      outcome.lateFees = money(new Dec(outcome.lateFees).plus(run.lateFees));
    }
    return outcome;
  }

  /** Raises what is due and accrues late fees through `asOf` (the daily run; the close, through its last day). */
  async bringUpTo(em: EntityManager, c: Contract, asOf: string): Promise<{ raised: number; lateFeeEntries: number; lateFees: string }> {
    const raised = await this.raiseDue(em, c, asOf);
    const fees = await this.accrueLateFees(em, c, asOf);
    return { raised, ...fees };
  }

  /** Raises the periods due by `asOf`, oldest first; the lessee's credit settles what it can in the same entry. */
  private async raiseDue(em: EntityManager, c: Contract, asOf: string): Promise<number> {
    const due = await receivables.duePeriods(em, c.id, asOf);
    for (const period of due) {
      const receivableId = await receivables.insertPrincipal(em, c.id, period.id, period.amount);
      const credit = new Dec((await this.ledger.getAccount(landLesseeCredit(c.code), em)).balance);
      const allocation = credit.isZero() ? null : allocatePayment(money(credit), await this.openItems(em, c.id));
      const applied = allocation ? credit.minus(allocation.credit) : ZERO;
      const postings: PostingDraft[] = [
        { account: landReceivable(c.code), side: 'DEBIT', amount: period.amount },
        { account: landIncome(c.code), side: 'CREDIT', amount: period.amount },
      ];
      if (applied.greaterThan(0)) {
        postings.push({ account: landLesseeCredit(c.code), side: 'DEBIT', amount: money(applied) }, { account: landReceivable(c.code), side: 'CREDIT', amount: money(applied) });
      }
      const posted = await this.ledger.post(em, {
        idempotencyKey: `land-use:${c.code}:raise:${period.seq}`,
        kind: 'LAND_USE_RENT_RAISED',
        effectiveDate: period.due_date,
        memo: `${c.lessee_name} 应付租金 第 ${period.seq} 期 ${period.period_start}~${period.period_end} ${money(period.amount)} 元${applied.greaterThan(0) ? `，以预收款抵 ${money(applied)} 元` : ''}`,
        metadata: { contract: c.code, periodSeq: period.seq, creditApplied: money(applied) },
        // The receivable shows the rent raised and the prepaid credit applied to it.
        clearingAccounts: [landReceivable(c.code)],
        postings,
      });
      await receivables.setReceivableEntry(em, receivableId, posted.entry.id);
      await receivables.markPeriodRaised(em, period.id);
      await recordEvent(
        em,
        'land_use.receivable_raised',
        { type: 'land_use_contract', id: c.code },
        {
          contract: c.code,
          lessee: c.lessee_code,
          receivableId,
          periodSeq: period.seq,
          periodStart: period.period_start,
          periodEnd: period.period_end,
          dueDate: period.due_date,
          amount: money(period.amount),
          creditApplied: money(applied),
          entryId: posted.entry.id,
        },
      );
      if (allocation && applied.greaterThan(0)) {
        await this.recordSettlement(em, c.id, 'CREDIT', applied, ZERO, period.due_date, null, posted.entry, allocation.applications);
      }
    }
    return due.length;
  }

  /**
   * Late fees, day by day from the day after each due date through `asOf`: the daily rate on the
   * principal then overdue (payments count from their day on: the day of payment still accrues on
   * what was owed before it), rounded to the 分 per day, up to the cap. One entry per contract and
   * day (key land-use:<C>:late-fee:<date>); each period's late-fee row records the day it is accrued through.
   */
  private async accrueLateFees(em: EntityManager, c: Contract, asOf: string): Promise<{ lateFeeEntries: number; lateFees: string }> {
    const owed = await receivables.receivablesOf(em, c.id);
    const principals = owed.filter((r) => r.kind === 'PRINCIPAL' && r.due_date < asOf);
    if (principals.length === 0) return { lateFeeEntries: 0, lateFees: '0.00' };
    const lines = await receivables.settlementLinesOf(em, c.id);
    const rate = new Dec(c.late_fee_daily_rate).toString();
    const byDay = new Map<string, Map<number, Decimal>>();
    const updates: Array<{ principal: ReceivableRow; fee: ReceivableRow | undefined; added: Decimal }> = [];
    for (const principal of principals) {
      const fee = owed.find((r) => r.kind === 'LATE_FEE' && r.period_id === principal.period_id);
      const paid = lines.filter((l) => l.receivable_id === principal.id);
      const start = addDays(fee?.accrued_through && fee.accrued_through > principal.due_date ? fee.accrued_through : principal.due_date, 1);
      // Once the principal is settled, nothing accrues after the last settlement's day.
      const lastPaid = paid.reduce((last, l) => (l.effective_date > last ? l.effective_date : last), principal.due_date);
      const end = outstandingOf(principal).isZero() ? (lastPaid < asOf ? lastPaid : asOf) : asOf;
      if (start > end) continue;
      const cap = round2(new Dec(principal.amount).times(c.late_fee_cap_ratio)).toFixed(2);
      let accrued = new Dec(fee?.amount ?? 0);
      let added = ZERO;
      for (let day = start; day <= end; day = addDays(day, 1)) {
        const overdue = new Dec(principal.amount).minus(principal.credited).minus(sum(paid.filter((l) => l.effective_date < day).map((l) => l.amount)));
        if (overdue.lessThanOrEqualTo(0)) continue;
        const amount = new Dec(lateFeeForDay(money(overdue), rate, money(accrued), cap));
        if (amount.isZero()) break;
        accrued = accrued.plus(amount);
        added = added.plus(amount);
        const perPeriod = byDay.get(day) ?? new Map<number, Decimal>();
        perPeriod.set(principal.seq, amount);
        byDay.set(day, perPeriod);
      }
      updates.push({ principal, fee, added });
    }
    const drafts: EntryDraft[] = [...byDay.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([day, perPeriod]) => {
        const total = money(sum(perPeriod.values()));
        return {
          idempotencyKey: `land-use:${c.code}:late-fee:${day}`,
          kind: 'LAND_USE_LATE_FEE',
          effectiveDate: day,
          memo: `${c.lessee_name} 滞纳金 ${day} ${total} 元 (日费率 ${rate})`,
          metadata: { contract: c.code, date: day, periods: Object.fromEntries([...perPeriod.entries()].map(([seq, amount]) => [String(seq), money(amount)])) },
          postings: [
            { account: landReceivable(c.code), side: 'DEBIT', amount: total },
            { account: landIncome(c.code), side: 'CREDIT', amount: total },
          ],
        };
      });
    const posted = drafts.length > 0 ? await this.ledger.postBatch(em, drafts) : null;
    for (const { principal, fee, added } of updates) {
      if (fee || added.greaterThan(0)) await receivables.addLateFee(em, c.id, principal.period_id, fee?.id ?? null, added.toFixed(2), asOf);
    }
    const lateFees = money(sum(drafts.map((d) => d.postings[0].amount)));
    // One event per run and contract: the days accrued (each its own entry) with the fee of each period.
    if (posted)
      await recordEvent(
        em,
        'land_use.late_fee_accrued',
        { type: 'land_use_contract', id: c.code },
        {
          contract: c.code,
          lessee: c.lessee_code,
          accruedThrough: asOf,
          total: lateFees,
          days: [...byDay.entries()]
            .sort(([a], [b]) => a.localeCompare(b))
            .map(([date, perPeriod]) => ({
              date,
              amount: money(sum(perPeriod.values())),
              periods: Object.fromEntries([...perPeriod.entries()].map(([seq, amount]) => [String(seq), money(amount)])),
            })),
          entryIds: posted.entries.map((e) => e.id),
        },
      );
    return { lateFeeEntries: drafts.length, lateFees };
  }

  // ---------------------------------------------------------------- payments and waivers

  /** A payment from the lessee: oldest period first, late fee before principal; the excess stays as the lessee's credit. One entry. */
  async recordPayment(em: EntityManager, code: string, input: LandUsePaymentInput, key: string): Promise<LandUsePaymentOutcome> {
    const c = await this.views.load(em, code, { lock: true });
    const idempotencyKey = `land-use-payment:${key}`;
    const replay = await receivables.settlementByEntryKey(em, c.id, idempotencyKey);
    if (replay) return { contract: code, settlement: settlementView(replay), ...(await this.balances(em, code)), replayed: true };
    if (c.mode === 'EQUITY') throw new LandUseError('NOT_RENTED', `${code} is an EQUITY contract: it pays no rent`, 'contract');
    if (c.state === 'DRAFT' || c.state === 'CANCELLED') throw new LandUseError('CONTRACT_NOT_ACTIVE', `${code} is ${c.state === 'DRAFT' ? 'a draft' : 'cancelled'}`, 'contract');
    const amount = Amount.parsePositive(input.amount, 2, 'amount').value;
    const receivedOn = requireDate(input.receivedOn, 'receivedOn');
    const bankReference = requireText(input.bankReference, 'bankReference', 100);
    const through = await receivables.lateFeesAccruedThrough(em, c.id);
    if (through !== null && receivedOn < through) {
      throw new LandUseError(
        'PAYMENT_BEFORE_ACCRUED_FEES',
        `late fees of ${code} are accrued through ${through}; a payment received on ${receivedOn} would change them`,
        'receivedOn',
        { accruedThrough: through },
      );
    }
    const items = await this.openItems(em, c.id);
    const allocation = allocatePayment(money(amount), items);
    const credit = new Dec(allocation.credit);
    if (c.state !== 'ACTIVE' && credit.greaterThan(0)) {
      throw new LandUseError('PAYMENT_EXCEEDS_OWED', `${code} is ${c.state}: it takes payments of what is owed (${money(sum(items.map((i) => i.outstanding)))} 元) only`, 'amount');
    }
    const applied = amount.minus(credit);
    const postings: PostingDraft[] = [{ account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount: money(amount) }];
    if (applied.greaterThan(0)) postings.push({ account: landReceivable(code), side: 'CREDIT', amount: money(applied) });
    if (credit.greaterThan(0)) postings.push({ account: landLesseeCredit(code), side: 'CREDIT', amount: money(credit) });
    const posted = await this.ledger.post(em, {
      idempotencyKey,
      kind: 'LAND_USE_PAYMENT',
      effectiveDate: receivedOn,
      memo: `${c.lessee_name} 付款 ${money(amount)} 元 合同 ${code} 银行流水 ${bankReference}${credit.greaterThan(0) ? `，预收 ${money(credit)} 元` : ''}`,
      metadata: { contract: code, bankReference, applied: money(applied), toCredit: money(credit) },
      postings,
    });
    await this.recordSettlement(em, c.id, 'PAYMENT', amount, credit, receivedOn, bankReference, posted.entry, allocation.applications);
    const settlement = settlementView((await receivables.settlementByEntryKey(em, c.id, posted.entry.idempotencyKey))!);
    await recordEvent(em, 'land_use.payment_received', { type: 'land_use_contract', id: code }, { contract: code, settlement });
    return { contract: code, settlement, ...(await this.balances(em, code)), replayed: false };
  }

  /** Waives (part of) a period's late fee: an APPROVER other than the contract's creator, with a reason. */
  async waiveLateFee(em: EntityManager, code: string, input: LandUseWaiverInput, actor: LandUseActor, key: string): Promise<LandUseWaiverOutcome> {
    requireRole(actor, LAND_USE_POLICIES.waiveLateFee, (m) => new LandUseError('NOT_AN_APPROVER', m, 'role'));
    const c = await this.views.load(em, code, { lock: true });
    if (actor.userId === c.created_by) throw new LandUseError('NOT_AN_APPROVER', `the creator of ${code} cannot waive its late fees (four eyes)`, 'role');
    const reason = requireText(input.reason, 'reason', 500);
    const idempotencyKey = `land-use-waiver:${key}`;
    const done = await receivables.waiverByEntryKey(em, c.id, idempotencyKey);
    const feeOf = async (seq: number) => (await receivables.receivablesOf(em, c.id)).find((r) => r.kind === 'LATE_FEE' && r.seq === seq);
    if (done) {
      const fee = await feeOf(done.seq);
      return {
        contract: code,
        periodSeq: done.seq,
        amount: money(done.amount),
        reason: done.reason,
        entryId: done.entry_id,
        lateFeeOutstanding: money(fee ? outstandingOf(fee) : ZERO),
        replayed: true,
      };
    }
    const fee = await feeOf(input.periodSeq);
    const outstanding = fee ? outstandingOf(fee) : ZERO;
    if (!fee || outstanding.isZero()) throw new LandUseError('NO_LATE_FEE_TO_WAIVE', `period ${input.periodSeq} of ${code} has no late fee outstanding`, 'periodSeq');
    const amount = input.amount === undefined ? outstanding : Amount.parsePositive(input.amount, 2, 'amount').value;
    if (amount.greaterThan(outstanding))
      throw new LandUseError('NO_LATE_FEE_TO_WAIVE', `only ${money(outstanding)} 元 of late fee is outstanding on period ${input.periodSeq}`, 'amount');
    const posted = await this.ledger.post(em, {
      idempotencyKey,
      kind: 'LAND_USE_LATE_FEE_WAIVED',
      effectiveDate: businessToday(),
      memo: `减免滞纳金 第 ${input.periodSeq} 期 ${money(amount)} 元：${reason}`,
      metadata: { contract: code, periodSeq: input.periodSeq, reason, waivedBy: actor.userId },
      postings: [
        { account: landIncome(code), side: 'DEBIT', amount: money(amount) },
        { account: landReceivable(code), side: 'CREDIT', amount: money(amount) },
      ],
    });
    await receivables.addWaived(em, fee.id, money(amount));
    await receivables.insertWaiver(em, {
      receivableId: fee.id,
      amount: money(amount),
      reason,
      waivedBy: actor.userId,
      entryId: posted.entry.id,
      entryKey: posted.entry.idempotencyKey,
    });
    return {
      contract: code,
      periodSeq: input.periodSeq,
      amount: money(amount),
      reason,
      entryId: posted.entry.id,
      lateFeeOutstanding: money(outstanding.minus(amount)),
      replayed: false,
    };
  }

  // ---------------------------------------------------------------- shared with the close

  /** What the lessee owes, oldest period first (late fee before principal): what allocatePayment settles. */
  async openItems(em: EntityManager, contractId: string): Promise<OpenItem[]> {
    return (await receivables.receivablesOf(em, contractId))
      .filter((r) => outstandingOf(r).greaterThan(0))
      .map((r) => ({ id: r.id, periodSeq: r.seq, dueDate: r.due_date, kind: r.kind, outstanding: money(outstandingOf(r)) }));
  }

  /** Stores a settlement by `entry` (its id and key), its lines, and what each receivable has been settled by. */
  async recordSettlement(
    em: EntityManager,
    contractId: string,
    source: SettlementSource,
    amount: Decimal,
    toCredit: Decimal,
    effectiveDate: string,
    bankReference: string | null,
    entry: { id: string; idempotencyKey: string },
    applications: ReadonlyArray<{ id: string; amount: string }>,
  ): Promise<void> {
    await receivables.insertSettlement(em, {
      contractId,
      source,
      amount: money(amount),
      toCredit: money(toCredit),
      effectiveDate,
      bankReference,
      entryId: entry.id,
      entryKey: entry.idempotencyKey,
      applications,
    });
  }

  private async balances(em: EntityManager, code: string): Promise<{ receivable: string; lesseeCredit: string }> {
    const [receivable, credit] = [await this.ledger.getAccount(landReceivable(code), em), await this.ledger.getAccount(landLesseeCredit(code), em)];
    return { receivable: receivable.balance, lesseeCredit: credit.balance };
  }
}

function settlementView(s: receivables.SettlementRow): LandUseSettlementView {
  return {
    id: s.id,
    source: s.source,
    amount: money(s.amount),
    toCredit: money(s.to_credit),
    effectiveDate: s.effective_date,
    bankReference: s.bank_reference,
    entryId: s.entry_id,
    lines: s.lines.map((l) => ({ seq: l.seq, kind: l.kind, amount: money(l.amount) })),
  };
}
