import { AccessService, AuthUser, ownerScopeOf, Role } from '@forest-ledger/access';
import { DomainError } from '@forest-ledger/common';
import {
  creditCodeCheckCharacter,
  organisationCodeCheckCharacter,
  PartiesService,
  PartyAccessDirectory,
  PartyView,
  PiiCipher,
  RegionsService,
  walletOf,
} from '@forest-ledger/forestry';
import { LedgerService } from '@forest-ledger/ledger';
import { Env, inTransaction, loadEnv } from '@forest-ledger/platform';
import Redis from 'ioredis';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { csvBuffer, fixtureRecords, generateRosterRecords, residentId, ROSTER_FIXTURE, sharedFixture, withCell, xlsxBuffer } from '../fixtures/tables';
import { TEST_REDIS_URL } from '../setup/databases';
import { TestDatabase, useTestDatabase } from '../setup/test-database';

const COUNTY = '140522';
const TOWNSHIP = '140522101';
const VILLAGE = '140522101201';
const OTHER_VILLAGE = '140522101202';

/** A well-formed unified social credit code: authority + type, 阳城县's region code, an organisation code and both check characters. */
function creditCode(prefix: string, organisationBody: string): string {
  const first17 = `${prefix}${COUNTY}${organisationBody}${organisationCodeCheckCharacter(organisationBody)}`;
  return first17 + creditCodeCheckCharacter(first17);
}

/** Replaces a resident ID's check character with a wrong one. */
function wrongCheck(id: string): string {
  return id.slice(0, 17) + (id[17] === '0' ? '1' : '0');
}

interface World {
  ds: DataSource;
  ledger: LedgerService;
  regions: RegionsService;
  parties: PartiesService;
  access: AccessService;
}

const env: Env = loadEnv({});
const pii = new PiiCipher(env.PII_ENCRYPTION_KEY, env.PII_HMAC_KEY);
let redis: Redis;

beforeAll(() => {
  redis = new Redis(TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
});
afterAll(async () => {
  await redis.quit();
});

function worldOf(db: TestDatabase): World {
  const ds = db.dataSource;
  const ledger = new LedgerService(ds);
  const regions = new RegionsService(ds);
  const access = new AccessService(ds, { ...env, DEPLOYMENT_ID: `test-${db.name}` }, new PartyAccessDirectory(pii), redis);
  return { ds, ledger, regions, access, parties: new PartiesService(ds, ledger, pii, access, regions) };
}

const tx = <T>(w: World, work: (em: EntityManager) => Promise<T>) => inTransaction(w.ds, work);

async function userOf(w: World, role: Role, partyCode?: string): Promise<AuthUser> {
  const name = `${role.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  return tx(w, async (em) => {
    const [party] = partyCode ? await em.query<Array<{ id: string }>>(`SELECT id FROM parties WHERE code = $1`, [partyCode]) : [];
    const { id } = await w.access.createUser(
      em,
      role === 'VILLAGER'
        ? { displayName: name, role, pin: '654321', partyId: party?.id }
        : { username: name, displayName: name, role, password: 'long-enough-password', partyId: party?.id ?? null },
    );
    return { userId: id, role, partyId: party?.id ?? null, partyCode: partyCode ?? null, displayName: name, via: 'token' };
  });
}

async function regionTree(w: World): Promise<void> {
  await tx(w, async (em) => {
    await w.regions.create(em, { code: COUNTY, name: '阳城县', level: 'COUNTY' });
    await w.regions.create(em, { code: TOWNSHIP, name: '芹池镇', level: 'TOWNSHIP', parentCode: COUNTY });
    await w.regions.create(em, { code: VILLAGE, name: '大西沟村', level: 'VILLAGE', parentCode: TOWNSHIP });
    await w.regions.create(em, { code: OTHER_VILLAGE, name: '刘东村', level: 'VILLAGE', parentCode: TOWNSHIP });
  });
}

async function counts(ds: DataSource): Promise<{ parties: number; accounts: number }> {
  const [row] = await ds.query<
    Array<{
      parties: number;
      accounts: number;
    }>
  >(`SELECT (SELECT count(*)::int FROM parties) AS parties, (SELECT count(*)::int FROM ledger_accounts) AS accounts`);
  return row;
}

async function expectError(promise: Promise<unknown>, code: string, field?: string): Promise<void> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect(error).toMatchObject(field === undefined ? { code } : { code, field });
}

// ---------------------------------------------------------------------------------------------

const db = useTestDatabase();
let w: World;
let admin: AuthUser;
let secondAdmin: AuthUser;
let approver: AuthUser;
const COLLECTIVE_CODE = creditCode('N2', '05781234');
const FARM_CODE = creditCode('12', '40567891');

beforeAll(async () => {
  w = worldOf(db);
  await regionTree(w);
  admin = await userOf(w, 'ADMIN');
  secondAdmin = await userOf(w, 'ADMIN');
  approver = await userOf(w, 'APPROVER');
});

describe('RegionsService', () => {
  it('keeps the county → township → village hierarchy and the code digits', async () => {
    await expectError(
      tx(w, (em) => w.regions.create(em, { code: '140581', name: '高平市', level: 'COUNTY', parentCode: COUNTY })),
      'REGION_HIERARCHY',
      'parentCode',
    );
    await expectError(
      tx(w, (em) => w.regions.create(em, { code: '140522102', name: '北留镇', level: 'TOWNSHIP' })),
      'REGION_HIERARCHY',
      'parentCode',
    );
    await expectError(
      tx(w, (em) => w.regions.create(em, { code: '140522102201', name: '某村', level: 'VILLAGE', parentCode: COUNTY })),
      'REGION_HIERARCHY',
      'parentCode',
    );
    await expectError(
      tx(w, (em) => w.regions.create(em, { code: '14052210', name: '北留镇', level: 'TOWNSHIP', parentCode: COUNTY })),
      'VALIDATION_FAILED',
      'code',
    );
    await expectError(
      tx(w, (em) => w.regions.create(em, { code: '140581102', name: '北留镇', level: 'TOWNSHIP', parentCode: COUNTY })),
      'REGION_HIERARCHY',
      'code',
    );
    await expectError(
      tx(w, (em) => w.regions.create(em, { code: '140522102201', name: '某村', level: 'VILLAGE', parentCode: '140522109' })),
      'UNKNOWN_REGION',
      'parentCode',
    );
    await expectError(
      tx(w, (em) => w.regions.create(em, { code: VILLAGE, name: '大西沟村', level: 'VILLAGE', parentCode: TOWNSHIP })),
      'REGION_EXISTS',
      'code',
    );
  });

  it('lists children and finds a village by name within its township', async () => {
    expect(await w.regions.children(null)).toEqual([{ code: COUNTY, name: '阳城县', level: 'COUNTY', parentCode: null }]);
    expect((await w.regions.children(TOWNSHIP)).map((r) => r.name)).toEqual(['大西沟村', '刘东村']);
    expect((await w.regions.findVillage(TOWNSHIP, ' 大西沟 村 '))?.code).toBe(VILLAGE);
    expect(await w.regions.findVillage(TOWNSHIP, '不存在村')).toBeNull();
    expect(await w.regions.get(VILLAGE)).toEqual({ code: VILLAGE, name: '大西沟村', level: 'VILLAGE', parentCode: TOWNSHIP });
    await expectError(w.regions.get('999999'), 'UNKNOWN_REGION');
  });
});

describe('PartiesService.create', () => {
  const headId = residentId('1961-03-12', 901);
  let collective: PartyView;
  let household: PartyView;
  let villager: PartyView;

  beforeAll(async () => {
    collective = await tx(w, (em) => w.parties.create(em, { kind: 'COLLECTIVE', name: '大西沟村股份经济合作社', code: 'C-DXG', regionCode: VILLAGE, idNumber: COLLECTIVE_CODE }));
    household = await tx(w, (em) => w.parties.create(em, { kind: 'HOUSEHOLD', name: '张建国户', code: 'H-T-001', collectiveCode: 'C-DXG' }));
    villager = await tx(w, (em) => w.parties.create(em, { kind: 'VILLAGER', name: '张建国', householdCode: 'H-T-001', idNumber: headId, mobile: '138 6989 3550' }));
  });

  it('opens the CNY wallet with the party: credit-normal, no overdraft, balance 0.00', async () => {
    for (const party of [collective, household, villager]) {
      const wallet = await w.ledger.getAccount(walletOf(party.code));
      expect(wallet).toMatchObject({ asset: 'CNY', type: 'LIABILITY', normalSide: 'CREDIT', noOverdraft: true, frozen: false, balance: '0.00', ownerRef: `party:${party.code}` });
      expect(party.walletAccount).toBe(wallet.code);
    }
    expect((await w.ledger.getAsset('CNY')).scale).toBe(2);
  });

  it('generates readable codes by kind and links villagers to household, collective and village', async () => {
    expect(villager.code).toMatch(/^V-\d{4}$/);
    expect(villager).toMatchObject({
      kind: 'VILLAGER',
      householdCode: 'H-T-001',
      collectiveCode: 'C-DXG',
      region: { code: VILLAGE, name: '大西沟村', level: 'VILLAGE' },
      mobileMasked: '138****3550',
      active: true,
    });
    expect(household).toMatchObject({ collectiveCode: 'C-DXG', region: { code: VILLAGE }, idKind: null, idNumberMasked: null });
    const farm = await tx(w, (em) => w.parties.create(em, { kind: 'STATE_FARM', name: '阳城县国有林场', regionCode: COUNTY, idNumber: FARM_CODE }));
    expect(farm.code).toBe('F-0001');
    const fund = await tx(w, (em) => w.parties.create(em, { kind: 'GOVERNMENT_FUND', name: '阳城县林业补贴资金' }));
    expect(fund.code).toBe('G-0001');
    expect((await tx(w, (em) => w.parties.create(em, { kind: 'GOVERNMENT_FUND', name: '阳城县流转奖补资金' }))).code).toBe('G-0002');
  });

  it('never gives two concurrent creations the same generated code', async () => {
    const created = await Promise.all(Array.from({ length: 6 }, (_, i) => tx(w, (em) => w.parties.create(em, { kind: 'LESSEE', name: `承租方${i}` }))));
    const codes = created.map((p) => p.code).sort();
    expect(new Set(codes).size).toBe(6);
    expect(codes).toEqual(['L-0001', 'L-0002', 'L-0003', 'L-0004', 'L-0005', 'L-0006']);
  });

  it('skips generated codes that already own ledger accounts', async () => {
    await tx(w, (em) => w.ledger.openAccount(em, { code: walletOf('K-0001'), asset: 'CNY', type: 'LIABILITY', ownerRef: 'party:K-0001', noOverdraft: true }));
    const bank = await tx(w, (em) => w.parties.create(em, { kind: 'BANK', name: '中国工商银行阳城支行', idNumber: creditCode('91', '11223344') }));
    expect(bank.code).toBe('K-0002');
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'BANK', name: 'x', code: 'K-0001', idNumber: creditCode('91', '11223345') })),
      'PARTY_EXISTS',
      'code',
    );
  });

  it('stores the ID number only as HMAC, ciphertext and masked copy: no column holds it in clear', async () => {
    const [row] = await db.dataSource.query<
      Array<{
        json: string;
        id_hmac: string;
        id_cipher: string;
        id_masked: string;
      }>
    >(`SELECT to_jsonb(p)::text AS json, id_hmac, id_cipher, id_masked FROM parties p WHERE code = $1`, [villager.code]);
    expect(row.json).not.toContain(headId);
    expect(row.json).not.toContain(headId.slice(4, 14)); // birth date and sequence, the masked part
    expect(row.id_masked).toBe(`${headId.slice(0, 4)}**********${headId.slice(14)}`);
    expect(row.id_hmac).toBe(pii.hmac('RESIDENT_ID', headId));
    expect(pii.decrypt(row.id_cipher)).toBe(headId);
    const [accounts] = await db.dataSource.query<Array<{ json: string }>>(`SELECT string_agg(to_jsonb(a)::text, ' ') AS json FROM ledger_accounts a`);
    expect(accounts.json).not.toContain(headId.slice(4, 14));
  });

  it('shows the ID number masked in every view', async () => {
    expect(villager.idNumberMasked).toMatch(/^1405\*{10}\d{3}[0-9X]$/);
    expect(collective.idNumberMasked).toBe(`${COLLECTIVE_CODE.slice(0, 4)}**********${COLLECTIVE_CODE.slice(14)}`);
    const views = [await w.parties.get(villager.code, null), ...(await w.parties.list({}, null)).items];
    for (const view of views) expect(JSON.stringify(view)).not.toContain(headId);
  });

  it('refuses a second party with the same ID number (also written lower-case or full-width): PARTY_EXISTS on idNumber', async () => {
    const before = await counts(db.dataSource);
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'VILLAGER', name: '张某', householdCode: 'H-T-001', idNumber: headId })),
      'PARTY_EXISTS',
      'idNumber',
    );
    const fullWidth = headId.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'INDIVIDUAL_BUYER', name: '张某', idNumber: ` ${fullWidth} ` })),
      'PARTY_EXISTS',
      'idNumber',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'COLLECTIVE', name: '另一个', regionCode: OTHER_VILLAGE, idNumber: COLLECTIVE_CODE.toLowerCase() })),
      'PARTY_EXISTS',
      'idNumber',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'ENTERPRISE', name: '重复代码', code: 'C-DXG', idNumber: creditCode('91', '55667788') })),
      'PARTY_EXISTS',
      'code',
    );
    expect(await counts(db.dataSource)).toEqual(before);
  });

  it('refuses invalid check characters and wrong ID kinds, naming idNumber', async () => {
    const badCredit = COLLECTIVE_CODE.slice(0, 17) + (COLLECTIVE_CODE[17] === '0' ? '1' : '0');
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'INDIVIDUAL_BUYER', name: '李四', idNumber: wrongCheck(residentId('1990-05-05', 17)) })),
      'INVALID_ID_NUMBER',
      'idNumber',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'INDIVIDUAL_BUYER', name: '李四', idNumber: '140522199002300171' })),
      'INVALID_ID_NUMBER',
      'idNumber',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'ENTERPRISE', name: '某公司', idNumber: badCredit })),
      'INVALID_ID_NUMBER',
      'idNumber',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'ENTERPRISE', name: '某公司', idNumber: residentId('1990-05-05', 17) })),
      'INVALID_ID_NUMBER',
      'idNumber',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'INDIVIDUAL_BUYER', name: '李四', idNumber: creditCode('91', '55667788') })),
      'INVALID_ID_NUMBER',
      'idNumber',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'ENTERPRISE', name: '某公司' })),
      'VALIDATION_FAILED',
      'idNumber',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'HOUSEHOLD', name: '某户', collectiveCode: 'C-DXG', idNumber: residentId('1990-05-05', 17) })),
      'VALIDATION_FAILED',
      'idNumber',
    );
    const error = await tx(w, (em) => w.parties.create(em, { kind: 'INDIVIDUAL_BUYER', name: '李四', idNumber: wrongCheck(residentId('1990-05-05', 17)) })).catch((e: Error) => e);
    expect((error as Error).message).not.toContain(residentId('1990-05-05', 17).slice(4, 14));
  });

  it('checks region levels and household / collective links', async () => {
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'COLLECTIVE', name: '某合作社', regionCode: TOWNSHIP, idNumber: creditCode('N2', '99887766') })),
      'PARTY_REGION',
      'regionCode',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'COLLECTIVE', name: '某合作社', idNumber: creditCode('N2', '99887766') })),
      'VALIDATION_FAILED',
      'regionCode',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'VILLAGER', name: '某人', idNumber: residentId('1970-01-01', 31) })),
      'VALIDATION_FAILED',
      'householdCode',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'VILLAGER', name: '某人', householdCode: 'C-DXG', idNumber: residentId('1970-01-01', 31) })),
      'PARTY_LINK',
      'householdCode',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'VILLAGER', name: '某人', householdCode: 'H-NONE', idNumber: residentId('1970-01-01', 31) })),
      'UNKNOWN_PARTY',
      'householdCode',
    );
    await tx(w, (em) =>
      w.parties.create(em, { kind: 'COLLECTIVE', name: '刘东村股份经济合作社', code: 'C-LD', regionCode: OTHER_VILLAGE, idNumber: creditCode('N2', '99887766') }),
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'VILLAGER', name: '某人', householdCode: 'H-T-001', collectiveCode: 'C-LD', idNumber: residentId('1970-01-01', 31) })),
      'PARTY_LINK',
      'householdCode',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'HOUSEHOLD', name: '某户', collectiveCode: 'C-DXG', regionCode: OTHER_VILLAGE })),
      'PARTY_REGION',
      'regionCode',
    );
    await expectError(
      tx(w, (em) => w.parties.create(em, { kind: 'ENTERPRISE', name: '某公司', collectiveCode: 'C-DXG', idNumber: creditCode('91', '55667788') })),
      'VALIDATION_FAILED',
      'collectiveCode',
    );
  });

  it('leaves neither party nor wallet when the transaction fails after the creation', async () => {
    const before = await counts(db.dataSource);
    await expect(
      tx(w, async (em) => {
        await w.parties.create(em, { kind: 'ENTERPRISE', name: '回滚公司', code: 'E-ROLLBACK', idNumber: creditCode('91', '31415926') });
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    expect(await counts(db.dataSource)).toEqual(before);
    await expectError(w.ledger.getAccount(walletOf('E-ROLLBACK')), 'UNKNOWN_ACCOUNT');
  });

  it('shows a scoped caller only their own party: anything else is UNKNOWN_PARTY (404)', async () => {
    const me = await userOf(w, 'VILLAGER', villager.code);
    const scope = ownerScopeOf(me);
    expect((await w.parties.get(villager.code, scope)).code).toBe(villager.code);
    await expectError(w.parties.get('C-DXG', scope), 'UNKNOWN_PARTY');
    await expectError(w.parties.get('NO-SUCH', scope), 'UNKNOWN_PARTY');
    expect((await w.parties.list({}, scope)).items.map((p) => p.code)).toEqual([villager.code]);
    expect((await w.parties.list({ kind: 'COLLECTIVE' }, scope)).items).toEqual([]);
    expect((await w.parties.list({ kind: 'COLLECTIVE' }, null)).items.map((p) => p.code)).toEqual(['C-DXG', 'C-LD']);
    expect((await w.parties.list({ regionCode: TOWNSHIP, kind: 'VILLAGER' }, null)).items.map((p) => p.code)).toEqual([villager.code]);
    const page = await w.parties.list({ limit: 2 }, null);
    expect(page.items).toHaveLength(2);
    expect((await w.parties.list({ limit: 2, after: page.nextCursor! }, null)).items[0].code > page.items[1].code).toBe(true);
  });

  it('reveals the full ID number to an ADMIN with a reason, and logs the access', async () => {
    const clerk = await userOf(w, 'AUDITOR');
    await expectError(
      tx(w, (em) => w.parties.revealId(em, villager.code, clerk, '看看')),
      'FORBIDDEN',
    );
    await expectError(
      tx(w, (em) => w.parties.revealId(em, villager.code, admin, '  ')),
      'VALIDATION_FAILED',
      'reason',
    );
    await expectError(
      tx(w, (em) => w.parties.revealId(em, household.code, admin, '核对')),
      'PARTY_HAS_NO_ID',
    );
    const revealed = await tx(w, (em) => w.parties.revealId(em, villager.code, admin, '核对林权证权利人'));
    expect(revealed).toEqual({ code: villager.code, idKind: 'RESIDENT_ID', idNumber: headId });
    const log = await db.dataSource.query<
      Array<{
        user_id: string;
        reason: string;
      }>
    >(`SELECT l.user_id, l.reason FROM pii_access_log l JOIN parties p ON p.id = l.party_id WHERE p.code = $1`, [villager.code]);
    expect(log).toEqual([{ user_id: admin.userId, reason: '核对林权证权利人' }]);
  });

  it('creates the VILLAGER login with a PIN, then changes the PIN; the villager signs in with ID number and PIN', async () => {
    const spouseId = residentId('1963-07-08', 902);
    const spouse = await tx(w, (em) => w.parties.create(em, { kind: 'VILLAGER', name: '刘桂芳', householdCode: 'H-T-001', idNumber: spouseId }));
    const created = await tx(w, (em) => w.parties.setVillagerPin(em, spouse.code, '135790'));
    expect(created.created).toBe(true);
    const token = await w.access.villagerLogin(spouseId, '135790', '10.0.0.1');
    expect(token.role).toBe('VILLAGER');
    const changed = await tx(w, (em) => w.parties.setVillagerPin(em, spouse.code, '246802'));
    expect(changed).toEqual({ userId: created.userId, created: false });
    await expect(w.access.villagerLogin(spouseId, '246802', '10.0.0.1')).resolves.toMatchObject({ role: 'VILLAGER' });
    await expectError(
      tx(w, (em) => w.parties.setVillagerPin(em, spouse.code, '12345')),
      'VALIDATION_FAILED',
      'pin',
    );
    await expectError(
      tx(w, (em) => w.parties.setVillagerPin(em, 'C-DXG', '123456')),
      'PARTY_LINK',
    );
  });
});

describe('deactivation by maker-checker', () => {
  const BANK = 'bank:ICBC-YC:CNY';
  let target: PartyView;

  beforeAll(async () => {
    target = await tx(w, (em) => w.parties.create(em, { kind: 'ENTERPRISE', name: '晋城碳汇科技有限公司', idNumber: creditCode('91', '27182818') }));
    await tx(w, (em) => w.ledger.openAccount(em, { code: BANK, asset: 'CNY', type: 'ASSET', ownerRef: 'platform' }));
    const deposit = (key: string) => ({
      idempotencyKey: key,
      kind: 'BANK_RECEIPT',
      effectiveDate: '2026-01-15',
      postings: [
        { account: BANK, side: 'DEBIT' as const, amount: '100.00' },
        { account: walletOf(target.code), side: 'CREDIT' as const, amount: '100.00' },
      ],
    });
    await tx(w, (em) => w.ledger.post(em, deposit('deposit-before')));
  });

  it('refuses the requester as approver, lets another user approve once, deactivates the party and freezes its wallet', async () => {
    const request = await tx(w, (em) => w.parties.requestDeactivation(em, target.code, admin, '企业注销'));
    expect(request).toMatchObject({ action: 'DEACTIVATE_PARTY', state: 'PENDING', requestedBy: admin.userId, payload: { partyCode: target.code, reason: '企业注销' } });
    await expectError(
      tx(w, (em) => w.parties.requestDeactivation(em, target.code, secondAdmin)),
      'APPROVAL_PENDING',
    );
    await expectError(
      tx(w, (em) => w.parties.decide(em, request.id, admin, true)),
      'SAME_USER_APPROVAL',
    );
    expect((await w.parties.get(target.code, null)).active).toBe(true);

    const decided = await tx(w, (em) => w.parties.decide(em, request.id, approver, true));
    expect(decided).toMatchObject({ state: 'APPROVED', decidedBy: approver.userId });
    const party = await w.parties.get(target.code, null);
    expect(party.active).toBe(false);
    expect(party.deactivatedAt).not.toBeNull();
    expect((await w.ledger.getAccount(walletOf(target.code))).frozen).toBe(true);
    await expectError(
      tx(w, (em) =>
        w.ledger.post(em, {
          idempotencyKey: 'deposit-after',
          kind: 'BANK_RECEIPT',
          effectiveDate: '2026-02-01',
          postings: [
            { account: BANK, side: 'DEBIT', amount: '1.00' },
            { account: walletOf(target.code), side: 'CREDIT', amount: '1.00' },
          ],
        }),
      ),
      'ACCOUNT_FROZEN',
    );
    await expectError(
      tx(w, (em) => w.parties.decide(em, request.id, secondAdmin, false)),
      'APPROVAL_DECIDED',
    );
    await expectError(
      tx(w, (em) => w.parties.requestDeactivation(em, target.code, admin)),
      'PARTY_INACTIVE',
    );
    await expectError(
      tx(w, (em) => w.parties.decide(em, '999999', approver, true)),
      'UNKNOWN_APPROVAL',
    );
    await expectError(
      tx(w, (em) => w.parties.decide(em, 'abc', approver, true)),
      'UNKNOWN_APPROVAL',
    );
  });

  it('a rejection changes nothing but the approval', async () => {
    const party = await tx(w, (em) => w.parties.create(em, { kind: 'ENTERPRISE', name: '保留公司', idNumber: creditCode('91', '16180339') }));
    const request = await tx(w, (em) => w.parties.requestDeactivation(em, party.code, admin));
    expect(await tx(w, (em) => w.parties.decide(em, request.id, approver, false))).toMatchObject({ state: 'REJECTED' });
    expect((await w.parties.get(party.code, null)).active).toBe(true);
    expect((await w.ledger.getAccount(walletOf(party.code))).frozen).toBe(false);
    const pending = await w.parties.listApprovals({ state: 'PENDING' });
    expect(pending.items).toEqual([]);
    expect((await w.parties.listApprovals({ action: 'DEACTIVATE_PARTY' })).items.map((a) => a.state)).toEqual(['REJECTED', 'APPROVED']);
  });

  it('the database itself refuses a decision by the requester (four-eyes CHECK)', async () => {
    const party = await tx(w, (em) => w.parties.create(em, { kind: 'ENTERPRISE', name: '约束公司', idNumber: creditCode('91', '14142135') }));
    const request = await tx(w, (em) => w.parties.requestDeactivation(em, party.code, admin));
    await expect(db.dataSource.query(`UPDATE approvals SET state = 'APPROVED', decided_by = requested_by, decided_at = now() WHERE id = $1`, [request.id])).rejects.toThrow(
      /ck_approvals_four_eyes/,
    );
  });
});

describe('roster import', () => {
  const records = fixtureRecords(ROSTER_FIXTURE);
  const idColumn = records[0].indexOf('身份证号');

  beforeAll(async () => {
    await tx(w, (em) => w.parties.create(em, { kind: 'COLLECTIVE', name: '大西沟村集体（名册）', code: 'C-ROSTER', regionCode: VILLAGE, idNumber: creditCode('N2', '01234567') }));
  });

  it('refuses a file with one bad row in the middle, naming that row, and writes nothing', async () => {
    const bad = withCell(records, 50, '身份证号', wrongCheck(records[50][idColumn]));
    const before = await counts(db.dataSource);
    const outcome = await tx(w, (em) => w.parties.importRoster(em, 'C-ROSTER', csvBuffer(bad), 'roster.csv'));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.errors).toHaveLength(1);
    expect(outcome.errors[0]).toMatchObject({ row: 51, column: '身份证号' });
    expect(outcome.errors[0].message).not.toContain(records[50][idColumn].slice(4, 14));
    expect(await counts(db.dataSource)).toEqual(before);
  });

  it('imports the fixture: 40 households and 104 villagers, each with a wallet, linked to household and collective', async () => {
    const before = await counts(db.dataSource);
    const outcome = await tx(w, (em) => w.parties.importRoster(em, 'C-ROSTER', sharedFixture(ROSTER_FIXTURE), ROSTER_FIXTURE));
    expect(outcome).toEqual({ ok: true, collectiveCode: 'C-ROSTER', households: 40, villagers: 104 });
    const after = await counts(db.dataSource);
    expect(after.parties - before.parties).toBe(144);
    expect(after.accounts - before.accounts).toBe(144);

    const households = await w.parties.list({ collectiveCode: 'C-ROSTER', kind: 'HOUSEHOLD', limit: 500 }, null);
    expect(households.items).toHaveLength(40);
    expect(households.items[0]).toMatchObject({ code: 'H-DXG-001', name: '吴丽娟户', region: { code: VILLAGE }, metadata: { householdNo: 'DXG-001' } });
    const villagers = await w.parties.list({ collectiveCode: 'C-ROSTER', kind: 'VILLAGER', limit: 500 }, null);
    expect(villagers.items).toHaveLength(104);
    expect(villagers.items.every((v) => /^V-\d{4}$/.test(v.code) && v.householdCode?.startsWith('H-DXG-') && v.idKind === 'RESIDENT_ID')).toBe(true);
    const members = await w.parties.list({ householdCode: 'H-DXG-001' }, null);
    expect(members.items.map((m) => [m.name, m.metadata.relation])).toEqual([
      ['吴丽娟', '户主'],
      ['吴桂芳', '配偶'],
    ]);
    // 联系电话 becomes the sealed mobile number, shown masked; the clear number is stored nowhere.
    expect(members.items.map((m) => m.mobileMasked)).toEqual(['138****3550', '139****0121']);
    const [{ sealed, clearPhones }] = await db.dataSource.query<Array<{ sealed: number; clearPhones: number }>>(
      `SELECT count(*) FILTER (WHERE mobile_cipher IS NOT NULL)::int AS sealed, count(*) FILTER (WHERE to_jsonb(p)::text LIKE '%13869893550%' OR phone IS NOT NULL)::int AS "clearPhones"
         FROM parties p WHERE collective_id = (SELECT id FROM parties WHERE code = 'C-ROSTER')`,
    );
    expect(sealed).toBeGreaterThan(0);
    expect(clearPhones).toBe(0);
    const [{ wallets }] = await db.dataSource.query<Array<{ wallets: number }>>(
      `SELECT count(*)::int AS wallets FROM parties p JOIN ledger_accounts a ON a.code = 'party:' || p.code || ':wallet:CNY'
       WHERE p.collective_id = (SELECT id FROM parties WHERE code = 'C-ROSTER') AND a.no_overdraft AND a.type = 'LIABILITY'`,
    );
    expect(wallets).toBe(144);
    const [{ clear }] = await db.dataSource.query<
      Array<{
        clear: number;
      }>
    >(`SELECT count(*)::int AS clear FROM parties p WHERE to_jsonb(p)::text LIKE '%' || $1 || '%'`, [records[1][idColumn]]);
    expect(clear).toBe(0);
    const revealed = await tx(w, (em) => w.parties.revealId(em, members.items[0].code, admin, '核对名册'));
    expect(revealed.idNumber).toBe(records[1][idColumn]);
  });

  it('refuses a roster whose member is already a party, or whose 户号 is already registered, writing nothing', async () => {
    const fresh = generateRosterRecords(5, { seed: 11, prefix: 'NEW' });
    const clash = [...fresh, ['NEW-0099', '重复人', '重复人', records[7][idColumn], '户主', '']];
    await tx(w, (em) => w.parties.create(em, { kind: 'COLLECTIVE', name: '另一集体', code: 'C-ROSTER2', regionCode: OTHER_VILLAGE, idNumber: creditCode('N2', '76543210') }));
    const before = await counts(db.dataSource);
    const outcome = await tx(w, (em) => w.parties.importRoster(em, 'C-ROSTER2', csvBuffer(clash), 'clash.csv'));
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.errors).toEqual([
      expect.objectContaining({ row: clash.length, column: '身份证号', message: expect.stringContaining('already registered as party V-') as string }),
    ]);
    const again = await tx(w, (em) => w.parties.importRoster(em, 'C-ROSTER', sharedFixture(ROSTER_FIXTURE), ROSTER_FIXTURE));
    expect(again.ok).toBe(false);
    if (!again.ok) {
      expect(again.errors).toHaveLength(40 + 104);
      expect(again.errors[0]).toMatchObject({ row: 2, column: '户号' });
    }
    expect(await counts(db.dataSource)).toEqual(before);
    await expectError(
      tx(w, (em) => w.parties.importRoster(em, 'H-DXG-001', csvBuffer(fresh), 'x.csv')),
      'PARTY_LINK',
    );
    await expectError(
      tx(w, (em) => w.parties.importRoster(em, 'C-ROSTER2', Buffer.alloc(0), 'empty.csv')),
      'IMPORT_EMPTY_FILE',
    );
  });
});

describe.each([
  ['GB18030 CSV', 'roster.csv', () => Promise.resolve(csvBuffer(fixtureRecords(ROSTER_FIXTURE), { encoding: 'gb18030' }))],
  ['.xlsx', 'roster.xlsx', () => xlsxBuffer(fixtureRecords(ROSTER_FIXTURE))],
])('roster import of the fixture as %s', (_label, fileName, build) => {
  const own = useTestDatabase();
  let v: World;

  beforeAll(async () => {
    v = worldOf(own);
    await regionTree(v);
    await tx(v, (em) => v.parties.create(em, { kind: 'COLLECTIVE', name: '大西沟村股份经济合作社', code: 'C-DXG', regionCode: VILLAGE, idNumber: COLLECTIVE_CODE }));
  });

  it('imports 40 households and 104 villagers with their wallets', async () => {
    const outcome = await tx(v, async (em) => v.parties.importRoster(em, 'C-DXG', await build(), fileName));
    expect(outcome).toEqual({ ok: true, collectiveCode: 'C-DXG', households: 40, villagers: 104 });
    expect(await counts(own.dataSource)).toEqual({ parties: 145, accounts: 145 });
    expect((await v.parties.get('H-DXG-040', null)).collectiveCode).toBe('C-DXG');
  });
});
