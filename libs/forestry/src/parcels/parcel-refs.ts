import { EntityManager } from 'typeorm';

/** What other features may know of a parcel, instead of `JOIN parcels`. The code is the certificate number (林权证号). */
export interface ParcelRef {
  id: string;
  code: string;
  /** 亩, 4 decimals, as a decimal string. */
  areaMu: string;
}

/** The parcels with these ids, by id (unknown ids are absent). */
export async function parcelsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, ParcelRef>> {
  if (ids.length === 0) return new Map();
  const rows = (await em.query(`SELECT id::text AS id, certificate_no, area_mu::text AS area_mu FROM parcels WHERE id = ANY($1::bigint[])`, [
    [...new Set(ids.map(String))],
  ])) as Array<{
    id: string;
    certificate_no: string;
    area_mu: string;
  }>;
  return new Map(rows.map((r) => [r.id, { id: r.id, code: r.certificate_no, areaMu: r.area_mu }]));
}

/**
 * Locks the parcels (well-formed ids only) FOR NO KEY UPDATE in id order until the caller's transaction
 * ends, so that two writers attaching the same parcels run one after the other.
 */
export async function lockParcelsForAttachment(em: EntityManager, ids: readonly string[]): Promise<void> {
  await em.query(`SELECT 1 FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [ids.filter((id) => typeof id === 'string' && /^\d{1,18}$/.test(id))]);
}
