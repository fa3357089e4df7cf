import type { AccountType, EntryDraft, Side } from './domain/entry';
import type { OwnedPosting, ReadScope, SeenEntry } from './domain/entry-scope';

export interface AssetView {
  code: string;
  scale: number;
  description: string;
}

export interface OpenAccountInput {
  code: string;
  asset: string;
  type: AccountType;
  ownerRef?: string | null;
  noOverdraft?: boolean;
  metadata?: Record<string, unknown>;
}

export interface BalanceView {
  account: string;
  asset: string;
  debits: string;
  credits: string;
  /** Normal-side balance: debits − credits for debit-normal accounts, credits − debits otherwise. */
  balance: string;
}

export interface AccountView extends BalanceView {
  id: string;
  code: string;
  type: AccountType;
  normalSide: Side;
  ownerRef: string | null;
  noOverdraft: boolean;
  frozen: boolean;
  closedAt: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
}

export interface PostingView {
  account: string;
  asset: string;
  side: Side;
  amount: string;
}

export interface EntryView {
  id: string;
  idempotencyKey: string;
  kind: string;
  effectiveDate: string;
  bookedAt: string;
  memo: string | null;
  metadata: Record<string, unknown>;
  reversesEntryId: string | null;
  reversedByEntryId: string | null;
  hash: string;
  postings: PostingView[];
}

export interface PostResult {
  entry: EntryView;
  /** Balances of every account the entry touched, right after it (or now, for a replay). */
  balances: BalanceView[];
  replayed: boolean;
}

export interface BatchResult {
  entries: EntryView[];
  balances: BalanceView[];
  replayed: boolean;
}

export interface ReverseInput {
  idempotencyKey: string;
  effectiveDate?: string;
  memo?: string | null;
  /** As EntryDraft.refusedAssetPrefixes: a raw reversal may not move units a feature keeps a register of. */
  refusedAssetPrefixes?: readonly string[];
}

/** What a caller may read: null for everything, else accounts owned by these references (party:<code>). */
export type Visibility = ReadScope;

/** An entry as a reader of `GET /v1/entries` sees it: see entrySeenBy (only its own postings for a scoped reader). */
export type SeenEntryView = SeenEntry<Omit<EntryView, 'postings'> & { postings: OwnedPosting[] }>;

export interface AccountFilter {
  visibility?: Visibility;
  ownerRef?: string;
  asset?: string;
  codePrefix?: string;
  limit?: number;
  after?: string;
}

export interface EntryFilter {
  visibility?: Visibility;
  account?: string;
  from?: string;
  to?: string;
  limit?: number;
  after?: string;
}

export interface StatementLine {
  postingId: string;
  entryId: string;
  kind: string;
  memo: string | null;
  effectiveDate: string;
  side: Side;
  amount: string;
  runningBalance: string;
}

export interface StatementView {
  account: string;
  asset: string;
  from: string;
  to: string;
  openingBalance: string;
  closingBalance: string;
  lines: StatementLine[];
  nextCursor: string | null;
}

export interface TrialBalanceAsset {
  asset: string;
  accounts: number;
  /** Sum of net debit balances and of net credit balances; equal in a sound ledger. */
  debitBalances: string;
  creditBalances: string;
  balanced: boolean;
}

export interface TrialBalanceOwnerLine {
  ownerRef: string | null;
  asset: string;
  debits: string;
  credits: string;
  /** Signed debits − credits over the owner's accounts of this asset. */
  net: string;
}

export interface TrialBalanceView {
  asOf: string | null;
  assets: TrialBalanceAsset[];
  owners?: TrialBalanceOwnerLine[];
}

export interface ChainReport {
  ok: boolean;
  entriesChecked: number;
  accountsChecked: number;
  firstBrokenEntryId: string | null;
  brokenAccount: string | null;
  reason: string | null;
}

export type { EntryDraft };
