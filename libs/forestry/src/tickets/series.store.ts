import { EntityManager } from 'typeorm';
import type { HoldingOrigin, TransferRestriction } from './ticket.model';

/** The only SQL on ticket_series and ticket_holdings: their rows as the store reads and writes them. */

/** A ticket_series row (dates and numerics as text). */
export interface SeriesRow {
  id: string;
  code: string;
  name: string;
  project_id: string;
  asset_code: string;
  face_value: string;
  total_units: string;
  transfer_restriction: TransferRestriction;
  issued_on: string;
  issuance_entry_id: string;
  last_certificate_seq: number;
}

/** A ticket_holdings row. */
export interface HoldingRow {
  id: string;
  series_id: string;
  party_id: string;
  seq: number;
  certificate_no: string;
  origin: HoldingOrigin;
  issued_units: string;
  verification_code: string;
}

const SERIES_SELECT = `SELECT id, code, name, project_id, asset_code, face_value::text AS face_value, total_units::text AS total_units,
       transfer_restriction, to_char(issued_on, 'YYYY-MM-DD') AS issued_on, issuance_entry_id, last_certificate_seq
  FROM ticket_series`;

const HOLDING_SELECT = `SELECT id, series_id, party_id, seq, certificate_no, origin, issued_units::text AS issued_units, verification_code FROM ticket_holdings`;

/** Takes the series row lock: movements, new holders' certificate numbers and dividend approvals serialise on it. */
export async function lockSeries(em: EntityManager, code: string): Promise<void> {
  await em.query(`SELECT 1 FROM ticket_series WHERE code = $1 FOR UPDATE`, [code]);
}

/** Takes the row lock of the project's series, if it has one. */
export async function lockSeriesOfProject(em: EntityManager, projectId: string): Promise<void> {
  await em.query(`SELECT 1 FROM ticket_series WHERE project_id = $1 FOR UPDATE`, [projectId]);
}

export async function findSeries(em: EntityManager, code: string): Promise<SeriesRow | undefined> {
  const [row] = await em.query<SeriesRow[]>(`${SERIES_SELECT} WHERE code = $1`, [code]);
  return row;
}

/** What a holder's page shows of a series. */
export type SeriesDisplayRow = Pick<SeriesRow, 'id' | 'code' | 'name' | 'project_id' | 'face_value' | 'transfer_restriction' | 'issued_on'>;

/** SeriesDisplayRows of the series whose ids are the SQL expression `ids` (a bigint[]): a fragment for a composed read (one statement). */
export const seriesDisplayByIdsSql = (ids: string): string =>
  `SELECT id::text AS id, code, name, project_id::text AS project_id, face_value::text AS face_value, transfer_restriction,
          to_char(issued_on, 'YYYY-MM-DD') AS issued_on
     FROM ticket_series WHERE id = ANY(${ids})`;

export async function findSeriesByIds(em: EntityManager, ids: readonly string[]): Promise<Map<string, SeriesRow>> {
  if (ids.length === 0) return new Map();
  const rows = await em.query<SeriesRow[]>(`${SERIES_SELECT} WHERE id = ANY($1::bigint[])`, [Array.from(new Set(ids))]);
  return new Map(rows.map((r) => [r.id, r]));
}

export async function findSeriesOfProject(em: EntityManager, projectId: string): Promise<SeriesRow | undefined> {
  const [row] = await em.query<SeriesRow[]>(`${SERIES_SELECT} WHERE project_id = $1`, [projectId]);
  return row;
}

/** The series of these projects, by project id (a project has at most one). */
export async function seriesOfProjects(em: EntityManager, projectIds: readonly string[]): Promise<Map<string, SeriesRow>> {
  if (projectIds.length === 0) return new Map();
  const rows = await em.query<SeriesRow[]>(`${SERIES_SELECT} WHERE project_id = ANY($1::bigint[])`, [Array.from(new Set(projectIds))]);
  return new Map(rows.map((r) => [r.project_id, r]));
}

export async function seriesCodeTaken(em: EntityManager, code: string): Promise<boolean> {
  return (await em.query<unknown[]>(`SELECT 1 FROM ticket_series WHERE code = $1`, [code])).length > 0;
}

/** Series by code (at most 500); with a scope, those of `projectIds` and those `holderPartyIds` hold a certificate of. */
export async function listSeries(em: EntityManager, scope: { projectIds: string[]; holderPartyIds: string[] } | null): Promise<SeriesRow[]> {
  return await em.query<SeriesRow[]>(
    `${SERIES_SELECT} s WHERE $1::bigint[] IS NULL OR s.project_id = ANY($1) OR EXISTS (SELECT 1 FROM ticket_holdings th WHERE th.series_id = s.id AND th.party_id = ANY($2::bigint[]))
      ORDER BY s.code LIMIT 500`,
    [scope?.projectIds ?? null, scope?.holderPartyIds ?? []],
  );
}

export async function insertSeries(em: EntityManager, s: Omit<SeriesRow, 'id'>): Promise<string> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO ticket_series (code, name, project_id, asset_code, face_value, total_units, transfer_restriction, issued_on, issuance_entry_id, last_certificate_seq)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [s.code, s.name, s.project_id, s.asset_code, s.face_value, s.total_units, s.transfer_restriction, s.issued_on, s.issuance_entry_id, s.last_certificate_seq],
  );
  return row.id;
}

/** The next certificate sequence number of the series (the caller holds its row lock). */
export async function nextCertificateSeq(em: EntityManager, seriesId: string): Promise<number> {
  // Wrapped in a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, rowCount], not the rows.
  const [{ seq }] = await em.query<Array<{ seq: number }>>(
    `WITH u AS (UPDATE ticket_series SET last_certificate_seq = last_certificate_seq + 1 WHERE id = $1 RETURNING last_certificate_seq) SELECT last_certificate_seq AS seq FROM u`,
    [seriesId],
  );
  return seq;
}

export async function insertHoldings(em: EntityManager, rows: ReadonlyArray<Omit<HoldingRow, 'id'>>): Promise<void> {
  if (rows.length === 0) return;
  await em.query(
    `INSERT INTO ticket_holdings (series_id, party_id, seq, certificate_no, origin, issued_units, verification_code)
     SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::int[], $4::text[], $5::text[], $6::numeric[], $7::text[])`,
    [
      rows.map((r) => r.series_id),
      rows.map((r) => r.party_id),
      rows.map((r) => r.seq),
      rows.map((r) => r.certificate_no),
      rows.map((r) => r.origin),
      rows.map((r) => r.issued_units),
      rows.map((r) => r.verification_code),
    ],
  );
}

/** The holdings of these parties in the series, by certificate sequence. */
export async function holdingsOf(em: EntityManager, seriesId: string, partyIds: readonly string[]): Promise<HoldingRow[]> {
  if (partyIds.length === 0) return [];
  return await em.query<HoldingRow[]>(`${HOLDING_SELECT} WHERE series_id = $1 AND party_id = ANY($2::bigint[]) ORDER BY seq`, [seriesId, Array.from(new Set(partyIds))]);
}

/** Every holding of these parties, in any series, by series and certificate sequence. */
export async function holdingsOfParties(em: EntityManager, partyIds: readonly string[]): Promise<HoldingRow[]> {
  if (partyIds.length === 0) return [];
  return await em.query<HoldingRow[]>(`${HOLDING_SELECT} WHERE party_id = ANY($1::bigint[]) ORDER BY series_id, seq`, [Array.from(new Set(partyIds))]);
}

export async function holdingByCertificateNo(em: EntityManager, certificateNo: string): Promise<HoldingRow | undefined> {
  const [row] = await em.query<HoldingRow[]>(`${HOLDING_SELECT} WHERE certificate_no = $1`, [certificateNo]);
  return row;
}

export async function holdingByVerificationCode(em: EntityManager, code: string): Promise<HoldingRow | undefined> {
  const [row] = await em.query<HoldingRow[]>(`${HOLDING_SELECT} WHERE verification_code = $1`, [code]);
  return row;
}

/** The issuance's levels: units issued to the farm, retained by the collective, to members; holdings with units and their first and last seq. */
export async function issuedLevels(
  em: EntityManager,
  seriesId: string,
): Promise<{ farm: string; retained: string; members: string; holdings: number; first: number; last: number }> {
  const [levels] = await em.query<Array<{ farm: string; retained: string; members: string; holdings: number; first: number; last: number }>>(
    `SELECT COALESCE(SUM(issued_units) FILTER (WHERE origin = 'FARM'), 0)::text AS farm, COALESCE(SUM(issued_units) FILTER (WHERE origin = 'COLLECTIVE'), 0)::text AS retained,
            COALESCE(SUM(issued_units) FILTER (WHERE origin = 'MEMBER'), 0)::text AS members, count(*) FILTER (WHERE issued_units > 0)::int AS holdings,
            min(seq) FILTER (WHERE issued_units > 0) AS first, max(seq) FILTER (WHERE issued_units > 0) AS last
       FROM ticket_holdings WHERE series_id = $1`,
    [seriesId],
  );
  return levels;
}
