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
  return (await em.query(`SELECT id, code, name, level, parent_id FROM regions WHERE id = ANY($1::bigint[])`, [Array.from(new Set(ids))])) as RegionRefRow[];
}

/** Ids of the regions whose code starts with `codePrefix` (a township's code finds itself and its villages). */
export async function selectRegionIdsUnder(em: EntityManager, codePrefix: string): Promise<string[]> {
  const rows = (await em.query(`SELECT id FROM regions WHERE code LIKE $1 || '%'`, [codePrefix])) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}

export async function selectRegionByCode(em: EntityManager, code: string): Promise<RegionRefRow | undefined> {
  const [row] = (await em.query(`SELECT id, code, name, level, parent_id FROM regions WHERE code = $1`, [code])) as RegionRefRow[];
  return row;
}

/** The children of these regions at `level`, by code. */
export async function selectRegionChildren(em: EntityManager, parentIds: readonly string[], level: RegionLevel): Promise<RegionRefRow[]> {
  if (parentIds.length === 0) return [];
  return (await em.query(`SELECT id, code, name, level, parent_id FROM regions WHERE parent_id = ANY($1::bigint[]) AND level = $2 ORDER BY code`, [
    Array.from(new Set(parentIds)),
    level,
  ])) as RegionRefRow[];
}
