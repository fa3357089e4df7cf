import type { PartyDividendView } from '../dividends/dividend-declarations.service';
import type { PayoutLineState } from '../dividends/dividend.model';
import type { PartyPayoutView } from '../dividends/payouts.service';
import type { TransferRestriction } from '../tickets/ticket.model';

/** What the villagers' page and the annual statement show (PortalService reads them, annual-statement-pdf prints them). */

/** One 林票 holding as its holder sees it: free and pledged units, face value, and who holds the pledge. */
export interface PortalHolding {
  certificateNo: string;
  /** TICKET (林票) or INCOME_RIGHT (集体林地收益权证书): the page shows both, each labelled. */
  instrument: 'TICKET' | 'INCOME_RIGHT';
  series: string;
  seriesName: string;
  project: string;
  projectName: string;
  faceValue: string;
  units: string;
  pledgedUnits: string;
  /** (units + pledged) × face value. */
  faceAmount: string;
  transferRestriction: TransferRestriction;
  transferRestrictionLabel: string;
  issuedOn: string;
  pledges: Array<{ pledgee: string; units: string; contractReference: string; since: string }>;
}

export type PortalPayout = PartyPayoutView;

/** Everything the villagers' page shows, for one party only. */
export interface PortalOverview {
  asOf: string;
  holder: { code: string; name: string; idMasked: string | null };
  holdings: PortalHolding[];
  dividends: PartyDividendView[];
  wallet: { account: string; balance: string };
  payouts: PortalPayout[];
  /** Years with an annual statement (from the first year the holder had tickets or money, to this year). */
  statementYears: number[];
}

export interface AnnualStatement {
  year: number;
  /** Dec 31, or today for the current year. */
  closingDate: string;
  printedOn: string;
  holder: { code: string; name: string; idMasked: string | null };
  holdings: Array<{ series: string; seriesName: string; projectName: string; faceValue: string; units: string; pledgedUnits: string; faceAmount: string }>;
  dividends: Array<{ paymentDate: string; projectName: string; series: string; units: string; amountPerUnit: string; amount: string; paid: boolean }>;
  dividendsTotal: string;
  payouts: Array<{ paidOn: string; amount: string; state: PayoutLineState; cardMasked: string | null }>;
  payoutsTotal: string;
  wallet: { opening: string; credits: string; debits: string; closing: string };
}
