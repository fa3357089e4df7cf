import { EntityManager } from 'typeorm';

/** The only code that names the parcels table in SQL. */

export interface ParcelRefRow {
  id: string;
  certificate_no: string;
  village_id: string;
  holder_party_id: string;
  /** numeric(14,4) as PostgreSQL prints it. */
  area_mu: string;
}

/** Id, certificate number, village, holder and area of the parcels with these certificate numbers or ids; unknown ones are absent. */
export async function selectParcelRefs(em: EntityManager, by: { codes: readonly string[] } | { ids: readonly string[] }): Promise<ParcelRefRow[]> {
  const select = `SELECT id, certificate_no, village_id, holder_party_id, area_mu::text AS area_mu FROM parcels`;
  if ('codes' in by) {
    if (by.codes.length === 0) return [];
    return (await em.query(`${select} WHERE certificate_no = ANY($1::text[])`, [Array.from(new Set(by.codes))])) as ParcelRefRow[];
  }
  if (by.ids.length === 0) return [];
  return (await em.query(`${select} WHERE id = ANY($1::bigint[])`, [Array.from(new Set(by.ids))])) as ParcelRefRow[];
}
