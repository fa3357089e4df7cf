import { NamedKey, SINGLE_KEY_ID } from '@forest-ledger/platform';
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

interface RingKey {
  id: string;
  key: Buffer;
}

function ringOf(keys: readonly NamedKey[] | string, what: string): RingKey[] {
  const ring = (typeof keys === 'string' ? [{ id: SINGLE_KEY_ID, secret: keys }] : keys).map((k) => ({ id: k.id, key: Buffer.from(k.secret, 'base64') }));
  if (ring.length === 0 || ring.some((k) => k.key.length !== 32)) throw new Error(`${what} keys must be 32 bytes each, at least one`);
  return ring;
}

/**
 * ID numbers (and bank cards) at rest: an HMAC-SHA256 (keyed, so the 18 digits cannot be brute-forced
 * from a dump) to find and deduplicate parties, AES-256-GCM ciphertext for the audited admin reveal,
 * and a masked copy for every other screen. The clear value is never stored.
 *
 * Both keys are rings, newest first, and every stored value names its key:
 * - ciphertext `v2.<kid>.<iv>.<tag>.<body>`; the older `v1.<iv>.<tag>.<body>` (before key ids) is tried under every key;
 * - HMAC `<kid>:<mac>`, except under key `k0` (the single-variable key), whose HMACs stay the bare `<mac>` of
 *   before key ids, so the stored values of a deployment that never rotated do not change.
 * New values use the newest key; lookups try every key (hmacCandidates) until `npm run pii:rotate` has
 * re-keyed every row, after which the older keys can be dropped.
 */
export class PiiCipher {
  private readonly encryption: RingKey[];
  private readonly hmacKeys: RingKey[];

  constructor(encryptionKeys: readonly NamedKey[] | string, hmacKeys: readonly NamedKey[] | string) {
    this.encryption = ringOf(encryptionKeys, 'PII encryption');
    this.hmacKeys = ringOf(hmacKeys, 'PII HMAC');
  }

  /** The ids of the newest keys: what `pii:rotate` brings every row to. */
  get currentKeyIds(): { encryption: string; hmac: string } {
    return { encryption: this.encryption[0].id, hmac: this.hmacKeys[0].id };
  }

  /** Lookup key for a normalised ID number, scoped by its kind, under the newest HMAC key. */
  hmac(kind: string, normalisedId: string): string {
    return this.hmacUnder(this.hmacKeys[0], kind, normalisedId);
  }

  /** Every value the ID may be stored under while HMAC keys rotate, newest first: search `id_hmac = ANY(…)`. */
  hmacCandidates(kind: string, normalisedId: string): string[] {
    return this.hmacKeys.map((k) => this.hmacUnder(k, kind, normalisedId));
  }

  /** Whether a stored HMAC was made with the newest key. */
  isCurrentHmac(stored: string): boolean {
    return hmacKeyIdOf(stored) === this.hmacKeys[0].id;
  }

  private hmacUnder(k: RingKey, kind: string, normalisedId: string): string {
    const mac = createHmac('sha256', k.key).update(`${kind}:${normalisedId}`, 'utf8').digest('base64url');
    return k.id === SINGLE_KEY_ID ? mac : `${k.id}:${mac}`;
  }

  /** `v2.<kid>.<iv>.<tag>.<ciphertext>` in base64url under the newest key; a fresh 96-bit IV each time. */
  encrypt(clear: string): string {
    const { id, key } = this.encryption[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    const body = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
    return ['v2', id, ...[iv, cipher.getAuthTag(), body].map((p) => p.toString('base64url'))].join('.');
  }

  /** Whether a ciphertext is under the newest key. */
  isCurrentCipher(sealed: string): boolean {
    return sealed.startsWith(`v2.${this.encryption[0].id}.`);
  }

  decrypt(sealed: string): string {
    const parts = sealed.split('.');
    if (parts[0] === 'v2' && parts.length === 5) {
      const k = this.encryption.find((e) => e.id === parts[1]);
      if (!k) throw new Error(`PII ciphertext under key ${parts[1]}, which is not configured`);
      return open(k.key, parts[2], parts[3], parts[4]);
    }
    if (parts[0] === 'v1' && parts.length === 4) {
      for (const k of this.encryption) {
        try {
          return open(k.key, parts[1], parts[2], parts[3]);
        } catch (error: unknown) {
          // the GCM tag names no key: a failed authentication means the next one may be it
          if (!String((error as { message?: unknown } | null)?.message).includes('unable to authenticate data')) throw error;
        }
      }
      throw new Error('no configured PII key decrypts this v1 ciphertext');
    }
    throw new Error('unknown PII ciphertext format');
  }
}

/** The key id of a stored HMAC (`k0` for a bare one). */
export function hmacKeyIdOf(stored: string): string {
  const colon = stored.indexOf(':');
  return colon < 0 ? SINGLE_KEY_ID : stored.slice(0, colon);
}

function open(key: Buffer, iv: string, tag: string, body: string): string {
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/** A table's columns sealed by PiiCipher, described by the table's owner for key rotation (pii-rotation.ts). */
export interface SealedColumns {
  readonly table: string;
  /** The name in reports when a table has more than one sealed column (default: the table). */
  readonly label?: string;
  readonly id: string;
  readonly cipher: string;
  readonly hmac: string | null;
  readonly hmacKind: string | null;
}
