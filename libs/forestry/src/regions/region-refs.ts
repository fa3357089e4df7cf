import { EntityManager } from 'typeorm';
import type { RegionLevel } from './region.model';

/** What other features may know of a region, instead of `JOIN regions`. */
export interface RegionRef {
  id: string;
  code: string;
  name: string;
  level: RegionLevel;
  parentId: string | null;
}

const SELECT = `SELECT id, code, name, level, parent_id FROM regions`;

function toRefs(rows: Array<{ id: string; code: string; name: string; level: RegionLevel; parent_id: string | null }>): RegionRef[] {
  return rows.map((r) => ({ id: r.id, code: r.code, name: r.name, level: r.level, parentId: r.parent_id }));
}

/** The regions with these codes, by code (unknown codes are absent). */
export async function regionsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, RegionRef>> {
  if (codes.length === 0) return new Map();
  return new Map(toRefs(await em.query(`${SELECT} WHERE code = ANY($1::text[])`, [Array.from(new Set(codes))])).map((r) => [r.code, r]));
}

/** The regions with these ids, by id (unknown ids are absent). */
export async function regionsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, RegionRef>> {
  if (ids.length === 0) return new Map();
  return new Map(toRefs(await em.query(`${SELECT} WHERE id = ANY($1::bigint[])`, [Array.from(new Set(ids))])).map((r) => [r.id, r]));
}

/** The direct children of these regions, by code. */
export async function childRegions(em: EntityManager, parentIds: readonly string[]): Promise<RegionRef[]> {
  if (parentIds.length === 0) return [];
  return toRefs(await em.query(`${SELECT} WHERE parent_id = ANY($1::bigint[]) ORDER BY code`, [Array.from(new Set(parentIds))]));
}
