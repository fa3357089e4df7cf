import { EntityManager } from 'typeorm';

/**
 * Reads of the 林票 tables for the dividends feature (record-date register checks, payout scopes,
 * the villagers' page). The series itself, with its project, comes from SeriesService.load by code.
 */

/** Series codes by series id (unknown ids absent). */
export async function seriesCodesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await em.query<Array<{ id: string; code: string }>>(`SELECT id::text AS id, code FROM ticket_series WHERE id = ANY($1::bigint[])`, [[...new Set(ids)]]);
  return new Map(rows.map((r) => [r.id, r.code]));
}

/** The code of the project's series, or null before issuance. */
export async function seriesCodeOfProject(em: EntityManager, projectId: string): Promise<string | null> {
  const [row] = await em.query<Array<{ code: string }>>(`SELECT code FROM ticket_series WHERE project_id = $1`, [projectId]);
  return row?.code ?? null;
}

/** The id of the series' latest movement ('0' when none): movements booked later have higher ids. */
export async function lastMovementId(em: EntityManager, seriesId: string): Promise<string> {
  const [row] = await em.query<Array<{ id: string }>>(`SELECT COALESCE(max(id), 0)::text AS id FROM ticket_movements WHERE series_id = $1`, [seriesId]);
  return row.id;
}

/** The first movement after `afterId` that changes who owns units (a pledge, a listing or their return keeps the owner) dated on or before `onOrBefore`. */
export async function firstOwnershipMoveAfter(
  em: EntityManager,
  seriesId: string,
  afterId: string,
  onOrBefore: string,
): Promise<{ id: string; kind: string; effectiveDate: string; entryId: string } | null> {
  const [row] = await em.query<Array<{ id: string; kind: string; effective_date: string; entry_id: string }>>(
    `SELECT id::text AS id, kind, to_char(effective_date, 'YYYY-MM-DD') AS effective_date, entry_id::text AS entry_id FROM ticket_movements
      WHERE series_id = $1 AND id > $2 AND effective_date <= $3::date AND kind NOT IN ('PLEDGE', 'PLEDGE_RELEASE', 'LISTING', 'LISTING_RETURN') ORDER BY id LIMIT 1`,
    [seriesId, afterId, onOrBefore],
  );
  return row ? { id: row.id, kind: row.kind, effectiveDate: row.effective_date, entryId: row.entry_id } : null;
}

/** Ids of every party with a holding (a certificate) in the project's series. */
export async function holderPartyIdsOfProject(em: EntityManager, projectId: string): Promise<string[]> {
  const rows = await em.query<Array<{ id: string }>>(
    `SELECT DISTINCT h.party_id::text AS id FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id WHERE s.project_id = $1`,
    [projectId],
  );
  return rows.map((r) => r.id);
}

/** The holdings of the party whose id is the SQL expression `partyId`, by series code: a fragment for a composed read (one statement). */
export const holdingsOfPartySql = (partyId: string): string =>
  `SELECT h.certificate_no, s.code AS series, s.id::text AS series_id FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id WHERE h.party_id = ${partyId} ORDER BY s.code`;
export type HoldingOfPartyRow = { certificate_no: string; series: string; series_id: string };

/** The party's holdings (one certificate per series), by series code. */
export async function holdingsOfParty(em: EntityManager, partyId: string): Promise<Array<{ certificateNo: string; series: string; seriesId: string }>> {
  const rows = await em.query<HoldingOfPartyRow[]>(holdingsOfPartySql('$1'), [partyId]);
  return rows.map((r) => ({ certificateNo: r.certificate_no, series: r.series, seriesId: r.series_id }));
}

/** Holdings issued to members (per household: to its head) in the series of these projects, with the series' issue date. */
export async function memberHoldingsOfProjects(em: EntityManager, projectIds: readonly string[]): Promise<Array<{ partyId: string; projectId: string; issuedOn: string }>> {
  if (projectIds.length === 0) return [];
  const rows = await em.query<Array<{ party_id: string; project_id: string; issued_on: string }>>(
    `SELECT h.party_id::text AS party_id, s.project_id::text AS project_id, to_char(s.issued_on, 'YYYY-MM-DD') AS issued_on FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id
      WHERE s.project_id = ANY($1::bigint[]) AND h.origin = 'MEMBER' AND h.issued_units > 0`,
    [[...new Set(projectIds)]],
  );
  return rows.map((r) => ({ partyId: r.party_id, projectId: r.project_id, issuedOn: r.issued_on }));
}
