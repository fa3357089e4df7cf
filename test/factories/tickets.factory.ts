import { DomainError } from '@forest-ledger/common';
import {
  BANK_CLEARING_ACCOUNT,
  CertificatesService,
  ContributionInput,
  ContributionOutcome,
  CreateProjectInput,
  holderPledged,
  holderTickets,
  IssuanceOutcome,
  IssueInput,
  MovementsService,
  ParcelsService,
  PiiCipher,
  ProjectsService,
  ProjectView,
  SeriesService,
  TransferRestriction,
  walletOf,
} from '@forest-ledger/forestry';
import { Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { Env, inTransaction, loadEnv } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import { DataSource, EntityManager } from 'typeorm';
import { DAXIGOU, seedRegions } from './parcels.factory';

/** The services of projects and 林票, built by hand on a test database (no Nest container). */
export interface TicketServices {
  ds: DataSource;
  env: Env;
  ledger: LedgerService;
  parcels: ParcelsService;
  projects: ProjectsService;
  series: SeriesService;
  movements: MovementsService;
  certificates: CertificatesService;
}

export function ticketServices(ds: DataSource, overrides: Partial<Env> = {}): TicketServices {
  const env = { ...loadEnv({}), ...overrides };
  const pii = new PiiCipher(env.PII_ENCRYPTION_KEY, env.PII_HMAC_KEY);
  const ledger = new LedgerService(ds);
  const parcels = new ParcelsService(ds, pii);
  const reads = new LedgerReads();
  const projects = new ProjectsService(ds, ledger, parcels, env, reads);
  const series = new SeriesService(ds, ledger, projects, reads);
  return {
    ds,
    env,
    ledger,
    parcels,
    projects,
    series,
    movements: new MovementsService(ledger, series, reads),
    certificates: new CertificatesService(ds, series, env, projects, reads),
  };
}

/** The parties of a cooperation: a state farm, a village collective with households and villagers, a bank, an outside buyer. */
export interface TicketWorld {
  farm: string;
  collective: string;
  bank: string;
  outsider: string;
  /** Villager codes, V-0001 … in order. */
  villagers: string[];
  /** Household code of each villager. */
  householdOf: Map<string, string>;
  households: string[];
  /** The head (户主, metadata relation) of each household with members: its first villager (V-0001 heads H-001 …). */
  headOf: Map<string, string>;
  /** Parcel ids of the collective's village, attachable to a project. */
  parcelIds: string[];
  /** Their total area, 亩. */
  parcelsAreaMu: string;
}

export interface WorldOptions {
  /** Villagers, spread over `households` households (round-robin: V-0001 in H-001, V-0002 in H-002 …). */
  villagers?: number;
  households?: number;
  parcels?: number;
  /** Area of each parcel, 亩 (4 decimals). */
  parcelAreaMu?: string;
  farm?: string;
  collective?: string;
  /** Prefix of the household and villager codes (e.g. 'B-' → B-H-001, B-V-0001), for a further collective in the same database. */
  prefix?: string;
  /** Villager names by code (default 村民甲1, 村民乙2 …), e.g. { 'V-0001': '张守仁' }. */
  names?: Readonly<Record<string, string>>;
}

/**
 * Seeds regions (阳城县 / 芹池镇 / 大西沟村 …), the parties with their CNY wallets (straight in SQL and
 * the ledger's bulk open, for speed), and attachable parcels held by the households. Called again with
 * another `collective` and `prefix`, it adds a further collective with its own households, villagers
 * and parcels; the farm, the bank and the outsider are shared (created once).
 */
export async function seedTicketWorld(t: TicketServices, options: WorldOptions = {}): Promise<TicketWorld> {
  const villagerCount = options.villagers ?? 10;
  const householdCount = options.households ?? 4;
  const parcelCount = options.parcels ?? 3;
  const area = options.parcelAreaMu ?? '700.0000';
  const farm = options.farm ?? 'F-GZLC';
  const collective = options.collective ?? 'C-LSC';
  const prefix = options.prefix ?? '';
  const bank = 'K-BANK';
  const outsider = 'E-OUTSIDE';
  const households = Array.from({ length: householdCount }, (_, i) => `${prefix}H-${String(i + 1).padStart(3, '0')}`);
  const villagers = Array.from({ length: villagerCount }, (_, i) => `${prefix}V-${String(i + 1).padStart(4, '0')}`);
  const householdOf = new Map(villagers.map((v, i) => [v, households[i % householdCount]]));
  const headOf = new Map(villagers.slice(0, householdCount).map((v, i) => [households[i], v]));
  const names = options.names ?? {};

  return inTransaction(t.ds, async (em) => {
    const [{ n }] = await em.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM regions`);
    if (n === 0) await seedRegions(em);
    const village = `(SELECT id FROM regions WHERE code = '${DAXIGOU.code}')`;
    const created = await em.query<Array<{ code: string }>>(
      `INSERT INTO parties (code, kind, name, region_id)
       SELECT * FROM (VALUES ($1, 'STATE_FARM', '官庄国有林场', ${village}), ($2, 'COLLECTIVE', '梨树村股份经济合作社', ${village}),
                             ($3, 'BANK', '农村商业银行芹池支行', ${village}), ($4, 'ENTERPRISE', '外地木业有限公司', NULL::bigint)) AS v(code, kind, name, region_id)
       ON CONFLICT (code) DO NOTHING RETURNING code`,
      [farm, collective, bank, outsider],
    );
    if (!created.some((c) => c.code === collective)) throw new Error(`collective ${collective} exists already: give another code (and a prefix) for a further collective`);
    await em.query(
      `INSERT INTO parties (code, kind, name, region_id, collective_id)
       SELECT h, 'HOUSEHOLD', h || '户', ${village}, (SELECT id FROM parties WHERE code = $2) FROM unnest($1::text[]) AS h`,
      [households, collective],
    );
    await em.query(
      `INSERT INTO parties (code, kind, name, region_id, household_id, collective_id, metadata)
       SELECT v.code, 'VILLAGER', v.name, ${village}, h.id, h.collective_id, jsonb_build_object('relation', v.relation)
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS v(code, name, household, relation) JOIN parties h ON h.code = v.household`,
      [
        villagers,
        villagers.map((v, i) => names[v] ?? `村民${'甲乙丙丁戊己庚辛壬癸'[i % 10]}${i + 1}`),
        villagers.map((v) => householdOf.get(v)!),
        villagers.map((v) => (headOf.get(householdOf.get(v)!) === v ? '户主' : '家庭成员')),
      ],
    );
    await t.ledger.ensureAsset(em, { code: 'CNY', scale: 2, description: '人民币 (分)' });
    await t.ledger.ensureAccount(em, { code: BANK_CLEARING_ACCOUNT, asset: 'CNY', type: 'ASSET', ownerRef: 'platform', metadata: { name: '平台银行清算户' } });
    const all = [...created.map((c) => c.code), ...households, ...villagers];
    await t.ledger.openAccounts(
      em,
      all.map((p) => ({ code: walletOf(p), asset: 'CNY', type: 'LIABILITY' as const, ownerRef: `party:${p}`, noOverdraft: true })),
    );
    const [{ taken }] = await em.query<Array<{ taken: number }>>(`SELECT count(*)::int AS taken FROM parcels`);
    const parcels = await em.query<Array<{ id: string }>>(
      `INSERT INTO parcels (certificate_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu, forest_type, main_species, rights_start, rights_end, certificate_state)
       SELECT '晋(2019)阳城县不动产权第' || lpad(i::text, 7, '0') || '号', (SELECT id FROM parties WHERE code = $1), ${village}, '梨树村后山' || i || '号地块', '12', lpad(i::text, 3, '0'),
              $2::numeric, '商品林', '油松', '2019-01-01', '2068-12-31', 'ISSUED_TO_HOUSEHOLD'
         FROM generate_series($4::int + 1, $4::int + $3::int) AS i ORDER BY i RETURNING id`,
      [households[0], area, parcelCount, taken],
    );
    return {
      farm,
      collective,
      bank,
      outsider,
      villagers,
      householdOf,
      households,
      headOf,
      parcelIds: parcels.map((p) => p.id),
      parcelsAreaMu: new Dec(area).times(parcelCount).toFixed(4),
    };
  });
}

export interface ExtraParty {
  code: string;
  kind: 'ENTERPRISE' | 'INDIVIDUAL_BUYER' | 'BANK' | 'STATE_FARM';
  name: string;
}

/** Further parties (buyers, a second bank …) with their CNY wallets. */
export async function seedParties(t: TicketServices, parties: readonly ExtraParty[]): Promise<void> {
  await inTransaction(t.ds, async (em) => {
    await em.query(`INSERT INTO parties (code, kind, name) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`, [
      parties.map((p) => p.code),
      parties.map((p) => p.kind),
      parties.map((p) => p.name),
    ]);
    await t.ledger.openAccounts(
      em,
      parties.map((p) => ({ code: walletOf(p.code), asset: 'CNY', type: 'LIABILITY' as const, ownerRef: `party:${p.code}`, noOverdraft: true })),
    );
  });
}

/** A party deactivated as the approved deactivation does it (e.g. a deceased villager): inactive, its wallet frozen. */
export async function deactivate(t: TicketServices, party: string): Promise<void> {
  await inTransaction(t.ds, async (em) => {
    await em.query(`UPDATE parties SET active = false, deactivated_at = now() WHERE code = $1`, [party]);
    await t.ledger.setFrozen(em, walletOf(party), true);
  });
}

/** Money into a party's wallet from the bank clearing account (a bank receipt). */
export async function deposit(t: TicketServices, party: string, amount: string, em?: EntityManager): Promise<void> {
  const work = (m: EntityManager) =>
    t.ledger.post(m, {
      idempotencyKey: `test-deposit:${randomUUID()}`,
      kind: 'BANK_RECEIPT',
      effectiveDate: '2025-01-02',
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
        { account: walletOf(party), side: 'CREDIT', amount },
      ],
    });
  if (em) await work(em);
  else await inTransaction(t.ds, work);
}

export const key = (): string => randomUUID();

// ------------------------------------------------------------------ projects and series

const nextParcelOf = new WeakMap<TicketWorld, number>();

/** The next of the world's parcels not yet given to a project by this factory. */
export function takeParcels(world: TicketWorld, count = 1): string[] {
  const next = nextParcelOf.get(world) ?? 0;
  if (next + count > world.parcelIds.length) throw new Error(`the world has ${world.parcelIds.length} parcels; seed more (options.parcels)`);
  nextParcelOf.set(world, next + count);
  return world.parcelIds.slice(next, next + count);
}

export interface ProjectOptions extends Partial<Omit<CreateProjectInput, 'code'>> {
  /** How many fresh parcels of the world to attach (ignored when parcelIds are given); default 1. */
  parcels?: number;
}

/** A draft project of the world's farm and collective on fresh parcels: started 2025-01-01, 10 years, 8 % fee, 30 % retained, per person. */
export async function createProject(t: TicketServices, world: TicketWorld, code: string, options: ProjectOptions = {}): Promise<ProjectView> {
  const { parcels, ...overrides } = options;
  const parcelIds = overrides.parcelIds ?? takeParcels(world, parcels ?? 1);
  return inTransaction(t.ds, (em) =>
    t.projects.create(em, {
      code,
      name: `梨树村合作经营项目 ${code}`,
      farmCode: world.farm,
      collectiveCode: world.collective,
      projectType: 'EXISTING_FOREST',
      areaMu: '100.0000',
      startDate: '2025-01-01',
      termYears: 10,
      managementFeeRate: '0.08',
      ...overrides,
      parcelIds,
    }),
  );
}

/** A contribution in its own transaction. */
export function contribute(t: TicketServices, project: string, input: ContributionInput, k: string = key()): Promise<ContributionOutcome> {
  return inTransaction(t.ds, (em) => t.projects.addContribution(em, project, input, k));
}

/** The collective's land and trees in kind (折资), valued by an appraisal report. */
export function contributeInKind(t: TicketServices, project: string, party: string, amount: string, k: string = key()): Promise<ContributionOutcome> {
  return contribute(t, project, { partyCode: party, kind: 'IN_KIND_LAND', amount, valuationDocument: `评估报告 ${project}-${party}`, effectiveDate: '2025-01-01' }, k);
}

/** Cash paid in by the farm (bank receipt). */
export function contributeCash(t: TicketServices, project: string, party: string, amount: string, k: string = key()): Promise<ContributionOutcome> {
  return contribute(t, project, { partyCode: party, kind: 'CASH', paid: true, amount, bankReference: `BANK-${project}-${amount}`, effectiveDate: '2025-01-01' }, k);
}

/** Issues the project's series in its own transaction: face value 1.00, OPEN, issued on 2025-03-01 unless given. */
export function issueSeries(t: TicketServices, project: string, input: Partial<IssueInput> & { seriesCode: string }, k: string = key()): Promise<IssuanceOutcome> {
  return inTransaction(t.ds, (em) => t.series.issue(em, project, { faceValue: '1.00', transferRestriction: 'OPEN', issuedOn: '2025-03-01', ...input }, k));
}

export interface LishuOptions extends ProjectOptions {
  /** Collective's in-kind contribution, CNY; default 900,000.00 (梨树村). */
  collectiveInKind?: string;
  /** The farm's cash contribution, CNY, if any. */
  farmCash?: string;
  restriction?: TransferRestriction;
  faceValue?: string;
}

/**
 * The 梨树村 × 官庄国有林场 case (DOMAIN §3): the collective contributes 900,000 CNY in kind, face value
 * 1.00 → 900,000 units, 30 % retained and 70 % to the members. Project code = series code.
 */
export async function lishuSeries(t: TicketServices, world: TicketWorld, code: string, options: LishuOptions = {}): Promise<IssuanceOutcome> {
  const { collectiveInKind, farmCash, restriction, faceValue, ...projectOptions } = options;
  await createProject(t, world, code, { areaMu: '2000.0000', parcels: 3, collectiveRetainedRatio: '0.30', ...projectOptions });
  if (farmCash !== undefined) await contributeCash(t, code, world.farm, farmCash);
  await contributeInKind(t, code, world.collective, collectiveInKind ?? '900000.00');
  return issueSeries(t, code, { seriesCode: code, faceValue: faceValue ?? '1.00', transferRestriction: restriction ?? 'OPEN' });
}

/** Balance of a ledger account now (0 when it does not exist). */
export async function balance(t: TicketServices, account: string, em: EntityManager = t.ds.manager): Promise<string> {
  const [row] = await em.query<
    Array<{
      balance: string;
    }>
  >(`SELECT (CASE normal_side WHEN 'DEBIT' THEN debits - credits ELSE credits - debits END)::text AS balance FROM ledger_accounts WHERE code = $1`, [account]);
  return row === undefined ? '0' : new Dec(row.balance).toString();
}

/** Free units of a holder now. */
export const unitsOf = (t: TicketServices, party: string, series: string): Promise<string> => balance(t, holderTickets(party, series));
/** Pledged units of a holder now. */
export const pledgedOf = (t: TicketServices, party: string, series: string): Promise<string> => balance(t, holderPledged(party, series));

/** The domain error a promise is refused with (fails the test when it resolves or throws something else). */
export async function refusal(promise: Promise<unknown>): Promise<DomainError> {
  const outcome = await promise.then(
    () => new Error('expected a refusal, but the command succeeded'),
    (error: unknown) => error,
  );
  if (!(outcome instanceof DomainError)) throw outcome;
  return outcome;
}

/** Rows and entries written for a series, to prove a refused command wrote nothing. */
export async function footprint(t: TicketServices, series: string): Promise<{ entries: number; movements: number; holdings: number; lastSeq: number; pledges: number }> {
  const [row] = await t.ds.query<Array<{ entries: number; movements: number; holdings: number; lastSeq: number; pledges: number }>>(
    `SELECT (SELECT count(*)::int FROM ledger_entries WHERE metadata ->> 'series' = s.code) AS entries,
            (SELECT count(*)::int FROM ticket_movements WHERE series_id = s.id) AS movements,
            (SELECT count(*)::int FROM ticket_holdings WHERE series_id = s.id) AS holdings,
            s.last_certificate_seq AS "lastSeq",
            (SELECT count(*)::int FROM ticket_pledges WHERE series_id = s.id) AS pledges
       FROM ticket_series s WHERE s.code = $1`,
    [series],
  );
  return row;
}

/** Certificate sequence numbers of the series' holdings, in order. */
export async function certificateSeqs(t: TicketServices, series: string): Promise<number[]> {
  const rows = await t.ds.query<
    Array<{
      seq: number;
    }>
  >(`SELECT h.seq FROM ticket_holdings h JOIN ticket_series s ON s.id = h.series_id WHERE s.code = $1 ORDER BY h.seq`, [series]);
  return rows.map((r) => r.seq);
}

/** 1..n */
export const oneTo = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);
