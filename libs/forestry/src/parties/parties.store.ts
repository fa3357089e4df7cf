import { EntityManager } from 'typeorm';
import type { SealedColumns } from './pii';
import type { IdKind, PartyKind } from './party.model';

/** The only code that names the parties and pii_access_log tables in SQL. */

export interface PartyRefRow {
  id: string;
  code: string;
  name: string;
  kind: PartyKind;
  active: boolean;
  id_kind: IdKind | null;
  id_masked: string | null;
  collective_id: string | null;
  household_id: string | null;
  household_code: string | null;
  region_id: string | null;
}

const PARTY_REF_SELECT = `SELECT p.id::text AS id, p.code, p.name, p.kind, p.active, p.id_kind, p.id_masked, p.collective_id::text AS collective_id,
    p.household_id::text AS household_id, h.code AS household_code, p.region_id::text AS region_id
  FROM parties p LEFT JOIN parties h ON h.id = p.household_id`;

/** The SELECT of the party whose code is the SQL expression `code`, for a read composed of several owners' fragments (one statement); its rows are PartyRefRows. */
export const partyRefByCodeSql = (code: string): string => `${PARTY_REF_SELECT} WHERE p.code = ${code}`;

/** The id of the party whose code is the SQL expression `code`, as a scalar subquery (NULL when there is none). */
export const partyIdByCodeSql = (code: string): string => `(SELECT p.id FROM parties p WHERE p.code = ${code})`;

/** Whether the party whose id is the SQL expression `partyId` is active, as a scalar subquery (NULL when there is none). */
export const partyActiveSql = (partyId: string): string => `(SELECT p.active FROM parties p WHERE p.id = ${partyId})`;

/** What other features may know of the parties with these codes or ids; unknown ones are absent. */
export async function selectPartyRefs(em: EntityManager, by: { codes: readonly string[] } | { ids: readonly string[] }): Promise<PartyRefRow[]> {
  if ('codes' in by) {
    if (by.codes.length === 0) return [];
    return await em.query<PartyRefRow[]>(`${PARTY_REF_SELECT} WHERE p.code = ANY($1::text[])`, [Array.from(new Set(by.codes))]);
  }
  if (by.ids.length === 0) return [];
  return await em.query<PartyRefRow[]>(`${PARTY_REF_SELECT} WHERE p.id = ANY($1::bigint[])`, [Array.from(new Set(by.ids.map(String)))]);
}

/** Id and code alone of the parties with these codes or ids: what a set-based writer of many rows needs (a distribution to 100,000 holders). */
export async function selectPartyKeys(em: EntityManager, by: { codes: readonly string[] } | { ids: readonly string[] }): Promise<Array<{ id: string; code: string }>> {
  const [column, type, values] = 'codes' in by ? ['code', 'text', by.codes] : ['id', 'bigint', by.ids.map(String)];
  if (values.length === 0) return [];
  return await em.query<Array<{ id: string; code: string }>>(`SELECT id::text AS id, code FROM parties WHERE ${column} = ANY($1::${type}[])`, [Array.from(new Set(values))]);
}

/** The active members of one kind (VILLAGER, HOUSEHOLD) of the collective `collectiveCode`, in id order. */
export async function selectCollectiveMembers(em: EntityManager, collectiveCode: string, kind: PartyKind): Promise<PartyRefRow[]> {
  return await em.query<PartyRefRow[]>(`${PARTY_REF_SELECT} JOIN parties c ON c.id = p.collective_id WHERE c.code = $1 AND p.kind = $2 AND p.active ORDER BY p.id`, [
    collectiveCode,
    kind,
  ]);
}

/** The active villagers of a collective (by id), with their household's code and their relation to its head (as the roster import records it). */
export async function selectActiveVillagers(em: EntityManager, collectiveId: string): Promise<Array<{ code: string; household: string; relation: string | null }>> {
  return await em.query<Array<{ code: string; household: string; relation: string | null }>>(
    `SELECT v.code, h.code AS household, v.metadata ->> 'relation' AS relation FROM parties v JOIN parties h ON h.id = v.household_id
      WHERE v.kind = 'VILLAGER' AND v.active AND v.collective_id = $1`,
    [collectiveId],
  );
}

/** Ids of the parties registered in these regions (their own region, not the regions below). */
export async function selectPartyIdsInRegions(em: EntityManager, regionIds: readonly string[]): Promise<string[]> {
  if (regionIds.length === 0) return [];
  const rows = await em.query<Array<{ id: string }>>(`SELECT id::text AS id FROM parties WHERE region_id = ANY($1::bigint[]) ORDER BY id`, [[...new Set(regionIds)]]);
  return rows.map((r) => r.id);
}

/** A party as the parties feature reads it; never the clear ID (id_cipher is selected by the reveal only). */
export interface PartyRow {
  id: string;
  code: string;
  kind: PartyKind;
  name: string;
  region_id: string | null;
  id_kind: IdKind | null;
  id_masked: string | null;
  /** The mobile number masked (138****3550); the number itself is only in mobile_cipher. */
  mobile_masked: string | null;
  household_id: string | null;
  household_code: string | null;
  collective_id: string | null;
  collective_code: string | null;
  active: boolean;
  deactivated_at: Date | null;
  metadata: Record<string, unknown>;
  created_at: Date;
}

/** One row for the parties table, everything resolved; `id` is the sealed ID number. */
export interface PartyInsert {
  code: string;
  kind: PartyKind;
  name: string;
  regionId: string | null;
  id: { kind: IdKind; hmac: string; cipher: string; masked: string } | null;
  /** The mobile number sealed (cipher) with its masked copy; the clear `phone` column is no longer written. */
  mobile: { cipher: string; masked: string } | null;
  householdId: string | null;
  collectiveId: string | null;
  metadata: Record<string, unknown>;
}

export interface PartyListFilter {
  /** Only these codes (a scoped caller's own). */
  codes?: string[];
  kind?: PartyKind;
  regionIds?: string[];
  collectiveCode?: string;
  householdCode?: string;
  active?: boolean;
  after?: string;
  limit: number;
}

const COLUMNS = `p.id, p.code, p.kind, p.name, p.region_id, p.id_kind, p.id_masked, p.mobile_masked, p.household_id, h.code AS household_code,
  p.collective_id, c.code AS collective_code, p.active, p.deactivated_at, p.metadata, p.created_at`;
const FROM = `parties p LEFT JOIN parties h ON h.id = p.household_id LEFT JOIN parties c ON c.id = p.collective_id`;
/** First key of the two-key advisory locks taken here ('PA'), so they never collide with other features' locks. */
const CODE_LOCK_NAMESPACE = 0x5041;

export const partiesStore = {
  async any(em: EntityManager): Promise<boolean> {
    const [{ found }] = await em.query<Array<{ found: boolean }>>(`SELECT EXISTS (SELECT 1 FROM parties) AS found`);
    return found;
  },

  /** `lock`: FOR UPDATE (to change it) or FOR SHARE (so it cannot be deactivated before the caller commits). */
  async byCode(em: EntityManager, code: string, lock: 'FOR UPDATE' | 'FOR SHARE' | null = null): Promise<PartyRow | undefined> {
    const [row] = await em.query<PartyRow[]>(`SELECT ${COLUMNS} FROM ${FROM} WHERE p.code = $1 ${lock ? `${lock} OF p` : ''}`, [code]);
    return row;
  },

  /** Keyset page by code. */
  async list(em: EntityManager, filter: PartyListFilter): Promise<PartyRow[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      params.push(value);
      where.push(sql.replace('?', `$${params.length}`));
    };
    if (filter.codes !== undefined) add('p.code = ANY(?::text[])', filter.codes);
    if (filter.kind !== undefined) add('p.kind = ?', filter.kind);
    if (filter.regionIds !== undefined) add('p.region_id = ANY(?::bigint[])', filter.regionIds);
    if (filter.collectiveCode !== undefined) add('c.code = ?', filter.collectiveCode);
    if (filter.householdCode !== undefined) add('h.code = ?', filter.householdCode);
    if (filter.active !== undefined) add('p.active = ?', filter.active);
    if (filter.after !== undefined) add('p.code > ?', filter.after);
    params.push(filter.limit);
    return await em.query<PartyRow[]>(`SELECT ${COLUMNS} FROM ${FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY p.code LIMIT $${params.length}`, params);
  },

  /** Codes of the parties registered under any of these HMACs of an ID number of `kind`. */
  async codesByIdHmacs(em: EntityManager, kind: IdKind, hmacs: readonly string[]): Promise<Array<{ id_hmac: string; code: string }>> {
    if (hmacs.length === 0) return [];
    return await em.query<Array<{ id_hmac: string; code: string }>>(`SELECT id_hmac, code FROM parties WHERE id_kind = $1 AND id_hmac = ANY($2::text[])`, [kind, hmacs]);
  },

  /** Ids of the active parties registered under any of these HMACs of a resident ID number. */
  async activeResidentIds(em: EntityManager, hmacs: readonly string[]): Promise<string[]> {
    const rows = await em.query<Array<{ id: string }>>(`SELECT id FROM parties WHERE id_kind = 'RESIDENT_ID' AND id_hmac = ANY($1::text[]) AND active ORDER BY id`, [hmacs]);
    return rows.map((r) => r.id);
  },

  async statesByIds(em: EntityManager, ids: readonly string[]): Promise<Array<{ id: string; code: string; active: boolean }>> {
    if (ids.length === 0) return [];
    return await em.query<
      Array<{
        id: string;
        code: string;
        active: boolean;
      }>
    >(`SELECT id, code, active FROM parties WHERE id = ANY($1::bigint[])`, [Array.from(new Set(ids))]);
  },

  /** Of these codes, those a party has. */
  async existingCodes(em: EntityManager, codes: readonly string[]): Promise<Set<string>> {
    if (codes.length === 0) return new Set();
    const rows = await em.query<Array<{ code: string }>>(`SELECT code FROM parties WHERE code = ANY($1::text[])`, [codes]);
    return new Set(rows.map((r) => r.code));
  },

  /** Queues concurrent allocators of one code prefix until the transaction ends. */
  async lockCodePrefix(em: EntityManager, prefix: string): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock($1, hashtext($2))`, [CODE_LOCK_NAMESPACE, `party-code:${prefix}`]);
  },

  /** The highest number n of the codes `<prefix>-n`, 0 when none. */
  async maxCodeNumber(em: EntityManager, prefix: string): Promise<number> {
    const [{ n }] = await em.query<Array<{ n: string }>>(
      `SELECT COALESCE(max(substring(code FROM '^[A-Z]+-(\\d{1,9})$')::bigint), 0)::text AS n FROM parties WHERE code ~ ('^' || $1 || '-\\d{1,9}$')`,
      [prefix],
    );
    return Number(n);
  },

  /** One statement for any number of rows; rows lost to a unique key (code or ID number) are absent from the answer. */
  async insertMany(em: EntityManager, rows: readonly PartyInsert[]): Promise<Map<string, string>> {
    const column = <T>(pick: (r: PartyInsert) => T) => rows.map(pick);
    const inserted = await em.query<Array<{ id: string; code: string }>>(
      `INSERT INTO parties (code, kind, name, region_id, id_kind, id_hmac, id_cipher, id_masked, mobile_cipher, mobile_masked, household_id, collective_id, metadata)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bigint[], $12::bigint[], $13::jsonb[])
       ON CONFLICT DO NOTHING RETURNING id, code`,
      [
        column((r) => r.code),
        column((r) => r.kind),
        column((r) => r.name),
        column((r) => r.regionId),
        column((r) => r.id?.kind ?? null),
        column((r) => r.id?.hmac ?? null),
        column((r) => r.id?.cipher ?? null),
        column((r) => r.id?.masked ?? null),
        column((r) => r.mobile?.cipher ?? null),
        column((r) => r.mobile?.masked ?? null),
        column((r) => r.householdId),
        column((r) => r.collectiveId),
        column((r) => JSON.stringify(r.metadata)),
      ],
    );
    return new Map(inserted.map((r) => [r.code, r.id]));
  },

  async sealedId(em: EntityManager, code: string): Promise<{ id: string; id_kind: IdKind | null; id_cipher: string | null } | undefined> {
    const [row] = await em.query<Array<{ id: string; id_kind: IdKind | null; id_cipher: string | null }>>(`SELECT id, id_kind, id_cipher FROM parties WHERE code = $1`, [code]);
    return row;
  },

  /** Who saw whose full ID number, and why (append-only). */
  async logPiiAccess(em: EntityManager, partyId: string, userId: string, reason: string): Promise<void> {
    await em.query(`INSERT INTO pii_access_log (party_id, user_id, reason) VALUES ($1, $2, $3)`, [partyId, userId, reason]);
  },

  /** Sets (or, with null, removes) the party's sealed mobile number. */
  async setMobile(em: EntityManager, partyId: string, mobile: { cipher: string; masked: string } | null): Promise<void> {
    await em.query(`UPDATE parties SET mobile_cipher = $2, mobile_masked = $3, phone = NULL WHERE id = $1`, [partyId, mobile?.cipher ?? null, mobile?.masked ?? null]);
  },

  /** Parties whose number is still in the clear `phone` column (written before numbers were sealed), after `after` in id order. */
  async clearPhones(em: EntityManager, after: string, limit: number): Promise<Array<{ id: string; phone: string }>> {
    return await em.query<Array<{ id: string; phone: string }>>(`SELECT id::text AS id, phone FROM parties WHERE phone IS NOT NULL AND id > $1::bigint ORDER BY id LIMIT $2`, [
      after,
      limit,
    ]);
  },

  /** Seals a clear `phone` into the mobile columns, if it is still the value read (compare-and-set); true when it changed. */
  async sealClearPhone(em: EntityManager, id: string, phone: string, mobile: { cipher: string; masked: string } | null): Promise<boolean> {
    const rows = await em.query<Array<{ n: number }>>(
      `WITH u AS (UPDATE parties SET mobile_cipher = COALESCE($3, mobile_cipher), mobile_masked = COALESCE($4, mobile_masked), phone = NULL WHERE id = $1 AND phone = $2 RETURNING 1)
       SELECT count(*)::int AS n FROM u`,
      [id, phone, mobile?.cipher ?? null, mobile?.masked ?? null],
    );
    return rows[0].n === 1;
  },

  async deactivate(em: EntityManager, partyId: string): Promise<void> {
    await em.query(`UPDATE parties SET active = false, deactivated_at = now() WHERE id = $1 AND active`, [partyId]);
  },
};

export interface HolderRow {
  id: string;
  code: string;
  name: string;
  id_kind: IdKind | null;
  id_hmac: string | null;
  id_masked: string | null;
  active: boolean;
}

/** Parties as holders of other features' records (parcels): code, name, masked ID, active. */
export const holdersStore = {
  async byIds(em: EntityManager, ids: readonly string[]): Promise<HolderRow[]> {
    if (ids.length === 0) return [];
    return await em.query<HolderRow[]>(`SELECT id, code, name, id_kind, id_hmac, id_masked, active FROM parties WHERE id = ANY($1::bigint[])`, [Array.from(new Set(ids))]);
  },

  /** Registered under any of these HMACs (of any ID kind). */
  async byIdHmacs(em: EntityManager, hmacs: readonly string[]): Promise<HolderRow[]> {
    if (hmacs.length === 0) return [];
    return await em.query<HolderRow[]>(`SELECT id, code, name, id_kind, id_hmac, id_masked, active FROM parties WHERE id_hmac = ANY($1::text[])`, [hmacs]);
  },
};

/** The ID number columns sealed by PiiCipher, for key rotation. */
export const PARTY_SEALED_COLUMNS: SealedColumns = { table: 'parties', id: 'id', cipher: 'id_cipher', hmac: 'id_hmac', hmacKind: 'id_kind' };

/** The villagers of a collective registered on or before `date` and not deactivated by its end (Asia/Shanghai), with household and relation, and whether active now. */
export async function selectVillagersAsOf(
  em: EntityManager,
  collectiveId: string,
  date: string,
): Promise<Array<{ code: string; household: string; relation: string | null; active: boolean }>> {
  return await em.query<Array<{ code: string; household: string; relation: string | null; active: boolean }>>(
    `SELECT v.code, h.code AS household, v.metadata ->> 'relation' AS relation, v.active FROM parties v JOIN parties h ON h.id = v.household_id
      WHERE v.kind = 'VILLAGER' AND v.collective_id = $1 AND (v.created_at AT TIME ZONE 'Asia/Shanghai')::date <= $2::date
        AND (v.deactivated_at IS NULL OR (v.deactivated_at AT TIME ZONE 'Asia/Shanghai')::date > $2::date) ORDER BY v.code`,
    [collectiveId, date],
  );
}

/** Per region, the households with an active villager registered in it (the households of its collectives). */
export async function selectHouseholdCountsByRegion(em: EntityManager, regionIds: readonly string[]): Promise<Map<string, number>> {
  if (regionIds.length === 0) return new Map();
  const rows = await em.query<Array<{ region_id: string; households: number }>>(
    `SELECT region_id::text AS region_id, count(DISTINCT household_id)::int AS households FROM parties
      WHERE kind = 'VILLAGER' AND active AND household_id IS NOT NULL AND region_id = ANY($1::bigint[]) GROUP BY region_id`,
    [[...new Set(regionIds)]],
  );
  return new Map(rows.map((r) => [r.region_id, r.households]));
}

/** The region of each of these parties, by party id (parties without one are absent). */
export async function selectRegionIdsOfParties(em: EntityManager, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await em.query<Array<{ id: string; region_id: string }>>(
    `SELECT id::text AS id, region_id::text AS region_id FROM parties WHERE id = ANY($1::bigint[]) AND region_id IS NOT NULL`,
    [[...new Set(ids)]],
  );
  return new Map(rows.map((r) => [r.id, r.region_id]));
}

/** The mobile number column sealed by PiiCipher (no HMAC: nobody is looked up by number), for key rotation. */
export const PARTY_MOBILE_SEALED_COLUMNS: SealedColumns = { table: 'parties', label: 'parties.mobile', id: 'id', cipher: 'mobile_cipher', hmac: null, hmacKind: null };

/** A party's sealed mobile number, for the notifier (which decrypts it only to send). */
export interface PartyMobileRow {
  id: string;
  code: string;
  kind: PartyKind;
  active: boolean;
  mobile_cipher: string | null;
  mobile_masked: string | null;
}

export async function selectPartyMobiles(em: EntityManager, ids: readonly string[]): Promise<PartyMobileRow[]> {
  if (ids.length === 0) return [];
  return await em.query<PartyMobileRow[]>(`SELECT id::text AS id, code, kind, active, mobile_cipher, mobile_masked FROM parties WHERE id = ANY($1::bigint[]) ORDER BY id`, [
    Array.from(new Set(ids)),
  ]);
}
