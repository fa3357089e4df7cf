import { EntityManager } from 'typeorm';

/** A cooperation project as another feature refers to it: id (its foreign keys) and code. */
export interface CoopProjectRef {
  id: string;
  code: string;
}

/** The cooperation projects with these codes, by code (unknown codes are absent). */
export async function coopProjectsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, CoopProjectRef>> {
  const wanted = [...new Set(codes)];
  if (wanted.length === 0) return new Map();
  const rows = (await em.query(`SELECT id::text AS id, code FROM coop_projects WHERE code = ANY($1::text[])`, [wanted])) as CoopProjectRef[];
  return new Map(rows.map((r) => [r.code, r]));
}

/** The cooperation projects with these ids, by id (unknown ids are absent). */
export async function coopProjectsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, CoopProjectRef>> {
  const wanted = [...new Set(ids.map(String))];
  if (wanted.length === 0) return new Map();
  const rows = (await em.query(`SELECT id::text AS id, code FROM coop_projects WHERE id = ANY($1::bigint[])`, [wanted])) as CoopProjectRef[];
  return new Map(rows.map((r) => [r.id, r]));
}
