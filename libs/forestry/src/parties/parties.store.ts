import { EntityManager } from 'typeorm';
import type { PartyKind } from './party.model';

/** The only code that names the parties and pii_access_log tables in SQL. */

export interface PartyRefRow {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
  active: boolean;
}

/** Id, code, name, kind and active flag of the parties with these codes or ids; unknown ones are absent. */
export async function selectPartyRefs(em: EntityManager, by: { codes: readonly string[] } | { ids: readonly string[] }): Promise<PartyRefRow[]> {
  const select = `SELECT id::text AS id, code, name, kind, active FROM parties`;
  if ('codes' in by) {
    if (by.codes.length === 0) return [];
    return (await em.query(`${select} WHERE code = ANY($1::text[])`, [Array.from(new Set(by.codes))])) as PartyRefRow[];
  }
  if (by.ids.length === 0) return [];
  return (await em.query(`${select} WHERE id = ANY($1::bigint[])`, [Array.from(new Set(by.ids.map(String)))])) as PartyRefRow[];
}

/** The active members of one kind (VILLAGER, HOUSEHOLD) of the collective `collectiveCode`, in id order. */
export async function selectCollectiveMembers(em: EntityManager, collectiveCode: string, kind: PartyKind): Promise<PartyRefRow[]> {
  return (await em.query(
    `SELECT m.id::text AS id, m.code, m.name, m.kind, m.active FROM parties m JOIN parties c ON c.id = m.collective_id
      WHERE c.code = $1 AND m.kind = $2 AND m.active ORDER BY m.id`,
    [collectiveCode, kind],
  )) as PartyRefRow[];
}
