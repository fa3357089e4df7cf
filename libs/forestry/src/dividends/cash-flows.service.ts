import { Injectable } from '@nestjs/common';
import { ProjectError } from '../projects/projects.errors';
import { InjectDataSource } from '@nestjs/typeorm';
import { Amount, Dec, EntryDraft, isBigintId, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { DataSource, EntityManager } from 'typeorm';
import { walletOf } from '../parties/parties.service';
import { BANK_CLEARING_ACCOUNT, businessToday, projectWallet } from '../projects/project-accounts';
import { ProjectRecord, ProjectsService } from '../projects/projects.service';
import { CashFlowRow, cashFlowsStore } from './cash-flows.store';
import { declarationsStore } from './declarations.store';
import { CashFlowKind, DeclarationState, INCOME_KINDS, IncomeKind } from './dividend.model';
import { distributableOf, guaranteeTopUp, GuaranteeCalculation, managementFee } from './dividend-math';
import { BANK_REFERENCE_MAX, dateOrToday, INCOME_LABEL, invalid, optionalText, postFromProjectWallet, projectByCode, requireDate, requireText } from './dividend-support';
import { DividendError } from './dividends.errors';

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

const KEY_PREFIX: Record<CashFlowKind, string> = {
  INCOME: 'project-income',
  COST: 'project-cost',
  MANAGEMENT_FEE: 'project-management-fee',
  GUARANTEE_TOP_UP: 'project-guarantee-top-up',
};

/**
 * Project income and costs (DOMAIN.md §4): income, costs, the farm's management fee and guarantee
 * top-ups, each one ledger entry and one project_cash_flows record; and what is distributable.
 */
@Injectable()
export class ProjectCashFlowsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
    private readonly ledgerReads: LedgerReads,
    private readonly projects: ProjectsService,
  ) {}

  /** Income received into the project's wallet (bank → wallet). */
  async recordIncome(em: EntityManager, projectCode: string, input: IncomeInput, key: string): Promise<CashFlowView> {
    const project = await projectByCode(this.projects, em, projectCode);
    if (!INCOME_KINDS.includes(input.kind)) throw invalid(`kind must be one of ${INCOME_KINDS.join(', ')}`, 'kind');
    const amount = Amount.parsePositive(input.amount, 2, 'amount').toString();
    const bankReference = requireText(input.bankReference, 'bankReference', BANK_REFERENCE_MAX);
    const description = optionalText(input.description, 'description');
    return this.book(em, project, key, {
      kind: 'INCOME',
      income_kind: input.kind,
      amount,
      bank_reference: bankReference,
      description,
      calculation: {},
      base_flow_id: null,
      effective_date: dateOrToday(input.effectiveDate, 'effectiveDate'),
      memo: `项目收入 (${INCOME_LABEL[input.kind]}) ${amount} 元 银行流水 ${bankReference}`,
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
        { account: projectWallet(projectCode), side: 'CREDIT', amount },
      ],
    });
  }

  /** A cost paid out of the project's wallet (wallet → bank); refused beyond the wallet's free balance. */
  async recordCost(em: EntityManager, projectCode: string, input: CostInput, key: string): Promise<CashFlowView> {
    const project = await projectByCode(this.projects, em, projectCode);
    const amount = Amount.parsePositive(input.amount, 2, 'amount').toString();
    const bankReference = requireText(input.bankReference, 'bankReference', BANK_REFERENCE_MAX);
    const description = requireText(input.description, 'description');
    return this.book(em, project, key, {
      kind: 'COST',
      income_kind: null,
      amount,
      bank_reference: bankReference,
      description,
      calculation: {},
      base_flow_id: null,
      effective_date: dateOrToday(input.effectiveDate, 'effectiveDate'),
      memo: `项目支出 ${amount} 元 (${description}) 银行流水 ${bankReference}`,
      postings: [
        { account: projectWallet(projectCode), side: 'DEBIT', amount },
        { account: BANK_CLEARING_ACCOUNT, side: 'CREDIT', amount },
      ],
    });
  }

  /** The farm's management fee on an income, by the project's rate: wallet → the farm's wallet. Once per income. */
  async chargeManagementFee(em: EntityManager, projectCode: string, input: FeeInput, key: string): Promise<CashFlowView> {
    const project = await projectByCode(this.projects, em, projectCode);
    if (project.farm_code === null) throw new ProjectError('WRONG_PROJECT_KIND', `${projectCode} is a collective income-right scheme: no farm charges a management fee`, 'project');
    const income = isBigintId(String(input.incomeId)) ? await cashFlowsStore.income(em, project.id, input.incomeId) : null;
    if (!income) throw invalid(`project ${projectCode} has no income ${JSON.stringify(input.incomeId)}`, 'incomeId');
    const charged = await cashFlowsStore.feeOn(em, income.id);
    // A replay of the same command (same key) books nothing new; another key is a second fee.
    if (charged && (await this.ledgerReads.entryKeys(em, [charged.entry_id])).get(charged.entry_id) !== `${KEY_PREFIX.MANAGEMENT_FEE}:${key}`) {
      throw new DividendError('FEE_ALREADY_CHARGED', `the management fee on income ${income.id} was charged already (record ${charged.id})`, 'incomeId');
    }
    const rate = new Dec(project.management_fee_rate);
    const fee = managementFee(income.amount, rate);
    if (fee.isZero()) throw invalid(`the fee on ${income.amount} at rate ${rate.toString()} rounds to 0.00`, 'incomeId');
    const amount = fee.toFixed(2);
    return this.book(em, project, key, {
      kind: 'MANAGEMENT_FEE',
      income_kind: null,
      amount,
      bank_reference: null,
      description: null,
      calculation: {
        base: new Dec(income.amount).toFixed(2),
        rate: rate.toString(),
        formula: `${new Dec(income.amount).toFixed(2)} 元 × ${rate.toString()} = ${amount} 元 (四舍五入到分)`,
      },
      base_flow_id: income.id,
      effective_date: dateOrToday(input.effectiveDate, 'effectiveDate'),
      memo: `林场管理费 ${amount} 元 (收入 #${income.id} × ${rate.toString()})`,
      postings: [
        { account: projectWallet(projectCode), side: 'DEBIT', amount },
        { account: walletOf(project.farm_code), side: 'CREDIT', amount },
      ],
    });
  }

  /** The guarantee top-up (保底补足): computes the shortfall and books the farm's payment into the wallet (bank → wallet). */
  async recordGuaranteeTopUp(em: EntityManager, projectCode: string, input: GuaranteeTopUpInput, key: string): Promise<CashFlowView> {
    const project = await projectByCode(this.projects, em, projectCode);
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
    const bankReference = requireText(input.bankReference, 'bankReference', BANK_REFERENCE_MAX);
    const amount = calculation.topUp;
    return this.book(em, project, key, {
      kind: 'GUARANTEE_TOP_UP',
      income_kind: null,
      amount,
      bank_reference: bankReference,
      description: optionalText(input.description, 'description'),
      calculation: { ...calculation },
      base_flow_id: null,
      effective_date: dateOrToday(input.effectiveDate, 'effectiveDate'),
      memo: `保底补足 ${amount} 元 (${calculation.formula}) 银行流水 ${bankReference}`,
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
        { account: projectWallet(projectCode), side: 'CREDIT', amount },
      ],
    });
  }

  /** The project's income and cost records, oldest first. */
  async cashFlows(projectCode: string, em: EntityManager = this.dataSource.manager): Promise<CashFlowView[]> {
    const project = await projectByCode(this.projects, em, projectCode);
    const wallet = await this.ledger.getAccount(projectWallet(projectCode), em);
    return (await cashFlowsStore.ofProject(em, project.id)).map((r) => flowView(r, project.code, wallet.balance));
  }

  /** The distributable amount of a project as of a date (default today), line by line. */
  async distributable(projectCode: string, asOf: string = businessToday(), em: EntityManager = this.dataSource.manager): Promise<DistributableView> {
    const project = await projectByCode(this.projects, em, projectCode);
    return this.distributableAsOf(em, project, requireDate(asOf, 'asOf'), null);
  }

  /** EXCEEDS_DISTRIBUTABLE (with the figures) when `amount` exceeds what the project may still distribute, `excludeId` left out. */
  async assertDistributable(em: EntityManager, project: { id: string; code: string }, amount: string, excludeId: string | null): Promise<void> {
    const calc = await this.distributableAsOf(em, project, null, excludeId);
    if (new Dec(amount).lessThanOrEqualTo(calc.distributable)) return;
    throw new DividendError(
      'EXCEEDS_DISTRIBUTABLE',
      `the declared ${amount} CNY exceeds the ${calc.distributable} CNY project ${project.code} may distribute: ${calc.formula}${excludeId === null ? '' : ` (declaration #${excludeId} itself left out)`}; contributed capital is not distributable`,
      'amount',
      { distributable: calc.distributable, incomeTotal: calc.incomeTotal, costs: calc.costs, managementFees: calc.managementFees, dividendsDeclared: calc.dividendsDeclared },
    );
  }

  /**
   * The distributable calculation from the project's own records: cash flows effective on or before
   * `asOf`, declarations made on or before it and not cancelled by then (`asOf` null: everything
   * recorded), leaving out the declaration `excludeId`.
   */
  private async distributableAsOf(em: EntityManager, project: { id: string; code: string }, asOf: string | null, excludeId: string | null): Promise<DistributableView> {
    const flows = await cashFlowsStore.totals(em, project.id, asOf);
    const declarations = await declarationsStore.counted(em, project.id, asOf, excludeId);
    const total = (kind: CashFlowKind, incomeKind: IncomeKind | null = null) =>
      flows.filter((f) => f.kind === kind && f.income_kind === incomeKind).reduce((s, f) => s.plus(f.amount), new Dec(0));
    const income = [
      ...INCOME_KINDS.map((kind) => ({ kind: kind, label: INCOME_LABEL[kind], amount: total('INCOME', kind).toFixed(2) })),
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

  private async book(
    em: EntityManager,
    project: ProjectRecord,
    key: string,
    spec: Omit<CashFlowRow, 'id' | 'project_id' | 'entry_id'> & { memo: string; postings: EntryDraft['postings'] },
  ): Promise<CashFlowView> {
    const posted = await postFromProjectWallet(this.ledger, em, {
      idempotencyKey: `${KEY_PREFIX[spec.kind]}:${key}`,
      kind: `PROJECT_${spec.kind}`,
      effectiveDate: spec.effective_date,
      memo: spec.memo,
      metadata: { project: project.code, bankReference: spec.bank_reference, incomeKind: spec.income_kind, baseFlowId: spec.base_flow_id },
      postings: spec.postings,
    });
    const { memo: _memo, postings: _postings, ...flow } = spec;
    if (!posted.replayed) await cashFlowsStore.insert(em, { ...flow, project_id: project.id, entry_id: posted.entry.id });
    const row = await cashFlowsStore.byEntry(em, posted.entry.id);
    const wallet = await this.ledger.getAccount(projectWallet(project.code), em);
    return flowView(row!, project.code, wallet.balance);
  }
}

function flowView(r: CashFlowRow, project: string, walletBalance: string): CashFlowView {
  return {
    id: r.id,
    project,
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
