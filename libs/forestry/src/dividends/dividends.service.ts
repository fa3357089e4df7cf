import { Injectable, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, EntryDraft, isBigintId, LedgerError, LedgerService, OpenAccountInput, PostResult } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform/database/transaction';
import { Env } from '@forest-ledger/platform/config/env';
import { DbTimeouts, longTimeouts, withTimeouts } from '@forest-ledger/platform/database/timeouts';
import { DataSource, EntityManager } from 'typeorm';
import type { Role } from '../access/access.entities';
import type { OwnerScope } from '../access/access.types';
import { inputChecks } from '../common/input-checks';
import { walletOf } from '../parties/parties.service';
import { BANK_CLEARING_ACCOUNT, businessToday, projectOwnerRef, projectWallet } from '../projects/project-accounts';
import { CashFlowKind, DeclarationState, INCOME_KINDS, IncomeKind } from './dividend.entities';
import { amountPerUnit, distributableOf, guaranteeTopUp, GuaranteeCalculation, managementFee, splitPool } from './dividend-math';
import { DividendError } from './dividends.errors';

/** Who acts: the authenticated user's id and role, as the API's guard resolved them. */
export interface Actor {
  userId: string;
  role: Role;
}

/** The project's dividend reserve: declared amounts, out of the wallet's reach until paid or released. */
export const projectDividendReserve = (project: string): string => `project:${project}:dividend-reserve:CNY`;

export function dividendReserveAccount(project: string): OpenAccountInput {
  return { code: projectDividendReserve(project), asset: 'CNY', type: 'LIABILITY', ownerRef: projectOwnerRef(project), noOverdraft: true, metadata: { name: '分红准备金' } };
}

/** Holders per chunk: one transaction, a few ledger entries of ≤ 999 credits each. */
export const DEFAULT_CHUNK_SIZE = 5000;
const CREDITS_PER_ENTRY = 999;

export interface IncomeInput {
  kind: IncomeKind;
  amount: string;
  bankReference: string;
  description?: string;
  effectiveDate?: string;
}

export interface CostInput {
  amount: string;
  bankReference: string;
  description: string;
  effectiveDate?: string;
}

export interface FeeInput {
  /** The income the fee is charged on (base × the project's management fee rate). */
  incomeId: string;
  effectiveDate?: string;
}

export type GuaranteeTopUpInput = (
  | { mode: 'YIELD'; actualVolumeM3: string; /** Defaults to the project's area. */ areaMu?: string }
  | { mode: 'RETURN'; principal: string; annualRate: string; years: string; actualReturn: string }
) & { bankReference: string; effectiveDate?: string; description?: string };

export interface CashFlowView {
  id: string;
  project: string;
  kind: CashFlowKind;
  incomeKind: IncomeKind | null;
  amount: string;
  bankReference: string | null;
  description: string | null;
  calculation: Record<string, unknown>;
  baseFlowId: string | null;
  effectiveDate: string;
  entryId: string;
  walletBalance: string;
}

export interface DeclareInput {
  project: string;
  amount: string;
  recordDate: string;
  paymentDate: string;
  memo?: string;
  /** Holders per chunk of the distribution (tests use small chunks). */
  chunkSize?: number;
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

export interface DistributionProgress {
  holdersTotal: number;
  holdersDone: number;
  chunksTotal: number;
  chunksDone: number;
  /** CNY credited to holders so far. */
  amountDistributed: string;
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

/** Income of one kind in the distributable calculation; guarantee top-ups are their own kind. */
export type DistributableIncomeKind = IncomeKind | 'GUARANTEE_TOP_UP';

/** What a project may still pay as dividends, line by line (GET /v1/projects/:code/distributable). */
export interface DistributableView {
  project: string;
  /** Cash flows effective on or before it, declarations made on or before it and not cancelled by then. */
  asOf: string;
  income: Array<{ kind: DistributableIncomeKind; label: string; amount: string }>;
  incomeTotal: string;
  costs: string;
  managementFees: string;
  /** The declarations counted (state as it is now). */
  dividends: Array<{ id: string; state: DeclarationState; amount: string; recordDate: string; declaredOn: string }>;
  dividendsDeclared: string;
  distributable: string;
  formula: string;
}

export type DistributionOutcome = { state: DeclarationState; progress: DistributionProgress; staleReason?: string | null };

interface DeclarationRow {
  id: string;
  project_id: string;
  project_code: string;
  series_id: string;
  series_code: string;
  asset_code: string;
  amount: string;
  record_date: string;
  payment_date: string;
  memo: string | null;
  state: DeclarationState;
  declared_by: string;
  approved_by: string | null;
  approved_at: Date | null;
  movement_watermark: string | null;
  reserve_entry_id: string | null;
  release_entry_id: string | null;
  stale_reason: string | null;
  total_units: string | null;
  amount_per_unit: string | null;
  holders_total: number;
  holders_done: number;
  chunk_size: number;
  chunks_total: number;
  chunks_done: number;
  created_at: Date;
  distributed_at: Date | null;
  cancelled_at: Date | null;
  distributed: string;
  round: number;
  failed_at: Date | null;
  failure: string | null;
}

const DECLARATION_SELECT = `SELECT d.id, d.project_id, p.code AS project_code, d.series_id, s.code AS series_code, s.asset_code, d.amount::text AS amount,
       to_char(d.record_date, 'YYYY-MM-DD') AS record_date, to_char(d.payment_date, 'YYYY-MM-DD') AS payment_date, d.memo, d.state, d.declared_by, d.approved_by, d.approved_at,
       d.movement_watermark, d.reserve_entry_id, d.release_entry_id, d.stale_reason, d.total_units::text AS total_units, d.amount_per_unit::text AS amount_per_unit, d.holders_total, d.holders_done,
       d.chunk_size, d.chunks_total, d.chunks_done, d.created_at, d.distributed_at, d.cancelled_at, d.amount_distributed::text AS distributed,
       d.round, d.failed_at, d.failure
  FROM dividend_declarations d JOIN coop_projects p ON p.id = d.project_id JOIN ticket_series s ON s.id = d.series_id`;

/** Movements that change who owns units (a pledge or its release keeps the owner). */
const OWNERSHIP_MOVES = `kind NOT IN ('PLEDGE', 'PLEDGE_RELEASE')`;

/**
 * Project income and costs, and dividends (DOMAIN.md §4): declaration (maker-checker, amount reserved
 * at approval), the record-date snapshot and the chunked, resumable, exactly-once distribution.
 *
 * Exactly-once: each chunk is one transaction that locks the declaration row, posts the chunk's
 * entries under deterministic keys (`dividend:<id>:chunk:<k>:<part>`), marks its lines paid and
 * advances `chunks_done`. A crash loses at most an uncommitted chunk; a second runner waits on the
 * row lock and then sees the chunk done; a replayed key is a ledger replay, never a second payment.
 */
@Injectable()
export class DividendsService {
  /** The distribution's transactions run under the long timeouts: a chunk may wait behind commands and write thousands of postings. */
  private readonly chunkTimeouts: DbTimeouts;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    @Optional() env?: Env,
  ) {
    this.chunkTimeouts = longTimeouts(env ?? new Env());
  }

  // ---------------------------------------------------------------- income and costs

  /** Income received into the project's wallet (bank → wallet). */
  async recordIncome(em: EntityManager, projectCode: string, input: IncomeInput, key: string): Promise<CashFlowView> {
    const project = await this.project(em, projectCode);
    if (!INCOME_KINDS.includes(input.kind)) throw invalid(`kind must be one of ${INCOME_KINDS.join(', ')}`, 'kind');
    const amount = Amount.parsePositive(input.amount, 2, 'amount').toString();
    const bankReference = requireText(input.bankReference, 'bankReference');
    const description = optionalText(input.description, 'description');
    return this.book(em, project, key, {
      kind: 'INCOME',
      incomeKind: input.kind,
      amount,
      bankReference,
      description,
      calculation: {},
      baseFlowId: null,
      effectiveDate: dateOrToday(input.effectiveDate, 'effectiveDate'),
      memo: `项目收入 (${INCOME_LABEL[input.kind]}) ${amount} 元 银行流水 ${bankReference}`,
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
        { account: projectWallet(projectCode), side: 'CREDIT', amount },
      ],
    });
  }

  /** A cost paid out of the project's wallet (wallet → bank); refused beyond the wallet's free balance. */
  async recordCost(em: EntityManager, projectCode: string, input: CostInput, key: string): Promise<CashFlowView> {
    const project = await this.project(em, projectCode);
    const amount = Amount.parsePositive(input.amount, 2, 'amount').toString();
    const bankReference = requireText(input.bankReference, 'bankReference');
    const description = requireText(input.description, 'description');
    return this.book(em, project, key, {
      kind: 'COST',
      incomeKind: null,
      amount,
      bankReference,
      description,
      calculation: {},
      baseFlowId: null,
      effectiveDate: dateOrToday(input.effectiveDate, 'effectiveDate'),
      memo: `项目支出 ${amount} 元 (${description}) 银行流水 ${bankReference}`,
      postings: [
        { account: projectWallet(projectCode), side: 'DEBIT', amount },
        { account: BANK_CLEARING_ACCOUNT, side: 'CREDIT', amount },
      ],
    });
  }

  /** The farm's management fee on an income, by the project's rate: wallet → the farm's wallet. Once per income. */
  async chargeManagementFee(em: EntityManager, projectCode: string, input: FeeInput, key: string): Promise<CashFlowView> {
    const project = await this.project(em, projectCode);
    const [income] = isBigintId(String(input.incomeId))
      ? ((await em.query(`SELECT id, amount::text AS amount FROM project_cash_flows WHERE id = $1 AND project_id = $2 AND kind = 'INCOME'`, [
          input.incomeId,
          project.id,
        ])) as Array<{ id: string; amount: string }>)
      : [];
    if (!income) throw invalid(`project ${projectCode} has no income ${JSON.stringify(input.incomeId)}`, 'incomeId');
    const [charged] = (await em.query(
      `SELECT f.id, e.idempotency_key FROM project_cash_flows f JOIN ledger_entries e ON e.id = f.entry_id WHERE f.base_flow_id = $1 AND f.kind = 'MANAGEMENT_FEE'`,
      [income.id],
    )) as Array<{ id: string; idempotency_key: string }>;
    if (charged && charged.idempotency_key !== `project-management-fee:${key}`) {
      throw new DividendError('FEE_ALREADY_CHARGED', `the management fee on income ${income.id} was charged already (record ${charged.id})`, 'incomeId');
    }
    const rate = new Dec(project.management_fee_rate);
    const fee = managementFee(income.amount, rate);
    if (fee.isZero()) throw invalid(`the fee on ${income.amount} at rate ${rate.toString()} rounds to 0.00`, 'incomeId');
    const amount = fee.toFixed(2);
    return this.book(em, project, key, {
      kind: 'MANAGEMENT_FEE',
      incomeKind: null,
      amount,
      bankReference: null,
      description: null,
      calculation: {
        base: new Dec(income.amount).toFixed(2),
        rate: rate.toString(),
        formula: `${new Dec(income.amount).toFixed(2)} 元 × ${rate.toString()} = ${amount} 元 (四舍五入到分)`,
      },
      baseFlowId: income.id,
      effectiveDate: dateOrToday(input.effectiveDate, 'effectiveDate'),
      memo: `林场管理费 ${amount} 元 (收入 #${income.id} × ${rate.toString()})`,
      postings: [
        { account: projectWallet(projectCode), side: 'DEBIT', amount },
        { account: walletOf(project.farm_code), side: 'CREDIT', amount },
      ],
    });
  }

  /** The guarantee top-up (保底补足): computes the shortfall and books the farm's payment into the wallet (bank → wallet). */
  async recordGuaranteeTopUp(em: EntityManager, projectCode: string, input: GuaranteeTopUpInput, key: string): Promise<CashFlowView> {
    const project = await this.project(em, projectCode);
    let calculation: GuaranteeCalculation;
    if (input.mode === 'YIELD') {
      if (project.guaranteed_yield_per_mu === null || project.guarantee_reference_price === null) {
        throw new DividendError('NO_GUARANTEE', `project ${projectCode} has no guaranteed yield and reference price`, 'mode');
      }
      calculation = guaranteeTopUp({
        mode: 'YIELD',
        guaranteedYieldPerMu: project.guaranteed_yield_per_mu,
        areaMu: input.areaMu === undefined ? project.area_mu : Amount.parsePositive(input.areaMu, 4, 'areaMu').value,
        actualVolumeM3: Amount.parse(input.actualVolumeM3, 4, 'actualVolumeM3').value,
        referencePrice: project.guarantee_reference_price,
      });
    } else if (input.mode === 'RETURN') {
      calculation = guaranteeTopUp({
        mode: 'RETURN',
        principal: Amount.parsePositive(input.principal, 2, 'principal').value,
        annualRate: Amount.parsePositive(input.annualRate, 6, 'annualRate').value,
        years: Amount.parsePositive(input.years, 4, 'years').value,
        actualReturn: Amount.parse(input.actualReturn, 2, 'actualReturn').value,
      });
    } else {
      throw invalid('mode must be YIELD or RETURN', 'mode');
    }
    if (!calculation.triggered) {
      throw new DividendError('NO_GUARANTEE', `the guarantee is not triggered: ${calculation.formula}`, 'mode', { calculation });
    }
    const bankReference = requireText(input.bankReference, 'bankReference');
    const amount = calculation.topUp;
    return this.book(em, project, key, {
      kind: 'GUARANTEE_TOP_UP',
      incomeKind: null,
      amount,
      bankReference,
      description: optionalText(input.description, 'description'),
      calculation: { ...calculation },
      baseFlowId: null,
      effectiveDate: dateOrToday(input.effectiveDate, 'effectiveDate'),
      memo: `保底补足 ${amount} 元 (${calculation.formula}) 银行流水 ${bankReference}`,
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
        { account: projectWallet(projectCode), side: 'CREDIT', amount },
      ],
    });
  }

  /** The project's income and cost records, oldest first. */
  async cashFlows(projectCode: string, em: EntityManager = this.dataSource.manager): Promise<CashFlowView[]> {
    const project = await this.project(em, projectCode);
    const wallet = await this.ledger.getAccount(projectWallet(projectCode), em);
    const rows = (await em.query(`${FLOW_SELECT} WHERE f.project_id = $1 ORDER BY f.id`, [project.id])) as FlowRow[];
    return rows.map((r) => flowView(r, wallet.balance));
  }

  /** The distributable amount of a project as of a date (default today), line by line. */
  async distributable(projectCode: string, asOf: string = businessToday(), em: EntityManager = this.dataSource.manager): Promise<DistributableView> {
    const project = await this.project(em, projectCode);
    return this.distributableAsOf(em, project, requireDate(asOf, 'asOf'), null);
  }

  // ---------------------------------------------------------------- declarations

  /**
   * A draft declaration of the project's series. The amount may not exceed what is distributable
   * (income − costs − fees − dividends declared), nor the wallet now (it is reserved at approval).
   * Locks the series row, as approval does, so concurrent declarations are checked one after another.
   */
  async declare(em: EntityManager, actor: Actor, input: DeclareInput): Promise<DeclarationView> {
    const project = await this.project(em, input.project);
    const [series] = (await em.query(`SELECT id, to_char(issued_on, 'YYYY-MM-DD') AS issued_on FROM ticket_series WHERE project_id = $1`, [project.id])) as Array<{
      id: string;
      issued_on: string;
    }>;
    if (!series) throw invalid(`project ${input.project} has no 林票 series to pay dividends on`, 'project');
    const amount = Amount.parsePositive(input.amount, 2, 'amount').toString();
    const recordDate = requireDate(input.recordDate, 'recordDate');
    const paymentDate = requireDate(input.paymentDate, 'paymentDate');
    if (recordDate < series.issued_on) throw invalid(`recordDate ${recordDate} is before the series was issued (${series.issued_on})`, 'recordDate');
    if (paymentDate < recordDate) throw invalid('paymentDate must not be before recordDate', 'paymentDate');
    const chunkSize = input.chunkSize ?? DEFAULT_CHUNK_SIZE;
    if (!Number.isInteger(chunkSize) || chunkSize < 1 || chunkSize > 50_000) throw invalid('chunkSize must be an integer from 1 to 50,000', 'chunkSize');
    await em.query(`SELECT 1 FROM ticket_series WHERE id = $1 FOR UPDATE`, [series.id]);
    await this.assertDistributable(em, project, amount, null);
    await this.assertWalletCovers(em, input.project, amount);
    const [row] = (await em.query(
      `INSERT INTO dividend_declarations (project_id, series_id, amount, record_date, payment_date, memo, declared_by, chunk_size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
      [project.id, series.id, amount, recordDate, paymentDate, optionalText(input.memo, 'memo'), actor.userId, chunkSize],
    )) as Array<{ id: string }>;
    return this.get(row.id, em);
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
    const row = await this.load(em, id, true);
    if (actor.role !== 'APPROVER') throw new DividendError('NOT_AN_APPROVER', `only an APPROVER may approve a declaration; you are ${actor.role}`, 'role');
    if (actor.userId === row.declared_by) throw new DividendError('SAME_USER_APPROVAL', 'the user who declared a dividend cannot approve it', 'id');
    if (row.state !== 'DRAFT' && row.state !== 'STALE') throw stateError(row, 'approved');
    const today = businessToday();
    if (row.record_date > today) throw invalid(`recordDate ${row.record_date} is after today ${today}: the holdings on it are not known yet`, 'recordDate');
    await em.query(`SELECT 1 FROM ticket_series WHERE id = $1 FOR UPDATE`, [row.series_id]);
    await this.assertDistributable(em, await this.project(em, row.project_code), new Dec(row.amount).toFixed(2), row.id);
    const [{ watermark }] = (await em.query(`SELECT COALESCE(max(id), 0)::text AS watermark FROM ticket_movements WHERE series_id = $1`, [row.series_id])) as Array<{
      watermark: string;
    }>;
    let reserveEntryId = row.reserve_entry_id;
    if (reserveEntryId === null) {
      await this.ledger.ensureAccount(em, dividendReserveAccount(row.project_code));
      const posted = await this.post(em, {
        idempotencyKey: `dividend-reserve:${row.id}`,
        kind: 'DIVIDEND_RESERVE',
        // Approved after its payment date: reserved as of that date, so the payment never precedes its reserve.
        effectiveDate: row.payment_date < today ? row.payment_date : today,
        memo: `分红方案 #${row.id} 批准, 预留 ${new Dec(row.amount).toFixed(2)} 元`,
        metadata: { project: row.project_code, declaration: row.id },
        postings: [
          { account: projectWallet(row.project_code), side: 'DEBIT', amount: new Dec(row.amount).toFixed(2) },
          { account: projectDividendReserve(row.project_code), side: 'CREDIT', amount: new Dec(row.amount).toFixed(2) },
        ],
      });
      reserveEntryId = posted.entry.id;
    }
    await em.query(
      `UPDATE dividend_declarations SET state = 'APPROVED', approved_by = $2, approved_at = now(), movement_watermark = $3, reserve_entry_id = $4, stale_reason = NULL,
              round = round + 1, failed_at = NULL, failure = NULL WHERE id = $1`,
      [row.id, actor.userId, watermark, reserveEntryId],
    );
    return this.get(row.id, em);
  }

  /** Cancels a declaration before its distribution starts; a reserved amount returns to the wallet. */
  async cancel(em: EntityManager, id: string, actor: Actor): Promise<DeclarationView> {
    const row = await this.load(em, id, true);
    if (actor.role !== 'APPROVER' && actor.role !== 'ADMIN' && actor.userId !== row.declared_by) {
      throw new DividendError('NOT_AN_APPROVER', 'only the declarer, an APPROVER or an ADMIN may cancel a declaration', 'role');
    }
    if (!['DRAFT', 'APPROVED', 'STALE'].includes(row.state)) throw stateError(row, 'cancelled');
    let releaseEntryId: string | null = null;
    if (row.reserve_entry_id !== null) {
      const amount = new Dec(row.amount).toFixed(2);
      const posted = await this.post(em, {
        idempotencyKey: `dividend-release:${row.id}`,
        kind: 'DIVIDEND_RESERVE_RELEASE',
        effectiveDate: businessToday(),
        memo: `分红方案 #${row.id} 撤销, 释放预留 ${amount} 元`,
        metadata: { project: row.project_code, declaration: row.id },
        postings: [
          { account: projectDividendReserve(row.project_code), side: 'DEBIT', amount },
          { account: projectWallet(row.project_code), side: 'CREDIT', amount },
        ],
      });
      releaseEntryId = posted.entry.id;
    }
    await em.query(`UPDATE dividend_declarations SET state = 'CANCELLED', cancelled_at = now(), release_entry_id = $2 WHERE id = $1`, [row.id, releaseEntryId]);
    return this.get(row.id, em);
  }

  // ---------------------------------------------------------------- pending work (PostgreSQL is its source of truth)

  /**
   * The distributions that must be running now: APPROVED and due (payment date today or earlier, China
   * time), or DISTRIBUTING (chunks left), and not failed. The worker's reconciler makes sure each has a job.
   */
  async pendingDistributions(today: string, em: EntityManager = this.dataSource.manager): Promise<PendingDistribution[]> {
    return (await em.query(
      `SELECT id, round FROM dividend_declarations WHERE failed_at IS NULL AND (state = 'DISTRIBUTING' OR (state = 'APPROVED' AND payment_date <= $1::date)) ORDER BY id`,
      [today],
    )) as PendingDistribution[];
  }

  /**
   * Records that the distribution of `round` truly failed (its job's last attempt, or a domain refusal),
   * so the reconciler stops queuing it and the declaration shows the error. No-op when the declaration
   * has moved on (another round, finished, cancelled). Returns whether it recorded.
   */
  async recordFailure(em: EntityManager, id: string, round: number | null, error: string): Promise<boolean> {
    // In a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, rowCount], which is never empty.
    const rows = (await em.query(
      `WITH u AS (UPDATE dividend_declarations SET failed_at = now(), failure = $3
        WHERE id = $1 AND ($2::int IS NULL OR round = $2) AND state IN ('APPROVED', 'DISTRIBUTING') AND failed_at IS NULL RETURNING id) SELECT id FROM u`,
      [id, round, error.slice(0, 2000)],
    )) as Array<{ id: string }>;
    return rows.length > 0;
  }

  /**
   * Resumes a failed distribution (ADMIN): clears the failure and starts a new round, so its job id is
   * new; the distribution continues after its last committed chunk. A declaration that is APPROVED or
   * DISTRIBUTING and not failed is returned unchanged (its job is queued again harmlessly).
   */
  async resume(em: EntityManager, id: string): Promise<DeclarationView> {
    const row = await this.load(em, id, true);
    if (row.state !== 'APPROVED' && row.state !== 'DISTRIBUTING') throw stateError(row, 'resumed');
    if (row.failed_at !== null) await em.query(`UPDATE dividend_declarations SET round = round + 1, failed_at = NULL, failure = NULL WHERE id = $1`, [row.id]);
    return this.get(row.id, em);
  }

  async get(id: string, em: EntityManager = this.dataSource.manager): Promise<DeclarationView> {
    return declarationView(await this.load(em, id, false));
  }

  async progress(id: string, em: EntityManager = this.dataSource.manager): Promise<DistributionProgress & { state: DeclarationState }> {
    const view = await this.get(id, em);
    return { state: view.state, ...view.progress };
  }

  async list(projectCode: string, em: EntityManager = this.dataSource.manager): Promise<DeclarationView[]> {
    const rows = (await em.query(`${DECLARATION_SELECT} WHERE p.code = $1 ORDER BY d.id`, [projectCode])) as DeclarationRow[];
    return rows.map(declarationView);
  }

  /** The statement lines of a declaration in allocation order (keyset on seq). */
  /** The declaration's lines by seq; a scoped reader gets only its own party's (partyLinesSeenBy's rule, in the SQL so that pages stay full). */
  async lines(id: string, options: { afterSeq?: number; limit?: number; scope?: OwnerScope } = {}, em: EntityManager = this.dataSource.manager): Promise<DividendLineView[]> {
    const row = await this.load(em, id, false);
    const rows = (await em.query(
      `SELECT l.seq, p.code, p.name, l.units::text AS units, l.amount::text AS amount, l.entry_id FROM dividend_lines l JOIN parties p ON p.id = l.party_id
        WHERE l.declaration_id = $1 AND l.seq > $2 AND ($4::text[] IS NULL OR 'party:' || p.code = ANY($4::text[])) ORDER BY l.seq LIMIT $3`,
      [id, options.afterSeq ?? 0, Math.min(options.limit ?? 1000, 10_000), options.scope?.ownerRefs ?? null],
    )) as Array<{ seq: number; code: string; name: string; units: string; amount: string; entry_id: string | null }>;
    return rows.map((r) => ({
      declarationId: id,
      seq: r.seq,
      party: r.code,
      name: r.name,
      units: new Dec(r.units).toFixed(0),
      amountPerUnit: row.amount_per_unit ?? '',
      amount: new Dec(r.amount).toFixed(2),
      entryId: r.entry_id,
    }));
  }

  /** Every dividend of one party (their statement), newest first: what the villagers' page shows. */
  async dividendsOf(partyCode: string, em: EntityManager = this.dataSource.manager): Promise<PartyDividendView[]> {
    const rows = (await em.query(
      `SELECT l.declaration_id, l.seq, p.code, p.name, l.units::text AS units, l.amount::text AS amount, l.entry_id, d.amount_per_unit,
              cp.code AS project, cp.name AS project_name, s.code AS series, to_char(d.record_date, 'YYYY-MM-DD') AS record_date, to_char(d.payment_date, 'YYYY-MM-DD') AS payment_date
         FROM dividend_lines l JOIN parties p ON p.id = l.party_id JOIN dividend_declarations d ON d.id = l.declaration_id
         JOIN coop_projects cp ON cp.id = d.project_id JOIN ticket_series s ON s.id = d.series_id
        WHERE p.code = $1 ORDER BY d.payment_date DESC, d.id DESC`,
      [partyCode],
    )) as Array<{
      declaration_id: string;
      seq: number;
      code: string;
      name: string;
      units: string;
      amount: string;
      entry_id: string | null;
      amount_per_unit: string;
      project: string;
      project_name: string;
      series: string;
      record_date: string;
      payment_date: string;
    }>;
    return rows.map((r) => ({
      declarationId: r.declaration_id,
      seq: r.seq,
      party: r.code,
      name: r.name,
      units: new Dec(r.units).toFixed(0),
      amountPerUnit: r.amount_per_unit,
      amount: new Dec(r.amount).toFixed(2),
      entryId: r.entry_id,
      project: r.project,
      projectName: r.project_name,
      series: r.series,
      recordDate: r.record_date,
      paymentDate: r.payment_date,
      paid: r.entry_id !== null || new Dec(r.amount).isZero(),
    }));
  }

  // ---------------------------------------------------------------- distribution

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
    while (outcome.state === 'DISTRIBUTING' && (options.maxChunks === undefined || chunks < options.maxChunks)) {
      outcome = await inTransaction(
        this.dataSource,
        withTimeouts(this.chunkTimeouts, (em) => this.runChunk(em, id)),
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
    const row = await this.load(em, id, true);
    if (row.state !== 'APPROVED') return outcomeOf(row);
    const today = businessToday();
    // Not due yet: nothing to do and nothing wrong; the reconciler queues it again on the payment date.
    if (row.payment_date > today) return outcomeOf(row);
    await em.query(`SELECT 1 FROM ticket_series WHERE id = $1 FOR UPDATE`, [row.series_id]);
    if (await this.markIfStale(em, row)) return outcomeOf(await this.load(em, id, false));

    const balances = await this.ledger.balancesOfAssetAsOf(row.asset_code, 'LIABILITY', row.record_date, em);
    const unitsByOwner = new Map<string, Dec>();
    for (const b of balances) {
      if (b.ownerRef === null || !b.ownerRef.startsWith('party:')) continue;
      unitsByOwner.set(b.ownerRef, (unitsByOwner.get(b.ownerRef) ?? new Dec(0)).plus(b.balance));
    }
    // The tie-break key: each owner's first account of the series (its free units), by id.
    const owners = (await em.query(`SELECT owner_ref, min(id)::text AS account_id FROM ledger_accounts WHERE asset_code = $1 AND type = 'LIABILITY' GROUP BY owner_ref`, [
      row.asset_code,
    ])) as Array<{
      owner_ref: string;
      account_id: string;
    }>;
    const holders = owners.filter((o) => unitsByOwner.get(o.owner_ref)?.greaterThan(0)).map((o) => ({ ...o, code: o.owner_ref.slice('party:'.length) }));
    holders.sort((a, b) => (BigInt(a.account_id) < BigInt(b.account_id) ? -1 : BigInt(a.account_id) > BigInt(b.account_id) ? 1 : 0));
    const split = splitPool(
      row.amount,
      holders.map((o) => ({ key: o.owner_ref, units: unitsByOwner.get(o.owner_ref)! })),
    );
    if (split.length === 0) throw new DividendError('NO_HOLDERS', `nobody held units of ${row.series_code} on ${row.record_date}`, 'recordDate');
    const totalUnits = split.reduce((s, l) => s.plus(l.units), new Dec(0));

    const [{ n }] = (await em.query(
      `WITH ins AS (
         INSERT INTO dividend_lines (declaration_id, seq, party_id, holder_account_id, units, amount, chunk)
         SELECT $1, t.seq, p.id, t.account_id, t.units, t.amount, (t.seq - 1) / $7 + 1
           FROM unnest($2::int[], $3::text[], $4::bigint[], $5::numeric[], $6::numeric[]) AS t(seq, party, account_id, units, amount) JOIN parties p ON p.code = t.party
         RETURNING 1)
       SELECT count(*)::int AS n FROM ins`,
      [
        row.id,
        holders.map((_, i) => i + 1),
        holders.map((o) => o.code),
        holders.map((o) => o.account_id),
        split.map((l) => l.units.toFixed(0)),
        split.map((l) => l.amount.toFixed(2)),
        row.chunk_size,
      ],
    )) as Array<{ n: number }>;
    if (n !== split.length) throw new Error(`declaration ${id}: ${split.length - n} holder accounts of ${row.series_code} belong to no party`);
    // Wallets of holders who have none yet (e.g. parties registered before wallets existed).
    const missing = (await em.query(
      `SELECT p.code FROM dividend_lines l JOIN parties p ON p.id = l.party_id
        WHERE l.declaration_id = $1 AND NOT EXISTS (SELECT 1 FROM ledger_accounts a WHERE a.code = 'party:' || p.code || ':wallet:CNY')`,
      [row.id],
    )) as Array<{ code: string }>;
    if (missing.length > 0)
      await this.ledger.openAccounts(
        em,
        missing.map((m) => ({ code: walletOf(m.code), asset: 'CNY', type: 'LIABILITY' as const, ownerRef: `party:${m.code}`, noOverdraft: true })),
      );
    await em.query(
      `UPDATE dividend_declarations SET state = 'DISTRIBUTING', started_at = now(), total_units = $2, amount_per_unit = $3, holders_total = $4, chunks_total = $5 WHERE id = $1`,
      [row.id, totalUnits.toFixed(0), amountPerUnit(row.amount, totalUnits), split.length, Math.ceil(split.length / row.chunk_size)],
    );
    return outcomeOf(await this.load(em, id, false));
  }

  /** One chunk (the next one): posts its entries, marks its lines paid, advances the progress; the last one completes the declaration. */
  async runChunk(em: EntityManager, id: string): Promise<DistributionOutcome> {
    const row = await this.load(em, id, true);
    if (row.state !== 'DISTRIBUTING') return outcomeOf(row);
    const chunk = row.chunks_done + 1;
    const lines = (await em.query(
      `SELECT l.seq, l.amount::text AS amount, p.code FROM dividend_lines l JOIN parties p ON p.id = l.party_id WHERE l.declaration_id = $1 AND l.seq > $2 AND l.seq <= $3 ORDER BY l.seq`,
      [id, (chunk - 1) * row.chunk_size, chunk * row.chunk_size],
    )) as Array<{ seq: number; amount: string; code: string }>;
    const paying = lines.filter((l) => !new Dec(l.amount).isZero());
    const parts: Array<typeof paying> = [];
    for (let i = 0; i < paying.length; i += CREDITS_PER_ENTRY) parts.push(paying.slice(i, i + CREDITS_PER_ENTRY));
    if (parts.length > 0) {
      const drafts = parts.map((part, j): EntryDraft => {
        const total = part.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2);
        return {
          idempotencyKey: `dividend:${row.id}:chunk:${chunk}:${j + 1}`,
          kind: 'DIVIDEND_DISTRIBUTION',
          effectiveDate: row.payment_date,
          memo: `分红 ${row.series_code} 方案 #${row.id} 第 ${chunk}/${row.chunks_total} 批 (${j + 1}/${parts.length}): ${part.length} 户/人 ${total} 元`,
          metadata: { project: row.project_code, series: row.series_code, declaration: row.id, chunk, part: j + 1 },
          postings: [
            { account: projectDividendReserve(row.project_code), side: 'DEBIT', amount: total },
            ...part.map((l) => ({ account: walletOf(l.code), side: 'CREDIT' as const, amount: new Dec(l.amount).toFixed(2) })),
          ],
        };
      });
      const batch = await this.ledger.postBatch(em, drafts);
      await em.query(`UPDATE dividend_lines l SET entry_id = v.entry_id FROM unnest($2::int[], $3::bigint[]) AS v(seq, entry_id) WHERE l.declaration_id = $1 AND l.seq = v.seq`, [
        id,
        parts.flatMap((part) => part.map((l) => l.seq)),
        parts.flatMap((part, j) => part.map(() => batch.entries[j].id)),
      ]);
    }
    const last = chunk === row.chunks_total;
    await em.query(
      `UPDATE dividend_declarations SET chunks_done = $2, holders_done = holders_done + $3, amount_distributed = amount_distributed + $5, state = CASE WHEN $4 THEN 'DISTRIBUTED' ELSE state END,
              distributed_at = CASE WHEN $4 THEN now() ELSE distributed_at END WHERE id = $1`,
      [id, chunk, lines.length, last, paying.reduce((sum, l) => sum.plus(l.amount), new Dec(0)).toFixed(2)],
    );
    return outcomeOf(await this.load(em, id, false));
  }

  // ---------------------------------------------------------------- internals

  /**
   * Sets STALE (with the reason) when an ownership movement after the watermark is dated on or before
   * the record date. Unreachable for declarations approved since the register closes at approval
   * (movements dated on or before the record date are refused, REGISTER_CLOSED); it still catches
   * declarations approved before that rule whose register a later movement changed.
   */
  private async markIfStale(em: EntityManager, row: DeclarationRow): Promise<boolean> {
    const [late] = (await em.query(
      `SELECT id, kind, to_char(effective_date, 'YYYY-MM-DD') AS effective_date, entry_id FROM ticket_movements
        WHERE series_id = $1 AND id > $2 AND effective_date <= $3::date AND ${OWNERSHIP_MOVES} ORDER BY id LIMIT 1`,
      [row.series_id, row.movement_watermark ?? '0', row.record_date],
    )) as Array<{ id: string; kind: string; effective_date: string; entry_id: string }>;
    if (!late) return false;
    const reason = `movement #${late.id} (${late.kind}, entry ${late.entry_id}) dated ${late.effective_date} was booked after the approval and changes the holdings on the record date ${row.record_date}; re-approve`;
    await em.query(`UPDATE dividend_declarations SET state = 'STALE', stale_reason = $2 WHERE id = $1`, [row.id, reason]);
    return true;
  }

  /**
   * The distributable calculation from the project's own records: cash flows effective on or before
   * `asOf`, declarations made on or before it and not cancelled by then (`asOf` null: everything
   * recorded), leaving out the declaration `excludeId`.
   */
  private async distributableAsOf(em: EntityManager, project: ProjectRow, asOf: string | null, excludeId: string | null): Promise<DistributableView> {
    const flows = (await em.query(
      `SELECT kind, income_kind, sum(amount)::text AS amount FROM project_cash_flows
        WHERE project_id = $1 AND ($2::date IS NULL OR effective_date <= $2::date) GROUP BY kind, income_kind`,
      [project.id, asOf],
    )) as Array<{ kind: CashFlowKind; income_kind: IncomeKind | null; amount: string }>;
    const declarations = (await em.query(
      `SELECT id::text AS id, state, amount::text AS amount, to_char(record_date, 'YYYY-MM-DD') AS record_date,
              to_char(created_at AT TIME ZONE '${BUSINESS_TIME_ZONE}', 'YYYY-MM-DD') AS declared_on
         FROM dividend_declarations
        WHERE project_id = $1 AND id <> COALESCE($3::bigint, 0)
          AND ($2::date IS NULL OR (created_at AT TIME ZONE '${BUSINESS_TIME_ZONE}')::date <= $2::date)
          AND (cancelled_at IS NULL OR ($2::date IS NOT NULL AND (cancelled_at AT TIME ZONE '${BUSINESS_TIME_ZONE}')::date > $2::date))
        ORDER BY id`,
      [project.id, asOf, excludeId],
    )) as Array<{ id: string; state: DeclarationState; amount: string; record_date: string; declared_on: string }>;
    const total = (kind: CashFlowKind, incomeKind: IncomeKind | null = null) =>
      flows.filter((f) => f.kind === kind && f.income_kind === incomeKind).reduce((s, f) => s.plus(f.amount), new Dec(0));
    const income = [
      ...INCOME_KINDS.map((kind) => ({ kind: kind as DistributableIncomeKind, label: INCOME_LABEL[kind], amount: total('INCOME', kind).toFixed(2) })),
      { kind: 'GUARANTEE_TOP_UP' as const, label: '保底补足', amount: total('GUARANTEE_TOP_UP').toFixed(2) },
    ];
    const calc = distributableOf({ income, costs: total('COST'), managementFees: total('MANAGEMENT_FEE'), dividends: declarations.map((d) => d.amount) });
    return {
      project: project.code,
      asOf: asOf ?? businessToday(),
      income,
      ...calc,
      dividends: declarations.map((d) => ({ id: d.id, state: d.state, amount: new Dec(d.amount).toFixed(2), recordDate: d.record_date, declaredOn: d.declared_on })),
    };
  }

  /** EXCEEDS_DISTRIBUTABLE (with the figures) when `amount` exceeds what the project may still distribute, `excludeId` left out. */
  private async assertDistributable(em: EntityManager, project: ProjectRow, amount: string, excludeId: string | null): Promise<void> {
    const calc = await this.distributableAsOf(em, project, null, excludeId);
    if (new Dec(amount).lessThanOrEqualTo(calc.distributable)) return;
    throw new DividendError(
      'EXCEEDS_DISTRIBUTABLE',
      `the declared ${amount} CNY exceeds the ${calc.distributable} CNY project ${project.code} may distribute: ${calc.formula}${excludeId === null ? '' : ` (declaration #${excludeId} itself left out)`}; contributed capital is not distributable`,
      'amount',
      { distributable: calc.distributable, incomeTotal: calc.incomeTotal, costs: calc.costs, managementFees: calc.managementFees, dividendsDeclared: calc.dividendsDeclared },
    );
  }

  private async assertWalletCovers(em: EntityManager, projectCode: string, amount: string): Promise<void> {
    const wallet = await this.ledger.getAccount(projectWallet(projectCode), em);
    if (new Dec(amount).greaterThan(wallet.balance)) {
      throw new DividendError('EXCEEDS_WALLET', `the declared ${amount} CNY exceeds the project wallet's ${wallet.balance} CNY`, 'amount', { walletBalance: wallet.balance });
    }
  }

  /** Posts, turning the wallet's INSUFFICIENT_FUNDS into EXCEEDS_WALLET. */
  private async post(em: EntityManager, draft: EntryDraft): Promise<PostResult> {
    try {
      return await this.ledger.post(em, draft);
    } catch (error) {
      if (
        error instanceof LedgerError &&
        error.code === 'INSUFFICIENT_FUNDS' &&
        String(error.details?.account ?? '').endsWith(':wallet:CNY') &&
        String(error.details?.account ?? '').startsWith('project:')
      ) {
        throw new DividendError(
          'EXCEEDS_WALLET',
          `the project wallet holds ${String(error.details?.balance ?? '?')} CNY free (reserved dividends excluded), less than ${draft.postings[0].amount}`,
          'amount',
          {
            ...error.details,
          },
        );
      }
      throw error;
    }
  }

  private async book(
    em: EntityManager,
    project: ProjectRow,
    key: string,
    spec: Omit<CashFlowView, 'id' | 'project' | 'entryId' | 'walletBalance'> & { memo: string; postings: EntryDraft['postings'] },
  ): Promise<CashFlowView> {
    const prefix = { INCOME: 'project-income', COST: 'project-cost', MANAGEMENT_FEE: 'project-management-fee', GUARANTEE_TOP_UP: 'project-guarantee-top-up' }[spec.kind];
    const posted = await this.post(em, {
      idempotencyKey: `${prefix}:${key}`,
      kind: `PROJECT_${spec.kind}`,
      effectiveDate: spec.effectiveDate,
      memo: spec.memo,
      metadata: { project: project.code, bankReference: spec.bankReference, incomeKind: spec.incomeKind, baseFlowId: spec.baseFlowId },
      postings: spec.postings,
    });
    if (!posted.replayed) {
      await em.query(
        `INSERT INTO project_cash_flows (project_id, kind, income_kind, amount, bank_reference, description, calculation, base_flow_id, effective_date, entry_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
        [
          project.id,
          spec.kind,
          spec.incomeKind,
          spec.amount,
          spec.bankReference,
          spec.description,
          JSON.stringify(spec.calculation),
          spec.baseFlowId,
          spec.effectiveDate,
          posted.entry.id,
        ],
      );
    }
    const [row] = (await em.query(`${FLOW_SELECT} WHERE f.entry_id = $1`, [posted.entry.id])) as FlowRow[];
    const wallet = await this.ledger.getAccount(projectWallet(project.code), em);
    return flowView(row, wallet.balance);
  }

  private async project(em: EntityManager, code: string): Promise<ProjectRow> {
    const [row] = (await em.query(
      `SELECT p.id, p.code, p.state, f.code AS farm_code, p.management_fee_rate::text AS management_fee_rate, p.area_mu::text AS area_mu,
              p.guaranteed_yield_per_mu::text AS guaranteed_yield_per_mu, p.guarantee_reference_price::text AS guarantee_reference_price
         FROM coop_projects p JOIN parties f ON f.id = p.farm_party_id WHERE p.code = $1`,
      [code],
    )) as ProjectRow[];
    if (!row) throw new DividendError('INVALID_DIVIDEND_INPUT', `no project with code ${JSON.stringify(code)}`, 'project');
    return row;
  }

  private async load(em: EntityManager, id: string, lock: boolean): Promise<DeclarationRow> {
    if (!isBigintId(String(id))) throw new DividendError('UNKNOWN_DECLARATION', `no dividend declaration ${JSON.stringify(id)}`, 'id');
    if (lock) await em.query(`SELECT 1 FROM dividend_declarations WHERE id = $1 FOR UPDATE`, [id]);
    const [row] = (await em.query(`${DECLARATION_SELECT} WHERE d.id = $1`, [id])) as DeclarationRow[];
    if (!row) throw new DividendError('UNKNOWN_DECLARATION', `no dividend declaration ${JSON.stringify(id)}`, 'id');
    return row;
  }
}

interface ProjectRow {
  id: string;
  code: string;
  state: string;
  farm_code: string;
  management_fee_rate: string;
  area_mu: string;
  guaranteed_yield_per_mu: string | null;
  guarantee_reference_price: string | null;
}

interface FlowRow {
  id: string;
  project: string;
  kind: CashFlowKind;
  income_kind: IncomeKind | null;
  amount: string;
  bank_reference: string | null;
  description: string | null;
  calculation: Record<string, unknown>;
  base_flow_id: string | null;
  effective_date: string;
  entry_id: string;
}

const FLOW_SELECT = `SELECT f.id, p.code AS project, f.kind, f.income_kind, f.amount::text AS amount, f.bank_reference, f.description, f.calculation, f.base_flow_id,
       to_char(f.effective_date, 'YYYY-MM-DD') AS effective_date, f.entry_id FROM project_cash_flows f JOIN coop_projects p ON p.id = f.project_id`;

function flowView(r: FlowRow, walletBalance: string): CashFlowView {
  return {
    id: r.id,
    project: r.project,
    kind: r.kind,
    incomeKind: r.income_kind,
    amount: new Dec(r.amount).toFixed(2),
    bankReference: r.bank_reference,
    description: r.description,
    calculation: r.calculation,
    baseFlowId: r.base_flow_id,
    effectiveDate: r.effective_date,
    entryId: r.entry_id,
    walletBalance,
  };
}

/** The zone of business dates (businessToday), for the dates of timestamps. */
const BUSINESS_TIME_ZONE = 'Asia/Shanghai';

const INCOME_LABEL: Record<IncomeKind, string> = { HARVEST_FINAL: '主伐', HARVEST_THINNING: '间伐', PRE_DIVIDEND: '预分红', CARBON: '碳汇收入', OTHER: '其他' };

function declarationView(r: DeclarationRow): DeclarationView {
  return {
    id: r.id,
    project: r.project_code,
    series: r.series_code,
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

function progressOf(r: DeclarationRow): DistributionProgress {
  return {
    holdersTotal: r.holders_total,
    holdersDone: r.holders_done,
    chunksTotal: r.chunks_total,
    chunksDone: r.chunks_done,
    amountDistributed: new Dec(r.distributed).toFixed(2),
  };
}

function outcomeOf(r: DeclarationRow): DistributionOutcome {
  return { state: r.state, progress: progressOf(r), ...(r.state === 'STALE' ? { staleReason: r.stale_reason } : {}) };
}

function stateError(row: DeclarationRow, verb: string): DividendError {
  return new DividendError('DECLARATION_STATE', `declaration ${row.id} is ${row.state} and cannot be ${verb}`, 'id', { state: row.state });
}

function invalid(message: string, field: string): DividendError {
  return new DividendError('INVALID_DIVIDEND_INPUT', message, field);
}

const { requireText, optionalText, requireDate } = inputChecks(invalid, { maxOptionalText: 200 });

function dateOrToday(value: unknown, field: string): string {
  return value === undefined ? businessToday() : requireDate(value, field);
}
