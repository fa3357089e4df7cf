import { EntityManager } from 'typeorm';
import type { DisclosureState, DisclosureSubject, DisclosureSubjectKind, ObjectionOutcome, ObjectionState } from './disclosure.model';

/** The only code that names the disclosure tables in SQL. */

export interface DisclosureRow {
  id: string;
  subject_kind: DisclosureSubjectKind;
  subject_id: string;
  round: number;
  village_id: string;
  title: string;
  params: Record<string, unknown>;
  state: DisclosureState;
  days: number;
  published_on: string;
  starts_on: string;
  ends_on: string;
  total_units: string;
  total_amount: string | null;
  line_count: number;
  published_by: string;
  published_at: Date;
  closed_by: string | null;
  closed_at: Date | null;
  close_reason: string | null;
  concluded_by_act: string | null;
  /** Objections of the round still OPEN. */
  open_objections: number;
}

export interface DisclosureLineRow {
  disclosure_id: string;
  seq: number;
  party_id: string;
  shown_name: string;
  role: string | null;
  units: string;
  amount: string | null;
}

export interface ObjectionRow {
  id: string;
  disclosure_id: string;
  raised_by: string;
  raised_on: string;
  text: string;
  state: ObjectionState;
  recorded_by: string;
  recorded_at: Date;
  resolution: string | null;
  resolved_by: string | null;
  resolved_at: Date | null;
}

const COLUMNS = `d.id::text, d.subject_kind, d.subject_id, d.round, d.village_id::text, d.title, d.params, d.state, d.days,
  to_char(d.published_on, 'YYYY-MM-DD') AS published_on, to_char(d.starts_on, 'YYYY-MM-DD') AS starts_on, to_char(d.ends_on, 'YYYY-MM-DD') AS ends_on,
  d.total_units::text, d.total_amount::text, d.line_count, d.published_by::text, d.published_at, d.closed_by::text, d.closed_at, d.close_reason, d.concluded_by_act,
  (SELECT count(*)::int FROM disclosure_objections o WHERE o.disclosure_id = d.id AND o.state = 'OPEN') AS open_objections`;

const OBJECTION_COLUMNS = `id::text, disclosure_id::text, raised_by, to_char(raised_on, 'YYYY-MM-DD') AS raised_on, text, state, recorded_by::text, recorded_at, resolution, resolved_by::text, resolved_at`;

export const disclosuresStore = {
  /** The days set on these regions (absent: none set). */
  async settings(em: EntityManager, regionIds: readonly string[]): Promise<Map<string, number>> {
    if (regionIds.length === 0) return new Map();
    const rows = await em.query<Array<{ region_id: string; disclosure_days: number }>>(
      `SELECT region_id::text, disclosure_days FROM disclosure_settings WHERE region_id = ANY($1::bigint[])`,
      [[...new Set(regionIds)]],
    );
    return new Map(rows.map((r) => [r.region_id, r.disclosure_days]));
  },

  /** Sets (or, with null, clears) a region's days. */
  async setDays(em: EntityManager, regionId: string, days: number | null, userId: string): Promise<void> {
    if (days === null) {
      await em.query(`DELETE FROM disclosure_settings WHERE region_id = $1`, [regionId]);
      return;
    }
    await em.query(
      `INSERT INTO disclosure_settings (region_id, disclosure_days, updated_by) VALUES ($1, $2, $3)
       ON CONFLICT (region_id) DO UPDATE SET disclosure_days = EXCLUDED.disclosure_days, updated_by = EXCLUDED.updated_by, updated_at = now()`,
      [regionId, days, userId],
    );
  },

  /** Serialises publications of one subject (there may be no row yet to lock). */
  async lockSubject(em: EntityManager, subject: DisclosureSubject): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 18))`, [`disclosure:${subject.kind}:${subject.id}`]);
  },

  /**
   * The subject's latest round (`lock`: FOR UPDATE, which publishing, objections and the gate all take).
   * Locked, the row is read again by a second statement: a statement that waited for the lock sees the
   * row's new version but computes its other columns (the open objections) from its own older snapshot,
   * so an objection committed while the gate waited would be missed.
   */
  async latest(em: EntityManager, subject: DisclosureSubject, lock: boolean): Promise<DisclosureRow | undefined> {
    if (lock) {
      const [locked] = await em.query<Array<{ id: string }>>(
        `SELECT d.id::text AS id FROM disclosures d WHERE d.subject_kind = $1 AND d.subject_id = $2 ORDER BY d.round DESC LIMIT 1 FOR UPDATE OF d`,
        [subject.kind, subject.id],
      );
      return locked === undefined ? undefined : this.get(em, locked.id, false);
    }
    const [row] = await em.query<DisclosureRow[]>(`SELECT ${COLUMNS} FROM disclosures d WHERE d.subject_kind = $1 AND d.subject_id = $2 ORDER BY d.round DESC LIMIT 1`, [
      subject.kind,
      subject.id,
    ]);
    return row;
  },

  /** One round; `lock` as for `latest` (locked first, then read by a fresh statement). */
  async get(em: EntityManager, id: string, lock: boolean): Promise<DisclosureRow | undefined> {
    if (lock) await em.query(`SELECT 1 FROM disclosures WHERE id = $1 FOR UPDATE`, [id]);
    const [row] = await em.query<DisclosureRow[]>(`SELECT ${COLUMNS} FROM disclosures d WHERE d.id = $1`, [id]);
    return row;
  },

  /** Newest first; by village and state when given; at most `limit`. */
  async list(em: EntityManager, filter: { villageIds?: string[]; state?: DisclosureState; subject?: DisclosureSubject; limit: number }): Promise<DisclosureRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.villageIds !== undefined) add('d.village_id = ANY(?::bigint[])', filter.villageIds);
    if (filter.state !== undefined) add('d.state = ?', filter.state);
    if (filter.subject !== undefined) {
      add('d.subject_kind = ?', filter.subject.kind);
      add('d.subject_id = ?', filter.subject.id);
    }
    params.push(filter.limit);
    return await em.query<DisclosureRow[]>(
      `SELECT ${COLUMNS} FROM disclosures d ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY d.published_on DESC, d.id DESC LIMIT $${params.length}`,
      params,
    );
  },

  async insert(
    em: EntityManager,
    row: Omit<DisclosureRow, 'id' | 'state' | 'published_at' | 'closed_by' | 'closed_at' | 'close_reason' | 'concluded_by_act' | 'open_objections'>,
    lines: ReadonlyArray<Omit<DisclosureLineRow, 'disclosure_id'>>,
  ): Promise<string> {
    const [{ id }] = await em.query<Array<{ id: string }>>(
      `INSERT INTO disclosures (subject_kind, subject_id, round, village_id, title, params, days, published_on, starts_on, ends_on, total_units, total_amount, line_count, published_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id::text`,
      [
        row.subject_kind,
        row.subject_id,
        row.round,
        row.village_id,
        row.title,
        JSON.stringify(row.params),
        row.days,
        row.published_on,
        row.starts_on,
        row.ends_on,
        row.total_units,
        row.total_amount,
        row.line_count,
        row.published_by,
      ],
    );
    await em.query(
      `INSERT INTO disclosure_lines (disclosure_id, seq, party_id, shown_name, role, units, amount)
       SELECT $1, seq, party_id, shown_name, role, units, amount
         FROM unnest($2::int[], $3::bigint[], $4::text[], $5::text[], $6::numeric[], $7::numeric[]) AS l(seq, party_id, shown_name, role, units, amount)`,
      [id, lines.map((l) => l.seq), lines.map((l) => l.party_id), lines.map((l) => l.shown_name), lines.map((l) => l.role), lines.map((l) => l.units), lines.map((l) => l.amount)],
    );
    return id;
  },

  /** PUBLISHED → another state, with who and why (`act`: what a CONCLUDED round cleared). */
  async close(em: EntityManager, id: string, state: Exclude<DisclosureState, 'PUBLISHED'>, userId: string | null, reason: string | null, act: string | null = null): Promise<void> {
    await em.query(`UPDATE disclosures SET state = $2, closed_by = $3, closed_at = now(), close_reason = $4, concluded_by_act = $5 WHERE id = $1 AND state = 'PUBLISHED'`, [
      id,
      state,
      userId,
      reason,
      act,
    ]);
  },

  async lines(em: EntityManager, disclosureId: string, page: { afterSeq: number; limit: number } | null = null): Promise<DisclosureLineRow[]> {
    return await em.query<DisclosureLineRow[]>(
      `SELECT disclosure_id::text, seq, party_id::text, shown_name, role, units::text, amount::text FROM disclosure_lines
        WHERE disclosure_id = $1 AND seq > $2 ORDER BY seq ${page ? 'LIMIT $3' : ''}`,
      page ? [disclosureId, page.afterSeq, page.limit] : [disclosureId, 0],
    );
  },

  async objections(em: EntityManager, disclosureIds: readonly string[]): Promise<ObjectionRow[]> {
    if (disclosureIds.length === 0) return [];
    return await em.query<ObjectionRow[]>(`SELECT ${OBJECTION_COLUMNS} FROM disclosure_objections WHERE disclosure_id = ANY($1::bigint[]) ORDER BY id`, [
      [...new Set(disclosureIds)],
    ]);
  },

  async objection(em: EntityManager, disclosureId: string, id: string): Promise<ObjectionRow | undefined> {
    const [row] = await em.query<ObjectionRow[]>(`SELECT ${OBJECTION_COLUMNS} FROM disclosure_objections WHERE disclosure_id = $1 AND id = $2`, [disclosureId, id]);
    return row;
  },

  async insertObjection(em: EntityManager, row: { disclosureId: string; raisedBy: string; raisedOn: string; text: string; recordedBy: string }): Promise<string> {
    const [{ id }] = await em.query<Array<{ id: string }>>(
      `INSERT INTO disclosure_objections (disclosure_id, raised_by, raised_on, text, recorded_by) VALUES ($1, $2, $3, $4, $5) RETURNING id::text`,
      [row.disclosureId, row.raisedBy, row.raisedOn, row.text, row.recordedBy],
    );
    return id;
  },

  /** OPEN → UPHELD or DISMISSED; false when it was no longer open. */
  async resolveObjection(em: EntityManager, id: string, outcome: ObjectionOutcome, resolution: string, userId: string): Promise<boolean> {
    const rows = await em.query<Array<{ id: string }>>(
      // In a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, rowCount].
      `WITH u AS (UPDATE disclosure_objections SET state = $2, resolution = $3, resolved_by = $4, resolved_at = now() WHERE id = $1 AND state = 'OPEN' RETURNING id) SELECT id::text FROM u`,
      [id, outcome, resolution, userId],
    );
    return rows.length === 1;
  },
};
