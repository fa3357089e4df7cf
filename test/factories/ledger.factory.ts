import { AccountType, ChainVerifier, EntryDraft, LedgerReportsService, LedgerService, Side } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform/database/transaction';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';

/** Builders for ledger fixtures; each call runs in its own transaction like a real use case. */
export class LedgerFactory {
  readonly ledger: LedgerService;
  readonly reports: LedgerReportsService;
  readonly verifier: ChainVerifier;

  constructor(readonly dataSource: DataSource) {
    this.reports = new LedgerReportsService(dataSource);
    this.ledger = new LedgerService(dataSource, this.reports);
    this.verifier = new ChainVerifier(dataSource);
  }

  asset(code: string, scale: number) {
    return inTransaction(this.dataSource, (em) => this.ledger.createAsset(em, { code, scale }));
  }

  account(code: string, asset: string, type: AccountType, options: { noOverdraft?: boolean; ownerRef?: string } = {}) {
    return inTransaction(this.dataSource, (em) => this.ledger.openAccount(em, { code, asset, type, ...options }));
  }

  /** A two-posting transfer: debit `from`, credit `to`. */
  transfer(from: string, to: string, amount: string, options: { key?: string; effectiveDate?: string; kind?: string } = {}) {
    return this.post(
      this.draft(
        [
          [from, 'DEBIT', amount],
          [to, 'CREDIT', amount],
        ],
        options,
      ),
    );
  }

  post(draft: EntryDraft) {
    return inTransaction(this.dataSource, (em) => this.ledger.post(em, draft));
  }

  draft(postings: Array<[string, Side, string]>, options: { key?: string; effectiveDate?: string; kind?: string; memo?: string } = {}): EntryDraft {
    return {
      idempotencyKey: options.key ?? randomUUID(),
      kind: options.kind ?? 'TRANSFER',
      effectiveDate: options.effectiveDate ?? '2026-01-15',
      memo: options.memo,
      postings: postings.map(([account, side, amount]) => ({ account, side, amount })),
    };
  }

  /** CNY asset, a bank account (debit-normal) and `n` no-overdraft party wallets (credit-normal). */
  async cnyWorld(wallets: string[]): Promise<void> {
    await this.asset('CNY', 2);
    await this.account('bank:ICBC-YC:CNY', 'CNY', 'ASSET');
    for (const w of wallets) await this.account(w, 'CNY', 'LIABILITY', { noOverdraft: true, ownerRef: `party:${w.split(':')[1]}` });
  }
}
