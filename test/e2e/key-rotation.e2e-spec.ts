import { Hs256Jwt } from '@forest-ledger/access';
import { checkPii, PiiCipher, residentIdCheckCharacter, rotatePii } from '@forest-ledger/forestry';
import { NamedKey } from '@forest-ledger/platform';
import { createCipheriv, createHmac, randomBytes, randomUUID } from 'node:crypto';
import request from 'supertest';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { registerPersons } from '../factories/parcels.factory';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * Rotating JWT_SECRET, PII_ENCRYPTION_KEY and PII_HMAC_KEY as the README tells an operator: the API
 * restarts with `k1` first and the old key as `k0`, `pii:rotate` runs while the API serves reads and
 * writes, then the API restarts with `k1` alone.
 */
const db = useTestDatabase();
const b64 = () => randomBytes(32).toString('base64');
const k0 = { jwt: randomBytes(24).toString('base64'), enc: b64(), mac: b64() };
const k1 = { jwt: randomBytes(24).toString('base64'), enc: b64(), mac: b64() };
const ring = (...keys: Array<[string, string]>) => keys.map(([id, secret]) => `${id}:${secret}`).join(',');
const named = (...keys: Array<[string, string]>): NamedKey[] => keys.map(([id, secret]) => ({ id, secret }));

const PEOPLE = 40;
const residentId = (n: number) => {
  const first17 = `11010519491231${String(n).padStart(3, '0')}`;
  return first17 + residentIdCheckCharacter(first17);
};
const people = Array.from({ length: PEOPLE }, (_, i) => ({ code: `V-R${String(i + 1).padStart(3, '0')}`, name: `村民${i + 1}`, idNumber: residentId(i + 1) }));
const PIN = '246810';

const apps: ApiApplication[] = [];
type Revealed = { idNumber: string };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const post = (app: ApiApplication, path: string, token: string, body: object) =>
  request(app.getHttpServer()).post(path).set(bearer(token)).set('Idempotency-Key', randomUUID()).send(body);
const villagerLogin = (app: ApiApplication, idNumber: string) => request(app.getHttpServer()).post('/v1/auth/villager-login').send({ idNumber, pin: PIN });

/** A v1 ciphertext and bare HMAC, as written before keys had ids. */
function legacySeal(idNumber: string): { cipher: string; hmac: string } {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', Buffer.from(k0.enc, 'base64'), iv);
  const body = Buffer.concat([cipher.update(idNumber, 'utf8'), cipher.final()]);
  return {
    cipher: ['v1', ...[iv, cipher.getAuthTag(), body].map((p) => p.toString('base64url'))].join('.'),
    hmac: createHmac('sha256', Buffer.from(k0.mac, 'base64')).update(`RESIDENT_ID:${idNumber}`).digest('base64url'),
  };
}

afterAll(async () => {
  for (const app of apps) await app.close();
});

it('rotates every key while the API serves; old tokens live until they expire, and not beyond; nothing is left undecryptable; villagers still log in', async () => {
  // 1. Before: single variables (key k0), some rows in the format from before key ids.
  const before = await createTestApp(db, { JWT_SECRET: k0.jwt, PII_ENCRYPTION_KEY: k0.enc, PII_HMAC_KEY: k0.mac });
  apps.push(before);
  await registerPersons(db.dataSource, new PiiCipher(k0.enc, k0.mac), 'none', people);
  for (const p of people.slice(0, 10)) {
    const { cipher, hmac } = legacySeal(p.idNumber);
    await db.dataSource.query(`UPDATE parties SET id_cipher = $2, id_hmac = $3 WHERE code = $1`, [p.code, cipher, hmac]);
  }
  // Mobile numbers: 12 sealed under k0, and 3 left in the clear `phone` column by versions before they were sealed (one a landline).
  const k0Cipher = new PiiCipher(k0.enc, k0.mac);
  const mobileOf = (i: number) => `1390000${String(1000 + i)}`;
  for (const [i, p] of people.slice(0, 12).entries())
    await db.dataSource.query(`UPDATE parties SET mobile_cipher = $2, mobile_masked = $3 WHERE code = $1`, [p.code, k0Cipher.encrypt(mobileOf(i)), `139****${String(1000 + i)}`]);
  const clearPhones = ['138 6989 3550', '+86 139-2276-0121', '0356-4221158'];
  for (const [i, phone] of clearPhones.entries()) await db.dataSource.query(`UPDATE parties SET phone = $2 WHERE code = $1`, [people[12 + i].code, phone]);
  const oldAdmin = await tokenFor(before, 'ADMIN');
  await post(before, `/v1/parties/${people[0].code}/villager-pin`, oldAdmin, { pin: PIN }).expect(200);
  await post(before, `/v1/parties/${people[20].code}/villager-pin`, oldAdmin, { pin: PIN }).expect(200);
  for (const p of people.slice(0, 8))
    await post(before, `/v1/parties/${p.code}/bank-card`, oldAdmin, { bankName: '农商银行', cardNumber: `62284800${p.idNumber.slice(-11, -1)}` }).expect(200);
  // A command whose answer the client never saw: it retries with the same key after the restart below.
  const retryKey = randomUUID();
  const sendRetried = (app: ApiApplication, token: string) =>
    request(app.getHttpServer()).post(`/v1/parties/${people[30].code}/villager-pin`).set(bearer(token)).set('Idempotency-Key', retryKey).send({ pin: PIN });
  const first = await sendRetried(before, oldAdmin).expect(200);
  await before.close();
  apps.pop();

  // 2. Restart with k1 first and k0 still listed: old tokens and old rows still work.
  const during = await createTestApp(db, {
    JWT_SECRETS: ring(['k1', k1.jwt], ['k0', k0.jwt]),
    PII_ENCRYPTION_KEYS: ring(['k1', k1.enc], ['k0', k0.enc]),
    PII_HMAC_KEYS: ring(['k1', k1.mac], ['k0', k0.mac]),
  });
  apps.push(during);
  await request(during.getHttpServer()).get('/v1/me').set(bearer(oldAdmin)).expect(200);
  // Valid until it expires, not beyond: the same admin's claims signed with k0, issued a TTL and a minute ago (the API's own
  // signer, so only the time differs), are refused although k0 is still listed.
  const claims = JSON.parse(Buffer.from(oldAdmin.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown> & { iat: number; exp: number };
  const ttl = claims.exp - claims.iat;
  const { iat: _iat, exp: _exp, ...rest } = claims;
  const expiredOld = await new Hs256Jwt(named(['k0', k0.jwt])).sign(rest, ttl, Date.now() - (ttl + 60) * 1000);
  await request(during.getHttpServer()).get('/v1/me').set(bearer(expiredOld)).expect(401);
  const liveOld = await new Hs256Jwt(named(['k0', k0.jwt])).sign(rest, ttl, Date.now() - (ttl - 60) * 1000);
  await request(during.getHttpServer()).get('/v1/me').set(bearer(liveOld)).expect(200); // the control: a minute left, accepted
  // The retry across the HMAC key change replays the first answer (its fingerprint is matched under every key).
  const retried = await sendRetried(during, oldAdmin).expect(200);
  expect(retried.headers['idempotency-replayed']).toBe('true');
  expect(retried.body).toEqual(first.body);
  const newAdmin = await tokenFor(during, 'ADMIN');

  // 3. pii:rotate in small batches while requests read, write and log in.
  const pii = new PiiCipher(named(['k1', k1.enc], ['k0', k0.enc]), named(['k1', k1.mac], ['k0', k0.mac]));
  let rotating = true;
  const outcomes: string[] = [];
  let servedWhileRotating = 0;
  const rotation = rotatePii(db.dataSource, pii, { batchSize: 4, pauseMs: 300 }).finally(() => {
    rotating = false;
    servedWhileRotating = outcomes.length;
  });
  let next = 100;
  const load = async (worker: number) => {
    for (let i = 0; rotating || i < 1; i++) {
      const p = people[(worker * 17 + i * 7) % PEOPLE];
      const token = i % 2 === 0 ? oldAdmin : newAdmin;
      const revealed = await post(during, `/v1/parties/${p.code}/reveal-id`, token, { reason: 'key rotation test' });
      outcomes.push(`reveal ${revealed.status} ${(revealed.body as Revealed).idNumber === p.idNumber}`);
      const login = await villagerLogin(during, people[i % 2 === 0 ? 0 : 20].idNumber);
      outcomes.push(`login ${login.status}`);
      const duplicate = await post(during, '/v1/parties', token, { kind: 'INDIVIDUAL_BUYER', name: '重复登记', idNumber: p.idNumber });
      outcomes.push(`duplicate ${duplicate.status} ${(duplicate.body as { code?: string }).code}`);
      const created = await post(during, '/v1/parties', token, { kind: 'INDIVIDUAL_BUYER', name: `买家${next}`, idNumber: residentId(next++) });
      outcomes.push(`create ${created.status}`);
      const card = await post(during, `/v1/parties/${p.code}/bank-card`, token, { bankName: '农商银行', cardNumber: `6228480000${String(i).padStart(9, '0')}` });
      outcomes.push(`card ${card.status}`);
    }
  };
  await Promise.all([rotation, load(0), load(1), load(2)]);
  const report = await rotation;
  expect(report.failed).toEqual([]);
  // A card the API replaced (under k1) before the rotation reached it needs nothing.
  expect(report.rotated.parties).toBe(PEOPLE);
  expect(report.rotated['parties.mobile']).toBe(12);
  expect(report.clearPhonesSealed).toBe(3);
  expect(report.rotated.party_bank_cards).toBeLessThanOrEqual(8);
  expect(servedWhileRotating).toBeGreaterThanOrEqual(5); // requests were answered while rows were being re-keyed
  expect(new Set(outcomes)).toEqual(new Set(['reveal 200 true', 'login 200', 'duplicate 409 PARTY_EXISTS', 'create 201', 'card 200']));

  // 4. Every sealed value is under k1 and decrypts with k1 alone.
  const onlyK1 = new PiiCipher(named(['k1', k1.enc]), named(['k1', k1.mac]));
  const check = await checkPii(db.dataSource, onlyK1);
  expect(check).toEqual({ keyIds: { encryption: 'k1', hmac: 'k1' }, stale: { parties: 0, 'parties.mobile': 0, party_bank_cards: 0 }, undecryptable: [] });
  const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM parties WHERE id_cipher IS NOT NULL`);
  expect(n).toBeGreaterThan(PEOPLE);
  const mobiles = await db.dataSource.query<Array<{ code: string; mobile_cipher: string | null; mobile_masked: string | null; phone: string | null }>>(
    `SELECT code, mobile_cipher, mobile_masked, phone FROM parties WHERE code = ANY($1) ORDER BY id`,
    [people.slice(0, 15).map((p) => p.code)],
  );
  expect(mobiles.every((m) => m.phone === null)).toBe(true);
  expect(mobiles.slice(0, 12).map((m) => onlyK1.decrypt(m.mobile_cipher!))).toEqual(people.slice(0, 12).map((_, i) => mobileOf(i)));
  // The clear numbers: the two mobiles sealed (and masked), the landline dropped.
  expect(mobiles.slice(12).map((m) => [m.mobile_cipher && onlyK1.decrypt(m.mobile_cipher), m.mobile_masked])).toEqual([
    ['13869893550', '138****3550'],
    ['13922760121', '139****0121'],
    [null, null],
  ]);

  // 5. Restart with k1 alone: villagers log in by ID number, reveals and duplicate checks work, k0 tokens are refused.
  await during.close();
  apps.pop();
  const after = await createTestApp(db, { JWT_SECRETS: ring(['k1', k1.jwt]), PII_ENCRYPTION_KEYS: ring(['k1', k1.enc]), PII_HMAC_KEYS: ring(['k1', k1.mac]) });
  apps.push(after);
  await villagerLogin(after, people[0].idNumber).expect(200);
  await villagerLogin(after, people[20].idNumber).expect(200);
  await request(after.getHttpServer()).get('/v1/me').set(bearer(newAdmin)).expect(200);
  await request(after.getHttpServer()).get('/v1/me').set(bearer(oldAdmin)).expect(401);
  const revealed = await post(after, `/v1/parties/${people[5].code}/reveal-id`, newAdmin, { reason: 'after rotation' }).expect(200);
  expect((revealed.body as Revealed).idNumber).toBe(people[5].idNumber);
  await post(after, '/v1/parties', newAdmin, { kind: 'INDIVIDUAL_BUYER', name: '重复登记', idNumber: people[5].idNumber }).expect(409);

  // 6. A second run finds nothing to do (resumable, idempotent).
  expect((await rotatePii(db.dataSource, onlyK1)).rotated).toEqual({ parties: 0, 'parties.mobile': 0, party_bank_cards: 0 });
});
