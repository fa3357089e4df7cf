import { EntityManager } from 'typeorm';
import { lockParcelRows, selectParcelTerms } from './parcels.store';

/** A parcel's certificate, holder, village, area and rights term, for features that attach parcels (instead of `JOIN parcels`). */
export interface ParcelTerms {
  id: string;
  certificateNo: string;
  holderPartyId: string;
  villageId: string;
  /** 亩, as PostgreSQL prints numeric(14,4). */
  areaMu: string;
  rightsStart: string;
  rightsEnd: string;
}

/**
 * Locks the parcels FOR NO KEY UPDATE in id order until the caller's transaction ends, so that two
 * attachments of one parcel take turns (each then sees what the other committed). Malformed ids are skipped.
 */
export async function lockParcels(em: EntityManager, ids: readonly unknown[]): Promise<void> {
  const wellFormed = ids.filter((id): id is string => typeof id === 'string' && /^\d{1,18}$/.test(id));
  await lockParcelRows(em, wellFormed);
}

/** The parcels with these ids, by id (unknown ids are absent). */
export async function parcelTermsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, ParcelTerms>> {
  const rows = await selectParcelTerms(em, ids);
  return new Map(
    rows.map((r) => [
      r.id,
      {
        id: r.id,
        certificateNo: r.certificate_no,
        holderPartyId: r.holder_party_id,
        villageId: r.village_id,
        areaMu: r.area_mu,
        rightsStart: r.rights_start,
        rightsEnd: r.rights_end,
      },
    ]),
  );
}
