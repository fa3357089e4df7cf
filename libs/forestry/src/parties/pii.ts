import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

/**
 * ID numbers at rest: an HMAC-SHA256 (keyed, so the 18 digits cannot be brute-forced from a
 * dump) to find and deduplicate parties, AES-256-GCM ciphertext for the audited admin reveal,
 * and a masked copy for every other screen. The clear value is never stored.
 */
export class PiiCipher {
  private readonly encryptionKey: Buffer;
  private readonly hmacKey: Buffer;

  constructor(encryptionKeyBase64: string, hmacKeyBase64: string) {
    this.encryptionKey = Buffer.from(encryptionKeyBase64, 'base64');
    this.hmacKey = Buffer.from(hmacKeyBase64, 'base64');
    if (this.encryptionKey.length !== 32 || this.hmacKey.length !== 32) throw new Error('PII keys must be 32 bytes each');
  }

  /** Lookup key for a normalised ID number, scoped by its kind. */
  hmac(kind: string, normalisedId: string): string {
    return createHmac('sha256', this.hmacKey).update(`${kind}:${normalisedId}`, 'utf8').digest('base64url');
  }

  /** `v1.<iv>.<tag>.<ciphertext>` in base64url; a fresh 96-bit IV each time. */
  encrypt(clear: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, iv);
    const body = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
  }

  decrypt(sealed: string): string {
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) throw new Error('unknown PII ciphertext format');
    const decipher = createDecipheriv('aes-256-gcm', this.encryptionKey, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
