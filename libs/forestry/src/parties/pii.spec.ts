import { randomBytes } from 'node:crypto';
import { PiiCipher } from './pii';

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
    sealed[3] = Buffer.from('x' + Buffer.from(sealed[3], 'base64url').toString('latin1').slice(1), 'latin1').toString('base64url');
    expect(() => pii.decrypt(sealed.join('.'))).toThrow();
  });

  it('gives a stable keyed HMAC per kind', () => {
    expect(pii.hmac('RESIDENT_ID', '11010519491231002X')).toBe(pii.hmac('RESIDENT_ID', '11010519491231002X'));
    expect(pii.hmac('RESIDENT_ID', '11010519491231002X')).not.toBe(pii.hmac('CREDIT_CODE', '11010519491231002X'));
    expect(new PiiCipher(key(), key()).hmac('RESIDENT_ID', '11010519491231002X')).not.toBe(pii.hmac('RESIDENT_ID', '11010519491231002X'));
  });
});
