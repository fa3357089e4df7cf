import { EntityManager } from 'typeorm';
import type { DeclarationState } from './dividend.model';

/** A row of dividend_declarations. */
export interface DeclarationRow {
  id: string;
  project_id: string;
  series_id: string;
  amount: string;
  record_date: string;
  payment_date: string;
  memo: string | null;
  state: DeclarationState;
  declared_by: string;
  approved_by: string | null;
  approved_at: Date | null;
  movement_watermark: string | null;
  reserve_entry_id: string | null;
  release_entry_id: string | null;
  stale_reason: string | null;
  total_units: string | null;
  amount_per_unit: string | null;
  holders_total: number;
  holders_done: number;
  chunk_size: number;
  chunks_total: number;
  chunks_done: number;
  created_at: Date;
  distributed_at: Date | null;
  cancelled_at: Date | null;
  distributed: string;
  round: number;
  failed_at: Date | null;
  failure: string | null;
}

/** A row of dividend_lines: one holder's entitlement in a declaration. */
export interface DividendLineRow {
  declaration_id: string;
  seq: number;
  party_id: string;
  units: string;
  amount: string;
  entry_id: string | null;
}

/** The zone of business dates (businessToday), for the dates of timestamps. */
const BUSINESS_TIME_ZONE = 'Asia/Shanghai';

const DECLARATION_COLUMNS = `d.id::text AS id, d.project_id::text AS project_id, d.series_id::text AS series_id, d.amount::text AS amount,
       to_char(d.record_date, 'YYYY-MM-DD') AS record_date, to_char(d.payment_date, 'YYYY-MM-DD') AS payment_date, d.memo, d.state, d.declared_by::text AS declared_by,
       d.approved_by::text AS approved_by, d.approved_at, d.movement_watermark::text AS movement_watermark, d.reserve_entry_id::text AS reserve_entry_id,
       d.release_entry_id::text AS release_entry_id, d.stale_reason, d.total_units::text AS total_units, d.amount_per_unit::text AS amount_per_unit, d.holders_total, d.holders_done,
       d.chunk_size, d.chunks_total, d.chunks_done, d.created_at, d.distributed_at, d.cancelled_at, d.amount_distributed::text AS distributed,
       d.round, d.failed_at, d.failure`;
const DECLARATION_SELECT = `SELECT ${DECLARATION_COLUMNS} FROM dividend_declarations d`;

const LINE_COLUMNS = `l.declaration_id::text AS declaration_id, l.seq, l.party_id::text AS party_id, l.units::text AS units, l.amount::text AS amount, l.entry_id::text AS entry_id`;

/** A party's dividend line with what its page shows of the declaration. */
export type PartyLineRow = DividendLineRow & Pick<DeclarationRow, 'series_id' | 'amount_per_unit' | 'record_date' | 'payment_date'>;

/**
 * PartyLineRows of the party whose id is the SQL expression `partyId`, newest payment first (the order of linesOfParty):
 * a fragment for a composed read (one statement).
 */
export const partyLinesSql = (partyId: string): string =>
  `SELECT ${LINE_COLUMNS}, d.series_id::text AS series_id, d.amount_per_unit::text AS amount_per_unit,
          to_char(d.record_date, 'YYYY-MM-DD') AS record_date, to_char(d.payment_date, 'YYYY-MM-DD') AS payment_date
     FROM dividend_lines l JOIN dividend_declarations d ON d.id = l.declaration_id WHERE l.party_id = ${partyId} ORDER BY d.payment_date DESC, d.id DESC`;

/** The only SQL on dividend_declarations and dividend_lines. */
export const declarationsStore = {
  async insert(
    em: EntityManager,
    d: { projectId: string; seriesId: string; amount: string; recordDate: string; paymentDate: string; memo: string | null; declaredBy: string; chunkSize: number },
  ): Promise<string> {
    const [row] = await em.query<Array<{ id: string }>>(
      `INSERT INTO dividend_declarations (project_id, series_id, amount, record_date, payment_date, memo, declared_by, chunk_size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text AS id`,
      [d.projectId, d.seriesId, d.amount, d.recordDate, d.paymentDate, d.memo, d.declaredBy, d.chunkSize],
    );
    return row.id;
  },

  /** The declaration (`lock`: FOR UPDATE of its row first), or null. */
  async get(em: EntityManager, id: string, lock = false): Promise<DeclarationRow | null> {
    const [row] = await em.query<DeclarationRow[]>(`${DECLARATION_SELECT} WHERE d.id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    return row ?? null;
  },

  async byIds(em: EntityManager, ids: readonly string[]): Promise<DeclarationRow[]> {
    if (ids.length === 0) return [];
    return await em.query<DeclarationRow[]>(`${DECLARATION_SELECT} WHERE d.id = ANY($1::bigint[])`, [[...new Set(ids)]]);
  },

  async ofProject(em: EntityManager, projectId: string): Promise<DeclarationRow[]> {
    return await em.query<DeclarationRow[]>(`${DECLARATION_SELECT} WHERE d.project_id = $1 ORDER BY d.id`, [projectId]);
  },

  /**
   * The project's declarations counted against what is distributable: made (Asia/Shanghai) on or before
   * `asOf` and not cancelled by then (`asOf` null: every one not cancelled), `excludeId` left out.
   */
  async counted(
    em: EntityManager,
    projectId: string,
    asOf: string | null,
    excludeId: string | null,
  ): Promise<Array<{ id: string; state: DeclarationState; amount: string; record_date: string; declared_on: string }>> {
    return await em.query<Array<{ id: string; state: DeclarationState; amount: string; record_date: string; declared_on: string }>>(
      `SELECT id::text AS id, state, amount::text AS amount, to_char(record_date, 'YYYY-MM-DD') AS record_date,
              to_char(created_at AT TIME ZONE '${BUSINESS_TIME_ZONE}', 'YYYY-MM-DD') AS declared_on
         FROM dividend_declarations
        WHERE project_id = $1 AND id <> COALESCE($3::bigint, 0)
          AND ($2::date IS NULL OR (created_at AT TIME ZONE '${BUSINESS_TIME_ZONE}')::date <= $2::date)
          AND (cancelled_at IS NULL OR ($2::date IS NOT NULL AND (cancelled_at AT TIME ZONE '${BUSINESS_TIME_ZONE}')::date > $2::date))
        ORDER BY id`,
      [projectId, asOf, excludeId],
    );
  },

  /** The declaration of the series in one of `states` with the latest record date on or after `date`. */
  async latestClosing(
    em: EntityManager,
    seriesId: string,
    states: readonly DeclarationState[],
    date: string,
  ): Promise<{ id: string; state: DeclarationState; record_date: string } | null> {
    const [row] = await em.query<Array<{ id: string; state: DeclarationState; record_date: string }>>(
      `SELECT id::text AS id, state, to_char(record_date, 'YYYY-MM-DD') AS record_date FROM dividend_declarations
        WHERE series_id = $1 AND state = ANY($2::text[]) AND record_date >= $3::date ORDER BY record_date DESC, id LIMIT 1`,
      [seriesId, states, date],
    );
    return row ?? null;
  },

  async approve(em: EntityManager, id: string, approvedBy: string, watermark: string, reserveEntryId: string): Promise<void> {
    await em.query(
      `UPDATE dividend_declarations SET state = 'APPROVED', approved_by = $2, approved_at = now(), movement_watermark = $3, reserve_entry_id = $4, stale_reason = NULL,
              round = round + 1, failed_at = NULL, failure = NULL WHERE id = $1`,
      [id, approvedBy, watermark, reserveEntryId],
    );
  },

  async cancel(em: EntityManager, id: string, releaseEntryId: string | null): Promise<void> {
    await em.query(`UPDATE dividend_declarations SET state = 'CANCELLED', cancelled_at = now(), release_entry_id = $2 WHERE id = $1`, [id, releaseEntryId]);
  },

  /** A new round without the failure. */
  async resume(em: EntityManager, id: string): Promise<void> {
    await em.query(`UPDATE dividend_declarations SET round = round + 1, failed_at = NULL, failure = NULL WHERE id = $1`, [id]);
  },

  async markStale(em: EntityManager, id: string, reason: string): Promise<void> {
    await em.query(`UPDATE dividend_declarations SET state = 'STALE', stale_reason = $2 WHERE id = $1`, [id, reason]);
  },

  /** Records the failure of `round` (null: any) of an APPROVED or DISTRIBUTING declaration not failed yet; whether it did. */
  async recordFailure(em: EntityManager, id: string, round: number | null, error: string): Promise<boolean> {
    // In a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, rowCount], which is never empty.
    const rows = await em.query<Array<{ id: string }>>(
      `WITH u AS (UPDATE dividend_declarations SET failed_at = now(), failure = $3
        WHERE id = $1 AND ($2::int IS NULL OR round = $2) AND state IN ('APPROVED', 'DISTRIBUTING') AND failed_at IS NULL RETURNING id) SELECT id FROM u`,
      [id, round, error],
    );
    return rows.length > 0;
  },

  /** Distributions that truly failed and wait for an ADMIN to resume them. */
  async failedCount(em: EntityManager): Promise<number> {
    const [{ n }] = await em.query<Array<{ n: number }>>(
      `SELECT count(*)::int AS n FROM dividend_declarations WHERE failed_at IS NOT NULL AND state IN ('APPROVED', 'DISTRIBUTING')`,
    );
    return n;
  },

  /** APPROVED and due on `today`, or DISTRIBUTING; not failed. */
  async pending(em: EntityManager, today: string): Promise<Array<{ id: string; round: number }>> {
    return await em.query<Array<{ id: string; round: number }>>(
      `SELECT id::text AS id, round FROM dividend_declarations WHERE failed_at IS NULL AND (state = 'DISTRIBUTING' OR (state = 'APPROVED' AND payment_date <= $1::date)) ORDER BY id`,
      [today],
    );
  },

  async startDistributing(em: EntityManager, id: string, figures: { totalUnits: string; amountPerUnit: string; holders: number; chunks: number }): Promise<void> {
    await em.query(
      `UPDATE dividend_declarations SET state = 'DISTRIBUTING', started_at = now(), total_units = $2, amount_per_unit = $3, holders_total = $4, chunks_total = $5 WHERE id = $1`,
      [id, figures.totalUnits, figures.amountPerUnit, figures.holders, figures.chunks],
    );
  },

  /**
   * Chunk `chunk` done, in one statement: its paid lines get their entries (`seqs[i]` was paid by `entryIds[i]`), the
   * declaration `holders` more lines and `amount` more credited, `last` completes it. Returns the declaration as it is now.
   */
  async finishChunk(
    em: EntityManager,
    id: string,
    chunk: { chunk: number; holders: number; amount: string; last: boolean; seqs: readonly number[]; entryIds: readonly string[] },
  ): Promise<DeclarationRow> {
    const [row] = await em.query<DeclarationRow[]>(
      `WITH l AS (
         UPDATE dividend_lines l SET entry_id = v.entry_id FROM unnest($6::int[], $7::bigint[]) AS v(seq, entry_id) WHERE l.declaration_id = $1 AND l.seq = v.seq
       ), d AS (
         UPDATE dividend_declarations SET chunks_done = $2, holders_done = holders_done + $3, amount_distributed = amount_distributed + $5,
                state = CASE WHEN $4 THEN 'DISTRIBUTED' ELSE state END, distributed_at = CASE WHEN $4 THEN now() ELSE distributed_at END
          WHERE id = $1 RETURNING *
       )
       SELECT ${DECLARATION_COLUMNS} FROM d`,
      [id, chunk.chunk, chunk.holders, chunk.last, chunk.amount, chunk.seqs, chunk.entryIds],
    );
    return row;
  },

  // ---------------------------------------------------------------- lines

  /**
   * Writes the lines of an allocation (`allocation`: a statement of AllocationRows and its parameters, numbered from $1)
   * in one INSERT … SELECT, each with its chunk number; none if a holder has no party. Returns how many holders and units
   * the allocation has, how many holders have no party, and the codes of those without a wallet.
   */
  async insertAllocatedLines(
    em: EntityManager,
    declarationId: string,
    chunkSize: number,
    allocation: { sql: string; params: readonly unknown[] },
  ): Promise<{ holders: number; units: string; orphans: number; withoutWallet: string[] }> {
    const n = allocation.params.length;
    const [row] = await em.query<Array<{ holders: number; units: string; orphans: number; without_wallet: string[] }>>(
      `WITH lines AS MATERIALIZED (${allocation.sql}), ins AS (
         INSERT INTO dividend_lines (declaration_id, seq, party_id, holder_account_id, units, amount, chunk)
         SELECT $${n + 1}::bigint, seq, party_id, account_id, units, amount, (seq - 1) / $${n + 2}::int + 1
           FROM lines WHERE NOT EXISTS (SELECT 1 FROM lines WHERE party_id IS NULL) ORDER BY seq
       )
       SELECT count(*)::int AS holders, COALESCE(SUM(units), 0)::text AS units, (count(*) FILTER (WHERE party_id IS NULL))::int AS orphans,
              COALESCE(array_agg(code ORDER BY seq) FILTER (WHERE NOT wallet), '{}') AS without_wallet
         FROM lines`,
      [...allocation.params, declarationId, chunkSize],
    );
    return { holders: row.holders, units: row.units, orphans: row.orphans, withoutWallet: row.without_wallet };
  },

  /** Lines with seq in (afterSeq, toSeq], by seq, at most `limit`; only those of `partyIds` unless null. */
  async lines(
    em: EntityManager,
    declarationId: string,
    range: { afterSeq: number; toSeq?: number; limit?: number; partyIds?: readonly string[] | null },
  ): Promise<DividendLineRow[]> {
    return await em.query<DividendLineRow[]>(
      `SELECT ${LINE_COLUMNS} FROM dividend_lines l
        WHERE l.declaration_id = $1 AND l.seq > $2 AND ($3::int IS NULL OR l.seq <= $3) AND ($5::bigint[] IS NULL OR l.party_id = ANY($5::bigint[])) ORDER BY l.seq LIMIT $4`,
      [declarationId, range.afterSeq, range.toSeq ?? null, range.limit ?? null, range.partyIds ?? null],
    );
  },

  /** Every line of one party with its declaration, newest payment first. */
  async linesOfParty(em: EntityManager, partyId: string): Promise<Array<{ line: DividendLineRow; declaration: DeclarationRow }>> {
    const lines = await em.query<DividendLineRow[]>(
      `SELECT ${LINE_COLUMNS} FROM dividend_lines l JOIN dividend_declarations d ON d.id = l.declaration_id WHERE l.party_id = $1 ORDER BY d.payment_date DESC, d.id DESC`,
      [partyId],
    );
    const declarations = new Map(
      (
        await this.byIds(
          em,
          lines.map((l) => l.declaration_id),
        )
      ).map((d) => [d.id, d]),
    );
    return lines.map((line) => ({ line, declaration: declarations.get(line.declaration_id)! }));
  },

  /** Paid lines (entry set) of these (series, party) pairs, oldest payment first (the state-land equity view reads them). */
  async paidLinesOf(
    em: EntityManager,
    keys: ReadonlyArray<{ seriesId: string; partyId: string }>,
  ): Promise<Array<{ line: DividendLineRow; seriesId: string; recordDate: string; paymentDate: string }>> {
    if (keys.length === 0) return [];
    const rows = await em.query<Array<DividendLineRow & { series_id: string; record_date: string; payment_date: string }>>(
      `SELECT ${LINE_COLUMNS}, d.series_id::text AS series_id, to_char(d.record_date, 'YYYY-MM-DD') AS record_date, to_char(d.payment_date, 'YYYY-MM-DD') AS payment_date
         FROM dividend_lines l JOIN dividend_declarations d ON d.id = l.declaration_id
         JOIN unnest($1::bigint[], $2::bigint[]) AS k(series_id, party_id) ON k.series_id = d.series_id AND k.party_id = l.party_id
        WHERE l.entry_id IS NOT NULL ORDER BY d.payment_date, d.id`,
      [keys.map((k) => k.seriesId), keys.map((k) => k.partyId)],
    );
    return rows.map((r) => ({
      line: { declaration_id: r.declaration_id, seq: r.seq, party_id: r.party_id, units: r.units, amount: r.amount, entry_id: r.entry_id },
      seriesId: r.series_id,
      recordDate: r.record_date,
      paymentDate: r.payment_date,
    }));
  },
};
