import {
  CarbonIssuanceService,
  CarbonMarketService,
  CarbonProjectsService,
  CarbonReadsService,
  CarbonRetirementService,
  CarbonRevenueService,
  CreateCarbonProjectInput,
  IssuanceView,
  IssueCreditsInput,
  ListingInput,
  ListingView,
  OrderInput,
  RetireInput,
  RetirementView,
  RevenueRule,
  SaleView,
} from '@forest-ledger/forestry';
import { LedgerReads } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { key, takeParcels, TicketServices, TicketWorld } from './tickets.factory';

/** The carbon use cases of a test database as one object, each method bound to the service that owns it; `reads` for the read service. */
export type CarbonService = Pick<CarbonProjectsService, 'createProject' | 'register' | 'setRevenueRule' | 'close' | 'getProject' | 'listProjects'> &
  Pick<CarbonIssuanceService, 'issue' | 'issuances' | 'checkInvariant'> &
  Pick<CarbonMarketService, 'createListing' | 'cancelListing' | 'getListing' | 'order' | 'getSale'> &
  Pick<CarbonRetirementService, 'retire' | 'getRetirement' | 'getRetirementByCertificate' | 'verifyRetirement' | 'certificatePdf'> &
  Pick<CarbonReadsService, 'registry' | 'registryCsv'> & { reads: CarbonReadsService };

/** The carbon services on the ticket services of a test database. */
export function carbonService(t: TicketServices): CarbonService {
  const ledgerReads = new LedgerReads();
  const revenue = new CarbonRevenueService(t.projects, t.series);
  const projects = new CarbonProjectsService(t.ds, t.ledger, t.parcels, revenue);
  const issuance = new CarbonIssuanceService(t.ds, t.ledger, ledgerReads);
  const market = new CarbonMarketService(t.ds, t.ledger, ledgerReads, revenue);
  const retirements = new CarbonRetirementService(t.ds, t.ledger, ledgerReads, t.env);
  const reads = new CarbonReadsService(t.ds, projects, market);
  return {
    createProject: projects.createProject.bind(projects),
    register: projects.register.bind(projects),
    setRevenueRule: projects.setRevenueRule.bind(projects),
    close: projects.close.bind(projects),
    getProject: projects.getProject.bind(projects),
    listProjects: projects.listProjects.bind(projects),
    issue: issuance.issue.bind(issuance),
    issuances: issuance.issuances.bind(issuance),
    checkInvariant: issuance.checkInvariant.bind(issuance),
    createListing: market.createListing.bind(market),
    cancelListing: market.cancelListing.bind(market),
    getListing: market.getListing.bind(market),
    order: market.order.bind(market),
    getSale: market.getSale.bind(market),
    retire: retirements.retire.bind(retirements),
    getRetirement: retirements.getRetirement.bind(retirements),
    getRetirementByCertificate: retirements.getRetirementByCertificate.bind(retirements),
    verifyRetirement: retirements.verifyRetirement.bind(retirements),
    certificatePdf: retirements.certificatePdf.bind(retirements),
    registry: reads.registry.bind(reads),
    registryCsv: reads.registryCsv.bind(reads),
    reads,
  };
}

/** The carbon read service of `c`. */
export function carbonReadsService(_t: TicketServices, c: CarbonService): CarbonReadsService {
  return c.reads;
}

export interface CarbonProjectOptions extends Partial<Omit<CreateCarbonProjectInput, 'code'>> {
  /** Fresh parcels of the world to attach (ignored when parcelIds are given); default 1. */
  parcels?: number;
  /** Leave it a draft (default: registered). */
  draft?: boolean;
}

/** A rule giving everything to one party. */
export const allTo = (party: string): RevenueRule => ({ shares: [{ kind: 'PARTY', party, ratio: '1' }] });

/**
 * A carbon project of the world's farm on fresh parcels, FFCER, crediting period 2016-01-01..2035-12-31,
 * no buffer, all revenue to the farm unless given; registered unless `draft`.
 */
export async function createCarbonProject(t: TicketServices, c: CarbonService, world: TicketWorld, code: string, options: CarbonProjectOptions = {}): Promise<void> {
  const { parcels, draft, ...overrides } = options;
  const parcelIds = overrides.parcelIds ?? takeParcels(world, parcels ?? 1);
  await inTransaction(t.ds, async (em) => {
    await c.createProject(em, {
      code,
      name: `将乐县常口村林业碳汇项目 ${code}`,
      ownerCode: world.farm,
      standard: 'FFCER',
      externalId: `FJ-${code}`,
      methodology: 'FFCER-CM-001 森林经营碳汇项目方法学',
      creditingStart: '2016-01-01',
      creditingEnd: '2035-12-31',
      bufferRatio: '0',
      revenueRule: allTo(world.farm),
      ...overrides,
      parcelIds,
    });
    if (!draft) await c.register(em, code);
  });
}

export function issueCredits(
  t: TicketServices,
  c: CarbonService,
  project: string,
  input: Partial<IssueCreditsInput> & { quantity: string },
  k: string = key(),
): Promise<IssuanceView> {
  return inTransaction(t.ds, (em) =>
    c.issue(em, project, { vintageStart: '2016-01-01', vintageEnd: '2020-12-31', verificationReference: `核查报告 ${project}`, issuedOn: '2021-05-01', ...input }, k),
  );
}

export function list(t: TicketServices, c: CarbonService, project: string, input: ListingInput): Promise<ListingView> {
  return inTransaction(t.ds, (em) => c.createListing(em, project, input));
}

export function order(t: TicketServices, c: CarbonService, listingId: string, input: OrderInput, k: string = key()): Promise<SaleView> {
  return inTransaction(t.ds, (em) => c.order(em, listingId, { effectiveDate: '2021-06-01', ...input }, k));
}

export function retire(
  t: TicketServices,
  c: CarbonService,
  project: string,
  input: Partial<RetireInput> & { holder: string; issuanceId: string; quantity: string },
  k: string = key(),
): Promise<RetirementView> {
  return inTransaction(t.ds, (em) =>
    c.retire(em, project, { beneficiaryName: '2021 年某国际会议组委会', publishBeneficiary: true, purpose: 'EVENT_NEUTRALITY', effectiveDate: '2021-07-01', ...input }, k),
  );
}

/** The project's serial blocks, by serial: [start, end, status, owner code or null]. */
export async function blocksOf(t: TicketServices, project: string): Promise<Array<[string, string, string, string | null]>> {
  const rows = await t.ds.query<Array<{ s: string; e: string; status: string; owner: string | null }>>(
    `SELECT b.serial_start::text AS s, b.serial_end::text AS e, b.status, o.code AS owner FROM carbon_serial_blocks b JOIN carbon_projects p ON p.id = b.project_id
       LEFT JOIN parties o ON o.id = b.owner_party_id WHERE p.code = $1 ORDER BY b.serial_start`,
    [project],
  );
  return rows.map((r) => [r.s, r.e, r.status, r.owner]);
}
