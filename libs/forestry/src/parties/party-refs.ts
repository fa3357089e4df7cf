import { EntityManager } from 'typeorm';
import { PartyRefRow, selectCollectiveMembers, selectPartyRefs } from './parties.store';

/** What other features may know of a party (id, code, name, kind, active), instead of `JOIN parties`. */
export type PartyRef = PartyRefRow;
/** The same shape under the name some features use. */
export type { PartyRefRow };

/** The parties with these codes, by code (unknown codes are absent). */
export async function partiesByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, PartyRef>> {
  return new Map((await selectPartyRefs(em, { codes })).map((r) => [r.code, r]));
}

/** The parties with these ids, by id (unknown ids are absent). */
export async function partiesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, PartyRef>> {
  return new Map((await selectPartyRefs(em, { ids })).map((r) => [r.id, r]));
}

/** The active members of one kind (VILLAGER, HOUSEHOLD) of the collective `collectiveCode`, in id order. */
export function collectiveMembers(em: EntityManager, collectiveCode: string, kind: PartyRef['kind']): Promise<PartyRef[]> {
  return selectCollectiveMembers(em, collectiveCode, kind);
}

/** Which of these parties are deactivated, by code (unknown codes are absent). */
export async function inactivePartyCodes(em: EntityManager, codes: readonly string[]): Promise<Set<string>> {
  return new Set([...(await partiesByCodes(em, codes)).values()].filter((p) => !p.active).map((p) => p.code));
}
