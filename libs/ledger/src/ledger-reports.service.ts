import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { Dec, formatDecimal } from './domain/amount';
import { AccountType, balanceOf, isIsoDate } from './domain/entry';
import { entrySeenBy } from './domain/entry-scope';
import { LedgerError } from './domain/errors';
import { decodeCursor, encodeCursor } from './cursor';
import * as reports from './ledger-reports.store';
import * as store from './ledger.store';
import type { BalanceView, EntryFilter, SeenEntryView, StatementView, TrialBalanceView, Visibility } from './ledger.types';

/** What readAccount answers for an account unknown or not the caller's (the same for both). */
const unknownAccount = (code: string) => new LedgerError('UNKNOWN_ACCOUNT', `no account with code ${JSON.stringify(code)}`, 'account');

/**
 * The ledger's reports: entries (one, or a keyset page), balance as of an effective date, a register's
 * balances as of a date, statements with running balances, the trial balance. Reads only; each runs
 * in `em` when given, else outside a transaction.
 */
@Injectable()
export class LedgerReportsService {
  /** Asset scales never change once created, so they are cached for the process. */
  private readonly scales = new Map<string, number>();

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  private async scaleOf(asset: string, em: EntityManager = this.dataSource.manager): Promise<number> {
    const cached = this.scales.get(asset);
    if (cached !== undefined) return cached;
    const { scale } = await store.readAsset(em, asset);
    this.scales.set(asset, scale);
    return scale;
  }

  // ---------------------------------------------------------------- entries

  /** An entry as the caller may see it (entrySeenBy): with visibility, one touching none of their accounts is a 404. */
  async getEntry(id: string, em: EntityManager = this.dataSource.manager, visibility: Visibility = null): Promise<SeenEntryView> {
    const [row] = await store.readEntryRows(em, [id]);
    const postings = await store.selectPostings(em, [id]);
    const seen = entrySeenBy(visibility, store.ownedEntryView(row, postings.get(id) ?? []));
    if (!seen) throw new LedgerError('UNKNOWN_ENTRY', `no entry with id ${id}`, 'entryId');
    return seen;
  }

  /** Entries newest first, optionally those touching an account and within effective dates; keyset on id. */
  async listEntries(filter: EntryFilter): Promise<{ items: SeenEntryView[]; nextCursor: string | null }> {
    const em = this.dataSource.manager;
    const limit = Math.min(filter.limit ?? 50, 200);
    const account = filter.account !== undefined ? await store.readAccount(em, filter.account, filter.visibility ?? null) : undefined;
    const rows = await store.selectEntryPage(em, {
      ownerRefs: filter.visibility ? filter.visibility.ownerRefs : undefined,
      accountId: account?.id,
      from: filter.from,
      to: filter.to,
      beforeId: filter.after !== undefined ? decodeCursor(filter.after, ['id'], 'after')[0] : undefined,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const postings = await store.selectPostings(
      em,
      page.map((r) => r.id),
    );
    // The filter above admits only entries touching the scope, so entrySeenBy never drops one here.
    const items = page.flatMap((r) => entrySeenBy(filter.visibility ?? null, store.ownedEntryView(r, postings.get(r.id) ?? [])) ?? []);
    return { items, nextCursor: rows.length > limit ? encodeCursor([page[page.length - 1].id]) : null };
  }

  // ---------------------------------------------------------------- balances

  /** Balance from the postings with an effective date on or before `date` (backdated entries included). */
  async balanceAsOf(code: string, date: string, em: EntityManager = this.dataSource.manager, visibility: Visibility = null): Promise<BalanceView & { asOf: string }> {
    if (!isIsoDate(date)) throw new LedgerError('INVALID_ENTRY', 'date must be a calendar date YYYY-MM-DD', 'date');
    const row = await reports.selectAccountTotalsAsOf(em, code, date, visibility?.ownerRefs ?? null);
    if (!row) throw unknownAccount(code);
    const state = { normalSide: row.normal_side, debits: new Dec(row.debits), credits: new Dec(row.credits) };
    return {
      asOf: date,
      account: row.code,
      asset: row.asset_code,
      debits: formatDecimal(state.debits, row.scale),
      credits: formatDecimal(state.credits, row.scale),
      balance: formatDecimal(balanceOf(state), row.scale),
    };
  }

  /**
   * The non-zero balances of every account of `asset` of the given type, from postings effective on
   * or before `date` (one scan of the asset's postings; a register or a record date reads this).
   */
  async balancesOfAssetAsOf(
    asset: string,
    type: AccountType,
    date: string,
    em: EntityManager = this.dataSource.manager,
  ): Promise<Array<{ account: string; accountId: string; ownerRef: string | null; balance: string }>> {
    if (!isIsoDate(date)) throw new LedgerError('INVALID_ENTRY', 'date must be a calendar date YYYY-MM-DD', 'date');
    const scale = await this.scaleOf(asset, em);
    const rows = await reports.selectAssetNetsAsOf(em, asset, type, date);
    return rows
      .map((r) => ({ account: r.code, accountId: r.id, ownerRef: r.owner_ref, balance: r.normal_side === 'DEBIT' ? new Dec(r.net) : new Dec(r.net).negated() }))
      .filter((r) => !r.balance.isZero())
      .map((r) => ({ account: r.account, accountId: r.accountId, ownerRef: r.ownerRef, balance: formatDecimal(r.balance, scale) }));
  }

  // ---------------------------------------------------------------- statements

  /** Statement over [from, to] by effective date, with opening, running and closing balances; keyset-paginated. */
  async statement(code: string, range: { from: string; to: string; limit?: number; cursor?: string }, visibility: Visibility = null): Promise<StatementView> {
    for (const f of ['from', 'to'] as const) if (!isIsoDate(range[f])) throw new LedgerError('INVALID_ENTRY', `${f} must be a calendar date YYYY-MM-DD`, f);
    if (range.from > range.to) throw new LedgerError('INVALID_ENTRY', 'from must not be after to', 'from');
    const limit = Math.min(range.limit ?? 100, 500);
    // Position after which this page starts: (date, posting id); the first page starts before `from`.
    const [afterDate, afterId] = range.cursor ? decodeCursor(range.cursor, ['date', 'id'], 'cursor') : [null, null];
    // The account, its opening and closing figures and the page in one statement; no row: unknown, or not the caller's.
    const rows = await reports.selectStatementRows(this.dataSource.manager, {
      code,
      ownerRefs: visibility?.ownerRefs ?? null,
      from: range.from,
      to: range.to,
      afterDate,
      afterId,
      limit: limit + 1,
    });
    if (rows.length === 0) throw unknownAccount(code);
    const { asset_code: asset, scale } = rows[0];
    const sign = rows[0].normal_side === 'DEBIT' ? 1 : -1;
    const lines = rows.filter((r) => r.id !== null);
    const page = lines.slice(0, limit);
    const normal = (net: string) => formatDecimal(new Dec(net).times(sign), scale);
    const memoOf = await this.memosSeenBy(
      visibility,
      page.map((r) => ({ entryId: r.entry_id, memo: r.memo })),
    );
    return {
      account: code,
      asset,
      from: range.from,
      to: range.to,
      openingBalance: normal(rows[0].opening),
      closingBalance: normal(rows[0].closing),
      lines: page.map((r) => ({
        postingId: r.id!,
        entryId: r.entry_id,
        kind: r.kind,
        memo: memoOf(r.entry_id),
        effectiveDate: r.effective_date,
        side: r.side,
        amount: formatDecimal(r.amount, scale),
        runningBalance: normal(r.running),
      })),
      nextCursor: lines.length > limit ? encodeCursor([page[page.length - 1].effective_date, page[page.length - 1].id!]) : null,
    };
  }

  /** The memo of each entry as `visibility` may see it (entrySeenBy): withheld where another party's postings were left out. */
  private async memosSeenBy(visibility: Visibility, lines: Array<{ entryId: string; memo: string | null }>): Promise<(entryId: string) => string | null> {
    const memos = new Map(lines.map((l) => [l.entryId, l.memo]));
    if (visibility === null) return (id) => memos.get(id) ?? null;
    const postings = await store.selectPostings(this.dataSource.manager, [...memos.keys()]);
    const seen = new Map(
      [...memos].map(([id, memo]) => {
        const owned = (postings.get(id) ?? []).map((p) => ({ account: p.code, asset: p.asset_code, side: p.side, amount: p.amount, ownerRef: p.owner_ref }));
        return [id, entrySeenBy(visibility, { idempotencyKey: null, memo, metadata: {}, hash: null, postings: owned })?.memo ?? null];
      }),
    );
    return (id) => seen.get(id) ?? null;
  }

  // ---------------------------------------------------------------- trial balance

  /**
   * Trial balance per asset: the net debit balances and net credit balances over all accounts must
   * be equal. Current figures come from the cached totals; `asOf` recomputes from the postings.
   */
  async trialBalance(options: { asOf?: string; byOwner?: boolean } = {}, em: EntityManager = this.dataSource.manager): Promise<TrialBalanceView> {
    if (options.asOf !== undefined && !isIsoDate(options.asOf)) throw new LedgerError('INVALID_ENTRY', 'asOf must be a calendar date YYYY-MM-DD', 'asOf');
    const asOf = options.asOf ?? null;
    // As of a date the query sums up to ~1 M period rows per account: PostgreSQL's parallel plan of it halves nothing on a
    // small machine and doubles the time when two such reports run at once (10 M postings, two clients, 2 cores: median
    // 1.53 s parallel, 0.77 s serial). Local to the report's transaction (the controller's); outside one it is not set.
    if (asOf !== null && em.queryRunner?.isTransactionActive) await em.query('SET LOCAL max_parallel_workers_per_gather = 0');
    const assets = await reports.selectTrialBalanceAssets(em, asOf);
    const view: TrialBalanceView = {
      asOf,
      assets: assets.map((a) => ({
        asset: a.asset,
        accounts: a.accounts,
        debitBalances: formatDecimal(a.debit_balances, a.scale),
        creditBalances: formatDecimal(a.credit_balances, a.scale),
        balanced: new Dec(a.debit_balances).equals(a.credit_balances),
      })),
    };
    if (options.byOwner) {
      const owners = await reports.selectTrialBalanceOwners(em, asOf);
      view.owners = owners.map((o) => ({
        ownerRef: o.owner_ref,
        asset: o.asset,
        debits: formatDecimal(o.debits, o.scale),
        credits: formatDecimal(o.credits, o.scale),
        net: formatDecimal(new Dec(o.debits).minus(o.credits), o.scale),
      }));
    }
    return view;
  }
}
