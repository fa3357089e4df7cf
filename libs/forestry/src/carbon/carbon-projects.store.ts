import { pgErrorCode } from '@forest-ledger/platform';
import { EntityManager } from 'typeorm';
import type { CarbonProjectState, CarbonStandard } from './carbon.model';
import type { RevenueRule } from './revenue-split';

/** SQL of carbon_projects, carbon_project_parcels, carbon_revenue_rules and carbon_issuances: the only code naming them, with their row types. */

/** A row of carbon_projects (dates as YYYY-MM-DD, numbers as text). */
export interface CarbonProjectRow {
  id: string;
  code: string;
  name: string;
  state: CarbonProjectState;
  owner_party_id: string;
  coop_project_id: string | null;
  standard: CarbonStandard;
  external_id: string | null;
  methodology: string;
  crediting_start: string;
  crediting_end: string;
  buffer_ratio: string;
  last_serial: string;
}

const PROJECT_SELECT = `SELECT p.id::text AS id, p.code, p.name, p.state, p.owner_party_id::text AS owner_party_id, p.coop_project_id::text AS coop_project_id, p.standard,
       p.external_id, p.methodology, to_char(p.crediting_start, 'YYYY-MM-DD') AS crediting_start, to_char(p.crediting_end, 'YYYY-MM-DD') AS crediting_end,
       p.buffer_ratio::text AS buffer_ratio, p.last_serial::text AS last_serial
  FROM carbon_projects p`;

/** A project by code (`lock`: its row FOR UPDATE first, how issuances number gaplessly and state changes serialise); null when unknown. */
export async function projectByCode(em: EntityManager, code: string, lock = false): Promise<CarbonProjectRow | null> {
  const [row] = await em.query<CarbonProjectRow[]>(`${PROJECT_SELECT} WHERE p.code = $1${lock ? ' FOR UPDATE' : ''}`, [code]);
  return row ?? null;
}

/** A project row with its parcel ids and its current revenue rule, for its view. */
export interface CarbonProjectViewRow extends CarbonProjectRow {
  parcel_ids: string[];
  current_rule: RevenueRuleRow;
}

/** Projects by code with their parcels and current rules, in one query: one code, or at most `limit` of one owner and/or in one state. */
export async function projectViewRows(
  em: EntityManager,
  filter: { code: string } | { ownerPartyId: string | null; state: CarbonProjectState | null; limit: number },
): Promise<CarbonProjectViewRow[]> {
  const select = `SELECT v.*, ARRAY(SELECT pp.parcel_id::text FROM carbon_project_parcels pp WHERE pp.project_id = v.id::bigint ORDER BY pp.parcel_id) AS parcel_ids,
         (SELECT json_build_object('id', r.id::text, 'version', r.version, 'rule', r.rule) FROM carbon_revenue_rules r WHERE r.project_id = v.id::bigint ORDER BY r.version DESC LIMIT 1) AS current_rule
    FROM (${PROJECT_SELECT}`;
  if ('code' in filter) return await em.query<CarbonProjectViewRow[]>(`${select} WHERE p.code = $1) v`, [filter.code]);
  return await em.query<CarbonProjectViewRow[]>(
    `${select} WHERE ($1::bigint IS NULL OR p.owner_party_id = $1) AND ($2::text IS NULL OR p.state = $2) ORDER BY p.code LIMIT ${filter.limit}) v ORDER BY v.code`,
    [filter.ownerPartyId, filter.state],
  );
}

/** A new DRAFT project; null when the code is taken. */
export async function insertProject(
  em: EntityManager,
  p: Pick<
    CarbonProjectRow,
    'code' | 'name' | 'owner_party_id' | 'coop_project_id' | 'standard' | 'external_id' | 'methodology' | 'crediting_start' | 'crediting_end' | 'buffer_ratio'
  >,
): Promise<string | null> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO carbon_projects (code, name, owner_party_id, coop_project_id, standard, external_id, methodology, crediting_start, crediting_end, buffer_ratio)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (code) DO NOTHING RETURNING id::text AS id`,
    [p.code, p.name, p.owner_party_id, p.coop_project_id, p.standard, p.external_id, p.methodology, p.crediting_start, p.crediting_end, p.buffer_ratio],
  );
  return row?.id ?? null;
}

export async function setProjectState(em: EntityManager, projectId: string, state: 'REGISTERED' | 'CLOSED'): Promise<void> {
  const stamp = state === 'REGISTERED' ? 'registered_at' : 'closed_at';
  await em.query(`UPDATE carbon_projects SET state = $2, ${stamp} = now() WHERE id = $1`, [projectId, state]);
}

export async function setLastSerial(em: EntityManager, projectId: string, lastSerial: bigint): Promise<void> {
  await em.query(`UPDATE carbon_projects SET last_serial = $2 WHERE id = $1`, [projectId, lastSerial.toString()]);
}

// ---------------------------------------------------------------- parcels

/**
 * Serialises, until the transaction ends, the creators of projects naming any of these parcels, so
 * that two projects created at once cannot both find a parcel free (a carbon lock: other features'
 * use of the parcels is not blocked).
 */
export async function lockParcelsForProjects(em: EntityManager, parcelIds: readonly string[]): Promise<void> {
  if (parcelIds.length === 0) return;
  // In the order of the lock keys, so that two creators never wait for each other in a cycle.
  await em.query(`SELECT pg_advisory_xact_lock(hashtext('carbon_project_parcels'), k) FROM (SELECT DISTINCT hashtext(id) AS k FROM unnest($1::text[]) AS t(id) ORDER BY k) keys`, [
    parcelIds,
  ]);
}

/** Another carbon project's claim on a parcel over a period (both ends inclusive, YYYY-MM-DD). */
export interface CarbonParcelClaim {
  parcelId: string;
  project: string;
  projectName: string;
  state: CarbonProjectState;
  from: string;
  to: string;
}

const CLAIM_SELECT = `SELECT pp.parcel_id::text AS "parcelId", p.code AS project, p.name AS "projectName", p.state,
       to_char(lower(pp.crediting), 'YYYY-MM-DD') AS "from", to_char(upper(pp.crediting) - 1, 'YYYY-MM-DD') AS "to"
  FROM carbon_project_parcels pp JOIN carbon_projects p ON p.id = pp.project_id`;

/**
 * Claims the parcels for the project over its crediting period (start..end inclusive). The exclusion
 * constraint `xc_carbon_project_parcels_crediting` is the one checker of "one forest, one claim": when
 * another project claims one of them over an overlapping period, nothing is inserted and the conflicting
 * claims are returned (under a savepoint, so the caller's transaction stays usable); [] when all are claimed.
 */
export async function claimProjectParcels(em: EntityManager, projectId: string, parcelIds: readonly string[], start: string, end: string): Promise<CarbonParcelClaim[]> {
  await em.query(`SAVEPOINT carbon_parcel_claims`);
  try {
    await em.query(`INSERT INTO carbon_project_parcels (project_id, parcel_id, crediting) SELECT $1, unnest($2::bigint[]), daterange($3::date, $4::date, '[]')`, [
      projectId,
      parcelIds,
      start,
      end,
    ]);
  } catch (error) {
    if (pgErrorCode(error) !== '23P01') throw error;
    await em.query(`ROLLBACK TO SAVEPOINT carbon_parcel_claims`);
    const conflicts = await em.query<CarbonParcelClaim[]>(
      `${CLAIM_SELECT} WHERE pp.parcel_id = ANY($2::bigint[]) AND pp.project_id <> $1 AND pp.crediting && daterange($3::date, $4::date, '[]') ORDER BY pp.parcel_id, lower(pp.crediting)`,
      [projectId, parcelIds, start, end],
    );
    // A violation with no other project to name (a parcel listed twice): not a claim conflict.
    if (conflicts.length === 0) throw error;
    return conflicts;
  }
  await em.query(`RELEASE SAVEPOINT carbon_parcel_claims`);
  return [];
}

/**
 * On closing: the project keeps its parcels only over the vintages it issued (the first vintage's
 * start to the last one's end), or over nothing when it issued none, so the rest of the period is free.
 */
export async function shrinkClaimsToIssuedVintages(em: EntityManager, projectId: string): Promise<void> {
  await em.query(
    `UPDATE carbon_project_parcels SET crediting = (SELECT CASE WHEN count(*) = 0 THEN 'empty'::daterange ELSE daterange(min(vintage_start), max(vintage_end), '[]') END
                           FROM carbon_issuances WHERE project_id = $1)
      WHERE project_id = $1`,
    [projectId],
  );
}

/** Every carbon project's claim on the parcel (an empty claim of a closed project that issued nothing is left out), oldest first. */
export async function carbonClaimsOnParcel(em: EntityManager, parcelId: string): Promise<CarbonParcelClaim[]> {
  return await em.query<CarbonParcelClaim[]>(`${CLAIM_SELECT} WHERE pp.parcel_id = $1 AND NOT isempty(pp.crediting) ORDER BY lower(pp.crediting), p.code`, [parcelId]);
}

// ---------------------------------------------------------------- revenue rules

export interface RevenueRuleRow {
  id: string;
  version: number;
  rule: RevenueRule;
}

/** The next version of a project's rule (1 for a new project); returns the version. */
export async function insertRevenueRule(em: EntityManager, projectId: string, rule: RevenueRule): Promise<number> {
  const [{ version }] = await em.query<Array<{ version: number }>>(
    `INSERT INTO carbon_revenue_rules (project_id, version, rule) SELECT $1, COALESCE(max(version), 0) + 1, $2 FROM carbon_revenue_rules WHERE project_id = $1 RETURNING version`,
    [projectId, JSON.stringify(rule)],
  );
  return version;
}

/** The current (latest) rule of each project. */
export async function currentRevenueRules(em: EntityManager, projectIds: readonly string[]): Promise<Map<string, RevenueRuleRow>> {
  const rows = await em.query<Array<RevenueRuleRow & { project_id: string }>>(
    `SELECT DISTINCT ON (project_id) project_id::text AS project_id, id::text AS id, version, rule FROM carbon_revenue_rules
      WHERE project_id = ANY($1::bigint[]) ORDER BY project_id, version DESC`,
    [projectIds],
  );
  return new Map(rows.map(({ project_id, ...rule }) => [project_id, rule]));
}

// ---------------------------------------------------------------- issuances

/** A row of carbon_issuances (dates as YYYY-MM-DD, tonnes and serials as text). */
export interface IssuanceRow {
  id: string;
  project_id: string;
  vintage: string;
  vintage_start: string;
  vintage_end: string;
  quantity: string;
  buffer_quantity: string;
  serial_start: string;
  serial_end: string;
  verification_reference: string;
  issued_on: string;
  entry_id: string;
}

const ISSUANCE_SELECT = `SELECT i.id::text AS id, i.project_id::text AS project_id, i.vintage, to_char(i.vintage_start, 'YYYY-MM-DD') AS vintage_start,
       to_char(i.vintage_end, 'YYYY-MM-DD') AS vintage_end, i.quantity::text AS quantity, i.buffer_quantity::text AS buffer_quantity, i.serial_start::text AS serial_start,
       i.serial_end::text AS serial_end, i.verification_reference, to_char(i.issued_on, 'YYYY-MM-DD') AS issued_on, i.entry_id::text AS entry_id
  FROM carbon_issuances i`;

/** A project's issuances, oldest vintage first. */
export async function issuancesOf(em: EntityManager, projectId: string): Promise<IssuanceRow[]> {
  return await em.query<IssuanceRow[]>(`${ISSUANCE_SELECT} WHERE i.project_id = $1 ORDER BY i.vintage_start`, [projectId]);
}

/** An issuance of the project; null when unknown (or not a well-formed id). */
export async function issuanceOf(em: EntityManager, projectId: string, issuanceId: string): Promise<IssuanceRow | null> {
  if (typeof issuanceId !== 'string' || !/^\d{1,18}$/.test(issuanceId)) return null;
  const [row] = await em.query<IssuanceRow[]>(`${ISSUANCE_SELECT} WHERE i.id = $1 AND i.project_id = $2`, [issuanceId, projectId]);
  return row ?? null;
}

/** The issuance that posted ledger entry `entryId`, if any. */
export async function issuanceByEntry(em: EntityManager, entryId: string): Promise<IssuanceRow | null> {
  const [row] = await em.query<IssuanceRow[]>(`${ISSUANCE_SELECT} WHERE i.entry_id = $1`, [entryId]);
  return row ?? null;
}

/** The project's issued monitoring periods overlapping start..end (both inclusive). */
export async function overlappingVintages(em: EntityManager, projectId: string, start: string, end: string): Promise<Array<{ s: string; e: string }>> {
  return await em.query<Array<{ s: string; e: string }>>(
    `SELECT to_char(vintage_start, 'YYYY-MM-DD') AS s, to_char(vintage_end, 'YYYY-MM-DD') AS e FROM carbon_issuances WHERE project_id = $1 AND vintage_start <= $3::date AND vintage_end >= $2::date`,
    [projectId, start, end],
  );
}

export async function insertIssuance(em: EntityManager, i: Omit<IssuanceRow, 'id'>): Promise<IssuanceRow> {
  const [{ id }] = await em.query<Array<{ id: string }>>(
    `INSERT INTO carbon_issuances (project_id, vintage, vintage_start, vintage_end, quantity, buffer_quantity, serial_start, serial_end, verification_reference, issued_on, entry_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id::text AS id`,
    [i.project_id, i.vintage, i.vintage_start, i.vintage_end, i.quantity, i.buffer_quantity, i.serial_start, i.serial_end, i.verification_reference, i.issued_on, i.entry_id],
  );
  const [row] = await em.query<IssuanceRow[]>(`${ISSUANCE_SELECT} WHERE i.id = $1`, [id]);
  return row;
}

/** The vintage of the issuance each serial belongs to, in the order given. */
export async function vintagesOfSerials(em: EntityManager, projectId: string, serials: readonly string[]): Promise<string[]> {
  const rows = await em.query<Array<{ ord: string; vintage: string }>>(
    `SELECT r.ord, i.vintage FROM unnest($2::bigint[]) WITH ORDINALITY AS r(serial, ord)
       JOIN carbon_issuances i ON i.project_id = $1 AND r.serial BETWEEN i.serial_start AND i.serial_end ORDER BY r.ord`,
    [projectId, serials],
  );
  return rows.map((r) => r.vintage);
}
