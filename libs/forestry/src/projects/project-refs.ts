import { EntityManager } from 'typeorm';
import type { ProjectKind } from './project.model';
import { findProjectsByCodes, findProjectsByIds, listProjectsOfKind } from './projects.store';

/** The codes of the cooperation projects with these ids, by id (unknown ids are absent). */
export async function projectCodesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  return new Map([...(await findProjectsByIds(em, ids.map(String))).values()].map((p) => [String(p.id), p.code]));
}

/** The ids of the cooperation projects with these codes, by code (unknown codes are absent). */
export async function projectIdsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, string>> {
  return new Map([...(await findProjectsByCodes(em, codes)).values()].map((p) => [p.code, String(p.id)]));
}

/** The ids of every project of this kind (e.g. the collective income-right schemes). */
export async function projectIdsOfKind(em: EntityManager, kind: ProjectKind): Promise<string[]> {
  return (await listProjectsOfKind(em, kind)).map((p) => String(p.id));
}

/** The names of the cooperation projects with these codes, by code (unknown codes are absent). */
export async function projectNamesByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, string>> {
  return new Map([...(await findProjectsByCodes(em, codes)).values()].map((p) => [p.code, p.name]));
}
