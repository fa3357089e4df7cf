import type { AuthUser } from '@forest-ledger/access';
import { ParcelClaimsService } from '@forest-ledger/forestry';
import { inTransaction } from '@forest-ledger/platform';
import { CarbonService, carbonService, createCarbonProject, issueCredits } from '../factories/carbon.factory';
import { createProject, refusal, seedTicketWorld, takeParcels, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

/**
 * One forest, one claim (issue 18 §4): a parcel backs two carbon projects only over crediting periods
 * that do not overlap, kept by an exclusion constraint; a closed project keeps only its issued vintages.
 */
const db = useTestDatabase();
let t: TicketServices;
let c: CarbonService;
let world: TicketWorld;

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  c = carbonService(t);
  world = await seedTicketWorld(t, { villagers: 2, households: 1, parcels: 12 });
});

const projectId = async (code: string): Promise<string> =>
  (await db.dataSource.query<Array<{ id: string }>>(`SELECT id::text AS id FROM carbon_projects WHERE code = $1`, [code]))[0].id;

describe('one forest, one claim', () => {
  it('refuses a second project over an overlapping period with a 409 naming the parcel and the other project; nothing is written', async () => {
    const parcelIds = takeParcels(world, 2);
    await createCarbonProject(t, c, world, 'OPEN-A', { parcelIds, creditingStart: '2016-01-01', creditingEnd: '2035-12-31' });
    const [fresh] = takeParcels(world, 1);
    const error = await refusal(createCarbonProject(t, c, world, 'OPEN-B', { parcelIds: [fresh, parcelIds[1]], creditingStart: '2030-01-01', creditingEnd: '2049-12-31' }));
    expect(error).toMatchObject({ code: 'PARCEL_ALREADY_CLAIMED', kind: 'conflict', field: 'parcelIds' });
    expect(error.details).toEqual({
      claims: [
        {
          parcelId: parcelIds[1],
          certificateNo: expect.any(String),
          project: 'OPEN-A',
          projectName: expect.any(String),
          state: 'REGISTERED',
          from: '2016-01-01',
          to: '2035-12-31',
        },
      ],
    });
    expect(error.message).toContain('OPEN-A 2016-01-01..2035-12-31');
    expect(await db.dataSource.query(`SELECT 1 FROM carbon_projects WHERE code = 'OPEN-B'`)).toEqual([]);
  });

  it('allows the same parcel under another project whose crediting period does not overlap', async () => {
    const parcelIds = takeParcels(world, 1);
    await createCarbonProject(t, c, world, 'EARLY', { parcelIds, creditingStart: '2000-01-01', creditingEnd: '2015-12-31' });
    await createCarbonProject(t, c, world, 'LATE', { parcelIds, creditingStart: '2016-01-01', creditingEnd: '2035-12-31' });
    expect((await c.getProject('LATE')).parcelIds).toEqual(parcelIds);
  });

  it('a closed project keeps its parcels over the vintages it issued: an overlapping period is refused, a later one allowed', async () => {
    const parcelIds = takeParcels(world, 1);
    await createCarbonProject(t, c, world, 'ISSUED', { parcelIds });
    await issueCredits(t, c, 'ISSUED', { quantity: '100', vintageStart: '2016-01-01', vintageEnd: '2020-12-31' });
    await inTransaction(t.ds, (em) => c.close(em, 'ISSUED'));

    const error = await refusal(createCarbonProject(t, c, world, 'AGAIN', { parcelIds, creditingStart: '2018-01-01', creditingEnd: '2037-12-31' }));
    expect(error).toMatchObject({
      code: 'PARCEL_ALREADY_CLAIMED',
      details: { claims: [expect.objectContaining({ project: 'ISSUED', state: 'CLOSED', from: '2016-01-01', to: '2020-12-31' })] },
    });
    await createCarbonProject(t, c, world, 'AFTER', { parcelIds, creditingStart: '2021-01-01', creditingEnd: '2040-12-31' });
  });

  it('a closed project that issued nothing frees its parcels entirely', async () => {
    const parcelIds = takeParcels(world, 1);
    await createCarbonProject(t, c, world, 'NOTHING', { parcelIds });
    await inTransaction(t.ds, (em) => c.close(em, 'NOTHING'));
    await createCarbonProject(t, c, world, 'INSTEAD', { parcelIds });
  });

  it('the database refuses an overlapping claim even when inserted by raw SQL', async () => {
    const parcelIds = takeParcels(world, 1);
    await createCarbonProject(t, c, world, 'RAW-A', { parcelIds });
    await createCarbonProject(t, c, world, 'RAW-B', { parcels: 1, creditingStart: '2040-01-01', creditingEnd: '2059-12-31' });
    const [a, b] = [await projectId('RAW-A'), await projectId('RAW-B')];
    await expect(
      db.dataSource.query(`INSERT INTO carbon_project_parcels (project_id, parcel_id, crediting) VALUES ($1, $2, daterange('2030-01-01', '2040-12-31', '[]'))`, [b, parcelIds[0]]),
    ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23P01', constraint: 'xc_carbon_project_parcels_crediting' }) });
    // Widening an existing claim over another is refused the same way; touching end to start is not an overlap.
    await db.dataSource.query(`INSERT INTO carbon_project_parcels (project_id, parcel_id, crediting) VALUES ($1, $2, daterange('2036-01-01', '2059-12-31', '[]'))`, [
      b,
      parcelIds[0],
    ]);
    await expect(
      db.dataSource.query(`UPDATE carbon_project_parcels SET crediting = daterange('2016-01-01', '2036-01-01', '[]') WHERE project_id = $1 AND parcel_id = $2`, [a, parcelIds[0]]),
    ).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23P01' }) });
  });
});

describe('the claims on a parcel', () => {
  const auditor: AuthUser = { userId: '0', role: 'AUDITOR', partyId: null, partyCode: null, displayName: 'auditor', via: 'token' };

  it('assembles the cooperation project (its term) and the carbon projects (their crediting periods) holding it, oldest first', async () => {
    const parcelIds = takeParcels(world, 1);
    await createProject(t, world, 'COOP-CL', { parcelIds, startDate: '2025-01-01', termYears: 10 });
    await createCarbonProject(t, c, world, 'CL-OLD', { parcelIds, creditingStart: '2010-01-01', creditingEnd: '2019-12-31' });
    await createCarbonProject(t, c, world, 'CL-NEW', { parcelIds, creditingStart: '2020-01-01', creditingEnd: '2039-12-31', draft: true });
    const view = await new ParcelClaimsService(db.dataSource, t.parcels).claimsOn(auditor, parcelIds[0]);
    expect(view).toEqual({
      parcelId: parcelIds[0],
      certificateNo: expect.any(String),
      claims: [
        { kind: 'CARBON_PROJECT', code: 'CL-OLD', name: expect.any(String), state: 'REGISTERED', from: '2010-01-01', to: '2019-12-31' },
        { kind: 'CARBON_PROJECT', code: 'CL-NEW', name: expect.any(String), state: 'DRAFT', from: '2020-01-01', to: '2039-12-31' },
        { kind: 'COOP_PROJECT', code: 'COOP-CL', name: '梨树村合作经营项目 COOP-CL', state: 'DRAFT', from: '2025-01-01', to: '2035-01-01' },
      ],
    });
  });
});
