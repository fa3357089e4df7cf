import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header with the timestamp and the signatures: `t=<unix seconds>,v1=<hex>[,v1=<hex>]`. */
export const SIGNATURE_HEADER = 'Forest-Ledger-Signature';
/** The event's id (a UUID): the same on every delivery of one event, to deduplicate by. */
export const EVENT_ID_HEADER = 'Forest-Ledger-Event-Id';
export const EVENT_SEQ_HEADER = 'Forest-Ledger-Event-Seq';
export const EVENT_TYPE_HEADER = 'Forest-Ledger-Event-Type';

/** A new subscription secret: `whsec_` and 32 random bytes (base64url). The HMAC key is the whole string. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** HMAC-SHA256 (hex) over `<timestamp>.<body>`. */
export function signPayload(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The signature header: one `v1=` per secret (two during a rotation's overlap, the new one first). */
export function signatureHeader(secrets: readonly string[], timestamp: number, body: string): string {
  return [`t=${timestamp}`, ...secrets.map((s) => `v1=${signPayload(s, timestamp, body)}`)].join(',');
}

/**
 * What a receiver does (the README's snippet does the same): the header's timestamp within `toleranceSeconds`
 * of now, and one of its `v1` signatures equal to ours, compared in constant time.
 */
export function verifySignature(header: string, secret: string, body: string, opts: { nowSeconds?: number; toleranceSeconds?: number } = {}): boolean {
  const parts = header.split(',').map((p) => p.split('=', 2) as [string, string]);
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!Number.isInteger(t)) return false;
  const now = opts.nowSeconds ?? Math.floor(Date.now() / 1000);
  if (Math.abs(now - t) > (opts.toleranceSeconds ?? 300)) return false;
  const expected = Buffer.from(signPayload(secret, t, body), 'hex');
  return parts.some(([k, v]) => k === 'v1' && v.length === expected.length * 2 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}
