import { allocate, Dec, EntryDraft, LedgerService, OpenAccountInput } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { DataSource, EntityManager } from 'typeorm';
import { PARCEL_COLUMNS } from '../parcels/parcel-import';
import { ParcelsService } from '../parcels/parcels.service';
import { creditCodeCheckCharacter, organisationCodeCheckCharacter, residentIdCheckCharacter } from '../parties/identity-codes';
import { CreatePartyInput, ownerRefOf, PartiesService, walletOf } from '../parties/parties.service';
import { RegionsService } from '../regions/regions.service';

/**
 * The demo data set, modelled on the Yangcheng pilot (阳城县芹池镇大西沟村, DOMAIN.md §3): the region
 * tree, the state farm, the village collective with three households and eight villagers (one with a
 * villager login), a bank and a subsidy fund; six parcels; and on the ledger the farm's cash
 * investment, a 林票 issuance (farm / collective 30 % retained / villagers 70 % per person), a
 * villager's deposit and one ticket trade settled delivery-versus-payment. Names are invented; ID
 * numbers are well-formed (valid dates and check characters) but belong to no one. Household numbers
 * (DXG-101 …), ID numbers and certificate numbers do not collide with shared/fixtures, so the fixture
 * roster and parcel table can still be imported on top of the demo.
 */

export const DEMO_COUNTY = { code: '140522', name: '阳城县' } as const;
export const DEMO_TOWNSHIP = { code: '140522101', name: '芹池镇' } as const;
export const DEMO_VILLAGE = { code: '140522101201', name: '大西沟村' } as const;

export const DEMO_SERIES = 'YC-DXG-2025';
export const DEMO_TICKET_ASSET = `LP.${DEMO_SERIES}`;
export const DEMO_FACE_VALUE = '100.00';
export const DEMO_BANK_ACCOUNT = 'bank:ICBC-YC-0001:CNY';
export const DEMO_SERIES_ISSUED = `series:${DEMO_SERIES}:issued`;
export const DEMO_FARM = 'F-YCLC';
export const DEMO_COLLECTIVE = 'C-DXG';
export const DEMO_BANK = 'K-ICBC-YC';
export const DEMO_FUND = 'G-YC-SUBSIDY';
/** The villager who can sign in (POST /v1/auth/villager-login) with DEMO_VILLAGER_PIN. */
export const DEMO_VILLAGER = 'V-0001';
export const DEMO_VILLAGER_PIN = '123456';

/** Contributions valued in CNY (折资量化): the farm's cash, the collective's land and trees. */
const FARM_CONTRIBUTION = '500000.00';
const COLLECTIVE_CONTRIBUTION = '412300.00';
const VILLAGERS_SHARE = '0.70';
const TRADE = { seller: 'V-0001', buyer: 'V-0004', units: '100', unitPrice: '105.50' } as const;
const DEPOSIT = { party: TRADE.buyer, amount: '20000.00' } as const;

export const demoTickets = (partyCode: string): string => `holder:${partyCode}:tickets:${DEMO_SERIES}`;

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
  { kind: 'STATE_FARM', code: DEMO_FARM, name: '阳城县国有林场', regionCode: DEMO_COUNTY.code, idNumber: creditCode('12', '41215036'), phone: '03564221158' },
  // N2: 农业部门登记的村级集体经济组织 (GB 32100 as extended by the agriculture authority).
  { kind: 'COLLECTIVE', code: DEMO_COLLECTIVE, name: '大西沟村股份经济合作社', regionCode: DEMO_VILLAGE.code, idNumber: creditCode('N2', '59347188') },
  { kind: 'BANK', code: DEMO_BANK, name: '中国工商银行阳城支行', regionCode: DEMO_COUNTY.code, idNumber: creditCode('91', '11705923') },
  { kind: 'GOVERNMENT_FUND', code: DEMO_FUND, name: '阳城县林权流转奖补资金', regionCode: DEMO_COUNTY.code, metadata: { administeredBy: '阳城县林业局' } },
];

interface DemoParcel {
  seq: string;
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

/** Every certificate state, one parcel mortgaged and one seized (so two cannot back a new project). */
const PARCELS: readonly DemoParcel[] = [
  { seq: '001', holder: 'V-0001', place: '后沟', compartment: '12', subCompartment: '3', areaMu: '32.6500', forestType: '用材林', species: '油松', rightsEnd: '2077-12-31', state: '发放到户', mortgaged: false, seized: false, remarks: '' },
  { seq: '002', holder: 'V-0001', place: '北凹', compartment: '12', subCompartment: '7', areaMu: '8.4', forestType: '经济林', species: '核桃', rightsEnd: '2077-12-31', state: '发放到户', mortgaged: false, seized: true, remarks: '阳城县人民法院查封' },
  { seq: '003', holder: 'V-0004', place: '南岭', compartment: '15', subCompartment: '2', areaMu: '45.125', forestType: '用材林', species: '华山松', rightsEnd: '2077-12-31', state: '已打印盖章未发放', mortgaged: false, seized: false, remarks: '' },
  { seq: '004', holder: 'V-0006', place: '西梁', compartment: '17', subCompartment: '11', areaMu: '27.3318', forestType: '经济林', species: '山茱萸', rightsEnd: '2058-06-30', state: '发放到户', mortgaged: true, seized: false, remarks: '抵押给中国工商银行阳城支行' },
  { seq: '005', holder: 'V-0005', place: '前坡', compartment: '15', subCompartment: '9', areaMu: '19.86', forestType: '防护林', species: '侧柏', rightsEnd: '2077-12-31', state: '已打印未盖章', mortgaged: false, seized: false, remarks: '' },
  { seq: '006', holder: 'V-0007', place: '后沟', compartment: '13', subCompartment: '5', areaMu: '12.0750', forestType: '特种用途林', species: '栎类', rightsEnd: '2077-12-31', state: '未打印未盖章', mortgaged: false, seized: false, remarks: '待补测' },
];

const csvField = (value: string): string => (/[",\r\n]/.test(value) ? `"${value.split('"').join('""')}"` : value);

/** The village's 林权证登记信息 table as an office sends it: CSV UTF-8 with BOM and CRLF, the import's own headers. */
export function demoParcelTable(): Buffer {
  const villager = new Map(DEMO_VILLAGERS.map((v) => [v.code, v]));
  const headers = PARCEL_COLUMNS.map((c) => c.header);
  const rows = PARCELS.map((p, i) => {
    const holder = villager.get(p.holder);
    if (!holder) throw new Error(`demo parcel ${p.seq}: no villager ${p.holder}`);
    return [
      String(i + 1),
      `晋(2025)阳城县不动产权第0009${p.seq}号`,
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
    const [{ empty }] = (await em.query(
      `SELECT NOT EXISTS (SELECT 1 FROM ledger_assets) AND NOT EXISTS (SELECT 1 FROM parties) AS empty`,
    )) as Array<{ empty: boolean }>;
    if (!empty) return false;
    await writeRegions(em, services.regions);
    await writeParties(em, services.parties);
    await writeParcels(em, services.parcels);
    await writeLedger(em, services.ledger);
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
    await parties.create(em, { kind: 'HOUSEHOLD', code: h.code, name: `${head.name}户`, collectiveCode: DEMO_COLLECTIVE, metadata: { householdNo: h.householdNo, headName: head.name } });
    for (const m of h.members) {
      await parties.create(em, {
        kind: 'VILLAGER',
        code: m.code,
        name: m.name,
        idNumber: m.idNumber,
        phone: m.phone,
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

/** The 林票 units of each holder: level 1 by contribution, level 2 the villagers' 70 % per person, the indivisible rest kept by the collective. */
export interface DemoIssuance {
  total: string;
  farm: string;
  collectiveRetained: string;
  villagers: Array<{ code: string; units: string }>;
}

export function demoIssuance(): DemoIssuance {
  const face = new Dec(DEMO_FACE_VALUE);
  const total = new Dec(FARM_CONTRIBUTION).plus(COLLECTIVE_CONTRIBUTION).div(face);
  if (!total.isInteger()) throw new Error('the demo contributions must be a whole number of units');
  const [farm, collective] = allocate(total, [FARM_CONTRIBUTION, COLLECTIVE_CONTRIBUTION], 0);
  const villagersPool = collective.times(VILLAGERS_SHARE).floor();
  // Equal weights per person: ties go to the lower index, i.e. the earlier-opened holder account (villager codes are opened in order).
  const perVillager = allocate(villagersPool, DEMO_VILLAGERS.map(() => 1), 0);
  return {
    total: total.toFixed(0),
    farm: farm.toFixed(0),
    collectiveRetained: collective.minus(villagersPool).toFixed(0),
    villagers: DEMO_VILLAGERS.map((v, i) => ({ code: v.code, units: perVillager[i].toFixed(0) })),
  };
}

async function writeLedger(em: EntityManager, ledger: LedgerService): Promise<void> {
  // CNY exists already: PartiesService.create ensured it for the wallets.
  await ledger.ensureAsset(em, { code: 'CNY', scale: 2, description: '人民币 (分)' });
  await ledger.createAsset(em, { code: 'TCO2E', scale: 3, description: '吨二氧化碳当量' });
  await ledger.createAsset(em, { code: DEMO_TICKET_ASSET, scale: 0, description: `林票 阳城县大西沟村 2025 (面值 ${DEMO_FACE_VALUE} 元/份)` });

  const holders = [DEMO_FARM, DEMO_COLLECTIVE, ...DEMO_VILLAGERS.map((v) => v.code)];
  const accounts: OpenAccountInput[] = [
    { code: DEMO_BANK_ACCOUNT, asset: 'CNY', type: 'ASSET', ownerRef: 'platform', metadata: { name: '中国工商银行阳城支行 清算户', bankParty: DEMO_BANK } },
    { code: DEMO_SERIES_ISSUED, asset: DEMO_TICKET_ASSET, type: 'ASSET', ownerRef: `series:${DEMO_SERIES}`, metadata: { faceValue: DEMO_FACE_VALUE, issuer: DEMO_FARM } },
    ...holders.map((p): OpenAccountInput => ({ code: demoTickets(p), asset: DEMO_TICKET_ASSET, type: 'LIABILITY', ownerRef: ownerRefOf(p), noOverdraft: true })),
  ];
  for (const a of accounts) await ledger.openAccount(em, a);

  const issuance = demoIssuance();
  const tradeAmount = new Dec(TRADE.unitPrice).times(TRADE.units).toDecimalPlaces(2, Dec.ROUND_HALF_UP).toFixed(2);
  const entries: EntryDraft[] = [
    {
      idempotencyKey: 'demo:farm-investment',
      kind: 'BANK_RECEIPT',
      effectiveDate: '2025-03-01',
      memo: '阳城县国有林场 现金投入 银行流水 20250301000123',
      metadata: { bankReference: '20250301000123' },
      postings: [
        { account: DEMO_BANK_ACCOUNT, side: 'DEBIT', amount: FARM_CONTRIBUTION },
        { account: walletOf(DEMO_FARM), side: 'CREDIT', amount: FARM_CONTRIBUTION },
      ],
    },
    {
      idempotencyKey: 'demo:issuance',
      kind: 'TICKET_ISSUANCE',
      effectiveDate: '2025-03-15',
      memo: `林票发行 ${DEMO_SERIES}: 林场 ${issuance.farm} 份, 村集体留存 ${issuance.collectiveRetained} 份, 村民 ${DEMO_VILLAGERS.length} 人`,
      metadata: {
        series: DEMO_SERIES,
        faceValue: DEMO_FACE_VALUE,
        contributions: { [DEMO_FARM]: FARM_CONTRIBUTION, [DEMO_COLLECTIVE]: COLLECTIVE_CONTRIBUTION },
        villagersShare: VILLAGERS_SHARE,
      },
      postings: [
        { account: DEMO_SERIES_ISSUED, side: 'DEBIT', amount: issuance.total },
        { account: demoTickets(DEMO_FARM), side: 'CREDIT', amount: issuance.farm },
        { account: demoTickets(DEMO_COLLECTIVE), side: 'CREDIT', amount: issuance.collectiveRetained },
        ...issuance.villagers.map((v) => ({ account: demoTickets(v.code), side: 'CREDIT' as const, amount: v.units })),
      ],
    },
    {
      idempotencyKey: 'demo:villager-deposit',
      kind: 'BANK_RECEIPT',
      effectiveDate: '2025-06-01',
      memo: '赵福旺 存入 银行流水 20250601000457',
      metadata: { bankReference: '20250601000457' },
      postings: [
        { account: DEMO_BANK_ACCOUNT, side: 'DEBIT', amount: DEPOSIT.amount },
        { account: walletOf(DEPOSIT.party), side: 'CREDIT', amount: DEPOSIT.amount },
      ],
    },
    {
      // Delivery versus payment: the units and the money move in one entry, or neither does.
      idempotencyKey: 'demo:trade-1',
      kind: 'TICKET_TRADE',
      effectiveDate: '2025-06-02',
      memo: `林票转让 ${TRADE.units} 份 × ${TRADE.unitPrice} 元`,
      metadata: { series: DEMO_SERIES, seller: TRADE.seller, buyer: TRADE.buyer, units: TRADE.units, unitPrice: TRADE.unitPrice },
      postings: [
        { account: demoTickets(TRADE.seller), side: 'DEBIT', amount: TRADE.units },
        { account: demoTickets(TRADE.buyer), side: 'CREDIT', amount: TRADE.units },
        { account: walletOf(TRADE.buyer), side: 'DEBIT', amount: tradeAmount },
        { account: walletOf(TRADE.seller), side: 'CREDIT', amount: tradeAmount },
      ],
    },
  ];
  for (const e of entries) await ledger.post(em, e);
}
