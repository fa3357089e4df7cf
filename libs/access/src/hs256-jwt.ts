import { NamedKey, SINGLE_KEY_ID } from '@forest-ledger/platform';
import { createSecretKey, KeyObject } from 'node:crypto';
import { decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';

/**
 * Compact HS256 JSON Web Tokens (RFC 7519) on `jose`: only HS256 with `typ: JWT` is accepted, so no
 * algorithm confusion, and `exp` is required.
 * Key ring: the first key signs (its id is the header's `kid`); a token verifies under the key its
 * `kid` names, so tokens signed with an older key stay valid until they expire while it is listed.
 * A token without `kid` (signed before keys had ids) is verified against every key of the ring.
 * Verified tokens are remembered by their exact text until they expire (at most VERIFIED_CACHE_SIZE):
 * jose's verify costs about twice the hand-written one it replaced (80 vs 43 µs on the loaded dev box),
 * and a client sends the same token with every request.
 */
export const VERIFIED_CACHE_SIZE = 10_000;

export class Hs256Jwt {
  /** Token text → its claims; insertion order is age order, so the oldest goes first when full. */
  private readonly verified = new Map<string, { iat: number; exp: number }>();
  private readonly signing: { kid: string; key: KeyObject };
  private readonly byKid = new Map<string, KeyObject>();
  private readonly all: KeyObject[];

  constructor(keys: readonly NamedKey[] | string) {
    const ring = typeof keys === 'string' ? [{ id: SINGLE_KEY_ID, secret: keys }] : keys;
    if (ring.length === 0) throw new Error('a JWT key ring needs at least one key');
    this.all = ring.map((k) => createSecretKey(Buffer.from(k.secret, 'utf8')));
    ring.forEach((k, i) => this.byKid.set(k.id, this.all[i]));
    this.signing = { kid: ring[0].id, key: this.all[0] };
  }

  sign(claims: Record<string, unknown>, ttlSeconds: number, now = Date.now()): Promise<string> {
    const iat = Math.floor(now / 1000);
    return new SignJWT({ ...claims })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: this.signing.kid })
      .setIssuedAt(iat)
      .setExpirationTime(iat + ttlSeconds)
      .sign(this.signing.key);
  }

  /** The claims of a well-formed, correctly signed, unexpired token; otherwise null. */
  async verify<T extends object>(token: string, now = Date.now()): Promise<(T & { iat: number; exp: number }) | null> {
    const known = this.verified.get(token);
    if (known !== undefined) {
      if (known.exp * 1000 > now) return { ...known } as T & { iat: number; exp: number };
      this.verified.delete(token);
    }
    for (const key of this.keysFor(token)) {
      try {
        const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], typ: 'JWT', requiredClaims: ['exp'], currentDate: new Date(now) });
        const claims = payload as T & { iat: number; exp: number };
        this.remember(token, claims);
        return { ...claims };
      } catch (error: unknown) {
        if (!(error instanceof errors.JOSEError)) throw error;
        if (!(error instanceof errors.JWSSignatureVerificationFailed)) return null; // expired, malformed, wrong alg: no other key helps
      }
    }
    return null;
  }

  private remember(token: string, claims: { iat: number; exp: number }): void {
    if (this.verified.size >= VERIFIED_CACHE_SIZE) {
      for (const [t, c] of this.verified) if (c.exp * 1000 <= Date.now()) this.verified.delete(t);
      if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    }
    this.verified.set(token, claims);
  }

  /** The key the header's kid names (none if unknown), or every key for a token without kid; none for a malformed token. */
  private keysFor(token: string): KeyObject[] {
    let kid: unknown;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch (error: unknown) {
      if (error instanceof errors.JOSEError || error instanceof TypeError) return []; // not a JWS: refused like a bad signature
      throw error;
    }
    if (kid === undefined) return this.all;
    const key = typeof kid === 'string' ? this.byKid.get(kid) : undefined;
    return key ? [key] : [];
  }
}
