import { EntityManager } from 'typeorm';
import type { PartyKind } from './party.entity';

/** What another feature may know of a party: its id (for its own foreign keys), code, name, kind, and whether it is active. */
export interface PartyBrief {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
  active: boolean;
}

interface PartyBriefRow {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
  active: boolean;
}

const BRIEF_COLUMNS = `p.id::text AS id, p.code, p.name, p.kind, p.active`;

/** The parties with these codes, by code (unknown codes are absent). */
export async function partiesByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, PartyBrief>> {
  const wanted = [...new Set(codes.filter((c) => typeof c === 'string'))];
  if (wanted.length === 0) return new Map();
  const rows = (await em.query(`SELECT ${BRIEF_COLUMNS} FROM parties p WHERE p.code = ANY($1::text[])`, [wanted])) as PartyBriefRow[];
  return new Map(rows.map((r) => [r.code, { ...r }]));
}

/** The parties with these ids, by id (unknown ids are absent). */
export async function partiesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, PartyBrief>> {
  const wanted = [...new Set(ids.map(String))];
  if (wanted.length === 0) return new Map();
  const rows = (await em.query(`SELECT ${BRIEF_COLUMNS} FROM parties p WHERE p.id = ANY($1::bigint[])`, [wanted])) as PartyBriefRow[];
  return new Map(rows.map((r) => [r.id, { ...r }]));
}

/** The active members of one kind (VILLAGER, HOUSEHOLD) of the collective `collectiveCode`, by party id. */
export async function collectiveMembers(em: EntityManager, collectiveCode: string, kind: PartyKind): Promise<PartyBrief[]> {
  return (await em.query(`SELECT ${BRIEF_COLUMNS} FROM parties p JOIN parties c ON c.id = p.collective_id WHERE c.code = $1 AND p.kind = $2 AND p.active ORDER BY p.id`, [
    collectiveCode,
    kind,
  ])) as PartyBriefRow[];
}
