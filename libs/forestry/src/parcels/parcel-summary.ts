import { Dec } from '@forest-ledger/ledger/domain';
import ExcelJS from 'exceljs';
import { decimalStyle, decimalValue } from '../common/xlsx-cells';
import { DataSource, EntityManager } from 'typeorm';
import { RegionLevel } from '../regions/region.model';
import { villagesIn } from '../regions/region-tree';
import { RegionRefRow, selectRegionByCode, selectRegionChildren } from '../regions/regions.store';
import { CERTIFICATE_STATE_LABELS, CERTIFICATE_STATES, CertificateState } from './parcel-import';
import { ParcelError } from './parcels.errors';
import { parcelsStore } from './parcels.store';

const AREA_SCALE = 4;

export interface AreaCount {
  parcels: number;
  /** 亩, exact, four decimals. */
  areaMu: string;
}

export interface ParcelFigures extends AreaCount {
  byState: Record<CertificateState, AreaCount>;
  mortgaged: AreaCount;
  seized: AreaCount;
}

export interface RegionRef {
  code: string;
  name: string;
  level: RegionLevel;
}

export interface VillageFigures extends ParcelFigures {
  code: string;
  name: string;
  townshipCode: string;
  townshipName: string;
}

export interface TownshipFigures extends ParcelFigures {
  code: string;
  name: string;
}

export interface ParcelSummary {
  region: RegionRef;
  /** Every village under the region, parcels or not, by township then village code. */
  villages: VillageFigures[];
  /** Subtotals of the townships wholly inside the region: all of a county's, a township itself, none for a village. */
  townships: TownshipFigures[];
  /** The region as a whole. */
  total: ParcelFigures;
}

/** A parcel that passed assertAttachable, locked FOR SHARE until the caller's transaction ends. */
export const SUMMARY_SHEET_NAME = '宗地汇总';
export const SUMMARY_HEADERS: readonly string[] = [
  '乡镇',
  '村',
  '区划代码',
  '宗地数',
  '总面积(亩)',
  ...CERTIFICATE_STATES.flatMap((state) => [`${CERTIFICATE_STATE_LABELS[state]}宗数`, `${CERTIFICATE_STATE_LABELS[state]}面积(亩)`]),
  '抵押宗数',
  '抵押面积(亩)',
  '查封宗数',
  '查封面积(亩)',
];

/**
 * Forest parcels (宗地): the all-or-nothing import of a village's table, scoped reads, the summary
 * per village, township and county, and the attachability rule later features call.
 */

/** A region by code, or UNKNOWN_REGION naming `field`. */
export async function regionOf(em: EntityManager, code: string, field: string): Promise<RegionRefRow> {
  const row = await selectRegionByCode(em, code);
  if (!row) throw new ParcelError('UNKNOWN_REGION', `no region with code ${JSON.stringify(code)}`, field);
  return row;
}

/** Parcel counts and areas per village, township and region, and the same as an .xlsx workbook. */
export class ParcelSummaries {
  constructor(private readonly dataSource: DataSource) {}

  /** Parcel count, area, and count and area per certificate state (and mortgaged, seized) per village, township and region; exact decimals. */
  async summary(regionCode: string): Promise<ParcelSummary> {
    const em = this.dataSource.manager;
    const region = await regionOf(em, regionCode, 'regionCode');
    const villages = (await villagesIn(em, region)).map(({ village, township }) => ({
      id: village.id,
      code: village.code,
      name: village.name,
      township_code: township.code,
      township_name: township.name,
    }));
    const groups = await parcelsStore.summaryGroups(
      em,
      villages.map((v) => v.id),
    );

    const tallies = new Map(villages.map((v) => [v.id, new Tally()]));
    for (const g of groups) {
      tallies
        .get(g.village_id)
        ?.addGroup(
          g.certificate_state,
          { parcels: g.parcels, areaMu: g.area_mu },
          { parcels: g.mortgaged, areaMu: g.mortgaged_area },
          { parcels: g.seized, areaMu: g.seized_area },
        );
    }
    const villageFigures: VillageFigures[] = villages.map((v) => ({
      code: v.code,
      name: v.name,
      townshipCode: v.township_code,
      townshipName: v.township_name,
      ...tallies.get(v.id)!.figures(),
    }));

    let townships: TownshipFigures[] = [];
    if (region.level !== 'VILLAGE') {
      const townshipRows = region.level === 'TOWNSHIP' ? [{ code: region.code, name: region.name }] : await selectRegionChildren(em, [region.id], 'TOWNSHIP');
      townships = townshipRows.map((t) => {
        const tally = new Tally();
        villages.forEach((v) => {
          if (v.township_code === t.code) tally.addTally(tallies.get(v.id)!);
        });
        return { code: t.code, name: t.name, ...tally.figures() };
      });
    }
    const total = new Tally();
    for (const tally of tallies.values()) total.addTally(tally);
    return { region: { code: region.code, name: region.name, level: region.level }, villages: villageFigures, townships, total: total.figures() };
  }

  /**
   * The summary as an .xlsx workbook: one row per village, a 小计 row after each township's villages
   * (for a county), a 合计 row for the region. Areas are numeric cells shown with four
   * decimals, each converted once from the exact decimal (never summed as floating point).
   */
  async summaryWorkbook(regionCode: string): Promise<{ fileName: string; buffer: Buffer }> {
    const summary = await this.summary(regionCode);
    const workbook = new ExcelJS.Workbook();
    workbook.creator = 'forest-ledger';
    const sheet = workbook.addWorksheet(SUMMARY_SHEET_NAME, { views: [{ state: 'frozen', ySplit: 1 }] });
    sheet.columns = SUMMARY_HEADERS.map((header, index) => ({
      header,
      width: index < 2 ? 14 : index === 2 ? 16 : Math.max(12, header.length * 2 + 2),
      style: index < 3 ? {} : decimalStyle(header.endsWith('(亩)') ? AREA_SCALE : 0),
    }));
    sheet.getRow(1).font = { bold: true };

    const addRow = (township: string, village: string, code: string, f: ParcelFigures, bold = false): void => {
      const row = sheet.addRow([
        township,
        village,
        code,
        f.parcels,
        decimalValue(f.areaMu, AREA_SCALE),
        ...CERTIFICATE_STATES.flatMap((state) => [f.byState[state].parcels, decimalValue(f.byState[state].areaMu, AREA_SCALE)]),
        f.mortgaged.parcels,
        decimalValue(f.mortgaged.areaMu, AREA_SCALE),
        f.seized.parcels,
        decimalValue(f.seized.areaMu, AREA_SCALE),
      ]);
      if (bold) row.font = { bold: true };
    };
    // A township's own summary has its 合计 row only; a 小计 row would repeat it.
    const subtotals = summary.region.level === 'COUNTY' ? summary.townships : [];
    const subtotalOf = new Map(subtotals.map((t) => [t.code, t]));
    summary.villages.forEach((v, index) => {
      addRow(v.townshipName, v.name, v.code, v);
      const next = summary.villages[index + 1];
      const subtotal = subtotalOf.get(v.townshipCode);
      if (subtotal && next?.townshipCode !== v.townshipCode) addRow(subtotal.name, '小计', subtotal.code, subtotal, true);
    });
    // Townships without villages still get their (zero) subtotal, after the others.
    for (const t of subtotals) if (!summary.villages.some((v) => v.townshipCode === t.code)) addRow(t.name, '小计', t.code, t, true);
    addRow(summary.region.name, '合计', summary.region.code, summary.total, true);

    const buffer = Buffer.from(await workbook.xlsx.writeBuffer());
    return { fileName: `宗地汇总-${summary.region.name}-${summary.region.code}.xlsx`, buffer };
  }
}

/** Exact running totals of parcels and 亩. */
class Tally {
  private readonly total = new Counter();
  private readonly byState = new Map<CertificateState, Counter>(CERTIFICATE_STATES.map((s) => [s, new Counter()]));
  private readonly mortgaged = new Counter();
  private readonly seized = new Counter();

  addGroup(state: CertificateState, all: AreaCount, mortgaged: AreaCount, seized: AreaCount): void {
    this.total.add(all);
    this.byState.get(state)!.add(all);
    this.mortgaged.add(mortgaged);
    this.seized.add(seized);
  }

  addTally(other: Tally): void {
    this.total.add(other.total.value());
    for (const state of CERTIFICATE_STATES) this.byState.get(state)!.add(other.byState.get(state)!.value());
    this.mortgaged.add(other.mortgaged.value());
    this.seized.add(other.seized.value());
  }

  figures(): ParcelFigures {
    const byState = Object.fromEntries(CERTIFICATE_STATES.map((s) => [s, this.byState.get(s)!.value()])) as Record<CertificateState, AreaCount>;
    return { ...this.total.value(), byState, mortgaged: this.mortgaged.value(), seized: this.seized.value() };
  }
}

class Counter {
  private parcels = 0;
  private area = new Dec(0);

  add(value: AreaCount): void {
    this.parcels += value.parcels;
    this.area = this.area.plus(value.areaMu);
  }

  value(): AreaCount {
    return { parcels: this.parcels, areaMu: this.area.toFixed(AREA_SCALE) };
  }
}
