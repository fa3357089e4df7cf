import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, isBigintId } from '@forest-ledger/ledger/domain';
import ExcelJS from 'exceljs';
import { DataSource, EntityManager } from 'typeorm';
import { AuthUser, ownerScopeOf } from '../access/access.types';
import { foldText, mapColumns } from '../imports/columns';
import { ImportRowError, rowError } from '../imports/imports.errors';
import { readTable } from '../imports/table-reader';
import { PiiCipher } from '../parties/pii';
import type { RegionLevel } from '../regions/region.model';
import {
  CERTIFICATE_STATE_LABELS,
  CERTIFICATE_STATES,
  CertificateState,
  normaliseCertificateNo,
  normaliseRealEstateUnitNo,
  PARCEL_COLUMNS,
  ParcelDraft,
  ParcelImportContext,
  parseParcelTable,
} from './parcel-import';
import { AttachPurpose, ParcelError, parcelsNotAttachable, RefusalReason, REFUSAL_TEXT, RefusedParcel } from './parcels.errors';

export type VillageImportResult = { ok: true; villageCode: string; imported: number; areaMu: string } | { ok: false; errors: ImportRowError[] };

/** A parcel as every reader sees it; `holderIdMasked` is null for callers who may not see ID numbers. */
export interface ParcelView {
  id: string;
  certificateNo: string;
  realEstateUnitNo: string | null;
  /** null for a scoped reader when the parcel is not its own. */
  holderCode: string | null;
  holderName: string | null;
  holderIdMasked: string | null;
  villageCode: string;
  villageName: string;
  townshipCode: string;
  townshipName: string;
  countyCode: string;
  countyName: string;
  location: string;
  forestCompartment: string;
  subCompartment: string;
  areaMu: string;
  forestType: string;
  mainSpecies: string;
  rightsStart: string;
  rightsEnd: string;
  certificateState: CertificateState;
  certificateStateLabel: string;
  mortgaged: boolean;
  seized: boolean;
  remarks: string | null;
  createdAt: string;
}

export interface ParcelFilter {
  /** A county, township or village code: parcels of the villages under it. */
  regionCode?: string;
  holderCode?: string;
  certificateState?: CertificateState;
  mortgaged?: boolean;
  seized?: boolean;
  limit?: number;
  /** nextCursor of the previous page. */
  after?: string;
}

export interface ParcelPage {
  items: ParcelView[];
  nextCursor: string | null;
}

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
export interface AttachableParcel {
  id: string;
  certificateNo: string;
  holderPartyId: string;
  villageId: string;
  areaMu: string;
}

interface RegionRow {
  id: string;
  code: string;
  name: string;
  level: RegionLevel;
}

interface VillageRow {
  id: string;
  code: string;
  name: string;
  township_id: string | null;
  township_code: string | null;
  township_name: string | null;
  township_level: RegionLevel | null;
  county_id: string | null;
  county_level: RegionLevel | null;
}

interface ParcelRow {
  id: string;
  certificate_no: string;
  real_estate_unit_no: string | null;
  holder_code: string;
  holder_name: string;
  holder_id_masked: string | null;
  village_code: string;
  village_name: string;
  township_code: string;
  township_name: string;
  county_code: string;
  county_name: string;
  location: string;
  forest_compartment: string;
  sub_compartment: string;
  area_mu: string;
  forest_type: string;
  main_species: string;
  rights_start: string;
  rights_end: string;
  certificate_state: CertificateState;
  mortgaged: boolean;
  seized: boolean;
  remarks: string | null;
  created_at: Date;
}

interface HolderRow {
  id: string;
  name: string;
  id_kind: string;
  id_hmac: string;
  active: boolean;
}

/**
 * What a caller may read: staff everything; a villager the parcels they hold; farm operators and
 * buyers lists by region, without ID numbers, and without the holder of a parcel not their own.
 */
interface ParcelScope {
  holderCodes: string[] | null;
  showHolderId: boolean;
  regionRequired: boolean;
  /** Holders whose code and name may be shown (null: every holder); another holder's are null. */
  namedHolders: string[] | null;
}

const AREA_SCALE = 4;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 500;

// Township and county are inner-joined: importVillageTable only accepts a village under a township under a county.
const PARCEL_SELECT = `
  SELECT p.id, p.certificate_no, p.real_estate_unit_no, h.code AS holder_code, h.name AS holder_name, h.id_masked AS holder_id_masked,
         v.code AS village_code, v.name AS village_name, t.code AS township_code, t.name AS township_name, c.code AS county_code, c.name AS county_name,
         p.location, p.forest_compartment, p.sub_compartment, p.area_mu::text AS area_mu, p.forest_type, p.main_species,
         p.rights_start::text AS rights_start, p.rights_end::text AS rights_end, p.certificate_state, p.mortgaged, p.seized, p.remarks, p.created_at
    FROM parcels p
    JOIN parties h ON h.id = p.holder_party_id
    JOIN regions v ON v.id = p.village_id
    JOIN regions t ON t.id = v.parent_id
    JOIN regions c ON c.id = t.parent_id`;

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
@Injectable()
export class ParcelsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly pii: PiiCipher,
  ) {}

  // ---------------------------------------------------------------- import

  /**
   * Validates a village's parcel table (CSV or .xlsx) and, when every row is good, inserts all its
   * parcels in the caller's transaction. Any error and nothing is written: the result lists every
   * row error (cells, duplicates in the file or against the register, another or an unknown village
   * in 坐落, unregistered holders or holders registered under another name).
   *
   * @throws TableReadError when the file is not a readable table; ParcelError for an unknown village.
   */
  async importVillageTable(em: EntityManager, villageCode: string, buffer: Buffer, fileName: string, options: { today?: string } = {}): Promise<VillageImportResult> {
    const village = await this.villageOf(em, villageCode);
    const table = await readTable(buffer, fileName);
    const { columns } = mapColumns(table, PARCEL_COLUMNS);
    const context: ParcelImportContext = {
      knownVillages: await this.countyVillageNames(em, village.countyId),
      existingCertificateNumbers: await this.registeredCertificates(
        em,
        table.rows.map((row) => row.cells[columns.certificateNo ?? ''] ?? ''),
      ),
      existingRealEstateUnits: await this.registeredUnits(
        em,
        table.rows.map((row) => row.cells[columns.realEstateUnitNo ?? ''] ?? ''),
      ),
      today: options.today,
    };
    const whole = parseParcelTable(table, context);
    // The parser returns drafts only for a clean table; parsing each row alone as well gives the
    // drafts of the good rows, so holder and village errors come in the same report as cell errors.
    const drafts = whole.ok
      ? whole.parcels
      : table.rows.flatMap((row) => {
          const one = parseParcelTable({ ...table, rows: [row] }, context);
          return one.ok ? one.parcels : [];
        });
    const errors = whole.ok ? [] : [...whole.errors];

    const locationColumn = columns.location ?? '坐落';
    for (const draft of drafts) {
      if (draft.village !== village.name) {
        errors.push(
          rowError(
            draft.row,
            locationColumn,
            `坐落“${draft.location}”属于${draft.village}，本表只能导入${village.name}的宗地`,
            `location "${draft.location}" is in another village (${draft.village}); this table imports parcels of ${village.name} only`,
          ),
        );
      }
    }
    const holders = await this.resolveHolders(em, drafts, columns.holderName ?? '权利人', columns.holderIdNumber ?? '证件号码', errors);
    if (errors.length > 0) return { ok: false, errors: sortByRow(errors) };

    const inserted = await this.insertParcels(em, village.id, drafts, holders);
    if (inserted.conflicts.length > 0) {
      // A concurrent import registered some of these certificate numbers after we checked: take ours back.
      await em.query(`DELETE FROM parcels WHERE id = ANY($1::bigint[])`, [inserted.ids]);
      const column = columns.certificateNo ?? '林权证号';
      return {
        ok: false,
        errors: inserted.conflicts.map((draft) =>
          rowError(
            draft.row,
            column,
            '林权证号或不动产单元号已登记（另一导入刚刚登记）',
            'certificate number or real-estate unit number was registered meanwhile by another import',
          ),
        ),
      };
    }
    const areaMu = drafts.reduce((sum, draft) => sum.plus(draft.areaMu), new Dec(0)).toFixed(AREA_SCALE);
    return { ok: true, villageCode: village.code, imported: drafts.length, areaMu };
  }

  private async villageOf(em: EntityManager, code: string): Promise<{ id: string; code: string; name: string; countyId: string }> {
    const [row] = (await em.query(
      `SELECT v.id, v.code, v.name, v.level, t.id AS township_id, t.code AS township_code, t.name AS township_name, t.level AS township_level,
              c.id AS county_id, c.level AS county_level
         FROM regions v LEFT JOIN regions t ON t.id = v.parent_id LEFT JOIN regions c ON c.id = t.parent_id
        WHERE v.code = $1`,
      [code],
    )) as Array<VillageRow & { level: RegionLevel }>;
    if (!row) throw new ParcelError('UNKNOWN_REGION', `no region with code ${JSON.stringify(code)}`, 'villageCode');
    if (row.level !== 'VILLAGE') {
      throw new ParcelError('REGION_NOT_A_VILLAGE', `region ${code} (${row.name}) is a ${row.level}; parcels are imported one village at a time`, 'villageCode');
    }
    if (row.township_level !== 'TOWNSHIP' || row.county_level !== 'COUNTY' || row.county_id === null) {
      throw new ParcelError('REGION_NOT_A_VILLAGE', `village ${code} (${row.name}) is not under a township under a county`, 'villageCode');
    }
    return { id: row.id, code: row.code, name: row.name, countyId: row.county_id };
  }

  /**
   * Every village name of the county: a 坐落 naming a neighbour is then reported as that village (not
   * as "unknown"), and `大西沟村` is never taken for the shorter `西沟村` it contains.
   */
  private async countyVillageNames(em: EntityManager, countyId: string): Promise<Set<string>> {
    const rows = (await em.query(`SELECT v.name FROM regions v JOIN regions t ON t.id = v.parent_id WHERE v.level = 'VILLAGE' AND t.parent_id = $1`, [countyId])) as Array<{
      name: string;
    }>;
    return new Set(rows.map((r) => r.name));
  }

  /** The file's certificate numbers that are registered already (only those, not the whole register). */
  private async registeredCertificates(em: EntityManager, texts: string[]): Promise<Set<string>> {
    const numbers = Array.from(new Set(texts.map(normaliseCertificateNo).filter((n) => n !== '')));
    if (numbers.length === 0) return new Set();
    const rows = (await em.query(`SELECT certificate_no FROM parcels WHERE certificate_no = ANY($1::text[])`, [numbers])) as Array<{ certificate_no: string }>;
    return new Set(rows.map((r) => r.certificate_no));
  }

  /** The 不动产单元号 among `texts` already registered, with their parcels' certificate numbers. */
  private async registeredUnits(em: EntityManager, texts: string[]): Promise<Map<string, string>> {
    const units = Array.from(new Set(texts.map(normaliseRealEstateUnitNo).filter((n) => n !== '')));
    if (units.length === 0) return new Map();
    const rows = (await em.query(`SELECT real_estate_unit_no, certificate_no FROM parcels WHERE real_estate_unit_no = ANY($1::text[])`, [units])) as Array<{
      real_estate_unit_no: string;
      certificate_no: string;
    }>;
    return new Map(rows.map((r) => [r.real_estate_unit_no, r.certificate_no]));
  }

  /** Finds each draft's holder by the HMAC of its ID number; appends an error per unregistered, renamed or deactivated holder. */
  private async resolveHolders(em: EntityManager, drafts: ParcelDraft[], nameColumn: string, idColumn: string, errors: ImportRowError[]): Promise<Map<number, string>> {
    // Every candidate HMAC (one per configured key, while keys rotate) of each draft's ID.
    const keys = drafts.map((draft) => ({ kind: draft.holderIdKind, hmacs: this.pii.hmacCandidates(draft.holderIdKind, draft.holderIdNumber) }));
    const hmacs = Array.from(new Set(keys.flatMap((k) => k.hmacs)));
    const rows = hmacs.length === 0 ? [] : ((await em.query(`SELECT id, name, id_kind, id_hmac, active FROM parties WHERE id_hmac = ANY($1::text[])`, [hmacs])) as HolderRow[]);
    const byKey = new Map(rows.map((r) => [`${r.id_kind}:${r.id_hmac}`, r]));
    const holderOfRow = new Map<number, string>();
    drafts.forEach((draft, index) => {
      const party = keys[index].hmacs.map((hmac) => byKey.get(`${keys[index].kind}:${hmac}`)).find((r) => r !== undefined);
      if (party === undefined) {
        errors.push(rowError(draft.row, idColumn, '权利人未登记，请先导入花名册', 'right holder is not registered: import the roster first'));
      } else if (foldText(party.name) !== foldText(draft.holderName)) {
        errors.push(
          rowError(
            draft.row,
            nameColumn,
            `权利人“${draft.holderName}”与该证件号码登记的姓名“${party.name}”不一致`,
            `right holder "${draft.holderName}" does not match the name registered for this ID number ("${party.name}")`,
          ),
        );
      } else if (!party.active) {
        errors.push(rowError(draft.row, idColumn, `权利人“${party.name}”已注销`, `right holder "${party.name}" is deactivated`));
      } else {
        holderOfRow.set(draft.row, party.id);
      }
    });
    return holderOfRow;
  }

  /**
   * One INSERT for the whole table, in certificate-number order so that concurrent imports lock the
   * unique index in the same order. A certificate number or 不动产单元号 registered meanwhile is skipped
   * and returned.
   */
  private async insertParcels(em: EntityManager, villageId: string, drafts: ParcelDraft[], holders: Map<number, string>): Promise<{ ids: string[]; conflicts: ParcelDraft[] }> {
    const sorted = [...drafts].sort((a, b) => (a.certificateNo < b.certificateNo ? -1 : a.certificateNo > b.certificateNo ? 1 : 0));
    const col = <T>(pick: (d: ParcelDraft) => T): T[] => sorted.map(pick);
    const rows = (await em.query(
      `INSERT INTO parcels (certificate_no, real_estate_unit_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu,
                            forest_type, main_species, rights_start, rights_end, certificate_state, mortgaged, seized, remarks)
       SELECT cn, ru, hp, $1::bigint, lo, fc, sc, am, ft, ms, rs, re, cs, mo, se, rm
         FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::numeric[], $9::text[], $10::text[],
                     $11::date[], $12::date[], $13::text[], $14::boolean[], $15::boolean[], $16::text[])
              WITH ORDINALITY AS t(cn, ru, hp, lo, fc, sc, am, ft, ms, rs, re, cs, mo, se, rm, ord)
        ORDER BY ord
       ON CONFLICT DO NOTHING
       RETURNING id, certificate_no`,
      [
        villageId,
        col((d) => d.certificateNo),
        col((d) => d.realEstateUnitNo ?? null),
        col((d) => holders.get(d.row)),
        col((d) => d.location),
        col((d) => d.forestCompartment),
        col((d) => d.subCompartment),
        col((d) => d.areaMu),
        col((d) => d.forestType),
        col((d) => d.mainSpecies),
        col((d) => d.rightsStart),
        col((d) => d.rightsEnd),
        col((d) => d.certificateState),
        col((d) => d.mortgaged),
        col((d) => d.seized),
        col((d) => d.remarks ?? null),
      ],
    )) as Array<{ id: string; certificate_no: string }>;
    const stored = new Set(rows.map((r) => r.certificate_no));
    return { ids: rows.map((r) => r.id), conflicts: sorted.filter((d) => !stored.has(d.certificateNo)) };
  }

  // ---------------------------------------------------------------- reads

  /**
   * A parcel by id or by certificate number (an all-digit argument is tried as an id first).
   * A parcel the caller may not see is reported exactly like one that does not exist.
   */
  async get(user: AuthUser, idOrCertificateNo: string): Promise<ParcelView> {
    const scope = parcelScopeOf(user);
    const params: unknown[] = [normaliseCertificateNo(idOrCertificateNo)];
    let match = 'p.certificate_no = $1';
    let order = '';
    if (isBigintId(idOrCertificateNo)) {
      params.push(idOrCertificateNo);
      match = `(p.id = $2::bigint OR p.certificate_no = $1)`;
      order = `ORDER BY (p.id = $2::bigint) DESC`;
    }
    const where = [match];
    if (scope.holderCodes !== null) {
      params.push(scope.holderCodes);
      where.push(`h.code = ANY($${params.length}::text[])`);
    }
    const [row] = (await this.dataSource.query(`${PARCEL_SELECT} WHERE ${where.join(' AND ')} ${order} LIMIT 1`, params)) as ParcelRow[];
    if (!row) throw new ParcelError('UNKNOWN_PARCEL', `no parcel with id or certificate number ${JSON.stringify(idOrCertificateNo)}`, 'id');
    return parcelView(row, scope);
  }

  /** Keyset pages by id. Farm operators and buyers must name a region. */
  async list(user: AuthUser, filter: ParcelFilter = {}): Promise<ParcelPage> {
    const scope = parcelScopeOf(user);
    if (scope.regionRequired && filter.regionCode === undefined) {
      throw new ParcelError('REGION_REQUIRED', `a ${user.role} lists parcels by region: give regionCode (a county, township or village code)`, 'regionCode');
    }
    const limit = Math.min(filter.limit ?? DEFAULT_PAGE, MAX_PAGE);
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.split('?').join(`$${params.length}`));
    };
    if (scope.holderCodes !== null) add('h.code = ANY(?::text[])', scope.holderCodes);
    if (filter.regionCode !== undefined) {
      const region = await this.regionOf(this.dataSource.manager, filter.regionCode, 'regionCode');
      if (region.level === 'VILLAGE') add('v.id = ?::bigint', region.id);
      else if (region.level === 'TOWNSHIP') add('t.id = ?::bigint', region.id);
      else add('c.id = ?::bigint', region.id);
    }
    if (filter.holderCode !== undefined) add('h.code = ?', filter.holderCode);
    // Asking for another holder's parcels would tell whose they are: a scoped reader finds only its own.
    if (filter.holderCode !== undefined && scope.namedHolders !== null) add('h.code = ANY(?::text[])', scope.namedHolders);
    if (filter.certificateState !== undefined) add('p.certificate_state = ?', filter.certificateState);
    if (filter.mortgaged !== undefined) add('p.mortgaged = ?', filter.mortgaged);
    if (filter.seized !== undefined) add('p.seized = ?', filter.seized);
    if (filter.after !== undefined) add('p.id > ?::bigint', decodeCursor(filter.after));
    params.push(limit + 1);
    const rows = (await this.dataSource.query(
      `${PARCEL_SELECT} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY p.id LIMIT $${params.length}`,
      params,
    )) as ParcelRow[];
    const items = rows.slice(0, limit).map((row) => parcelView(row, scope));
    return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null };
  }

  // ---------------------------------------------------------------- summary

  /** Parcel count, area, and count and area per certificate state (and mortgaged, seized) per village, township and region; exact decimals. */
  async summary(regionCode: string): Promise<ParcelSummary> {
    const em = this.dataSource.manager;
    const region = await this.regionOf(em, regionCode, 'regionCode');
    const scopeSql = region.level === 'VILLAGE' ? 'v.id = $1' : region.level === 'TOWNSHIP' ? 't.id = $1' : 't.parent_id = $1';
    const villages = (await em.query(
      `SELECT v.id, v.code, v.name, t.code AS township_code, t.name AS township_name
         FROM regions v JOIN regions t ON t.id = v.parent_id
        WHERE v.level = 'VILLAGE' AND ${scopeSql}
        ORDER BY t.code, v.code`,
      [region.id],
    )) as Array<{ id: string; code: string; name: string; township_code: string; township_name: string }>;
    const groups = (await em.query(
      `SELECT v.id AS village_id, p.certificate_state, count(*)::int AS parcels, sum(p.area_mu)::text AS area_mu,
              count(*) FILTER (WHERE p.mortgaged)::int AS mortgaged, COALESCE(sum(p.area_mu) FILTER (WHERE p.mortgaged), 0)::text AS mortgaged_area,
              count(*) FILTER (WHERE p.seized)::int AS seized, COALESCE(sum(p.area_mu) FILTER (WHERE p.seized), 0)::text AS seized_area
         FROM parcels p JOIN regions v ON v.id = p.village_id JOIN regions t ON t.id = v.parent_id
        WHERE ${scopeSql}
        GROUP BY v.id, p.certificate_state`,
      [region.id],
    )) as Array<{
      village_id: string;
      certificate_state: CertificateState;
      parcels: number;
      area_mu: string;
      mortgaged: number;
      mortgaged_area: string;
      seized: number;
      seized_area: string;
    }>;

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
      const townshipRows =
        region.level === 'TOWNSHIP'
          ? [{ code: region.code, name: region.name }]
          : ((await em.query(`SELECT code, name FROM regions WHERE parent_id = $1 AND level = 'TOWNSHIP' ORDER BY code`, [region.id])) as Array<{ code: string; name: string }>);
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
      style: index < 3 ? {} : { numFmt: header.endsWith('(亩)') ? '0.0000' : '0' },
    }));
    sheet.getRow(1).font = { bold: true };

    const addRow = (township: string, village: string, code: string, f: ParcelFigures, bold = false): void => {
      const row = sheet.addRow([
        township,
        village,
        code,
        f.parcels,
        Number(f.areaMu),
        ...CERTIFICATE_STATES.flatMap((state) => [f.byState[state].parcels, Number(f.byState[state].areaMu)]),
        f.mortgaged.parcels,
        Number(f.mortgaged.areaMu),
        f.seized.parcels,
        Number(f.seized.areaMu),
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

  private async regionOf(em: EntityManager, code: string, field: string): Promise<RegionRow> {
    const [row] = (await em.query(`SELECT id, code, name, level FROM regions WHERE code = $1`, [code])) as RegionRow[];
    if (!row) throw new ParcelError('UNKNOWN_REGION', `no region with code ${JSON.stringify(code)}`, field);
    return row;
  }

  // ---------------------------------------------------------------- attachability

  /**
   * The rule of DOMAIN.md §8 for a new cooperation project, transfer contract or lease: every parcel
   * must exist, be neither mortgaged nor seized, and have its certificate issued to the household.
   * Locks the parcels FOR SHARE (in id order) in the caller's transaction, so that they cannot be
   * mortgaged or seized until it ends; returns them.
   *
   * @throws ParcelError PARCEL_NOT_ATTACHABLE listing each refused parcel with its reasons.
   */
  async assertAttachable(em: EntityManager, parcelIds: string[], purpose: AttachPurpose): Promise<AttachableParcel[]> {
    const unique = Array.from(new Set(parcelIds));
    const wellFormed = unique.filter(isBigintId).sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0));
    const rows =
      wellFormed.length === 0
        ? []
        : ((await em.query(
            `SELECT id, certificate_no, holder_party_id, village_id, area_mu::text AS area_mu, certificate_state, mortgaged, seized
               FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY id FOR SHARE`,
            [wellFormed],
          )) as Array<{
            id: string;
            certificate_no: string;
            holder_party_id: string;
            village_id: string;
            area_mu: string;
            certificate_state: CertificateState;
            mortgaged: boolean;
            seized: boolean;
          }>);
    const byId = new Map(rows.map((r) => [r.id, r]));
    const refused: RefusedParcel[] = [];
    for (const id of unique) {
      const row = byId.get(id);
      const reasons: RefusalReason[] = [];
      if (row === undefined) reasons.push('UNKNOWN_PARCEL');
      else {
        if (row.mortgaged) reasons.push('MORTGAGED');
        if (row.seized) reasons.push('SEIZED');
        if (row.certificate_state !== 'ISSUED_TO_HOUSEHOLD') reasons.push('CERTIFICATE_NOT_ISSUED');
      }
      if (reasons.length > 0) {
        refused.push({ parcelId: id, certificateNo: row?.certificate_no ?? null, reasons, message: reasons.map((r) => REFUSAL_TEXT[r]).join('; ') });
      }
    }
    if (refused.length > 0) throw parcelsNotAttachable(purpose, refused);
    return rows.map((r) => ({ id: r.id, certificateNo: r.certificate_no, holderPartyId: r.holder_party_id, villageId: r.village_id, areaMu: r.area_mu }));
  }
}

function parcelScopeOf(user: AuthUser): ParcelScope {
  const scope = ownerScopeOf(user);
  if (scope === null) return { holderCodes: null, showHolderId: true, regionRequired: false, namedHolders: null };
  const codes = scope.ownerRefs.filter((ref) => ref.startsWith('party:')).map((ref) => ref.slice('party:'.length));
  if (user.role === 'VILLAGER') return { holderCodes: codes, showHolderId: true, regionRequired: false, namedHolders: codes };
  return { holderCodes: null, showHolderId: false, regionRequired: true, namedHolders: codes };
}

function parcelView(row: ParcelRow, scope: ParcelScope): ParcelView {
  const named = scope.namedHolders === null || scope.namedHolders.includes(row.holder_code);
  return {
    id: row.id,
    certificateNo: row.certificate_no,
    realEstateUnitNo: row.real_estate_unit_no,
    holderCode: named ? row.holder_code : null,
    holderName: named ? row.holder_name : null,
    holderIdMasked: scope.showHolderId ? row.holder_id_masked : null,
    villageCode: row.village_code,
    villageName: row.village_name,
    townshipCode: row.township_code,
    townshipName: row.township_name,
    countyCode: row.county_code,
    countyName: row.county_name,
    location: row.location,
    forestCompartment: row.forest_compartment,
    subCompartment: row.sub_compartment,
    areaMu: new Dec(row.area_mu).toFixed(AREA_SCALE),
    forestType: row.forest_type,
    mainSpecies: row.main_species,
    rightsStart: row.rights_start,
    rightsEnd: row.rights_end,
    certificateState: row.certificate_state,
    certificateStateLabel: CERTIFICATE_STATE_LABELS[row.certificate_state],
    mortgaged: row.mortgaged,
    seized: row.seized,
    remarks: row.remarks,
    createdAt: row.created_at.toISOString(),
  };
}

function encodeCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** A forged cursor is a 400, never a database error. */
function decodeCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isBigintId(id)) throw new ParcelError('INVALID_CURSOR', 'after is not a cursor this API returned', 'after');
  return id;
}

/** Header-row errors first, then by row; the order within a row is kept. */
function sortByRow(errors: ImportRowError[]): ImportRowError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => a.error.row - b.error.row || a.index - b.index)
    .map((e) => e.error);
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
