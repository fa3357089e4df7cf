import { EntityManager } from 'typeorm';
import { selectRegionsByIds } from '../regions/regions.store';
import { ParcelRefRow, selectParcelRefs } from './parcels.store';

/** What other features may know of a parcel, instead of `JOIN parcels`. The code is the certificate number (林权证号). */
export interface ParcelRef {
  id: string;
  code: string;
  villageId: string;
  villageCode: string;
  holderPartyId: string;
  /** 亩, 4 decimals, as a decimal string. */
  areaMu: string;
}

async function toRefs(em: EntityManager, rows: ParcelRefRow[]): Promise<ParcelRef[]> {
  const villages = new Map(
    (
      await selectRegionsByIds(
        em,
        rows.map((r) => r.village_id),
      )
    ).map((v) => [v.id, v.code]),
  );
  return rows.map((r) => ({
    id: r.id,
    code: r.certificate_no,
    villageId: r.village_id,
    villageCode: villages.get(r.village_id)!,
    holderPartyId: r.holder_party_id,
    areaMu: r.area_mu,
  }));
}

/** The parcels with these certificate numbers, by certificate number (unknown ones are absent). */
export async function parcelsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, ParcelRef>> {
  return new Map((await toRefs(em, await selectParcelRefs(em, { codes }))).map((p) => [p.code, p]));
}

/** The parcels with these ids, by id (unknown ids are absent). */
export async function parcelsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, ParcelRef>> {
  return new Map((await toRefs(em, await selectParcelRefs(em, { ids }))).map((p) => [p.id, p]));
}
