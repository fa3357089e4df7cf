import { EntityManager } from 'typeorm';
import { selectPartyRefs } from './parties.store';
import type { PartyKind } from './party.model';

/** What other features may know of a party, instead of `JOIN parties`. */
export interface PartyRef {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
}

/** The parties with these codes, by code (unknown codes are absent). */
export async function partiesByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, PartyRef>> {
  const rows = await selectPartyRefs(em, { codes });
  return new Map(rows.map((r) => [r.code, { id: r.id, code: r.code, name: r.name, kind: r.kind }]));
}

/** The parties with these ids, by id (unknown ids are absent). */
export async function partiesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, PartyRef>> {
  const rows = await selectPartyRefs(em, { ids });
  return new Map(rows.map((r) => [r.id, { id: r.id, code: r.code, name: r.name, kind: r.kind }]));
}

/** Which of these parties are deactivated, by code (unknown codes are absent). */
export async function inactivePartyCodes(em: EntityManager, codes: readonly string[]): Promise<Set<string>> {
  if (codes.length === 0) return new Set();
  const rows = (await em.query(`SELECT code FROM parties WHERE code = ANY($1::text[]) AND NOT active`, [Array.from(new Set(codes))])) as Array<{ code: string }>;
  return new Set(rows.map((r) => r.code));
}
