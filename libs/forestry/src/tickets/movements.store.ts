import { EntityManager } from 'typeorm';
import type { MovementKind, PledgeState } from './ticket.model';

/** The only SQL on ticket_movements and ticket_pledges: their rows as the store reads and writes them. */

/** A ticket_movements row (numerics as text). */
export interface MovementRow {
  id: string;
  series_id: string;
  kind: MovementKind;
  entry_id: string;
  effective_date: string;
  from_party_id: string | null;
  to_party_id: string;
  units: string;
  unit_price: string | null;
  amount: string | null;
  fee: string | null;
  document_reference: string | null;
  pledge_id: string | null;
}

/** A ticket_pledges row. */
export interface PledgeRow {
  id: string;
  series_id: string;
  holder_party_id: string;
  pledgee_party_id: string;
  units: string;
  contract_reference: string;
  state: PledgeState;
  pledge_entry_id: string;
  closing_entry_id: string | null;
  created_at: Date;
  closed_at: Date | null;
}

const MOVEMENT_SELECT = `SELECT id, series_id, kind, entry_id, to_char(effective_date, 'YYYY-MM-DD') AS effective_date, from_party_id, to_party_id, units::text AS units,
       unit_price::text AS unit_price, amount::text AS amount, fee::text AS fee, document_reference, pledge_id
  FROM ticket_movements`;

const PLEDGE_SELECT = `SELECT id, series_id, holder_party_id, pledgee_party_id, units::text AS units, contract_reference, state, pledge_entry_id, closing_entry_id, created_at, closed_at
  FROM ticket_pledges`;

/** Records the legs of one entry, in order (append-only). */
export async function insertMovements(em: EntityManager, rows: ReadonlyArray<Omit<MovementRow, 'id'>>): Promise<void> {
  if (rows.length === 0) return;
  await em.query(
    `INSERT INTO ticket_movements (series_id, kind, entry_id, effective_date, from_party_id, to_party_id, units, unit_price, amount, fee, document_reference, pledge_id)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::date[], $5::bigint[], $6::bigint[], $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::text[], $12::bigint[])`,
    [
      rows.map((r) => r.series_id),
      rows.map((r) => r.kind),
      rows.map((r) => r.entry_id),
      rows.map((r) => r.effective_date),
      rows.map((r) => r.from_party_id),
      rows.map((r) => r.to_party_id),
      rows.map((r) => r.units),
      rows.map((r) => r.unit_price),
      rows.map((r) => r.amount),
      rows.map((r) => r.fee),
      rows.map((r) => r.document_reference),
      rows.map((r) => r.pledge_id),
    ],
  );
}

/** The legs recorded for this entry, in order. */
export async function movementsOfEntry(em: EntityManager, entryId: string): Promise<MovementRow[]> {
  return await em.query<MovementRow[]>(`${MOVEMENT_SELECT} WHERE entry_id = $1 ORDER BY id`, [entryId]);
}

/** Of these entries, the first that recorded a movement of the series (a replay's), else null. */
export async function movementEntryOf(em: EntityManager, seriesId: string, entryIds: readonly string[]): Promise<string | null> {
  if (entryIds.length === 0) return null;
  const [row] = await em.query<
    Array<{
      entry_id: string;
    }>
  >(`SELECT entry_id FROM ticket_movements WHERE series_id = $1 AND entry_id = ANY($2::bigint[]) ORDER BY id LIMIT 1`, [seriesId, entryIds]);
  return row?.entry_id ?? null;
}

/** The issuance entries of the series, in id order. */
export async function issuanceEntryIds(em: EntityManager, seriesId: string): Promise<string[]> {
  const rows = await em.query<
    Array<{
      entry_id: string;
    }>
  >(`SELECT DISTINCT entry_id FROM ticket_movements WHERE series_id = $1 AND kind = 'ISSUANCE' ORDER BY entry_id`, [seriesId]);
  return rows.map((r) => r.entry_id);
}

export async function insertPledge(
  em: EntityManager,
  p: Pick<PledgeRow, 'series_id' | 'holder_party_id' | 'pledgee_party_id' | 'units' | 'contract_reference' | 'pledge_entry_id'>,
): Promise<string> {
  const [row] = await em.query<Array<{ id: string }>>(
    `INSERT INTO ticket_pledges (series_id, holder_party_id, pledgee_party_id, units, contract_reference, pledge_entry_id) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [p.series_id, p.holder_party_id, p.pledgee_party_id, p.units, p.contract_reference, p.pledge_entry_id],
  );
  return row.id;
}

export async function closePledge(em: EntityManager, id: string, state: 'RELEASED' | 'ENFORCED', closingEntryId: string): Promise<void> {
  await em.query(`UPDATE ticket_pledges SET state = $2, closing_entry_id = $3, closed_at = now() WHERE id = $1`, [id, state, closingEntryId]);
}

/** The pledge (`lock`: FOR UPDATE of its row). */
export async function findPledge(em: EntityManager, id: string, lock = false): Promise<PledgeRow | undefined> {
  const [row] = await em.query<PledgeRow[]>(`${PLEDGE_SELECT} WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
  return row;
}

/** The pledges of the series, by id; `holderPartyId` null matches nobody's (an unknown holder), undefined everyone's. */
export async function pledgesOf(em: EntityManager, seriesId: string, filter: { holderPartyId?: string | null; state?: PledgeState }): Promise<PledgeRow[]> {
  if (filter.holderPartyId === null) return [];
  return await em.query<PledgeRow[]>(`${PLEDGE_SELECT} WHERE series_id = $1 AND ($2::bigint IS NULL OR holder_party_id = $2) AND ($3::text IS NULL OR state = $3) ORDER BY id`, [
    seriesId,
    filter.holderPartyId ?? null,
    filter.state ?? null,
  ]);
}

/** The pledges these parties made, in any series, by id. */
export async function pledgesOfHolders(em: EntityManager, partyIds: readonly string[]): Promise<PledgeRow[]> {
  if (partyIds.length === 0) return [];
  return await em.query<PledgeRow[]>(`${PLEDGE_SELECT} WHERE holder_party_id = ANY($1::bigint[]) ORDER BY id`, [Array.from(new Set(partyIds))]);
}

/** The ids of every pledge (open or closed) given in favour of this party (a bank): what its event feed shows. */
export async function pledgeIdsOfPledgee(em: EntityManager, pledgeePartyId: string): Promise<string[]> {
  const rows = await em.query<Array<{ id: string }>>(`SELECT id::text AS id FROM ticket_pledges WHERE pledgee_party_id = $1`, [pledgeePartyId]);
  return rows.map((r) => r.id);
}
