import { preparedQuery } from '@forest-ledger/platform';
import { EntityManager } from 'typeorm';
import type { Role } from './access.model';

/** The only code with SQL on users and api_keys. A user names its party by id only (the parties feature knows the rest). */

export interface UserRow {
  id: string;
  username: string | null;
  display_name: string;
  role: Role;
  party_id: string | null;
  password_hash: string | null;
  pin_hash: string | null;
  active: boolean;
  created_at: Date;
}

export interface ApiKeyRow {
  id: string;
  prefix: string;
  name: string;
  user_id: string;
  created_at: Date;
  revoked_at: Date | null;
}

const USER_COLUMNS = `id, username, display_name, role, party_id, password_hash, pin_hash, active, created_at`;
const U_USER_COLUMNS = USER_COLUMNS.split(', ')
  .map((c) => `u.${c}`)
  .join(', ');

export const usersStore = {
  /** Null when the username, or the party and role, is taken (ON CONFLICT DO NOTHING). */
  async insert(
    em: EntityManager,
    row: { username: string | null; displayName: string; role: Role; partyId: string | null; passwordHash: string | null; pinHash: string | null; active?: boolean },
  ): Promise<{ id: string } | null> {
    const rows = await em.query<Array<{ id: string }>>(
      `INSERT INTO users (username, display_name, role, party_id, password_hash, pin_hash, active) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT DO NOTHING RETURNING id`,
      [row.username, row.displayName, row.role, row.partyId, row.passwordHash, row.pinHash, row.active ?? true],
    );
    return rows[0] ?? null;
  },

  /** Holds off concurrent user inserts until the transaction ends (two starting instances create one admin). */
  async lockTable(em: EntityManager): Promise<void> {
    await em.query(`LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`);
  },

  async count(em: EntityManager): Promise<number> {
    const [{ n }] = await em.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM users`);
    return n;
  },

  /**
   * Serialises the changes that can leave no active ADMIN (deactivations): without it two admins
   * deactivating each other at once each lock only their target, each count the other as still active,
   * and both succeed. Taken before any user row lock, so it never deadlocks with one.
   */
  async lockAdminRoster(em: EntityManager): Promise<void> {
    await em.query(`SELECT pg_advisory_xact_lock(hashtextextended('users:active-admins', 0))`);
  },

  async countActiveAdminsExcept(em: EntityManager, userId: string): Promise<number> {
    const [{ n }] = await em.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM users WHERE role = 'ADMIN' AND active AND id <> $1`, [userId]);
    return n;
  },

  async lock(em: EntityManager, userId: string): Promise<UserRow | undefined> {
    const [row] = await em.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [userId]);
    return row;
  },

  /** Whether the login is active and so is its party, if it has one (`partyActive`: a scalar subquery given the party id's SQL). */
  async activeLogin(em: EntityManager, userId: string, partyActive: (partyId: string) => string): Promise<boolean> {
    const [row] = await preparedQuery<{ active: boolean }>(
      em,
      'active-login',
      `SELECT u.active AND (u.party_id IS NULL OR COALESCE(${partyActive('u.party_id')}, false)) AS active FROM users u WHERE u.id = $1`,
      [userId],
    );
    return row?.active === true;
  },

  async byId(em: EntityManager, userId: string): Promise<UserRow | undefined> {
    const [row] = await em.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [userId]);
    return row;
  },

  async byUsername(em: EntityManager, username: string): Promise<UserRow | undefined> {
    const [row] = await em.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [username]);
    return row;
  },

  /** Every user by id, or the one `userId`. */
  async list(em: EntityManager, userId: string | null): Promise<UserRow[]> {
    return await em.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE $1::bigint IS NULL OR id = $1 ORDER BY id`, [userId]);
  },

  async villagerOfParties(em: EntityManager, partyIds: readonly string[]): Promise<UserRow | undefined> {
    if (partyIds.length === 0) return undefined;
    const [row] = await em.query<UserRow[]>(`SELECT ${USER_COLUMNS} FROM users WHERE role = 'VILLAGER' AND party_id = ANY($1::bigint[]) ORDER BY id LIMIT 1`, [partyIds]);
    return row;
  },

  async lockVillagerOfParty(em: EntityManager, partyId: string): Promise<{ id: string } | undefined> {
    const [row] = await em.query<Array<{ id: string }>>(`SELECT id FROM users WHERE party_id = $1 AND role = 'VILLAGER' FOR UPDATE`, [partyId]);
    return row;
  },

  async setActive(em: EntityManager, userId: string, active: boolean): Promise<void> {
    await em.query(`UPDATE users SET active = $2 WHERE id = $1`, [userId, active]);
  },

  async deactivateOfParty(em: EntityManager, partyId: string): Promise<void> {
    await em.query(`UPDATE users SET active = false WHERE party_id = $1`, [partyId]);
  },

  async setPinHash(em: EntityManager, userId: string, pinHash: string): Promise<void> {
    await em.query(`UPDATE users SET pin_hash = $2 WHERE id = $1`, [userId, pinHash]);
  },

  // ---------------------------------------------------------------- api_keys

  async insertApiKey(em: EntityManager, row: { prefix: string; secretHash: string; name: string; userId: string }): Promise<{ id: string }> {
    const [inserted] = await em.query<Array<{ id: string }>>(`INSERT INTO api_keys (prefix, secret_hash, name, user_id) VALUES ($1, $2, $3, $4) RETURNING id`, [
      row.prefix,
      row.secretHash,
      row.name,
      row.userId,
    ]);
    return inserted;
  },

  /** False when there is no unrevoked key with this id. */
  async revokeApiKey(em: EntityManager, id: string): Promise<boolean> {
    // In a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, rowCount], which is never empty.
    const rows = await em.query<unknown[]>(`WITH u AS (UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id) SELECT id FROM u`, [id]);
    return rows.length > 0;
  },

  async revokeApiKeysOf(em: EntityManager, userId: string): Promise<void> {
    await em.query(`UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [userId]);
  },

  /** The active user of an unrevoked key with this prefix, and the key's secret hash. */
  async activeKeyUser(em: EntityManager, prefix: string): Promise<(UserRow & { secret_hash: string }) | undefined> {
    const [row] = await em.query<Array<UserRow & { secret_hash: string }>>(
      `SELECT ${U_USER_COLUMNS}, k.secret_hash FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.prefix = $1 AND k.revoked_at IS NULL AND u.active`,
      [prefix],
    );
    return row;
  },

  async listApiKeys(em: EntityManager): Promise<ApiKeyRow[]> {
    return await em.query<ApiKeyRow[]>(`SELECT id, prefix, name, user_id, created_at, revoked_at FROM api_keys ORDER BY id`);
  },
};
