import { EntityManager } from 'typeorm';
import type { PartyKind } from './party.entity';

/** What another feature may know of a party: its id, code, name, kind and whether it is active. */
export interface PartyRefRow {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
  active: boolean;
}

const SELECT = `SELECT id::text AS id, code, name, kind, active FROM parties`;

/** The parties with these codes, by code (unknown codes are absent). */
export async function partiesByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, PartyRefRow>> {
  if (codes.length === 0) return new Map();
  const rows = (await em.query(`${SELECT} WHERE code = ANY($1::text[])`, [[...new Set(codes)]])) as PartyRefRow[];
  return new Map(rows.map((r) => [r.code, r]));
}

/** The parties with these ids, by id (unknown ids are absent). */
export async function partiesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, PartyRefRow>> {
  if (ids.length === 0) return new Map();
  const rows = (await em.query(`${SELECT} WHERE id = ANY($1::bigint[])`, [[...new Set(ids.map(String))]])) as PartyRefRow[];
  return new Map(rows.map((r) => [r.id, r]));
}
