import { EntityManager } from 'typeorm';
import type { RegionLevel } from './region.model';
import { selectAllRegionChildren, selectRegionsByCodes, selectRegionsByIds } from './regions.store';

/** What other features may know of a region, instead of `JOIN regions`. */
export interface RegionRef {
  id: string;
  code: string;
  name: string;
  level: RegionLevel;
  parentId: string | null;
}

function toRefs(rows: Array<{ id: string; code: string; name: string; level: RegionLevel; parent_id: string | null }>): RegionRef[] {
  return rows.map((r) => ({ id: r.id, code: r.code, name: r.name, level: r.level, parentId: r.parent_id }));
}

/** The regions with these codes, by code (unknown codes are absent). */
export async function regionsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, RegionRef>> {
  return new Map(toRefs(await selectRegionsByCodes(em, codes)).map((r) => [r.code, r]));
}

/** The regions with these ids, by id (unknown ids are absent). */
export async function regionsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, RegionRef>> {
  return new Map(toRefs(await selectRegionsByIds(em, ids)).map((r) => [r.id, r]));
}

/** The direct children of these regions, by code. */
export async function childRegions(em: EntityManager, parentIds: readonly string[]): Promise<RegionRef[]> {
  return toRefs(await selectAllRegionChildren(em, parentIds));
}
