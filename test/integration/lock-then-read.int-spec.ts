import { AccessService, AuthUser, insertUser } from '@forest-ledger/access';
import { DisclosureError, PartyAccessDirectory, PiiCipher, requireClearedDisclosure } from '@forest-ledger/forestry';
import { inTransaction, loadEnv } from '@forest-ledger/platform';
import Redis from 'ioredis';
import { EntityManager } from 'typeorm';
import { disclosuresStore } from '../../libs/forestry/src/disclosures/disclosures.store';
import { LedgerFactory } from '../factories/ledger.factory';
import { DAXIGOU, seedRegions } from '../factories/parcels.factory';
import { TEST_REDIS_URL } from '../setup/databases';
import { afterHolderCommits } from '../setup/lock-race';
import { useTestDatabase } from '../setup/test-database';

/**
 * The lock-then-read class (0d925a7): a use case that waits for a row lock must decide on what the
 * transaction it waited for committed, not on the snapshot its locking statement started with. Each
 * case: another transaction holds the lock and commits a conflicting change while the use case waits.
 */

const db = useTestDatabase();
let villageId: string;

beforeAll(async () => {
  await seedRegions(db.dataSource);
  [{ id: villageId }] = await db.dataSource.query<Array<{ id: string }>>(`SELECT id::text AS id FROM regions WHERE code = $1`, [DAXIGOU.code]);
});

describe('the disclosure gate decides on the objections committed while it waited for the round', () => {
  /** A PUBLISHED round of an empty list whose period ended days ago (cleared unless an objection is open). */
  async function clearedRound(subjectId: string): Promise<string> {
    const [{ id }] = await db.dataSource.query<Array<{ id: string }>>(
      `WITH today AS (SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date AS d)
       INSERT INTO disclosures (subject_kind, subject_id, round, village_id, title, days, published_on, starts_on, ends_on, total_units, line_count, published_by)
       SELECT 'DIVIDEND', $1, 1, $2, 'lock race', 7, d - 20, d - 19, d - 13, 0, 0, 1 FROM today RETURNING id::text AS id`,
      [subjectId, villageId],
    );
    return id;
  }

  const gate = (subjectId: string) => (em: EntityManager) =>
    requireClearedDisclosure(em, {
      subject: { kind: 'DIVIDEND', id: subjectId },
      villageId,
      plan: () => Promise.resolve({ lines: [], params: {} }),
      act: 'lock race',
      userId: null,
    });

  /** What recordObjection does: the round locked, an OPEN objection inserted. */
  const object = (roundId: string) => async (em: EntityManager) => {
    await disclosuresStore.get(em, roundId, true);
    return disclosuresStore.insertObjection(em, { disclosureId: roundId, raisedBy: '赵桂兰', raisedOn: '2026-01-01', text: '等待期间提出的异议', recordedBy: '1' });
  };

  const stateOf = async (roundId: string) => (await db.dataSource.query<Array<{ state: string }>>(`SELECT state FROM disclosures WHERE id = $1`, [roundId]))[0].state;

  it('an objection recorded while the approval waits blocks it: OBJECTION_OPEN, the round stays PUBLISHED', async () => {
    const round = await clearedRound('LR-OBJECTED');
    const outcome = await afterHolderCommits(db.dataSource, object(round), gate('LR-OBJECTED'));
    expect(outcome.status).toBe('rejected');
    if (outcome.status === 'rejected') {
      expect(outcome.reason).toBeInstanceOf(DisclosureError);
      expect(outcome.reason).toMatchObject({ code: 'OBJECTION_OPEN', details: { openObjections: 1 } });
    }
    expect(await stateOf(round)).toBe('PUBLISHED');
  });

  it('an objection dismissed while the approval waits no longer blocks it: the round is CONCLUDED', async () => {
    const round = await clearedRound('LR-DISMISSED');
    const [objection] = await db.dataSource.transaction(async (em) => [await object(round)(em)]);
    const dismiss = async (em: EntityManager) => {
      await disclosuresStore.get(em, round, true);
      expect(await disclosuresStore.resolveObjection(em, objection, 'DISMISSED', '与名单无关', '1')).toBe(true);
    };
    const outcome = await afterHolderCommits(db.dataSource, dismiss, gate('LR-DISMISSED'));
    expect(outcome).toEqual({ status: 'fulfilled', value: undefined });
    expect(await stateOf(round)).toBe('CONCLUDED');
  });
});

describe('a ledger post that waited for its accounts decides on the entry committed meanwhile under its key', () => {
  const A = 'party:LR-A:wallet:CNY';
  const B = 'party:LR-B:wallet:CNY';
  const BANK = 'bank:ICBC-YC:CNY';
  let f: LedgerFactory;

  beforeAll(async () => {
    f = new LedgerFactory(db.dataSource);
    await f.cnyWorld([A, B]);
    await f.transfer(BANK, A, '100.00');
  });

  it('with money left for a second one, the same key is replayed, not posted twice', async () => {
    const draft = f.draft([
      [A, 'DEBIT', '30.00'],
      [B, 'CREDIT', '30.00'],
    ]);
    const first = await afterHolderCommits(
      db.dataSource,
      (em) => f.ledger.post(em, draft),
      (em) => f.ledger.post(em, draft),
    );
    expect(first).toMatchObject({ status: 'fulfilled', value: { replayed: true } });
    const entries = await db.dataSource.query<unknown[]>(`SELECT 1 FROM ledger_entries WHERE idempotency_key = $1`, [draft.idempotencyKey]);
    expect(entries).toHaveLength(1);
    expect((await f.ledger.getAccount(A)).balance).toBe('70.00');
  });

  it('when the first one took all the money, the same key is replayed, not refused for funds', async () => {
    const draft = f.draft([
      [A, 'DEBIT', '70.00'],
      [B, 'CREDIT', '70.00'],
    ]);
    const outcome = await afterHolderCommits(
      db.dataSource,
      (em) => f.ledger.post(em, draft),
      (em) => f.ledger.post(em, draft),
    );
    expect(outcome).toMatchObject({ status: 'fulfilled', value: { replayed: true } });
    expect((await f.ledger.getAccount(A)).balance).toBe('0.00');
    expect((await f.ledger.getAccount(B)).balance).toBe('100.00');
  });
});

describe('deactivating admins decides on the deactivations committed while it waited', () => {
  const pii = new PiiCipher(loadEnv({}).PII_ENCRYPTION_KEY, loadEnv({}).PII_HMAC_KEY);
  let redis: Redis;
  let access: AccessService;
  beforeAll(() => {
    redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    access = new AccessService(db.dataSource, loadEnv({ DATABASE_URL: db.url, NODE_ENV: 'test', DEPLOYMENT_ID: `test-${db.name}` }), new PartyAccessDirectory(pii), redis);
  });
  afterAll(async () => {
    await redis.quit();
  });

  const admin = async (username: string): Promise<AuthUser> => {
    const { id } = await inTransaction(db.dataSource, (em) => insertUser(em, { username, displayName: username, role: 'ADMIN', password: 'long-enough-password' }));
    return { userId: id, role: 'ADMIN', partyId: null, partyCode: null, displayName: username, via: 'token' };
  };

  it('two admins deactivating each other at once: one succeeds, the other is the last ADMIN (422 LAST_ADMIN)', async () => {
    // Nobody else is an active ADMIN here: the two are the only ones.
    await db.dataSource.query(`UPDATE users SET active = false WHERE role = 'ADMIN'`);
    const [a, b] = [await admin('admin.a'), await admin('admin.b')];
    const outcome = await afterHolderCommits(
      db.dataSource,
      (em) => access.deactivateUser(em, b, a.userId), // B deactivates A, not yet committed …
      (em) => access.deactivateUser(em, a, b.userId), // … while A deactivates B
    );
    expect(outcome.status).toBe('rejected');
    if (outcome.status === 'rejected') expect(outcome.reason).toMatchObject({ code: 'LAST_ADMIN' });
    expect(await db.dataSource.query(`SELECT username, active FROM users WHERE role = 'ADMIN' AND active ORDER BY username`)).toEqual([{ username: 'admin.b', active: true }]);
  });
});
