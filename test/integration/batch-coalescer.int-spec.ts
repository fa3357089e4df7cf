import fc from 'fast-check';
import { BatchCoalescer } from '../../apps/api/src/ledger/batch-coalescer';
import { IdempotencyService, scopedKey } from '@forest-ledger/platform';
import type { EntryDraft } from '@forest-ledger/ledger';
import { LedgerFactory } from '../factories/ledger.factory';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let f: LedgerFactory;
let coalescer: BatchCoalescer;
const BANK = 'bank:ICBC-YC:CNY';
const A = 'party:A:wallet:CNY';
const B = 'party:B:wallet:CNY';
const C = 'party:C:wallet:CNY';

beforeAll(async () => {
  f = new LedgerFactory(db.dataSource);
  coalescer = new BatchCoalescer(db.dataSource, f.ledger, new IdempotencyService(db.dataSource));
  await f.cnyWorld([A, B, C]);
  await f.transfer(BANK, A, '100.00');
});

/** Submits a batch as the API does: entry keys `${scopedKey}#${i}`. */
function submit(key: string, transfers: Array<[string, string, string]>, fingerprint = `fp-${key}`, principal = 'user:1') {
  const id = { principal, key };
  const drafts: EntryDraft[] = transfers.map(([from, to, amount], i) =>
    f.draft(
      [
        [from, 'DEBIT', amount],
        [to, 'CREDIT', amount],
      ],
      { key: `${scopedKey(id)}#${i}` },
    ),
  );
  return coalescer.submit(id, drafts, fingerprint);
}

const count = async (table: string) => (await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;
const balance = async (code: string) => (await f.ledger.getAccount(code)).balance;

describe('BatchCoalescer (group commit of batches)', () => {
  it('commits concurrent batches together, each all or nothing, answered with the balances just after itself', async () => {
    const entriesBefore = await count('ledger_entries');
    const settled = await Promise.allSettled([
      // Commits alone; the batches after it arrive while it is in flight and share the next commit.
      submit('b-0', [[BANK, C, '1.00']]),
      submit('b-1', [
        [A, B, '10.00'],
        [B, C, '4.00'],
      ]),
      // Its second entry overdraws A: the whole batch is refused, its first entry included.
      submit('b-2', [
        [A, C, '30.00'],
        [A, C, '80.00'],
      ]),
      // Planned as if b-2 had not come: A has 90.00 here.
      submit('b-3', [[A, C, '90.00']]),
      submit('b-1', [
        [A, B, '10.00'],
        [B, C, '4.00'],
      ]),
      submit('b-1', [[A, B, '99.00']], 'fp-other'),
      submit('b-4', [[B, C, '1.00']]),
    ]);
    const [, b1, b2, b3, b1again, b1other, b4] = settled;
    expect(b1).toMatchObject({ status: 'fulfilled', value: { status: 201, replayed: false } });
    if (b1.status !== 'fulfilled') return;
    expect(b1.value.body.entries.map((e) => e.idempotencyKey)).toEqual(['user:1/b-1#0', 'user:1/b-1#1']);
    // b-1's answer: its accounts just after b-1, whatever the batches after it in the same commit did (b-3 empties A).
    expect(b1.value.body.balances).toEqual(
      expect.arrayContaining([
        { account: A, asset: 'CNY', debits: '10.00', credits: '100.00', balance: '90.00' },
        { account: B, asset: 'CNY', debits: '4.00', credits: '10.00', balance: '6.00' },
      ]),
    );
    expect(b2).toMatchObject({ status: 'rejected', reason: { code: 'INSUFFICIENT_FUNDS', field: 'entries[1].postings' } });
    expect(b3).toMatchObject({
      status: 'fulfilled',
      value: { replayed: false, body: { balances: expect.arrayContaining([expect.objectContaining({ account: A, balance: '0.00' })]) } },
    });
    expect(b1again).toMatchObject({ status: 'fulfilled', value: { replayed: true } });
    if (b1again.status === 'fulfilled') expect(b1again.value.body).toEqual(b1.value.body);
    expect(b1other).toMatchObject({ status: 'rejected', reason: { code: 'IDEMPOTENCY_CONFLICT' } });
    expect(b4).toMatchObject({ status: 'fulfilled', value: { replayed: false } });
    expect(await count('ledger_entries')).toBe(entriesBefore + 1 + 2 + 1 + 1);
    expect([await balance(A), await balance(B), await balance(C)]).toEqual(['0.00', '5.00', '96.00']);
    // A refused batch stores nothing: its key is free again.
    const keys = (await db.dataSource.query(`SELECT key FROM idempotency_requests ORDER BY key`)).map((r: { key: string }) => r.key);
    expect(keys).toEqual(['b-0', 'b-1', 'b-3', 'b-4']);
    expect(await f.verifier.verify()).toMatchObject({ ok: true });
  });

  it('refuses a malformed batch alone, naming the field, and commits the batches beside it', async () => {
    await f.transfer(BANK, A, '5.00');
    const id = { principal: 'user:1', key: 'dup-keys' };
    const twice = f.draft(
      [
        [A, 'DEBIT', '1.00'],
        [B, 'CREDIT', '1.00'],
      ],
      { key: `${scopedKey(id)}#0` },
    );
    const [dup, ok] = await Promise.allSettled([coalescer.submit(id, [twice, twice], 'fp-dup'), submit('beside', [[A, B, '2.00']])]);
    expect(dup).toMatchObject({ status: 'rejected', reason: { code: 'INVALID_ENTRY', field: 'entries' } });
    expect(ok).toMatchObject({ status: 'fulfilled', value: { replayed: false } });
    expect(await balance(A)).toBe('3.00');
  });

  it('isolates a batch that fails in the database: the others are retried alone and commit', async () => {
    const good = submit('iso-1', [[A, B, '1.00']]);
    const id = { principal: 'user:1', key: 'iso-2' };
    // PostgreSQL cannot store a NUL character in jsonb: this fails the shared transaction.
    const bad = coalescer.submit(
      id,
      [
        {
          ...f.draft(
            [
              [A, 'DEBIT', '1.00'],
              [B, 'CREDIT', '1.00'],
            ],
            { key: `${scopedKey(id)}#0` },
          ),
          metadata: { note: 'a\u0000b' },
        },
      ],
      'fp-iso-2',
    );
    const good2 = submit('iso-3', [[A, C, '2.00']]);
    const [r1, r2, r3] = await Promise.allSettled([good, bad, good2]);
    expect([r1.status, r2.status, r3.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await balance(A)).toBe('0.00');
  });

  it('leaves every account as the batches accepted one after another would, whichever are refused (property)', async () => {
    const wallets = ['party:P0:wallet:CNY', 'party:P1:wallet:CNY', 'party:P2:wallet:CNY'];
    for (const w of wallets) await f.account(w, 'CNY', 'LIABILITY', { noOverdraft: true, ownerRef: `party:${w.split(':')[1]}` });
    for (const w of wallets) await f.transfer(BANK, w, '20.00');
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(fc.tuple(fc.nat(2), fc.nat(2), fc.integer({ min: 1, max: 900 })), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 8 }),
        async (batches) => {
          round += 1;
          const before = await Promise.all(wallets.map(async (w) => Number((await balance(w)).replace('.', ''))));
          const results = await Promise.allSettled(
            batches.map((transfers, b) =>
              submit(
                `prop-${round}-${b}`,
                transfers.map(([from, to, cents]) => [wallets[from], wallets[to === from ? (to + 1) % 3 : to], (cents / 100).toFixed(2)]),
              ),
            ),
          );
          // The model: the batches in submission order, each applied whole if no wallet goes below zero along the way.
          const model = [...before];
          batches.forEach((transfers, b) => {
            const next = [...model];
            const ok = transfers.every(([from, to, cents]) => {
              next[from] -= cents;
              next[to === from ? (to + 1) % 3 : to] += cents;
              return next[from] >= 0;
            });
            expect(results[b].status).toBe(ok ? 'fulfilled' : 'rejected');
            if (ok) model.splice(0, 3, ...next);
          });
          const after = await Promise.all(wallets.map(async (w) => Number((await balance(w)).replace('.', ''))));
          expect(after).toEqual(model);
        },
      ),
      { numRuns: 25 },
    );
    expect(await f.verifier.verify()).toMatchObject({ ok: true });
  });
});
