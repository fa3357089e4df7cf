import { feedHead, OutboxRelay, selectFeed } from '@forest-ledger/platform';
import { LedgerFactory } from '../factories/ledger.factory';
import { eventSchemaProblems, eventSchemaViolations } from '../setup/event-schemas';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let f: LedgerFactory;
let relay: OutboxRelay;
const A = 'party:A:wallet:CNY';
const B = 'party:B:wallet:CNY';
const BANK = 'bank:ICBC-YC:CNY';
const em = () => db.dataSource.manager;

/**
 * Publishes until the feed reaches `seq`: the relay waits for every older transaction of the whole
 * cluster (other test databases' too), so a run may publish nothing for a moment.
 */
async function publishUntil(seq: bigint): Promise<void> {
  for (let i = 0; i < 200 && BigInt(await feedHead(em())) < seq; i++) {
    if ((await relay.drain()) === 0) await new Promise((r) => setTimeout(r, 50));
  }
  expect(BigInt(await feedHead(em()))).toBeGreaterThanOrEqual(seq);
}

beforeAll(async () => {
  f = new LedgerFactory(db.dataSource);
  relay = new OutboxRelay(db.dataSource);
  await f.cnyWorld([A, B]);
});

describe('the outbox and its feed (issue 17)', () => {
  it('writes ledger.entry.posted in the posting transaction, with the hash, postings and previous links', async () => {
    await relay.drain();
    const before = await feedHead(em());
    const first = await f.transfer(BANK, A, '100.00', { effectiveDate: '2026-01-10' });
    const second = await f.transfer(A, B, '30.50', { effectiveDate: '2026-01-11' });
    await publishUntil(BigInt(before) + 2n);
    const events = await selectFeed(em(), { after: before, types: ['ledger.entry.posted'], limit: 10 });
    expect(events.map((e) => e.data.entryId)).toEqual([first.entry.id, second.entry.id]);
    const [, e2] = events;
    expect(e2.type).toBe('ledger.entry.posted');
    expect(e2.version).toBe(1);
    expect(e2.aggregate).toEqual({ type: 'ledger_entry', id: second.entry.id });
    expect(e2.data.hash).toBe(second.entry.hash);
    expect(e2.data.postings).toEqual([
      { account: A, side: 'DEBIT', amount: '30.50' },
      { account: B, side: 'CREDIT', amount: '30.50' },
    ]);
    // A's previous link is the first entry's hash: the chain can be followed from the feed alone.
    expect((e2.data.previous as Record<string, string | null>)[A]).toBe(first.entry.hash);
    expect(BigInt(e2.seq)).toBe(BigInt(events[0].seq) + 1n);
  });

  it('writes no event for a rolled-back change', async () => {
    await relay.drain();
    const before = await feedHead(em());
    await expect(
      db.dataSource.transaction(async (tx) => {
        await f.ledger.post(tx, {
          idempotencyKey: 'rolled-back',
          kind: 'TRANSFER',
          effectiveDate: '2026-01-12',
          postings: [
            { account: A, side: 'DEBIT', amount: '1.00' },
            { account: B, side: 'CREDIT', amount: '1.00' },
          ],
        });
        throw new Error('abort');
      }),
    ).rejects.toThrow('abort');
    await relay.drain();
    expect(await feedHead(em())).toBe(before);
  });

  it('never lets a consumer paging by sequence miss a late committer (a transaction held open)', async () => {
    await relay.drain();
    const start = await feedHead(em());
    // A transaction that writes first and commits last.
    const runner = db.dataSource.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
    const late = await f.ledger.post(runner.manager, {
      idempotencyKey: 'late-committer',
      kind: 'TRANSFER',
      effectiveDate: '2026-02-01',
      postings: [
        { account: B, side: 'DEBIT', amount: '0.01' },
        { account: A, side: 'CREDIT', amount: '0.01' },
      ],
    });
    // Concurrent writers on other accounts commit meanwhile.
    await f.account('party:C:wallet:CNY', 'CNY', 'LIABILITY');
    const others = await Promise.all([1, 2, 3, 4].map((i) => f.transfer(BANK, 'party:C:wallet:CNY', `${i}.00`, { effectiveDate: '2026-02-02' })));
    const seen: string[] = [];
    let cursor = start;
    const consume = async () => {
      for (;;) {
        const page = await selectFeed(em(), { after: cursor, limit: 2 });
        if (page.length === 0) return;
        for (const e of page) {
          expect(BigInt(e.seq)).toBe(BigInt(cursor) + 1n); // gapless
          seen.push(String(e.data.entryId));
          cursor = e.seq;
        }
      }
    };
    // While the early writer is open, nothing after it is published: the consumer sees nothing yet.
    await relay.drain();
    await consume();
    expect(seen).toEqual([]);
    // Another relay cannot run at the same time (advisory lock).
    await db.dataSource.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(1795520017)');
      expect(await relay.publishOnce()).toBe(0);
    });
    await runner.commitTransaction();
    await runner.release();
    await publishUntil(BigInt(start) + 5n);
    await consume();
    expect(seen.sort()).toEqual([late.entry.id, ...others.map((o) => o.entry.id)].sort());
    expect(await relay.publishOnce()).toBe(0);
  });

  it('checks every event against its declared schema (what each test file’s teardown runs): the ledger’s pass, a forged one is named', async () => {
    expect(await eventSchemaViolations(db.dataSource)).toEqual([]);
    const [event] = await selectFeed(em(), { after: '0', types: ['ledger.entry.posted'], limit: 1 });
    expect(eventSchemaProblems({ ...event })).toEqual([]);
    expect(eventSchemaProblems({ ...event, data: { ...event.data, postings: [{ account: A, side: 'DEBIT', amount: 1 }] } })).toEqual([
      expect.stringContaining('ledger.entry.posted/data/postings/0/amount must be string'),
    ]);
    expect(eventSchemaProblems({ ...event, data: { ...event.data, name: '张三' } })[0]).toContain('must NOT have additional properties');
    expect(eventSchemaProblems({ ...event, type: 'nope' })).toEqual(['unknown event type nope']);
  });

  it('pages in numeric sequence order past 9, 99 … (not the text order of the sequence)', async () => {
    await relay.drain();
    const start = await feedHead(em());
    for (let i = 0; i < 12; i++) await f.transfer(BANK, A, '1.00', { effectiveDate: '2026-03-01' });
    await publishUntil(BigInt(start) + 12n);
    const page = await selectFeed(em(), { after: '0', limit: 500 });
    const seqs = page.map((e) => BigInt(e.seq));
    expect(seqs.length).toBeGreaterThanOrEqual(12);
    expect(seqs).toEqual(seqs.map((_, i) => BigInt(i + 1)));
  });
});
