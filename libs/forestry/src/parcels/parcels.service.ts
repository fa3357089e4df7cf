import { AuthUser, ownerScopeOf } from '@forest-ledger/access';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Dec, isBigintId } from '@forest-ledger/ledger/domain';
import { DataSource, EntityManager } from 'typeorm';
import { partiesByCodes } from '../parties/party-refs';
import { HolderRow, holdersStore } from '../parties/parties.store';
import { PiiCipher } from '../parties/pii';
import { VillageChain, villageChains, villagesIn } from '../regions/region-tree';
import { CERTIFICATE_STATE_LABELS, CertificateState, normaliseCertificateNo } from './parcel-import';
import { ParcelSummaries, ParcelSummary, regionOf } from './parcel-summary';
import { ParcelVillageImport, VillageImportResult } from './parcel-village-import';
import { AttachPurpose, ParcelError, parcelsNotAttachable, RefusalReason, REFUSAL_TEXT, RefusedParcel } from './parcels.errors';
import { ParcelRow, parcelsStore } from './parcels.store';

export * from './parcel-summary';
export type { VillageImportResult } from './parcel-village-import';

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

export interface AttachableParcel {
  id: string;
  certificateNo: string;
  holderPartyId: string;
  villageId: string;
  areaMu: string;
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

/**
 * Parcels: reads scoped to the caller, the attachability rule for projects, transfers and leases; the
 * village import (ParcelVillageImport) and the summaries (ParcelSummaries) are their own use cases.
 */
@Injectable()
export class ParcelsService {
  private readonly villageImport: ParcelVillageImport;
  private readonly summaries: ParcelSummaries;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    pii: PiiCipher,
  ) {
    this.villageImport = new ParcelVillageImport(pii);
    this.summaries = new ParcelSummaries(dataSource);
  }

  importVillageTable(em: EntityManager, villageCode: string, buffer: Buffer, fileName: string, options: { today?: string } = {}): Promise<VillageImportResult> {
    return this.villageImport.importVillageTable(em, villageCode, buffer, fileName, options);
  }

  summary(regionCode: string): Promise<ParcelSummary> {
    return this.summaries.summary(regionCode);
  }

  summaryWorkbook(regionCode: string): Promise<{ fileName: string; buffer: Buffer }> {
    return this.summaries.summaryWorkbook(regionCode);
  }

  // ---------------------------------------------------------------- reads

  /**
   * A parcel by id or by certificate number (an all-digit argument is tried as an id first).
   * A parcel the caller may not see is reported exactly like one that does not exist.
   */
  async get(user: AuthUser, idOrCertificateNo: string): Promise<ParcelView> {
    const scope = parcelScopeOf(user);
    const em = this.dataSource.manager;
    const holderIds = scope.holderCodes === null ? null : [...(await partiesByCodes(em, scope.holderCodes)).values()].map((p) => p.id);
    const row = await parcelsStore.findOne(em, {
      certificateNo: normaliseCertificateNo(idOrCertificateNo),
      id: isBigintId(idOrCertificateNo) ? idOrCertificateNo : null,
      holderIds,
    });
    if (!row) throw new ParcelError('UNKNOWN_PARCEL', `no parcel with id or certificate number ${JSON.stringify(idOrCertificateNo)}`, 'id');
    return (await this.views(em, [row], scope))[0];
  }

  /** Keyset pages by id. Farm operators and buyers must name a region. */
  async list(user: AuthUser, filter: ParcelFilter = {}): Promise<ParcelPage> {
    const scope = parcelScopeOf(user);
    if (scope.regionRequired && filter.regionCode === undefined) {
      throw new ParcelError('REGION_REQUIRED', `a ${user.role} lists parcels by region: give regionCode (a county, township or village code)`, 'regionCode');
    }
    const limit = Math.min(filter.limit ?? DEFAULT_PAGE, MAX_PAGE);
    const em = this.dataSource.manager;
    // The holders a caller may ask for: its own (a villager), the one named, and — naming a holder — only one it may name.
    let holderCodes: string[] | undefined = scope.holderCodes ?? undefined;
    const narrow = (codes: string[]) => (holderCodes = holderCodes === undefined ? codes : holderCodes.filter((c) => codes.includes(c)));
    if (filter.holderCode !== undefined) narrow([filter.holderCode]);
    // Asking for another holder's parcels would tell whose they are: a scoped reader finds only its own.
    if (filter.holderCode !== undefined && scope.namedHolders !== null) narrow(scope.namedHolders);
    const holderIds = holderCodes === undefined ? undefined : [...(await partiesByCodes(em, holderCodes)).values()].map((p) => p.id);
    let villageIds: string[] | undefined;
    if (filter.regionCode !== undefined) {
      const region = await regionOf(em, filter.regionCode, 'regionCode');
      villageIds = (await villagesIn(em, region)).map((v) => v.village.id);
    }
    const rows = await parcelsStore.list(em, {
      holderIds,
      villageIds,
      certificateState: filter.certificateState,
      mortgaged: filter.mortgaged,
      seized: filter.seized,
      afterId: filter.after === undefined ? undefined : decodeCursor(filter.after),
      limit: limit + 1,
    });
    const items = await this.views(em, rows.slice(0, limit), scope);
    return { items, nextCursor: rows.length > limit ? encodeCursor(items[items.length - 1].id) : null };
  }

  /** Rows as views: holders asked of the parties store, villages' townships and counties of the regions. */
  private async views(em: EntityManager, rows: ParcelRow[], scope: ParcelScope): Promise<ParcelView[]> {
    const holders = new Map(
      (
        await holdersStore.byIds(
          em,
          rows.map((r) => r.holder_party_id),
        )
      ).map((h) => [h.id, h]),
    );
    const chains = await villageChains(
      em,
      rows.map((r) => r.village_id),
    );
    return rows.map((row) => parcelView(row, holders.get(row.holder_party_id)!, chains.get(row.village_id)!, scope));
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
    const rows = await parcelsStore.lockForShare(em, wellFormed);
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

function parcelView(row: ParcelRow, holder: HolderRow, chain: VillageChain, scope: ParcelScope): ParcelView {
  const named = scope.namedHolders === null || scope.namedHolders.includes(holder.code);
  return {
    id: row.id,
    certificateNo: row.certificate_no,
    realEstateUnitNo: row.real_estate_unit_no,
    holderCode: named ? holder.code : null,
    holderName: named ? holder.name : null,
    holderIdMasked: scope.showHolderId ? holder.id_masked : null,
    villageCode: chain.village.code,
    villageName: chain.village.name,
    townshipCode: chain.township!.code,
    townshipName: chain.township!.name,
    countyCode: chain.county!.code,
    countyName: chain.county!.name,
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
