import { EntityManager } from 'typeorm';
import { findProjectsByCodes, findProjectsByIds } from './projects.store';

/** The codes of the cooperation projects with these ids, by id (unknown ids are absent). */
export async function projectCodesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  return new Map([...(await findProjectsByIds(em, ids.map(String))).values()].map((p) => [String(p.id), p.code]));
}

/** The ids of the cooperation projects with these codes, by code (unknown codes are absent). */
export async function projectIdsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, string>> {
  return new Map([...(await findProjectsByCodes(em, codes)).values()].map((p) => [p.code, String(p.id)]));
}

/** The names of the cooperation projects with these codes, by code (unknown codes are absent). */
export async function projectNamesByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, string>> {
  return new Map([...(await findProjectsByCodes(em, codes)).values()].map((p) => [p.code, p.name]));
}
