import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, LedgerService } from '@forest-ledger/ledger';
import Decimal from 'decimal.js';
import ExcelJS from 'exceljs';
import { decimalStyle, decimalValue, MONEY_SCALE } from '../common/xlsx-cells';
import { DataSource, EntityManager } from 'typeorm';
import { partiesByIds } from '../parties/party-refs';
import { landDeposit } from './land-use-accounts';
import { cashRows, registerRows } from './land-use-contracts.store';
import { agingRows } from './land-use-receivables.store';
import { money, requireDate, sum, ZERO } from './land-use-terms';
import { LAND_USE_MODES, LandUseMode, LandUseState } from './land-use.model';
import { AREA_SCALE } from './land-use.types';

export const AGING_BUCKETS = ['current', 'days1To30', 'days31To90', 'days91To365', 'over365'] as const;
export type AgingBucket = (typeof AGING_BUCKETS)[number];
export type LandUseAgingFigures = Record<AgingBucket | 'total', string>;

export interface LandUseAgingReport {
  asOf: string;
  lessees: Array<{ code: string; name: string } & LandUseAgingFigures>;
  farms: Array<{ code: string; name: string } & LandUseAgingFigures>;
  total: LandUseAgingFigures;
}

export interface LandUseRegisterLine {
  code: string;
  mode: LandUseMode;
  state: LandUseState;
  lessorCode: string;
  lesseeCode: string;
  lesseeName: string;
  areaMu: string;
  startDate: string;
  endDate: string;
  /** The rent of the schedule (all periods not cancelled), the deposit held, what is owed now; equity: the appraised value. */
  scheduledRent: string;
  depositHeld: string;
  outstanding: string;
  appraisedValue: string | null;
}

export interface LandUseRegisterReport {
  /** Every contract, CANCELLED drafts included (with their state). */
  lines: LandUseRegisterLine[];
  /** Per mode, over the contracts not CANCELLED; `cancelled` counts the CANCELLED drafts left out. */
  totals: Array<{
    mode: LandUseMode;
    contracts: number;
    cancelled: number;
    areaMu: string;
    scheduledRent: string;
    depositHeld: string;
    outstanding: string;
    appraisedValue: string;
  }>;
}

export interface LandUseCashYear {
  year: number;
  rentReceived: string;
  depositsReceived: string;
  depositsReturned: string;
  creditRefunded: string;
  net: string;
}

/** Reports of the paid-use contracts (DOMAIN.md §7): aging of receivables, the contract register, cash per year; JSON and Excel. Reads only. */
@Injectable()
export class LandUseReportsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: LedgerService,
  ) {}

  /** Receivables outstanding now, aged by days past their due date at `asOf`, per lessee and per farm. */
  async aging(asOf: string, em: EntityManager = this.dataSource.manager): Promise<LandUseAgingReport> {
    requireDate(asOf, 'asOf');
    const owed = await agingRows(em, asOf);
    const parties = await partiesByIds(
      em,
      owed.flatMap((r) => [r.lessee_party_id, r.lessor_party_id]),
    );
    const rows = owed.map((r) => {
      const lessee = parties.get(r.lessee_party_id)!;
      const lessor = parties.get(r.lessor_party_id)!;
      return { lessee_code: lessee.code, lessee_name: lessee.name, lessor_code: lessor.code, lessor_name: lessor.name, days: r.days, outstanding: r.outstanding };
    });
    const bucketOf = (days: number): AgingBucket => (days <= 0 ? 'current' : days <= 30 ? 'days1To30' : days <= 90 ? 'days31To90' : days <= 365 ? 'days91To365' : 'over365');
    const empty = () => new Map<AgingBucket | 'total', Decimal>([...AGING_BUCKETS, 'total' as const].map((b) => [b, ZERO]));
    const figures = (m: Map<AgingBucket | 'total', Decimal>): LandUseAgingFigures => Object.fromEntries([...m.entries()].map(([k, v]) => [k, money(v)])) as LandUseAgingFigures;
    const lessees = new Map<string, { name: string; sums: Map<AgingBucket | 'total', Decimal> }>();
    const farms = new Map<string, { name: string; sums: Map<AgingBucket | 'total', Decimal> }>();
    const total = empty();
    for (const r of rows) {
      const bucket = bucketOf(Number(r.days));
      for (const [map, code, name] of [
        [lessees, r.lessee_code, r.lessee_name],
        [farms, r.lessor_code, r.lessor_name],
      ] as const) {
        const entry = map.get(code) ?? { name, sums: empty() };
        entry.sums.set(bucket, entry.sums.get(bucket)!.plus(r.outstanding));
        entry.sums.set('total', entry.sums.get('total')!.plus(r.outstanding));
        map.set(code, entry);
      }
      total.set(bucket, total.get(bucket)!.plus(r.outstanding));
      total.set('total', total.get('total')!.plus(r.outstanding));
    }
    const list = (map: typeof lessees) => [...map.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([code, v]) => ({ code, name: v.name, ...figures(v.sums) }));
    return { asOf, lessees: list(lessees), farms: list(farms), total: figures(total) };
  }

  /** Every contract with its rent, deposit held and what is owed, and totals per mode; a CANCELLED draft is listed but left out of the totals (counted in `cancelled`). */
  async register(em: EntityManager = this.dataSource.manager): Promise<LandUseRegisterReport> {
    const found = await registerRows(em);
    const parties = await partiesByIds(
      em,
      found.flatMap(({ contract: c }) => [c.lessor_party_id, c.lessee_party_id]),
    );
    const deposits = await this.ledger.getAccounts(
      found.filter(({ contract: c }) => c.mode !== 'EQUITY').map(({ contract: c }) => landDeposit(c.code)),
      em,
    );
    const heldOf = new Map(deposits.map((a) => [a.code, a.balance]));
    const rows = found.map(({ contract: c, scheduled_rent, outstanding }) => ({
      code: c.code,
      mode: c.mode,
      state: c.state,
      lessor_code: parties.get(c.lessor_party_id)!.code,
      lessee_code: parties.get(c.lessee_party_id)!.code,
      lessee_name: parties.get(c.lessee_party_id)!.name,
      area_mu: c.area_mu,
      start_date: c.start_date,
      end_date: c.end_date,
      appraised_value: c.appraised_value,
      scheduled_rent,
      outstanding,
      deposit_held: heldOf.get(landDeposit(c.code)) ?? '0',
    }));
    const lines: LandUseRegisterLine[] = rows.map((r) => ({
      code: r.code,
      mode: r.mode,
      state: r.state,
      lessorCode: r.lessor_code,
      lesseeCode: r.lessee_code,
      lesseeName: r.lessee_name,
      areaMu: new Dec(r.area_mu).toFixed(AREA_SCALE),
      startDate: r.start_date,
      endDate: r.end_date,
      scheduledRent: money(r.scheduled_rent),
      depositHeld: money(r.deposit_held),
      outstanding: money(r.outstanding),
      appraisedValue: r.appraised_value === null ? null : money(r.appraised_value),
    }));
    const totals = LAND_USE_MODES.map((mode) => {
      const ofMode = lines.filter((l) => l.mode === mode);
      const of = ofMode.filter((l) => l.state !== 'CANCELLED');
      return {
        mode,
        contracts: of.length,
        cancelled: ofMode.length - of.length,
        areaMu: sum(of.map((l) => l.areaMu)).toFixed(AREA_SCALE),
        scheduledRent: money(sum(of.map((l) => l.scheduledRent))),
        depositHeld: money(sum(of.map((l) => l.depositHeld))),
        outstanding: money(sum(of.map((l) => l.outstanding))),
        appraisedValue: money(sum(of.map((l) => l.appraisedValue ?? 0))),
      };
    });
    return { lines, totals };
  }

  /** Money through the bank for land use, per calendar year of its effective date (from the contracts' own records of payments, deposits and closes). */
  async cashByYear(em: EntityManager = this.dataSource.manager): Promise<LandUseCashYear[]> {
    const rows = await cashRows(em);
    const years = [...new Set(rows.map((r) => r.year))].sort((a, b) => a - b);
    return years.map((year) => {
      const of = (what: (typeof rows)[number]['what']) => sum(rows.filter((r) => r.year === year && r.what === what).map((r) => r.amount));
      const rent = of('RENT');
      const deposits = of('DEPOSIT_RECEIVED');
      const returned = of('DEPOSIT_RETURNED');
      const refunded = of('CREDIT_REFUNDED');
      return {
        year,
        rentReceived: money(rent),
        depositsReceived: money(deposits),
        depositsReturned: money(returned),
        creditRefunded: money(refunded),
        net: money(rent.plus(deposits).minus(returned).minus(refunded)),
      };
    });
  }

  /** The three reports as one workbook: aging (lessees, farms), the register with totals per mode, cash per year. */
  async reportsWorkbook(asOf: string): Promise<{ fileName: string; buffer: Buffer }> {
    const [aging, register, cash] = [await this.aging(asOf), await this.register(), await this.cashByYear()];
    const book = new ExcelJS.Workbook();
    book.creator = 'forest-ledger';
    const amount = (s: string) => decimalValue(s, MONEY_SCALE); // numbers with 0.00 (xlsx-cells)
    const MONEY = decimalStyle(MONEY_SCALE);
    const agingColumns = [
      { header: '代码', key: 'code', width: 14 },
      { header: '名称', key: 'name', width: 24 },
      { header: '未逾期(元)', key: 'current', width: 14, style: MONEY },
      { header: '1-30天(元)', key: 'days1To30', width: 14, style: MONEY },
      { header: '31-90天(元)', key: 'days31To90', width: 14, style: MONEY },
      { header: '91-365天(元)', key: 'days91To365', width: 14, style: MONEY },
      { header: '365天以上(元)', key: 'over365', width: 14, style: MONEY },
      { header: '合计(元)', key: 'total', width: 14, style: MONEY },
    ];
    const agingRow = (f: LandUseAgingFigures) => Object.fromEntries([...AGING_BUCKETS, 'total' as const].map((b) => [b, amount(f[b])]));
    for (const [title, lines] of [
      ['账龄-承租方', aging.lessees],
      ['账龄-林场', aging.farms],
    ] as const) {
      const sheet = book.addWorksheet(title, { views: [{ state: 'frozen', ySplit: 1 }] });
      sheet.columns = agingColumns;
      for (const l of lines) sheet.addRow({ code: l.code, name: l.name, ...agingRow(l) });
      sheet.addRow({ code: '', name: `合计 (截至 ${asOf})`, ...agingRow(aging.total) }).font = { bold: true };
    }
    const reg = book.addWorksheet('合同台账', { views: [{ state: 'frozen', ySplit: 1 }] });
    reg.columns = [
      { header: '合同编号', key: 'code', width: 16 },
      { header: '方式', key: 'mode', width: 12 },
      { header: '状态', key: 'state', width: 12 },
      { header: '出租方', key: 'lessor', width: 12 },
      { header: '承租方', key: 'lessee', width: 24 },
      { header: '面积(亩)', key: 'area', width: 12, style: decimalStyle(AREA_SCALE) },
      { header: '起始日', key: 'start', width: 12 },
      { header: '终止日', key: 'end', width: 12 },
      { header: '租金总额(元)', key: 'rent', width: 14, style: MONEY },
      { header: '保证金余额(元)', key: 'deposit', width: 14, style: MONEY },
      { header: '欠款(元)', key: 'outstanding', width: 14, style: MONEY },
      { header: '入股评估值(元)', key: 'appraised', width: 14, style: MONEY },
    ];
    for (const l of register.lines) {
      reg.addRow({
        code: l.code,
        mode: l.mode,
        state: l.state,
        lessor: l.lessorCode,
        lessee: l.lesseeName,
        area: decimalValue(l.areaMu, AREA_SCALE),
        start: l.startDate,
        end: l.endDate,
        rent: amount(l.scheduledRent),
        deposit: amount(l.depositHeld),
        outstanding: amount(l.outstanding),
        appraised: l.appraisedValue === null ? '' : amount(l.appraisedValue),
      });
    }
    for (const t of register.totals) {
      reg.addRow({
        code: `合计 ${t.mode}`,
        mode: t.cancelled > 0 ? `${t.contracts} 份 (另 ${t.cancelled} 份已取消)` : `${t.contracts} 份`,
        area: decimalValue(t.areaMu, AREA_SCALE),
        rent: amount(t.scheduledRent),
        deposit: amount(t.depositHeld),
        outstanding: amount(t.outstanding),
        appraised: amount(t.appraisedValue),
      }).font = {
        bold: true,
      };
    }
    const cashSheet = book.addWorksheet('年度收款');
    cashSheet.columns = [
      { header: '年度', key: 'year', width: 8, style: decimalStyle(0) },
      { header: '租金收款(元)', key: 'rent', width: 14, style: MONEY },
      { header: '保证金收款(元)', key: 'deposits', width: 14, style: MONEY },
      { header: '保证金退还(元)', key: 'returned', width: 14, style: MONEY },
      { header: '预收款退还(元)', key: 'refunded', width: 14, style: MONEY },
      { header: '净收款(元)', key: 'net', width: 14, style: MONEY },
    ];
    for (const y of cash)
      cashSheet.addRow({
        year: y.year,
        rent: amount(y.rentReceived),
        deposits: amount(y.depositsReceived),
        returned: amount(y.depositsReturned),
        refunded: amount(y.creditRefunded),
        net: amount(y.net),
      });
    return { fileName: `国有林地有偿使用报表-${asOf}.xlsx`, buffer: Buffer.from(await book.xlsx.writeBuffer()) };
  }
}
