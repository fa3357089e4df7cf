import { EntityManager } from 'typeorm';
import { lockParcels } from './parcel-terms';
import { ParcelRefRow, selectParcelRefs } from './parcels.store';

/** What other features may know of a parcel, instead of `JOIN parcels` (the parcels feature owns the table). */
export interface ParcelRef {
  id: string;
  /** The certificate number (林权证号); also as `certificateNo`. */
  code: string;
  certificateNo: string;
  villageId: string;
  holderPartyId: string;
  /** 亩, 4 decimals, as a decimal string. */
  areaMu: string;
  location: string;
}

/** One query, no joins: callers on a list's hot path count their queries. */
function toRef(r: ParcelRefRow): ParcelRef {
  return { id: r.id, code: r.certificate_no, certificateNo: r.certificate_no, villageId: r.village_id, holderPartyId: r.holder_party_id, areaMu: r.area_mu, location: r.location };
}

/** The parcels with these certificate numbers, by certificate number, in certificate order (unknown ones are absent). */
export async function parcelsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, ParcelRef>> {
  return new Map((await selectParcelRefs(em, { codes })).map((r) => [r.certificate_no, toRef(r)]));
}

/** The parcels with these ids, by id, in certificate order (unknown ids are absent). */
export async function parcelsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, ParcelRef>> {
  return new Map((await selectParcelRefs(em, { ids: ids.map(String) })).map((r) => [r.id, toRef(r)]));
}

/** Locks the parcels in id order until the caller's transaction ends (see lockParcels): attachments of one parcel take turns. */
export function lockParcelsForAttachment(em: EntityManager, ids: readonly unknown[]): Promise<void> {
  return lockParcels(em, ids);
}
