import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AccountState, Dec, EntryDraft, LedgerReads, LedgerService, PlannedAhead } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform/database/transaction';
import { Env } from '@forest-ledger/platform/config/env';
import { DbTimeouts, longTimeouts, withTimeouts } from '@forest-ledger/platform/database/timeouts';
import { DataSource, EntityManager } from 'typeorm';
import { ownerRefOf, walletOf } from '../parties/parties.service';
import { partyCodesByIds } from '../parties/party-refs';
import { businessToday } from '../projects/project-accounts';
import { SeriesService } from '../tickets/series.service';
import { firstOwnershipMoveAfter } from '../tickets/ticket-register.store';
import { DeclarationRow, declarationsStore } from './declarations.store';
import { DistributionOutcome, DistributionProgress, DividendDeclarationsService, LoadedDeclaration, outcomeOf } from './dividend-declarations.service';
import { amountPerUnit } from './dividend-math';
import { allocationParams, allocationSql } from './record-date-allocation';
import { projectDividendReserve } from './dividend-support';
import { DividendError } from './dividends.errors';
import { recordEvent } from '../events/record-event';

const CREDITS_PER_ENTRY = 999;

type ChunkPart = Array<{ seq: number; amount: string; code: string }>;

/** A chunk's entries, built (and, when planned ahead, planned) before its transaction: see runChunk. */
export interface ChunkAhead {
  declarationId: string;
  chunk: number;
  /** Lines in the chunk, paid or not (a zero amount is a line without an entry). */
  holders: number;
  /** What the chunk pays in all. */
  amount: string;
  parts: ChunkPart[];
  drafts: EntryDraft[];
  planned: Promise<PlannedAhead | null>;
}

/**
 * The distribution of an approved declaration (DOMAIN.md §4): the record-date snapshot and the
 * chunked, resumable, exactly-once payment that the worker runs.
 *
 * Exactly-once: each chunk is one transaction that locks the declaration row, posts the chunk's
 * entries under deterministic keys (`dividend:<id>:chunk:<k>:<part>`), marks its lines paid and
 * advances `chunks_done`. A crash loses at most an uncommitted chunk; a second runner waits on the
 * row lock and then sees the chunk done; a replayed key is a ledger replay, never a second payment.
 */
@Injectable()
export class DividendDistributionService {
  /** The distribution's transactions run under the long timeouts: a chunk may wait behind commands and write thousands of postings. */
  private readonly chunkTimeouts: DbTimeouts;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReads,
    private readonly seriesService: SeriesService,
    private readonly declarations: DividendDeclarationsService,
    @Optional() env?: Env,
  ) {
    this.chunkTimeouts = longTimeouts(env ?? new Env());
  }

  /**
   * Runs the distribution to the end (or `maxChunks` chunks): the snapshot first if the declaration
   * is APPROVED, then chunk after chunk, each in its own transaction. Resumable at any point; safe to
   * run twice at once. A stale declaration stops here as STALE (to be re-approved), not as an error.
   */
  async distribute(id: string, options: { maxChunks?: number; onProgress?: (progress: DistributionProgress) => Promise<void> | void } = {}): Promise<DistributionOutcome> {
    let outcome = await inTransaction(
      this.dataSource,
      withTimeouts(this.chunkTimeouts, (em) => this.startDistribution(em, id)),
    );
    let chunks = 0;
    // The next chunk, planned while this one is written (runChunk); a plan that a failed or retried chunk leaves is
    // harmless: the ledger writes a plan only if the locked accounts are still those it was made from.
    let ahead: ChunkAhead | null = null;
    while (outcome.state === 'DISTRIBUTING' && (options.maxChunks === undefined || chunks < options.maxChunks)) {
      const current: ChunkAhead | null = ahead;
      ahead = null;
      const last = options.maxChunks !== undefined && chunks + 1 >= options.maxChunks;
      outcome = await inTransaction(
        this.dataSource,
        withTimeouts(this.chunkTimeouts, (em) =>
          this.runChunk(em, id, {
            ahead: current,
            planNext: last
              ? undefined
              : (next) => {
                  ahead = next;
                },
          }),
        ),
      );
      chunks += 1;
      if (options.onProgress) await options.onProgress(outcome.progress);
    }
    return outcome;
  }

  /**
   * APPROVED → DISTRIBUTING: under the series row lock (no movement meanwhile), checks staleness and
   * fixes the entitlements: the record-date holdings (free + pledged units per owner), split by largest
   * remainder in holder account id order, written as lines with their chunk numbers. Other states, and
   * a declaration whose payment date is still to come, pass through unchanged.
   */
  async startDistribution(em: EntityManager, id: string): Promise<DistributionOutcome> {
    const declaration = await this.declarations.load(em, id, true);
    const { row, series } = declaration;
    if (row.state !== 'APPROVED') return outcomeOf(row);
    const today = businessToday();
    // Not due yet: nothing to do and nothing wrong; the reconciler queues it again on the payment date.
    if (row.payment_date > today) return outcomeOf(row);
    await this.seriesService.load(em, series.code, null, true);
    if (await this.markIfStale(em, declaration)) return outcomeOf((await this.declarations.load(em, id, false)).row);

    // The allocation goes from the ledger's totals into the lines in one statement: no holder's row passes through Node.
    const allocation = await declarationsStore.insertAllocatedLines(em, row.id, row.chunk_size, {
      sql: allocationSql(),
      params: allocationParams(series, row.amount, row.record_date),
    });
    if (allocation.holders === 0) throw new DividendError('NO_HOLDERS', `nobody held units of ${series.code} on ${row.record_date}`, 'recordDate');
    if (allocation.orphans > 0) throw new Error(`declaration ${id}: ${allocation.orphans} holder accounts of ${series.code} belong to no party`);
    // Holders without a wallet yet (e.g. parties registered before wallets existed) get one.
    if (allocation.withoutWallet.length > 0)
      await this.ledger.openAccounts(
        em,
        allocation.withoutWallet.map((code) => ({ code: walletOf(code), asset: 'CNY', type: 'LIABILITY' as const, ownerRef: ownerRefOf(code), noOverdraft: true })),
      );
    const totalUnits = new Dec(allocation.units);
    await declarationsStore.startDistributing(em, row.id, {
      totalUnits: totalUnits.toFixed(0),
      amountPerUnit: amountPerUnit(row.amount, totalUnits),
      holders: allocation.holders,
      chunks: Math.ceil(allocation.holders / row.chunk_size),
    });
    return outcomeOf((await this.declarations.load(em, id, false)).row);
  }

  /**
   * One chunk (the next one): posts its entries, marks its lines paid, advances the progress; the last one completes the
   * declaration. `pipeline` (distribute's loop): `ahead` is this chunk as planned during the previous one's write, used only
   * if it is this very chunk and the ledger finds its accounts unchanged under the locks; `planNext` receives the next chunk,
   * planned while this one's write runs in PostgreSQL (from this chunk's planned reserve and the wallets read now).
   */
  async runChunk(em: EntityManager, id: string, pipeline: { ahead?: ChunkAhead | null; planNext?: (next: ChunkAhead) => void } = {}): Promise<DistributionOutcome> {
    const { row, series } = await this.declarations.load(em, id, true);
    if (row.state !== 'DISTRIBUTING') return outcomeOf(row);
    const chunk = row.chunks_done + 1;
    const ahead = pipeline.ahead;
    const current = ahead && ahead.declarationId === row.id && ahead.chunk === chunk ? ahead : await this.chunkDrafts(em, row, series, chunk);
    let onPlanned: ((after: (code: string) => AccountState | undefined) => void) | undefined;
    if (pipeline.planNext && chunk < row.chunks_total) {
      const next = await this.chunkDrafts(em, row, series, chunk + 1);
      const planNext = pipeline.planNext;
      const states = await this.ledger.readStates(em, [...new Set(next.drafts.flatMap((d) => d.postings.map((p) => p.account)))]);
      onPlanned = (after) => {
        const planned = this.ledger.planAhead(
          states.map((s) => after(s.code) ?? s),
          next.drafts,
        );
        // Planning is pure; should it fail, the chunk is simply planned again under its locks.
        planNext({ ...next, planned: planned.catch(() => null) });
      };
      if (current.drafts.length === 0) onPlanned(() => undefined);
    }
    const entryIds: string[] = [];
    if (current.drafts.length > 0) {
      const batch = await this.ledger.postBatch(em, current.drafts, { ahead: await current.planned, onPlanned });
      current.parts.forEach((part, j) => part.forEach(() => entryIds.push(batch.entries[j].id)));
    }
    const done = await declarationsStore.finishChunk(em, id, {
      chunk,
      holders: current.holders,
      amount: current.amount,
      last: chunk === row.chunks_total,
      seqs: current.parts.flatMap((part) => part.map((l) => l.seq)),
      entryIds,
    });
    if (chunk === row.chunks_total) {
      // One event with the totals; the per-holder lines are read by cursor (GET /v1/dividends/:id/lines).
      await recordEvent(
        em,
        'dividend.distributed',
        { type: 'dividend_declaration', id: row.id },
        {
          declarationId: row.id,
          series: series.code,
          project: series.project_code,
          paymentDate: row.payment_date,
          amount: new Dec(row.amount).toFixed(2),
          amountDistributed: new Dec(done.distributed).toFixed(2),
          holders: done.holders_total,
        },
      );
    }
    return outcomeOf(done);
  }

  /**
   * Chunk `chunk`'s entries: its lines with an amount, in parts of at most CREDITS_PER_ENTRY credits, one entry each under
   * a deterministic key. Built from the lines alone (fixed since the snapshot) and the declaration's fixed figures.
   */
  private async chunkDrafts(em: EntityManager, row: DeclarationRow, series: LoadedDeclaration['series'], chunk: number): Promise<ChunkAhead> {
    const lines = await declarationsStore.lines(em, row.id, { afterSeq: (chunk - 1) * row.chunk_size, toSeq: chunk * row.chunk_size });
    const codes = await partyCodesByIds(
      em,
      lines.map((l) => l.party_id),
    );
    // A line's amount is numeric(20, 2): its text is already the fixed-point text a posting takes ("0.00" when nothing is due).
    const paying = lines.filter((l) => l.amount !== '0.00').map((l) => ({ seq: l.seq, amount: l.amount, code: codes.get(l.party_id)! }));
    const parts: ChunkPart[] = [];
    for (let i = 0; i < paying.length; i += CREDITS_PER_ENTRY) parts.push(paying.slice(i, i + CREDITS_PER_ENTRY));
    const totals = parts.map((part) => part.reduce((s, l) => s.plus(l.amount), new Dec(0)));
    const drafts = parts.map((part, j): EntryDraft => {
      const total = totals[j].toFixed(2);
      return {
        idempotencyKey: `dividend:${row.id}:chunk:${chunk}:${j + 1}`,
        kind: 'DIVIDEND_DISTRIBUTION',
        effectiveDate: row.payment_date,
        memo: `分红 ${series.code} 方案 #${row.id} 第 ${chunk}/${row.chunks_total} 批 (${j + 1}/${parts.length}): ${part.length} 户/人 ${total} 元`,
        metadata: { project: series.project_code, series: series.code, declaration: row.id, chunk, part: j + 1 },
        postings: [
          { account: projectDividendReserve(series.project_code), side: 'DEBIT', amount: total },
          ...part.map((l) => ({ account: walletOf(l.code), side: 'CREDIT' as const, amount: l.amount })),
        ],
      };
    });
    const amount = totals.reduce((s, t) => s.plus(t), new Dec(0)).toFixed(2);
    return { declarationId: row.id, chunk, holders: lines.length, amount, parts, drafts, planned: Promise.resolve(null) };
  }

  /**
   * Sets STALE (with the reason) when an ownership movement after the watermark is dated on or before
   * the record date. Unreachable for declarations approved since the register closes at approval
   * (movements dated on or before the record date are refused, REGISTER_CLOSED); it still catches
   * declarations approved before that rule whose register a later movement changed.
   */
  private async markIfStale(em: EntityManager, { row }: LoadedDeclaration): Promise<boolean> {
    const late = await firstOwnershipMoveAfter(em, row.series_id, row.movement_watermark ?? '0', row.record_date);
    if (!late) return false;
    const reason = `movement #${late.id} (${late.kind}, entry ${late.entryId}) dated ${late.effectiveDate} was booked after the approval and changes the holdings on the record date ${row.record_date}; re-approve`;
    await declarationsStore.markStale(em, row.id, reason);
    return true;
  }
}
