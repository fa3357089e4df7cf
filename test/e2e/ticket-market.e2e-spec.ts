import type { ApiApplication } from '../../apps/api/src/app.setup';
import { businessToday } from '@forest-ledger/forestry';
import { DataSource } from 'typeorm';
import { deposit, lishuSeries, seedParties, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { contractOf } from '../setup/contract';
import { apiClient } from '../setup/http-client';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * The 林票 market through HTTP: a villager's units listed by staff, a FARM_OPERATOR listing for its
 * farm, a BUYER taking part (for itself only), withdrawal, the public price history (JSON and CSV,
 * no parties) and the register valued at the last price; a villager sees only its own listings.
 */
const db = useTestDatabase();
let app: ApiApplication;
let t: TicketServices;
let world: TicketWorld;
const token: Record<string, string> = {};
const SERIES = 'MKT-2025';
const BUYER = 'E-MKT';
const lastDay = new Date(Date.parse(`${businessToday()}T00:00:00Z`) + 14 * 86_400_000).toISOString().slice(0, 10);

const { http, post, get } = apiClient(
  () => app,
  (role) => token[role],
  // Every answer is checked against the OpenAPI document (issue 20, item 10).
  contractOf(() => app),
);

beforeAll(async () => {
  app = await createTestApp(db);
  t = ticketServices(app.get(DataSource));
  world = await seedTicketWorld(t, { villagers: 4, households: 2, parcels: 3 });
  await seedParties(t, [{ code: BUYER, kind: 'ENTERPRISE', name: '林票收购有限公司' }]);
  await deposit(t, BUYER, '100000.00');
  await lishuSeries(t, world, SERIES, { farmCash: '100000.00' });
  token.ADMIN = await tokenFor(app, 'ADMIN');
  token.BUYER = await tokenFor(app, 'BUYER', BUYER);
  token.FARM = await tokenFor(app, 'FARM_OPERATOR', world.farm);
  token.V1 = await tokenFor(app, 'VILLAGER', 'V-0001');
  token.V2 = await tokenFor(app, 'VILLAGER', 'V-0002');
});

afterAll(async () => {
  await app.close();
});

describe('林票 market over HTTP', () => {
  it('lists, takes in part, withdraws; prices are public and anonymous; the register is valued at the last price', async () => {
    const listed = await post(`/v1/series/${SERIES}/listings`, { seller: 'V-0001', units: '100', unitPrice: '1.40', expiresOn: lastDay, feeRate: '0.01' });
    expect(listed.status).toBe(201);
    expect(listed.body).toMatchObject({ series: SERIES, seller: 'V-0001', unitsListed: '100', unitsAvailable: '100', state: 'OPEN', feeRate: '0.01' });
    const id = listed.body.id as string;

    // A FARM_OPERATOR lists only for its own farm; only an ADMIN sets a fee rate.
    expect((await post(`/v1/series/${SERIES}/listings`, { seller: 'V-0002', units: '1', unitPrice: '1.00', expiresOn: lastDay }, 'FARM')).status).toBe(403);
    expect((await post(`/v1/series/${SERIES}/listings`, { seller: world.farm, units: '1', unitPrice: '1.00', expiresOn: lastDay, feeRate: '0.5' }, 'FARM')).status).toBe(403);
    const farmListing = await post(`/v1/series/${SERIES}/listings`, { seller: world.farm, units: '10', unitPrice: '1.60', expiresOn: lastDay }, 'FARM');
    expect(farmListing.status).toBe(201);

    // A BUYER takes only for itself; the answer shows its own position and no seller.
    expect((await post(`/v1/ticket-listings/${id}/takes`, { buyer: 'V-0002', units: '1' }, 'BUYER')).status).toBe(403);
    const taken = await post(`/v1/ticket-listings/${id}/takes`, { buyer: BUYER, units: '60' }, 'BUYER');
    expect(taken.status).toBe(201);
    expect(taken.body.take).toMatchObject({ buyer: BUYER, units: '60', unitPrice: '1.40', amount: '84.00', fee: '0.84' });
    expect(taken.body.listing).toMatchObject({ seller: '', unitsAvailable: '40', state: 'OPEN' });
    expect(taken.body.positions.map((p: { party: string }) => p.party)).toEqual([BUYER]);
    const over = await post(`/v1/ticket-listings/${id}/takes`, { buyer: BUYER, units: '41' }, 'BUYER');
    expect(over.status).toBe(422);
    expect(over.body).toMatchObject({ code: 'INSUFFICIENT_UNITS', field: 'units' });

    // The villager sees its own listing and its take (not who took it); the other villager sees nothing of it.
    const own = await get(`/v1/ticket-listings/${id}`, 'V1');
    expect(own.status).toBe(200);
    expect(own.body.takes).toEqual([expect.objectContaining({ units: '60', buyer: '' })]);
    expect((await get(`/v1/ticket-listings/${id}`, 'V2')).status).toBe(404);
    expect((await get(`/v1/ticket-listings`, 'V2')).body).toEqual([]);
    const market = await get(`/v1/ticket-listings?series=${SERIES}&state=OPEN`, 'BUYER');
    expect(market.body.map((l: { seller: string }) => l.seller)).toEqual(['', '']);

    const withdrawn = await post(`/v1/ticket-listings/${id}/withdraw`, {});
    expect(withdrawn.status).toBe(200);
    expect(withdrawn.body).toMatchObject({ state: 'WITHDRAWN', unitsAvailable: '0' });
    expect((await post(`/v1/ticket-listings/${farmListing.body.id}/withdraw`, {}, 'FARM')).status).toBe(200);

    const prices = await http().get(`/v1/public/series/${SERIES}/prices`);
    expect(prices.status).toBe(200);
    expect(prices.body).toEqual({ series: SERIES, lastPrice: { date: businessToday(), unitPrice: '1.40' }, trades: [{ date: businessToday(), units: '60', unitPrice: '1.40' }] });
    const csv = await http().get(`/v1/public/series/${SERIES}/prices.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.text).toContain(`${businessToday()},60,1.40`);
    expect(csv.text).not.toMatch(/V-0001|E-MKT/);

    const register = await get(`/v1/series/${SERIES}/register?valueAtLastPrice=true`);
    expect(register.status).toBe(200);
    expect(register.body.lastPrice).toEqual({ date: businessToday(), unitPrice: '1.40' });
    const buyerLine = register.body.lines.find((l: { partyCode: string }) => l.partyCode === BUYER);
    expect(buyerLine).toMatchObject({ units: '60', indicativeValue: '84.00' });
    expect((await get(`/v1/series/${SERIES}/register`)).body.lastPrice).toBeUndefined();
  });
});
