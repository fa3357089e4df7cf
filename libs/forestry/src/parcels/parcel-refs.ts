import { EntityManager } from 'typeorm';

/** What other features show of a parcel (the parcels feature owns the table; others ask here instead of joining it). */
export interface ParcelRef {
  id: string;
  certificateNo: string;
  /** 亩, as stored (numeric text). */
  areaMu: string;
  location: string;
}

/** The parcels with these ids, in the order of their certificate numbers (unknown ids are simply absent from the map). */
export async function parcelRefs(em: EntityManager, ids: readonly string[]): Promise<Map<string, ParcelRef>> {
  if (ids.length === 0) return new Map();
  const rows = (await em.query(`SELECT id, certificate_no, area_mu::text AS area_mu, location FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY certificate_no`, [
    Array.from(new Set(ids)),
  ])) as Array<{
    id: string;
    certificate_no: string;
    area_mu: string;
    location: string;
  }>;
  return new Map(rows.map((r) => [r.id, { id: r.id, certificateNo: r.certificate_no, areaMu: r.area_mu, location: r.location }]));
}

/**
 * Locks these parcels FOR NO KEY UPDATE in id order (malformed ids ignored), so that two attachments
 * made at once cannot both find them free (FOR SHARE alone does not exclude each other).
 */
export async function lockParcelsForAttachment(em: EntityManager, ids: readonly string[]): Promise<void> {
  await em.query(`SELECT 1 FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [ids.filter((id) => typeof id === 'string' && /^\d{1,18}$/.test(id))]);
}
