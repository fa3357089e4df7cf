import { LedgerError } from '@forest-ledger/ledger';
import { PostCoalescer } from '../../apps/api/src/ledger/post-coalescer';
import { IdempotencyService, scopedKey } from '@forest-ledger/platform';
import type { EntryDraft } from '@forest-ledger/ledger';
import { LedgerFactory } from '../factories/ledger.factory';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let f: LedgerFactory;
let coalescer: PostCoalescer;
const BANK = 'bank:ICBC-YC:CNY';
const A = 'party:A:wallet:CNY';
const B = 'party:B:wallet:CNY';

beforeAll(async () => {
  f = new LedgerFactory(db.dataSource);
  coalescer = new PostCoalescer(db.dataSource, f.ledger, new IdempotencyService(db.dataSource));
  await f.cnyWorld([A, B]);
  await f.transfer(BANK, A, '100.00');
});

/** Submits as the API does: the draft's key scoped to the caller. */
function submit(draft: EntryDraft, fingerprint: string, principal = 'user:1') {
  const id = { principal, key: draft.idempotencyKey };
  return coalescer.submit(id, { ...draft, idempotencyKey: scopedKey(id) }, fingerprint);
}

const count = async (table: string) => (await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n as number;

describe('PostCoalescer (group commit)', () => {
  it('commits concurrent submissions together, each with its own outcome and idempotency', async () => {
    const entriesBefore = await count('ledger_entries');
    const ok = (key: string, amount: string) =>
      submit(
        f.draft(
          [
            [A, 'DEBIT', amount],
            [B, 'CREDIT', amount],
          ],
          { key },
        ),
        `fp-${key}-${amount}`,
      );
    const settled = await Promise.allSettled([
      ok('k-1', '10.00'),
      ok('k-2', '500.00'), // overdraws A: refused alone
      ok('k-3', '20.00'),
      ok('k-1', '10.00'), // same key, same request: the first answer, replayed
      ok('k-1', '99.00'), // same key, another request: conflict
      ok('k-4', '70.00'), // fits: 100 - 10 - 20 - 70 = 0
      ok('k-5', '0.01'), // A is empty now
    ]);
    const [k1, k2, k3, k1again, k1other, k4, k5] = settled;
    expect(k1).toMatchObject({ status: 'fulfilled', value: { status: 201, replayed: false } });
    expect(k2).toMatchObject({ status: 'rejected', reason: { code: 'INSUFFICIENT_FUNDS' } });
    expect(k3).toMatchObject({ status: 'fulfilled', value: { replayed: false } });
    expect(k1again).toMatchObject({ status: 'fulfilled', value: { replayed: true } });
    if (k1.status === 'fulfilled' && k1again.status === 'fulfilled') expect(k1again.value.body).toEqual(k1.value.body);
    expect(k1other).toMatchObject({ status: 'rejected', reason: { code: 'IDEMPOTENCY_CONFLICT' } });
    expect(k4).toMatchObject({
      status: 'fulfilled',
      value: { body: { balances: expect.arrayContaining([{ account: A, asset: 'CNY', debits: '100.00', credits: '100.00', balance: '0.00' }]) } },
    });
    expect(k5.status === 'rejected' && k5.reason instanceof LedgerError && k5.reason.code).toBe('INSUFFICIENT_FUNDS');
    expect(await count('ledger_entries')).toBe(entriesBefore + 3);
    // Failed commands store nothing: their keys are free again.
    const keys = (await db.dataSource.query(`SELECT key FROM idempotency_requests ORDER BY key`)).map((r: { key: string }) => r.key);
    expect(keys).toEqual(['k-1', 'k-3', 'k-4']);
  });

  it('replays a key answered by an earlier commit, and refuses it with another body', async () => {
    await expect(
      submit(
        f.draft(
          [
            [A, 'DEBIT', '10.00'],
            [B, 'CREDIT', '10.00'],
          ],
          { key: 'k-3' },
        ),
        'fp-k-3-20.00',
      ),
    ).resolves.toMatchObject({ replayed: true });
    await expect(
      submit(
        f.draft(
          [
            [A, 'DEBIT', '10.00'],
            [B, 'CREDIT', '10.00'],
          ],
          { key: 'k-3' },
        ),
        'other',
      ),
    ).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('keeps keys per caller: one key from two callers at once is two entries; each replay goes to its own caller', async () => {
    await f.transfer(BANK, A, '3.00');
    const entriesBefore = await count('ledger_entries');
    const transfer = (amount: string) =>
      f.draft(
        [
          [A, 'DEBIT', amount],
          [B, 'CREDIT', amount],
        ],
        { key: 'shared-key' },
      );
    const [one, two] = await Promise.all([submit(transfer('1.00'), 'fp-1', 'user:1'), submit(transfer('2.00'), 'fp-2', 'user:2')]);
    expect([one.replayed, two.replayed]).toEqual([false, false]);
    expect(one.body.entry.idempotencyKey).toBe('user:1/shared-key');
    expect(two.body.entry.idempotencyKey).toBe('user:2/shared-key');
    expect(await count('ledger_entries')).toBe(entriesBefore + 2);
    await expect(submit(transfer('2.00'), 'fp-2', 'user:2')).resolves.toMatchObject({ replayed: true, body: { entry: { id: two.body.entry.id } } });
    await expect(submit(transfer('2.00'), 'fp-2', 'user:1')).rejects.toMatchObject({ code: 'IDEMPOTENCY_CONFLICT' });
  });

  it('isolates a submission that fails in the database: the others are retried alone and commit', async () => {
    await f.transfer(BANK, A, '50.00');
    const good = submit(
      f.draft(
        [
          [A, 'DEBIT', '1.00'],
          [B, 'CREDIT', '1.00'],
        ],
        { key: 'iso-1' },
      ),
      'fp-iso-1',
    );
    // PostgreSQL cannot store a NUL character in jsonb: this fails the shared transaction.
    const bad = submit(
      {
        ...f.draft(
          [
            [A, 'DEBIT', '1.00'],
            [B, 'CREDIT', '1.00'],
          ],
          { key: 'iso-2' },
        ),
        metadata: { note: 'a\u0000b' },
      },
      'fp-iso-2',
    );
    const good2 = submit(
      f.draft(
        [
          [A, 'DEBIT', '2.00'],
          [B, 'CREDIT', '2.00'],
        ],
        { key: 'iso-3' },
      ),
      'fp-iso-3',
    );
    const [r1, r2, r3] = await Promise.allSettled([good, bad, good2]);
    expect(r1.status).toBe('fulfilled');
    expect(r2.status).toBe('rejected');
    expect(r3.status).toBe('fulfilled');
    expect((await f.ledger.getAccount(A)).balance).toBe('47.00');
  });
});
