import type { ApiApplication } from '../../apps/api/src/app.setup';
import { QR_SIDE, qrMatrix, carbonBuffer, carbonIssued, carbonRetired, carbonRevenue, holderCredits, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { deposit, seedParties, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { contractOf } from '../setup/contract';
import { apiClient, binary, ledgerBalances } from '../setup/http-client';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';
import { pdfLinkUris, qrModulesInPdf } from '../setup/pdf-qr';

/**
 * Forestry carbon credits over HTTP: a project created by its farm's operator and registered, a
 * vintage issued with its buffer, a listing, orders that pay, deliver and share the revenue in one
 * entry (with replay), refusals that move nothing, a retirement with its PDF certificate, the
 * public verification and registry, and who may do what.
 */

const db = useTestDatabase();
let app: ApiApplication;
let t: TicketServices;
let world: TicketWorld;
const token: Record<string, string> = {};

const PROJECT = 'JL-CK';
const OTHER_FARM = 'F-OTHER';
const COMPANY = 'E-CO';
const CONFERENCE = 'E-CONF';
const POOR = 'E-POOR';

interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
}
interface IssuanceBody {
  id: string;
  vintage: string;
  quantity: string;
  bufferQuantity: string;
  serialBlock: string;
  serials: { start: string; end: string };
  entryId: string;
}
interface ListingBody {
  id: string;
  seller: string;
  unitPrice: string;
  quantityListed: string;
  quantityAvailable: string;
  state: string;
}
interface SaleBody {
  id: string;
  buyer: string;
  quantity: string;
  grossAmount: string;
  ruleVersion: number | null;
  serialBlocks: string[];
  serialRanges: Array<{ start: string; end: string }>;
  shares: Array<{ share: number; party: string; amount: string }>;
  entryIds: string[];
}
interface RetirementBody {
  id: string;
  certificateNo: string;
  quantity: string;
  serialBlocks: string[];
  retiringParty: string;
  eventEmissions: string | null;
  contentHash: string;
  verificationCode: string;
  entryId: string;
}

const { http, post, get } = apiClient(
  () => app,
  (role) => token[role],
  // Every answer is checked against the OpenAPI document (issue 20, item 10).
  contractOf(() => app),
);

/** Balances now of ledger accounts (by code; "0" when the account does not exist). */
async function balances(...codes: string[]): Promise<Record<string, string>> {
  const found = await ledgerBalances(t.ds, codes);
  return Object.fromEntries(codes.map((c) => [c, found[c].toString()]));
}

/** What any carbon command could write: a refused one must leave all of it unchanged. */
async function footprint(): Promise<Record<string, unknown>> {
  const [row] = await t.ds.query<Array<Record<string, unknown>>>(
    `SELECT (SELECT count(*)::int FROM ledger_entries) AS entries, (SELECT count(*)::int FROM ledger_accounts) AS accounts,
            (SELECT count(*)::int FROM carbon_sales) AS sales, (SELECT count(*)::int FROM carbon_retirements) AS retirements,
            (SELECT count(*)::int FROM carbon_listings) AS listings, (SELECT COALESCE(sum(quantity_available), 0)::text FROM carbon_listings) AS available,
            (SELECT string_agg(serial_start || '-' || serial_end || ':' || status || ':' || COALESCE(owner_party_id::text, ''), ',' ORDER BY serial_start) FROM carbon_serial_blocks) AS blocks,
            (SELECT string_agg(code || '=' || (debits - credits)::text, ',' ORDER BY code) FROM ledger_accounts) AS balances`,
  );
  return row;
}

beforeAll(async () => {
  app = await createTestApp(db);
  t = ticketServices(app.get(DataSource));
  // F-GZLC (farm), C-LSC (collective), villagers V-0001…V-0006 in households H-001…H-003, three parcels.
  world = await seedTicketWorld(t, { villagers: 6, households: 3, parcels: 3 });
  await t.ds.query(`INSERT INTO parties (code, kind, name) VALUES ($1, 'STATE_FARM', '另一国有林场')`, [OTHER_FARM]);
  await seedParties(t, [
    { code: COMPANY, kind: 'ENTERPRISE', name: '某科技有限公司' },
    { code: CONFERENCE, kind: 'ENTERPRISE', name: '某国际会议组委会' },
    { code: POOR, kind: 'ENTERPRISE', name: '资金不足公司' },
  ]);
  await deposit(t, COMPANY, '50000.00');
  await deposit(t, CONFERENCE, '10000.00');
  await deposit(t, POOR, '10.00');
  token.ADMIN = await tokenFor(app, 'ADMIN');
  token.AUDITOR = await tokenFor(app, 'AUDITOR');
  token.FARM_OPERATOR = await tokenFor(app, 'FARM_OPERATOR', world.farm);
  token.OTHER_FARM_OPERATOR = await tokenFor(app, 'FARM_OPERATOR', OTHER_FARM);
  token.BUYER = await tokenFor(app, 'BUYER', COMPANY);
  token.CONFERENCE = await tokenFor(app, 'BUYER', CONFERENCE);
  token.POOR = await tokenFor(app, 'BUYER', POOR);
});
afterAll(() => app?.close());

describe('a forestry carbon project over HTTP, from creation to the public registry', () => {
  let issuance: IssuanceBody;
  let listing: ListingBody;
  let retirement: RetirementBody;

  it('a FARM_OPERATOR creates a project it owns (not for another owner: 403 naming ownerCode); ADMIN registers it', async () => {
    const body = {
      code: PROJECT,
      name: '将乐县常口村林业碳汇项目',
      ownerCode: world.farm,
      standard: 'FFCER',
      externalId: 'FJ-FFCER-2021-001',
      methodology: 'FFCER-CM-001 森林经营碳汇项目方法学',
      creditingStart: '2016-01-01',
      creditingEnd: '2035-12-31',
      bufferRatio: '0.10',
      parcelIds: [world.parcelIds[0]],
      revenueRule: {
        shares: [
          { kind: 'PARTY', party: world.farm, ratio: '0.10' },
          { kind: 'PARTY', party: world.collective, ratio: '0.30' },
          { kind: 'PER_PERSON', collective: world.collective, ratio: '0.60' },
        ],
      },
    };
    const before = await footprint();
    const foreign = await post('/v1/carbon/projects', { ...body, ownerCode: OTHER_FARM }, 'FARM_OPERATOR').expect(403);
    expect(foreign.body as ErrorBody).toMatchObject({ code: 'FORBIDDEN', field: 'ownerCode' });
    const badRule = await post('/v1/carbon/projects', { ...body, revenueRule: { shares: [{ kind: 'PARTY', party: world.farm, ratio: '0.9' }] } }).expect(400);
    expect((badRule.body as ErrorBody).code).toBe('INVALID_REVENUE_RULE');
    expect(await footprint()).toEqual(before);

    const created = await post('/v1/carbon/projects', body, 'FARM_OPERATOR').expect(201);
    expect(created.body).toMatchObject({ code: PROJECT, state: 'DRAFT', owner: world.farm, standard: 'FFCER', bufferRatio: '0.1', lastSerial: '0', revenueRule: { version: 1 } });
    await get(`/v1/carbon/projects/${PROJECT}`, 'FARM_OPERATOR').expect(200);
    await get(`/v1/carbon/projects/${PROJECT}`, 'AUDITOR').expect(200);
    expect(((await get('/v1/carbon/projects?state=DRAFT', 'AUDITOR').expect(200)).body as Array<{ code: string }>).map((p) => p.code)).toEqual([PROJECT]);
    expect((await get(`/v1/carbon/projects/${PROJECT}`, 'OTHER_FARM_OPERATOR').expect(404)).body.code).toBe('UNKNOWN_CARBON_PROJECT');
    expect((await get('/v1/carbon/projects', 'OTHER_FARM_OPERATOR').expect(200)).body).toEqual([]);
    await get(`/v1/carbon/projects/${PROJECT}`, 'BUYER').expect(403);

    await post(`/v1/carbon/projects/${PROJECT}/register`, {}, 'FARM_OPERATOR').expect(403);
    const registered = await post(`/v1/carbon/projects/${PROJECT}/register`, {}).expect(200);
    expect(registered.body).toMatchObject({ code: PROJECT, state: 'REGISTERED' });
    expect((await post(`/v1/carbon/projects/${PROJECT}/register`, {}).expect(422)).body.code).toBe('CARBON_PROJECT_NOT_DRAFT');
  });

  it('issues a vintage: one serial block, the buffer (rounded down) withheld, in one TCO2E entry; a BUYER cannot issue (403)', async () => {
    const body = { vintageStart: '2016-01-01', vintageEnd: '2020-12-31', quantity: '12723', verificationReference: '核查报告 FJ-HC-2021-017', issuedOn: '2021-05-01' };
    await post(`/v1/carbon/projects/${PROJECT}/issuances`, body, 'BUYER').expect(403);
    await post(`/v1/carbon/projects/${PROJECT}/issuances`, body, 'FARM_OPERATOR').expect(403);
    const bad = await post(`/v1/carbon/projects/${PROJECT}/issuances`, { ...body, quantity: 12723 }).expect(400);
    expect((bad.body as ErrorBody).field).toBe('quantity');

    const issued = await post(`/v1/carbon/projects/${PROJECT}/issuances`, body).expect(201);
    issuance = issued.body as IssuanceBody;
    expect(issuance).toMatchObject({
      vintage: '2020',
      quantity: '12723',
      bufferQuantity: '1272',
      serialBlock: `FFCER-${PROJECT}-2020-1-12723`,
      serials: { start: '1', end: '12723' },
    });
    expect(await balances(carbonIssued(PROJECT), holderCredits(world.farm, PROJECT), carbonBuffer(PROJECT))).toEqual({
      [carbonIssued(PROJECT)]: '12723',
      [holderCredits(world.farm, PROJECT)]: '11451',
      [carbonBuffer(PROJECT)]: '1272',
    });
    const overlapping = await post(`/v1/carbon/projects/${PROJECT}/issuances`, { ...body, vintageStart: '2020-06-01', vintageEnd: '2021-12-31', issuedOn: '2022-05-01' }).expect(
      422,
    );
    expect((overlapping.body as ErrorBody).code).toBe('VINTAGE_OVERLAPS');

    expect(((await get(`/v1/carbon/projects/${PROJECT}/issuances`, 'FARM_OPERATOR').expect(200)).body as IssuanceBody[]).map((i) => i.id)).toEqual([issuance.id]);
    const blocks = (await get(`/v1/carbon/projects/${PROJECT}/serial-blocks`, 'AUDITOR').expect(200)).body as Array<{ serialBlock: string; status: string; owner: string | null }>;
    expect(blocks.map((b) => [b.serialBlock, b.status, b.owner])).toEqual([
      [`FFCER-${PROJECT}-2020-1-11451`, 'HELD', world.farm],
      [`FFCER-${PROJECT}-2020-11452-12723`, 'BUFFER', null],
    ]);
  });

  it('lists credits (a FARM_OPERATOR only its own: 403 naming seller); buyers see the open listings', async () => {
    await post(`/v1/carbon/projects/${PROJECT}/listings`, { seller: world.collective, unitPrice: '15.00', quantity: '10' }, 'FARM_OPERATOR').expect(403);
    await post(`/v1/carbon/projects/${PROJECT}/listings`, { seller: world.farm, unitPrice: '15.00', quantity: '10' }, 'BUYER').expect(403);
    const created = await post(`/v1/carbon/projects/${PROJECT}/listings`, { seller: world.farm, unitPrice: '15.00', quantity: '3023' }, 'FARM_OPERATOR').expect(201);
    listing = created.body as ListingBody;
    expect(listing).toMatchObject({ seller: world.farm, unitPrice: '15.00', quantityListed: '3023', quantityAvailable: '3023', state: 'OPEN' });
    const open = (await get(`/v1/carbon/listings?project=${PROJECT}&state=OPEN`, 'BUYER').expect(200)).body as ListingBody[];
    expect(open.map((l) => l.id)).toEqual([listing.id]);
    await get(`/v1/carbon/listings/${listing.id}`, 'BUYER').expect(200);
  });

  it('a buyer orders: money and credits move in one entry, the revenue is shared by the rule to the 分; a replay returns the same answer', async () => {
    const key = randomUUID();
    const first = await post(`/v1/carbon/listings/${listing.id}/orders`, { buyer: COMPANY, quantity: '2723' }, 'BUYER', key).expect(201);
    expect(first.headers['idempotency-replayed']).toBe('false');
    const sale = first.body as SaleBody;
    expect(sale).toMatchObject({
      buyer: COMPANY,
      quantity: '2723',
      grossAmount: '40845.00',
      ruleVersion: 1,
      serialBlocks: [`FFCER-${PROJECT}-2020-1-2723`],
      serialRanges: [{ start: '1', end: '2723' }],
    });
    expect(sale.entryIds).toHaveLength(1);
    // The buyer's answer shows its purchase, not the others' shares of it (issue 14); staff see them all.
    expect(sale.shares).toEqual([]);
    const shares = ((await get(`/v1/carbon/sales/${sale.id}`, 'AUDITOR').expect(200)).body as SaleBody).shares;
    // 10 % farm, 30 % collective, 60 % among the six villagers: 4084.50 / 12253.50 / 6 × 4084.50.
    // Villagers in the library's stable order (party id); compared by party here.
    const byParty = (a: { party: string }, b: { party: string }) => a.party.localeCompare(b.party);
    expect([...shares].sort(byParty)).toEqual(
      [
        { share: 0, party: world.farm, amount: '4084.50' },
        { share: 1, party: world.collective, amount: '12253.50' },
        ...world.villagers.map((v) => ({ share: 2, party: v, amount: '4084.50' })),
      ].sort(byParty),
    );
    expect(shares.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2)).toBe('40845.00');
    const [entry] = await t.ds.query<
      Array<{
        kind: string;
        postings: number;
      }>
    >(`SELECT kind, (SELECT count(*)::int FROM ledger_postings WHERE entry_id = e.id) AS postings FROM ledger_entries e WHERE id = $1`, [sale.entryIds[0]]);
    expect(entry).toEqual({ kind: 'CARBON_SALE', postings: 5 + 2 + world.villagers.length });
    expect(
      await balances(
        walletOf(COMPANY),
        holderCredits(COMPANY, PROJECT),
        holderCredits(world.farm, PROJECT),
        walletOf(world.farm),
        walletOf(world.villagers[0]),
        carbonRevenue(PROJECT),
      ),
    ).toEqual({
      [walletOf(COMPANY)]: '9155',
      [holderCredits(COMPANY, PROJECT)]: '2723',
      [holderCredits(world.farm, PROJECT)]: '8728',
      [walletOf(world.farm)]: '4084.5',
      [walletOf(world.villagers[0])]: '4084.5',
      [carbonRevenue(PROJECT)]: '0',
    });

    const before = await footprint();
    const replay = await post(`/v1/carbon/listings/${listing.id}/orders`, { buyer: COMPANY, quantity: '2723' }, 'BUYER', key).expect(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await footprint()).toEqual(before);
    const reused = await post(`/v1/carbon/listings/${listing.id}/orders`, { buyer: COMPANY, quantity: '1' }, 'BUYER', key).expect(409);
    expect((reused.body as ErrorBody).code).toBe('IDEMPOTENCY_CONFLICT');

    expect((await get(`/v1/carbon/sales/${sale.id}`, 'BUYER').expect(200)).body).toEqual(sale);
    expect(((await get(`/v1/carbon/sales/${sale.id}`, 'FARM_OPERATOR').expect(200)).body as SaleBody).shares).toEqual([{ share: 0, party: world.farm, amount: '4084.50' }]);
    expect((await get(`/v1/carbon/sales/${sale.id}`, 'CONFERENCE').expect(404)).body.code).toBe('UNKNOWN_SALE');
    await get('/v1/carbon/sales/999999', 'AUDITOR').expect(404);
  });

  it('refuses an order beyond what is listed (422), a buyer without money (422 naming buyer) and a BUYER buying for another party (403); nothing moves', async () => {
    const before = await footprint();
    const beyond = await post(`/v1/carbon/listings/${listing.id}/orders`, { buyer: CONFERENCE, quantity: '301' }, 'CONFERENCE').expect(422);
    expect(beyond.body as ErrorBody).toMatchObject({ code: 'INSUFFICIENT_CREDITS', field: 'quantity', details: { requested: '301', available: '300' } });
    const poor = await post(`/v1/carbon/listings/${listing.id}/orders`, { buyer: POOR, quantity: '1' }, 'POOR').expect(422);
    expect(poor.body as ErrorBody).toMatchObject({ code: 'INSUFFICIENT_FUNDS', field: 'buyer' });
    const forOther = await post(`/v1/carbon/listings/${listing.id}/orders`, { buyer: CONFERENCE, quantity: '1' }, 'BUYER').expect(403);
    expect(forOther.body as ErrorBody).toMatchObject({ code: 'FORBIDDEN', field: 'buyer' });
    await post(`/v1/carbon/listings/${listing.id}/orders`, { buyer: CONFERENCE, quantity: '1' }, 'FARM_OPERATOR').expect(403);
    expect(await footprint()).toEqual(before);
    expect(await balances(walletOf(POOR))).toEqual({ [walletOf(POOR)]: '10' });
  });

  it('the conference buys the last 300 t and retires them with its 200 t of emissions: a certificate and its PDF; retired tonnes never move again', async () => {
    const bought = await post(`/v1/carbon/listings/${listing.id}/orders`, { buyer: CONFERENCE, quantity: '300' }, 'CONFERENCE').expect(201);
    expect(bought.body as SaleBody).toMatchObject({ grossAmount: '4500.00', serialBlocks: [`FFCER-${PROJECT}-2020-2724-3023`] });
    expect(((await get(`/v1/carbon/listings/${listing.id}`, 'CONFERENCE').expect(200)).body as ListingBody).state).toBe('SOLD_OUT');

    const body = {
      holder: CONFERENCE,
      issuanceId: issuance.id,
      quantity: '300',
      beneficiaryName: '2026 年林业碳汇国际研讨会组委会',
      publishBeneficiary: true,
      purpose: 'EVENT_NEUTRALITY',
      eventName: '2026 年林业碳汇国际研讨会',
      eventEmissions: '200',
    };
    expect((await post(`/v1/carbon/projects/${PROJECT}/retirements`, body, 'BUYER').expect(403)).body.field).toBe('holder');
    const retired = await post(`/v1/carbon/projects/${PROJECT}/retirements`, body, 'CONFERENCE').expect(201);
    retirement = retired.body as RetirementBody;
    expect(retirement).toMatchObject({
      certificateNo: 'TH-0000001',
      quantity: '300',
      serialBlocks: [`FFCER-${PROJECT}-2020-2724-3023`],
      retiringParty: CONFERENCE,
      eventEmissions: '200.000',
    });
    expect(retirement.contentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await balances(holderCredits(CONFERENCE, PROJECT), carbonRetired(PROJECT))).toEqual({ [holderCredits(CONFERENCE, PROJECT)]: '0', [carbonRetired(PROJECT)]: '300' });
    const again = await post(`/v1/carbon/projects/${PROJECT}/retirements`, { ...body, quantity: '1' }, 'CONFERENCE').expect(422);
    expect((again.body as ErrorBody).code).toBe('INSUFFICIENT_CREDITS');

    const pdf = await get(`/v1/carbon/retirements/${retirement.certificateNo}/pdf`, 'CONFERENCE').buffer(true).parse(binary).expect(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toContain(`carbon-certificate-${retirement.certificateNo}.pdf`);
    expect((pdf.body as Buffer).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // 扫码验真: the link (PUBLIC_BASE_URL, the number, the code) is a link of the page and the QR code drawn is that link's.
    const link = `http://localhost:3000/v1/public/carbon-certificates/${retirement.certificateNo}?code=${retirement.verificationCode.replace(/-/g, '')}`;
    expect(pdfLinkUris(pdf.body as Buffer)).toContain(link);
    expect(qrModulesInPdf(pdf.body as Buffer, QR_SIDE)).toEqual(qrMatrix(link).dark);
    expect((await get(`/v1/carbon/retirements/${retirement.certificateNo}`, 'BUYER').expect(404)).body.code).toBe('UNKNOWN_CERTIFICATE');
    await get(`/v1/carbon/retirements/${retirement.certificateNo}/pdf`, 'BUYER').expect(404);
    expect((await get(`/v1/carbon/retirements/${retirement.certificateNo}`, 'AUDITOR').expect(200)).body).toEqual(retirement);
  });

  it('verifies the certificate publicly without a token (the code as typed); a wrong code is a 404', async () => {
    const typed = retirement.verificationCode.replace(/-/g, ' ').toLowerCase();
    const ok = await http().get(`/v1/public/carbon-certificates/${retirement.certificateNo}`).query({ code: typed }).expect(200);
    expect(ok.body).toMatchObject({
      valid: true,
      intact: true,
      certificate: {
        certificateNo: 'TH-0000001',
        project: PROJECT,
        quantity: '300',
        beneficiaryName: '2026 年林业碳汇国际研讨会组委会',
        purpose: 'EVENT_NEUTRALITY',
        contentHash: retirement.contentHash,
      },
    });
    expect(ok.body.certificate).not.toHaveProperty('retiringParty');
    const wrongCode = retirement.verificationCode.startsWith('0') ? `1${retirement.verificationCode.slice(1)}` : `0${retirement.verificationCode.slice(1)}`;
    const wrong = await http().get(`/v1/public/carbon-certificates/${retirement.certificateNo}`).query({ code: wrongCode }).expect(404);
    expect((wrong.body as ErrorBody).code).toBe('UNKNOWN_CERTIFICATE');
    await http().get(`/v1/public/carbon-certificates/TH-9999999`).query({ code: retirement.verificationCode }).expect(404);
    // A link opened without its code (the printed link and its QR code carry it) is told so.
    for (const query of [{}, { code: '' }]) {
      const missing = await http().get(`/v1/public/carbon-certificates/${retirement.certificateNo}`).query(query).expect(400);
      expect(missing.body).toMatchObject({ code: 'VALIDATION_FAILED', field: 'code', message: 'code is required' });
    }
  });

  it('publishes the registry as JSON and CSV without a token', async () => {
    const json = await http().get(`/v1/public/carbon-projects/${PROJECT}/registry`).expect(200);
    expect(json.body).toMatchObject({
      project: PROJECT,
      state: 'REGISTERED',
      issuances: [{ vintage: '2020', quantity: '12723', bufferQuantity: '1272', serialBlock: `FFCER-${PROJECT}-2020-1-12723` }],
      retirements: [{ certificateNo: 'TH-0000001', quantity: '300', serialBlocks: [`FFCER-${PROJECT}-2020-2724-3023`], beneficiaryName: '2026 年林业碳汇国际研讨会组委会' }],
      totals: { issued: '12723', buffer: '1272', retired: '300' },
    });
    const csv = await http().get(`/v1/public/carbon-projects/${PROJECT}/registry.csv`).buffer(true).parse(binary).expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toContain('attachment');
    const text = (csv.body as Buffer).toString('utf8');
    expect(text.startsWith('\uFEFF')).toBe(true);
    const lines = text.slice(1).trimEnd().split('\r\n');
    expect(lines).toHaveLength(1 + 1 + 1 + 3);
    expect(lines[1]).toContain(`FFCER-${PROJECT}-2020-1-12723`);
    expect(lines[2]).toContain('TH-0000001');
    expect(lines[3]).toContain('12723');
    expect((await http().get('/v1/public/carbon-projects/NOPE/registry').expect(404)).body.code).toBe('UNKNOWN_CARBON_PROJECT');
  });

  it('two buyers racing for the last tonnes of a listing: one gets them, the other is refused; no tonne is sold twice', async () => {
    const small = (await post(`/v1/carbon/projects/${PROJECT}/listings`, { seller: world.farm, unitPrice: '15.00', quantity: '5' }).expect(201)).body as ListingBody;
    const [a, b] = await Promise.all([
      post(`/v1/carbon/listings/${small.id}/orders`, { buyer: COMPANY, quantity: '5' }, 'BUYER'),
      post(`/v1/carbon/listings/${small.id}/orders`, { buyer: CONFERENCE, quantity: '5' }, 'CONFERENCE'),
    ]);
    expect([a.status, b.status].sort()).toEqual([201, 422]);
    const loser = a.status === 422 ? a : b;
    expect((loser.body as ErrorBody).code).toMatch(/^(INSUFFICIENT_CREDITS|LISTING_NOT_OPEN)$/);
    const winner = (a.status === 201 ? a : b).body as SaleBody;
    expect(winner.serialBlocks).toEqual([`FFCER-${PROJECT}-2020-3024-3028`]);
    expect(((await get(`/v1/carbon/listings/${small.id}`).expect(200)).body as ListingBody).state).toBe('SOLD_OUT');
  });

  it('keeps the invariant per vintage (staff only); versions the revenue rule; a closed project issues no more', async () => {
    await get(`/v1/carbon/projects/${PROJECT}/invariant`, 'BUYER').expect(403);
    const invariant = await get(`/v1/carbon/projects/${PROJECT}/invariant`, 'AUDITOR').expect(200);
    expect(invariant.body).toMatchObject({
      ok: true,
      ledgerMismatches: [],
      vintages: [{ issued: '12723', held: '11151', reserved: '0', retired: '300', buffer: '1272', cancelled: '0', ok: true }],
    });

    const rule = await post(`/v1/carbon/projects/${PROJECT}/revenue-rules`, { shares: [{ kind: 'PER_HOUSEHOLD', collective: world.collective, ratio: '1' }] }).expect(201);
    expect(rule.body).toEqual({ version: 2, rule: { shares: [{ kind: 'PER_HOUSEHOLD', collective: world.collective, ratio: '1' }] } });
    const missing = await post(`/v1/carbon/projects/${PROJECT}/revenue-rules`, { shares: [{ kind: 'PARTY', ratio: '1' }] }).expect(400);
    expect(missing.body as ErrorBody).toMatchObject({ code: 'INVALID_REVENUE_RULE', field: 'rule.shares[0].party' });
    expect(((await get(`/v1/carbon/projects/${PROJECT}`).expect(200)).body as { revenueRule: { version: number } }).revenueRule.version).toBe(2);

    const closed = await post(`/v1/carbon/projects/${PROJECT}/close`, {}).expect(200);
    expect(closed.body).toMatchObject({ state: 'CLOSED' });
    const late = await post(`/v1/carbon/projects/${PROJECT}/issuances`, {
      vintageStart: '2021-01-01',
      vintageEnd: '2021-12-31',
      quantity: '10',
      verificationReference: 'x',
      issuedOn: '2022-05-01',
    }).expect(422);
    expect((late.body as ErrorBody).code).toBe('CARBON_PROJECT_NOT_REGISTERED');
  });
});

describe('unknown ids and codes', () => {
  it('are 4xx on every carbon route, never a 500', async () => {
    const reads = [
      '/v1/carbon/projects/NOPE',
      '/v1/carbon/projects/NOPE/issuances',
      '/v1/carbon/projects/NOPE/serial-blocks',
      '/v1/carbon/projects/NOPE/invariant',
      '/v1/carbon/listings/x',
      '/v1/carbon/listings/99999999999999999999',
      '/v1/carbon/sales/x',
      '/v1/carbon/sales/99999999999999999999',
      '/v1/carbon/retirements/x',
      '/v1/carbon/retirements/x/pdf',
    ];
    for (const path of reads) expect([path, (await get(path, 'AUDITOR')).status]).toEqual([path, 404]);
    const writes: Array<[string, object]> = [
      ['/v1/carbon/projects/NOPE/register', {}],
      ['/v1/carbon/projects/NOPE/close', {}],
      ['/v1/carbon/projects/NOPE/revenue-rules', { shares: [{ kind: 'PARTY', party: world.farm, ratio: '1' }] }],
      ['/v1/carbon/projects/NOPE/issuances', { vintageStart: '2016-01-01', vintageEnd: '2016-12-31', quantity: '1', verificationReference: 'x' }],
      ['/v1/carbon/projects/NOPE/listings', { seller: world.farm, unitPrice: '1.00', quantity: '1' }],
      ['/v1/carbon/projects/NOPE/retirements', { holder: COMPANY, issuanceId: '1', quantity: '1', beneficiaryName: 'x', publishBeneficiary: false, purpose: 'CSR' }],
      ['/v1/carbon/listings/x/cancel', {}],
      ['/v1/carbon/listings/x/orders', { buyer: COMPANY, quantity: '1' }],
      ['/v1/carbon/listings/99999999999999999999/orders', { buyer: COMPANY, quantity: '1' }],
    ];
    for (const [path, body] of writes) expect([path, (await post(path, body)).status]).toEqual([path, 404]);
  });
});

describe('OpenAPI', () => {
  it('documents every carbon route with its response type and the file media types', async () => {
    type Operation = { responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }> };
    const doc = (await http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, Operation>> };
    const routes: Array<[string, string, string]> = [
      ['post', '/v1/carbon/projects', '201'],
      ['get', '/v1/carbon/projects', '200'],
      ['get', '/v1/carbon/projects/{code}', '200'],
      ['post', '/v1/carbon/projects/{code}/register', '200'],
      ['post', '/v1/carbon/projects/{code}/close', '200'],
      ['post', '/v1/carbon/projects/{code}/revenue-rules', '201'],
      ['post', '/v1/carbon/projects/{code}/issuances', '201'],
      ['get', '/v1/carbon/projects/{code}/issuances', '200'],
      ['get', '/v1/carbon/projects/{code}/serial-blocks', '200'],
      ['get', '/v1/carbon/projects/{code}/invariant', '200'],
      ['post', '/v1/carbon/projects/{code}/listings', '201'],
      ['post', '/v1/carbon/projects/{code}/retirements', '201'],
      ['get', '/v1/carbon/listings', '200'],
      ['get', '/v1/carbon/listings/{id}', '200'],
      ['post', '/v1/carbon/listings/{id}/cancel', '200'],
      ['post', '/v1/carbon/listings/{id}/orders', '201'],
      ['get', '/v1/carbon/sales/{id}', '200'],
      ['get', '/v1/carbon/retirements/{certificateNo}', '200'],
      ['get', '/v1/carbon/retirements/{certificateNo}/pdf', '200'],
      ['get', '/v1/public/carbon-certificates/{certificateNo}', '200'],
      ['get', '/v1/public/carbon-projects/{code}/registry', '200'],
      ['get', '/v1/public/carbon-projects/{code}/registry.csv', '200'],
    ];
    for (const [method, path, status] of routes) {
      const content = doc.paths[path]?.[method]?.responses[status]?.content;
      expect([method, path, status, content === undefined ? 'undocumented' : 'documented']).toEqual([method, path, status, 'documented']);
    }
    expect(Object.keys(doc.paths['/v1/carbon/retirements/{certificateNo}/pdf'].get.responses['200'].content ?? {})).toEqual(['application/pdf']);
    expect(Object.keys(doc.paths['/v1/public/carbon-projects/{code}/registry.csv'].get.responses['200'].content ?? {})).toEqual(['text/csv; charset=utf-8']);
    expect(doc.paths['/v1/carbon/listings/{id}/orders'].post.responses['201'].content?.['application/json'].schema?.$ref).toBe('#/components/schemas/SaleResponse');
  });
});

describe('one forest, one claim over HTTP (issue 18 §4)', () => {
  const CLAIMING = 'JL-CK-2';
  const projectBody = (code: string, creditingStart: string, creditingEnd: string) => ({
    code,
    name: `将乐县常口村林业碳汇项目 ${code}`,
    ownerCode: world.farm,
    standard: 'FFCER',
    methodology: 'FFCER-CM-001 森林经营碳汇项目方法学',
    creditingStart,
    creditingEnd,
    bufferRatio: '0',
    parcelIds: [world.parcelIds[1]],
    revenueRule: { shares: [{ kind: 'PARTY', party: world.farm, ratio: '1' }] },
  });

  it('refuses a second project on a parcel over an overlapping crediting period: 409 naming the parcel and the other project', async () => {
    await post('/v1/carbon/projects', projectBody(CLAIMING, '2021-01-01', '2040-12-31')).expect(201);
    const before = await footprint();
    const refused = await post('/v1/carbon/projects', projectBody('JL-CK-3', '2040-12-31', '2060-12-30')).expect(409);
    expect(refused.body as ErrorBody).toMatchObject({
      code: 'PARCEL_ALREADY_CLAIMED',
      field: 'parcelIds',
      details: { claims: [{ parcelId: world.parcelIds[1], certificateNo: expect.any(String), project: CLAIMING, state: 'DRAFT', from: '2021-01-01', to: '2040-12-31' }] },
    });
    expect(await footprint()).toEqual(before);
    // The day after the other period ends: no overlap.
    await post('/v1/carbon/projects', projectBody('JL-CK-4', '2041-01-01', '2060-12-31')).expect(201);
  });

  it('GET /v1/parcels/:id/claims lists every instrument holding the parcel with its dates, scoped like the parcel read', async () => {
    const claims = await get(`/v1/parcels/${world.parcelIds[1]}/claims`, 'AUDITOR').expect(200);
    expect(claims.body).toEqual({
      parcelId: world.parcelIds[1],
      certificateNo: expect.any(String),
      claims: [
        { kind: 'CARBON_PROJECT', code: CLAIMING, name: `将乐县常口村林业碳汇项目 ${CLAIMING}`, state: 'DRAFT', from: '2021-01-01', to: '2040-12-31' },
        { kind: 'CARBON_PROJECT', code: 'JL-CK-4', name: '将乐县常口村林业碳汇项目 JL-CK-4', state: 'DRAFT', from: '2041-01-01', to: '2060-12-31' },
      ],
    });
    // By certificate number too; a parcel nothing holds has no claims.
    const free = await get(`/v1/parcels/${world.parcelIds[2]}/claims`).expect(200);
    expect(free.body.claims).toEqual([]);
    expect((await get(`/v1/parcels/${encodeURIComponent(claims.body.certificateNo as string)}/claims`).expect(200)).body.parcelId).toBe(world.parcelIds[1]);
    expect((await get('/v1/parcels/999999999/claims').expect(404)).body.code).toBe('UNKNOWN_PARCEL');
    await get(`/v1/parcels/${world.parcelIds[1]}/claims`, 'BUYER').expect(403);
    // A villager sees claims on a parcel exactly when it sees the parcel (the world's parcels are H-001's).
    token.VILLAGER_OTHER = await tokenFor(app, 'VILLAGER', world.villagers[1]);
    await get(`/v1/parcels/${world.parcelIds[1]}`, 'VILLAGER_OTHER').expect(404);
    expect((await get(`/v1/parcels/${world.parcelIds[1]}/claims`, 'VILLAGER_OTHER').expect(404)).body.code).toBe('UNKNOWN_PARCEL');
  });
});
