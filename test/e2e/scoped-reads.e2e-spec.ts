import { Role } from '@forest-ledger/access';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { businessToday, DisclosuresService, IncomeRightsService, TicketMarketService } from '@forest-ledger/forestry';
import { inTransaction, OutboxRelay } from '@forest-ledger/platform';
import ExcelJS from 'exceljs';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createCarbonProject, carbonService, issueCredits, list, order, retire } from '../factories/carbon.factory';
import { declareAndApprove, dividendServices, fundProject, staffUser } from '../factories/dividends.factory';
import { landUseServices, runDaily, pay } from '../factories/land-use.factory';
import { DAXIGOU } from '../factories/parcels.factory';
import { contributeInKind, createProject, deposit, key, lishuSeries, seedParties, seedTicketWorld, TicketWorld } from '../factories/tickets.factory';
import { binary } from '../setup/http-client';
import { pdfTextLayer } from '../setup/pdf-text';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * What a scoped reader sees (issue 14): every GET route of the OpenAPI document, its parameters filled
 * from a data set of several parties, called as a villager, a buyer and two farm operators; no answer
 * (JSON, CSV, text, PDF text layer, workbook cells) may carry another party's code, name, account or
 * an amount that is only that party's. A GET route open to a scoped role that this file cannot fill
 * fails the test, so a new route is covered as soon as it exists.
 */

const db = useTestDatabase();
let app: ApiApplication;
let ds: DataSource;
let world: TicketWorld;

const SERIES = 'LS-A';
const DRAFT_PROJECT = 'LS-DRAFT';
/** The collective's income-right scheme (集体林地收益权): one certificate per household, in its head's name. */
const SCHEME = 'SY-LSC';
const CARBON = 'CP-A';
const SECOND_FARM = 'F-SECOND';
const BUYERS = ['E-BUY1', 'E-BUY2'] as const;
const LESSEES: Record<string, string> = { [SECOND_FARM]: 'E-KANGYANG', 'F-GZLC': 'E-LXJJ' };
const NAMES: Record<string, string> = { 'V-0001': '张守仁', 'V-0002': '李秀英', 'V-0003': '王建国', 'V-0004': '赵桂兰' };

/** A party's tokens: its code (also inside every account code of it) and its name. */
interface PartyFacts {
  code: string;
  name: string;
  /** Amounts only this party has: its units, its dividend, what it paid, its share of a sale, its rent. */
  amounts: string[];
  /** The other side of the transactions these amounts measure (the seller of a purchase): they are its amounts too. */
  sharedWith: string[];
}

interface Caller {
  label: string;
  role: Role;
  party: string;
  token: string;
  /** Parties this caller deals with (the issuer of its units, the seller of its credits, its lessee …): their names may appear. */
  counterparties: string[];
}

const facts = new Map<string, PartyFacts>();
const callers: Caller[] = [];
/** Values to fill path parameters with, read from the data set after it is built. */
const data = {
  entryIds: [] as string[],
  accounts: [] as string[],
  /** Owner reference of every ledger account, to tell whose a posting is. */
  ownerOf: new Map<string, string | null>(),
  certificates: [] as Array<{ no: string; party: string; verification: string }>,
  declaration: '',
  listings: [] as string[],
  sales: [] as string[],
  retirements: [] as Array<{ no: string; party: string; verification: string }>,
  contracts: [] as string[],
  parcels: [] as string[],
  payoutBatch: '',
  /** 林票 market listings: the collective's (partly taken by E-BUY2), V-0002's and V-0001's. */
  ticketListings: [] as string[],
  /** The village's published list (公示) of the draft project's issuance. */
  disclosure: '',
};

async function fact(code: string, amounts: string[] = [], sharedWith: string[] = []): Promise<void> {
  const [row] = await ds.query<Array<{ name: string }>>(`SELECT name FROM parties WHERE code = $1`, [code]);
  facts.set(code, { code, name: row.name, amounts, sharedWith });
}

/** State parcels held by `farm` (what a land-use contract leases). */
async function stateParcels(farm: string, from: number, count: number): Promise<string[]> {
  const rows = await ds.query<Array<{ id: string }>>(
    `INSERT INTO parcels (certificate_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu, forest_type, main_species, rights_start, rights_end, certificate_state)
     SELECT '晋(2020)阳城县不动产权第8' || lpad(i::text, 6, '0') || '号', (SELECT id FROM parties WHERE code = $1), (SELECT id FROM regions WHERE code = $2),
            '国有林场第' || i || '林班', '3', lpad(i::text, 3, '0'), 500.0000, '公益林', '油松', '2000-01-01', '2069-12-31', 'ISSUED_TO_HOUSEHOLD'
       FROM generate_series($3::int, $3::int + $4::int - 1) AS i ORDER BY i RETURNING id`,
    [farm, DAXIGOU.code, from, count],
  );
  return rows.map((r) => r.id);
}

beforeAll(async () => {
  app = await createTestApp(db);
  ds = app.get(DataSource);
  const t = landUseServices(ds);
  const c = carbonService(t);
  const d = dividendServices(t);

  // The farm F-GZLC and its collective C-LSC with four villagers (V-0001 and V-0003 in H-001), a second farm, two buyers, two lessees.
  world = await seedTicketWorld(t, { villagers: 4, households: 2, parcels: 8, names: NAMES });
  await seedParties(t, [
    { code: SECOND_FARM, kind: 'STATE_FARM', name: '町店国有林场' },
    { code: BUYERS[0], kind: 'ENTERPRISE', name: '甲碳汇采购有限公司' },
    { code: BUYERS[1], kind: 'ENTERPRISE', name: '乙碳中和科技有限公司' },
    { code: LESSEES[SECOND_FARM], kind: 'ENTERPRISE', name: '芹池森林康养有限公司' },
    { code: LESSEES['F-GZLC'], kind: 'ENTERPRISE', name: '大西沟林下经济合作社' },
  ]);
  for (const b of BUYERS) await deposit(t, b, '50000.00');
  for (const v of ['V-0002', 'V-0004']) await deposit(t, v, '5000.00');

  // 林票: 900,000 units, the collective 270,000, each villager 157,500; two trades make every villager's holding its own.
  await lishuSeries(t, world, SERIES);
  await inTransaction(ds, (em) => t.movements.trade(em, SERIES, { seller: 'V-0001', buyer: 'V-0002', units: '1234', unitPrice: '1.00', effectiveDate: '2026-06-01' }, key()));
  await inTransaction(ds, (em) => t.movements.trade(em, SERIES, { seller: 'V-0003', buyer: 'V-0004', units: '2345', unitPrice: '1.00', effectiveDate: '2026-06-01' }, key()));
  // The collective's income-right scheme over a parcel of its own: 1,000 units, 500 per household (V-0001 and V-0002 head them).
  const [schemeParcel] = await ds.query<Array<{ id: string }>>(
    `INSERT INTO parcels (certificate_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu, forest_type, main_species, rights_start, rights_end, certificate_state)
     VALUES ('晋(2020)阳城县不动产权第9000001号', (SELECT id FROM parties WHERE code = $1), (SELECT id FROM regions WHERE code = $2), '梨树村集体山场', '9', '001', 300.0000, '商品林', '油松', '2000-01-01', '2069-12-31', 'ISSUED_TO_HOUSEHOLD')
     RETURNING id`,
    [world.collective, DAXIGOU.code],
  );
  data.parcels.push(schemeParcel.id);
  const schemes = app.get(IncomeRightsService);
  await inTransaction(ds, (em) =>
    schemes.create(em, {
      code: SCHEME,
      name: '梨树村集体林地收益权',
      collectiveCode: world.collective,
      parcelIds: [schemeParcel.id],
      areaMu: '300.0000',
      startDate: businessToday(),
      termYears: 30,
      censusDate: businessToday(),
      basis: 'PER_HOUSEHOLD',
      totalUnits: '1000',
      faceValue: '1.00',
    }),
  );
  await inTransaction(ds, (em) => schemes.issue(em, SCHEME, { seriesCode: SCHEME }, key()));
  // A second project of the farm, still a draft (its issuance can be previewed).
  await createProject(t, world, DRAFT_PROJECT);
  await contributeInKind(t, DRAFT_PROJECT, world.collective, '100000.00');
  // A dividend of 0.01 per unit.
  const maker = await staffUser(t, 'ADMIN');
  const checker = await staffUser(t, 'APPROVER');
  await fundProject(t, d, SERIES, '9000.00', '2026-06-15');
  const declaration = await declareAndApprove(t, d, maker, checker, { project: SERIES, amount: '9000.00', recordDate: '2026-07-01', paymentDate: '2026-07-01', memo: '分红' });
  const distributed = await d.dividends.distribute(declaration.id);
  if (distributed.state !== 'DISTRIBUTED') throw new Error(`dividend ended ${distributed.state}`);
  data.declaration = declaration.id;
  data.payoutBatch = await inTransaction(ds, async (em) => {
    await d.payouts.setBankCard(em, 'V-0002', { bankName: '阳城农商银行', cardNumber: '6222 0000 0000 0002 468' });
    return (await d.payouts.createBatch(em, maker, { scope: 'PROJECT', code: SERIES })).batch.id;
  });

  // Carbon credits of the farm: 30 % to the farm, 70 % per person of the collective; each buyer buys and retires some.
  await createCarbonProject(t, c, world, CARBON, {
    revenueRule: {
      shares: [
        { kind: 'PARTY', party: world.farm, ratio: '0.3' },
        { kind: 'PER_PERSON', collective: world.collective, ratio: '0.7' },
      ],
    },
  });
  const issuance = await issueCredits(t, c, CARBON, { quantity: '1000' });
  const listing = await list(t, c, CARBON, { seller: world.farm, unitPrice: '41.30', quantity: '500' });
  data.listings.push(listing.id);
  for (const [buyer, quantity, retired] of [
    [BUYERS[0], '13', '5'],
    [BUYERS[1], '29', '7'],
  ] as const) {
    data.sales.push((await order(t, c, listing.id, { buyer, quantity })).id);
    const r = await retire(t, c, CARBON, { holder: buyer, issuanceId: issuance.id, quantity: retired, beneficiaryName: `${buyer} 年会碳中和`, publishBeneficiary: false });
    data.retirements.push({ no: r.certificateNo, party: buyer, verification: r.verificationCode });
  }

  // 林票 market: the collective lists 500 units and E-BUY2 takes 40; V-0002 and V-0001 list some of theirs.
  const market = app.get(TicketMarketService);
  const lastDay = new Date(Date.parse(`${businessToday()}T00:00:00Z`) + 30 * 86_400_000).toISOString().slice(0, 10);
  for (const [seller, units, unitPrice] of [
    [world.collective, '500', '1.50'],
    ['V-0002', '77', '1.11'],
    ['V-0001', '33', '1.20'],
  ] as const) {
    data.ticketListings.push((await inTransaction(ds, (em) => market.createListing(em, SERIES, { seller, units, unitPrice, expiresOn: lastDay }, key()))).id);
  }
  await inTransaction(ds, (em) => market.take(em, data.ticketListings[0], { buyer: BUYERS[1], units: '40' }, key()));

  // 公示: the county turns disclosure on and the draft project's issuance is published to the village (masked names).
  const disclosures = app.get(DisclosuresService);
  await inTransaction(ds, (em) => disclosures.setDays(em, maker, '140522', 7));
  data.disclosure = (
    await inTransaction(ds, (em) => disclosures.publish(em, maker, { kind: 'TICKET_ISSUANCE', subject: DRAFT_PROJECT, seriesCode: DRAFT_PROJECT, faceValue: '1.00' }))
  ).id;

  // Each farm leases state land to its own lessee; the rent is raised and paid.
  const operator = { userId: maker.userId, role: 'ADMIN' as const };
  for (const [farm, rent, from] of [
    [SECOND_FARM, '12345.00', 1],
    [world.farm, '23456.00', 101],
  ] as const) {
    const code = `LU-${farm}`;
    const parcelIds = await stateParcels(farm, from, 1);
    data.parcels.push(...parcelIds);
    await inTransaction(ds, (em) =>
      t.landUse.create(em, operator, {
        code,
        lessorCode: farm,
        lesseeCode: LESSEES[farm],
        mode: 'LEASE',
        parcelIds,
        areaMu: '100.0000',
        permittedUses: ['FOREST_WELLNESS'],
        startDate: '2025-01-01',
        endDate: '2034-12-31',
        rent: { kind: 'FIXED', annualAmount: rent },
        billingFrequency: 'ANNUAL',
      }),
    );
    await inTransaction(ds, (em) => t.landUse.activate(em, code));
    data.contracts.push(code);
  }
  await runDaily(t, '2025-01-01');
  await pay(t, `LU-${SECOND_FARM}`, '12345.00', '2025-01-05');

  // What belongs only to each party.
  await fact('V-0001', ['156266', '1562.66']);
  await fact('V-0002', ['158734', '1587.34']);
  await fact('V-0003', ['155155', '1551.55']);
  await fact('V-0004', ['159845', '1598.45']);
  // What a buyer paid is also what the seller's sale earned.
  await fact(BUYERS[0], ['536.90'], [world.farm]);
  await fact(BUYERS[1], ['1197.70'], [world.farm]);
  await fact(world.farm, ['161.07', '359.31', '23456.00']);
  await fact(SECOND_FARM, ['12345.00']);
  await fact(LESSEES[SECOND_FARM]);
  await fact(LESSEES['F-GZLC']);
  await fact(world.collective);
  for (const household of world.households) await fact(household);

  const caller = async (label: string, role: Role, party: string, counterparties: string[]) =>
    callers.push({ label, role, party, counterparties, token: await tokenFor(app, role, party) });
  await caller('villager V-0001', 'VILLAGER', 'V-0001', [world.farm, world.collective, world.householdOf.get('V-0001')!]);
  await caller('buyer E-BUY1', 'BUYER', BUYERS[0], [world.farm]);
  await caller('farm operator F-GZLC', 'FARM_OPERATOR', world.farm, [world.collective, ...BUYERS, LESSEES['F-GZLC']]);
  await caller('farm operator F-SECOND', 'FARM_OPERATOR', SECOND_FARM, [LESSEES[SECOND_FARM]]);

  // Every event of the data set published into the feed, so that GET /v1/events answers with them (issue 17's scoped feed).
  await new OutboxRelay(ds).drain();
  data.entryIds = (await ds.query<Array<{ id: string }>>(`SELECT id::text FROM ledger_entries ORDER BY id`)).map((r) => r.id);
  const accounts = await ds.query<Array<{ code: string; owner_ref: string | null }>>(`SELECT code, owner_ref FROM ledger_accounts ORDER BY code`);
  data.ownerOf = new Map(accounts.map((a) => [a.code, a.owner_ref]));
  data.accounts = accounts.filter((a) => a.owner_ref?.startsWith('party:')).map((a) => a.code);
  data.certificates = await ds.query<Array<{ no: string; party: string; verification: string }>>(
    `SELECT h.certificate_no AS no, p.code AS party, h.verification_code AS verification FROM ticket_holdings h JOIN parties p ON p.id = h.party_id ORDER BY h.seq`,
  );
}, 120_000);
afterAll(() => app?.close());

/** Every account of the caller's party, and one of each other party (the others answer alike: a 404). */
function accountsFor(c: Caller): string[] {
  const others = new Map<string, string>();
  for (const a of data.accounts) {
    const owner = data.ownerOf.get(a)!;
    if (owner !== `party:${c.party}` && !others.has(owner)) others.set(owner, a);
  }
  return [...data.accounts.filter((a) => data.ownerOf.get(a) === `party:${c.party}`), ...others.values()];
}

/**
 * The URLs to call for each GET route (OpenAPI template), given the caller: the caller's own objects
 * and other parties'. A route missing here must answer 403 to every scoped caller (staff only, checked
 * with a placeholder for its parameters); any other missing route fails the test.
 */
const FILL: Record<string, (c: Caller) => string[]> = {
  '/health': () => ['/health'],
  '/health/live': () => ['/health/live'],
  '/health/ready': () => ['/health/ready'],
  '/v1/me': () => ['/v1/me'],
  '/v1/me/portal': () => ['/v1/me/portal'],
  '/v1/me/annual-statement': () => ['/v1/me/annual-statement?year=2026', '/v1/me/annual-statement?year=2025'],
  '/v1/parties': () => ['/v1/parties?limit=200'],
  '/v1/parties/{code}': () => [...facts.keys()].map((p) => `/v1/parties/${p}`),
  '/v1/parties/{code}/dividends': () => [...facts.keys()].map((p) => `/v1/parties/${p}/dividends`),
  '/v1/regions': () => ['/v1/regions'],
  '/v1/regions/{code}': () => [`/v1/regions/${DAXIGOU.code}`],
  '/v1/regions/{code}/parcel-summary': () => [`/v1/regions/${DAXIGOU.code}/parcel-summary`],
  '/v1/regions/{code}/parcel-summary.xlsx': () => [`/v1/regions/${DAXIGOU.code}/parcel-summary.xlsx`],
  '/v1/parcels': () => ['/v1/parcels?limit=200'],
  '/v1/parcels/{id}': () => [...world.parcelIds, ...data.parcels].map((id) => `/v1/parcels/${id}`),
  '/v1/parcels/{id}/claims': () => [...world.parcelIds, ...data.parcels].map((id) => `/v1/parcels/${id}/claims`),
  '/v1/events': () => ['/v1/events?limit=500'],
  '/v1/assets': () => ['/v1/assets'],
  '/v1/assets/{code}': () => ['/v1/assets/CNY', `/v1/assets/LP.${SERIES}`, '/v1/assets/TCO2E'],
  '/v1/accounts': () => ['/v1/accounts?limit=200'],
  '/v1/accounts/{code}': (c) => accountsFor(c).map((a) => `/v1/accounts/${a}`),
  '/v1/accounts/{code}/balance': (c) => accountsFor(c).map((a) => `/v1/accounts/${a}/balance?asOf=2026-12-31`),
  '/v1/accounts/{code}/statement': (c) => accountsFor(c).map((a) => `/v1/accounts/${a}/statement?from=2025-01-01&to=2026-12-31`),
  '/v1/entries': () => ['/v1/entries?limit=200'],
  '/v1/entries/{id}': () => data.entryIds.map((id) => `/v1/entries/${id}`),
  '/v1/projects': () => ['/v1/projects'],
  '/v1/projects/{code}': () => [`/v1/projects/${SERIES}`],
  '/v1/projects/{code}/cash-flows': () => [`/v1/projects/${SERIES}/cash-flows`],
  '/v1/projects/{code}/distributable': () => [`/v1/projects/${SERIES}/distributable`, `/v1/projects/${SERIES}/distributable?asOf=2026-06-30`],
  '/v1/projects/{code}/issuance-preview': () => [`/v1/projects/${DRAFT_PROJECT}/issuance-preview?seriesCode=${DRAFT_PROJECT}&faceValue=1.00`],
  '/v1/income-right-schemes': () => ['/v1/income-right-schemes'],
  '/v1/income-right-schemes/{code}': () => [`/v1/income-right-schemes/${SCHEME}`],
  '/v1/income-right-schemes/{code}/issuance-preview': () => [`/v1/income-right-schemes/${SCHEME}/issuance-preview?seriesCode=${SCHEME}`],
  '/v1/regions/{code}/income-right-progress': () => [`/v1/regions/${DAXIGOU.code}/income-right-progress`],
  '/v1/regions/{code}/income-right-progress.xlsx': () => [`/v1/regions/${DAXIGOU.code}/income-right-progress.xlsx`],
  '/v1/series': () => ['/v1/series'],
  '/v1/series/{code}': () => [`/v1/series/${SERIES}`, `/v1/series/${SCHEME}`],
  '/v1/series/{code}/register': () => [`/v1/series/${SERIES}/register`, `/v1/series/${SERIES}/register?valueAtLastPrice=true`],
  '/v1/ticket-listings': () => ['/v1/ticket-listings', `/v1/ticket-listings?series=${SERIES}&state=OPEN`],
  '/v1/ticket-listings/{id}': () => data.ticketListings.map((id) => `/v1/ticket-listings/${id}`),
  // Public: the village's board, with masked names and the draft issuance's units (nobody's own figures).
  '/v1/public/villages/{code}/disclosures': () => [`/v1/public/villages/${DAXIGOU.code}/disclosures`],
  '/v1/public/disclosures/{id}/notice.pdf': () => [`/v1/public/disclosures/${data.disclosure}/notice.pdf`],
  '/v1/public/series/{code}/prices': () => [`/v1/public/series/${SERIES}/prices`],
  '/v1/public/series/{code}/prices.csv': () => [`/v1/public/series/${SERIES}/prices.csv`],
  '/v1/series/{code}/register.xlsx': () => [`/v1/series/${SERIES}/register.xlsx`],
  '/v1/series/{code}/pledges': () => [`/v1/series/${SERIES}/pledges`],
  '/v1/certificates/{certificateNo}': () => data.certificates.map((h) => `/v1/certificates/${h.no}`),
  '/v1/certificates/{certificateNo}/pdf': () => data.certificates.map((h) => `/v1/certificates/${h.no}/pdf`),
  // Public: answers anyone holding the printed code, so each caller asks with its own certificates' codes.
  '/v1/public/certificates/{code}': (c) => data.certificates.filter((h) => h.party === c.party).map((h) => `/v1/public/certificates/${h.verification}`),
  '/v1/dividends/{id}': () => [`/v1/dividends/${data.declaration}`],
  '/v1/dividends/{id}/progress': () => [`/v1/dividends/${data.declaration}/progress`],
  '/v1/dividends/{id}/lines': () => [`/v1/dividends/${data.declaration}/lines?limit=500`],
  '/v1/payout-batches/{id}': () => [`/v1/payout-batches/${data.payoutBatch}`],
  '/v1/payout-batches/{id}/bank-file.csv': () => [`/v1/payout-batches/${data.payoutBatch}/bank-file.csv`],
  '/v1/payout-batches/{id}/bank-file.xlsx': () => [`/v1/payout-batches/${data.payoutBatch}/bank-file.xlsx`],
  '/v1/carbon/projects': () => ['/v1/carbon/projects'],
  '/v1/carbon/projects/{code}': () => [`/v1/carbon/projects/${CARBON}`],
  '/v1/carbon/projects/{code}/issuances': () => [`/v1/carbon/projects/${CARBON}/issuances`],
  '/v1/carbon/projects/{code}/serial-blocks': () => [`/v1/carbon/projects/${CARBON}/serial-blocks`],
  '/v1/carbon/projects/{code}/invariant': () => [`/v1/carbon/projects/${CARBON}/invariant`],
  '/v1/carbon/listings': () => ['/v1/carbon/listings'],
  '/v1/carbon/listings/{id}': () => data.listings.map((id) => `/v1/carbon/listings/${id}`),
  '/v1/carbon/sales/{id}': () => data.sales.map((id) => `/v1/carbon/sales/${id}`),
  '/v1/carbon/retirements/{certificateNo}': () => data.retirements.map((r) => `/v1/carbon/retirements/${r.no}`),
  '/v1/carbon/retirements/{certificateNo}/pdf': () => data.retirements.map((r) => `/v1/carbon/retirements/${r.no}/pdf`),
  '/v1/public/carbon-certificates/{certificateNo}': (c) =>
    data.retirements.filter((r) => r.party === c.party).map((r) => `/v1/public/carbon-certificates/${r.no}?code=${encodeURIComponent(r.verification)}`),
  '/v1/public/carbon-projects/{code}/registry': () => [`/v1/public/carbon-projects/${CARBON}/registry`],
  '/v1/public/carbon-projects/{code}/registry.csv': () => [`/v1/public/carbon-projects/${CARBON}/registry.csv`],
  '/v1/land-use-contracts': () => ['/v1/land-use-contracts'],
  '/v1/land-use-contracts/{code}': () => data.contracts.map((code) => `/v1/land-use-contracts/${code}`),
  '/v1/land-use-contracts/{code}/schedule': () => data.contracts.map((code) => `/v1/land-use-contracts/${code}/schedule`),
  '/v1/land-use-contracts/{code}/schedule.xlsx': () => data.contracts.map((code) => `/v1/land-use-contracts/${code}/schedule.xlsx`),
};

interface EntryBody {
  id: string;
  postings: Array<{ account: string }>;
}

interface Answer {
  status: number;
  type: string;
  text: string;
}

async function call(url: string, token: string): Promise<Answer> {
  const res = await request(app.getHttpServer()).get(url).set('Authorization', `Bearer ${token}`).buffer(true).parse(binary);
  const body = res.body as Buffer;
  const type = String(res.headers['content-type'] ?? '');
  return { status: res.status, type, text: await textOf(type, body) };
}

/** The text a person would read in an answer: JSON, CSV and HTML as they are, a PDF's text layer, a workbook's cells. */
async function textOf(type: string, body: Buffer): Promise<string> {
  if (type.includes('application/pdf')) return (await pdfTextLayer(body)).text;
  if (type.includes('spreadsheetml')) {
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(body as unknown as ExcelJS.Buffer);
    const cells: string[] = [];
    workbook.eachSheet((sheet) => sheet.eachRow((row) => row.eachCell((cell) => cells.push(String(cell.text)))));
    return cells.join('\n');
  }
  return body.toString('utf8');
}

/** Another party's facts this caller must never read: every party except its own and its counterparties. */
function forbiddenFor(c: Caller): Array<{ party: string; token: string }> {
  const out: Array<{ party: string; token: string }> = [];
  for (const f of facts.values()) {
    if (f.code === c.party) continue;
    // A counterparty's code and name may appear (who issued my units, who sold me credits); its own amounts never.
    if (!c.counterparties.includes(f.code)) out.push({ party: f.code, token: f.code }, { party: f.code, token: f.name });
    if (!f.sharedWith.includes(c.party)) for (const amount of f.amounts) out.push({ party: f.code, token: amount });
  }
  return out;
}

/** Whether `token` occurs in `text` as a whole: an amount not inside a longer number (thousands separators ignored), a code not inside a longer code. */
function occurs(text: string, token: string): boolean {
  const plain = text.replace(/(\d),(?=\d{3})/g, '$1');
  const escaped = token.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = /^\d/.test(token) ? `(?<![\\d.])${escaped}(?![\\d]|\\.\\d)` : `(?<![A-Za-z0-9-])${escaped}(?![A-Za-z0-9])`;
  return new RegExp(pattern).test(plain);
}

describe('an entry as a villager sees it', () => {
  it("shows their own posting of a dividend paid to every holder, and nothing that describes the others'", async () => {
    const villager = callers.find((c) => c.role === 'VILLAGER')!;
    const [{ id }] = await ds.query<Array<{ id: string }>>(`SELECT id::text FROM ledger_entries WHERE kind = 'DIVIDEND_DISTRIBUTION'`);
    const seen = await request(app.getHttpServer()).get(`/v1/entries/${id}`).set('Authorization', `Bearer ${villager.token}`).expect(200);
    expect(seen.body).toMatchObject({
      id,
      kind: 'DIVIDEND_DISTRIBUTION',
      idempotencyKey: null,
      memo: null,
      metadata: {},
      hash: null,
      othersHidden: true,
      postings: [{ account: 'party:V-0001:wallet:CNY', asset: 'CNY', side: 'CREDIT', amount: '1562.66' }],
    });
    const statement = await request(app.getHttpServer())
      .get('/v1/accounts/party:V-0001:wallet:CNY/statement?from=2026-07-01&to=2026-07-01')
      .set('Authorization', `Bearer ${villager.token}`)
      .expect(200);
    expect((statement.body as { lines: unknown[] }).lines).toEqual([expect.objectContaining({ entryId: id, memo: null, amount: '1562.66' })]);
  });
});

describe('scoped reads: every GET route of the OpenAPI document', () => {
  let getRoutes: string[] = [];
  const unfilled: string[] = [];

  beforeAll(async () => {
    const doc = (await request(app.getHttpServer()).get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    getRoutes = Object.entries(doc.paths)
      .filter(([, ops]) => 'get' in ops)
      .map(([path]) => path)
      .sort();
  });

  it('knows how to fill every GET route a scoped role may call (a new route needs a line in FILL)', async () => {
    expect(getRoutes.length).toBeGreaterThan(60);
    for (const route of getRoutes.filter((r) => !(r in FILL))) {
      const placeholder = route.replace(/\{[^}]+\}/g, 'x');
      const statuses = await Promise.all(callers.map(async (c) => (await call(placeholder, c.token)).status));
      if (statuses.some((s) => s !== 403)) unfilled.push(`${route} (answers ${statuses.join('/')} to ${callers.map((c) => c.label).join('/')})`);
    }
    // Listed, so that whoever adds a route sees which one needs a way to fill its parameters.
    expect(unfilled).toEqual([]);
  });

  it("never answers a scoped caller with another party's code, name, account or amount", async () => {
    const leaks: string[] = [];
    const answered = new Map<string, number>();
    const calls = getRoutes.filter((r) => r in FILL).flatMap((route) => callers.flatMap((c) => FILL[route](c).map((url) => ({ route, c, url }))));
    const check = async ({ route, c, url }: (typeof calls)[number]): Promise<void> => {
      const answer = await call(url, c.token);
      if (answer.status >= 500) leaks.push(`${c.label} GET ${url}: ${answer.status}`);
      if (answer.status === 200) answered.set(`${c.label} ${route}`, (answered.get(`${c.label} ${route}`) ?? 0) + 1);
      // A refusal may repeat what the caller asked for (an unknown code is named back): that tells it nothing.
      const found = forbiddenFor(c).filter((f) => occurs(answer.text, f.token) && !(answer.status >= 400 && occurs(decodeURIComponent(url), f.token)));
      if (found.length) leaks.push(`${c.label} GET ${url} (${answer.status}): ${found.map((f) => `${f.token} of ${f.party}`).join(', ')}`);
      // Every posting an entry read shows a scoped caller is on one of its own accounts.
      if (answer.status === 200 && route.startsWith('/v1/entries')) {
        const body = JSON.parse(answer.text) as { items?: EntryBody[] } & EntryBody;
        const foreign = (body.items ?? [body]).flatMap((e) => e.postings.filter((p) => data.ownerOf.get(p.account) !== `party:${c.party}`).map((p) => `${e.id}:${p.account}`));
        if (foreign.length) leaks.push(`${c.label} GET ${url}: postings of ${foreign.join(', ')}`);
      }
    };
    // A few requests at a time: the routes are independent reads.
    for (let i = 0; i < calls.length; i += 8) await Promise.all(calls.slice(i, i + 8).map(check));
    expect(leaks.sort()).toEqual([]);
    // The data set reaches the routes: each caller reads its own entries, accounts and statements.
    for (const c of callers)
      for (const route of ['/v1/entries/{id}', '/v1/accounts/{code}/statement', '/v1/parties/{code}'])
        expect([c.label, route, (answered.get(`${c.label} ${route}`) ?? 0) > 0]).toEqual([c.label, route, true]);
    // The event feed was read with events in it: the buyer's and the first farm's own (issue 17).
    for (const c of callers.filter((x) => x.label === 'buyer E-BUY1' || x.label === 'farm operator F-GZLC'))
      expect([c.label, (JSON.parse((await call('/v1/events?limit=500', c.token)).text) as { items: unknown[] }).items.length > 0]).toEqual([c.label, true]);
  }, 120_000);
});
