import { EntityManager } from 'typeorm';
import { RegionRefRow, selectRegionChildren, selectRegionsByIds } from './regions.store';

/** A village with its township and county (either null when the village hangs elsewhere). */
export interface VillageChain {
  village: RegionRefRow;
  township: RegionRefRow | null;
  county: RegionRefRow | null;
}

/** Each village with its township and county, by village id (two queries, whatever the count). */
export async function villageChains(em: EntityManager, villageIds: readonly string[]): Promise<Map<string, VillageChain>> {
  const villages = await selectRegionsByIds(em, villageIds);
  const townships = new Map(
    (
      await selectRegionsByIds(
        em,
        villages.flatMap((v) => (v.parent_id ? [v.parent_id] : [])),
      )
    ).map((t) => [t.id, t]),
  );
  const counties = new Map(
    (
      await selectRegionsByIds(
        em,
        [...townships.values()].flatMap((t) => (t.parent_id ? [t.parent_id] : [])),
      )
    ).map((c) => [c.id, c]),
  );
  return new Map(
    villages.map((v) => {
      const township = v.parent_id ? (townships.get(v.parent_id) ?? null) : null;
      const county = township?.parent_id ? (counties.get(township.parent_id) ?? null) : null;
      return [v.id, { village: v, township, county }];
    }),
  );
}

/** The villages of a region (itself for a village), each with its township, ordered by township code then village code. */
export async function villagesIn(em: EntityManager, region: RegionRefRow): Promise<Array<{ village: RegionRefRow; township: RegionRefRow }>> {
  if (region.level === 'VILLAGE') {
    const [township] = region.parent_id ? await selectRegionsByIds(em, [region.parent_id]) : [];
    return township ? [{ village: region, township }] : [];
  }
  const townships = region.level === 'TOWNSHIP' ? [region] : await selectRegionChildren(em, [region.id], 'TOWNSHIP');
  const byId = new Map(townships.map((t) => [t.id, t]));
  const villages = await selectRegionChildren(
    em,
    townships.map((t) => t.id),
    'VILLAGE',
  );
  return villages
    .map((village) => ({ village, township: byId.get(village.parent_id!)! }))
    .sort((a, b) => (a.township.code < b.township.code ? -1 : a.township.code > b.township.code ? 1 : a.village.code < b.village.code ? -1 : 1));
}
