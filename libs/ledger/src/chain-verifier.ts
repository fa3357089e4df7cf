import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { entryHash } from './domain/hash';
import { selectAccountChecks } from './ledger-checks.store';
import * as store from './ledger.store';
import type { ChainReport } from './ledger.types';

/**
 * Tamper evidence: recomputes every entry's hash in id order, chaining per account, and compares the
 * final chain heads and the cached totals with the accounts. Reports the first broken link.
 */
@Injectable()
export class ChainVerifier {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Checks the whole chain in one read-only REPEATABLE READ snapshot: read outside one, an entry committed
   * between the entry pages and the account heads looked like a broken chain (seen in the nightly job).
   */
  async verify(pageSize = 5000): Promise<ChainReport> {
    return this.dataSource.transaction('REPEATABLE READ', async (em) => {
      await em.query('SET TRANSACTION READ ONLY');
      return this.verifyIn(em, pageSize);
    });
  }

  private async verifyIn(em: EntityManager, pageSize: number): Promise<ChainReport> {
    const heads = new Map<string, string | null>();
    let checked = 0;
    let after = '0';
    const broken = (entryId: string | null, account: string | null, reason: string, accountsChecked = 0): ChainReport => ({
      ok: false,
      entriesChecked: checked,
      accountsChecked,
      firstBrokenEntryId: entryId,
      brokenAccount: account,
      reason,
    });
    for (;;) {
      const rows = await store.selectEntriesAfter(em, after, pageSize);
      if (rows.length === 0) break;
      const postings = await store.selectPostings(
        em,
        rows.map((r) => r.id),
      );
      for (const row of rows) {
        const ps = postings.get(row.id) ?? [];
        const view = store.entryView(row, ps);
        const codes = [...new Set(ps.map((p) => p.code))];
        const previous = new Map(codes.map((c) => [c, heads.get(c) ?? null]));
        const hash = entryHash(
          {
            idempotencyKey: view.idempotencyKey,
            kind: view.kind,
            effectiveDate: view.effectiveDate,
            bookedAt: view.bookedAt,
            memo: view.memo,
            metadata: view.metadata,
            reversesEntryId: view.reversesEntryId,
            postings: view.postings,
          },
          previous,
        );
        if (hash !== row.hash) return broken(row.id, null, `entry ${row.id}: stored hash does not match its content and its accounts' previous links`);
        for (const c of codes) heads.set(c, hash);
        checked += 1;
      }
      after = rows[rows.length - 1].id;
    }
    const accounts = await selectAccountChecks(em);
    for (const a of accounts) {
      if ((heads.get(a.code) ?? null) !== a.head_hash)
        return broken(null, a.code, `account ${a.code}: chain head does not match its last entry (an entry was removed or altered)`, accounts.length);
      if (!a.totals_ok) return broken(null, a.code, `account ${a.code}: cached totals differ from the sum of its postings`, accounts.length);
      if (!a.days_ok) return broken(null, a.code, `account ${a.code}: day totals differ from its postings summed per day`, accounts.length);
      if (!a.periods_ok) return broken(null, a.code, `account ${a.code}: month or year totals differ from its postings summed per month and per year`, accounts.length);
    }
    return { ok: true, entriesChecked: checked, accountsChecked: accounts.length, firstBrokenEntryId: null, brokenAccount: null, reason: null };
  }
}
