import fc from 'fast-check';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { hmacKeyIdOf, PiiCipher } from './pii';

const key = () => randomBytes(32).toString('base64');

describe('PiiCipher', () => {
  const pii = new PiiCipher(key(), key());

  it('round-trips through AES-GCM with a fresh IV each time', () => {
    const a = pii.encrypt('11010519491231002X');
    const b = pii.encrypt('11010519491231002X');
    expect(a).not.toEqual(b);
    expect(pii.decrypt(a)).toBe('11010519491231002X');
    expect(a).not.toContain('1101051949');
  });

  it('refuses a tampered ciphertext', () => {
    const sealed = pii.encrypt('11010519491231002X').split('.');
    sealed[4] = Buffer.from('x' + Buffer.from(sealed[4], 'base64url').toString('latin1').slice(1), 'latin1').toString('base64url');
    expect(() => pii.decrypt(sealed.join('.'))).toThrow();
  });

  it('gives a stable keyed HMAC per kind', () => {
    expect(pii.hmac('RESIDENT_ID', '11010519491231002X')).toBe(pii.hmac('RESIDENT_ID', '11010519491231002X'));
    expect(pii.hmac('RESIDENT_ID', '11010519491231002X')).not.toBe(pii.hmac('CREDIT_CODE', '11010519491231002X'));
    expect(new PiiCipher(key(), key()).hmac('RESIDENT_ID', '11010519491231002X')).not.toBe(pii.hmac('RESIDENT_ID', '11010519491231002X'));
  });

  describe('key rings', () => {
    const k0 = { id: 'k0', secret: key() };
    const k1 = { id: 'k1', secret: key() };
    const before = new PiiCipher([k0], [k0]);
    const during = new PiiCipher([k1, k0], [k1, k0]);
    const after = new PiiCipher([k1], [k1]);
    const id = '11010519491231002X';

    it('encrypts under the newest key, naming it; decrypts under any listed key', () => {
      const old = before.encrypt(id);
      const fresh = during.encrypt(id);
      expect(old.startsWith('v2.k0.')).toBe(true);
      expect(fresh.startsWith('v2.k1.')).toBe(true);
      expect(during.decrypt(old)).toBe(id);
      expect(after.decrypt(fresh)).toBe(id);
      expect(() => after.decrypt(old)).toThrow(/key k0, which is not configured/);
      expect([during.isCurrentCipher(old), during.isCurrentCipher(fresh)]).toEqual([false, true]);
    });

    it('decrypts v1 ciphertexts (before key ids) under whichever listed key made them', () => {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', Buffer.from(k0.secret, 'base64'), iv);
      const body = Buffer.concat([cipher.update(id, 'utf8'), cipher.final()]);
      const v1 = ['v1', iv, cipher.getAuthTag(), body].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
      expect(during.decrypt(v1)).toBe(id);
      expect(() => after.decrypt(v1)).toThrow(/no configured PII key/);
    });

    it('keeps bare HMACs under k0 (as before key ids) and tags the others; lookups try every key, newest first', () => {
      const bare = createHmac('sha256', Buffer.from(k0.secret, 'base64')).update(`RESIDENT_ID:${id}`).digest('base64url');
      expect(before.hmac('RESIDENT_ID', id)).toBe(bare);
      expect(during.hmac('RESIDENT_ID', id)).toMatch(/^k1:[A-Za-z0-9_-]{43}$/);
      expect(during.hmacCandidates('RESIDENT_ID', id)).toEqual([during.hmac('RESIDENT_ID', id), bare]);
      expect([hmacKeyIdOf(bare), hmacKeyIdOf(during.hmac('RESIDENT_ID', id))]).toEqual(['k0', 'k1']);
      expect([during.isCurrentHmac(bare), after.isCurrentHmac(during.hmac('RESIDENT_ID', id))]).toEqual([false, true]);
    });

    it('round-trips any text under any ring that lists the encrypting key', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'grapheme', maxLength: 64 }), fc.boolean(), (clear, newestFirst) => {
          const sealed = (newestFirst ? during : before).encrypt(clear);
          return during.decrypt(sealed) === clear;
        }),
      );
    });
  });
});
