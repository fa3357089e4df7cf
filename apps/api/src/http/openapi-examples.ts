// Over 500 lines because the examples are one ordered list over the whole API (each may use what an earlier one made).
import { businessToday, DEMO_COLLECTIVE, DEMO_FARM, DEMO_IDS, DEMO_VILLAGE, idAfterDemo } from '@forest-ledger/forestry';
import type { OpenAPIObject } from '@nestjs/swagger';
import { COLLECTIVE_PARCEL, HOUSEHOLD_PARCEL, PARCEL_FILE, ROSTER_FILE, ROSTER_MEMBER, STATE_PARCEL } from './openapi-example-files';

/**
 * The request example of each write route, on the demo data set (`npm start` loads it; see the README).
 * They are written into the OpenAPI document (`requestBody` examples and path parameter examples), and
 * test/e2e/openapi-examples.e2e-spec.ts posts every one of them, in this order, to an API holding only
 * the demo data: each must answer 2xx. Some use what an earlier one made (the user that logs in, the
 * carbon project that is registered), so the order matters. Ids are never written as literals: a demo
 * row is named by DEMO_IDS, a row an earlier example made by idAfterDemo (the demo's last id in that
 * table plus how many the examples made before it), a random id by FROM_ANSWER; routes that take a code
 * get codes. Every write route has one (the test fails on a route without). A route may come more than
 * once, where one row cannot take both of two decisions (a second deactivation request to approve after
 * the first is rejected, a lease cancelled as a draft and another terminated after the first ended, a
 * transfer contract that ends on schedule, a claim applied for again after its rejection): all of them
 * run, in order; the document shows the last of each route.
 * The file imports (roster, parcel table) are JSON `{ fileName, contentBase64 }` with a CSV as the
 * offices send it, its rows taken from or shaped like shared/fixtures.
 */
export interface RequestExample {
  summary: string;
  /** Path parameters, by name. */
  params?: Record<string, string>;
  body?: Record<string, unknown>;
  /** Who sends it: the first administrator `admin` (the default), the approver `li.approver` made by the first example, or the demo villager 张守仁 (ID 140522196203150310, PIN 123456). */
  caller?: 'ADMIN' | 'APPROVER' | 'VILLAGER';
}

/**
 * A date `days` after today in China's calendar (businessToday, Asia/Shanghai: the date the service judges windows and
 * census dates by), for fields that must lie in a window around today. Not UTC's date: from 16:00 to 24:00 UTC that is
 * still yesterday in China, and a census on it counted none of the demo's villagers, registered today.
 */
function inDays(days: number): string {
  return businessToday(new Date(Date.now() + days * 86_400_000));
}

const TODAY_OR_EARLIER = '2026-11-23';
/** li.approver, the first user the examples make. */
const LI_APPROVER = idAfterDemo('user');
/** The dividend the examples declare, the first after the demo's. */
const DIVIDEND = idAfterDemo('dividend');
/** The subsidy claim approved: the second the examples make (the first is rejected). */
const CLAIM = idAfterDemo('subsidyClaim', 2);
/**
 * A path parameter an earlier example's answer holds (a random id, not a demo row): the document shows
 * `<field of METHOD /path>`, and the test fills in that field of the latest answer of that route.
 */
export const FROM_ANSWER = /^<(\w+) of ([A-Z]+ \S+)>$/;
const fromAnswer = (key: string, field: string): string => `<${field} of ${key}>`;
/** The webhook subscription the examples make (its id is a UUID). */
const WEBHOOK = fromAnswer('POST /v1/webhook-subscriptions', 'id');
/** The state farm's lease of its parcel imported above from 2026 (after YC-ZL-2024-001 ended), under contract number `code`. */
const nextLease = (code: string) => ({
  code,
  lessorCode: DEMO_FARM,
  lesseeCode: 'E-LVYUAN',
  mode: 'LEASE',
  parcelIds: [STATE_PARCEL],
  areaMu: '200.0000',
  permittedUses: ['UNDERSTORY_ECONOMY'],
  startDate: '2026-01-01',
  endDate: '2030-12-31',
  rent: { kind: 'PER_MU', ratePerMuYear: '60.00' },
  billingFrequency: 'ANNUAL',
  deposit: '6000.00',
  lateFeeDailyRate: '0.0005',
  lateFeeCapRatio: '1',
});
const CARBON_PROJECT = {
  code: 'DXG-C1',
  name: '大西沟村森林经营碳汇项目',
  ownerCode: 'C-DXG',
  standard: 'FFCER',
  methodology: 'FFCER-CM-001 森林经营碳汇项目方法学',
  creditingStart: '2021-01-01',
  creditingEnd: '2040-12-31',
  bufferRatio: '0.10',
  parcelIds: [DEMO_IDS.householdParcel],
  revenueRule: {
    shares: [
      { kind: 'PARTY', party: 'C-DXG', ratio: '0.30' },
      { kind: 'PER_PERSON', collective: 'C-DXG', ratio: '0.70' },
    ],
  },
};

/** `METHOD /path/{param}` → its example, in the order they run against the demo data. */
export const REQUEST_EXAMPLES: ReadonlyArray<readonly [string, RequestExample]> = [
  ['POST /v1/users', { summary: 'an approver (staff user)', body: { username: 'li.approver', displayName: '李审核', role: 'APPROVER', password: 'change-me-at-once-2026' } }],
  ['POST /v1/auth/login', { summary: 'the approver made above', body: { username: 'li.approver', password: 'change-me-at-once-2026' } }],
  ['POST /v1/auth/villager-login', { summary: 'the demo villager 张守仁', body: { idNumber: '140522196203150310', pin: '123456' } }],
  ['POST /v1/parties/{code}/villager-pin', { summary: "sets V-0002's PIN (creates their login)", params: { code: 'V-0002' }, body: { pin: '482913' } }],
  ['POST /v1/assets', { summary: 'a second currency', body: { code: 'USD', scale: 2, description: 'US dollar' } }],
  [
    'POST /v1/accounts',
    { summary: "a villager's savings account", body: { code: 'party:V-0001:savings:CNY', asset: 'CNY', type: 'LIABILITY', ownerRef: 'party:V-0001', noOverdraft: true } },
  ],
  ['POST /v1/accounts/{code}/freeze', { summary: 'freezes the savings account', params: { code: 'party:V-0001:savings:CNY' } }],
  ['POST /v1/accounts/{code}/unfreeze', { summary: 'unfreezes it', params: { code: 'party:V-0001:savings:CNY' } }],
  [
    'POST /v1/entries',
    {
      summary: 'a transfer between two villagers',
      body: {
        kind: 'TRANSFER',
        effectiveDate: TODAY_OR_EARLIER,
        memo: '代付农资款',
        postings: [
          { account: 'party:V-0001:wallet:CNY', side: 'DEBIT', amount: '25.50' },
          { account: 'party:V-0002:wallet:CNY', side: 'CREDIT', amount: '25.50' },
        ],
      },
    },
  ],
  [
    'POST /v1/entries/batch',
    {
      summary: 'money into the subsidy fund and a transfer, all or nothing',
      body: {
        entries: [
          {
            kind: 'FUND_DEPOSIT',
            effectiveDate: TODAY_OR_EARLIER,
            memo: '县财政拨入林权流转奖补资金',
            postings: [
              { account: 'bank:clearing:CNY', side: 'DEBIT', amount: '200000.00' },
              { account: 'party:G-YC-SUBSIDY:wallet:CNY', side: 'CREDIT', amount: '200000.00' },
            ],
          },
          {
            kind: 'TRANSFER',
            effectiveDate: TODAY_OR_EARLIER,
            postings: [
              { account: 'party:V-0005:wallet:CNY', side: 'DEBIT', amount: '5.00' },
              { account: 'party:V-0006:wallet:CNY', side: 'CREDIT', amount: '5.00' },
            ],
          },
        ],
      },
    },
  ],
  [
    'POST /v1/entries/{id}/reverse',
    { summary: 'the transfer above reversed', params: { id: idAfterDemo('ledgerEntry', 3) }, body: { effectiveDate: TODAY_OR_EARLIER, memo: '金额录入错误' } },
  ],
  ['POST /v1/regions', { summary: 'a second village of 芹池镇', body: { code: '140522101202', name: '小西沟村', level: 'VILLAGE', parentCode: '140522101' } }],
  [
    'POST /v1/parties',
    {
      summary: 'an enterprise buyer',
      body: { kind: 'ENTERPRISE', name: '阳城县绿源林业有限公司', code: 'E-LVYUAN', regionCode: '140522', idNumber: '91140522MA0K12348Q', mobile: '13869893550' },
    },
  ],
  [
    'POST /v1/parties/{code}/reveal-id',
    { summary: "a villager's full ID number, with the reason", params: { code: 'V-0001' }, body: { reason: '核对林权证权利人身份（工单 2026-0153）' } },
  ],
  [
    'POST /v1/parties/{code}/bank-card',
    { summary: "a villager's card for payouts", params: { code: 'V-0005' }, body: { bankName: '中国农业银行', cardNumber: '6228480000000000000' } },
  ],
  ['POST /v1/parties/{code}/mobile', { summary: "a villager's new mobile number (sealed at rest)", params: { code: 'V-0005' }, body: { mobile: '13935601215' } }],
  [
    'POST /v1/parties/{code}/roster',
    {
      summary: 'a household joins the collective (CSV UTF-8, base64)',
      params: { code: DEMO_COLLECTIVE },
      body: { fileName: '户籍-大西沟村-新增.csv', contentBase64: ROSTER_FILE },
    },
  ],
  [
    'POST /v1/regions/{villageCode}/parcel-imports',
    {
      summary: "three more parcels: a villager's, the collective's and the state farm's (CSV UTF-8, base64)",
      params: { villageCode: DEMO_VILLAGE.code },
      body: { fileName: '宗地-大西沟村-补充.csv', contentBase64: PARCEL_FILE },
    },
  ],
  ['POST /v1/parcels/attachability-checks', { summary: 'can these parcels back a project?', body: { parcelIds: [DEMO_IDS.householdParcel], purpose: 'COOPERATION_PROJECT' } }],
  [
    'POST /v1/series/{code}/trades',
    {
      summary: 'a trade between two villagers',
      params: { code: 'YC-DXG-2025' },
      body: { seller: 'V-0001', buyer: 'V-0004', units: '10', unitPrice: '105.50', fee: '2.00', contractReference: 'LQJY-2026-0042' },
    },
  ],
  [
    'POST /v1/series/{code}/pledges',
    {
      summary: 'units pledged to the bank',
      params: { code: 'YC-DXG-2025' },
      body: { holder: 'V-0003', pledgee: 'K-ICBC-YC', units: '20', contractReference: 'ICBC-ZY-2026-0007' },
    },
  ],
  [
    'POST /v1/series/{code}/inheritances',
    {
      summary: 'units passed to an heir',
      params: { code: 'YC-DXG-2025' },
      body: {
        from: 'V-0006',
        heirs: [
          { party: 'V-0007', units: '200' },
          { party: 'V-0008', units: '160' },
        ],
        documentReference: '(2026)晋阳证字第 118 号',
      },
    },
  ],
  [
    'POST /v1/series/{code}/listings',
    { summary: 'a villager lists units', params: { code: 'YC-DXG-2025' }, body: { seller: 'V-0002', units: '20', unitPrice: '102.00', expiresOn: inDays(30) } },
  ],
  ['POST /v1/carbon/projects', { summary: "the collective's carbon project on parcel 1", body: CARBON_PROJECT }],
  [
    'POST /v1/carbon/projects/{code}/revenue-rules',
    {
      summary: 'the revenue split, changed before registration',
      params: { code: 'DXG-C1' },
      body: {
        shares: [
          { kind: 'PARTY', party: 'C-DXG', ratio: '0.40' },
          { kind: 'PER_PERSON', collective: 'C-DXG', ratio: '0.60' },
        ],
      },
    },
  ],
  ['POST /v1/carbon/projects/{code}/register', { summary: 'registers it', params: { code: 'DXG-C1' }, body: {} }],
  [
    'POST /v1/carbon/projects/{code}/issuances',
    {
      summary: '1,000 tonnes issued',
      params: { code: 'DXG-C1' },
      body: { vintageStart: '2021-01-01', vintageEnd: '2024-12-31', quantity: '1000', verificationReference: '核查报告 YC-HC-2025-003', issuedOn: '2025-06-01' },
    },
  ],
  ['POST /v1/carbon/projects/{code}/listings', { summary: '500 tonnes listed', params: { code: 'DXG-C1' }, body: { seller: 'C-DXG', unitPrice: '15.00', quantity: '500' } }],
  ['POST /v1/ticket-listings/{id}/takes', { summary: 'a member buys 5 of them', params: { id: idAfterDemo('ticketListing') }, body: { buyer: 'V-0003', units: '5' } }],
  ['POST /v1/ticket-listings/{id}/withdraw', { summary: 'the seller withdraws the rest', params: { id: idAfterDemo('ticketListing') }, body: {} }],
  [
    'POST /v1/series/{code}/buy-backs',
    { summary: 'the farm buys units back', params: { code: 'YC-DXG-2025' }, body: { holder: 'V-0004', units: '10', unitPrice: '100.00', documentReference: '兑付协议 2026-001' } },
  ],
  ['POST /v1/pledges/{id}/release', { summary: 'the pledge above released', params: { id: idAfterDemo('ticketPledge') }, body: { documentReference: 'ICBC-JC-2026-0002' } }],
  [
    'POST /v1/pledges/{id}/enforce',
    {
      summary: "the demo's pledge enforced: the units go to another member",
      params: { id: DEMO_IDS.pledge },
      body: { documentReference: 'ICBC-JC-2026-0003', transferee: 'V-0005' },
    },
  ],
  ['POST /v1/carbon/listings/{id}/orders', { summary: 'the farm buys 100 tonnes', params: { id: idAfterDemo('carbonListing') }, body: { buyer: 'F-YCLC', quantity: '100' } }],
  ['POST /v1/carbon/listings/{id}/cancel', { summary: 'the rest of the listing withdrawn', params: { id: idAfterDemo('carbonListing') }, body: {} }],
  [
    'POST /v1/carbon/projects/{code}/retirements',
    {
      summary: 'the farm retires 10 tonnes for an event',
      params: { code: 'DXG-C1' },
      body: {
        holder: 'F-YCLC',
        issuanceId: idAfterDemo('carbonIssuance'),
        quantity: '10',
        beneficiaryName: '阳城县林业局 2026 年度工作会议',
        publishBeneficiary: true,
        purpose: 'EVENT_NEUTRALITY',
        eventName: '阳城县林业局 2026 年度工作会议',
        eventEmissions: '10',
      },
    },
  ],
  ['POST /v1/api-keys', { summary: "a key for the approver's exports", body: { name: 'county ERP export', userId: LI_APPROVER } }],
  ['POST /v1/api-keys/{id}/revoke', { summary: 'revoked again', params: { id: idAfterDemo('apiKey') }, body: {} }],
  ['POST /v1/users/{id}/deactivate', { summary: 'the approver li.approver deactivated', params: { id: LI_APPROVER }, body: {} }],
  ['POST /v1/users/{id}/reactivate', { summary: 'and reactivated', params: { id: LI_APPROVER }, body: {} }],
  ['POST /v1/accounts/{code}/close', { summary: 'the empty savings account closed', params: { code: 'party:V-0001:savings:CNY' }, body: {} }],
  ['POST /v1/parties/{code}/deactivation-requests', { summary: 'a villager moved away (needs a second person)', params: { code: 'V-0008' }, body: { reason: '户籍迁出' } }],
  ['POST /v1/approvals/{id}/reject', { summary: 'the approver rejects it (no 迁出 record yet)', caller: 'APPROVER', params: { id: idAfterDemo('approval') }, body: {} }],
  [
    'POST /v1/parties/{code}/deactivation-requests',
    { summary: 'a member of the household imported above moved away', params: { code: ROSTER_MEMBER }, body: { reason: '户籍迁出（迁往晋城市城区）' } },
  ],
  [
    'POST /v1/approvals/{id}/approve',
    { summary: 'the approver approves it: the villager is deactivated, their wallet frozen', caller: 'APPROVER', params: { id: idAfterDemo('approval', 2) }, body: {} },
  ],
  [
    'POST /v1/subsidy-programmes',
    { summary: "the county's 2026 programme", body: { code: 'YC-LZJB-2026', name: '阳城县 2026 年林权流转奖补', fundingPartyCode: 'G-YC-SUBSIDY', regionCodes: ['140522'] } },
  ],
  [
    'POST /v1/subsidy-programmes/{code}/top-ups',
    { summary: 'money for it', params: { code: 'YC-LZJB-2026' }, body: { amount: '100000.00', memo: '县财政拨入 2026 年第一批奖补资金' } },
  ],
  [
    'POST /v1/projects/{code}/income',
    {
      summary: 'timber sold',
      params: { code: 'YC-DXG' },
      body: { kind: 'HARVEST_THINNING', amount: '100000.00', bankReference: 'BANK-2026-0001', description: '2026 年抚育间伐木材销售', effectiveDate: TODAY_OR_EARLIER },
    },
  ],
  [
    'POST /v1/disclosures/{id}/objections',
    {
      summary: "a villager objects to the demo's 2026 pre-dividend list",
      params: { id: DEMO_IDS.disclosure },
      body: { raisedBy: '牛建军（村民，H-DXG-103 户）', text: '我家 2026 年新增人口未计入名单' },
    },
  ],
  [
    'POST /v1/disclosures/{id}/objections/{objectionId}/resolve',
    {
      summary: 'dismissed, with the reason',
      params: { id: DEMO_IDS.disclosure, objectionId: idAfterDemo('disclosureObjection') },
      body: { outcome: 'DISMISSED', reason: '经核实，分红按登记日持有的林票份数计算，与家庭人口无关' },
    },
  ],
  ['POST /v1/disclosures/{id}/withdraw', { summary: 'the list taken down', params: { id: DEMO_IDS.disclosure }, body: { reason: '分红方案调整，重新公示' } }],
  ['POST /v1/disclosures', { summary: 'and published again (a new round)', body: { kind: 'DIVIDEND', subject: DEMO_IDS.disclosedDividend } }],
  [
    'POST /v1/regions/{code}/disclosure-days',
    {
      summary: '公示 off for 芹池镇 (the demo sets 7 days), so the dividend below can be approved at once',
      params: { code: '140522101' },
      body: { disclosureDays: 0 },
    },
  ],
  [
    'POST /v1/income-right-schemes',
    {
      summary: "a second scheme over the collective's parcel imported above, per household",
      body: {
        code: 'SY-DXG-2',
        name: '大西沟村阴坡集体林地收益权量化',
        collectiveCode: DEMO_COLLECTIVE,
        parcelIds: [COLLECTIVE_PARCEL],
        areaMu: '120.0000',
        startDate: inDays(0),
        termYears: 30,
        censusDate: inDays(0),
        basis: 'PER_HOUSEHOLD',
        retainedRatio: '0.20',
        totalUnits: '1000',
        faceValue: '1.00',
      },
    },
  ],
  ['POST /v1/income-right-schemes/{code}/issuance', { summary: 'its certificates issued (公示 is off now)', params: { code: 'SY-DXG-2' }, body: { seriesCode: 'SY-DXG-2' } }],
  [
    'POST /v1/regions/{code}/income-right-targets',
    {
      summary: "the county's dates for income-right certificates",
      params: { code: '140522' },
      body: {
        targets: [
          { dueDate: '2026-07-31', share: '0.40' },
          { dueDate: '2026-08-31', share: '0.80' },
          { dueDate: '2026-09-30', share: '1' },
        ],
      },
    },
  ],
  [
    'POST /v1/projects',
    {
      summary: 'a second cooperation project, 2015–2025, on the parcel imported above',
      body: {
        code: 'YC-DXG-2015',
        name: '芹池镇大西沟村南岭油松合作经营项目',
        farmCode: DEMO_FARM,
        collectiveCode: DEMO_COLLECTIVE,
        projectType: 'EXISTING_FOREST',
        parcelIds: [HOUSEHOLD_PARCEL],
        areaMu: '40.5000',
        startDate: '2015-03-01',
        termYears: 10,
        managementFeeRate: '0.08',
        collectiveRetainedRatio: '0.30',
        memberWeighting: 'PER_HOUSEHOLD',
      },
    },
  ],
  [
    'POST /v1/projects/{code}/contributions',
    {
      summary: "the collective's cash, committed",
      params: { code: 'YC-DXG-2015' },
      body: { partyCode: DEMO_COLLECTIVE, kind: 'CASH', amount: '10000.00', paid: false, description: '大西沟村股份经济合作社 认缴现金出资', effectiveDate: '2015-03-01' },
    },
  ],
  [
    'POST /v1/projects/{code}/contributions/{id}/call',
    {
      summary: 'the committed cash arrives',
      params: { code: 'YC-DXG-2015', id: idAfterDemo('projectContribution') },
      body: { bankReference: '20150310000041', effectiveDate: '2015-03-10' },
    },
  ],
  [
    'POST /v1/projects/{code}/issuance',
    {
      summary: 'its 林票 issued',
      params: { code: 'YC-DXG-2015' },
      body: { seriesCode: 'YC-DXG-2015', faceValue: '100.00', transferRestriction: 'COLLECTIVE_MEMBERS', issuedOn: '2015-03-15' },
    },
  ],
  [
    'POST /v1/projects/{code}/costs',
    {
      summary: 'a cost paid: the whole wallet, so the project can close',
      params: { code: 'YC-DXG-2015' },
      body: { amount: '10000.00', bankReference: 'BANK-2026-0002', description: '采伐作业费', effectiveDate: TODAY_OR_EARLIER },
    },
  ],
  ['POST /v1/projects/{code}/close', { summary: 'closed after its term, settled', params: { code: 'YC-DXG-2015' }, body: {} }],
  [
    'POST /v1/dividends',
    {
      summary: 'a dividend of 1.00 per unit, holdings as of today, paid in 30 days',
      body: { project: 'YC-DXG', amount: '1.00', recordDate: inDays(0), paymentDate: inDays(30), memo: '年度分红' },
    },
  ],
  ['POST /v1/dividends/{id}/approve', { summary: 'the dividend approved', caller: 'APPROVER', params: { id: DIVIDEND }, body: {} }],
  ['POST /v1/dividends/{id}/resume', { summary: 'queues its distribution again (after a failure; harmless before)', params: { id: DIVIDEND }, body: {} }],
  ['POST /v1/dividends/{id}/cancel', { summary: 'cancelled before its payment date', params: { id: DIVIDEND }, body: {} }],
  ['POST /v1/projects/{code}/management-fees', { summary: "the farm's fee on the timber income", params: { code: 'YC-DXG' }, body: { incomeId: idAfterDemo('projectCashFlow') } }],
  ['POST /v1/payout-batches', { summary: "the project's unpaid payouts", body: { scope: 'PROJECT', code: 'YC-DXG' } }],
  ['POST /v1/payout-batches/{id}/confirm', { summary: 'the bank paid the batch', params: { id: idAfterDemo('payoutBatch') }, body: { bankReference: 'BANK-PAY-0001' } }],
  [
    'POST /v1/land-use-contracts',
    {
      summary: 'the state farm leases its parcel imported above for two years, rent per 亩, with a deposit',
      body: {
        code: 'YC-ZL-2024-001',
        lessorCode: DEMO_FARM,
        lesseeCode: 'E-LVYUAN',
        mode: 'LEASE',
        parcelIds: [STATE_PARCEL],
        areaMu: '200.0000',
        permittedUses: ['UNDERSTORY_ECONOMY'],
        startDate: '2024-01-01',
        endDate: '2025-12-31',
        rent: { kind: 'PER_MU', ratePerMuYear: '60.00' },
        billingFrequency: 'ANNUAL',
        deposit: '6000.00',
        lateFeeDailyRate: '0.0005',
        lateFeeCapRatio: '1',
      },
    },
  ],
  [
    'POST /v1/land-use-contracts/{code}/deposit',
    { summary: 'the deposit received', params: { code: 'YC-ZL-2024-001' }, body: { receivedOn: '2024-01-01', bankReference: '20240101000311' } },
  ],
  ['POST /v1/land-use-contracts/{code}/activate', { summary: 'in force', params: { code: 'YC-ZL-2024-001' }, body: {} }],
  [
    'POST /v1/land-use-contracts/{code}/payments',
    { summary: "the first year's rent, paid late", params: { code: 'YC-ZL-2024-001' }, body: { amount: '12000.00', receivedOn: '2024-03-01', bankReference: '20240301000517' } },
  ],
  ['POST /v1/land-use-jobs/daily', { summary: "today's rent and late-fee run", body: {} }],
  [
    'POST /v1/land-use-contracts/{code}/late-fee-waivers',
    {
      summary: "the second year's late fee waived (by an approver, not the contract's creator)",
      caller: 'APPROVER',
      params: { code: 'YC-ZL-2024-001' },
      body: { periodSeq: 2, reason: '春季冰冻灾害，经林场同意免收' },
    },
  ],
  [
    'POST /v1/land-use-contracts/{code}/end',
    { summary: 'ended at its term, the deposit returned', params: { code: 'YC-ZL-2024-001' }, body: { endedOn: '2025-12-31', deposit: 'RETURN' } },
  ],
  ['POST /v1/land-use-contracts', { summary: 'the next lease of the parcel, 2026–2030, drafted', body: nextLease('YC-ZL-2026-001') }],
  [
    'POST /v1/land-use-contracts/{code}/cancel',
    { summary: 'the draft cancelled: it never took effect', params: { code: 'YC-ZL-2026-001' }, body: { reason: '承租方未取得林下经营许可，合同未生效' } },
  ],
  ['POST /v1/land-use-contracts', { summary: 'the same lease signed again once the licence came, 2026–2030', body: nextLease('YC-ZL-2026-002') }],
  [
    'POST /v1/land-use-contracts/{code}/deposit',
    { summary: 'its deposit received', params: { code: 'YC-ZL-2026-002' }, body: { receivedOn: '2025-12-26', bankReference: '20251226000208' } },
  ],
  ['POST /v1/land-use-contracts/{code}/activate', { summary: 'in force', params: { code: 'YC-ZL-2026-002' }, body: {} }],
  [
    'POST /v1/land-use-contracts/{code}/payments',
    { summary: 'the 2026 rent, paid on time', params: { code: 'YC-ZL-2026-002' }, body: { amount: '12000.00', receivedOn: '2026-01-01', bankReference: '20260101000112' } },
  ],
  [
    'POST /v1/land-use-contracts/{code}/termination',
    {
      summary: 'terminated early for a breach: the unused days credited, the deposit forfeited',
      params: { code: 'YC-ZL-2026-002' },
      body: {
        terminatedOn: TODAY_OR_EARLIER,
        reason: '承租方擅自改变林地用途，经林场书面催告后逾期未整改',
        deposit: 'FORFEIT',
        forfeitReason: '依合同约定，承租方违约解除，保证金不予退还',
      },
    },
  ],
  [
    'POST /v1/transfer-contracts',
    {
      summary: "the enterprise's earlier lease of the villager's parcel, 2016–2025, registered from the paper contract",
      body: {
        code: 'YC-LZ-2016-001',
        transferorCode: 'V-0001',
        transfereeCode: 'E-LVYUAN',
        parcelIds: [DEMO_IDS.householdParcel],
        areaMu: '32.6500',
        mode: 'LEASE',
        startDate: '2016-01-01',
        endDate: '2025-12-31',
        priceTerms: '每亩每年租金 50 元, 每年 12 月 31 日前支付',
        annualAmount: '1632.50',
      },
    },
  ],
  ['POST /v1/transfer-contracts/{code}/activate', { summary: 'in force from its start', params: { code: 'YC-LZ-2016-001' }, body: { asOf: '2016-01-01' } }],
  ['POST /v1/transfer-contracts/{code}/end', { summary: 'ended on schedule', params: { code: 'YC-LZ-2016-001' }, body: { endedOn: '2025-12-31' } }],
  [
    'POST /v1/transfer-contracts',
    {
      summary: "a villager leases their parcel's management right to an enterprise (the lease renewed for ten years)",
      body: {
        code: 'YC-LZ-2026-001',
        transferorCode: 'V-0001',
        transfereeCode: 'E-LVYUAN',
        parcelIds: [DEMO_IDS.householdParcel],
        areaMu: '32.6500',
        mode: 'LEASE',
        startDate: '2026-01-01',
        endDate: '2035-12-31',
        priceTerms: '每亩每年租金 60 元, 每年 12 月 31 日前支付',
        annualAmount: '1959.00',
        platformReference: 'SXNCCQ-2026-0007',
      },
    },
  ],
  ['POST /v1/transfer-contracts/{code}/activate', { summary: 'in force', params: { code: 'YC-LZ-2026-001' }, body: { asOf: '2026-01-01' } }],
  [
    'POST /v1/transfer-contracts/{code}/certificate',
    { summary: 'its 林地经营权 certificate', params: { code: 'YC-LZ-2026-001' }, body: { certificateNo: '晋(2026)阳城县林地经营权第0001号', issuedOn: '2026-02-01' } },
  ],
  [
    'POST /v1/subsidy-programmes/{code}/rules',
    {
      summary: '30.00 per 亩, 60 % to the transferor, in two instalments',
      params: { code: 'YC-LZJB-2026' },
      body: {
        effectiveFrom: '2026-01-01',
        rateBasis: 'PER_MU',
        rate: '30',
        capPerContract: '50000.00',
        minTermYears: 5,
        minAreaMu: '10.0000',
        recipients: [
          { role: 'TRANSFEROR', share: '0.60' },
          { role: 'TRANSFEREE', share: '0.40' },
        ],
        instalments: [
          { share: '0.50', afterContractYears: 0 },
          { share: '0.50', afterContractYears: 1 },
        ],
        clawbackRate: '1',
      },
    },
  ],
  ['POST /v1/subsidy-claims', { summary: 'the lease claims the subsidy', body: { programmeCode: 'YC-LZJB-2026', contractCode: 'YC-LZ-2026-001', appliedOn: '2026-03-01' } }],
  [
    'POST /v1/subsidy-claims/{id}/reject',
    {
      summary: 'rejected: the papers do not match',
      caller: 'APPROVER',
      params: { id: idAfterDemo('subsidyClaim') },
      body: { reason: '合同签字与备案材料不符, 请核实后重新申报', rejectedOn: '2026-03-05' },
    },
  ],
  [
    'POST /v1/subsidy-claims',
    { summary: 'the lease claims it again with the corrected papers', body: { programmeCode: 'YC-LZJB-2026', contractCode: 'YC-LZ-2026-001', appliedOn: '2026-03-08' } },
  ],
  ['POST /v1/subsidy-claims/{id}/approve', { summary: 'approved', caller: 'APPROVER', params: { id: CLAIM }, body: { approvedOn: '2026-03-10' } }],
  ['POST /v1/subsidy-instalments/pay-due', { summary: 'pays the instalments due today (the first half of the claim)', body: {} }],
  [
    'POST /v1/transfer-contracts/{code}/termination',
    { summary: 'ended early by agreement', params: { code: 'YC-LZ-2026-001' }, body: { terminatedOn: TODAY_OR_EARLIER, reason: '流入方经营困难, 双方协商解除' } },
  ],
  [
    'POST /v1/subsidy-claims/{id}/recoveries',
    {
      summary: 'the transferor pays part of the clawback back',
      params: { id: CLAIM },
      body: { partyCode: 'V-0001', amount: '1.00', source: 'BANK', bankReference: 'ICBC-2026-1201-0001' },
    },
  ],
  [
    'POST /v1/projects/{code}/guarantee-top-ups',
    {
      summary: 'the harvest fell short of the guaranteed yield: the farm tops up',
      params: { code: 'YC-DXG' },
      body: { mode: 'YIELD', actualVolumeM3: '400.000', bankReference: 'BANK-2026-0003', description: '主伐实际出材 400 立方米, 低于保底产量' },
    },
  ],
  ['POST /v1/payout-lines/{id}/fail', { summary: 'one payout came back from the bank', params: { id: idAfterDemo('payoutLine') }, body: { reason: '账户已销户' } }],
  ['POST /v1/carbon/projects/{code}/close', { summary: 'the carbon project closed', params: { code: 'DXG-C1' }, body: {} }],
  [
    'POST /v1/webhook-subscriptions',
    {
      summary: "the bank's pledge events, the whole feed",
      body: {
        url: 'https://bank.example.com/forest-ledger/events',
        types: ['ticket.pledged', 'ticket.released'],
        party: 'K-ICBC-YC',
        description: '工行阳城支行 质押通知',
        startAfter: '0',
      },
    },
  ],
  ['PATCH /v1/webhook-subscriptions/{id}', { summary: 'its description changed', params: { id: WEBHOOK }, body: { description: '工行阳城支行 质押与解押通知' } }],
  ['POST /v1/webhook-subscriptions/{id}/disable', { summary: 'deliveries stopped', params: { id: WEBHOOK }, body: {} }],
  ['POST /v1/webhook-subscriptions/{id}/enable', { summary: 'and resumed from the cursor', params: { id: WEBHOOK }, body: {} }],
  [
    'POST /v1/webhook-subscriptions/{id}/rotate-secret',
    { summary: 'a new signing secret, the old one signs for 24 more hours', params: { id: WEBHOOK }, body: { overlapHours: 24 } },
  ],
  ['POST /v1/webhook-subscriptions/{id}/redeliver', { summary: 'the feed delivered again from its start', params: { id: WEBHOOK }, body: { fromSeq: '1' } }],
  ['DELETE /v1/webhook-subscriptions/{id}', { summary: 'the subscription deleted', params: { id: WEBHOOK } }],
  ['POST /v1/auth/pin', { summary: 'the demo villager changes their PIN', caller: 'VILLAGER', body: { currentPin: '123456', newPin: '482913' } }],
];

/** `METHOD /path` with `{param}` placeholders, as the document's keys and REQUEST_EXAMPLES name them. */
export function exampleKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** Writes REQUEST_EXAMPLES into the document: the body's `examples.demo` and each path parameter's `example`; of a route that comes more than once, the last. */
export function withRequestExamples(document: OpenAPIObject): OpenAPIObject {
  for (const [key, example] of new Map(REQUEST_EXAMPLES)) {
    const [method, path] = key.split(' ');
    const operation = document.paths[path]?.[method.toLowerCase() as 'post' | 'put' | 'patch' | 'delete'];
    if (!operation) continue;
    const json = operation.requestBody && 'content' in operation.requestBody ? operation.requestBody.content['application/json'] : undefined;
    if (json && example.body) json.examples = { demo: { summary: example.summary, value: example.body } };
    for (const parameter of operation.parameters ?? []) {
      if ('in' in parameter && parameter.in === 'path' && example.params?.[parameter.name] !== undefined) parameter.example = example.params[parameter.name];
    }
  }
  return document;
}
