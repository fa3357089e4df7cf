import { Dec } from '@forest-ledger/ledger';
import Decimal from 'decimal.js';
import ExcelJS from 'exceljs';
import { decimalStyle, decimalValue, MONEY_SCALE } from '../common/xlsx-cells';
import type { LandUseContractView, LandUseSchedulePeriodView } from './land-use.types';
import { contractYearLabel, PartBasis } from './rent-schedule';

const BASIS_LABELS: Readonly<Record<PartBasis, string>> = { FULL: '整期', PRORATED: '按天折算', REMAINDER: '合同年末段取余额' };

/**
 * A contract's rent schedule as a workbook, to review (a draft's PLANNED periods) or to reconcile:
 * one row per part of a period (each in one contract year, labelled 第 n 合同年 as in the JSON and
 * the calculations), then the total per contract year. Amounts are numbers with 0.00 (xlsx-cells: exact, SUM works).
 */
export async function scheduleWorkbook(contract: LandUseContractView, periods: readonly LandUseSchedulePeriodView[]): Promise<{ fileName: string; buffer: Buffer }> {
  const book = new ExcelJS.Workbook();
  book.creator = 'forest-ledger';
  const MONEY = decimalStyle(MONEY_SCALE);
  const money = (v: string | Decimal) => decimalValue(v, MONEY_SCALE);
  const sheet = book.addWorksheet('租金计划', { views: [{ state: 'frozen', ySplit: 1 }] });
  sheet.columns = [
    { header: '期次', key: 'seq', width: 6, style: decimalStyle(0) },
    { header: '计费期', key: 'period', width: 24 },
    { header: '应付日', key: 'due', width: 12 },
    { header: '合同年', key: 'year', width: 12 },
    { header: '起', key: 'from', width: 12 },
    { header: '止', key: 'to', width: 12 },
    { header: '天数', key: 'days', width: 6, style: decimalStyle(0) },
    { header: '计费期天数', key: 'periodDays', width: 10, style: decimalStyle(0) },
    { header: '年租金(元)', key: 'annual', width: 14, style: MONEY },
    { header: '金额(元)', key: 'amount', width: 14, style: MONEY },
    { header: '计算', key: 'basis', width: 16 },
    { header: '状态', key: 'state', width: 10 },
  ];
  const perYear = new Map<number, { annualRent: string; total: Decimal }>();
  for (const p of periods) {
    for (const part of p.parts) {
      sheet.addRow({
        seq: p.seq,
        period: `${p.periodStart}~${p.periodEnd}`,
        due: p.dueDate,
        year: contractYearLabel(part.contractYear),
        from: part.partStart,
        to: part.partEnd,
        days: part.days,
        periodDays: p.periodDays,
        annual: money(part.annualRent),
        amount: money(part.amount),
        basis: BASIS_LABELS[part.basis],
        state: p.state,
      });
      const year = perYear.get(part.contractYear) ?? { annualRent: part.annualRent, total: new Dec(0) };
      perYear.set(part.contractYear, { ...year, total: year.total.plus(part.amount) });
    }
  }
  const total = periods.reduce((s, p) => s.plus(p.amount), new Dec(0));
  sheet.addRow({ period: `合计 ${contract.code}`, amount: money(total) }).font = { bold: true };

  const years = book.addWorksheet('合同年合计');
  years.columns = [
    { header: '合同年', key: 'year', width: 12 },
    { header: '年租金(元)', key: 'annual', width: 14, style: MONEY },
    { header: '计划金额(元)', key: 'total', width: 14, style: MONEY },
  ];
  for (const [year, { annualRent, total: yearTotal }] of perYear) years.addRow({ year: contractYearLabel(year), annual: money(annualRent), total: money(yearTotal) });
  years.addRow({ year: '合计', total: money(total) }).font = { bold: true };
  return { fileName: `租金计划-${contract.code}.xlsx`, buffer: Buffer.from(await book.xlsx.writeBuffer()) };
}
