import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec } from '@forest-ledger/ledger';
import ExcelJS from 'exceljs';
import { DataSource } from 'typeorm';
import { SubsidyError } from './subsidies.errors';
import { programmeReserved, programmeWallet } from './subsidy-accounts';
import { REFUSED_CLAIM_STATES } from './subsidy.model';

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

interface FigureRow {
  key: string;
  contracts: number;
  area: string;
  approved_claims: number;
  approved: string;
  paid: string;
  clawed_back: string;
  recovered: string;
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

/**
 * Claims' figures grouped by `groupBy` (an expression over c = claims, t = contracts, p = programmes).
 * Money columns come from the claims and their instalments and recipients, never re-derived.
 */
const CLAIM_FIGURES = (groupBy: string) => `
  SELECT ${groupBy} AS key,
         COUNT(*) FILTER (WHERE c.approved_by IS NOT NULL)::int AS approved_claims,
         COALESCE(SUM(c.amount) FILTER (WHERE c.approved_by IS NOT NULL), 0)::text AS approved,
         COALESCE(SUM((SELECT SUM(i.amount) FROM subsidy_instalments i WHERE i.claim_id = c.id AND i.state = 'PAID')), 0)::text AS paid,
         COALESCE(SUM(c.clawback_amount), 0)::text AS clawed_back,
         COALESCE(SUM((SELECT SUM(r.recovered_amount) FROM subsidy_claim_recipients r WHERE r.claim_id = c.id)), 0)::text AS recovered
    FROM subsidy_claims c JOIN transfer_contracts t ON t.id = c.contract_id JOIN subsidy_programmes p ON p.id = c.programme_id
   WHERE t.township_id = ANY($1::bigint[]) AND ($2::text IS NULL OR p.code = $2)
   GROUP BY ${groupBy}`;

/** Subsidy reports per township and per programme (issue 7), as JSON and as an Excel workbook. */
@Injectable()
export class SubsidyReportsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** For a county (its townships) or one township; optionally one programme's claims only. */
  async report(regionCode: string, options: { programmeCode?: string } = {}): Promise<SubsidyReport> {
    const ds = this.dataSource;
    const [region] = (await ds.query(`SELECT id, code, name, level FROM regions WHERE code = $1`, [regionCode])) as Array<{
      id: string;
      code: string;
      name: string;
      level: string;
    }>;
    if (!region || region.level === 'VILLAGE') throw new SubsidyError('INVALID_PROGRAMME', `no county or township with code ${JSON.stringify(regionCode)}`, 'region');
    const townships = (await ds.query(`SELECT id, code, name FROM regions WHERE (level = 'TOWNSHIP' AND parent_id = $1) OR (id = $1 AND level = 'TOWNSHIP') ORDER BY code`, [
      region.id,
    ])) as Array<{ id: string; code: string; name: string }>;
    const ids = townships.map((t) => t.id);
    const programme = options.programmeCode ?? null;
    const contractRows = (await ds.query(
      `SELECT t.township_id::text AS key, COUNT(*)::int AS contracts, COALESCE(SUM(t.area_mu), 0)::text AS area FROM transfer_contracts t
        WHERE t.township_id = ANY($1::bigint[])
          AND ($2::text IS NULL OR EXISTS (SELECT 1 FROM subsidy_claims c JOIN subsidy_programmes p ON p.id = c.programme_id WHERE c.contract_id = t.id AND p.code = $2))
        GROUP BY t.township_id`,
      [ids, programme],
    )) as Array<{ key: string; contracts: number; area: string }>;
    const byTownship = (await ds.query(CLAIM_FIGURES('t.township_id::text'), [ids, programme])) as FigureRow[];
    const byProgramme = (await ds.query(CLAIM_FIGURES('p.code'), [ids, programme])) as FigureRow[];
    const programmeContracts = (await ds.query(
      `SELECT p.code AS key, COUNT(DISTINCT t.id)::int AS contracts, COALESCE(SUM(t.area_mu), 0)::text AS area
         FROM subsidy_claims c JOIN transfer_contracts t ON t.id = c.contract_id JOIN subsidy_programmes p ON p.id = c.programme_id
        WHERE t.township_id = ANY($1::bigint[]) AND ($2::text IS NULL OR p.code = $2) AND c.state <> ALL($3::text[]) GROUP BY p.code`,
      [ids, programme, REFUSED_CLAIM_STATES],
    )) as Array<{ key: string; contracts: number; area: string }>;

    const townshipFigures: TownshipSubsidyFigures[] = townships.map((t) => {
      const c = contractRows.find((r) => r.key === t.id);
      const f = figures(byTownship.find((r) => r.key === t.id));
      return { code: t.code, name: t.name, ...f, contracts: c?.contracts ?? 0, transferredAreaMu: new Dec(c?.area ?? 0).toFixed(4), hasPilot: f.approvedClaims > 0 };
    });

    const programmes = (await ds.query(
      `SELECT DISTINCT p.code, p.name FROM subsidy_programmes p JOIN subsidy_programme_regions pr ON pr.programme_id = p.id
        WHERE (pr.region_id = ANY($1::bigint[]) OR pr.region_id = $2 OR pr.region_id = (SELECT parent_id FROM regions WHERE id = $2)) AND ($3::text IS NULL OR p.code = $3) ORDER BY p.code`,
      [ids, region.id, programme],
    )) as Array<{ code: string; name: string }>;
    // Every programme's budget, wallet and reserved balance in one query; a programme without both accounts reads as zeros.
    const ledgerRows = (await ds.query(
      `SELECT x.programme AS key,
              COALESCE((SELECT SUM(pp.amount) FROM ledger_postings pp JOIN ledger_entries e ON e.id = pp.entry_id WHERE pp.account_id = w.id AND e.kind = 'SUBSIDY_BUDGET_TOPUP' AND pp.side = 'CREDIT'), 0)::text AS budget,
              (w.credits - w.debits)::text AS available, (r.credits - r.debits)::text AS reserved
         FROM unnest($1::text[], $2::text[], $3::text[]) AS x(programme, wallet, reserved)
         JOIN ledger_accounts w ON w.code = x.wallet JOIN ledger_accounts r ON r.code = x.reserved`,
      [programmes.map((p) => p.code), programmes.map((p) => programmeWallet(p.code)), programmes.map((p) => programmeReserved(p.code))],
    )) as Array<{ key: string; budget: string; available: string; reserved: string }>;
    const programmeFigures: ProgrammeSubsidyFigures[] = programmes.map((p) => {
      const ledger = ledgerRows.find((r) => r.key === p.code);
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
    const money = (s: string) => Number(s); // display only: the cell's number format shows the 分
    const towns = book.addWorksheet('乡镇奖补');
    towns.columns = [
      { header: '乡镇代码', key: 'code', width: 14 },
      { header: '乡镇', key: 'name', width: 12 },
      { header: '流转合同数', key: 'contracts', width: 10 },
      { header: '流转面积(亩)', key: 'area', width: 14, style: { numFmt: '0.0000' } },
      { header: '批准奖补(元)', key: 'approved', width: 14, style: { numFmt: '0.00' } },
      { header: '已拨付(元)', key: 'paid', width: 14, style: { numFmt: '0.00' } },
      { header: '应收回(元)', key: 'clawedBack', width: 14, style: { numFmt: '0.00' } },
      { header: '已收回(元)', key: 'recovered', width: 14, style: { numFmt: '0.00' } },
      { header: '未收回(元)', key: 'unrecovered', width: 14, style: { numFmt: '0.00' } },
      { header: '是否有试点', key: 'pilot', width: 10 },
    ];
    const line = (f: SubsidyFigures) => ({
      contracts: f.contracts,
      area: Number(f.transferredAreaMu),
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
      { header: '预算(元)', key: 'budget', width: 14, style: { numFmt: '0.00' } },
      { header: '流转合同数', key: 'contracts', width: 10 },
      { header: '流转面积(亩)', key: 'area', width: 14, style: { numFmt: '0.0000' } },
      { header: '批准奖补(元)', key: 'approved', width: 14, style: { numFmt: '0.00' } },
      { header: '已拨付(元)', key: 'paid', width: 14, style: { numFmt: '0.00' } },
      { header: '待拨付(元)', key: 'reserved', width: 14, style: { numFmt: '0.00' } },
      { header: '应收回(元)', key: 'clawedBack', width: 14, style: { numFmt: '0.00' } },
      { header: '未收回(元)', key: 'unrecovered', width: 14, style: { numFmt: '0.00' } },
      { header: '剩余预算(元)', key: 'remaining', width: 14, style: { numFmt: '0.00' } },
    ];
    for (const p of report.programmes) {
      progs.addRow({ code: p.code, name: p.name, budget: money(p.budget), ...line(p), reserved: money(p.reserved), remaining: money(p.remainingBudget) });
    }
    return Buffer.from(await book.xlsx.writeBuffer());
  }
}
