import { EntityManager } from 'typeorm';

/** The codes of the cooperation projects with these ids, by id (unknown ids are absent). */
export async function projectCodesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = (await em.query(`SELECT id::text AS id, code FROM coop_projects WHERE id = ANY($1::bigint[])`, [[...new Set(ids.map(String))]])) as Array<{
    id: string;
    code: string;
  }>;
  return new Map(rows.map((r) => [r.id, r.code]));
}

/** The ids of the cooperation projects with these codes, by code (unknown codes are absent). */
export async function projectIdsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const rows = (await em.query(`SELECT id::text AS id, code FROM coop_projects WHERE code = ANY($1::text[])`, [[...new Set(codes)]])) as Array<{ id: string; code: string }>;
  return new Map(rows.map((r) => [r.code, r.id]));
}
