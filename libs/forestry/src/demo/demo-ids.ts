/**
 * The numeric ids of the demo data set that others rely on: the request examples of the OpenAPI
 * document (apps/api/src/http/openapi-examples.ts) and the README's examples. A route that takes a
 * code is given the code (DEMO_PROJECT, DEMO_SERIES, party codes …); these are the rows only an id
 * names. test/integration/demo-data.int-spec.ts loads the demo into a fresh database and checks each
 * one: a change to the demo that shifts them fails there, not silently in the examples.
 */
export const DEMO_IDS = {
  /** Parcel 001 (后沟, 32.65 亩, V-0001's, 发放到户, neither mortgaged nor seized): backs YC-DXG; the examples' carbon project and lease (and the README's carbon example) use it too. */
  householdParcel: '1',
  /** Parcel 007 (阴坡, 86.2 亩, the collective C-DXG's own): backs the income-right scheme SY-DXG. */
  collectiveParcel: '7',
  /** The 2026 pre-dividend (declared, DRAFT), whose list is published in 大西沟村 … */
  disclosedDividend: '2',
  /** … as this disclosure (公示), IN_PERIOD. */
  disclosure: '1',
  /** V-0002's 200 units of YC-DXG-2025 pledged to K-ICBC-YC, ACTIVE. */
  pledge: '1',
  /** V-0003's listing of 50 units of YC-DXG-2025 at 106.00 on the market, 20 taken by V-0004: OPEN with 30 left. */
  listing: '1',
  /**
   * The last id the demo uses in each table the examples write to (0: none), so a row the examples
   * make is numbered after it. `users` counts the first administrator, whom `npm start` creates
   * before it loads the demo.
   */
  last: {
    parcel: 7,
    ledgerEntry: 15,
    user: 4,
    dividend: 2,
    disclosure: 1,
    disclosureObjection: 0,
    projectContribution: 2,
    projectCashFlow: 2,
    ticketPledge: 1,
    ticketListing: 1,
    carbonIssuance: 0,
    carbonListing: 0,
    approval: 0,
    apiKey: 0,
    payoutBatch: 0,
    payoutLine: 0,
    subsidyClaim: 0,
  },
} as const;

/** The table behind each of DEMO_IDS.last (what the test counts). */
export const DEMO_ID_TABLES: Readonly<Record<keyof typeof DEMO_IDS.last, string>> = {
  parcel: 'parcels',
  ledgerEntry: 'ledger_entries',
  user: 'users',
  dividend: 'dividend_declarations',
  disclosure: 'disclosures',
  disclosureObjection: 'disclosure_objections',
  projectContribution: 'project_contributions',
  projectCashFlow: 'project_cash_flows',
  ticketPledge: 'ticket_pledges',
  ticketListing: 'ticket_listings',
  carbonIssuance: 'carbon_issuances',
  carbonListing: 'carbon_listings',
  approval: 'approvals',
  apiKey: 'api_keys',
  payoutBatch: 'payout_batches',
  payoutLine: 'payout_lines',
  subsidyClaim: 'subsidy_claims',
};

/** The id of the `n`-th row made in a table after the demo (n = 1: the first). */
export function idAfterDemo(table: keyof typeof DEMO_IDS.last, n = 1): string {
  return String(DEMO_IDS.last[table] + n);
}
