import { Dec, isIsoDate } from '@forest-ledger/ledger';
import ExcelJS from 'exceljs';
import { EntityManager } from 'typeorm';
import { decimalCell, RATIO_SCALE } from '../common/xlsx-cells';
import { householdCountsByRegion, partiesByIds, regionIdsOfParties } from '../parties/party-refs';
import { projectIdsOfKind } from '../projects/project-refs';
import { businessToday } from '../projects/project-accounts';
import { regionsByCodes, regionsByIds } from '../regions/region-refs';
import { villagesIn } from '../regions/region-tree';
import { memberHoldingsOfProjects } from '../tickets/ticket-register.store';
import * as store from './income-rights.store';
import { IncomeRightError, invalidScheme } from './income-rights.errors';

/** A county's issuance dates (发放进度, seed 000 §二(一)2: 7月底 40%, 8月底 80%, 9月底 100%). */
export interface TargetView {
  dueDate: string;
  /** Share of the households to issue, 0..1. */
  share: string;
}

export interface ProgressLine {
  level: 'VILLAGE' | 'TOWNSHIP' | 'TOTAL';
  code: string;
  name: string;
  township: string | null;
  /** Households of the region's collectives (an active villager registered there). */
  householdsToIssue: number;
  /** Households holding an income-right certificate issued on or before asOf. */
  householdsIssued: number;
  /** issued / to issue, 4 decimals ("0" when none to issue). */
  issuedShare: string;
  /** The target due on or before asOf (the latest), with the households it requires: ceil(share × to issue). */
  due: { dueDate: string; share: string; householdsRequired: number } | null;
  onTrack: boolean;
}

export interface ProgressView {
  region: { code: string; name: string; level: string };
  asOf: string;
  targets: TargetView[];
  lines: ProgressLine[];
}

/** The county a region belongs to (itself for a county). */
async function countyOf(em: EntityManager, code: string): Promise<{ id: string; code: string; name: string; level: string; parentId: string | null }> {
  let region = (await regionsByCodes(em, [code])).get(code);
  if (!region) throw new IncomeRightError('UNKNOWN_REGION', `no region ${JSON.stringify(code)}`, 'region');
  const start = region;
  while (region.level !== 'COUNTY' && region.parentId !== null) region = (await regionsByIds(em, [region.parentId])).get(region.parentId)!;
  if (region.level !== 'COUNTY') throw new IncomeRightError('NOT_A_COUNTY', `region ${start.code} is under no county`, 'region');
  return region;
}

/** Sets the county's issuance dates (replacing the previous ones); shares must not fall as dates advance. */
export async function setTargets(em: EntityManager, countyCode: string, targets: TargetView[]): Promise<TargetView[]> {
  const county = (await regionsByCodes(em, [countyCode])).get(countyCode);
  if (!county) throw new IncomeRightError('UNKNOWN_REGION', `no region ${JSON.stringify(countyCode)}`, 'region');
  if (county.level !== 'COUNTY') throw new IncomeRightError('NOT_A_COUNTY', `${countyCode} is a ${county.level}; the county sets the dates`, 'region');
  const sorted = targets
    .map((t, i) => {
      if (!isIsoDate(t.dueDate)) throw invalidScheme(`targets[${i}].dueDate must be a calendar date YYYY-MM-DD`, `targets[${i}].dueDate`);
      const share = new Dec(t.share);
      if (!share.isFinite() || share.lte(0) || share.gt(1) || share.decimalPlaces() > 6)
        throw invalidScheme(`targets[${i}].share must be above 0 and at most 1 (6 decimals)`, `targets[${i}].share`);
      return { dueDate: t.dueDate, share: share.toString() };
    })
    .sort((a, b) => (a.dueDate < b.dueDate ? -1 : 1));
  sorted.forEach((t, i) => {
    if (i > 0 && t.dueDate === sorted[i - 1].dueDate) throw invalidScheme(`two targets are due on ${t.dueDate}`, 'targets');
    if (i > 0 && new Dec(t.share).lt(sorted[i - 1].share)) throw invalidScheme(`the share due on ${t.dueDate} is less than the one due before it`, 'targets');
  });
  await store.replaceTargets(em, county.id, sorted);
  return store.targetsOf(em, county.id);
}

/** Households issued / to issue per village and township of the region, and in total, against the county's dates, as of a day. */
export async function progress(em: EntityManager, regionCode: string, asOf: string = businessToday()): Promise<ProgressView> {
  if (!isIsoDate(asOf)) throw invalidScheme('asOf must be a calendar date YYYY-MM-DD', 'asOf');
  const county = await countyOf(em, regionCode);
  const region = (await regionsByCodes(em, [regionCode])).get(regionCode)!;
  const targets = await store.targetsOf(em, county.id);
  const villages = await villagesIn(em, { id: region.id, code: region.code, name: region.name, level: region.level, parent_id: region.parentId });
  const toIssue = await householdCountsByRegion(
    em,
    villages.map((v) => v.village.id),
  );
  // Issued households: those whose head holds a certificate of an income-right scheme issued by asOf.
  const holdings = (await memberHoldingsOfProjects(em, await projectIdsOfKind(em, 'INCOME_RIGHT'))).filter((h) => h.issuedOn <= asOf);
  const holders = await partiesByIds(
    em,
    holdings.map((h) => h.partyId),
  );
  const householdIds = [...new Set([...holders.values()].flatMap((p) => (p.householdId === null ? [] : [p.householdId])))];
  const regionOfHousehold = await regionIdsOfParties(em, householdIds);
  const issued = new Map<string, number>();
  for (const regionId of regionOfHousehold.values()) issued.set(regionId, (issued.get(regionId) ?? 0) + 1);

  const due = [...targets].reverse().find((t) => t.dueDate <= asOf) ?? null;
  const line = (level: ProgressLine['level'], code: string, name: string, township: string | null, toDo: number, done: number): ProgressLine => {
    const required = due === null ? 0 : new Dec(due.share).times(toDo).ceil().toNumber();
    return {
      level,
      code,
      name,
      township,
      householdsToIssue: toDo,
      householdsIssued: done,
      issuedShare: toDo === 0 ? '0' : new Dec(done).div(toDo).toDecimalPlaces(4, Dec.ROUND_DOWN).toString(),
      due: due === null ? null : { dueDate: due.dueDate, share: due.share, householdsRequired: required },
      onTrack: done >= required,
    };
  };
  const lines: ProgressLine[] = [];
  let townshipCode: string | null = null;
  let sums = { toDo: 0, done: 0 };
  let total = { toDo: 0, done: 0 };
  const flush = (name: string) => {
    if (townshipCode !== null) lines.push(line('TOWNSHIP', townshipCode, name, null, sums.toDo, sums.done));
  };
  let townshipName = '';
  for (const v of villages) {
    if (v.township.code !== townshipCode) {
      flush(townshipName);
      townshipCode = v.township.code;
      townshipName = v.township.name;
      sums = { toDo: 0, done: 0 };
    }
    const toDo = toIssue.get(v.village.id) ?? 0;
    const done = issued.get(v.village.id) ?? 0;
    sums = { toDo: sums.toDo + toDo, done: sums.done + done };
    total = { toDo: total.toDo + toDo, done: total.done + done };
    lines.push(line('VILLAGE', v.village.code, v.village.name, v.township.code, toDo, done));
  }
  flush(townshipName);
  lines.push(line('TOTAL', region.code, region.name, null, total.toDo, total.done));
  return { region: { code: region.code, name: region.name, level: region.level }, asOf, targets, lines };
}

const LEVEL_LABEL: Record<ProgressLine['level'], string> = { VILLAGE: '村', TOWNSHIP: '乡镇小计', TOTAL: '合计' };

/** The progress as an .xlsx workbook: one row per village, township and total; counts and shares as numbers (xlsx-cells). */
export async function progressWorkbook(view: ProgressView): Promise<{ fileName: string; buffer: Buffer }> {
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'forest-ledger';
  const sheet = workbook.addWorksheet('收益权证书发放进度', { views: [{ state: 'frozen', ySplit: 3 }] });
  sheet.addRow([`集体林地收益权证书发放进度 ${view.region.name} 截至 ${view.asOf}`]).font = { bold: true };
  sheet.addRow([`县定进度：${view.targets.map((t) => `${t.dueDate} 前 ${new Dec(t.share).times(100).toString()}%`).join('；') || '未设定'}`]);
  const headers = ['级别', '代码', '名称', '应发户数', '已发户数', '发放比例', '当前节点', '节点比例', '节点应发户数', '是否达标'];
  sheet.addRow(headers).font = { bold: true };
  sheet.columns = headers.map((_, i) => ({ width: [10, 16, 18, 12, 12, 12, 14, 12, 14, 10][i] }));
  for (const l of view.lines) {
    const row = sheet.addRow([LEVEL_LABEL[l.level], l.code, l.name, null, null, null, l.due?.dueDate ?? '—', null, null, l.onTrack ? '是' : '否']);
    decimalCell(row.getCell(4), String(l.householdsToIssue), 0);
    decimalCell(row.getCell(5), String(l.householdsIssued), 0);
    decimalCell(row.getCell(6), l.issuedShare, RATIO_SCALE);
    if (l.due !== null) {
      decimalCell(row.getCell(8), l.due.share, RATIO_SCALE);
      decimalCell(row.getCell(9), String(l.due.householdsRequired), 0);
    }
    if (l.level !== 'VILLAGE') row.font = { bold: true };
  }
  return { fileName: `收益权证书发放进度-${view.region.code}-${view.asOf}.xlsx`, buffer: Buffer.from(await workbook.xlsx.writeBuffer()) };
}
