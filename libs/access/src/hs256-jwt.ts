import { NamedKey, SINGLE_KEY_ID } from '@forest-ledger/platform';
import { createHmac, KeyObject, createSecretKey, timingSafeEqual } from 'node:crypto';

const headerOf = (kid?: string) => Buffer.from(JSON.stringify(kid === undefined ? { alg: 'HS256', typ: 'JWT' } : { alg: 'HS256', typ: 'JWT', kid })).toString('base64url');
/** The header of tokens signed before keys had ids: verified against every key of the ring. */
const LEGACY_HEADER = headerOf();

/**
 * Compact HS256 JSON Web Tokens (RFC 7519) with fixed headers: only HS256 is ever accepted, so
 * no algorithm confusion. Replaces jsonwebtoken, which re-parses the secret into a key on every
 * verify (a failed PEM parse first): a third of the API's CPU per request in the ledger bench.
 * Key ring: the first key signs (its id is the header's `kid`); a token verifies under the key its
 * `kid` names, so tokens signed with an older key stay valid until they expire while it is listed.
 */
export class Hs256Jwt {
  private readonly signing: { header: string; key: KeyObject };
  /** Exact header text → its key: any other header (another alg, an unknown kid) is refused. */
  private readonly byHeader = new Map<string, KeyObject>();
  private readonly all: KeyObject[];

  constructor(keys: readonly NamedKey[] | string) {
    const ring = typeof keys === 'string' ? [{ id: SINGLE_KEY_ID, secret: keys }] : keys;
    if (ring.length === 0) throw new Error('a JWT key ring needs at least one key');
    this.all = ring.map((k) => createSecretKey(Buffer.from(k.secret, 'utf8')));
    ring.forEach((k, i) => this.byHeader.set(headerOf(k.id), this.all[i]));
    this.signing = { header: headerOf(ring[0].id), key: this.all[0] };
  }

  sign(claims: Record<string, unknown>, ttlSeconds: number, now = Date.now()): string {
    const iat = Math.floor(now / 1000);
    const body = Buffer.from(JSON.stringify({ ...claims, iat, exp: iat + ttlSeconds })).toString('base64url');
    const { header, key } = this.signing;
    return `${header}.${body}.${mac(key, `${header}.${body}`)}`;
  }

  /** The claims of a well-formed, correctly signed, unexpired token; otherwise null. */
  verify<T extends object>(token: string, now = Date.now()): (T & { iat: number; exp: number }) | null {
    const parts = token.split('.');
    if (parts.length !== 3) return null;
    const candidates = parts[0] === LEGACY_HEADER ? this.all : [this.byHeader.get(parts[0])].filter((k): k is KeyObject => k !== undefined);
    const given = Buffer.from(parts[2]);
    const signed = candidates.some((key) => {
      const expected = Buffer.from(mac(key, `${parts[0]}.${parts[1]}`));
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!signed) return null;
    try {
      const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as T & { iat: number; exp: number };
      return typeof claims.exp === 'number' && claims.exp * 1000 > now ? claims : null;
    } catch (error: unknown) {
      if (error instanceof SyntaxError) return null; // signed but not JSON: refused like a bad signature
      throw error;
    }
  }
}

function mac(key: KeyObject, input: string): string {
  return createHmac('sha256', key).update(input).digest('base64url');
}
