import type { CarbonProjectState, CarbonStandard, RetirementPurpose } from './carbon.model';
import type { RevenueRule, RevenueShareLine } from './revenue-split';

/** The inputs and views of the carbon use cases (DOMAIN.md §5). */

/** A serial range as stored in JSON and shown to clients: decimal text, both ends inclusive. */
export interface SerialRangeText {
  start: string;
  end: string;
}

export interface CreateCarbonProjectInput {
  code: string;
  name: string;
  /** The owner party (a state farm or a collective): its credits account receives the issuances. */
  ownerCode: string;
  /** The cooperation project whose 林票 may share the revenue (TICKET_UNITS). */
  coopProjectCode?: string;
  standard: CarbonStandard;
  externalId?: string;
  methodology: string;
  creditingStart: string;
  creditingEnd: string;
  /** Share withheld into the buffer at each issuance, e.g. "0.10"; "0" for none. */
  bufferRatio: string;
  parcelIds: string[];
  /** Version 1 of the revenue-sharing rule (see revenue-split.ts). */
  revenueRule: RevenueRule;
}

export interface CarbonProjectView {
  code: string;
  name: string;
  state: CarbonProjectState;
  owner: string;
  coopProject: string | null;
  standard: CarbonStandard;
  externalId: string | null;
  methodology: string;
  creditingStart: string;
  creditingEnd: string;
  bufferRatio: string;
  parcelIds: string[];
  lastSerial: string;
  revenueRule: { version: number; rule: RevenueRule };
}

export interface IssueCreditsInput {
  vintageStart: string;
  vintageEnd: string;
  /** Verified whole tonnes, e.g. "12723". */
  quantity: string;
  verificationReference: string;
  /** Defaults to today (Asia/Shanghai); not before the vintage ends. */
  issuedOn?: string;
}

export interface IssuanceView {
  id: string;
  project: string;
  vintage: string;
  vintageStart: string;
  vintageEnd: string;
  quantity: string;
  bufferQuantity: string;
  /** `<standard>-<project>-<vintage>-<start>-<end>` of the whole issuance. */
  serialBlock: string;
  serials: SerialRangeText;
  verificationReference: string;
  issuedOn: string;
  entryId: string;
}

export interface ListingInput {
  seller: string;
  /** CNY per tonne, 2 decimals. */
  unitPrice: string;
  quantity: string;
  /** Only this vintage's credits; otherwise the seller's oldest vintages first. */
  issuanceId?: string;
}

export interface ListingView {
  id: string;
  project: string;
  seller: string;
  issuanceId: string | null;
  unitPrice: string;
  quantityListed: string;
  quantityAvailable: string;
  state: string;
}

export interface OrderInput {
  buyer: string;
  quantity: string;
  /** Defaults to today (Asia/Shanghai); also the date of the 林票 register for TICKET_UNITS shares. */
  effectiveDate?: string;
}

export interface SaleView {
  id: string;
  listingId: string;
  project: string;
  buyer: string;
  seller: string;
  quantity: string;
  unitPrice: string;
  grossAmount: string;
  /** The version of the revenue rule the price was shared by; null for a resale (the seller is paid the whole price). */
  ruleVersion: number | null;
  /** The blocks delivered, oldest vintage first: `<standard>-<project>-<vintage>-<start>-<end>`. */
  serialBlocks: string[];
  serialRanges: SerialRangeText[];
  shares: RevenueShareLine[];
  effectiveDate: string;
  entryIds: string[];
}

export interface RetireInput {
  holder: string;
  issuanceId: string;
  quantity: string;
  beneficiaryName: string;
  publishBeneficiary: boolean;
  purpose: RetirementPurpose;
  eventName?: string;
  /** tCO2e the event emitted, up to 3 decimals. */
  eventEmissions?: string;
  effectiveDate?: string;
}

/** The certificate's content; its canonical JSON is what contentHash is the SHA-256 of. */
export interface RetirementCertificate {
  certificateNo: string;
  project: string;
  projectName: string;
  standard: CarbonStandard;
  externalId: string | null;
  vintage: string;
  vintageStart: string;
  vintageEnd: string;
  quantity: string;
  serialBlocks: string[];
  retiringParty: string;
  retiringPartyName: string;
  beneficiaryName: string;
  publishBeneficiary: boolean;
  purpose: RetirementPurpose;
  eventName: string | null;
  eventEmissions: string | null;
  retiredOn: string;
}

export interface RetirementView extends RetirementCertificate {
  id: string;
  contentHash: string;
  verificationCode: string;
  entryId: string;
}

/** What the public may learn from a certificate number and its code: no beneficiary unless published. */
export interface RetirementVerification {
  valid: boolean;
  /** The stored content still hashes to the stored SHA-256. */
  intact: boolean;
  certificate: (Omit<RetirementCertificate, 'beneficiaryName' | 'retiringPartyName' | 'retiringParty'> & { beneficiaryName: string | null; contentHash: string }) | null;
}

export interface VintageBalance {
  issuanceId: string;
  vintage: string;
  issued: string;
  held: string;
  reserved: string;
  retired: string;
  buffer: string;
  cancelled: string;
  ok: boolean;
}

export interface CarbonInvariantReport {
  project: string;
  ok: boolean;
  vintages: VintageBalance[];
  /** Disagreements between the serial blocks and the ledger accounts; empty when sound. */
  ledgerMismatches: string[];
}

/** The public registry of a project: what was issued and retired, without personal data the beneficiaries did not allow. */
export interface CarbonRegistryView {
  project: string;
  name: string;
  standard: CarbonStandard;
  externalId: string | null;
  state: CarbonProjectState;
  issuances: Array<{
    vintage: string;
    vintageStart: string;
    vintageEnd: string;
    quantity: string;
    bufferQuantity: string;
    serialBlock: string;
    issuedOn: string;
    verificationReference: string;
  }>;
  retirements: Array<{
    certificateNo: string;
    vintage: string;
    quantity: string;
    serialBlocks: string[];
    purpose: RetirementPurpose;
    beneficiaryName: string | null;
    retiredOn: string;
  }>;
  totals: { issued: string; buffer: string; retired: string };
}
