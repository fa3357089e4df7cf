import { Dec } from '@forest-ledger/ledger/domain';
import { EntityManager } from 'typeorm';
import { foldText, mapColumns } from '../imports/columns';
import { ImportRowError, rowError } from '../imports/imports.errors';
import { readTable } from '../imports/table-reader';
import { holdersStore } from '../parties/parties.store';
import { PiiCipher } from '../parties/pii';
import { villageChains } from '../regions/region-tree';
import { selectRegionByCode, selectRegionChildren } from '../regions/regions.store';
import { normaliseCertificateNo, normaliseRealEstateUnitNo, PARCEL_COLUMNS, ParcelDraft, ParcelImportContext, parseParcelTable } from './parcel-import';
import { ParcelError } from './parcels.errors';
import { parcelsStore } from './parcels.store';

export type VillageImportResult = { ok: true; villageCode: string; imported: number; areaMu: string } | { ok: false; errors: ImportRowError[] };

const AREA_SCALE = 4;

/** Header-row errors first, then by row; the order within a row is kept. */
function sortByRow(errors: ImportRowError[]): ImportRowError[] {
  return errors
    .map((error, index) => ({ error, index }))
    .sort((a, b) => a.error.row - b.error.row || a.index - b.index)
    .map((e) => e.error);
}

/** A village's parcel table (the official 林权 columns) imported: every row or none. */
export class ParcelVillageImport {
  constructor(private readonly pii: PiiCipher) {}

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
      await parcelsStore.deleteByIds(em, inserted.ids);
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
    const row = await selectRegionByCode(em, code);
    if (!row) throw new ParcelError('UNKNOWN_REGION', `no region with code ${JSON.stringify(code)}`, 'villageCode');
    if (row.level !== 'VILLAGE') {
      throw new ParcelError('REGION_NOT_A_VILLAGE', `region ${code} (${row.name}) is a ${row.level}; parcels are imported one village at a time`, 'villageCode');
    }
    const chain = (await villageChains(em, [row.id])).get(row.id);
    if (chain?.township?.level !== 'TOWNSHIP' || chain.county?.level !== 'COUNTY') {
      throw new ParcelError('REGION_NOT_A_VILLAGE', `village ${code} (${row.name}) is not under a township under a county`, 'villageCode');
    }
    return { id: row.id, code: row.code, name: row.name, countyId: chain.county.id };
  }

  /**
   * Every village name of the county: a 坐落 naming a neighbour is then reported as that village (not
   * as "unknown"), and `大西沟村` is never taken for the shorter `西沟村` it contains.
   */
  private async countyVillageNames(em: EntityManager, countyId: string): Promise<Set<string>> {
    const townships = await selectRegionChildren(em, [countyId], 'TOWNSHIP');
    const villages = await selectRegionChildren(
      em,
      townships.map((t) => t.id),
      'VILLAGE',
    );
    return new Set(villages.map((v) => v.name));
  }

  /** The file's certificate numbers that are registered already (only those, not the whole register). */
  private async registeredCertificates(em: EntityManager, texts: string[]): Promise<Set<string>> {
    const numbers = Array.from(new Set(texts.map(normaliseCertificateNo).filter((n) => n !== '')));
    return parcelsStore.existingCertificates(em, numbers);
  }

  /** The 不动产单元号 among `texts` already registered, with their parcels' certificate numbers. */
  private async registeredUnits(em: EntityManager, texts: string[]): Promise<Map<string, string>> {
    const units = Array.from(new Set(texts.map(normaliseRealEstateUnitNo).filter((n) => n !== '')));
    return parcelsStore.existingUnits(em, units);
  }

  /** Finds each draft's holder by the HMAC of its ID number; appends an error per unregistered, renamed or deactivated holder. */
  private async resolveHolders(em: EntityManager, drafts: ParcelDraft[], nameColumn: string, idColumn: string, errors: ImportRowError[]): Promise<Map<number, string>> {
    // Every candidate HMAC (one per configured key, while keys rotate) of each draft's ID.
    const keys = drafts.map((draft) => ({ kind: draft.holderIdKind, hmacs: this.pii.hmacCandidates(draft.holderIdKind, draft.holderIdNumber) }));
    const hmacs = Array.from(new Set(keys.flatMap((k) => k.hmacs)));
    const rows = await holdersStore.byIdHmacs(em, hmacs);
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
    const rows = await parcelsStore.insertMany(
      em,
      villageId,
      sorted.map((d) => ({ ...d, holderPartyId: holders.get(d.row)! })),
    );
    const stored = new Set(rows.map((r) => r.certificate_no));
    return { ids: rows.map((r) => r.id), conflicts: sorted.filter((d) => !stored.has(d.certificateNo)) };
  }
}
