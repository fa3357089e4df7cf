import { EntityManager } from 'typeorm';
import type { ContributionKind, ContributionState, ProjectKind, ProjectState, ProjectType } from './project.model';

/** The only SQL on coop_projects, coop_project_parcels and project_contributions: their rows as the store reads and writes them. */

/** A coop_projects row (dates as text, numerics as text). */
export interface ProjectRow {
  id: string;
  code: string;
  name: string;
  state: ProjectState;
  /** COOPERATION (林票: a farm and a collective) or INCOME_RIGHT (集体林地收益权: the collective alone, farm null). */
  project_kind: ProjectKind;
  farm_party_id: string | null;
  collective_party_id: string;
  project_type: ProjectType;
  area_mu: string;
  start_date: string;
  term_years: number;
  management_fee_rate: string;
  collective_retained_ratio: string;
  member_weighting: 'PER_PERSON' | 'PER_HOUSEHOLD';
  guarantee_description: string | null;
  guaranteed_buy_back_price: string | null;
  guaranteed_yield_per_mu: string | null;
  guarantee_reference_price: string | null;
  created_at: Date;
  activated_at: Date | null;
  closed_at: Date | null;
}

/** A project_contributions row. */
export interface ContributionRow {
  id: string;
  project_id: string;
  party_id: string;
  role: 'FARM' | 'COLLECTIVE';
  kind: ContributionKind;
  state: ContributionState;
  amount: string;
  bank_reference: string | null;
  valuation_document: string | null;
  description: string | null;
  entry_id: string;
  call_entry_id: string | null;
  created_at: Date;
}

export type NewProject = Omit<ProjectRow, 'id' | 'state' | 'created_at' | 'activated_at' | 'closed_at'>;
export type NewContribution = Omit<ContributionRow, 'id' | 'call_entry_id' | 'created_at'>;

const PROJECT_SELECT = `SELECT id, code, name, state, project_kind, farm_party_id, collective_party_id, project_type, area_mu::text AS area_mu,
       to_char(start_date, 'YYYY-MM-DD') AS start_date, term_years, management_fee_rate::text AS management_fee_rate,
       collective_retained_ratio::text AS collective_retained_ratio, member_weighting, guarantee_description,
       guaranteed_buy_back_price::text AS guaranteed_buy_back_price, guaranteed_yield_per_mu::text AS guaranteed_yield_per_mu,
       guarantee_reference_price::text AS guarantee_reference_price, created_at, activated_at, closed_at
  FROM coop_projects`;

/** Takes the project's row lock (state changes, contributions, issuance). */
export async function lockProject(em: EntityManager, code: string): Promise<void> {
  await em.query(`SELECT 1 FROM coop_projects WHERE code = $1 FOR UPDATE`, [code]);
}

export async function findProject(em: EntityManager, code: string): Promise<ProjectRow | undefined> {
  const [row] = await em.query<ProjectRow[]>(`${PROJECT_SELECT} WHERE code = $1`, [code]);
  return row;
}

export async function findProjectById(em: EntityManager, id: string): Promise<ProjectRow | undefined> {
  const [row] = await em.query<ProjectRow[]>(`${PROJECT_SELECT} WHERE id = $1`, [id]);
  return row;
}

/** What a holder's page shows of a project. */
export type ProjectDisplayRow = Pick<ProjectRow, 'id' | 'code' | 'name' | 'project_kind'>;

/** ProjectDisplayRows of the projects whose ids are the SQL expression `ids` (a bigint[]): a fragment for a composed read (one statement). */
export const projectDisplayByIdsSql = (ids: string): string => `SELECT id::text AS id, code, name, project_kind FROM coop_projects WHERE id = ANY(${ids})`;

export async function findProjectsByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, ProjectRow>> {
  if (ids.length === 0) return new Map();
  const rows = await em.query<ProjectRow[]>(`${PROJECT_SELECT} WHERE id = ANY($1::bigint[])`, [Array.from(new Set(ids))]);
  return new Map(rows.map((r) => [r.id, r]));
}

export async function findProjectsByCodes(em: EntityManager, codes: readonly string[]): Promise<Map<string, ProjectRow>> {
  if (codes.length === 0) return new Map();
  const rows = await em.query<ProjectRow[]>(`${PROJECT_SELECT} WHERE code = ANY($1::text[])`, [Array.from(new Set(codes))]);
  return new Map(rows.map((r) => [r.code, r]));
}

/** Projects by state, and (when `partyIds` is given) only those whose farm or collective is one of them; by code, at most 500. */
export async function listProjects(em: EntityManager, filter: { state?: ProjectState; partyIds: string[] | null }): Promise<ProjectRow[]> {
  return await em.query<ProjectRow[]>(
    `${PROJECT_SELECT} WHERE ($1::text IS NULL OR state = $1) AND ($2::bigint[] IS NULL OR farm_party_id = ANY($2) OR collective_party_id = ANY($2)) ORDER BY code LIMIT 500`,
    [filter.state ?? null, filter.partyIds],
  );
}

/** The ids of the projects whose farm or collective is one of these parties. */
export async function projectIdsOfParties(em: EntityManager, partyIds: readonly string[]): Promise<string[]> {
  if (partyIds.length === 0) return [];
  const rows = await em.query<
    Array<{
      id: string;
    }>
  >(`SELECT id FROM coop_projects WHERE farm_party_id = ANY($1::bigint[]) OR collective_party_id = ANY($1::bigint[])`, [partyIds]);
  return rows.map((r) => r.id);
}

/** Inserts the project (state DRAFT); null when its code is taken. */
export async function insertProject(em: EntityManager, p: NewProject): Promise<string | null> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO coop_projects (code, name, farm_party_id, collective_party_id, project_type, area_mu, start_date, term_years, management_fee_rate,
                                collective_retained_ratio, member_weighting, guarantee_description, guaranteed_buy_back_price, guaranteed_yield_per_mu, guarantee_reference_price, project_kind)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
     ON CONFLICT (code) DO NOTHING RETURNING id`,
    [
      p.code,
      p.name,
      p.farm_party_id,
      p.collective_party_id,
      p.project_type,
      p.area_mu,
      p.start_date,
      p.term_years,
      p.management_fee_rate,
      p.collective_retained_ratio,
      p.member_weighting,
      p.guarantee_description,
      p.guaranteed_buy_back_price,
      p.guaranteed_yield_per_mu,
      p.guarantee_reference_price,
      p.project_kind,
    ],
  );
  return row?.id ?? null;
}

export async function setProjectState(em: EntityManager, id: string, state: 'ACTIVE' | 'CLOSED'): Promise<void> {
  await em.query(`UPDATE coop_projects SET state = $2, ${state === 'ACTIVE' ? 'activated_at' : 'closed_at'} = now() WHERE id = $1`, [id, state]);
}

export async function attachParcels(em: EntityManager, projectId: string, parcelIds: readonly string[]): Promise<void> {
  await em.query(`INSERT INTO coop_project_parcels (project_id, parcel_id) SELECT $1, unnest($2::bigint[])`, [projectId, parcelIds]);
}

/** Of these parcels, those under a project not closed, with that project's code (by parcel id). */
export async function parcelsInOpenProjects(em: EntityManager, parcelIds: readonly string[]): Promise<Array<{ parcel_id: string; code: string }>> {
  return await em.query<Array<{ parcel_id: string; code: string }>>(
    `SELECT pp.parcel_id, p.code FROM coop_project_parcels pp JOIN coop_projects p ON p.id = pp.project_id
      WHERE pp.parcel_id = ANY($1::bigint[]) AND p.state <> 'CLOSED' ORDER BY pp.parcel_id`,
    [parcelIds],
  );
}

export async function projectParcelIds(em: EntityManager, projectId: string): Promise<string[]> {
  const rows = await em.query<Array<{ parcel_id: string }>>(`SELECT parcel_id FROM coop_project_parcels WHERE project_id = $1`, [projectId]);
  return rows.map((r) => r.parcel_id);
}

const CONTRIBUTION_SELECT = `SELECT id, project_id, party_id, role, kind, state, amount::text AS amount, bank_reference, valuation_document, description, entry_id, call_entry_id, created_at
  FROM project_contributions`;

/** The contributions of a project, oldest first. */
export async function contributionsOf(em: EntityManager, projectId: string): Promise<ContributionRow[]> {
  return await em.query<ContributionRow[]>(`${CONTRIBUTION_SELECT} WHERE project_id = $1 ORDER BY id`, [projectId]);
}

/** The contribution of this project, locked FOR UPDATE (a call). */
export async function lockContribution(em: EntityManager, projectId: string, id: string): Promise<ContributionRow | undefined> {
  const [row] = await em.query<ContributionRow[]>(`${CONTRIBUTION_SELECT} WHERE id = $1 AND project_id = $2 FOR UPDATE`, [id, projectId]);
  return row;
}

/** The contribution recorded by this entry (its own entry, or the call's). */
export async function contributionOfEntry(em: EntityManager, column: 'entry_id' | 'call_entry_id', entryId: string): Promise<ContributionRow | undefined> {
  const [row] = await em.query<ContributionRow[]>(`${CONTRIBUTION_SELECT} WHERE ${column === 'entry_id' ? 'entry_id' : 'call_entry_id'} = $1`, [entryId]);
  return row;
}

/** Whether the project has a contribution recorded by one of these entries. */
export async function hasContributionOfEntries(em: EntityManager, projectId: string, entryIds: readonly string[]): Promise<boolean> {
  if (entryIds.length === 0) return false;
  const rows = await em.query<unknown[]>(`SELECT 1 FROM project_contributions WHERE project_id = $1 AND entry_id = ANY($2::bigint[])`, [projectId, entryIds]);
  return rows.length > 0;
}

export async function insertContribution(em: EntityManager, c: NewContribution): Promise<void> {
  await em.query(
    `INSERT INTO project_contributions (project_id, party_id, role, kind, state, amount, bank_reference, valuation_document, description, entry_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [c.project_id, c.party_id, c.role, c.kind, c.state, c.amount, c.bank_reference, c.valuation_document, c.description, c.entry_id],
  );
}

export async function markContributionCalled(em: EntityManager, id: string, bankReference: string, callEntryId: string): Promise<void> {
  await em.query(`UPDATE project_contributions SET state = 'PAID', bank_reference = $2, call_entry_id = $3 WHERE id = $1`, [id, bankReference, callEntryId]);
}

/** A holding of a parcel by an instrument over a period (both ends inclusive, YYYY-MM-DD); what a feature answers for the parcel claims read. */
export interface ParcelHoldingRow {
  code: string;
  name: string | null;
  state: string;
  from: string;
  to: string;
}

/** The projects of one kind holding the parcel, over their terms (start date + term years), oldest first. */
async function claimsOnParcel(em: EntityManager, parcelId: string, kind: ProjectKind): Promise<ParcelHoldingRow[]> {
  return await em.query<ParcelHoldingRow[]>(
    `SELECT p.code, p.name, p.state, to_char(p.start_date, 'YYYY-MM-DD') AS "from", to_char(p.start_date + make_interval(years => p.term_years), 'YYYY-MM-DD') AS "to"
       FROM coop_project_parcels pp JOIN coop_projects p ON p.id = pp.project_id WHERE pp.parcel_id = $1 AND p.project_kind = $2 ORDER BY p.start_date, p.code`,
    [parcelId, kind],
  );
}

/** The cooperation projects (林票) holding the parcel, over their terms, oldest first. */
export function coopClaimsOnParcel(em: EntityManager, parcelId: string): Promise<ParcelHoldingRow[]> {
  return claimsOnParcel(em, parcelId, 'COOPERATION');
}

/** The collective income-right schemes (集体林地收益权) holding the parcel, over their terms, oldest first. */
export function incomeRightClaimsOnParcel(em: EntityManager, parcelId: string): Promise<ParcelHoldingRow[]> {
  return claimsOnParcel(em, parcelId, 'INCOME_RIGHT');
}

/** The projects of one kind (by code, at most 500), when `collectivePartyIds` is given only those of these collectives. */
export async function listProjectsOfKind(em: EntityManager, kind: ProjectKind, collectivePartyIds: string[] | null = null): Promise<ProjectRow[]> {
  return await em.query<ProjectRow[]>(`${PROJECT_SELECT} WHERE project_kind = $1 AND ($2::bigint[] IS NULL OR collective_party_id = ANY($2)) ORDER BY code LIMIT 500`, [
    kind,
    collectivePartyIds,
  ]);
}
