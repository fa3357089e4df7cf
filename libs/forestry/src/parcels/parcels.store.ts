import { EntityManager } from 'typeorm';

/** The only code that names the parcels table in SQL. */

export interface ParcelRefRow {
  id: string;
  certificate_no: string;
  village_id: string;
  holder_party_id: string;
  /** numeric(14,4) as PostgreSQL prints it. */
  area_mu: string;
  location: string;
}

/** Id, certificate number, village, holder and area of the parcels with these certificate numbers or ids; unknown ones are absent. */
export async function selectParcelRefs(em: EntityManager, by: { codes: readonly string[] } | { ids: readonly string[] }): Promise<ParcelRefRow[]> {
  const select = `SELECT id::text AS id, certificate_no, village_id::text AS village_id, holder_party_id::text AS holder_party_id, area_mu::text AS area_mu, location FROM parcels`;
  if ('codes' in by) {
    if (by.codes.length === 0) return [];
    return (await em.query(`${select} WHERE certificate_no = ANY($1::text[]) ORDER BY certificate_no`, [Array.from(new Set(by.codes))])) as ParcelRefRow[];
  }
  if (by.ids.length === 0) return [];
  return (await em.query(`${select} WHERE id = ANY($1::bigint[]) ORDER BY certificate_no`, [Array.from(new Set(by.ids))])) as ParcelRefRow[];
}
