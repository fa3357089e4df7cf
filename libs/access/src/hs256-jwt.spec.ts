import { createHmac } from 'node:crypto';
import { Hs256Jwt } from './hs256-jwt';

describe('Hs256Jwt', () => {
  const jwt = new Hs256Jwt('s'.repeat(32));

  it('round-trips claims and sets iat/exp', async () => {
    const token = await jwt.sign({ sub: '7', role: 'ADMIN' }, 900, 1_000_000_000_000);
    expect(await jwt.verify(token, 1_000_000_000_000)).toEqual({ sub: '7', role: 'ADMIN', iat: 1_000_000_000, exp: 1_000_000_900 });
  });

  it('is a standard HS256 JWT (verifiable by any library)', async () => {
    const [h, b, s] = (await jwt.sign({ sub: '1' }, 60)).split('.');
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k0' });
    expect(createHmac('sha256', 's'.repeat(32)).update(`${h}.${b}`).digest('base64url')).toBe(s);
  });

  it('refuses expired, tampered, foreign and malformed tokens', async () => {
    const token = await jwt.sign({ sub: '7', role: 'VILLAGER' }, 60, 0);
    expect(await jwt.verify(token, 61_000)).toBeNull();
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ sub: '7', role: 'ADMIN', iat: 0, exp: 9e9 })).toString('base64url');
    expect(await jwt.verify(`${h}.${forged}.${s}`, 0)).toBeNull();
    expect(await new Hs256Jwt('t'.repeat(32)).verify(token, 0)).toBeNull();
    const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${token.split('.')[1]}.`;
    expect(await jwt.verify(none, 0)).toBeNull();
    for (const bad of ['', 'a.b', 'a.b.c.d', `${h}.!!!.${s}`]) expect(await jwt.verify(bad, 0)).toBeNull();
  });

  it('remembers a verified token only until it expires', async () => {
    const token = await jwt.sign({ sub: '7' }, 60, 0);
    expect(await jwt.verify(token, 1_000)).toMatchObject({ sub: '7' });
    expect(await jwt.verify(token, 2_000)).toMatchObject({ sub: '7' });
    expect(await jwt.verify(token, 60_000)).toBeNull();
  });

  describe('key ring', () => {
    const k0 = { id: 'k0', secret: 's'.repeat(32) };
    const k1 = { id: 'k1', secret: 'n'.repeat(32) };
    const rotated = new Hs256Jwt([k1, k0]);

    it('signs with the first key, naming it in kid', async () => {
      const [h] = (await rotated.sign({ sub: '1' }, 60)).split('.');
      expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT', kid: 'k1' });
    });

    it('verifies tokens of every listed key until they expire, and no longer once the key is dropped', async () => {
      const old = await jwt.sign({ sub: '7' }, 60, 0);
      expect(await rotated.verify(old, 59_000)).toMatchObject({ sub: '7' });
      expect(await rotated.verify(old, 61_000)).toBeNull();
      expect(await new Hs256Jwt([k1]).verify(old, 0)).toBeNull();
      expect(await jwt.verify(await rotated.sign({ sub: '8' }, 60, 0), 0)).toBeNull();
    });

    it('accepts tokens signed before kid existed under any listed key', async () => {
      const legacyHeader = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
      const body = Buffer.from(JSON.stringify({ sub: '9', iat: 0, exp: 60 })).toString('base64url');
      const token = `${legacyHeader}.${body}.${createHmac('sha256', k0.secret).update(`${legacyHeader}.${body}`).digest('base64url')}`;
      expect(await rotated.verify(token, 0)).toMatchObject({ sub: '9' });
      expect(await new Hs256Jwt([k1]).verify(token, 0)).toBeNull();
    });

    it('refuses a kid naming one key with the signature of another', async () => {
      const [, b, s] = (await jwt.sign({ sub: '7' }, 60, 0)).split('.');
      const k1Header = (await rotated.sign({}, 60, 0)).split('.')[0];
      expect(await rotated.verify(`${k1Header}.${b}.${s}`, 0)).toBeNull();
    });
  });
});
