/** One secret of a key ring: its id travels with every ciphertext, HMAC and token made with it. */
export interface NamedKey {
  id: string;
  secret: string;
}

/** The id a single legacy variable (`JWT_SECRET`, `PII_ENCRYPTION_KEY`, `PII_HMAC_KEY`) takes in its ring. */
export const SINGLE_KEY_ID = 'k0';

export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,16}$/;

/**
 * Parses `id:secret,id:secret,…` (newest first; whitespace around items ignored). Returns the ring or
 * the problems with it, each naming the item by id or position, never the secret.
 */
export function parseKeyRing(name: string, value: string, checkSecret: (secret: string) => string | null): { keys: NamedKey[]; problems: string[] } {
  const keys: NamedKey[] = [];
  const problems: string[] = [];
  const items = value.split(',').map((item) => item.trim());
  items.forEach((item, index) => {
    const colon = item.indexOf(':');
    const id = colon < 0 ? '' : item.slice(0, colon);
    const secret = colon < 0 ? item : item.slice(colon + 1);
    if (!KEY_ID_PATTERN.test(id)) {
      problems.push(`${name} item ${index + 1} must be <id>:<secret> with an id of 1-16 letters, digits, "_", "-"`);
      return;
    }
    if (keys.some((k) => k.id === id)) problems.push(`${name} names key ${id} twice`);
    const bad = checkSecret(secret);
    if (bad) problems.push(`${name} key ${id}: ${bad}`);
    keys.push({ id, secret });
  });
  return { keys, problems };
}
