import { AccessService } from '@forest-ledger/access';
import { PartyAccessDirectory, PiiCipher } from '@forest-ledger/forestry';
import { loadEnv } from '@forest-ledger/platform';
import Redis from 'ioredis';
import { TEST_REDIS_URL } from '../setup/databases';
import { useTestDatabase } from '../setup/test-database';

/**
 * A token is honoured only while its login and the login's party are active (asked in one statement, at most every
 * ACTIVE_CHECK_TTL_MS per user: each case here asks a fresh AccessService, so nothing is remembered between them).
 */

const db = useTestDatabase();
const env = loadEnv({});
let redis: Redis;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.quit();
});

const access = () =>
  new AccessService(db.dataSource, { ...env, DEPLOYMENT_ID: `test-${db.name}` }, new PartyAccessDirectory(new PiiCipher(env.PII_ENCRYPTION_KEY, env.PII_HMAC_KEY)), redis);

async function login(role: 'VILLAGER' | 'BUYER' | 'AUDITOR', partyId: string | null): Promise<{ id: string; token: string }> {
  const [{ id }] = await db.dataSource.query<Array<{ id: string }>>(
    `INSERT INTO users (username, display_name, role, password_hash, pin_hash, party_id)
     VALUES (CASE WHEN $1 = 'VILLAGER' THEN NULL ELSE gen_random_uuid()::text END, 'login', $1, 'x', 'x', $2) RETURNING id::text AS id`,
    [role, partyId],
  );
  return { id, token: (await access().tokenFor(id)).accessToken };
}

describe('the login check of a token', () => {
  let partyId: string;
  beforeAll(async () => {
    [{ id: partyId }] = await db.dataSource.query<Array<{ id: string }>>(`INSERT INTO parties (code, kind, name) VALUES ('V-7001', 'VILLAGER', '村民') RETURNING id::text AS id`);
  });

  it('accepts an active login of an active party, and one without a party', async () => {
    const villager = await login('VILLAGER', partyId);
    await expect(access().authenticateToken(villager.token)).resolves.toMatchObject({ userId: villager.id, partyCode: 'V-7001' });
    const staff = await login('AUDITOR', null);
    await expect(access().authenticateToken(staff.token)).resolves.toMatchObject({ userId: staff.id, partyId: null });
  });

  it('refuses a deactivated login, and a login whose party was deactivated', async () => {
    const [{ id: villagerId }] = await db.dataSource.query<Array<{ id: string }>>(`SELECT id::text AS id FROM users WHERE party_id = $1 AND role = 'VILLAGER'`, [partyId]);
    const token = (await access().tokenFor(villagerId)).accessToken;
    await db.dataSource.query(`UPDATE users SET active = false WHERE id = $1`, [villagerId]);
    await expect(access().authenticateToken(token)).rejects.toThrow('this login has been deactivated');

    const other = await login('BUYER', partyId);
    await db.dataSource.query(`UPDATE parties SET active = false WHERE id = $1`, [partyId]);
    await expect(access().authenticateToken(other.token)).rejects.toThrow('this login has been deactivated');
    await db.dataSource.query(`UPDATE parties SET active = true WHERE id = $1`, [partyId]);
    await expect(access().authenticateToken(other.token)).resolves.toMatchObject({ userId: other.id });
  });
});
