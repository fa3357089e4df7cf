import { EntityManager } from 'typeorm';
import { SERIAL_STATUSES, SerialStatus } from './carbon.model';
import type { BlockTake, SerialRange } from './serial-ranges';

/** SQL of carbon_serial_blocks (the owner and status of every serial range): the only code naming it. */

/** A block as the FIFO takes see it: its range, and the vintage it was issued in. */
export interface LockedBlock {
  id: string;
  issuance_id: string;
  vintage: string;
  start: bigint;
  end: bigint;
}

/** Which blocks a take may come from: a holder's HELD blocks (of one issuance if given), or a listing's RESERVED ones. */
export type BlockSource = { heldBy: string; projectId?: string; issuanceId?: string | null } | { reservedFor: string };

/** The blocks of `source`, locked FOR UPDATE in FIFO order: oldest vintage, then lowest serial. */
export async function lockBlocks(em: EntityManager, source: BlockSource): Promise<LockedBlock[]> {
  const [where, params] =
    'reservedFor' in source
      ? [`b.listing_id = $1 AND b.status = 'RESERVED'`, [source.reservedFor]]
      : [
          `b.owner_party_id = $1 AND b.status = 'HELD' AND ($2::bigint IS NULL OR b.project_id = $2) AND ($3::bigint IS NULL OR b.issuance_id = $3::bigint)`,
          [source.heldBy, source.projectId ?? null, source.issuanceId ?? null],
        ];
  const rows = await em.query<Array<{ id: string; issuance_id: string; vintage: string; serial_start: string; serial_end: string }>>(
    `SELECT b.id::text AS id, b.issuance_id::text AS issuance_id, i.vintage, b.serial_start::text AS serial_start, b.serial_end::text AS serial_end
       FROM carbon_serial_blocks b JOIN carbon_issuances i ON i.id = b.issuance_id
      WHERE ${where} ORDER BY i.vintage_start, b.serial_start FOR UPDATE OF b`,
    params,
  );
  return rows.map((r) => ({ id: r.id, issuance_id: r.issuance_id, vintage: r.vintage, start: BigInt(r.serial_start), end: BigInt(r.serial_end) }));
}

/** Where taken serials go: their new owner (a party id), status, and listing or retirement. */
export interface BlockDestination {
  ownerPartyId: string;
  status: SerialStatus;
  listingId: string | null;
  retirementId: string | null;
}

/**
 * Hands the taken ranges over: a whole block changes owner and status in place; a split block
 * first shrinks to its rest (so the ranges never overlap, even for an instant) and the taken part
 * becomes a new block.
 */
export async function moveTakes(em: EntityManager, takes: readonly BlockTake[], to: BlockDestination): Promise<void> {
  const whole = takes.filter((t) => t.rest === null).map((t) => t.blockId);
  if (whole.length > 0) {
    await em.query(`UPDATE carbon_serial_blocks SET owner_party_id = $2, status = $3, listing_id = $4, retirement_id = $5 WHERE id = ANY($1::bigint[])`, [
      whole,
      to.ownerPartyId,
      to.status,
      to.listingId,
      to.retirementId,
    ]);
  }
  for (const t of takes.filter((x) => x.rest !== null)) {
    await em.query(
      `WITH shrunk AS (UPDATE carbon_serial_blocks SET serial_start = $2 WHERE id = $1 RETURNING project_id, issuance_id)
       INSERT INTO carbon_serial_blocks (project_id, issuance_id, serial_start, serial_end, owner_party_id, status, listing_id, retirement_id)
       SELECT project_id, issuance_id, $3, $4, $5, $6, $7, $8 FROM shrunk`,
      [t.blockId, t.rest!.start.toString(), t.taken.start.toString(), t.taken.end.toString(), to.ownerPartyId, to.status, to.listingId, to.retirementId],
    );
  }
}

/** The first blocks of an issuance: each range with its owner (null for the buffer) and status. */
export async function insertIssuedBlocks(
  em: EntityManager,
  projectId: string,
  issuanceId: string,
  blocks: ReadonlyArray<{ range: SerialRange; ownerPartyId: string | null; status: SerialStatus }>,
): Promise<void> {
  await em.query(
    `INSERT INTO carbon_serial_blocks (project_id, issuance_id, serial_start, serial_end, owner_party_id, status)
     SELECT $1, $2, * FROM unnest($3::bigint[], $4::bigint[], $5::bigint[], $6::text[])`,
    [projectId, issuanceId, blocks.map((b) => b.range.start.toString()), blocks.map((b) => b.range.end.toString()), blocks.map((b) => b.ownerPartyId), blocks.map((b) => b.status)],
  );
}

/** A cancelled listing's unsold tonnes go back to HELD. */
export async function releaseListing(em: EntityManager, listingId: string): Promise<void> {
  await em.query(`UPDATE carbon_serial_blocks SET status = 'HELD', listing_id = NULL WHERE listing_id = $1 AND status = 'RESERVED'`, [listingId]);
}

/** Tonnes per status of each issuance of a project (every issuance, oldest vintage first). */
export async function tonnesByStatus(
  em: EntityManager,
  projectId: string,
): Promise<Array<{ id: string; vintage: string; issued: string } & Record<Lowercase<SerialStatus>, string>>> {
  return await em.query<Array<{ id: string; vintage: string; issued: string } & Record<Lowercase<SerialStatus>, string>>>(
    `SELECT i.id::text AS id, i.vintage, i.quantity::text AS issued, ${SERIAL_STATUSES.map(
      (s) => `COALESCE(SUM(b.serial_end - b.serial_start + 1) FILTER (WHERE b.status = '${s}'), 0)::text AS ${s.toLowerCase()}`,
    ).join(', ')}
       FROM carbon_issuances i LEFT JOIN carbon_serial_blocks b ON b.issuance_id = i.id
      WHERE i.project_id = $1 GROUP BY i.id ORDER BY i.vintage_start`,
    [projectId],
  );
}

/** Every party that ever owned a block of the project, with its HELD + RESERVED tonnes (0 when none left). */
export async function tonnesByOwner(em: EntityManager, projectId: string): Promise<Map<string, bigint>> {
  const rows = await em.query<Array<{ owner: string; tonnes: string }>>(
    `SELECT owner_party_id::text AS owner, COALESCE(SUM(serial_end - serial_start + 1) FILTER (WHERE status IN ('HELD', 'RESERVED')), 0)::text AS tonnes
       FROM carbon_serial_blocks WHERE project_id = $1 AND owner_party_id IS NOT NULL GROUP BY owner_party_id`,
    [projectId],
  );
  return new Map(rows.map((r) => [r.owner, BigInt(r.tonnes)]));
}

/** A row of carbon_serial_blocks as the project's block list shows it. */
export interface SerialBlockRow {
  id: string;
  issuance_id: string;
  vintage: string;
  serial_start: string;
  serial_end: string;
  quantity: string;
  status: SerialStatus;
  owner_party_id: string | null;
  listing_id: string | null;
  certificate_no: string | null;
}

/** A project's blocks by serial, with their vintage and the certificate of a retired one. */
export async function blocksOf(em: EntityManager, projectId: string): Promise<SerialBlockRow[]> {
  return await em.query<SerialBlockRow[]>(
    `SELECT b.id::text AS id, b.issuance_id::text AS issuance_id, i.vintage, b.serial_start::text AS serial_start, b.serial_end::text AS serial_end,
            (b.serial_end - b.serial_start + 1)::text AS quantity, b.status, b.owner_party_id::text AS owner_party_id, b.listing_id::text AS listing_id, r.certificate_no
       FROM carbon_serial_blocks b JOIN carbon_issuances i ON i.id = b.issuance_id LEFT JOIN carbon_retirements r ON r.id = b.retirement_id
      WHERE b.project_id = $1 ORDER BY b.serial_start`,
    [projectId],
  );
}
