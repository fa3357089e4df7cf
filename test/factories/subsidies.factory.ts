import {
  BANK_CLEARING_ACCOUNT,
  ClaimView,
  ContractView,
  CreateContractInput,
  ProgrammeView,
  RuleInput,
  RuleView,
  SubsidyActor,
  SubsidyClaimsService,
  SubsidyClawbacksService,
  SubsidyInstalmentsService,
  SubsidyProgrammesService,
  SubsidyReportsService,
  TransferContractsService,
  walletOf,
} from '@forest-ledger/forestry';
import { LedgerReads } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { DINGDIAN, QINCHI, YANGCHENG, YANSHAN } from './parcels.factory';
import { seedTicketWorld, TicketServices, ticketServices, TicketWorld } from './tickets.factory';

/** The subsidy services on a test database, over the ticket services (ledger, parcels). */
export interface SubsidyServices extends TicketServices {
  contracts: TransferContractsService;
  programmes: SubsidyProgrammesService;
  claims: SubsidyClaimsService;
  instalments: SubsidyInstalmentsService;
  clawbacks: SubsidyClawbacksService;
  reports: SubsidyReportsService;
}

export function subsidyServices(ds: DataSource): SubsidyServices {
  const t = ticketServices(ds);
  const reads = new LedgerReads();
  const contracts = new TransferContractsService(ds, t.parcels);
  const programmes = new SubsidyProgrammesService(ds, t.ledger, reads);
  const claims = new SubsidyClaimsService(ds, t.ledger, reads, contracts, programmes);
  return {
    ...t,
    contracts,
    programmes,
    claims,
    instalments: new SubsidyInstalmentsService(ds, t.ledger, claims),
    clawbacks: new SubsidyClawbacksService(t.ledger, reads, contracts, claims),
    reports: new SubsidyReportsService(ds, reads),
  };
}

/** The bureau's clerk who enters claims, and two approvers. */
export const CLERK: SubsidyActor = { userId: '101', role: 'ADMIN' };
export const APPROVER: SubsidyActor = { userId: '202', role: 'APPROVER' };
export const APPROVER_2: SubsidyActor = { userId: '303', role: 'APPROVER' };

export { YANGCHENG, QINCHI, DINGDIAN };

export interface SubsidyWorld extends TicketWorld {
  /** The county's forestry subsidy fund (GOVERNMENT_FUND) with a CNY wallet. */
  fund: string;
  /** A household of 崦山村 (町店镇) and its parcels, for a second township. */
  yanshanHousehold: string;
  yanshanParcelIds: string[];
}

/**
 * The ticket world (芹池镇 大西沟村: households with parcels of `parcelAreaMu` 亩, rights 2019-01-01 –
 * 2068-12-31), plus a government fund holding `fundBalance` CNY and a household of 崦山村 (町店镇) with
 * its own parcels.
 */
export async function seedSubsidyWorld(
  s: SubsidyServices,
  options: { parcels?: number; parcelAreaMu?: string; yanshanParcels?: number; fundBalance?: string } = {},
): Promise<SubsidyWorld> {
  const world = await seedTicketWorld(s, { villagers: 4, households: 2, parcels: options.parcels ?? 20, parcelAreaMu: options.parcelAreaMu ?? '100.0000' });
  const fund = 'G-FUND';
  const yanshanHousehold = 'Y-H-001';
  const yanshanParcelIds = await inTransaction(s.ds, async (em) => {
    await em.query(
      `INSERT INTO parties (code, kind, name, region_id) VALUES ($1, 'GOVERNMENT_FUND', '阳城县林业发展专项资金', (SELECT id FROM regions WHERE code = $3)),
                                                            ($2, 'HOUSEHOLD', '崦山村一户', (SELECT id FROM regions WHERE code = $4))`,
      [fund, yanshanHousehold, YANGCHENG.code, YANSHAN.code],
    );
    await s.ledger.openAccounts(
      em,
      [fund, yanshanHousehold].map((p) => ({ code: walletOf(p), asset: 'CNY', type: 'LIABILITY' as const, ownerRef: `party:${p}`, noOverdraft: true })),
    );
    const [{ taken }] = await em.query<Array<{ taken: number }>>(`SELECT count(*)::int AS taken FROM parcels`);
    const rows = await em.query<Array<{ id: string }>>(
      `INSERT INTO parcels (certificate_no, holder_party_id, village_id, location, forest_compartment, sub_compartment, area_mu, forest_type, main_species, rights_start, rights_end, certificate_state)
       SELECT '晋(2019)阳城县不动产权第' || lpad(i::text, 7, '0') || '号', (SELECT id FROM parties WHERE code = $1), (SELECT id FROM regions WHERE code = $2), '崦山' || i || '号地块', '07', lpad(i::text, 3, '0'),
              '80.0000', '商品林', '侧柏', '2019-01-01', '2048-12-31', 'ISSUED_TO_HOUSEHOLD'
         FROM generate_series($3::int + 1, $3::int + $4::int) AS i ORDER BY i RETURNING id`,
      [yanshanHousehold, YANSHAN.code, taken, options.yanshanParcels ?? 4],
    );
    const amount = options.fundBalance ?? '1000000.00';
    await s.ledger.post(em, {
      idempotencyKey: `test-fund:${randomUUID()}`,
      kind: 'BANK_RECEIPT',
      effectiveDate: '2024-12-01',
      postings: [
        { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
        { account: walletOf(fund), side: 'CREDIT', amount },
      ],
    });
    return rows.map((r) => r.id);
  });
  return { ...world, fund, yanshanHousehold, yanshanParcelIds };
}

const nextParcel = new WeakMap<SubsidyWorld, number>();

/** The next unused parcel(s) of the world's first household. */
export function freshParcels(world: SubsidyWorld, count = 1): string[] {
  const next = nextParcel.get(world) ?? 0;
  if (next + count > world.parcelIds.length) throw new Error(`the world has ${world.parcelIds.length} parcels; seed more`);
  nextParcel.set(world, next + count);
  return world.parcelIds.slice(next, next + count);
}

/** A LEASE of one fresh parcel of household H-001 to the outside enterprise: 100 亩, 2025-01-01 – 2029-12-31 (5 years). */
export function createContract(s: SubsidyServices, world: SubsidyWorld, code: string, overrides: Partial<CreateContractInput> = {}): Promise<ContractView> {
  return inTransaction(s.ds, (em) =>
    s.contracts.create(em, {
      code,
      transferorCode: world.households[0],
      transfereeCode: world.outsider,
      parcelIds: overrides.parcelIds ?? freshParcels(world),
      areaMu: '100.0000',
      mode: 'LEASE',
      startDate: '2025-01-01',
      endDate: '2029-12-31',
      priceTerms: '每亩每年租金 20 元, 每年 12 月 31 日前支付',
      annualAmount: '2000.00',
      ...overrides,
    }),
  );
}

/** A programme of the county funded by the world's fund, with `budget` topped up on 2025-01-02 (none when '0'). */
export async function createProgramme(s: SubsidyServices, world: SubsidyWorld, code: string, options: { budget?: string; regionCodes?: string[] } = {}): Promise<ProgrammeView> {
  await inTransaction(s.ds, (em) =>
    s.programmes.createProgramme(em, { code, name: `林权流转奖补 ${code}`, fundingPartyCode: world.fund, regionCodes: options.regionCodes ?? [YANGCHENG.code] }),
  );
  const budget = options.budget ?? '100000.00';
  if (budget !== '0') await topUp(s, code, budget);
  return s.programmes.getProgramme(code);
}

export function topUp(s: SubsidyServices, programme: string, amount: string, key: string = randomUUID()) {
  return inTransaction(s.ds, (em) => s.programmes.topUp(em, programme, { amount, effectiveDate: '2025-01-02' }, key));
}

/** 30.00 元/亩, min 5 years and 50 亩, 60 % transferor / 40 % transferee, half on approval and half after a year, full clawback pro rata. */
export const BASE_RULE: RuleInput = {
  effectiveFrom: '2024-01-01',
  rateBasis: 'PER_MU',
  rate: '30',
  minTermYears: 5,
  minAreaMu: '50.0000',
  recipients: [
    { role: 'TRANSFEROR', share: '0.60' },
    { role: 'TRANSFEREE', share: '0.40' },
  ],
  instalments: [
    { share: '0.50', afterContractYears: 0 },
    { share: '0.50', afterContractYears: 1 },
  ],
  clawbackRate: '1',
};

export function addRule(s: SubsidyServices, programme: string, overrides: Partial<RuleInput> = {}): Promise<RuleView> {
  return inTransaction(s.ds, (em) => s.programmes.addRule(em, programme, { ...BASE_RULE, ...overrides }, APPROVER));
}

export function apply(s: SubsidyServices, programme: string, contract: string, options: { actor?: SubsidyActor; key?: string; appliedOn?: string } = {}): Promise<ClaimView> {
  return inTransaction(s.ds, (em) =>
    s.claims.apply(em, { programmeCode: programme, contractCode: contract, appliedOn: options.appliedOn ?? '2025-03-01' }, options.actor ?? CLERK, options.key ?? randomUUID()),
  );
}

export function approve(s: SubsidyServices, claimId: string, options: { actor?: SubsidyActor; key?: string; approvedOn?: string } = {}): Promise<ClaimView> {
  return inTransaction(s.ds, (em) => s.claims.approve(em, claimId, { approvedOn: options.approvedOn ?? '2025-03-10' }, options.actor ?? APPROVER, options.key ?? randomUUID()));
}

/** Contract, claim and approval in one go. */
export async function approvedClaim(
  s: SubsidyServices,
  world: SubsidyWorld,
  programme: string,
  contract: string,
  overrides: Partial<CreateContractInput> = {},
): Promise<ClaimView> {
  await createContract(s, world, contract, overrides);
  const claim = await apply(s, programme, contract);
  return approve(s, claim.id);
}

export function reject(s: SubsidyServices, claimId: string, options: { actor?: SubsidyActor; key?: string; reason?: string; rejectedOn?: string } = {}): Promise<ClaimView> {
  return inTransaction(s.ds, (em) =>
    s.claims.reject(
      em,
      claimId,
      { reason: options.reason ?? '合同签字与备案材料不符', rejectedOn: options.rejectedOn ?? '2025-03-10' },
      options.actor ?? APPROVER,
      options.key ?? randomUUID(),
    ),
  );
}
