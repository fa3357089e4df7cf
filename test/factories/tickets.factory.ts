import { BANK_CLEARING_ACCOUNT, CertificatesService, MovementsService, ParcelsService, PiiCipher, ProjectsService, SeriesService, walletOf } from '@forest-ledger/forestry';
import { LedgerService } from '@forest-ledger/ledger';
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
  const env = { ...loadEnv({}), ...overrides } as Env;
  const pii = new PiiCipher(env.PII_ENCRYPTION_KEY, env.PII_HMAC_KEY);
  const ledger = new LedgerService(ds);
  const parcels = new ParcelsService(ds, pii);
  const projects = new ProjectsService(ds, ledger, parcels, env);
  const series = new SeriesService(ds, ledger, projects);
  return { ds, env, ledger, parcels, projects, series, movements: new MovementsService(ledger, series), certificates: new CertificatesService(ds, series, env) };
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
}

/**
 * Seeds regions (阳城县 / 芹池镇 / 大西沟村 …), the parties with their CNY wallets (straight in SQL and
 * the ledger's bulk open, for speed), and attachable parcels held by the households.
 */
export async function seedTicketWorld(t: TicketServices, options: WorldOptions = {}): Promise<TicketWorld> {
  const villagerCount = options.villagers ?? 10;
  const householdCount = options.households ?? 4;
  const parcelCount = options.parcels ?? 3;
  const area = options.parcelAreaMu ?? '700.0000';
  const farm = options.farm ?? 'F-GZLC';
  const collective = options.collective ?? 'C-LSC';
  const bank = 'K-BANK';
  const outsider = 'E-OUTSIDE';
  const households = Array.from({ length: householdCount }, (_, i) => `H-${String(i + 1).padStart(3, '0')}`);
  const villagers = Array.from({ length: villagerCount }, (_, i) => `V-${String(i + 1).padStart(4, '0')}`);
  const householdOf = new Map(villagers.map((v, i) => [v, households[i % householdCount]]));

  return inTransaction(t.ds, async (em) => {
    const [{ n }] = (await em.query(`SELECT count(*)::int AS n FROM regions`)) as Array<{ n: number }>;
    if (n === 0) await seedRegions(em);
    const village = `(SELECT id FROM regions WHERE code = '${DAXIGOU.code}')`;
    await em.query(
      `INSERT INTO parties (code, kind, name, region_id) VALUES ($1, 'STATE_FARM', '官庄国有林场', ${village}), ($2, 'COLLECTIVE', '梨树村股份经济合作社', ${village}),
              ($3, 'BANK', '农村商业银行芹池支行', ${village}), ($4, 'ENTERPRISE', '外地木业有限公司', NULL)`,
      [farm, collective, bank, outsider],
    );
    await em.query(
      `INSERT INTO parties (code, kind, name, region_id, collective_id)
       SELECT h, 'HOUSEHOLD', h || '户', ${village}, (SELECT id FROM parties WHERE code = $2) FROM unnest($1::text[]) AS h`,
      [households, collective],
    );
    await em.query(
      `INSERT INTO parties (code, kind, name, region_id, household_id, collective_id)
       SELECT v.code, 'VILLAGER', v.name, ${village}, h.id, h.collective_id FROM unnest($1::text[], $2::text[], $3::text[]) AS v(code, name, household) JOIN parties h ON h.code = v.household`,
      [villagers, villagers.map((_, i) => `村民${'甲乙丙丁戊己庚辛壬癸'[i % 10]}${i + 1}`), villagers.map((v) => householdOf.get(v)!)],
    );
    await t.ledger.ensureAsset(em, { code: 'CNY', scale: 2, description: '人民币 (分)' });
    await t.ledger.ensureAccount(em, { code: BANK_CLEARING_ACCOUNT, asset: 'CNY', type: 'ASSET', ownerRef: 'platform', metadata: { name: '平台银行清算户' } });
    const all = [farm, collective, bank, outsider, ...households, ...villagers];
    await t.ledger.openAccounts(
      em,
      all.map((p) => ({ code: walletOf(p), asset: 'CNY', type: 'LIABILITY' as const, ownerRef: `party:${p}`, noOverdraft: true })),
    );
    const parcels = (await em.query(
      `INSERT INTO parcels (certificate_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu, forest_type, main_species, rights_start, rights_end, certificate_state)
       SELECT '晋(2019)阳城县不动产权第' || lpad(i::text, 7, '0') || '号', (SELECT id FROM parties WHERE code = $1), ${village}, '梨树村后山' || i || '号地块', '12', lpad(i::text, 3, '0'),
              $2::numeric, '商品林', '油松', '2019-01-01', '2068-12-31', 'ISSUED_TO_HOUSEHOLD'
         FROM generate_series(1, $3::int) AS i RETURNING id`,
      [households[0], area, parcelCount],
    )) as Array<{ id: string }>;
    const total = (Number(area.replace('.', '')) * parcelCount).toString();
    return {
      farm,
      collective,
      bank,
      outsider,
      villagers,
      householdOf,
      households,
      parcelIds: parcels.map((p) => p.id),
      parcelsAreaMu: `${total.slice(0, -4) || '0'}.${total.slice(-4).padStart(4, '0')}`,
    };
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
