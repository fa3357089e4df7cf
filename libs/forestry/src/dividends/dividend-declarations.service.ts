import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, isBigintId, LedgerService } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { requireRole, type OwnerScope } from '@forest-ledger/access';
import { partiesByCodes, partiesByIds, type PartyRef } from '../parties/party-refs';
import { businessToday, projectWallet } from '../projects/project-accounts';
import { ProjectsService } from '../projects/projects.service';
import { SeriesRecord, SeriesService } from '../tickets/series.service';
import { lastMovementId, seriesCodeOfProject } from '../tickets/ticket-register.store';
import { ProjectCashFlowsService } from './cash-flows.service';
import { DeclarationRow, declarationsStore, PartyLineRow } from './declarations.store';
import { DeclarationState } from './dividend.model';
import { Actor, dividendReserveAccount, invalid, optionalText, postFromProjectWallet, projectByCode, projectDividendReserve, requireDate } from './dividend-support';
import { DividendError } from './dividends.errors';
import { recordEvent } from '../events/record-event';
import { CANCEL_ANY_DECLARATION, DIVIDEND_POLICIES } from './dividend-policies';
import { requireClearedDisclosure, SubjectPlan, villageOfParty, withdrawDisclosureOf } from '../disclosures/disclosure-gate';
import { dividendDisclosurePlan } from './dividend-disclosure';

/** Holders per chunk: one transaction, a few ledger entries of ≤ 999 credits each. */
export const DEFAULT_CHUNK_SIZE = 5000;

/** The longest memo of a declaration (the API's DTO states this limit through this constant). */
export const DECLARATION_MEMO_MAX = 500;

export interface DeclareInput {
  project: string;
  amount: string;
  recordDate: string;
  paymentDate: string;
  memo?: string;
  /** Holders per chunk of the distribution (tests use small chunks). */
  chunkSize?: number;
}

export interface DistributionProgress {
  holdersTotal: number;
  holdersDone: number;
  chunksTotal: number;
  chunksDone: number;
  /** CNY credited to holders so far. */
  amountDistributed: string;
}

export interface DeclarationView {
  id: string;
  project: string;
  series: string;
  amount: string;
  recordDate: string;
  paymentDate: string;
  memo: string | null;
  state: DeclarationState;
  declaredBy: string;
  approvedBy: string | null;
  approvedAt: string | null;
  reserveEntryId: string | null;
  releaseEntryId: string | null;
  staleReason: string | null;
  totalUnits: string | null;
  amountPerUnit: string | null;
  progress: DistributionProgress;
  createdAt: string;
  distributedAt: string | null;
  cancelledAt: string | null;
  /** The distribution round: 1 at the first approval, +1 at each re-approval and each resume; the job is dividend-<id>-r<round>. */
  round: number;
  /** When the distribution truly failed (not a dead worker: those are taken over); null otherwise. An ADMIN resumes it. */
  failedAt: string | null;
  failure: string | null;
}

/** Work the database says must be running: a declaration to distribute in its current round. */
export interface PendingDistribution {
  id: string;
  round: number;
}

export interface DividendLineView {
  declarationId: string;
  seq: number;
  party: string;
  name: string;
  units: string;
  /** The declaration's amount ÷ units, indicative: 6 places, rounded half-up (the exact figure is `amount`). */
  amountPerUnit: string;
  amount: string;
  entryId: string | null;
}

export interface PartyDividendView extends DividendLineView {
  project: string;
  projectName: string;
  series: string;
  recordDate: string;
  paymentDate: string;
  paid: boolean;
}

/** What a party's dividend shows of its series (a SeriesRecord has it). */
export type DividendSeries = Pick<SeriesRecord, 'code' | 'project_code' | 'project_name'>;

/** One of a party's dividend lines as the party sees it (its page, its statement); `series` must hold the line's series. */
export function partyDividendView(party: Pick<PartyRef, 'code' | 'name'>, line: PartyLineRow, series: ReadonlyMap<string, DividendSeries>): PartyDividendView {
  const s = series.get(line.series_id)!;
  return {
    declarationId: line.declaration_id,
    seq: line.seq,
    party: party.code,
    name: party.name,
    units: new Dec(line.units).toFixed(0),
    amountPerUnit: line.amount_per_unit!,
    amount: new Dec(line.amount).toFixed(2),
    entryId: line.entry_id,
    project: s.project_code,
    projectName: s.project_name,
    series: s.code,
    recordDate: line.record_date,
    paymentDate: line.payment_date,
    paid: line.entry_id !== null || new Dec(line.amount).isZero(),
  };
}

export type DistributionOutcome = { state: DeclarationState; progress: DistributionProgress; staleReason?: string | null };

/** A declaration with its series (and through it its project), as the use cases need it. */
export interface LoadedDeclaration {
  row: DeclarationRow;
  series: SeriesRecord;
}

/**
 * Dividend declarations (DOMAIN.md §4): draft, maker-checker approval reserving the amount, cancellation,
 * the failure and resumption of a distribution, and the reads of declarations and their lines.
 */
@Injectable()
export class DividendDeclarationsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly projects: ProjectsService,
    private readonly seriesService: SeriesService,
    private readonly cashFlows: ProjectCashFlowsService,
  ) {}

  /**
   * A draft declaration of the project's series. The amount may not exceed what is distributable
   * (income − costs − fees − dividends declared), nor the wallet now (it is reserved at approval).
   * Locks the series row, as approval does, so concurrent declarations are checked one after another.
   */
  async declare(em: EntityManager, actor: Actor, input: DeclareInput): Promise<DeclarationView> {
    const project = await projectByCode(this.projects, em, input.project);
    const seriesCode = await seriesCodeOfProject(em, project.id);
    if (seriesCode === null) throw invalid(`project ${input.project} has no 林票 series to pay dividends on`, 'project');
    const series = await this.seriesService.load(em, seriesCode);
    const amount = Amount.parsePositive(input.amount, 2, 'amount').toString();
    const recordDate = requireDate(input.recordDate, 'recordDate');
    const paymentDate = requireDate(input.paymentDate, 'paymentDate');
    if (recordDate < series.issued_on) throw invalid(`recordDate ${recordDate} is before the series was issued (${series.issued_on})`, 'recordDate');
    if (paymentDate < recordDate) throw invalid('paymentDate must not be before recordDate', 'paymentDate');
    const memo = optionalText(input.memo, 'memo', DECLARATION_MEMO_MAX);
    const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 50_000) throw invalid('chunkSize must be an integer from 1 to 50,000', 'chunkSize');
    await this.seriesService.load(em, seriesCode, null, true);
    await this.cashFlows.assertDistributable(em, project, amount, null);
    const wallet = await this.ledger.getAccount(projectWallet(input.project), em);
    if (new Dec(amount).greaterThan(wallet.balance)) {
      throw new DividendError('EXCEEDS_WALLET', `the declared ${amount} CNY exceeds the project wallet's ${wallet.balance} CNY`, 'amount', { walletBalance: wallet.balance });
    }
    const id = await declarationsStore.insert(em, {
      projectId: project.id,
      seriesId: series.id,
      amount,
      recordDate,
      paymentDate,
      memo,
      declaredBy: actor.userId,
      chunkSize,
    });
    return this.get(id, em);
  }

  /**
   * Approval by an APPROVER other than the declarer. Checks the amount against what is distributable
   * again (other declarations and costs may have come since), then the first approval reserves it
   * (wallet → dividend reserve, refused if the wallet cannot cover it); re-approving a STALE
   * declaration takes the holdings as they now stand. Locks the series row, which every movement
   * takes before checking the register is open: once this commits, no movement can be dated on or
   * before the record date (REGISTER_CLOSED), and every movement not seen here has a higher id than
   * the watermark.
   */
  async approve(em: EntityManager, id: string, actor: Actor): Promise<DeclarationView> {
    requireRole(actor, DIVIDEND_POLICIES.approve, (m) => new DividendError('NOT_AN_APPROVER', m, 'role'));
    const { row, series } = await this.load(em, id, true);
    if (actor.userId === row.declared_by) throw new DividendError('SAME_USER_APPROVAL', 'the user who declared a dividend cannot approve it', 'id');
    if (row.state !== 'DRAFT' && row.state !== 'STALE') throw stateError(row, 'approved');
    const today = businessToday();
    if (row.record_date > today) throw invalid(`recordDate ${row.record_date} is after today ${today}: the holdings on it are not known yet`, 'recordDate');
    await this.seriesService.load(em, series.code, null, true);
    await this.cashFlows.assertDistributable(em, { id: row.project_id, code: series.project_code }, new Dec(row.amount).toFixed(2), row.id);
    // 公示: where the village's region asks for it, the list must have been published and cleared (issue 18 §3).
    await requireClearedDisclosure(em, {
      subject: { kind: 'DIVIDEND', id: row.id },
      villageId: await villageOfParty(em, series.collective_party_id),
      plan: () => this.planOf(em, row, series),
      act: `分红方案 #${row.id} 批准`,
      userId: actor.userId,
    });
    const watermark = await lastMovementId(em, row.series_id);
    let reserveEntryId = row.reserve_entry_id;
    if (reserveEntryId === null) {
      await this.ledger.ensureAccount(em, dividendReserveAccount(series.project_code));
      const amount = new Dec(row.amount).toFixed(2);
      const posted = await postFromProjectWallet(this.ledger, em, {
        idempotencyKey: `dividend-reserve:${row.id}`,
        kind: 'DIVIDEND_RESERVE',
        // Approved after its payment date: reserved as of that date, so the payment never precedes its reserve.
        effectiveDate: row.payment_date < today ? row.payment_date : today,
        memo: `分红方案 #${row.id} 批准, 预留 ${amount} 元`,
        metadata: { project: series.project_code, declaration: row.id },
        postings: [
          { account: projectWallet(series.project_code), side: 'DEBIT', amount },
          { account: projectDividendReserve(series.project_code), side: 'CREDIT', amount },
        ],
      });
      reserveEntryId = posted.entry.id;
    }
    await declarationsStore.approve(em, row.id, actor.userId, watermark, reserveEntryId);
    await recordEvent(
      em,
      'dividend.approved',
      { type: 'dividend_declaration', id: row.id },
      {
        declarationId: row.id,
        series: series.code,
        project: series.project_code,
        amount: new Dec(row.amount).toFixed(2),
        recordDate: row.record_date,
        paymentDate: row.payment_date,
        reserveEntryId,
      },
    );
    return this.get(row.id, em);
  }

  /**
   * The list a disclosure (公示) of a DRAFT or STALE declaration publishes: the holders at its record
   * date (which must have come) with their units and the amounts the distribution would pay.
   */
  async disclosurePlan(em: EntityManager, id: string): Promise<SubjectPlan> {
    const { row, series } = await this.load(em, id, false);
    if (row.state !== 'DRAFT' && row.state !== 'STALE') throw stateError(row, 'published for disclosure');
    const today = businessToday();
    if (row.record_date > today) throw invalid(`recordDate ${row.record_date} is after today ${today}: the holdings on it are not known yet`, 'recordDate');
    const plan = await this.planOf(em, row, series);
    if (plan.lines.length === 0) throw new DividendError('NO_HOLDERS', `nobody held units of ${series.code} on ${row.record_date}`, 'recordDate');
    return plan;
  }

  private planOf(em: EntityManager, row: DeclarationRow, series: SeriesRecord): Promise<SubjectPlan> {
    return dividendDisclosurePlan(em, { id: row.id, amount: row.amount, recordDate: row.record_date, paymentDate: row.payment_date }, series);
  }

  /** Cancels a declaration before its distribution starts; a reserved amount returns to the wallet. */
  async cancel(em: EntityManager, id: string, actor: Actor): Promise<DeclarationView> {
    requireRole(actor, DIVIDEND_POLICIES.cancel, (m) => new DividendError('NOT_AN_APPROVER', m, 'role'));
    const { row, series } = await this.load(em, id, true);
    if (!CANCEL_ANY_DECLARATION.includes(actor.role) && actor.userId !== row.declared_by) {
      throw new DividendError('NOT_AN_APPROVER', 'only the declarer, an APPROVER or an ADMIN may cancel a declaration', 'role');
    }
    if (!['DRAFT', 'APPROVED', 'STALE'].includes(row.state)) throw stateError(row, 'cancelled');
    let releaseEntryId: string | null = null;
    if (row.reserve_entry_id !== null) {
      const amount = new Dec(row.amount).toFixed(2);
      const posted = await postFromProjectWallet(this.ledger, em, {
        idempotencyKey: `dividend-release:${row.id}`,
        kind: 'DIVIDEND_RESERVE_RELEASE',
        effectiveDate: businessToday(),
        memo: `分红方案 #${row.id} 撤销, 释放预留 ${amount} 元`,
        metadata: { project: series.project_code, declaration: row.id },
        postings: [
          { account: projectDividendReserve(series.project_code), side: 'DEBIT', amount },
          { account: projectWallet(series.project_code), side: 'CREDIT', amount },
        ],
      });
      releaseEntryId = posted.entry.id;
    }
    await declarationsStore.cancel(em, row.id, releaseEntryId);
    await withdrawDisclosureOf(em, { kind: 'DIVIDEND', id: row.id }, actor.userId, `分红方案 #${row.id} 已撤销`);
    return this.get(row.id, em);
  }

  // ---------------------------------------------------------------- pending work (PostgreSQL is its source of truth)

  /**
   * The distributions that must be running now: APPROVED and due (payment date today or earlier, China
   * time), or DISTRIBUTING (chunks left), and not failed. The worker's reconciler makes sure each has a job.
   */
  async pendingDistributions(today: string, em: EntityManager = this.dataSource.manager): Promise<PendingDistribution[]> {
    return declarationsStore.pending(em, today);
  }

  /** How many distributions truly failed and wait for an ADMIN (POST /v1/dividends/:id/resume): a metric to alert on. */
  async failedDistributions(em: EntityManager = this.dataSource.manager): Promise<number> {
    return declarationsStore.failedCount(em);
  }

  /**
   * Records that the distribution of `round` truly failed (its job's last attempt, or a domain refusal),
   * so the reconciler stops queuing it and the declaration shows the error. No-op when the declaration
   * has moved on (another round, finished, cancelled). Returns whether it recorded.
   */
  async recordFailure(em: EntityManager, id: string, round: number | null, error: string): Promise<boolean> {
    return declarationsStore.recordFailure(em, id, round, error.slice(0, 2000));
  }

  /**
   * Resumes a failed distribution (ADMIN): clears the failure and starts a new round, so its job id is
   * new; the distribution continues after its last committed chunk. A declaration that is APPROVED or
   * DISTRIBUTING and not failed is returned unchanged (its job is queued again harmlessly).
   */
  async resume(em: EntityManager, id: string): Promise<DeclarationView> {
    const { row } = await this.load(em, id, true);
    if (row.state !== 'APPROVED' && row.state !== 'DISTRIBUTING') throw stateError(row, 'resumed');
    if (row.failed_at !== null) await declarationsStore.resume(em, row.id);
    return this.get(row.id, em);
  }

  // ---------------------------------------------------------------- reads

  async get(id: string, em: EntityManager = this.dataSource.manager): Promise<DeclarationView> {
    const { row, series } = await this.load(em, id, false);
    return declarationView(row, series);
  }

  async progress(id: string, em: EntityManager = this.dataSource.manager): Promise<DistributionProgress & { state: DeclarationState }> {
    const view = await this.get(id, em);
    return { state: view.state, ...view.progress };
  }

  async list(projectCode: string, em: EntityManager = this.dataSource.manager): Promise<DeclarationView[]> {
    const project = await projectByCode(this.projects, em, projectCode);
    const rows = await declarationsStore.ofProject(em, project.id);
    const series = await this.seriesOf(em, rows);
    return rows.map((r) => declarationView(r, series.get(r.series_id)!));
  }

  /** The declaration's lines by seq; a scoped reader gets only its own party's (partyLinesSeenBy's rule, in the query so that pages stay full). */
  async lines(id: string, options: { afterSeq?: number; limit?: number; scope?: OwnerScope } = {}, em: EntityManager = this.dataSource.manager): Promise<DividendLineView[]> {
    const { row } = await this.load(em, id, false);
    const scope = options.scope ?? null;
    const partyIds =
      scope === null
        ? null
        : [
            ...(
              await partiesByCodes(
                em,
                scope.ownerRefs.filter((r) => r.startsWith('party:')).map((r) => r.slice('party:'.length)),
              )
            ).values(),
          ].map((p) => p.id);
    const lines = await declarationsStore.lines(em, id, { afterSeq: options.afterSeq ?? 0, limit: Math.min(options.limit ?? 1000, 10_000), partyIds });
    const parties = await partiesByIds(
      em,
      lines.map((l) => l.party_id),
    );
    return lines.map((l) => ({
      declarationId: id,
      seq: l.seq,
      party: parties.get(l.party_id)!.code,
      name: parties.get(l.party_id)!.name,
      units: new Dec(l.units).toFixed(0),
      amountPerUnit: row.amount_per_unit ?? '',
      amount: new Dec(l.amount).toFixed(2),
      entryId: l.entry_id,
    }));
  }

  /**
   * Every dividend of one party (their statement), newest first: what the villagers' page shows. `known`: the party
   * and series the caller already read in the same snapshot (the page has them), so they are not read again.
   */
  async dividendsOf(
    partyCode: string,
    em: EntityManager = this.dataSource.manager,
    known: { party?: PartyRef; seriesById?: ReadonlyMap<string, SeriesRecord> } = {},
  ): Promise<PartyDividendView[]> {
    const party = known.party?.code === partyCode ? known.party : (await partiesByCodes(em, [partyCode])).get(partyCode);
    if (!party) return [];
    const lines = await declarationsStore.linesOfParty(em, party.id);
    const series = new Map<string, DividendSeries>(known.seriesById ?? []);
    const missing = [...new Set(lines.map((l) => l.declaration.series_id))].filter((id) => !series.has(id));
    if (missing.length > 0) for (const [id, s] of await this.seriesService.recordsByIds(em, missing)) series.set(id, s);
    return lines.map(({ line, declaration: d }) =>
      partyDividendView(party, { ...line, series_id: d.series_id, amount_per_unit: d.amount_per_unit, record_date: d.record_date, payment_date: d.payment_date }, series),
    );
  }

  /** The declaration with its series (`lock`: FOR UPDATE of the declaration row); UNKNOWN_DECLARATION when absent. */
  async load(em: EntityManager, id: string, lock: boolean): Promise<LoadedDeclaration> {
    const row = isBigintId(String(id)) ? await declarationsStore.get(em, id, lock) : null;
    if (!row) throw new DividendError('UNKNOWN_DECLARATION', `no dividend declaration ${JSON.stringify(id)}`, 'id');
    return { row, series: (await this.seriesOf(em, [row])).get(row.series_id)! };
  }

  /** The series of these declarations (with their projects), by series id. */
  private seriesOf(em: EntityManager, rows: readonly DeclarationRow[]): Promise<Map<string, SeriesRecord>> {
    return this.seriesService.recordsByIds(
      em,
      rows.map((r) => r.series_id),
    );
  }
}

export function declarationView(r: DeclarationRow, series: SeriesRecord): DeclarationView {
  return {
    id: r.id,
    project: series.project_code,
    series: series.code,
    amount: new Dec(r.amount).toFixed(2),
    recordDate: r.record_date,
    paymentDate: r.payment_date,
    memo: r.memo,
    state: r.state,
    declaredBy: r.declared_by,
    approvedBy: r.approved_by,
    approvedAt: r.approved_at?.toISOString() ?? null,
    reserveEntryId: r.reserve_entry_id,
    releaseEntryId: r.release_entry_id,
    staleReason: r.stale_reason,
    totalUnits: r.total_units === null ? null : new Dec(r.total_units).toFixed(0),
    amountPerUnit: r.amount_per_unit,
    progress: progressOf(r),
    createdAt: r.created_at.toISOString(),
    distributedAt: r.distributed_at?.toISOString() ?? null,
    cancelledAt: r.cancelled_at?.toISOString() ?? null,
    round: r.round,
    failedAt: r.failed_at?.toISOString() ?? null,
    failure: r.failure,
  };
}

export function progressOf(r: DeclarationRow): DistributionProgress {
  return {
    holdersTotal: r.holders_total,
    holdersDone: r.holders_done,
    chunksTotal: r.chunks_total,
    chunksDone: r.chunks_done,
    amountDistributed: new Dec(r.distributed).toFixed(2),
  };
}

export function outcomeOf(r: DeclarationRow): DistributionOutcome {
  return { state: r.state, progress: progressOf(r), ...(r.state === 'STALE' ? { staleReason: r.stale_reason } : {}) };
}

function stateError(row: DeclarationRow, verb: string): DividendError {
  return new DividendError('DECLARATION_STATE', `declaration ${row.id} is ${row.state} and cannot be ${verb}`, 'id', { state: row.state });
}
