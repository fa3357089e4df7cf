import { EntityManager } from 'typeorm';
import type { QuantificationBasis } from './quantification';

/** The only SQL on income_right_schemes and income_right_targets. */

/** An income_right_schemes row: a scheme's own terms (its project row is the projects feature's). */
export interface SchemeRow {
  project_id: string;
  census_date: string;
  basis: QuantificationBasis;
  household_weight: string;
  person_weight: string;
  face_value: string;
  total_units: string;
}

const SCHEME_SELECT = `SELECT project_id::text AS project_id, to_char(census_date, 'YYYY-MM-DD') AS census_date, basis, household_weight::text AS household_weight,
       person_weight::text AS person_weight, face_value::text AS face_value, total_units::text AS total_units FROM income_right_schemes`;

export async function insertScheme(em: EntityManager, s: SchemeRow): Promise<void> {
  await em.query(
    `INSERT INTO income_right_schemes (project_id, census_date, basis, household_weight, person_weight, face_value, total_units) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [s.project_id, s.census_date, s.basis, s.household_weight, s.person_weight, s.face_value, s.total_units],
  );
}

export async function schemesByProjectIds(em: EntityManager, projectIds: readonly string[]): Promise<Map<string, SchemeRow>> {
  if (projectIds.length === 0) return new Map();
  const rows = await em.query<SchemeRow[]>(`${SCHEME_SELECT} WHERE project_id = ANY($1::bigint[])`, [[...new Set(projectIds)]]);
  return new Map(rows.map((r) => [r.project_id, r]));
}

/** The county's issuance dates (发放进度), oldest first. */
export async function targetsOf(em: EntityManager, countyId: string): Promise<Array<{ dueDate: string; share: string }>> {
  const rows = await em.query<Array<{ due_date: string; share: string }>>(
    `SELECT to_char(due_date, 'YYYY-MM-DD') AS due_date, share::text AS share FROM income_right_targets WHERE county_id = $1 ORDER BY due_date`,
    [countyId],
  );
  return rows.map((r) => ({ dueDate: r.due_date, share: r.share }));
}

/** Replaces the county's issuance dates. */
export async function replaceTargets(em: EntityManager, countyId: string, targets: ReadonlyArray<{ dueDate: string; share: string }>): Promise<void> {
  await em.query(`DELETE FROM income_right_targets WHERE county_id = $1`, [countyId]);
  if (targets.length === 0) return;
  await em.query(`INSERT INTO income_right_targets (county_id, due_date, share) SELECT $1, * FROM unnest($2::date[], $3::numeric[])`, [
    countyId,
    targets.map((t) => t.dueDate),
    targets.map((t) => t.share),
  ]);
}
