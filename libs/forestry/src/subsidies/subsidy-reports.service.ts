import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, LedgerReads } from '@forest-ledger/ledger';
import ExcelJS from 'exceljs';
import { decimalStyle, decimalValue, MONEY_SCALE, XLSX_AREA_SCALE as AREA_SCALE } from '../common/xlsx-cells';
import { DataSource } from 'typeorm';
import { childRegions, regionsByCodes } from '../regions/region-refs';
import { selectProgrammesCovering } from './programmes.store';
import { SubsidyError } from './subsidies.errors';
import { programmeReserved, programmeWallet } from './subsidy-accounts';
import { claimFigures, contractFiguresByProgramme, contractFiguresByTownship, FigureRow } from './subsidy-reports.store';

/**
 * Figures of claims by state: only approved claims count as approved, committed (reserved) or paid;
 * APPLIED, INELIGIBLE and REJECTED claims count in none of the money columns (they reserve nothing).
 */
export interface SubsidyFigures {
  contracts: number;
  /** 亩, all registered contracts (any state). */
  transferredAreaMu: string;
  approvedClaims: number;
  /** CNY approved (claims with an approval, whatever happened later). */
  approved: string;
  paid: string;
  clawedBack: string;
  recovered: string;
  unrecovered: string;
}

export interface TownshipSubsidyFigures extends SubsidyFigures {
  code: string;
  name: string;
  /** Seed 000_…: every township runs at least one subsidy pilot (an approved claim). */
  hasPilot: boolean;
}

export interface ProgrammeSubsidyFigures extends SubsidyFigures {
  code: string;
  name: string;
  budget: string;
  reserved: string;
  remainingBudget: string;
}

export interface SubsidyReport {
  region: { code: string; name: string; level: string };
  programme: string | null;
  townships: TownshipSubsidyFigures[];
  programmes: ProgrammeSubsidyFigures[];
  total: SubsidyFigures;
  townshipsWithoutPilot: string[];
}

function figures(row: FigureRow | undefined): SubsidyFigures {
  const clawedBack = new Dec(row?.clawed_back ?? 0);
  const recovered = new Dec(row?.recovered ?? 0);
  return {
    contracts: row?.contracts ?? 0,
    transferredAreaMu: new Dec(row?.area ?? 0).toFixed(4),
    approvedClaims: row?.approved_claims ?? 0,
    approved: new Dec(row?.approved ?? 0).toFixed(2),
    paid: new Dec(row?.paid ?? 0).toFixed(2),
    clawedBack: clawedBack.toFixed(2),
    recovered: recovered.toFixed(2),
    unrecovered: clawedBack.minus(recovered).toFixed(2),
  };
}

/** Subsidy reports per township and per programme (issue 7), as JSON and as an Excel workbook. */
@Injectable()
export class SubsidyReportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly reads: LedgerReads,
  ) {}

  /** For a county (its townships) or one township; optionally one programme's claims only. */
  async report(regionCode: string, options: { programmeCode?: string } = {}): Promise<SubsidyReport> {
    const em = this.dataSource.manager;
    const region = typeof regionCode === 'string' ? (await regionsByCodes(em, [regionCode])).get(regionCode) : undefined;
    if (!region || region.level === 'VILLAGE') throw new SubsidyError('INVALID_PROGRAMME', `no county or township with code ${JSON.stringify(regionCode)}`, 'region');
    const townships = region.level === 'TOWNSHIP' ? [region] : (await childRegions(em, [region.id])).filter((r) => r.level === 'TOWNSHIP');
    const ids = townships.map((t) => t.id);
    const programme = options.programmeCode ?? null;
    const contractRows = await contractFiguresByTownship(em, ids, programme);
    const { byTownship, byProgramme } = await claimFigures(em, ids, programme);
    const programmeContracts = await contractFiguresByProgramme(em, ids, programme);

    const townshipFigures: TownshipSubsidyFigures[] = townships.map((t) => {
      const c = contractRows.find((r) => r.key === t.id);
      const f = figures(byTownship.find((r) => r.key === t.id));
      return { code: t.code, name: t.name, ...f, contracts: c?.contracts ?? 0, transferredAreaMu: new Dec(c?.area ?? 0).toFixed(4), hasPilot: f.approvedClaims > 0 };
    });

    // Programmes of these townships, of the region itself, or of the county above it.
    const programmes = await selectProgrammesCovering(em, [...ids, region.id, ...(region.parentId ? [region.parentId] : [])], programme);
    const wallets = programmes.map((p) => programmeWallet(p.code));
    const budgets = await this.reads.postingSums(em, wallets, { kinds: ['SUBSIDY_BUDGET_TOPUP'], side: 'CREDIT' });
    const balances = await this.reads.balances(em, [...wallets, ...programmes.map((p) => programmeReserved(p.code))]);
    // A programme without both accounts reads as zeros.
    const ledgerOf = (code: string) => {
      const available = balances.get(programmeWallet(code));
      const reserved = balances.get(programmeReserved(code));
      return available === undefined || reserved === undefined ? undefined : { budget: budgets.get(programmeWallet(code)) ?? 0, available, reserved };
    };
    const programmeFigures: ProgrammeSubsidyFigures[] = programmes.map((p) => {
      const ledger = ledgerOf(p.code);
      const c = programmeContracts.find((r) => r.key === p.code);
      return {
        code: p.code,
        name: p.name,
        ...figures(byProgramme.find((r) => r.key === p.code)),
        contracts: c?.contracts ?? 0,
        transferredAreaMu: new Dec(c?.area ?? 0).toFixed(4),
        budget: new Dec(ledger?.budget ?? 0).toFixed(2),
        reserved: new Dec(ledger?.reserved ?? 0).toFixed(2),
        remainingBudget: new Dec(ledger?.available ?? 0).toFixed(2),
      };
    });
    const sum = (pick: (f: SubsidyFigures) => string, scale: number) => townshipFigures.reduce((s, f) => s.plus(pick(f)), new Dec(0)).toFixed(scale);
    const total: SubsidyFigures = {
      contracts: townshipFigures.reduce((s, f) => s + f.contracts, 0),
      transferredAreaMu: sum((f) => f.transferredAreaMu, 4),
      approvedClaims: townshipFigures.reduce((s, f) => s + f.approvedClaims, 0),
      approved: sum((f) => f.approved, 2),
      paid: sum((f) => f.paid, 2),
      clawedBack: sum((f) => f.clawedBack, 2),
      recovered: sum((f) => f.recovered, 2),
      unrecovered: sum((f) => f.unrecovered, 2),
    };
    return {
      region: { code: region.code, name: region.name, level: region.level },
      programme,
      townships: townshipFigures,
      programmes: programmeFigures,
      total,
      townshipsWithoutPilot: townshipFigures.filter((t) => !t.hasPilot).map((t) => t.code),
    };
  }

  /** The same report as a workbook: one sheet per township figures (with a total row), one per programme. */
  async reportWorkbook(regionCode: string, options: { programmeCode?: string } = {}): Promise<Buffer> {
    const report = await this.report(regionCode, options);
    const book = new ExcelJS.Workbook();
    const money = (s: string) => decimalValue(s, MONEY_SCALE); // numbers with 0.00 (xlsx-cells)
    const towns = book.addWorksheet('乡镇奖补');
    towns.columns = [
      { header: '乡镇代码', key: 'code', width: 14 },
      { header: '乡镇', key: 'name', width: 12 },
      { header: '流转合同数', key: 'contracts', width: 10, style: decimalStyle(0) },
      { header: '流转面积(亩)', key: 'area', width: 14, style: decimalStyle(AREA_SCALE) },
      { header: '批准奖补(元)', key: 'approved', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '已拨付(元)', key: 'paid', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '应收回(元)', key: 'clawedBack', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '已收回(元)', key: 'recovered', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '未收回(元)', key: 'unrecovered', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '是否有试点', key: 'pilot', width: 10 },
    ];
    const line = (f: SubsidyFigures) => ({
      contracts: f.contracts,
      area: decimalValue(f.transferredAreaMu, AREA_SCALE),
      approved: money(f.approved),
      paid: money(f.paid),
      clawedBack: money(f.clawedBack),
      recovered: money(f.recovered),
      unrecovered: money(f.unrecovered),
    });
    for (const t of report.townships) towns.addRow({ code: t.code, name: t.name, ...line(t), pilot: t.hasPilot ? '是' : '否' });
    towns.addRow({ code: '', name: '合计', ...line(report.total), pilot: '' }).font = { bold: true };
    const progs = book.addWorksheet('奖补项目');
    progs.columns = [
      { header: '项目代码', key: 'code', width: 14 },
      { header: '项目', key: 'name', width: 24 },
      { header: '预算(元)', key: 'budget', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '流转合同数', key: 'contracts', width: 10, style: decimalStyle(0) },
      { header: '流转面积(亩)', key: 'area', width: 14, style: decimalStyle(AREA_SCALE) },
      { header: '批准奖补(元)', key: 'approved', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '已拨付(元)', key: 'paid', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '待拨付(元)', key: 'reserved', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '应收回(元)', key: 'clawedBack', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '未收回(元)', key: 'unrecovered', width: 14, style: decimalStyle(MONEY_SCALE) },
      { header: '剩余预算(元)', key: 'remaining', width: 14, style: decimalStyle(MONEY_SCALE) },
    ];
    for (const p of report.programmes) {
      progs.addRow({ code: p.code, name: p.name, budget: money(p.budget), ...line(p), reserved: money(p.reserved), remaining: money(p.remainingBudget) });
    }
    return Buffer.from(await book.xlsx.writeBuffer());
  }
}
