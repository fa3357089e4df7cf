import { LedgerError } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform/database/transaction';
import { LedgerFactory } from '../factories/ledger.factory';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let f: LedgerFactory;
const A = 'party:A:wallet:CNY';
const B = 'party:B:wallet:CNY';
const BANK = 'bank:ICBC-YC:CNY';

beforeAll(async () => {
  f = new LedgerFactory(db.dataSource);
  await f.cnyWorld([A, B]);
});

async function expectLedgerError(p: Promise<unknown>, code: string) {
  await expect(p).rejects.toBeInstanceOf(LedgerError);
  await expect(p).rejects.toMatchObject({ code });
}

describe('LedgerService', () => {
  it('posts a balanced entry and returns the resulting balances', async () => {
    const r = await f.transfer(BANK, A, '100.00', { kind: 'BANK_RECEIPT' });
    expect(r.replayed).toBe(false);
    expect(r.entry.postings).toEqual([
      { account: BANK, asset: 'CNY', side: 'DEBIT', amount: '100.00' },
      { account: A, asset: 'CNY', side: 'CREDIT', amount: '100.00' },
    ]);
    expect(r.balances.find((b) => b.account === A)?.balance).toBe('100.00');
    expect(r.balances.find((b) => b.account === BANK)?.balance).toBe('100.00');
    expect(r.entry.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('replays the same key and content, refuses the same key with other content', async () => {
    const first = await f.transfer(BANK, A, '5.00', { key: 'replay-1' });
    const again = await f.transfer(BANK, A, '5.0', { key: 'replay-1' });
    expect(again.replayed).toBe(true);
    expect(again.entry.id).toBe(first.entry.id);
    await expectLedgerError(f.transfer(BANK, A, '6.00', { key: 'replay-1' }), 'IDEMPOTENCY_CONFLICT');
    expect((await f.ledger.getAccount(A)).balance).toBe('105.00');
  });

  it('rejects unbalanced, overdrawn, over-scale and frozen postings, writing nothing', async () => {
    const before = await db.dataSource.query(`SELECT count(*)::int AS n FROM ledger_entries`);
    await expectLedgerError(
      f.post(
        f.draft([
          [A, 'DEBIT', '1.00'],
          [B, 'CREDIT', '2.00'],
        ]),
      ),
      'LEDGER_UNBALANCED',
    );
    await expectLedgerError(f.transfer(B, A, '0.01'), 'INSUFFICIENT_FUNDS');
    await expectLedgerError(f.transfer(A, B, '1.005'), 'INVALID_AMOUNT');
    await expectLedgerError(f.transfer(A, B, '0'), 'INVALID_AMOUNT');
    await expectLedgerError(f.transfer(A, 'nope', '1.00'), 'UNKNOWN_ACCOUNT');
    await inTransaction(db.dataSource, (em) => f.ledger.setFrozen(em, B, true));
    await expectLedgerError(f.transfer(A, B, '1.00'), 'ACCOUNT_FROZEN');
    await inTransaction(db.dataSource, (em) => f.ledger.setFrozen(em, B, false));
    const after = await db.dataSource.query(`SELECT count(*)::int AS n FROM ledger_entries`);
    expect(after[0].n).toBe(before[0].n);
  });

  it('refuses an asset mismatch inside one entry as unbalanced per asset', async () => {
    await f.asset('TCO2E', 3);
    await f.account('carbon:C1:issued', 'TCO2E', 'ASSET');
    await expectLedgerError(
      f.post(
        f.draft([
          ['carbon:C1:issued', 'DEBIT', '1.000'],
          [A, 'CREDIT', '1.00'],
        ]),
      ),
      'LEDGER_UNBALANCED',
    );
  });

  it('reverses an entry once; the reversal restores balances', async () => {
    const e = await f.transfer(A, B, '30.00');
    expect((await f.ledger.getAccount(B)).balance).toBe('30.00');
    const rev = await inTransaction(db.dataSource, (em) => f.ledger.reverse(em, e.entry.id, { idempotencyKey: 'rev-1' }));
    expect(rev.entry.reversesEntryId).toBe(e.entry.id);
    expect((await f.ledger.getAccount(B)).balance).toBe('0.00');
    expect((await f.ledger.getEntry(e.entry.id)).reversedByEntryId).toBe(rev.entry.id);
    const replay = await inTransaction(db.dataSource, (em) => f.ledger.reverse(em, e.entry.id, { idempotencyKey: 'rev-1' }));
    expect(replay.replayed).toBe(true);
    await expectLedgerError(
      inTransaction(db.dataSource, (em) => f.ledger.reverse(em, e.entry.id, { idempotencyKey: 'rev-2' })),
      'ALREADY_REVERSED',
    );
  });

  it('refuses a reversal that would overdraw a no-overdraft account', async () => {
    const e = await f.transfer(A, B, '10.00');
    await f.transfer(B, A, '10.00');
    await expectLedgerError(
      inTransaction(db.dataSource, (em) => f.ledger.reverse(em, e.entry.id, { idempotencyKey: 'rev-3' })),
      'INSUFFICIENT_FUNDS',
    );
  });

  it('refuses UPDATE, DELETE and TRUNCATE on entries and postings in the database', async () => {
    await expect(db.dataSource.query(`UPDATE ledger_postings SET amount = 1`)).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query(`DELETE FROM ledger_entries`)).rejects.toThrow(/append-only/);
    await expect(db.dataSource.query(`TRUNCATE ledger_postings CASCADE`)).rejects.toThrow(/append-only/);
  });

  it('posts a batch atomically: one bad entry and nothing is written', async () => {
    const before = (await f.ledger.getAccount(A)).balance;
    const drafts = [
      f.draft([
        [A, 'DEBIT', '1.00'],
        [B, 'CREDIT', '1.00'],
      ]),
      f.draft([
        [B, 'DEBIT', '999.00'],
        [A, 'CREDIT', '999.00'],
      ]),
    ];
    await expectLedgerError(
      inTransaction(db.dataSource, (em) => f.ledger.postBatch(em, drafts)),
      'INSUFFICIENT_FUNDS',
    );
    expect((await f.ledger.getAccount(A)).balance).toBe(before);
    const ok = await inTransaction(db.dataSource, (em) =>
      f.ledger.postBatch(em, [
        drafts[0],
        f.draft([
          [B, 'DEBIT', '1.00'],
          [A, 'CREDIT', '1.00'],
        ]),
      ]),
    );
    expect(ok.entries).toHaveLength(2);
    expect(Number(ok.entries[1].id)).toBeGreaterThan(Number(ok.entries[0].id));
    expect((await f.ledger.getAccount(A)).balance).toBe(before);
  });

  it('posts groups of batches in one transaction, each as postBatch would: posted keys replay, mixed ones conflict', async () => {
    await f.transfer(BANK, A, '10.00');
    const one = f.draft([
      [A, 'DEBIT', '1.00'],
      [B, 'CREDIT', '1.00'],
    ]);
    const first = await inTransaction(db.dataSource, (em) => f.ledger.postBatch(em, [one]));
    const fresh = f.draft([
      [A, 'DEBIT', '2.00'],
      [B, 'CREDIT', '2.00'],
    ]);
    const outcomes = await inTransaction(db.dataSource, (em) =>
      f.ledger.postGroups(em, [[one], [one, fresh].map((d) => ({ ...d, idempotencyKey: `${d.idempotencyKey}-mixed` })), [fresh], []]),
    );
    expect(outcomes[0]).toMatchObject({ ok: true, result: { replayed: true, entries: [{ id: first.entries[0].id }] } });
    expect(outcomes[1]).toMatchObject({ ok: true, result: { replayed: false } });
    expect(outcomes[2]).toMatchObject({ ok: true, result: { replayed: false, entries: [{ idempotencyKey: fresh.idempotencyKey }] } });
    expect(outcomes[3]).toMatchObject({ ok: false, error: { code: 'INVALID_ENTRY', field: 'entries' } });
    const again = await inTransaction(db.dataSource, (em) => f.ledger.postGroups(em, [[fresh, { ...one, idempotencyKey: 'never-posted' }]]));
    expect(again[0]).toMatchObject({ ok: false, error: { code: 'IDEMPOTENCY_CONFLICT' } });
  });

  it('answers balances as of a past effective date, statements with running balances, and a zero trial balance', async () => {
    await f.account('party:C:wallet:CNY', 'CNY', 'LIABILITY', { noOverdraft: true });
    const C = 'party:C:wallet:CNY';
    await f.transfer(BANK, C, '10.00', { effectiveDate: '2025-01-10' });
    await f.transfer(BANK, C, '20.00', { effectiveDate: '2025-03-10' });
    await f.transfer(C, A, '5.00', { effectiveDate: '2025-02-01' }); // booked later, effective earlier
    expect((await f.reports.balanceAsOf(C, '2025-01-31')).balance).toBe('10.00');
    expect((await f.reports.balanceAsOf(C, '2025-02-28')).balance).toBe('5.00');
    expect((await f.reports.balanceAsOf(C, '2024-12-31')).balance).toBe('0.00');
    const page1 = await f.reports.statement(C, { from: '2025-02-01', to: '2025-12-31', limit: 1 });
    expect(page1.openingBalance).toBe('10.00');
    expect(page1.lines.map((l) => [l.side, l.amount, l.runningBalance])).toEqual([['DEBIT', '5.00', '5.00']]);
    expect(page1.closingBalance).toBe('25.00');
    const page2 = await f.reports.statement(C, { from: '2025-02-01', to: '2025-12-31', limit: 1, cursor: page1.nextCursor! });
    expect(page2.lines.map((l) => l.runningBalance)).toEqual(['25.00']);
    expect(page2.nextCursor).toBeNull();
    const tb = await f.reports.trialBalance({ byOwner: true });
    for (const a of tb.assets) expect(a.balanced).toBe(true);
    const past = await f.reports.trialBalance({ asOf: '2025-02-15' });
    expect(past.assets.every((a) => a.balanced)).toBe(true);
  });

  it('closes an account only at zero balance, and a closed account takes no postings', async () => {
    await f.account('party:D:wallet:CNY', 'CNY', 'LIABILITY', { noOverdraft: true });
    await f.transfer(BANK, 'party:D:wallet:CNY', '1.00');
    await expectLedgerError(
      inTransaction(db.dataSource, (em) => f.ledger.closeAccount(em, 'party:D:wallet:CNY')),
      'ACCOUNT_NOT_ZERO',
    );
    await f.transfer('party:D:wallet:CNY', BANK, '1.00');
    const closed = await inTransaction(db.dataSource, (em) => f.ledger.closeAccount(em, 'party:D:wallet:CNY'));
    expect(closed.closedAt).not.toBeNull();
    await expectLedgerError(f.transfer(BANK, 'party:D:wallet:CNY', '1.00'), 'ACCOUNT_CLOSED');
  });

  it('reads many accounts in one query, in the order asked, each as getAccount shows it', async () => {
    const codes = [B, BANK, A, B, 'carbon:C1:issued'];
    const spy = jest.spyOn(db.dataSource.manager, 'query');
    const accounts = await f.ledger.getAccounts(codes);
    const queries = spy.mock.calls.length;
    spy.mockRestore();
    expect(queries).toBe(1);
    expect(accounts.map((a) => a.code)).toEqual(codes);
    for (const [i, code] of codes.entries()) expect(accounts[i]).toEqual(await f.ledger.getAccount(code));
    expect(await f.ledger.getAccounts([])).toEqual([]);
  });

  it('refuses a batch read with UNKNOWN_ACCOUNT naming the first missing or hidden code', async () => {
    await expectLedgerError(f.ledger.getAccounts([A, 'nope:1', 'nope:2']), 'UNKNOWN_ACCOUNT');
    await expect(f.ledger.getAccounts([A, 'nope:1', 'nope:2'])).rejects.toMatchObject({ field: 'account', message: 'no account with code "nope:1"' });
    const visibility = { ownerRefs: ['party:A'] };
    expect((await f.ledger.getAccounts([A, A], db.dataSource.manager, visibility)).map((a) => a.code)).toEqual([A, A]);
    expect(await f.ledger.getAccounts([A], db.dataSource.manager, visibility)).toEqual([await f.ledger.getAccount(A, db.dataSource.manager, visibility)]);
    await expect(f.ledger.getAccounts([A, BANK, B], db.dataSource.manager, visibility)).rejects.toMatchObject({
      code: 'UNKNOWN_ACCOUNT',
      message: `no account with code ${JSON.stringify(BANK)}`,
    });
    await expect(f.ledger.getAccount(BANK, db.dataSource.manager, visibility)).rejects.toMatchObject({ code: 'UNKNOWN_ACCOUNT' });
  });

  it('verifies the chain as one snapshot while entries are being posted: never a false break', async () => {
    let posting = true;
    const writers = (async () => {
      for (let i = 0; i < 40; i += 1) await Promise.all([f.transfer(BANK, A, '1.00'), f.transfer(BANK, B, '1.00'), f.transfer(A, B, '0.01')]);
      posting = false;
    })();
    const reports = [];
    while (posting) reports.push(await f.verifier.verify(2));
    await writers;
    reports.push(await f.verifier.verify(2));
    expect(reports.length).toBeGreaterThan(1);
    expect(reports.filter((r) => !r.ok)).toEqual([]);
  });

  it('verifies the hash chain and finds the first tampered entry', async () => {
    const ok = await f.verifier.verify(3);
    expect(ok).toMatchObject({ ok: true, firstBrokenEntryId: null });
    expect(ok.entriesChecked).toBeGreaterThan(5);
    const [victim] = await db.dataSource.query(`SELECT id FROM ledger_entries ORDER BY id LIMIT 1 OFFSET 2`);
    const qr = db.dataSource.createQueryRunner();
    await qr.connect();
    try {
      await qr.query(`SET session_replication_role = replica`); // bypasses the append-only triggers, as an attacker with superuser would
      await qr.query(`UPDATE ledger_entries SET memo = 'tampered' WHERE id = $1`, [victim.id]);
      const report = await f.verifier.verify(3);
      expect(report).toMatchObject({ ok: false, firstBrokenEntryId: victim.id });
    } finally {
      await qr.release();
    }
  });
});
