import { EntityManager } from 'typeorm';

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
  await em.query(`SELECT 1 FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [wellFormed]);
}

/** The parcels with these ids, by id (unknown ids are absent). */
export async function parcelTermsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, ParcelTerms>> {
  if (ids.length === 0) return new Map();
  const rows = (await em.query(
    `SELECT id, certificate_no, holder_party_id, village_id, area_mu::text AS area_mu, to_char(rights_start, 'YYYY-MM-DD') AS rights_start, to_char(rights_end, 'YYYY-MM-DD') AS rights_end
       FROM parcels WHERE id = ANY($1::bigint[])`,
    [Array.from(new Set(ids))],
  )) as Array<{ id: string; certificate_no: string; holder_party_id: string; village_id: string; area_mu: string; rights_start: string; rights_end: string }>;
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
