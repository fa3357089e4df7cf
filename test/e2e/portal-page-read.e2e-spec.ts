import { DEMO_SERIES, PartyError, PortalService } from '@forest-ledger/forestry';
import { DataSource } from 'typeorm';
import type { ApiApplication } from '../../apps/api/src/app.setup';
import { PortalWorld, seedPortalWorld } from '../factories/portal.factory';
import { apiClient } from '../setup/http-client';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * The villagers' page read in one composed statement (PortalService.overview) against the same page read statement
 * by statement in a REPEATABLE READ transaction (overviewInSteps, the read it replaced): every party of the portal world
 * (villagers with dividends, a payout, pledged units; households, the collective, the farm), then with units listed
 * on the market, gives the same page field for field.
 */

const db = useTestDatabase();
let app: ApiApplication;
let world: PortalWorld;
let portal: PortalService;
const tokens: Record<string, string> = {};
const { post } = apiClient(
  () => app,
  (role) => tokens[role],
);

beforeAll(async () => {
  app = await createTestApp(db, { LOG_LEVEL: 'error' });
  world = await seedPortalWorld(app);
  portal = app.get(PortalService);
  tokens.ADMIN = await tokenFor(app, 'ADMIN');
});

afterAll(async () => {
  await app?.close();
});

async function partyCodes(): Promise<string[]> {
  const rows = await app.get(DataSource).query<Array<{ code: string }>>(`SELECT code FROM parties ORDER BY code`);
  return rows.map((r) => r.code);
}

async function expectSamePages(codes: readonly string[]): Promise<void> {
  for (const code of codes) {
    const [composed, steps] = [await portal.overview(code, world.today), await portal.overviewInSteps(code, world.today)];
    expect({ code, page: composed }).toEqual({ code, page: steps });
  }
}

describe('the page in one statement', () => {
  it('is the page read statement by statement, for every party', async () => {
    const codes = await partyCodes();
    expect(codes.length).toBeGreaterThan(10);
    await expectSamePages(codes);
    const v1 = await portal.overview(world.villager.code, world.today);
    expect(v1.dividends).toHaveLength(3);
    expect(v1.payouts).toHaveLength(1);
    expect((await portal.overview(world.pledger.code, world.today)).holdings[0].pledges).toHaveLength(1);
  });

  it('counts units listed on the market as the holder’s, like the read by steps', async () => {
    const expiresOn = new Date(Date.now() + 30 * 864e5).toISOString().slice(0, 10);
    await post(`/v1/series/${DEMO_SERIES}/listings`, { seller: 'V-0003', units: '7', unitPrice: '101.00', expiresOn }).expect(201);
    await expectSamePages(['V-0003']);
  });

  it('answers an unknown party as the read by steps does', async () => {
    await expect(portal.overview('V-9999', world.today)).rejects.toThrow(PartyError);
    await expect(portal.overviewInSteps('V-9999', world.today)).rejects.toThrow('no party "V-9999"');
    await expect(portal.overview('V-9999', world.today)).rejects.toThrow('no party "V-9999"');
  });
});
