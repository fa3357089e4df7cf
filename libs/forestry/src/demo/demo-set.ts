// Over 500 lines because the demo data set itself (regions, parties, parcels, the project and its movements) is most of it, loaded step by step.
import { insertRecordOnlyUser } from '@forest-ledger/access';
import { Dec, LedgerReads, LedgerService } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { CERTIFICATE_STATE_LABELS, PARCEL_COLUMNS } from '../parcels/parcel-import';
import { parcelsByCodes } from '../parcels/parcel-refs';
import { ParcelsService } from '../parcels/parcels.service';
import { creditCodeCheckCharacter, organisationCodeCheckCharacter, residentIdCheckCharacter } from '../parties/identity-codes';
import { CreatePartyInput, PartiesService, walletOf } from '../parties/parties.service';
import { ProjectCashFlowsService } from '../dividends/cash-flows.service';
import { DividendDeclarationsService } from '../dividends/dividend-declarations.service';
import { DividendDistributionService } from '../dividends/dividend-distribution.service';
import { partiesStore } from '../parties/parties.store';
import { BANK_CLEARING_ACCOUNT, businessToday, ticketAsset } from '../projects/project-accounts';
import { ProjectsService } from '../projects/projects.service';
import { RegionsService } from '../regions/regions.service';
import { MovementsService } from '../tickets/movements.service';
import { SeriesService } from '../tickets/series.service';
import { TicketMarketService } from '../tickets/market.service';
import { addDays } from '../land-use/rent-schedule';
import { DisclosuresService } from '../disclosures/disclosures.service';
import { IncomeRightsService } from '../income-rights/income-rights.service';
import type { Actor } from '../dividends/dividend-support';

/**
 * The demo data set, modelled on the Yangcheng pilot (阳城县芹池镇大西沟村, DOMAIN.md §3): the region
 * tree, the state farm, the village collective with three households and eight villagers (one with a
 * villager login), a bank and a subsidy fund; seven parcels (one the collective's own); the cooperation project YC-DXG with the
 * farm's cash and the collective's land as contributions, its 林票 series YC-DXG-2025 (farm by
 * contribution / collective 30 % retained / villagers 70 % per person), and one of each movement:
 * a trade settled delivery-versus-payment after a villager's deposit, a pledge to the bank and a
 * buy-back by the farm at the guaranteed price; and a pre-dividend (预分红) of 5.00 per unit declared,
 * approved and paid to every holder's wallet; a listing on the 林票 market partly taken (LISTING); 公示 on for 芹池镇 (7 days) with the list of the 2026
 * pre-dividend (declared, not yet approved) up in the village; and the collective's own parcel 007
 * quantified into the income-right scheme SY-DXG (集体林地收益权证书), issued to the three households
 * on the day the demo loads (before 公示 is turned on, as the 林票 were). All of it goes through the features' own services
 * (ProjectsService, SeriesService, MovementsService, the dividends services) with fixed idempotency keys `demo:…`, in one
 * transaction. Names are invented; ID numbers are well-formed (valid dates and check characters)
 * but belong to no one. Household numbers (DXG-101 …), ID numbers and certificate numbers do not
 * collide with shared/fixtures, so the fixture roster and parcel table can still be imported on top
 * of the demo.
 */

export const DEMO_COUNTY = { code: '140522', name: '阳城县' } as const;
export const DEMO_TOWNSHIP = { code: '140522101', name: '芹池镇' } as const;
export const DEMO_VILLAGE = { code: '140522101201', name: '大西沟村' } as const;

export const DEMO_PROJECT = 'YC-DXG';
export const DEMO_SERIES = 'YC-DXG-2025';
export const DEMO_TICKET_ASSET = ticketAsset(DEMO_SERIES);
export const DEMO_FACE_VALUE = '100.00';
export const DEMO_FARM = 'F-YCLC';
export const DEMO_COLLECTIVE = 'C-DXG';
export const DEMO_BANK = 'K-ICBC-YC';
export const DEMO_FUND = 'G-YC-SUBSIDY';
/** The villager who can sign in (POST /v1/auth/villager-login) with DEMO_VILLAGER_PIN. */
export const DEMO_VILLAGER = 'V-0001';
export const DEMO_VILLAGER_PIN = '123456';
/** The collective's income-right scheme (issue 18 §2) and its series (the same code). */
export const DEMO_SCHEME = 'SY-DXG';

/**
 * Contributions valued in CNY (折资量化): the farm's cash and the collective's land, 912,300.00 in
 * all, i.e. 9,123 units at face value 100.00 (each contribution a whole number of units, as the
 * issuance requires): farm 5,000; collective 4,123, whose eight members share floor(4,123 × 70 %) =
 * 2,886 per person: 360 each (equal members get equal units), and the 6 that cannot be divided
 * equally stay with the collective, which keeps 1,237 + 6 = 1,243.
 */
const FARM_CONTRIBUTION = '500000.00';
const COLLECTIVE_CONTRIBUTION = '412300.00';
const DEPOSIT = { party: 'V-0004', amount: '20000.00', bankReference: '20250601000457', effectiveDate: '2025-06-01' } as const;
const TRADE = { seller: 'V-0001', buyer: DEPOSIT.party, units: '100', unitPrice: '105.50', effectiveDate: '2025-06-02' } as const;
const PLEDGE = { holder: 'V-0002', units: '200', contractReference: '工银阳城质字2025第017号', effectiveDate: '2025-07-10' } as const;
/** The farm pays buy-backs from its own wallet (its cash contribution went to the project's wallet). */
const FARM_DEPOSIT = { amount: '10000.00', bankReference: '20250901000219', effectiveDate: '2025-09-01' } as const;
/** 9,123 units × 5.00: received into the project's wallet, declared, approved and paid to the holders' wallets. */
const PRE_DIVIDEND = {
  amount: '45615.00',
  bankReference: '20251220000888',
  receivedOn: '2025-12-20',
  recordDate: '2025-12-20',
  paymentDate: '2025-12-31',
  memo: '2025 年度预分红 每份 5 元',
} as const;
/**
 * 公示 (issue 18 §3): 芹池镇 sets 7 days, so 大西沟村's next dividend (2.00 per unit, received 2026-06-20)
 * is declared and its list published to the village on the day the demo loads, awaiting its period.
 */
const DISCLOSED_DIVIDEND = {
  days: 7,
  amount: '18246.00',
  bankReference: '20260620000312',
  receivedOn: '2026-06-20',
  recordDate: '2026-06-30',
  paymentDate: '2026-07-15',
  memo: '2026 年度预分红 每份 2 元（公示中）',
} as const;
/**
 * 集体林地收益权 over parcel 007 (the collective's own 86.2 亩): 10,000 units of 1.00; the collective
 * keeps 20 % (2,000), the other 8,000 are split 40 % per household (3,200 / 3 = 1,066 each, 2 left
 * over) and 60 % per person (4,800 / 8 = 600 each): households of three persons get 2,866, the one of
 * two 2,266, and the collective 2,002. The roster is counted on the day the demo loads (its villagers
 * are registered then), so the census, start and issue dates are that day.
 */
const INCOME_RIGHT_SCHEME = {
  code: DEMO_SCHEME,
  name: `${DEMO_VILLAGE.name}集体林地收益权量化`,
  termYears: 30,
  basis: 'WEIGHTED',
  householdWeight: '0.40',
  retainedRatio: '0.20',
  totalUnits: '10000',
  faceValue: '1.00',
} as const;
/**
 * 挂牌/摘牌 (issue 18 §1): 张志强 lists 50 units at 106.00 for 60 days from the day the demo loads, and 赵福旺
 * takes 20 of them the same day (2,120.00 from his wallet, no fee): the series' price history shows one
 * trade and the market one open listing with 30 units left.
 */
const LISTING = { seller: 'V-0003', units: '50', unitPrice: '106.00', days: 60, buyer: DEPOSIT.party, taken: '20' } as const;
const BUY_BACK = { holder: 'V-0007', units: '20', documentReference: '大西沟村林票兑现申请2025第003号', effectiveDate: '2025-09-15' } as const;

/** A resident ID number of 阳城县 (region 140522) with its GB 11643 check character. */
function residentId(birthDate: string, sequence: string): string {
  const first17 = `${DEMO_COUNTY.code}${birthDate}${sequence}`;
  return first17 + residentIdCheckCharacter(first17);
}

/** A unified social credit code registered in 阳城县: authority and type, region, organisation code (GB 11714) and the GB 32100 check. */
function creditCode(authorityAndType: string, organisationBody: string): string {
  const first17 = `${authorityAndType}${DEMO_COUNTY.code}${organisationBody}${organisationCodeCheckCharacter(organisationBody)}`;
  return first17 + creditCodeCheckCharacter(first17);
}

interface DemoVillager {
  code: string;
  name: string;
  idNumber: string;
  phone: string;
  relation: string;
}

interface DemoHousehold {
  code: string;
  householdNo: string;
  members: DemoVillager[];
}

/** Sequence codes are odd for men and even for women (GB 11643). */
export const DEMO_HOUSEHOLDS: readonly DemoHousehold[] = [
  {
    code: 'H-DXG-101',
    householdNo: 'DXG-101',
    members: [
      { code: 'V-0001', name: '张守仁', idNumber: residentId('19620315', '031'), phone: '13935601201', relation: '户主' },
      { code: 'V-0002', name: '刘翠英', idNumber: residentId('19650822', '046'), phone: '13935601202', relation: '配偶' },
      { code: 'V-0003', name: '张志强', idNumber: residentId('19880109', '017'), phone: '13935601203', relation: '子' },
    ],
  },
  {
    code: 'H-DXG-102',
    householdNo: 'DXG-102',
    members: [
      { code: 'V-0004', name: '赵福旺', idNumber: residentId('19570604', '053'), phone: '13935601204', relation: '户主' },
      { code: 'V-0005', name: '郭秀兰', idNumber: residentId('19591127', '028'), phone: '13935601205', relation: '配偶' },
    ],
  },
  {
    code: 'H-DXG-103',
    householdNo: 'DXG-103',
    members: [
      { code: 'V-0006', name: '牛建军', idNumber: residentId('19750218', '075'), phone: '13935601206', relation: '户主' },
      { code: 'V-0007', name: '原小芳', idNumber: residentId('19780930', '062'), phone: '13935601207', relation: '配偶' },
      { code: 'V-0008', name: '牛晓东', idNumber: residentId('20010412', '019'), phone: '13935601208', relation: '子' },
    ],
  },
];

export const DEMO_VILLAGERS: readonly DemoVillager[] = DEMO_HOUSEHOLDS.flatMap((h) => h.members);

/** The demo villager's resident ID number, for the villager login. */
export const DEMO_VILLAGER_ID_NUMBER = DEMO_VILLAGERS[0].idNumber;

export const DEMO_ORGANISATIONS: readonly CreatePartyInput[] = [
  { kind: 'STATE_FARM', code: DEMO_FARM, name: '阳城县国有林场', regionCode: DEMO_COUNTY.code, idNumber: creditCode('12', '41215036') },
  // N2: 农业部门登记的村级集体经济组织 (GB 32100 as extended by the agriculture authority).
  { kind: 'COLLECTIVE', code: DEMO_COLLECTIVE, name: '大西沟村股份经济合作社', regionCode: DEMO_VILLAGE.code, idNumber: creditCode('N2', '59347188') },
  { kind: 'BANK', code: DEMO_BANK, name: '中国工商银行阳城支行', regionCode: DEMO_COUNTY.code, idNumber: creditCode('91', '11705923') },
  { kind: 'GOVERNMENT_FUND', code: DEMO_FUND, name: '阳城县林权流转奖补资金', regionCode: DEMO_COUNTY.code, metadata: { administeredBy: '阳城县林业局' } },
];

interface DemoParcel {
  seq: string;
  /** A villager's code, or the collective's (DEMO_COLLECTIVE: its own land, 村集体统一经营). */
  holder: string;
  place: string;
  compartment: string;
  subCompartment: string;
  areaMu: string;
  forestType: string;
  species: string;
  rightsEnd: string;
  state: string;
  mortgaged: boolean;
  seized: boolean;
  remarks: string;
}

/**
 * Every certificate state, one parcel mortgaged and one seized. Only parcels issued to the household
 * (发放到户) and neither mortgaged nor seized can back a cooperation project (DOMAIN.md §8): here 001
 * alone; 002 (seized), 003/005/006 (certificate not issued) and 004 (mortgaged) stay out of the project.
 * 007 is the collective's own land: attachable too, it backs the income-right scheme, not the project.
 */
const PARCELS: readonly DemoParcel[] = [
  {
    seq: '001',
    holder: 'V-0001',
    place: '后沟',
    compartment: '12',
    subCompartment: '3',
    areaMu: '32.6500',
    forestType: '用材林',
    species: '油松',
    rightsEnd: '2077-12-31',
    state: '发放到户',
    mortgaged: false,
    seized: false,
    remarks: '',
  },
  {
    seq: '002',
    holder: 'V-0001',
    place: '北凹',
    compartment: '12',
    subCompartment: '7',
    areaMu: '8.4',
    forestType: '经济林',
    species: '核桃',
    rightsEnd: '2077-12-31',
    state: '发放到户',
    mortgaged: false,
    seized: true,
    remarks: '阳城县人民法院查封',
  },
  {
    seq: '003',
    holder: 'V-0004',
    place: '南岭',
    compartment: '15',
    subCompartment: '2',
    areaMu: '45.125',
    forestType: '用材林',
    species: '华山松',
    rightsEnd: '2077-12-31',
    state: '已打印盖章未发放',
    mortgaged: false,
    seized: false,
    remarks: '',
  },
  {
    seq: '004',
    holder: 'V-0006',
    place: '西梁',
    compartment: '17',
    subCompartment: '11',
    areaMu: '27.3318',
    forestType: '经济林',
    species: '山茱萸',
    rightsEnd: '2058-06-30',
    state: '发放到户',
    mortgaged: true,
    seized: false,
    remarks: '抵押给中国工商银行阳城支行',
  },
  {
    seq: '005',
    holder: 'V-0005',
    place: '前坡',
    compartment: '15',
    subCompartment: '9',
    areaMu: '19.86',
    forestType: '防护林',
    species: '侧柏',
    rightsEnd: '2077-12-31',
    state: '已打印未盖章',
    mortgaged: false,
    seized: false,
    remarks: '',
  },
  {
    seq: '006',
    holder: 'V-0007',
    place: '后沟',
    compartment: '13',
    subCompartment: '5',
    areaMu: '12.0750',
    forestType: '特种用途林',
    species: '栎类',
    rightsEnd: '2077-12-31',
    state: '未打印未盖章',
    mortgaged: false,
    seized: false,
    remarks: '待补测',
  },
  {
    seq: '007',
    holder: DEMO_COLLECTIVE,
    place: '阴坡',
    compartment: '14',
    subCompartment: '1',
    areaMu: '86.2000',
    forestType: '用材林',
    species: '油松',
    rightsEnd: '2077-12-31',
    state: '发放到户',
    mortgaged: false,
    seized: false,
    remarks: '村集体统一经营',
  },
];

const certificateNoOf = (p: DemoParcel): string => `晋(2025)阳城县不动产权第0009${p.seq}号`;

/** The rule ParcelsService.assertAttachable applies, read off the table (the service stays the judge). */
const attachable = (p: DemoParcel): boolean => p.state === CERTIFICATE_STATE_LABELS.ISSUED_TO_HOUSEHOLD && !p.mortgaged && !p.seized;

const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.split('"').join('""')}"` : value);

/** The village's 林权证登记信息 table as an office sends it: CSV UTF-8 with BOM and CRLF, the import's own headers. */
export function demoParcelTable(): Buffer {
  const holders = new Map<string, { name: string; idNumber: string }>(DEMO_VILLAGERS.map((v) => [v.code, v]));
  for (const o of DEMO_ORGANISATIONS) if (o.code && o.idNumber) holders.set(o.code, { name: o.name, idNumber: o.idNumber });
  const headers = PARCEL_COLUMNS.map((c) => c.header);
  const rows = PARCELS.map((p, i) => {
    const holder = holders.get(p.holder);
    if (!holder) throw new Error(`demo parcel ${p.seq}: no holder ${p.holder}`);
    return [
      String(i + 1),
      certificateNoOf(p),
      `${DEMO_VILLAGE.code}JA09${p.seq}W00000000`,
      holder.name,
      holder.idNumber,
      `${DEMO_TOWNSHIP.name}${DEMO_VILLAGE.name}${p.place}`,
      p.compartment,
      p.subCompartment,
      p.areaMu,
      p.forestType,
      p.species,
      '2008-01-01',
      p.rightsEnd,
      p.state,
      p.mortgaged ? '是' : '否',
      p.seized ? '是' : '否',
      p.remarks,
    ];
  });
  const text = [headers, ...rows].map((r) => r.map(csvField).join(',') + '\r\n').join('');
  return Buffer.from(`\uFEFF${text}`, 'utf8');
}

export interface DemoServices {
  ledger: LedgerService;
  regions: RegionsService;
  parties: PartiesService;
  parcels: ParcelsService;
  projects: ProjectsService;
  series: SeriesService;
  movements: MovementsService;
  dividends: DemoDividendServices;
  /** When given, the demo turns 公示 on for its township and publishes a declared dividend's list. */
  disclosures?: DisclosuresService;
  /** When given, the demo issues the collective's income-right scheme (INCOME_RIGHT_SCHEME). */
  incomeRights?: IncomeRightsService;
  /** When given, the demo lists 林票 on the market and a member takes part of them (LISTING). */
  market?: TicketMarketService;
}

/** The dividends use cases the demo's pre-dividend goes through. */
export interface DemoDividendServices {
  cashFlows: ProjectCashFlowsService;
  declarations: DividendDeclarationsService;
  distribution: DividendDistributionService;
}

/** First key of the advisory lock taken while loading ('DM'), so two starting instances load once. */
const DEMO_LOCK = [0x444d, 0] as const;

/**
 * Loads the demo set in one transaction through the features' own services, only into an empty
 * database: false (and nothing written) when the ledger has any asset or any party exists.
 */
export async function loadDemoData(dataSource: DataSource, services: DemoServices): Promise<boolean> {
  return inTransaction(dataSource, async (em) => {
    await em.query(`SELECT pg_advisory_xact_lock($1, $2)`, [...DEMO_LOCK]);
    if (!(await new LedgerReads().isEmpty(em)) || (await partiesStore.any(em))) return false;
    await writeRegions(em, services.regions);
    await writeParties(em, services.parties);
    await writeParcels(em, services.parcels);
    await writeLedger(em, services);
    return true;
  });
}

async function writeRegions(em: EntityManager, regions: RegionsService): Promise<void> {
  await regions.create(em, { ...DEMO_COUNTY, level: 'COUNTY' });
  await regions.create(em, { ...DEMO_TOWNSHIP, level: 'TOWNSHIP', parentCode: DEMO_COUNTY.code });
  await regions.create(em, { ...DEMO_VILLAGE, level: 'VILLAGE', parentCode: DEMO_TOWNSHIP.code });
}

/** Each party with its CNY wallet (opened by PartiesService.create), then the demo villager's PIN login. */
async function writeParties(em: EntityManager, parties: PartiesService): Promise<void> {
  for (const organisation of DEMO_ORGANISATIONS) await parties.create(em, organisation);
  for (const h of DEMO_HOUSEHOLDS) {
    const head = h.members[0];
    await parties.create(em, {
      kind: 'HOUSEHOLD',
      code: h.code,
      name: `${head.name}户`,
      collectiveCode: DEMO_COLLECTIVE,
      metadata: { householdNo: h.householdNo, headName: head.name },
    });
    for (const m of h.members) {
      await parties.create(em, {
        kind: 'VILLAGER',
        code: m.code,
        name: m.name,
        idNumber: m.idNumber,
        mobile: m.phone,
        householdCode: h.code,
        metadata: { householdNo: h.householdNo, relation: m.relation },
      });
    }
  }
  await parties.setVillagerPin(em, DEMO_VILLAGER, DEMO_VILLAGER_PIN);
}

async function writeParcels(em: EntityManager, parcels: ParcelsService): Promise<void> {
  const result = await parcels.importVillageTable(em, DEMO_VILLAGE.code, demoParcelTable(), `宗地-${DEMO_VILLAGE.name}.csv`);
  if (!result.ok) throw new Error(`the demo parcel table was refused: ${result.errors.map((e) => `row ${e.row} ${e.column}: ${e.message}`).join('; ')}`);
}

/** The ids of the demo parcels that can back the project, or (collective) the income-right scheme (see PARCELS), with their total area. */
async function projectParcels(em: EntityManager, collective = false): Promise<{ ids: string[]; areaMu: string }> {
  const certificates = PARCELS.filter((p) => attachable(p) && (p.holder === DEMO_COLLECTIVE) === collective).map(certificateNoOf);
  const rows = [...(await parcelsByCodes(em, certificates)).values()].sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).map((p) => ({ id: p.id, area_mu: p.areaMu }));
  if (rows.length !== certificates.length) throw new Error(`the demo project's parcels ${certificates.join(', ')} were not all imported`);
  return { ids: rows.map((r) => r.id), areaMu: rows.reduce((sum, r) => sum.plus(r.area_mu), new Dec(0)).toFixed(4) };
}

/**
 * The project and its 林票, then one of each movement; every step a command of the features'
 * services with a fixed `demo:…` key. Only the two bank receipts into wallets are plain entries.
 */
async function writeLedger(em: EntityManager, services: DemoServices): Promise<void> {
  const { ledger, projects, series, movements } = services;
  // CNY exists already: PartiesService.create ensured it for the wallets.
  await ledger.ensureAsset(em, { code: 'CNY', scale: 2, description: '人民币 (分)' });
  await ledger.createAsset(em, { code: 'TCO2E', scale: 3, description: '吨二氧化碳当量' });

  // Opens the project's accounts and the platform's (BANK_CLEARING_ACCOUNT, fees).
  const parcels = await projectParcels(em);
  await projects.create(em, {
    code: DEMO_PROJECT,
    name: `${DEMO_TOWNSHIP.name}${DEMO_VILLAGE.name}国有林场—村集体合作经营项目`,
    farmCode: DEMO_FARM,
    collectiveCode: DEMO_COLLECTIVE,
    projectType: 'EXISTING_FOREST',
    parcelIds: parcels.ids,
    areaMu: parcels.areaMu,
    startDate: '2025-03-01',
    termYears: 10,
    managementFeeRate: '0.08',
    collectiveRetainedRatio: '0.30',
    memberWeighting: 'PER_PERSON',
    guarantee: {
      description: '保底收益：主伐时按每亩13立方米、每立方米500元兜底；林场按每份100元兜底回购',
      yieldPerMu: '13.0000',
      referencePrice: '500.00',
      buyBackPrice: '100.00',
    },
  });
  await projects.addContribution(
    em,
    DEMO_PROJECT,
    {
      partyCode: DEMO_FARM,
      kind: 'CASH',
      amount: FARM_CONTRIBUTION,
      paid: true,
      bankReference: '20250301000123',
      description: '阳城县国有林场 现金出资',
      effectiveDate: '2025-03-01',
    },
    'demo:farm-cash',
  );
  await projects.addContribution(
    em,
    DEMO_PROJECT,
    {
      partyCode: DEMO_COLLECTIVE,
      kind: 'IN_KIND_LAND',
      amount: COLLECTIVE_CONTRIBUTION,
      valuationDocument: '晋阳林评报字〔2025〕第0031号',
      description: '大西沟村集体林地经营权及林木 折资入股',
      effectiveDate: '2025-03-05',
    },
    'demo:collective-land',
  );
  await series.issue(
    em,
    DEMO_PROJECT,
    {
      seriesCode: DEMO_SERIES,
      name: `林票 ${DEMO_COUNTY.name}${DEMO_TOWNSHIP.name}${DEMO_VILLAGE.name} 2025`,
      faceValue: DEMO_FACE_VALUE,
      transferRestriction: 'COLLECTIVE_MEMBERS',
      issuedOn: '2025-03-15',
    },
    'demo:issuance',
  );

  await bankReceipt(em, ledger, 'demo:villager-deposit', DEPOSIT.party, DEPOSIT.amount, DEPOSIT.bankReference, DEPOSIT.effectiveDate, '赵福旺 存入');
  // Delivery versus payment: the units and the money move in one entry, or neither does.
  await movements.trade(
    em,
    DEMO_SERIES,
    { seller: TRADE.seller, buyer: TRADE.buyer, units: TRADE.units, unitPrice: TRADE.unitPrice, effectiveDate: TRADE.effectiveDate },
    'demo:trade-1',
  );
  await movements.pledge(
    em,
    DEMO_SERIES,
    { holder: PLEDGE.holder, pledgee: DEMO_BANK, units: PLEDGE.units, contractReference: PLEDGE.contractReference, effectiveDate: PLEDGE.effectiveDate },
    'demo:pledge-1',
  );
  await bankReceipt(em, ledger, 'demo:farm-deposit', DEMO_FARM, FARM_DEPOSIT.amount, FARM_DEPOSIT.bankReference, FARM_DEPOSIT.effectiveDate, '阳城县国有林场 存入 (兑付准备金)');
  // At the project's guaranteed buy-back price (100.00): no unitPrice given.
  await movements.buyBack(
    em,
    DEMO_SERIES,
    { holder: BUY_BACK.holder, units: BUY_BACK.units, documentReference: BUY_BACK.documentReference, effectiveDate: BUY_BACK.effectiveDate },
    'demo:buy-back-1',
  );
  const declarer = await writePreDividend(em, services.dividends);
  if (services.market) await writeMarket(em, services.market);
  // Issued before 公示 is turned on for the township, as the 林票 were.
  if (services.incomeRights) await writeIncomeRightScheme(em, services.incomeRights);
  if (services.disclosures) await writeDisclosure(em, services.dividends, services.disclosures, declarer);
}

/** A member's listing on the 林票 market, partly taken by another member (LISTING). */
async function writeMarket(em: EntityManager, market: TicketMarketService): Promise<void> {
  const expiresOn = addDays(businessToday(), LISTING.days);
  const listing = await market.createListing(em, DEMO_SERIES, { seller: LISTING.seller, units: LISTING.units, unitPrice: LISTING.unitPrice, expiresOn }, 'demo:listing-1');
  await market.take(em, listing.id, { buyer: LISTING.buyer, units: LISTING.taken }, 'demo:listing-1-take-1');
}

/** The collective's scheme over its own parcel, issued to the households on the day the demo loads. */
async function writeIncomeRightScheme(em: EntityManager, incomeRights: IncomeRightsService): Promise<void> {
  const today = businessToday();
  const parcels = await projectParcels(em, true);
  await incomeRights.create(em, {
    ...INCOME_RIGHT_SCHEME,
    collectiveCode: DEMO_COLLECTIVE,
    parcelIds: parcels.ids,
    areaMu: parcels.areaMu,
    startDate: today,
    censusDate: today,
  });
  await incomeRights.issue(em, DEMO_SCHEME, { seriesCode: DEMO_SCHEME, issuedOn: today }, 'demo:income-right-issuance');
}

/** The township's disclosure days, and a declared dividend whose list is up in the village (DISCLOSED_DIVIDEND). */
async function writeDisclosure(em: EntityManager, dividends: DemoDividendServices, disclosures: DisclosuresService, declarer: Actor): Promise<void> {
  const d = DISCLOSED_DIVIDEND;
  await disclosures.setDays(em, declarer, DEMO_TOWNSHIP.code, d.days);
  await dividends.cashFlows.recordIncome(
    em,
    DEMO_PROJECT,
    { kind: 'PRE_DIVIDEND', amount: d.amount, bankReference: d.bankReference, description: d.memo, effectiveDate: d.receivedOn },
    'demo:pre-dividend-2026',
  );
  const draft = await dividends.declarations.declare(em, declarer, { project: DEMO_PROJECT, amount: d.amount, recordDate: d.recordDate, paymentDate: d.paymentDate, memo: d.memo });
  await disclosures.publish(em, declarer, { kind: 'DIVIDEND', subject: draft.id });
}

/**
 * The pre-dividend, through the dividends service. Maker-checker needs two users: the demo's are
 * records only, without password and inactive, so nobody can log in as them.
 */
async function writePreDividend(em: EntityManager, dividends: DemoDividendServices): Promise<Actor> {
  const declarer = {
    userId: (await insertRecordOnlyUser(em, { username: 'demo-declarer', displayName: '演示数据·申报人（不可登录）', role: 'ADMIN' })).id,
    role: 'ADMIN' as const,
  };
  const approver = {
    userId: (await insertRecordOnlyUser(em, { username: 'demo-approver', displayName: '演示数据·审批人（不可登录）', role: 'APPROVER' })).id,
    role: 'APPROVER' as const,
  };
  await dividends.cashFlows.recordIncome(
    em,
    DEMO_PROJECT,
    { kind: 'PRE_DIVIDEND', amount: PRE_DIVIDEND.amount, bankReference: PRE_DIVIDEND.bankReference, description: PRE_DIVIDEND.memo, effectiveDate: PRE_DIVIDEND.receivedOn },
    'demo:pre-dividend',
  );
  const draft = await dividends.declarations.declare(em, declarer, {
    project: DEMO_PROJECT,
    amount: PRE_DIVIDEND.amount,
    recordDate: PRE_DIVIDEND.recordDate,
    paymentDate: PRE_DIVIDEND.paymentDate,
    memo: PRE_DIVIDEND.memo,
  });
  await dividends.declarations.approve(em, draft.id, approver);
  let outcome = await dividends.distribution.startDistribution(em, draft.id);
  while (outcome.state === 'DISTRIBUTING') outcome = await dividends.distribution.runChunk(em, draft.id);
  if (outcome.state !== 'DISTRIBUTED') throw new Error(`demo pre-dividend ended ${outcome.state}`);
  return declarer;
}

/** Money that arrived at the platform's bank account for a party's wallet. */
async function bankReceipt(
  em: EntityManager,
  ledger: LedgerService,
  key: string,
  party: string,
  amount: string,
  bankReference: string,
  effectiveDate: string,
  memo: string,
): Promise<void> {
  await ledger.post(em, {
    idempotencyKey: key,
    kind: 'BANK_RECEIPT',
    effectiveDate,
    memo: `${memo} 银行流水 ${bankReference}`,
    metadata: { bankReference },
    postings: [
      { account: BANK_CLEARING_ACCOUNT, side: 'DEBIT', amount },
      { account: walletOf(party), side: 'CREDIT', amount },
    ],
  });
}
