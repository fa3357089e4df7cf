import { DomainError } from '@forest-ledger/common';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Env, keyRing, REDIS, RedisKeys } from '@forest-ledger/platform';
import * as argon2 from 'argon2';
import Redis from 'ioredis';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { AccessParties } from './access-parties';
import { PARTY_SCOPED_ROLES, Role, ROLES } from './access.model';
import { AuthUser } from './access.types';
import { Hs256Jwt } from './hs256-jwt';
import { AttemptCounter } from './login-attempts';
import { UserRow, usersStore } from './users.store';

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
  const scoped = PARTY_SCOPED_ROLES.includes(input.role);
  if (scoped !== Boolean(input.partyId)) {
    throw new DomainError('invalid', 'VALIDATION_FAILED', scoped ? `a ${input.role} user must be scoped to a party` : `a ${input.role} user is not scoped to a party`, 'party');
  }
  if (input.role === 'VILLAGER' && !PIN_PATTERN.test(input.pin ?? '')) throw new DomainError('invalid', 'VALIDATION_FAILED', 'pin must be 6 digits', 'pin');
  if (input.role !== 'VILLAGER' && (!input.username || !input.password || input.password.length < 12)) {
    throw new DomainError('invalid', 'VALIDATION_FAILED', 'staff users need a username and a password of at least 12 characters', 'password');
  }
  const row = await usersStore.insert(em, {
    username: input.role === 'VILLAGER' ? null : (input.username ?? null),
    displayName: input.displayName,
    role: input.role,
    partyId: input.partyId ?? null,
    passwordHash: input.password ? await argon2.hash(input.password) : null,
    pinHash: input.pin ? await argon2.hash(input.pin) : null,
  });
  if (!row) throw new DomainError('conflict', 'USER_EXISTS', 'a user with this username (or this party and role) already exists', 'username');
  return row;
}

/** A staff user who can never log in (no password, inactive): a named maker or checker of loaded data. */
export async function insertRecordOnlyUser(em: EntityManager, input: { username: string; displayName: string; role: Role }): Promise<{ id: string }> {
  const row = await usersStore.insert(em, {
    username: input.username,
    displayName: input.displayName,
    role: input.role,
    partyId: null,
    passwordHash: null,
    pinHash: null,
    active: false,
  });
  if (!row) throw new DomainError('conflict', 'USER_EXISTS', 'a user with this username already exists', 'username');
  return row;
}

const unauthenticated = (message = 'invalid credentials') => new DomainError('unauthenticated', 'UNAUTHENTICATED', message);

/** A user row with its party's code (a scoped user's), as tokens and guards see it. */
type ScopedUser = UserRow & { party_code: string | null };

function toAuthUser(row: ScopedUser, via: AuthUser['via']): AuthUser {
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
    private readonly parties: AccessParties,
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
    // The roster lock first: the count below then starts after any concurrent deactivation committed.
    await usersStore.lockAdminRoster(em);
    const user = await this.lockUser(em, userId);
    if (user.id === actor.userId) throw new DomainError('rule', 'CANNOT_DEACTIVATE_SELF', 'you cannot deactivate your own login', 'id');
    if (user.active && user.role === 'ADMIN') {
      if ((await usersStore.countActiveAdminsExcept(em, user.id)) === 0)
        throw new DomainError('rule', 'LAST_ADMIN', 'this is the last active ADMIN: create or reactivate another first', 'id');
    }
    await usersStore.setActive(em, user.id, false);
    await usersStore.revokeApiKeysOf(em, user.id);
    this.activeUntil.delete(user.id);
    return this.userView(em, user.id);
  }

  /** Lets a deactivated user log in again (their revoked API keys stay revoked). */
  async reactivateUser(em: EntityManager, userId: string): Promise<UserView> {
    const user = await this.lockUser(em, userId);
    await usersStore.setActive(em, user.id, true);
    return this.userView(em, user.id);
  }

  private async lockUser(em: EntityManager, userId: string): Promise<UserRow> {
    const row = /^[1-9]\d{0,17}$/.test(userId) ? await usersStore.lock(em, userId) : undefined;
    if (!row) throw new DomainError('not-found', 'UNKNOWN_USER', `no user with id ${JSON.stringify(userId)}`, 'id');
    return row;
  }

  private async userView(em: EntityManager, userId: string): Promise<UserView> {
    const [view] = await this.userViews(em, userId);
    return view;
  }

  /** Every user by id, or the one `userId`; never credentials. */
  private async userViews(em: EntityManager, userId: string | null): Promise<UserView[]> {
    const rows = await this.withPartyCodes(em, await usersStore.list(em, userId));
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

  countUsers(): Promise<number> {
    return usersStore.count(this.dataSource.manager);
  }

  /** The rows with their party's code (asked of the parties feature). */
  private async withPartyCodes(em: EntityManager, rows: UserRow[]): Promise<ScopedUser[]> {
    const ids = rows.flatMap((r) => (r.party_id === null ? [] : [r.party_id]));
    const parties = await this.parties.byIds(em, ids);
    return rows.map((r) => ({ ...r, party_code: r.party_id === null ? null : (parties.get(r.party_id)?.code ?? null) }));
  }

  private async withPartyCode(em: EntityManager, row: UserRow | undefined): Promise<ScopedUser | null> {
    return row ? (await this.withPartyCodes(em, [row]))[0] : null;
  }

  // ---------------------------------------------------------------- what the parties feature asks

  /** A party deactivated: its users lose access (tokens within ACTIVE_CHECK_TTL_MS). */
  async deactivatePartyUsers(em: EntityManager, partyId: string): Promise<void> {
    await usersStore.deactivateOfParty(em, partyId);
  }

  /** Creates the party's VILLAGER user with this PIN, or sets a new PIN on the existing one (locked). */
  async setVillagerPin(em: EntityManager, partyId: string, displayName: string, pin: string): Promise<{ userId: string; created: boolean }> {
    const user = await usersStore.lockVillagerOfParty(em, partyId);
    if (user) {
      await usersStore.setPinHash(em, user.id, await argon2.hash(pin));
      return { userId: user.id, created: false };
    }
    const created = await insertUser(em, { displayName, role: 'VILLAGER', pin, partyId });
    return { userId: created.id, created: true };
  }

  // ---------------------------------------------------------------- logins

  async login(username: string, password: string, address: string): Promise<IssuedToken> {
    return this.limited(`user:${username.toLowerCase()}`, address, async () => {
      const em = this.dataSource.manager;
      const row = await this.withPartyCode(em, await usersStore.byUsername(em, username));
      const ok = row?.active && row.password_hash ? await argon2.verify(row.password_hash, password) : false;
      return ok ? row : null;
    });
  }

  /** Villagers sign in with their resident ID number and PIN; the ID is matched by its HMAC under any configured key (rotation). */
  async villagerLogin(idNumber: string, pin: string, address: string): Promise<IssuedToken> {
    const resident = this.parties.resident(idNumber);
    return this.limited(`villager:${resident.limitKey}`, address, async () => {
      const em = this.dataSource.manager;
      const row = await this.withPartyCode(em, await usersStore.villagerOfParties(em, await resident.partyIds(em)));
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
    const row = await usersStore.byId(this.dataSource.manager, user.userId);
    if (row?.role !== 'VILLAGER' || row.pin_hash === null || !(await argon2.verify(row.pin_hash, currentPin))) {
      await this.attempts.record([key], LOGIN_LIMITS.windowSeconds);
      throw new DomainError('rule', 'WRONG_PIN', 'currentPin is not your current PIN', 'currentPin');
    }
    await usersStore.setPinHash(this.dataSource.manager, user.userId, await argon2.hash(newPin));
    await this.attempts.clear(key);
  }

  /**
   * Counts failures per account and per address in Redis (so every API instance shares them);
   * refuses while either is at its limit, and clears the account's count on success.
   */
  private async limited(account: string, address: string, check: () => Promise<ScopedUser | null>): Promise<IssuedToken> {
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

  private async issue(row: ScopedUser): Promise<IssuedToken> {
    const claims: TokenClaims = { sub: row.id, role: row.role, pid: row.party_id, pcode: row.party_code, name: row.display_name };
    return { accessToken: await this.jwt.sign({ ...claims }, this.env.JWT_TTL_SECONDS), tokenType: 'Bearer', expiresIn: this.env.JWT_TTL_SECONDS, role: row.role };
  }

  /** A token for a user, bypassing credentials: for the first-admin CLI and for tests. */
  async tokenFor(userId: string): Promise<IssuedToken> {
    const em = this.dataSource.manager;
    const row = await this.withPartyCode(em, await usersStore.byId(em, userId));
    if (!row) throw unauthenticated('no such user');
    return this.issue(row);
  }

  // ---------------------------------------------------------------- authentication of requests

  async authenticateToken(token: string): Promise<AuthUser> {
    const claims = await this.jwt.verify<TokenClaims>(token);
    if (!claims) throw unauthenticated('the access token is invalid or expired');
    if (!(await this.stillActive(claims.sub))) throw unauthenticated('this login has been deactivated');
    return { userId: claims.sub, role: claims.role, partyId: claims.pid, partyCode: claims.pcode, displayName: claims.name, via: 'token' };
  }

  /** The user and their party (if any) are active: asked of the database at most every ACTIVE_CHECK_TTL_MS per user. */
  private async stillActive(userId: string): Promise<boolean> {
    const now = Date.now();
    if ((this.activeUntil.get(userId) ?? 0) > now) return true;
    // One statement (the party's part asked of the parties feature inside it): this runs for most requests of a
    // villager who loads a page every few seconds.
    const active = await usersStore.activeLogin(this.dataSource.manager, userId, (partyId) => this.parties.activeSql(partyId));
    if (!active) {
      this.activeUntil.delete(userId);
      return false;
    }
    if (this.activeUntil.size >= 100_000) this.activeUntil.clear();
    this.activeUntil.set(userId, now + ACTIVE_CHECK_TTL_MS);
    return true;
  }

  /** API keys look like `flk_<prefix>_<secret>`; only SHA-256(secret) is stored, compared in constant time. */
  async authenticateApiKey(key: string): Promise<AuthUser> {
    const match = /^flk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
    if (!match) throw unauthenticated('the API key is malformed');
    const em = this.dataSource.manager;
    const found = await usersStore.activeKeyUser(em, match[1]);
    const row = found ? { ...(await this.withPartyCode(em, found))!, secret_hash: found.secret_hash } : undefined;
    const given = createHash('sha256').update(match[2]).digest();
    if (!row || !timingSafeEqual(given, Buffer.from(row.secret_hash, 'hex'))) throw unauthenticated('the API key is unknown or revoked');
    return toAuthUser(row, 'api-key');
  }

  async createApiKey(em: EntityManager, userId: string, name: string): Promise<{ id: string; prefix: string; key: string }> {
    const prefix = randomBytes(9).toString('base64url').replace(/[-_]/g, '').slice(0, 12).padEnd(12, '0');
    const secret = randomBytes(32).toString('base64url');
    const row = await usersStore.insertApiKey(em, { prefix, secretHash: createHash('sha256').update(secret).digest('hex'), name, userId });
    return { id: row.id, prefix, key: `flk_${prefix}_${secret}` };
  }

  async revokeApiKey(em: EntityManager, id: string): Promise<void> {
    if (!(await usersStore.revokeApiKey(em, /^\d{1,18}$/.test(id) ? id : '0'))) throw new DomainError('not-found', 'UNKNOWN_API_KEY', `no active API key with id ${id}`, 'id');
  }

  async listApiKeys(): Promise<Array<{ id: string; prefix: string; name: string; userId: string; createdAt: string; revokedAt: string | null }>> {
    const rows = await usersStore.listApiKeys(this.dataSource.manager);
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
