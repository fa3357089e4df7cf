import { DomainError } from '@forest-ledger/common';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Env, keyRing, REDIS, RedisKeys } from '@forest-ledger/platform';
import * as argon2 from 'argon2';
import Redis from 'ioredis';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { normaliseResidentId } from '../parties/identity-codes';
import { PiiCipher } from '../parties/pii';
import { Role, ROLES } from './access.entities';
import { AuthUser } from './access.types';
import { Hs256Jwt } from './hs256-jwt';
import { AttemptCounter } from './login-attempts';

/** Failed logins allowed per window, per account and per client address (shared through Redis). */
export const LOGIN_LIMITS = { perAccount: 5, perAddress: 20, windowSeconds: 15 * 60 };
/**
 * How long a token's user is taken as still active without asking the database again: a user (or
 * party) deactivated elsewhere loses access within this, not when the token expires.
 */
export const ACTIVE_CHECK_TTL_MS = 5_000;

export interface UserView {
  id: string;
  username: string | null;
  displayName: string;
  role: Role;
  partyCode: string | null;
  active: boolean;
  createdAt: string;
}
export const PIN_PATTERN = /^\d{6}$/;

interface UserRow {
  id: string;
  username: string | null;
  display_name: string;
  role: Role;
  party_id: string | null;
  party_code: string | null;
  password_hash: string | null;
  pin_hash: string | null;
  active: boolean;
}

interface TokenClaims {
  sub: string;
  role: Role;
  pid: string | null;
  pcode: string | null;
  name: string;
}

export interface IssuedToken {
  accessToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
  role: Role;
}

const USER_COLUMNS = `u.id, u.username, u.display_name, u.role, u.party_id, p.code AS party_code, u.password_hash, u.pin_hash, u.active`;

export interface NewUser {
  username?: string | null;
  displayName: string;
  role: Role;
  password?: string;
  pin?: string;
  partyId?: string | null;
}

/** Inserts a user with argon2id hashes of its password or PIN (no Nest needed: the start script uses it for the first admin). */
export async function insertUser(em: EntityManager, input: NewUser): Promise<{ id: string }> {
  if (!ROLES.includes(input.role)) throw new DomainError('invalid', 'VALIDATION_FAILED', `role must be one of ${ROLES.join(', ')}`, 'role');
  const scoped = input.role === 'FARM_OPERATOR' || input.role === 'BUYER' || input.role === 'VILLAGER';
  if (scoped !== Boolean(input.partyId)) {
    throw new DomainError('invalid', 'VALIDATION_FAILED', scoped ? `a ${input.role} user must be scoped to a party` : `a ${input.role} user is not scoped to a party`, 'party');
  }
  if (input.role === 'VILLAGER' && !PIN_PATTERN.test(input.pin ?? '')) throw new DomainError('invalid', 'VALIDATION_FAILED', 'pin must be 6 digits', 'pin');
  if (input.role !== 'VILLAGER' && (!input.username || !input.password || input.password.length < 12)) {
    throw new DomainError('invalid', 'VALIDATION_FAILED', 'staff users need a username and a password of at least 12 characters', 'password');
  }
  const rows = (await em.query(
    `INSERT INTO users (username, display_name, role, party_id, password_hash, pin_hash) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING RETURNING id`,
    [
      input.role === 'VILLAGER' ? null : input.username,
      input.displayName,
      input.role,
      input.partyId ?? null,
      input.password ? await argon2.hash(input.password) : null,
      input.pin ? await argon2.hash(input.pin) : null,
    ],
  )) as Array<{ id: string }>;
  if (rows.length === 0) throw new DomainError('conflict', 'USER_EXISTS', 'a user with this username (or this party and role) already exists', 'username');
  return rows[0];
}

const unauthenticated = (message = 'invalid credentials') => new DomainError('unauthenticated', 'UNAUTHENTICATED', message);

function toAuthUser(row: UserRow, via: AuthUser['via']): AuthUser {
  return { userId: row.id, role: row.role, partyId: row.party_id, partyCode: row.party_code, displayName: row.display_name, via };
}

/** Users, credentials, tokens, API keys and the login rate limit. */
@Injectable()
export class AccessService {
  private readonly jwt: Hs256Jwt;
  private readonly keys: RedisKeys;
  /** User id → the time (ms) until which the user is known to be active (per process). */
  private readonly activeUntil = new Map<string, number>();
  /** Failed logins and PIN changes, in Redis, or in memory while Redis is unreachable. */
  private readonly attempts: AttemptCounter;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly env: Env,
    private readonly pii: PiiCipher,
    @Inject(REDIS) redis: Redis,
  ) {
    this.jwt = new Hs256Jwt(keyRing(env, 'JWT_SECRETS'));
    this.attempts = new AttemptCounter(redis);
    this.keys = RedisKeys.of(env);
  }

  // ---------------------------------------------------------------- users

  createUser(em: EntityManager, input: NewUser): Promise<{ id: string }> {
    return insertUser(em, input);
  }

  listUsers(): Promise<UserView[]> {
    return this.userViews(this.dataSource.manager, null);
  }

  /**
   * Deactivates a user (someone who left): no more logins, their API keys revoked, and their tokens
   * refused within ACTIVE_CHECK_TTL_MS. Not oneself, and never the last active ADMIN. Deactivating an
   * inactive user changes nothing.
   */
  async deactivateUser(em: EntityManager, actor: AuthUser, userId: string): Promise<UserView> {
    const user = await this.lockUser(em, userId);
    if (user.id === actor.userId) throw new DomainError('rule', 'CANNOT_DEACTIVATE_SELF', 'you cannot deactivate your own login', 'id');
    if (user.active && user.role === 'ADMIN') {
      const [{ n }] = (await em.query(`SELECT count(*)::int AS n FROM users WHERE role = 'ADMIN' AND active AND id <> $1`, [user.id])) as Array<{ n: number }>;
      if (n === 0) throw new DomainError('rule', 'LAST_ADMIN', 'this is the last active ADMIN: create or reactivate another first', 'id');
    }
    await em.query(`UPDATE users SET active = false WHERE id = $1`, [user.id]);
    await em.query(`UPDATE api_keys SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, [user.id]);
    this.activeUntil.delete(user.id);
    return this.userView(em, user.id);
  }

  /** Lets a deactivated user log in again (their revoked API keys stay revoked). */
  async reactivateUser(em: EntityManager, userId: string): Promise<UserView> {
    const user = await this.lockUser(em, userId);
    await em.query(`UPDATE users SET active = true WHERE id = $1`, [user.id]);
    return this.userView(em, user.id);
  }

  private async lockUser(em: EntityManager, userId: string): Promise<{ id: string; role: Role; active: boolean }> {
    const [row] = /^[1-9]\d{0,17}$/.test(userId)
      ? ((await em.query(`SELECT id, role, active FROM users WHERE id = $1 FOR UPDATE`, [userId])) as Array<{ id: string; role: Role; active: boolean }>)
      : [];
    if (!row) throw new DomainError('not-found', 'UNKNOWN_USER', `no user with id ${JSON.stringify(userId)}`, 'id');
    return row;
  }

  private async userView(em: EntityManager, userId: string): Promise<UserView> {
    const [view] = await this.userViews(em, userId);
    return view;
  }

  /** Every user by id, or the one `userId`; never credentials. */
  private async userViews(em: EntityManager, userId: string | null): Promise<UserView[]> {
    const rows = (await em.query(
      `SELECT u.id, u.username, u.display_name, u.role, p.code AS party_code, u.active, u.created_at FROM users u LEFT JOIN parties p ON p.id = u.party_id
        WHERE $1::bigint IS NULL OR u.id = $1 ORDER BY u.id`,
      [userId],
    )) as Array<{ id: string; username: string | null; display_name: string; role: Role; party_code: string | null; active: boolean; created_at: Date }>;
    return rows.map((r) => ({
      id: r.id,
      username: r.username,
      displayName: r.display_name,
      role: r.role,
      partyCode: r.party_code,
      active: r.active,
      createdAt: r.created_at.toISOString(),
    }));
  }

  async countUsers(): Promise<number> {
    const [{ n }] = (await this.dataSource.query(`SELECT count(*)::int AS n FROM users`)) as Array<{ n: number }>;
    return n;
  }

  // ---------------------------------------------------------------- logins

  async login(username: string, password: string, address: string): Promise<IssuedToken> {
    return this.limited(`user:${username.toLowerCase()}`, address, async () => {
      const [row] = (await this.dataSource.query(`SELECT ${USER_COLUMNS} FROM users u LEFT JOIN parties p ON p.id = u.party_id WHERE u.username = $1`, [username])) as UserRow[];
      const ok = row?.active && row.password_hash ? await argon2.verify(row.password_hash, password) : false;
      return ok ? row : null;
    });
  }

  /** Villagers sign in with their resident ID number and PIN; the ID is matched by its HMAC under any configured key (rotation). */
  async villagerLogin(idNumber: string, pin: string, address: string): Promise<IssuedToken> {
    const normalised = normaliseResidentId(idNumber);
    const hmacs = this.pii.hmacCandidates('RESIDENT_ID', normalised);
    return this.limited(`villager:${hmacs[0]}`, address, async () => {
      const [row] = (await this.dataSource.query(
        `SELECT ${USER_COLUMNS} FROM users u JOIN parties p ON p.id = u.party_id
         WHERE u.role = 'VILLAGER' AND p.id_kind = 'RESIDENT_ID' AND p.id_hmac = ANY($1::text[]) AND p.active`,
        [hmacs],
      )) as UserRow[];
      const ok = row?.active && row.pin_hash ? await argon2.verify(row.pin_hash, pin) : false;
      return ok ? row : null;
    });
  }

  /**
   * A villager changes their PIN, giving the current one. Wrong current PINs count like failed logins
   * (LOGIN_LIMITS.perAccount per window, then 429), so a stolen token cannot try PINs until one fits.
   */
  async changePin(user: AuthUser, currentPin: string, newPin: string): Promise<void> {
    if (!PIN_PATTERN.test(newPin)) throw new DomainError('invalid', 'VALIDATION_FAILED', 'newPin must be 6 digits', 'newPin');
    const key = this.keys.pinFailures(user.userId);
    const [fails] = await this.attempts.counts([key]);
    if (fails >= LOGIN_LIMITS.perAccount) {
      const ttl = await this.attempts.secondsLeft(key);
      throw new DomainError('rate-limited', 'TOO_MANY_ATTEMPTS', `too many wrong PINs; try again in ${ttl} s`, 'currentPin', { retryAfterSeconds: ttl });
    }
    const [row] = (await this.dataSource.query(`SELECT pin_hash FROM users WHERE id = $1 AND role = 'VILLAGER'`, [user.userId])) as Array<{ pin_hash: string }>;
    if (!row || !(await argon2.verify(row.pin_hash, currentPin))) {
      await this.attempts.record([key], LOGIN_LIMITS.windowSeconds);
      throw new DomainError('rule', 'WRONG_PIN', 'currentPin is not your current PIN', 'currentPin');
    }
    await this.dataSource.query(`UPDATE users SET pin_hash = $2 WHERE id = $1`, [user.userId, await argon2.hash(newPin)]);
    await this.attempts.clear(key);
  }

  /**
   * Counts failures per account and per address in Redis (so every API instance shares them);
   * refuses while either is at its limit, and clears the account's count on success.
   */
  private async limited(account: string, address: string, check: () => Promise<UserRow | null>): Promise<IssuedToken> {
    const keys = [this.keys.loginFailures('account', account), this.keys.loginFailures('address', address)];
    const [accountFails, addressFails] = await this.attempts.counts(keys);
    if (accountFails >= LOGIN_LIMITS.perAccount || addressFails >= LOGIN_LIMITS.perAddress) {
      const ttl = await this.attempts.secondsLeft(accountFails >= LOGIN_LIMITS.perAccount ? keys[0] : keys[1]);
      throw new DomainError('rate-limited', 'TOO_MANY_ATTEMPTS', `too many failed logins; try again in ${ttl} s`, undefined, { retryAfterSeconds: ttl });
    }
    const user = await check();
    if (!user) {
      await this.attempts.record(keys, LOGIN_LIMITS.windowSeconds);
      throw unauthenticated();
    }
    await this.attempts.clear(keys[0]);
    return this.issue(user);
  }

  private issue(row: UserRow): IssuedToken {
    const claims: TokenClaims = { sub: row.id, role: row.role, pid: row.party_id, pcode: row.party_code, name: row.display_name };
    return { accessToken: this.jwt.sign({ ...claims }, this.env.JWT_TTL_SECONDS), tokenType: 'Bearer', expiresIn: this.env.JWT_TTL_SECONDS, role: row.role };
  }

  /** A token for a user, bypassing credentials: for the first-admin CLI and for tests. */
  async tokenFor(userId: string): Promise<IssuedToken> {
    const [row] = (await this.dataSource.query(`SELECT ${USER_COLUMNS} FROM users u LEFT JOIN parties p ON p.id = u.party_id WHERE u.id = $1`, [userId])) as UserRow[];
    if (!row) throw unauthenticated('no such user');
    return this.issue(row);
  }

  // ---------------------------------------------------------------- authentication of requests

  async authenticateToken(token: string): Promise<AuthUser> {
    const claims = this.jwt.verify<TokenClaims>(token);
    if (!claims) throw unauthenticated('the access token is invalid or expired');
    if (!(await this.stillActive(claims.sub))) throw unauthenticated('this login has been deactivated');
    return { userId: claims.sub, role: claims.role, partyId: claims.pid, partyCode: claims.pcode, displayName: claims.name, via: 'token' };
  }

  /** API keys look like `flk_<prefix>_<secret>`; only SHA-256(secret) is stored, compared in constant time. */
  /** The user and their party (if any) are active: asked of the database at most every ACTIVE_CHECK_TTL_MS per user. */
  private async stillActive(userId: string): Promise<boolean> {
    const now = Date.now();
    if ((this.activeUntil.get(userId) ?? 0) > now) return true;
    const [row] = (await this.dataSource.query(`SELECT u.active AND COALESCE(p.active, true) AS active FROM users u LEFT JOIN parties p ON p.id = u.party_id WHERE u.id = $1`, [
      userId,
    ])) as Array<{ active: boolean }>;
    if (!row?.active) {
      this.activeUntil.delete(userId);
      return false;
    }
    if (this.activeUntil.size >= 100_000) this.activeUntil.clear();
    this.activeUntil.set(userId, now + ACTIVE_CHECK_TTL_MS);
    return true;
  }

  async authenticateApiKey(key: string): Promise<AuthUser> {
    const match = /^flk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
    if (!match) throw unauthenticated('the API key is malformed');
    const [row] = (await this.dataSource.query(
      `SELECT ${USER_COLUMNS}, k.secret_hash FROM api_keys k JOIN users u ON u.id = k.user_id LEFT JOIN parties p ON p.id = u.party_id
       WHERE k.prefix = $1 AND k.revoked_at IS NULL AND u.active`,
      [match[1]],
    )) as Array<UserRow & { secret_hash: string }>;
    const given = createHash('sha256').update(match[2]).digest();
    if (!row || !timingSafeEqual(given, Buffer.from(row.secret_hash, 'hex'))) throw unauthenticated('the API key is unknown or revoked');
    return toAuthUser(row, 'api-key');
  }

  async createApiKey(em: EntityManager, userId: string, name: string): Promise<{ id: string; prefix: string; key: string }> {
    const prefix = randomBytes(9).toString('base64url').replace(/[-_]/g, '').slice(0, 12).padEnd(12, '0');
    const secret = randomBytes(32).toString('base64url');
    const [row] = (await em.query(`INSERT INTO api_keys (prefix, secret_hash, name, user_id) VALUES ($1, $2, $3, $4) RETURNING id`, [
      prefix,
      createHash('sha256').update(secret).digest('hex'),
      name,
      userId,
    ])) as Array<{ id: string }>;
    return { id: row.id, prefix, key: `flk_${prefix}_${secret}` };
  }

  async revokeApiKey(em: EntityManager, id: string): Promise<void> {
    // In a CTE: TypeORM answers a bare UPDATE … RETURNING with [rows, rowCount], which is never empty.
    const rows = (await em.query(`WITH u AS (UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING id) SELECT id FROM u`, [
      /^\d{1,18}$/.test(id) ? id : '0',
    ])) as unknown[];
    if (rows.length === 0) throw new DomainError('not-found', 'UNKNOWN_API_KEY', `no active API key with id ${id}`, 'id');
  }

  async listApiKeys(): Promise<Array<{ id: string; prefix: string; name: string; userId: string; createdAt: string; revokedAt: string | null }>> {
    const rows = (await this.dataSource.query(`SELECT id, prefix, name, user_id, created_at, revoked_at FROM api_keys ORDER BY id`)) as Array<{
      id: string;
      prefix: string;
      name: string;
      user_id: string;
      created_at: Date;
      revoked_at: Date | null;
    }>;
    return rows.map((r) => ({
      id: r.id,
      prefix: r.prefix,
      name: r.name,
      userId: r.user_id,
      createdAt: r.created_at.toISOString(),
      revokedAt: r.revoked_at?.toISOString() ?? null,
    }));
  }
}
