import { EntityManager } from 'typeorm';
import { PartyRefRow, selectActiveVillagers, selectCollectiveMembers, selectPartyIdsInRegions, selectPartyRefs } from './parties.store';
import type { IdKind, PartyKind } from './party.model';

/** What other features may know of a party, instead of `JOIN parties` (the parties feature owns the table). */
export interface PartyRef {
  id: string;
  code: string;
  kind: PartyKind;
  name: string;
  active: boolean;
  /** Which number idMasked is: a person's 身份证号 (RESIDENT_ID) or an organisation's 统一社会信用代码 (CREDIT_CODE). */
  idKind: IdKind | null;
  idMasked: string | null;
  /** For a household or villager: its collective; for a villager also its household. */
  collectiveId: string | null;
  householdId: string | null;
  householdCode: string | null;
}

function partyRefOf(r: PartyRefRow): PartyRef {
  return {
    id: r.id,
    code: r.code,
    kind: r.kind,
    name: r.name,
    active: r.active,
    idKind: r.id_kind,
    idMasked: r.id_masked,
    collectiveId: r.collective_id,
    householdId: r.household_id,
    householdCode: r.household_code,
  };
}

/** The parties with these codes, by code (unknown codes are absent). */
export async function partiesByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, PartyRef>> {
  return new Map((await selectPartyRefs(em, { codes })).map((r) => [r.code, partyRefOf(r)]));
}

/** The parties with these ids, by id (unknown ids are absent). */
export async function partiesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, PartyRef>> {
  return new Map((await selectPartyRefs(em, { ids })).map((r) => [r.id, partyRefOf(r)]));
}

/** The active members of one kind (VILLAGER, HOUSEHOLD) of the collective `collectiveCode`, in id order. */
export async function collectiveMembers(em: EntityManager, collectiveCode: string, kind: PartyKind): Promise<PartyRef[]> {
  return (await selectCollectiveMembers(em, collectiveCode, kind)).map(partyRefOf);
}

/** Which of these parties are deactivated, by code (unknown codes are absent). */
export async function inactivePartyCodes(em: EntityManager, codes: readonly string[]): Promise<Set<string>> {
  return new Set([...(await partiesByCodes(em, codes)).values()].filter((p) => !p.active).map((p) => p.code));
}

/** The active villagers of a collective (by id), with their household's code and their relation to its head. */
export function activeVillagersOf(em: EntityManager, collectiveId: string): Promise<Array<{ code: string; household: string; relation: string | null }>> {
  return selectActiveVillagers(em, collectiveId);
}

/** A person's name for public display: the first and last characters kept (张守仁 → 张*仁, 李明 → 李*). */
export function maskName(name: string): string {
  const chars = Array.from(name.trim());
  if (chars.length <= 1) return chars.join('');
  if (chars.length === 2) return `${chars[0]}*`;
  return `${chars[0]}${'*'.repeat(chars.length - 2)}${chars[chars.length - 1]}`;
}

/** Ids of the parties registered in these regions (their own region, not the regions below). */
export function partyIdsInRegions(em: EntityManager, regionIds: readonly string[]): Promise<string[]> {
  return selectPartyIdsInRegions(em, regionIds);
}
