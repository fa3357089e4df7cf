import { Test, TestingModule } from '@nestjs/testing';
import {
  AccessService,
  DEMO_COLLECTIVE,
  DEMO_FARM,
  DEMO_ORGANISATIONS,
  DEMO_SERIES_ISSUED,
  DEMO_TICKET_ASSET,
  DEMO_VILLAGE,
  DEMO_VILLAGER,
  DEMO_VILLAGER_ID_NUMBER,
  DEMO_VILLAGER_PIN,
  DEMO_VILLAGERS,
  DemoLoader,
  DemoModule,
  demoTickets,
  ParcelsService,
  walletOf,
} from '@forest-ledger/forestry';
import { LedgerService } from '@forest-ledger/ledger';
import { Env, loadEnv } from '@forest-ledger/platform';
import { TEST_REDIS_URL } from '../setup/databases';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let moduleRef: TestingModule;

beforeAll(async () => {
  moduleRef = await Test.createTestingModule({ imports: [DemoModule] })
    .overrideProvider(Env)
    .useValue(loadEnv({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'silent', NODE_ENV: 'test', QUEUE_PREFIX: `test-${db.name}` }))
    .compile();
  await moduleRef.init();
});

afterAll(async () => {
  await moduleRef?.close();
});

const count = async (sql: string, params: unknown[] = []): Promise<number> => ((await db.dataSource.query(sql, params)) as Array<{ n: number }>)[0].n;

const balanceOf = async (code: string): Promise<string> => (await moduleRef.get(LedgerService).getAccount(code)).balance;

describe('the demo data set', () => {
  it('loads into an empty database once, and not again', async () => {
    const loader = moduleRef.get(DemoLoader);
    await expect(loader.load()).resolves.toBe(true);
    await expect(loader.load()).resolves.toBe(false);
    await expect(count(`SELECT count(*)::int AS n FROM ledger_entries WHERE idempotency_key LIKE 'demo:%'`)).resolves.toBe(4);
  });

  it('has the region tree 阳城县 → 芹池镇 → 大西沟村', async () => {
    const rows = (await db.dataSource.query(
      `SELECT r.code, r.name, r.level, p.code AS parent FROM regions r LEFT JOIN regions p ON p.id = r.parent_id ORDER BY r.code`,
    )) as Array<{ code: string; name: string; level: string; parent: string | null }>;
    expect(rows).toEqual([
      { code: '140522', name: '阳城县', level: 'COUNTY', parent: null },
      { code: '140522101', name: '芹池镇', level: 'TOWNSHIP', parent: '140522' },
      { code: '140522101201', name: '大西沟村', level: 'VILLAGE', parent: '140522101' },
    ]);
  });

  it('has the parties, each with exactly one CNY wallet, and the villager login', async () => {
    const kinds = (await db.dataSource.query(`SELECT kind, count(*)::int AS n FROM parties GROUP BY kind ORDER BY kind`)) as Array<{ kind: string; n: number }>;
    expect(Object.fromEntries(kinds.map((k) => [k.kind, k.n]))).toEqual({ BANK: 1, COLLECTIVE: 1, GOVERNMENT_FUND: 1, HOUSEHOLD: 3, STATE_FARM: 1, VILLAGER: 8 });
    await expect(count(`SELECT count(*)::int AS n FROM ledger_accounts WHERE code LIKE 'party:%:wallet:CNY'`)).resolves.toBe(15);
    await expect(
      count(`SELECT count(*)::int AS n FROM parties p JOIN ledger_accounts a ON a.code = 'party:' || p.code || ':wallet:CNY' AND a.owner_ref = 'party:' || p.code`),
    ).resolves.toBe(15);
    // Every villager lives in 大西沟村, in a household of the collective.
    await expect(
      count(
        `SELECT count(*)::int AS n FROM parties v JOIN regions r ON r.id = v.region_id JOIN parties h ON h.id = v.household_id JOIN parties c ON c.id = v.collective_id
          WHERE v.kind = 'VILLAGER' AND r.code = $1 AND h.kind = 'HOUSEHOLD' AND c.code = $2`,
        [DEMO_VILLAGE.code, DEMO_COLLECTIVE],
      ),
    ).resolves.toBe(8);

    const token = await moduleRef.get(AccessService).villagerLogin(DEMO_VILLAGER_ID_NUMBER, DEMO_VILLAGER_PIN, '127.0.0.1');
    expect(token.role).toBe('VILLAGER');
    await expect(count(`SELECT count(*)::int AS n FROM users u JOIN parties p ON p.id = u.party_id WHERE u.role = 'VILLAGER' AND p.code = $1`, [DEMO_VILLAGER])).resolves.toBe(1);
  });

  it('keeps every ID number out of the database in clear', async () => {
    const clear = [...DEMO_VILLAGERS.map((v) => v.idNumber), ...DEMO_ORGANISATIONS.flatMap((o) => (o.idNumber ? [o.idNumber] : []))];
    expect(clear).toHaveLength(11);
    const dumps = (await db.dataSource.query(
      `SELECT row_to_json(t)::text AS row FROM parties t
       UNION ALL SELECT row_to_json(t)::text FROM parcels t
       UNION ALL SELECT row_to_json(t)::text FROM users t
       UNION ALL SELECT row_to_json(t)::text FROM ledger_accounts t
       UNION ALL SELECT row_to_json(t)::text FROM ledger_entries t`,
    )) as Array<{ row: string }>;
    for (const { row } of dumps) for (const id of clear) expect(row).not.toContain(id);
    const masked = (await db.dataSource.query(`SELECT id_masked FROM parties WHERE id_kind IS NOT NULL`)) as Array<{ id_masked: string }>;
    expect(masked).toHaveLength(11);
    for (const m of masked) expect(m.id_masked).toMatch(/^.{4}\*{10}.{4}$/);
  });

  it('has six parcels in 大西沟村 in every certificate state, one mortgaged and one seized', async () => {
    const summary = await moduleRef.get(ParcelsService).summary('140522');
    expect(summary.total.parcels).toBe(6);
    expect(summary.total.areaMu).toBe('145.4418');
    expect(summary.villages.map((v) => [v.code, v.parcels])).toEqual([[DEMO_VILLAGE.code, 6]]);
    const byState = summary.total.byState;
    expect([byState.ISSUED_TO_HOUSEHOLD, byState.PRINTED_SEALED_NOT_ISSUED, byState.PRINTED_NOT_SEALED, byState.NOT_PRINTED].map((s) => s.parcels)).toEqual([3, 1, 1, 1]);
    expect(summary.total.mortgaged.parcels).toBe(1);
    expect(summary.total.seized.parcels).toBe(1);
    // Only villagers of the demo hold them.
    await expect(count(`SELECT count(*)::int AS n FROM parcels p JOIN parties h ON h.id = p.holder_party_id WHERE h.kind = 'VILLAGER'`)).resolves.toBe(6);
  });

  it('issues the 林票: the farm by contribution, the collective 30 % plus the remainder, the villagers 70 % per person, summing to the total', async () => {
    const postings = (await db.dataSource.query(
      `SELECT a.code, a.asset_code, p.side, p.amount::text AS amount FROM ledger_postings p
         JOIN ledger_entries e ON e.id = p.entry_id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE e.idempotency_key = 'demo:issuance' ORDER BY p.seq`,
    )) as Array<{ code: string; asset_code: string; side: string; amount: string }>;
    expect(new Set(postings.map((p) => p.asset_code))).toEqual(new Set([DEMO_TICKET_ASSET]));
    const debits = postings.filter((p) => p.side === 'DEBIT');
    const credits = postings.filter((p) => p.side === 'CREDIT');
    expect(debits).toEqual([{ code: DEMO_SERIES_ISSUED, asset_code: DEMO_TICKET_ASSET, side: 'DEBIT', amount: '9123' }]);
    expect(credits.reduce((sum, p) => sum + BigInt(p.amount), 0n)).toBe(9123n);
    const units = Object.fromEntries(credits.map((p) => [p.code, p.amount]));
    expect(units[demoTickets(DEMO_FARM)]).toBe('5000');
    expect(units[demoTickets(DEMO_COLLECTIVE)]).toBe('1237');
    const villagerUnits = DEMO_VILLAGERS.map((v) => units[demoTickets(v.code)]);
    expect(villagerUnits).toEqual(['361', '361', '361', '361', '361', '361', '360', '360']);
    expect(villagerUnits.reduce((sum, u) => sum + BigInt(u), 0n)).toBe(2886n); // floor(4123 × 70 %)
  });

  it('settles the trade delivery-versus-payment in one entry, after the deposit', async () => {
    const assets = (await db.dataSource.query(
      `SELECT DISTINCT a.asset_code FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE e.idempotency_key = 'demo:trade-1' ORDER BY 1`,
    )) as Array<{ asset_code: string }>;
    expect(assets.map((a) => a.asset_code)).toEqual(['CNY', DEMO_TICKET_ASSET]);
    await expect(balanceOf(demoTickets('V-0001'))).resolves.toBe('261');
    await expect(balanceOf(demoTickets('V-0004'))).resolves.toBe('461');
    await expect(balanceOf(walletOf('V-0001'))).resolves.toBe('10550.00');
    await expect(balanceOf(walletOf('V-0004'))).resolves.toBe('9450.00');
    await expect(balanceOf(walletOf(DEMO_FARM))).resolves.toBe('500000.00');
    await expect(balanceOf('bank:ICBC-YC-0001:CNY')).resolves.toBe('520000.00');
  });

  it('leaves a balanced trial balance in every asset', async () => {
    const trial = await moduleRef.get(LedgerService).trialBalance();
    expect(trial.assets.map((a) => a.asset)).toEqual(['CNY', DEMO_TICKET_ASSET, 'TCO2E']);
    for (const a of trial.assets) expect(a.balanced).toBe(true);
  });
});
