import { EntityManager } from 'typeorm';

/** A project's 林票 series, as another feature may know it. */
export interface ProjectSeriesRef {
  projectId: string;
  id: string;
  code: string;
  faceValue: string;
}

/** The series of these projects, by project id (projects not issued yet are absent). */
export async function seriesOfProjects(em: EntityManager, projectIds: readonly string[]): Promise<Map<string, ProjectSeriesRef>> {
  if (projectIds.length === 0) return new Map();
  const rows = (await em.query(
    `SELECT project_id::text AS project_id, id::text AS id, code, face_value::text AS face_value FROM ticket_series WHERE project_id = ANY($1::bigint[]) ORDER BY id`,
    [[...new Set(projectIds.map(String))]],
  )) as Array<{ project_id: string; id: string; code: string; face_value: string }>;
  const out = new Map<string, ProjectSeriesRef>();
  for (const r of rows) if (!out.has(r.project_id)) out.set(r.project_id, { projectId: r.project_id, id: r.id, code: r.code, faceValue: r.face_value });
  return out;
}
