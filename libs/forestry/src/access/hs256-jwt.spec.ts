import { createHmac } from 'node:crypto';
import { Hs256Jwt } from './hs256-jwt';

describe('Hs256Jwt', () => {
  const jwt = new Hs256Jwt('s'.repeat(32));

  it('round-trips claims and sets iat/exp', () => {
    const token = jwt.sign({ sub: '7', role: 'ADMIN' }, 900, 1_000_000_000_000);
    expect(jwt.verify(token, 1_000_000_000_000)).toEqual({ sub: '7', role: 'ADMIN', iat: 1_000_000_000, exp: 1_000_000_900 });
  });

  it('is a standard HS256 JWT (verifiable by any library)', () => {
    const [h, b, s] = jwt.sign({ sub: '1' }, 60).split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(createHmac('sha256', 's'.repeat(32)).update(`${h}.${b}`).digest('base64url')).toBe(s);
  });

  it('refuses expired, tampered, foreign and malformed tokens', () => {
    const token = jwt.sign({ sub: '7', role: 'VILLAGER' }, 60, 0);
    expect(jwt.verify(token, 61_000)).toBeNull();
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: '7', role: 'ADMIN', iat: 0, exp: 9e9 })).toString('base64url');
    expect(jwt.verify(`${h}.${forged}.${s}`, 0)).toBeNull();
    expect(new Hs256Jwt('t'.repeat(32)).verify(token, 0)).toBeNull();
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${token.split('.')[1]}.`;
    expect(jwt.verify(none, 0)).toBeNull();
    for (const bad of ['', 'a.b', 'a.b.c.d', `${h}.!!!.${s}`]) expect(jwt.verify(bad, 0)).toBeNull();
  });
});
