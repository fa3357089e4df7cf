import { AccessService, createAdmin } from '@forest-ledger/access';
import { Test, TestingModule } from '@nestjs/testing';
import {
  DisclosuresService,
  BANK_CLEARING_ACCOUNT,
  businessToday,
  DEMO_BANK,
  DEMO_COLLECTIVE,
  DEMO_FACE_VALUE,
  DEMO_FARM,
  DEMO_ID_TABLES,
  DEMO_IDS,
  DEMO_ORGANISATIONS,
  DEMO_PROJECT,
  DEMO_SCHEME,
  DEMO_SERIES,
  DEMO_TICKET_ASSET,
  DEMO_VILLAGE,
  DEMO_VILLAGER,
  DEMO_VILLAGER_ID_NUMBER,
  DEMO_VILLAGER_PIN,
  DEMO_VILLAGERS,
  DemoLoader,
  DemoModule,
  holderPledged,
  holderTickets,
  IncomeRightsService,
  MovementsService,
  ParcelsService,
  PLATFORM_FEES_ACCOUNT,
  ProjectsService,
  projectInKind,
  projectWallet,
  seriesIssued,
  SeriesService,
  walletOf,
} from '@forest-ledger/forestry';
import { Dec, LedgerReportsService, LedgerService } from '@forest-ledger/ledger';
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
  // As `npm start` does: the first administrator, then the demo (DEMO_IDS.last.user counts them).
  await createAdmin(db.dataSource, 'admin', { onlyIfNoUsers: true });
});

afterAll(async () => {
  await moduleRef?.close();
});

const count = async (sql: string, params: unknown[] = []): Promise<number> => (await db.dataSource.query<Array<{ n: number }>>(sql, params))[0].n;

const balanceOf = async (code: string): Promise<string> => (await moduleRef.get(LedgerService).getAccount(code)).balance;

describe('the demo data set', () => {
  it('loads into an empty database once, and not again', async () => {
    const loader = moduleRef.get(DemoLoader);
    await expect(loader.load()).resolves.toBe(true);
    const entries = await count(`SELECT count(*)::int AS n FROM ledger_entries`);
    await expect(loader.load()).resolves.toBe(false);
    await expect(count(`SELECT count(*)::int AS n FROM ledger_entries`)).resolves.toBe(entries);
    // Every entry comes from a command with a fixed demo key (the services prefix their own kind).
    const keys = await db.dataSource.query<Array<{ key: string }>>(`SELECT idempotency_key AS key FROM ledger_entries ORDER BY id`);
    expect(keys.map((k) => k.key)).toEqual([
      'project-investment:demo:farm-cash',
      'project-in-kind:demo:collective-land',
      'ticket-issuance:demo:issuance:1',
      'demo:villager-deposit',
      'ticket-trade:demo:trade-1',
      'ticket-pledge:demo:pledge-1',
      'demo:farm-deposit',
      'ticket-buy-back:demo:buy-back-1',
      'project-income:demo:pre-dividend',
      expect.stringMatching(/^dividend-reserve:\d+$/),
      expect.stringMatching(/^dividend:\d+:chunk:1:1$/),
      // The market: V-0003 lists 50 units, V-0004 takes 20.
      'ticket-listing:demo:listing-1',
      'ticket-market-trade:demo:listing-1-take-1',
      // The collective's income-right scheme, issued before 公示 is turned on.
      'ticket-issuance:demo:income-right-issuance:1',
      // 公示: the 2026 pre-dividend is received and declared, its list published; nothing is paid yet.
      'project-income:demo:pre-dividend-2026',
    ]);
  });

  it('has the region tree 阳城县 → 芹池镇 → 大西沟村', async () => {
    const rows = await db.dataSource.query<
      Array<{
        code: string;
        name: string;
        level: string;
        parent: string | null;
      }>
    >(`SELECT r.code, r.name, r.level, p.code AS parent FROM regions r LEFT JOIN regions p ON p.id = r.parent_id ORDER BY r.code`);
    expect(rows).toEqual([
      { code: '140522', name: '阳城县', level: 'COUNTY', parent: null },
      { code: '140522101', name: '芹池镇', level: 'TOWNSHIP', parent: '140522' },
      { code: '140522101201', name: '大西沟村', level: 'VILLAGE', parent: '140522101' },
    ]);
  });

  it('has the parties, each with exactly one CNY wallet, and the villager login', async () => {
    const kinds = await db.dataSource.query<Array<{ kind: string; n: number }>>(`SELECT kind, count(*)::int AS n FROM parties GROUP BY kind ORDER BY kind`);
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
    const dumps = await db.dataSource.query<Array<{ row: string }>>(
      `SELECT row_to_json(t)::text AS row FROM parties t
       UNION ALL SELECT row_to_json(t)::text FROM parcels t
       UNION ALL SELECT row_to_json(t)::text FROM users t
       UNION ALL SELECT row_to_json(t)::text FROM ledger_accounts t
       UNION ALL SELECT row_to_json(t)::text FROM ledger_entries t
       UNION ALL SELECT row_to_json(t)::text FROM coop_projects t
       UNION ALL SELECT row_to_json(t)::text FROM project_contributions t
       UNION ALL SELECT row_to_json(t)::text FROM ticket_series t
       UNION ALL SELECT row_to_json(t)::text FROM ticket_holdings t
       UNION ALL SELECT row_to_json(t)::text FROM ticket_movements t
       UNION ALL SELECT row_to_json(t)::text FROM ticket_pledges t`,
    );
    for (const { row } of dumps) for (const id of clear) expect(row).not.toContain(id);
    const masked = await db.dataSource.query<Array<{ id_masked: string }>>(`SELECT id_masked FROM parties WHERE id_kind IS NOT NULL`);
    expect(masked).toHaveLength(11);
    for (const m of masked) expect(m.id_masked).toMatch(/^.{4}\*{10}.{4}$/);
  });

  it('has seven parcels in 大西沟村 in every certificate state, one mortgaged and one seized, one the collective’s own', async () => {
    const summary = await moduleRef.get(ParcelsService).summary('140522');
    expect(summary.total.parcels).toBe(7);
    expect(summary.total.areaMu).toBe('231.6418');
    expect(summary.villages.map((v) => [v.code, v.parcels])).toEqual([[DEMO_VILLAGE.code, 7]]);
    const byState = summary.total.byState;
    expect([byState.ISSUED_TO_HOUSEHOLD, byState.PRINTED_SEALED_NOT_ISSUED, byState.PRINTED_NOT_SEALED, byState.NOT_PRINTED].map((s) => s.parcels)).toEqual([4, 1, 1, 1]);
    expect(summary.total.mortgaged.parcels).toBe(1);
    expect(summary.total.seized.parcels).toBe(1);
    // Villagers of the demo hold them, but 007: the collective's own land (村集体统一经营).
    await expect(count(`SELECT count(*)::int AS n FROM parcels p JOIN parties h ON h.id = p.holder_party_id WHERE h.kind = 'VILLAGER'`)).resolves.toBe(6);
    await expect(count(`SELECT count(*)::int AS n FROM parcels p JOIN parties h ON h.id = p.holder_party_id WHERE h.code = $1`, [DEMO_COLLECTIVE])).resolves.toBe(1);
  });

  it('has the project YC-DXG, active, on the one attachable parcel, with the cash of the farm and the land of the collective', async () => {
    const project = await moduleRef.get(ProjectsService).get(DEMO_PROJECT, null);
    expect(project).toMatchObject({
      code: DEMO_PROJECT,
      state: 'ACTIVE',
      farm: { code: DEMO_FARM },
      collective: { code: DEMO_COLLECTIVE },
      projectType: 'EXISTING_FOREST',
      areaMu: '32.6500',
      parcelsAreaMu: '32.6500',
      startDate: '2025-03-01',
      termYears: 10,
      endDate: '2035-03-01',
      managementFeeRate: '0.08',
      collectiveRetainedRatio: '0.3',
      memberWeighting: 'PER_PERSON',
      guarantee: { buyBackPrice: '100.00', yieldPerMu: '13.0000', referencePrice: '500.00' },
      totalContributions: '912300.00',
      walletAccount: projectWallet(DEMO_PROJECT),
      walletBalance: '518246.00', // the farm's cash and the 2026 income awaiting its 公示
      seriesCode: DEMO_SERIES,
    });
    expect(project.guarantee.description).toContain('每亩13立方米');
    expect(project.activatedAt).not.toBeNull();
    // Only 001 is issued to the household and neither mortgaged nor seized.
    expect(project.parcels.map((p) => p.certificateNo)).toEqual(['晋(2025)阳城县不动产权第0009001号']);
    expect(project.contributions.map((c) => [c.partyCode, c.role, c.kind, c.state, c.amount, c.bankReference, c.valuationDocument !== null])).toEqual([
      [DEMO_FARM, 'FARM', 'CASH', 'PAID', '500000.00', '20250301000123', false],
      [DEMO_COLLECTIVE, 'COLLECTIVE', 'IN_KIND_LAND', 'VALUED', '412300.00', null, true],
    ]);
    await expect(balanceOf(projectInKind(DEMO_PROJECT))).resolves.toBe('412300.00');
  });

  it('issues the series: the farm by contribution, 360 to every villager, the collective 30 % plus what cannot be divided equally, summing to 9,123', async () => {
    const series = await moduleRef.get(SeriesService).get(DEMO_SERIES);
    expect(series).toMatchObject({
      code: DEMO_SERIES,
      project: DEMO_PROJECT,
      projectState: 'ACTIVE',
      assetCode: DEMO_TICKET_ASSET,
      faceValue: DEMO_FACE_VALUE,
      totalUnits: '9123',
      transferRestriction: 'COLLECTIVE_MEMBERS',
      issuedOn: '2025-03-15',
      holders: 10,
      guaranteedBuyBackPrice: '100.00',
    });
    // 9,123 units × 100.00 = the contributions, exactly.
    expect(BigInt(series.totalUnits) * 100n).toBe(912300n);

    const postings = await db.dataSource.query<Array<{ code: string; asset_code: string; side: string; amount: string }>>(
      `SELECT a.code, a.asset_code, p.side, p.amount::text AS amount FROM ledger_postings p
         JOIN ledger_entries e ON e.id = p.entry_id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE e.idempotency_key = 'ticket-issuance:demo:issuance:1' ORDER BY p.seq`,
    );
    expect(new Set(postings.map((p) => p.asset_code))).toEqual(new Set([DEMO_TICKET_ASSET]));
    const debits = postings.filter((p) => p.side === 'DEBIT');
    const credits = postings.filter((p) => p.side === 'CREDIT');
    expect(debits).toEqual([{ code: seriesIssued(DEMO_SERIES), asset_code: DEMO_TICKET_ASSET, side: 'DEBIT', amount: '9123' }]);
    expect(credits.reduce((sum, p) => sum + BigInt(p.amount), 0n)).toBe(9123n);
    const units = Object.fromEntries(credits.map((p) => [p.code, p.amount]));
    expect(units[holderTickets(DEMO_FARM, DEMO_SERIES)]).toBe('5000');
    // floor(4,123 × 70 %) = 2,886 for eight villagers: 360 each; the 6 left over stay with the collective (1,237 + 6).
    expect(units[holderTickets(DEMO_COLLECTIVE, DEMO_SERIES)]).toBe('1243');
    const villagerUnits = DEMO_VILLAGERS.map((v) => units[holderTickets(v.code, DEMO_SERIES)]);
    expect(villagerUnits).toEqual(['360', '360', '360', '360', '360', '360', '360', '360']);
    const [{ metadata }] = await db.dataSource.query<
      Array<{
        metadata: { split: unknown };
      }>
    >(`SELECT metadata FROM ledger_entries WHERE idempotency_key = 'ticket-issuance:demo:issuance:1'`);
    expect(metadata.split).toMatchObject({ basis: 'PER_PERSON', claims: 8, poolUnits: '2886', unitsPerClaim: '360', remainderUnits: '6', retainedByRatioUnits: '1237' });
  });

  it('numbers the certificates gaplessly and keeps a register that sums to 9,123 before and after the movements', async () => {
    const holdings = await db.dataSource.query<Array<{ seq: number; certificate_no: string; code: string; origin: string; issued: string }>>(
      `SELECT h.seq, h.certificate_no, p.code, h.origin, h.issued_units::text AS issued FROM ticket_holdings h JOIN parties p ON p.id = h.party_id
        JOIN ticket_series s ON s.id = h.series_id WHERE s.code = $1 ORDER BY h.seq`,
      [DEMO_SERIES],
    );
    expect(holdings.map((h) => h.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(holdings.map((h) => h.certificate_no)).toEqual(holdings.map((h) => `${DEMO_SERIES}-${String(h.seq).padStart(6, '0')}`));
    expect(holdings.map((h) => [h.code, h.origin])).toEqual([[DEMO_FARM, 'FARM'], [DEMO_COLLECTIVE, 'COLLECTIVE'], ...DEMO_VILLAGERS.map((v) => [v.code, 'MEMBER'])]);
    await expect(count(`SELECT last_certificate_seq AS n FROM ticket_series WHERE code = $1`, [DEMO_SERIES])).resolves.toBe(10);

    const series = moduleRef.get(SeriesService);
    const atIssue = await series.register(DEMO_SERIES, '2025-03-15');
    expect(atIssue.totalUnits).toBe('9123');
    expect(atIssue.lines.map((l) => l.units)).toEqual(['5000', '1243', '360', '360', '360', '360', '360', '360', '360', '360']);

    const now = await series.register(DEMO_SERIES);
    expect(now.totalUnits).toBe('9123');
    expect(now.holders).toBe(10);
    expect(now.lines.reduce((sum, l) => sum + BigInt(l.units), 0n)).toBe(9123n);
    expect(Object.fromEntries(now.lines.map((l) => [l.partyCode, [l.units, l.pledgedUnits]]))).toEqual({
      [DEMO_FARM]: ['5020', '0'], // + 20 bought back
      [DEMO_COLLECTIVE]: ['1243', '0'],
      'V-0001': ['260', '0'], // − 100 sold
      'V-0002': ['360', '200'], // 200 of them pledged
      'V-0003': ['340', '0'], // − 20 sold on the market (30 still listed, and still theirs)
      'V-0004': ['480', '0'], // + 100 bought, + 20 taken on the market
      'V-0005': ['360', '0'],
      'V-0006': ['360', '0'],
      'V-0007': ['340', '0'], // − 20 sold back to the farm
      'V-0008': ['360', '0'],
    });
    expect(now.lines.reduce((sum, l) => sum.plus(l.share), new Dec(0)).toFixed(10)).toBe('1.0000000000');
  });

  it('records the trade, the pledge and the buy-back as movements, one entry each', async () => {
    const movements = await db.dataSource.query<Array<Record<string, string | boolean | null>>>(
      `SELECT m.kind, f.code AS "from", t.code AS "to", m.units::text AS units, m.unit_price::text AS price, m.amount::text AS amount,
              to_char(m.effective_date, 'YYYY-MM-DD') AS date, m.document_reference AS ref, m.pledge_id IS NOT NULL AS pledge
         FROM ticket_movements m LEFT JOIN parties f ON f.id = m.from_party_id JOIN parties t ON t.id = m.to_party_id
        WHERE m.kind <> 'ISSUANCE' AND m.series_id = (SELECT id FROM ticket_series WHERE code = $1) ORDER BY m.id`,
      [DEMO_SERIES],
    );
    expect(movements).toEqual([
      { kind: 'TRADE', from: 'V-0001', to: 'V-0004', units: '100', price: '105.50', amount: '10550.00', date: '2025-06-02', ref: null, pledge: false },
      { kind: 'PLEDGE', from: 'V-0002', to: 'V-0002', units: '200', price: null, amount: null, date: '2025-07-10', ref: '工银阳城质字2025第017号', pledge: true },
      {
        kind: 'BUY_BACK',
        from: 'V-0007',
        to: DEMO_FARM,
        units: '20',
        price: '100.00',
        amount: '2000.00',
        date: '2025-09-15',
        ref: '大西沟村林票兑现申请2025第003号',
        pledge: false,
      },
      // 挂牌/摘牌 on the day the demo loads: 50 listed, 20 taken at the listed price.
      { kind: 'LISTING', from: 'V-0003', to: 'V-0003', units: '50', price: null, amount: null, date: businessToday(), ref: null, pledge: false },
      {
        kind: 'MARKET_TRADE',
        from: 'V-0003',
        to: 'V-0004',
        units: '20',
        price: '106.00',
        amount: '2120.00',
        date: businessToday(),
        ref: `listing:${DEMO_IDS.listing}`,
        pledge: false,
      },
    ]);
    await expect(count(`SELECT count(*)::int AS n FROM ticket_movements WHERE kind = 'ISSUANCE'`)).resolves.toBe(14); // 10 of the 林票, 4 of the income-right scheme

    // Delivery versus payment: units and money in the trade's one entry.
    const assets = await db.dataSource.query<Array<{ asset_code: string }>>(
      `SELECT DISTINCT a.asset_code FROM ledger_postings p JOIN ledger_entries e ON e.id = p.entry_id JOIN ledger_accounts a ON a.id = p.account_id
        WHERE e.idempotency_key = 'ticket-trade:demo:trade-1' ORDER BY 1`,
    );
    expect(assets.map((a) => a.asset_code)).toEqual(['CNY', DEMO_TICKET_ASSET]);

    const pledges = await moduleRef.get(MovementsService).pledges(db.dataSource.manager, DEMO_SERIES);
    expect(pledges).toHaveLength(1);
    expect(pledges[0]).toMatchObject({ holder: 'V-0002', pledgee: DEMO_BANK, units: '200', contractReference: '工银阳城质字2025第017号', state: 'ACTIVE', closingEntryId: null });
    await expect(balanceOf(holderTickets('V-0002', DEMO_SERIES))).resolves.toBe('160');
    await expect(balanceOf(holderPledged('V-0002', DEMO_SERIES))).resolves.toBe('200');
  });

  it('leaves the wallets and the bank clearing account as the receipts, the trade, the buy-back and the pre-dividend make them', async () => {
    const wallets = await db.dataSource.query<Array<{ code: string; balance: string }>>(
      `SELECT code, (credits - debits)::text AS balance FROM ledger_accounts WHERE code LIKE 'party:%:wallet:CNY' AND credits <> debits ORDER BY code`,
    );
    expect(Object.fromEntries(wallets.map((w) => [w.code, new Dec(w.balance).toFixed(2)]))).toEqual({
      // The pre-dividend pays 5.00 on every unit held on its record date (9,123 units: 45,615.00).
      [walletOf(DEMO_FARM)]: '33100.00', // 10,000.00 received − 2,000.00 paid for the buy-back + 5,020 units × 5.00
      [walletOf(DEMO_COLLECTIVE)]: '6215.00', // 1,243 units
      [walletOf('V-0001')]: '11850.00', // 10,550.00 from the trade + 260 units
      [walletOf('V-0002')]: '1800.00', // 160 free + 200 pledged units: pledged units earn too
      [walletOf('V-0003')]: '3920.00', // 1,800.00 + 2,120.00 for 20 units sold on the market
      [walletOf('V-0004')]: '9630.00', // 20,000.00 deposited − 10,550.00 paid for the trade + 460 units × 5.00 − 2,120.00 on the market
      [walletOf('V-0005')]: '1800.00',
      [walletOf('V-0006')]: '1800.00',
      [walletOf('V-0007')]: '3700.00', // 2,000.00 from the buy-back + 340 units
      [walletOf('V-0008')]: '1800.00', // 360 units, like every villager
    });
    // Income in and the dividend out: the project's wallet holds the farm's cash contribution again, and the 2026 income awaiting its 公示.
    await expect(balanceOf(projectWallet(DEMO_PROJECT))).resolves.toBe('518246.00');
    await expect(balanceOf(BANK_CLEARING_ACCOUNT)).resolves.toBe('593861.00');
    await expect(balanceOf(PLATFORM_FEES_ACCOUNT)).resolves.toBe('0.00');
  });

  it('turns 公示 on for 芹池镇 and has the 2026 pre-dividend’s list up in 大西沟村, its approval waiting for the period', async () => {
    const disclosures = moduleRef.get(DisclosuresService);
    expect(await disclosures.days(DEMO_VILLAGE.code)).toEqual({ region: DEMO_VILLAGE.code, disclosureDays: null, effectiveDays: 7 });
    const board = await disclosures.publicVillage(DEMO_VILLAGE.code);
    expect(board.current).toHaveLength(1);
    expect(board.current[0]).toMatchObject({ kind: 'DIVIDEND', phase: 'IN_PERIOD', days: 7, totalUnits: '9123', totalAmount: '18246.00' });
    expect(board.current[0].lines.map((l) => l.name)).toContain('张**');
  });

  it('replays a demo command with its key instead of booking it twice', async () => {
    const movements = moduleRef.get(MovementsService);
    const [trade] = await db.dataSource.query<Array<{ id: string }>>(`SELECT id FROM ledger_entries WHERE idempotency_key = 'ticket-trade:demo:trade-1'`);
    const replay = await db.dataSource.transaction((em) =>
      movements.trade(em, DEMO_SERIES, { seller: 'V-0001', buyer: 'V-0004', units: '100', unitPrice: '105.50', effectiveDate: '2025-06-02' }, 'demo:trade-1'),
    );
    expect(replay.entryId).toBe(trade.id);
    await expect(balanceOf(holderTickets('V-0001', DEMO_SERIES))).resolves.toBe('260');
  });

  it('has the collective’s income-right scheme over parcel 007, issued to the three households (heads) and the collective', async () => {
    const scheme = await moduleRef.get(IncomeRightsService).get(DEMO_SCHEME);
    expect(scheme).toMatchObject({
      code: DEMO_SCHEME,
      state: 'ACTIVE',
      collective: { code: DEMO_COLLECTIVE },
      areaMu: '86.2000',
      rule: { basis: 'WEIGHTED', householdWeight: '0.4', personWeight: '0.6', retainedRatio: '0.2' },
      totalUnits: '10000',
      faceValue: '1.00',
      seriesCode: DEMO_SCHEME,
      walletBalance: '0.00',
    });
    expect(scheme.parcels.map((p) => [p.id, p.certificateNo])).toEqual([[DEMO_IDS.collectiveParcel, '晋(2025)阳城县不动产权第0009007号']]);
    const register = await moduleRef.get(SeriesService).register(DEMO_SCHEME);
    // 20 % kept (2,000); 8,000 split 40 % per household (1,066 each, 2 left over) and 60 % per person (600 each).
    expect(Object.fromEntries(register.lines.map((l) => [l.partyCode, l.units]))).toEqual({ [DEMO_COLLECTIVE]: '2002', 'V-0001': '2866', 'V-0004': '2266', 'V-0006': '2866' });
    // Issued without a 公示: 芹池镇 turns it on after (as for the 林票); the only list up is the 2026 pre-dividend's.
    await expect(count(`SELECT count(*)::int AS n FROM disclosures`)).resolves.toBe(1);
  });

  it('creates the rows DEMO_IDS names, with those ids, and uses exactly the ids DEMO_IDS.last says in each table', async () => {
    const [parcel] = await db.dataSource.query<Array<{ certificate_no: string; holder: string; projects: string[] }>>(
      `SELECT p.certificate_no, h.code AS holder, array(SELECT c.code FROM coop_project_parcels cp JOIN coop_projects c ON c.id = cp.project_id WHERE cp.parcel_id = p.id ORDER BY c.code) AS projects
         FROM parcels p JOIN parties h ON h.id = p.holder_party_id WHERE p.id = $1`,
      [DEMO_IDS.householdParcel],
    );
    expect(parcel).toEqual({ certificate_no: '晋(2025)阳城县不动产权第0009001号', holder: 'V-0001', projects: [DEMO_PROJECT] });
    const [own] = await db.dataSource.query<Array<{ holder: string }>>(`SELECT h.code AS holder FROM parcels p JOIN parties h ON h.id = p.holder_party_id WHERE p.id = $1`, [
      DEMO_IDS.collectiveParcel,
    ]);
    expect(own).toEqual({ holder: DEMO_COLLECTIVE });
    const pledges = await moduleRef.get(MovementsService).pledges(db.dataSource.manager, DEMO_SERIES);
    expect(pledges.find((p) => p.id === DEMO_IDS.pledge)).toMatchObject({ holder: 'V-0002', pledgee: DEMO_BANK, units: '200', state: 'ACTIVE' });
    // A row made after the demo gets the next value of its table's sequence: DEMO_IDS.last + 1.
    const last: Record<string, number> = {};
    for (const [key, table] of Object.entries(DEMO_ID_TABLES)) {
      const [{ n }] = await db.dataSource.query<Array<{ n: number }>>(`SELECT coalesce(pg_sequence_last_value(pg_get_serial_sequence($1, 'id')::regclass), 0)::int AS n`, [table]);
      last[key] = n;
    }
    expect(last).toEqual(DEMO_IDS.last);
  });

  it('leaves a balanced trial balance in every asset', async () => {
    const trial = await moduleRef.get(LedgerReportsService).trialBalance();
    expect(trial.assets.map((a) => a.asset)).toEqual(['CNY', `LP.${DEMO_SCHEME}`, DEMO_TICKET_ASSET, 'TCO2E']);
    for (const a of trial.assets) expect(a.balanced).toBe(true);
  });
});
