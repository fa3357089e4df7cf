import { EntityManager } from 'typeorm';
import type { PartyKind } from './party.model';

/** The only code that names the parties and pii_access_log tables in SQL. */

export interface PartyRefRow {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
  active: boolean;
  id_masked: string | null;
  collective_id: string | null;
  household_id: string | null;
  household_code: string | null;
}

const PARTY_REF_SELECT = `SELECT p.id::text AS id, p.code, p.name, p.kind, p.active, p.id_masked, p.collective_id::text AS collective_id,
    p.household_id::text AS household_id, h.code AS household_code
  FROM parties p LEFT JOIN parties h ON h.id = p.household_id`;

/** What other features may know of the parties with these codes or ids; unknown ones are absent. */
export async function selectPartyRefs(em: EntityManager, by: { codes: readonly string[] } | { ids: readonly string[] }): Promise<PartyRefRow[]> {
  if ('codes' in by) {
    if (by.codes.length === 0) return [];
    return (await em.query(`${PARTY_REF_SELECT} WHERE p.code = ANY($1::text[])`, [Array.from(new Set(by.codes))])) as PartyRefRow[];
  }
  if (by.ids.length === 0) return [];
  return (await em.query(`${PARTY_REF_SELECT} WHERE p.id = ANY($1::bigint[])`, [Array.from(new Set(by.ids.map(String)))])) as PartyRefRow[];
}

/** The active members of one kind (VILLAGER, HOUSEHOLD) of the collective `collectiveCode`, in id order. */
export async function selectCollectiveMembers(em: EntityManager, collectiveCode: string, kind: PartyKind): Promise<PartyRefRow[]> {
  return (await em.query(`${PARTY_REF_SELECT} JOIN parties c ON c.id = p.collective_id WHERE c.code = $1 AND p.kind = $2 AND p.active ORDER BY p.id`, [
    collectiveCode,
    kind,
  ])) as PartyRefRow[];
}

/** The active villagers of a collective (by id), with their household's code and their relation to its head (as the roster import records it). */
export async function selectActiveVillagers(em: EntityManager, collectiveId: string): Promise<Array<{ code: string; household: string; relation: string | null }>> {
  return (await em.query(
    `SELECT v.code, h.code AS household, v.metadata ->> 'relation' AS relation FROM parties v JOIN parties h ON h.id = v.household_id
      WHERE v.kind = 'VILLAGER' AND v.active AND v.collective_id = $1`,
    [collectiveId],
  )) as Array<{ code: string; household: string; relation: string | null }>;
}

/** Ids of the parties registered in these regions (their own region, not the regions below). */
export async function selectPartyIdsInRegions(em: EntityManager, regionIds: readonly string[]): Promise<string[]> {
  if (regionIds.length === 0) return [];
  const rows = (await em.query(`SELECT id::text AS id FROM parties WHERE region_id = ANY($1::bigint[]) ORDER BY id`, [[...new Set(regionIds)]])) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}
