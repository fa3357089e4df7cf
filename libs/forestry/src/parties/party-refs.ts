import { EntityManager } from 'typeorm';
import {
  partyIdByCodeSql,
  partyRefByCodeSql,
  PartyRefRow,
  selectActiveVillagers,
  selectCollectiveMembers,
  selectHouseholdCountsByRegion,
  selectPartyIdsInRegions,
  selectPartyMobiles,
  selectPartyKeys,
  selectPartyRefs,
  selectRegionIdsOfParties,
  selectVillagersAsOf,
} from './parties.store';
import type { IdKind, PartyKind } from './party.model';

export { partyIdByCodeSql, partyRefByCodeSql };
export type { PartyRefRow };

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
  /** The region it is registered in (a collective's village), if any. */
  regionId: string | null;
}

/** The party's row (as partyRefByCodeSql selects it, e.g. inside a composed read) as what other features may know. */
export function partyRefOf(r: PartyRefRow): PartyRef {
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
    regionId: r.region_id,
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

/** Party code → id, for the codes that exist (the id alone, for writers of many rows). */
export async function partyIdsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, string>> {
  return new Map((await selectPartyKeys(em, { codes })).map((r) => [r.code, r.id]));
}

/** Party id → code, for the ids that exist (the code alone, for writers of many rows). */
export async function partyCodesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  return new Map((await selectPartyKeys(em, { ids })).map((r) => [r.id, r.code]));
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

/** The collective's villagers on a census date (registered by then, not yet deactivated), with household, relation and whether active now. */
export function villagersAsOf(
  em: EntityManager,
  collectiveId: string,
  date: string,
): Promise<Array<{ code: string; household: string; relation: string | null; active: boolean }>> {
  return selectVillagersAsOf(em, collectiveId, date);
}

/** Per region id, the households with an active villager registered there. */
export function householdCountsByRegion(em: EntityManager, regionIds: readonly string[]): Promise<Map<string, number>> {
  return selectHouseholdCountsByRegion(em, regionIds);
}

/** The region id of each of these parties, by party id. */
export function regionIdsOfParties(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  return selectRegionIdsOfParties(em, ids);
}

/** A party's sealed mobile number (decrypted only by whoever sends to it), with its kind and masked copy. */
export interface PartyMobile {
  id: string;
  code: string;
  kind: PartyKind;
  active: boolean;
  mobileCipher: string | null;
  mobileMasked: string | null;
}

/** The sealed mobile numbers of these parties, by id (unknown ids are absent). */
export async function partyMobilesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, PartyMobile>> {
  const rows = await selectPartyMobiles(em, ids);
  return new Map(rows.map((r) => [r.id, { id: r.id, code: r.code, kind: r.kind, active: r.active, mobileCipher: r.mobile_cipher, mobileMasked: r.mobile_masked }]));
}
