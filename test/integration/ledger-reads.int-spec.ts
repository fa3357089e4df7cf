import { LedgerError, LedgerReads } from '@forest-ledger/ledger';
import { LedgerFactory } from '../factories/ledger.factory';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let f: LedgerFactory;
const reads = new LedgerReads();
const A = 'party:A:wallet:CNY';
const B = 'party:B:wallet:CNY';
const BANK = 'bank:ICBC-YC:CNY';
const em = () => db.dataSource.manager;
const text = (m: Map<string, { toString(): string }>) => Object.fromEntries([...m].map(([k, v]) => [k, v.toString()]));

beforeAll(async () => {
  f = new LedgerFactory(db.dataSource);
  expect(await reads.isEmpty(em())).toBe(true);
  await f.cnyWorld([A, B]);
  await f.transfer(BANK, A, '100.00', { key: 'user:1/receipt', kind: 'BANK_RECEIPT', effectiveDate: '2026-01-10' });
  await f.transfer(A, B, '30.00', { key: 'carbon-sale:x:1', effectiveDate: '2026-02-10' });
  await f.transfer(B, A, '5.00', { effectiveDate: '2026-03-10' });
});

describe('LedgerReads', () => {
  it('maps idempotency keys to entry ids and back, exactly as stored', async () => {
    const ids = await reads.entryIdsByKeys(em(), ['user:1/receipt', 'carbon-sale:x:1', 'receipt', 'nope']);
    expect([...ids.keys()].sort()).toEqual(['carbon-sale:x:1', 'user:1/receipt']);
    const keys = await reads.entryKeys(em(), [...ids.values(), '999999']);
    expect(text(keys)).toEqual({ [ids.get('user:1/receipt')!]: 'user:1/receipt', [ids.get('carbon-sale:x:1')!]: 'carbon-sale:x:1' });
    expect((await reads.entryIdsByKeys(em(), [])).size).toBe(0);
  });

  it('reads balances by normal side, now and as of a date; unknown codes are absent', async () => {
    expect(text(await reads.balances(em(), [A, B, BANK, 'nope']))).toEqual({ [A]: '75', [B]: '25', [BANK]: '100' });
    expect(text(await reads.balances(em(), [A, B, BANK], '2026-01-31'))).toEqual({ [A]: '100', [B]: '0', [BANK]: '100' });
    expect(text(await reads.balances(em(), [A], '2025-12-31'))).toEqual({ [A]: '0' });
    await expect(reads.balances(em(), [A], '2026-02-30')).rejects.toBeInstanceOf(LedgerError);
  });

  it('counts holders, last posting dates, owners in use and assets', async () => {
    expect(text(await reads.holderCounts(em(), ['CNY', 'NONE']))).toEqual({ CNY: '2' });
    expect(text(await reads.lastPostingDates(em(), [A, B, 'nope']))).toEqual({ [A]: '2026-03-10', [B]: '2026-03-10' });
    expect([...(await reads.ownerRefsInUse(em(), ['party:A', 'party:Z']))]).toEqual(['party:A']);
    expect(await reads.assetExists(em(), 'CNY')).toBe(true);
    expect(await reads.assetExists(em(), 'TCO2E')).toBe(false);
    expect(await reads.isEmpty(em())).toBe(false);
  });

  it('sums postings by entry kind, side and date', async () => {
    expect(text(await reads.postingSums(em(), [A, BANK], { kinds: ['BANK_RECEIPT'], side: 'CREDIT' }))).toEqual({ [A]: '100', [BANK]: '0' });
    expect(text(await reads.postingSums(em(), [A], { side: 'DEBIT' }))).toEqual({ [A]: '30' });
    expect(text(await reads.postingSums(em(), [A], { kinds: ['TRANSFER'] }))).toEqual({ [A]: '-25' });
    expect(text(await reads.postingSums(em(), [A], { asOf: '2026-02-28' }))).toEqual({ [A]: '70' });
  });

  it('reads the credits still owed (newest credits cover the balance) and the first posting date per owner', async () => {
    expect(Object.fromEntries([...(await reads.owedCredits(em(), [A, B, BANK]))].map(([k, v]) => [k, v.map((c) => `${c.effectiveDate}:${c.amount.toString()}`)]))).toEqual({
      [A]: ['2026-01-10:70', '2026-03-10:5'],
      [B]: ['2026-02-10:25'],
    });
    const owedOn = async (asOf: string) =>
      Object.fromEntries([...(await reads.owedCredits(em(), [A, B, BANK], asOf))].map(([k, v]) => [k, v.map((c) => `${c.effectiveDate}:${c.amount.toString()}`)]));
    expect(await owedOn('2026-02-28')).toEqual({ [A]: ['2026-01-10:70'], [B]: ['2026-02-10:30'] });
    expect(await owedOn('2026-01-31')).toEqual({ [A]: ['2026-01-10:100'] });
    expect(await owedOn('2025-12-31')).toEqual({});
    expect(Object.fromEntries(await reads.firstPostingDates(em(), ['party:A', 'party:B', 'party:Z']))).toEqual({ 'party:A': '2026-01-10', 'party:B': '2026-02-10' });
  });
});
