import {
  CreateLandUseInput,
  LandUseActor,
  LandUseClosingService,
  LandUseContractsService,
  LandUseContractView,
  LandUseDailyRun,
  LandUsePaymentOutcome,
  LandUseReceivablesService,
  LandUseReportsService,
  LandUseViews,
} from '@forest-ledger/forestry';
import { LedgerReads } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DAXIGOU } from './parcels.factory';
import { seedParties, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from './tickets.factory';

/** The ticket services plus the land-use services, built by hand on a test database. */
export interface LandUseServices extends TicketServices {
  landUse: LandUseContractsService;
  landUseReceivables: LandUseReceivablesService;
  landUseClosing: LandUseClosingService;
  landUseReports: LandUseReportsService;
}

export function landUseServices(ds: DataSource): LandUseServices {
  const t = ticketServices(ds);
  const reads = new LedgerReads();
  const views = new LandUseViews(t.ledger, reads);
  const landUseReceivables = new LandUseReceivablesService(t.ledger, views);
  return {
    ...t,
    landUse: new LandUseContractsService(ds, t.ledger, reads, t.parcels, t.projects, views),
    landUseReceivables,
    landUseClosing: new LandUseClosingService(t.ledger, landUseReceivables, views),
    landUseReports: new LandUseReportsService(ds, t.ledger),
  };
}

/** The ticket world's farm (the lessor), two lessees, state parcels held by the farm, and the acting users. */
export interface LandWorld extends TicketWorld {
  lessees: [string, string];
  /** State parcels (held by the farm), 500 亩 each. */
  stateParcelIds: string[];
  /** Creates the contracts; an APPROVER itself, so the four-eyes rule, not only the role, is what refuses its waivers. */
  creator: LandUseActor;
  approver: LandUseActor;
  operator: LandUseActor;
}

async function user(ds: DataSource, role: 'APPROVER' | 'FARM_OPERATOR', partyCode: string | null): Promise<LandUseActor> {
  const name = `${role.toLowerCase()}-${randomUUID().slice(0, 8)}`;
  const [row] = await ds.query<Array<{ id: string }>>(
    `INSERT INTO users (username, display_name, role, password_hash, party_id) VALUES ($1, $1, $2, 'x', (SELECT id FROM parties WHERE code = $3)) RETURNING id`,
    [name, role, partyCode],
  );
  return { userId: row.id, role };
}

/** `collectiveParcels`: the collective's parcels, one per cooperation project an EQUITY contract goes into (createProject takes them in turn). */
export async function seedLandWorld(t: LandUseServices, options: { stateParcels?: number; collectiveParcels?: number } = {}): Promise<LandWorld> {
  const world = await seedTicketWorld(t, { villagers: 2, households: 1, parcels: options.collectiveParcels ?? 4 });
  const lessees: [string, string] = ['E-KANGYANG', 'E-LXJJ'];
  await seedParties(t, [
    { code: lessees[0], kind: 'ENTERPRISE', name: '芹池森林康养有限公司' },
    { code: lessees[1], kind: 'ENTERPRISE', name: '大西沟林下经济合作社' },
  ]);
  const count = options.stateParcels ?? 30;
  const parcels = await t.ds.query<Array<{ id: string }>>(
    `INSERT INTO parcels (certificate_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu, forest_type, main_species, rights_start, rights_end, certificate_state)
     SELECT '晋(2020)阳城县不动产权第9' || lpad(i::text, 6, '0') || '号', (SELECT id FROM parties WHERE code = $1), (SELECT id FROM regions WHERE code = $2),
            '国有林场第' || i || '林班', '3', lpad(i::text, 3, '0'), 500.0000, '公益林', '油松', '2000-01-01', '2069-12-31', 'ISSUED_TO_HOUSEHOLD'
       FROM generate_series(1, $3::int) AS i ORDER BY i RETURNING id`,
    [world.farm, DAXIGOU.code, count],
  );
  return {
    ...world,
    lessees,
    stateParcelIds: parcels.map((p) => p.id),
    creator: await user(t.ds, 'APPROVER', null),
    approver: await user(t.ds, 'APPROVER', null),
    operator: await user(t.ds, 'FARM_OPERATOR', world.farm),
  };
}

const nextParcelOf = new WeakMap<LandWorld, number>();

/** The next state parcels not yet given to a contract by this factory. */
export function takeStateParcels(world: LandWorld, count = 1): string[] {
  const next = nextParcelOf.get(world) ?? 0;
  if (next + count > world.stateParcelIds.length) throw new Error(`the world has ${world.stateParcelIds.length} state parcels; seed more`);
  nextParcelOf.set(world, next + count);
  return world.stateParcelIds.slice(next, next + count);
}

/** The defaults of a contract: a 10-year LEASE of 100 亩 to the first lessee, 12,000.00 a year billed annually, no deposit. */
export function contractInput(world: LandWorld, code: string, overrides: Partial<CreateLandUseInput> = {}): CreateLandUseInput {
  return {
    code,
    lessorCode: world.farm,
    lesseeCode: world.lessees[0],
    mode: 'LEASE',
    parcelIds: overrides.parcelIds ?? takeStateParcels(world),
    areaMu: '100.0000',
    permittedUses: ['FOREST_WELLNESS'],
    startDate: '2025-01-01',
    endDate: '2034-12-31',
    rent: { kind: 'FIXED', annualAmount: '12000.00' },
    billingFrequency: 'ANNUAL',
    ...overrides,
  };
}

export function createContract(t: LandUseServices, world: LandWorld, code: string, overrides: Partial<CreateLandUseInput> = {}): Promise<LandUseContractView> {
  return inTransaction(t.ds, (em) => t.landUse.create(em, world.creator, contractInput(world, code, overrides)));
}

/** Created, its deposit (if any) received on the start date, and activated. */
export async function activeContract(t: LandUseServices, world: LandWorld, code: string, overrides: Partial<CreateLandUseInput> = {}): Promise<LandUseContractView> {
  const draft = await createContract(t, world, code, overrides);
  if (draft.deposit.amount !== '0.00') {
    await inTransaction(t.ds, (em) => t.landUse.receiveDeposit(em, code, { receivedOn: draft.startDate, bankReference: `DEP-${code}` }, randomUUID()));
  }
  return inTransaction(t.ds, (em) => t.landUse.activate(em, code));
}

/**
 * The defaults of an EQUITY contract into `projectCode` (a project of the world's farm and collective):
 * the collective is the lessee, 20 years, 1,500,000.00 appraised.
 */
export function equityInput(world: LandWorld, code: string, projectCode: string, overrides: Partial<CreateLandUseInput> = {}): Partial<CreateLandUseInput> {
  return {
    mode: 'EQUITY',
    lesseeCode: world.collective,
    projectCode,
    rent: undefined,
    billingFrequency: undefined,
    startDate: '2025-01-01',
    endDate: '2044-12-31',
    appraisedValue: '1500000.00',
    appraisalReference: `晋评报字(2025)第${code}号`,
    ...overrides,
  };
}

/** Cancels a draft in its own transaction. */
export function cancelContract(t: LandUseServices, code: string, reason = '合同未生效，双方协商解除', key: string = randomUUID()): Promise<LandUseContractView> {
  return inTransaction(t.ds, (em) => t.landUseClosing.cancel(em, code, { reason }, key));
}

export function runDaily(t: LandUseServices, asOf: string): Promise<LandUseDailyRun> {
  return inTransaction(t.ds, (em) => t.landUseReceivables.runDaily(em, asOf));
}

/** The daily job on every day from `from` through `to`. */
export async function runEveryDay(t: LandUseServices, from: string, to: string): Promise<void> {
  for (let day = new Date(`${from}T00:00:00Z`); day.toISOString().slice(0, 10) <= to; day.setUTCDate(day.getUTCDate() + 1)) await runDaily(t, day.toISOString().slice(0, 10));
}

export function pay(t: LandUseServices, code: string, amount: string, receivedOn: string, key: string = randomUUID()): Promise<LandUsePaymentOutcome> {
  return inTransaction(t.ds, (em) => t.landUseReceivables.recordPayment(em, code, { amount, receivedOn, bankReference: `PAY-${key.slice(0, 8)}` }, key));
}

/** Entries of a kind booked for a contract. */
export async function entriesOf(t: LandUseServices, code: string, kind: string): Promise<Array<{ id: string; key: string; date: string; amount: string }>> {
  return await t.ds.query<Array<{ id: string; key: string; date: string; amount: string }>>(
    `SELECT e.id::text AS id, e.idempotency_key AS key, e.effective_date::text AS date, (SELECT max(p.amount) FROM ledger_postings p WHERE p.entry_id = e.id)::text AS amount
       FROM ledger_entries e WHERE e.kind = $1 AND e.metadata ->> 'contract' = $2 ORDER BY e.id`,
    [kind, code],
  );
}
