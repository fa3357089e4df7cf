import { EntityManager } from 'typeorm';
import { seriesOfProjects as seriesRowsOfProjects } from './series.store';

/** A project's 林票 series, as another feature may know it. */
export interface ProjectSeriesRef {
  projectId: string;
  id: string;
  code: string;
  faceValue: string;
}

/** The series of these projects, by project id (projects not issued yet are absent). */
export async function seriesOfProjects(em: EntityManager, projectIds: readonly string[]): Promise<Map<string, ProjectSeriesRef>> {
  const rows = await seriesRowsOfProjects(em, projectIds.map(String));
  return new Map([...rows.values()].map((r) => [String(r.project_id), { projectId: String(r.project_id), id: String(r.id), code: r.code, faceValue: r.face_value }]));
}

export { pledgeIdsOfPledgee } from './movements.store';
