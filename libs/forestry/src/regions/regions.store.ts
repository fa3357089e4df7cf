import { EntityManager } from 'typeorm';
import type { RegionLevel } from './region.model';

/** The only code that names the regions table in SQL. */

export interface RegionRefRow {
  id: string;
  code: string;
  name: string;
  level: RegionLevel;
  parent_id: string | null;
}

/** The regions with these ids; unknown ids are absent. */
export async function selectRegionsByIds(em: EntityManager, ids: readonly string[]): Promise<RegionRefRow[]> {
  if (ids.length === 0) return [];
  return await em.query<RegionRefRow[]>(`SELECT id, code, name, level, parent_id FROM regions WHERE id = ANY($1::bigint[])`, [Array.from(new Set(ids))]);
}

/** Ids of the regions whose code starts with `codePrefix` (a township's code finds itself and its villages). */
export async function selectRegionIdsUnder(em: EntityManager, codePrefix: string): Promise<string[]> {
  const rows = await em.query<Array<{ id: string }>>(`SELECT id FROM regions WHERE code LIKE $1 || '%'`, [codePrefix]);
  return rows.map((r) => r.id);
}

export async function selectRegionByCode(em: EntityManager, code: string): Promise<RegionRefRow | undefined> {
  const [row] = await em.query<RegionRefRow[]>(`SELECT id, code, name, level, parent_id FROM regions WHERE code = $1`, [code]);
  return row;
}

/** The children of these regions at `level`, by code. */
export async function selectRegionChildren(em: EntityManager, parentIds: readonly string[], level: RegionLevel): Promise<RegionRefRow[]> {
  if (parentIds.length === 0) return [];
  return await em.query<RegionRefRow[]>(`SELECT id, code, name, level, parent_id FROM regions WHERE parent_id = ANY($1::bigint[]) AND level = $2 ORDER BY code`, [
    Array.from(new Set(parentIds)),
    level,
  ]);
}

/** A region with its parent's code (a self-join inside the regions table). */
export interface RegionRow {
  id: string;
  code: string;
  name: string;
  level: RegionLevel;
  parent_code: string | null;
}

const COLUMNS = `r.id, r.code, r.name, r.level, p.code AS parent_code`;
const FROM = `regions r LEFT JOIN regions p ON p.id = r.parent_id`;

export const regionsStore = {
  /** Null when the code is taken (ON CONFLICT DO NOTHING). */
  async insert(em: EntityManager, row: { code: string; name: string; level: RegionLevel; parentId: string | null }): Promise<{ id: string } | null> {
    const rows = await em.query<Array<{ id: string }>>(`INSERT INTO regions (code, name, level, parent_id) VALUES ($1, $2, $3, $4) ON CONFLICT (code) DO NOTHING RETURNING id`, [
      row.code,
      row.name,
      row.level,
      row.parentId,
    ]);
    return rows[0] ?? null;
  },

  async byCode(em: EntityManager, code: string): Promise<RegionRow | undefined> {
    const [row] = await em.query<RegionRow[]>(`SELECT ${COLUMNS} FROM ${FROM} WHERE r.code = $1`, [code]);
    return row;
  },

  async byId(em: EntityManager, id: string): Promise<RegionRow | undefined> {
    const [row] = await em.query<RegionRow[]>(`SELECT ${COLUMNS} FROM ${FROM} WHERE r.id = $1`, [id]);
    return row;
  },

  /** By code: the children of `parentCode`, or (neither given) the counties; `level` narrows. */
  async list(em: EntityManager, filter: { parentCode?: string; level?: RegionLevel; topOnly: boolean }): Promise<RegionRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (filter.parentCode !== undefined) {
      params.push(filter.parentCode);
      where.push(`p.code = $${params.length}`);
    } else if (filter.topOnly) {
      where.push(`r.parent_id IS NULL`);
    }
    if (filter.level !== undefined) {
      params.push(filter.level);
      where.push(`r.level = $${params.length}`);
    }
    return await em.query<RegionRow[]>(`SELECT ${COLUMNS} FROM ${FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.code`, params);
  },

  async villagesOf(em: EntityManager, townshipId: string): Promise<RegionRow[]> {
    return await em.query<RegionRow[]>(`SELECT ${COLUMNS} FROM ${FROM} WHERE r.parent_id = $1 AND r.level = 'VILLAGE' ORDER BY r.code`, [townshipId]);
  },
};

/** The regions with these codes; unknown codes are absent. */
export async function selectRegionsByCodes(em: EntityManager, codes: readonly string[]): Promise<RegionRefRow[]> {
  if (codes.length === 0) return [];
  return await em.query<RegionRefRow[]>(`SELECT id, code, name, level, parent_id FROM regions WHERE code = ANY($1::text[])`, [Array.from(new Set(codes))]);
}

/** The direct children of these regions (any level), by code. */
export async function selectAllRegionChildren(em: EntityManager, parentIds: readonly string[]): Promise<RegionRefRow[]> {
  if (parentIds.length === 0) return [];
  return await em.query<RegionRefRow[]>(`SELECT id, code, name, level, parent_id FROM regions WHERE parent_id = ANY($1::bigint[]) ORDER BY code`, [Array.from(new Set(parentIds))]);
}
