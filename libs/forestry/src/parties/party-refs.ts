import { EntityManager } from 'typeorm';
import type { PartyKind } from './party.entity';

/** What other features need to know of a party: ids ↔ codes ↔ names (the parties feature owns the table). */
export interface PartyRef {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
  active: boolean;
  idMasked: string | null;
}

type PartyRefRow = { id: string; code: string; name: string; kind: PartyKind; active: boolean; id_masked: string | null };

const PARTY_REF_COLUMNS = `id::text AS id, code, name, kind, active, id_masked`;

const toRef = (r: PartyRefRow): PartyRef => ({ id: r.id, code: r.code, name: r.name, kind: r.kind, active: r.active, idMasked: r.id_masked });

/** The parties with these codes, by code (unknown codes are absent). */
export async function partyRefsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, PartyRef>> {
  if (codes.length === 0) return new Map();
  const rows = (await em.query(`SELECT ${PARTY_REF_COLUMNS} FROM parties WHERE code = ANY($1::text[])`, [[...new Set(codes)]])) as PartyRefRow[];
  return new Map(rows.map((r) => [r.code, toRef(r)]));
}

/** The parties with these ids, by id (unknown ids are absent). */
export async function partyRefsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, PartyRef>> {
  if (ids.length === 0) return new Map();
  const rows = (await em.query(`SELECT ${PARTY_REF_COLUMNS} FROM parties WHERE id = ANY($1::bigint[])`, [[...new Set(ids)]])) as PartyRefRow[];
  return new Map(rows.map((r) => [r.id, toRef(r)]));
}

/** Ids of the parties registered in these regions (their own region, not the regions below). */
export async function partyIdsInRegions(em: EntityManager, regionIds: readonly string[]): Promise<string[]> {
  if (regionIds.length === 0) return [];
  const rows = (await em.query(`SELECT id::text AS id FROM parties WHERE region_id = ANY($1::bigint[]) ORDER BY id`, [[...new Set(regionIds)]])) as Array<{ id: string }>;
  return rows.map((r) => r.id);
}
