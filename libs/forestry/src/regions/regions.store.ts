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
