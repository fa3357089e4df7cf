import { EntityManager } from 'typeorm';
import type { CertificateState, ParcelDraft } from './parcel-import';

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
    return await em.query<ParcelRefRow[]>(`${select} WHERE certificate_no = ANY($1::text[]) ORDER BY certificate_no`, [Array.from(new Set(by.codes))]);
  }
  if (by.ids.length === 0) return [];
  return await em.query<ParcelRefRow[]>(`${select} WHERE id = ANY($1::bigint[]) ORDER BY certificate_no`, [Array.from(new Set(by.ids))]);
}

/** A parcel row as the parcels feature reads it (holder and village by id; their names come from their features). */
export interface ParcelRow {
  id: string;
  certificate_no: string;
  real_estate_unit_no: string | null;
  holder_party_id: string;
  village_id: string;
  location: string;
  forest_compartment: string;
  sub_compartment: string;
  area_mu: string;
  forest_type: string;
  main_species: string;
  rights_start: string;
  rights_end: string;
  certificate_state: CertificateState;
  mortgaged: boolean;
  seized: boolean;
  remarks: string | null;
  created_at: Date;
}

export interface ParcelRowFilter {
  holderIds?: string[];
  villageIds?: string[];
  certificateState?: CertificateState;
  mortgaged?: boolean;
  seized?: boolean;
  afterId?: string;
  limit: number;
}

export interface SummaryGroupRow {
  village_id: string;
  certificate_state: CertificateState;
  parcels: number;
  area_mu: string;
  mortgaged: number;
  mortgaged_area: string;
  seized: number;
  seized_area: string;
}

const SELECT = `SELECT id, certificate_no, real_estate_unit_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu::text AS area_mu,
  forest_type, main_species, rights_start::text AS rights_start, rights_end::text AS rights_end, certificate_state, mortgaged, seized, remarks, created_at FROM parcels`;

export const parcelsStore = {
  /** By id or certificate number (the id wins when both match), among `holderIds` when given. */
  async findOne(em: EntityManager, by: { certificateNo: string; id: string | null; holderIds: string[] | null }): Promise<ParcelRow | undefined> {
    const params: unknown[] = [by.certificateNo];
    let match = 'certificate_no = $1';
    let order = '';
    if (by.id !== null) {
      params.push(by.id);
      match = `(id = $2::bigint OR certificate_no = $1)`;
      order = `ORDER BY (id = $2::bigint) DESC`;
    }
    if (by.holderIds !== null) {
      params.push(by.holderIds);
      match += ` AND holder_party_id = ANY($${params.length}::bigint[])`;
    }
    const [row] = await em.query<ParcelRow[]>(`${SELECT} WHERE ${match} ${order} LIMIT 1`, params);
    return row;
  },

  /** Keyset page by id. */
  async list(em: EntityManager, filter: ParcelRowFilter): Promise<ParcelRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.split('?').join(`$${params.length}`));
    };
    if (filter.holderIds !== undefined) add('holder_party_id = ANY(?::bigint[])', filter.holderIds);
    if (filter.villageIds !== undefined) add('village_id = ANY(?::bigint[])', filter.villageIds);
    if (filter.certificateState !== undefined) add('certificate_state = ?', filter.certificateState);
    if (filter.mortgaged !== undefined) add('mortgaged = ?', filter.mortgaged);
    if (filter.seized !== undefined) add('seized = ?', filter.seized);
    if (filter.afterId !== undefined) add('id > ?::bigint', filter.afterId);
    params.push(filter.limit);
    return await em.query<ParcelRow[]>(`${SELECT} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id LIMIT $${params.length}`, params);
  },

  /** Counts and areas per village and certificate state (and of those mortgaged, seized), exact. */
  async summaryGroups(em: EntityManager, villageIds: readonly string[]): Promise<SummaryGroupRow[]> {
    if (villageIds.length === 0) return [];
    return await em.query<SummaryGroupRow[]>(
      `SELECT village_id, certificate_state, count(*)::int AS parcels, sum(area_mu)::text AS area_mu,
              count(*) FILTER (WHERE mortgaged)::int AS mortgaged, COALESCE(sum(area_mu) FILTER (WHERE mortgaged), 0)::text AS mortgaged_area,
              count(*) FILTER (WHERE seized)::int AS seized, COALESCE(sum(area_mu) FILTER (WHERE seized), 0)::text AS seized_area
         FROM parcels WHERE village_id = ANY($1::bigint[])
        GROUP BY village_id, certificate_state`,
      [villageIds],
    );
  },

  /** Locks the parcels FOR SHARE in id order (`ids` sorted by the caller). */
  async lockForShare(em: EntityManager, ids: readonly string[]): Promise<ParcelRow[]> {
    if (ids.length === 0) return [];
    return await em.query<ParcelRow[]>(`${SELECT} WHERE id = ANY($1::bigint[]) ORDER BY id FOR SHARE`, [ids]);
  },

  async existingCertificates(em: EntityManager, numbers: readonly string[]): Promise<Set<string>> {
    if (numbers.length === 0) return new Set();
    const rows = await em.query<Array<{ certificate_no: string }>>(`SELECT certificate_no FROM parcels WHERE certificate_no = ANY($1::text[])`, [numbers]);
    return new Set(rows.map((r) => r.certificate_no));
  },

  /** 不动产单元号 → the certificate number of the parcel registered with it. */
  async existingUnits(em: EntityManager, units: readonly string[]): Promise<Map<string, string>> {
    if (units.length === 0) return new Map();
    const rows = await em.query<
      Array<{
        real_estate_unit_no: string;
        certificate_no: string;
      }>
    >(`SELECT real_estate_unit_no, certificate_no FROM parcels WHERE real_estate_unit_no = ANY($1::text[])`, [units]);
    return new Map(rows.map((r) => [r.real_estate_unit_no, r.certificate_no]));
  },

  /** One INSERT, rows in the order given; rows lost to a unique key are absent from the answer. */
  async insertMany(em: EntityManager, villageId: string, drafts: ReadonlyArray<ParcelDraft & { holderPartyId: string }>): Promise<Array<{ id: string; certificate_no: string }>> {
    const col = <T>(pick: (d: ParcelDraft & { holderPartyId: string }) => T): T[] => drafts.map(pick);
    return await em.query<Array<{ id: string; certificate_no: string }>>(
      `INSERT INTO parcels (certificate_no, real_estate_unit_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu,
                            forest_type, main_species, rights_start, rights_end, certificate_state, mortgaged, seized, remarks)
       SELECT cn, ru, hp, $1::bigint, lo, fc, sc, am, ft, ms, rs, re, cs, mo, se, rm
         FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::numeric[], $9::text[], $10::text[],
                     $11::date[], $12::date[], $13::text[], $14::boolean[], $15::boolean[], $16::text[])
              WITH ORDINALITY AS t(cn, ru, hp, lo, fc, sc, am, ft, ms, rs, re, cs, mo, se, rm, ord)
        ORDER BY ord
       ON CONFLICT DO NOTHING
       RETURNING id, certificate_no`,
      [
        villageId,
        col((d) => d.certificateNo),
        col((d) => d.realEstateUnitNo ?? null),
        col((d) => d.holderPartyId),
        col((d) => d.location),
        col((d) => d.forestCompartment),
        col((d) => d.subCompartment),
        col((d) => d.areaMu),
        col((d) => d.forestType),
        col((d) => d.mainSpecies),
        col((d) => d.rightsStart),
        col((d) => d.rightsEnd),
        col((d) => d.certificateState),
        col((d) => d.mortgaged),
        col((d) => d.seized),
        col((d) => d.remarks ?? null),
      ],
    );
  },

  async deleteByIds(em: EntityManager, ids: readonly string[]): Promise<void> {
    await em.query(`DELETE FROM parcels WHERE id = ANY($1::bigint[])`, [ids]);
  },
};

/** A parcel's certificate, holder, village, area and rights term (YYYY-MM-DD). */
export interface ParcelTermsRow {
  id: string;
  certificate_no: string;
  holder_party_id: string;
  village_id: string;
  area_mu: string;
  rights_start: string;
  rights_end: string;
}

/** Locks the parcels FOR NO KEY UPDATE in id order until the caller's transaction ends. */
export async function lockParcelRows(em: EntityManager, ids: readonly string[]): Promise<void> {
  await em.query(`SELECT 1 FROM parcels WHERE id = ANY($1::bigint[]) ORDER BY id FOR NO KEY UPDATE`, [ids]);
}

export async function selectParcelTerms(em: EntityManager, ids: readonly string[]): Promise<ParcelTermsRow[]> {
  if (ids.length === 0) return [];
  return await em.query<ParcelTermsRow[]>(
    `SELECT id, certificate_no, holder_party_id, village_id, area_mu::text AS area_mu, to_char(rights_start, 'YYYY-MM-DD') AS rights_start, to_char(rights_end, 'YYYY-MM-DD') AS rights_end
       FROM parcels WHERE id = ANY($1::bigint[])`,
    [Array.from(new Set(ids))],
  );
}
