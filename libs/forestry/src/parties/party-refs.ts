import { EntityManager } from 'typeorm';
import type { PartyKind } from './party.entity';

/** What other features need to know of a party (the parties feature owns the table; others ask here instead of joining it). */
export interface PartyRef {
  id: string;
  code: string;
  kind: PartyKind;
  name: string;
  active: boolean;
  idMasked: string | null;
  /** For a household or villager: its collective; for a villager also its household. */
  collectiveId: string | null;
  householdId: string | null;
  householdCode: string | null;
}

interface PartyRefRow {
  id: string;
  code: string;
  kind: PartyKind;
  name: string;
  active: boolean;
  id_masked: string | null;
  collective_id: string | null;
  household_id: string | null;
  household_code: string | null;
}

const PARTY_REF_SELECT = `SELECT p.id, p.code, p.kind, p.name, p.active, p.id_masked, p.collective_id, p.household_id, h.code AS household_code
  FROM parties p LEFT JOIN parties h ON h.id = p.household_id`;

function partyRefOf(r: PartyRefRow): PartyRef {
  return {
    id: r.id,
    code: r.code,
    kind: r.kind,
    name: r.name,
    active: r.active,
    idMasked: r.id_masked,
    collectiveId: r.collective_id,
    householdId: r.household_id,
    householdCode: r.household_code,
  };
}

/** The parties with these codes (unknown codes are simply absent from the map). */
export async function partyRefs(em: EntityManager, codes: readonly string[]): Promise<Map<string, PartyRef>> {
  if (codes.length === 0) return new Map();
  const rows = (await em.query(`${PARTY_REF_SELECT} WHERE p.code = ANY($1::text[])`, [Array.from(new Set(codes))])) as PartyRefRow[];
  return new Map(rows.map((r) => [r.code, partyRefOf(r)]));
}

/** The parties with these ids (unknown ids are simply absent from the map). */
export async function partyRefsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, PartyRef>> {
  if (ids.length === 0) return new Map();
  const rows = (await em.query(`${PARTY_REF_SELECT} WHERE p.id = ANY($1::bigint[])`, [Array.from(new Set(ids))])) as PartyRefRow[];
  return new Map(rows.map((r) => [r.id, partyRefOf(r)]));
}

/** The active villagers of a collective, with their household's code and their relation to its head (as the roster import records it). */
export async function activeVillagersOf(em: EntityManager, collectiveId: string): Promise<Array<{ code: string; household: string; relation: string | null }>> {
  return (await em.query(
    `SELECT v.code, h.code AS household, v.metadata ->> 'relation' AS relation FROM parties v JOIN parties h ON h.id = v.household_id
      WHERE v.kind = 'VILLAGER' AND v.active AND v.collective_id = $1`,
    [collectiveId],
  )) as Array<{ code: string; household: string; relation: string | null }>;
}

/** A person's name for public display: the first and last characters kept (张守仁 → 张*仁, 李明 → 李*). */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return chars.join('');
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** Ids of the parties registered in these regions (their own region, not the regions below). */
export async function partyIdsInRegions(em: EntityManager, regionIds: readonly string[]): Promise<string[]> {
  if (regionIds.length === 0) return [];
  const rows = (await em.query(`SELECT id::text AS id FROM parties WHERE region_id = ANY($1::bigint[]) ORDER BY id`, [[...new Set(regionIds)]])) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}
