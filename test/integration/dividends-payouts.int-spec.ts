import { Actor, BANK_CLEARING_ACCOUNT, walletOf } from '@forest-ledger/forestry';
import { inTransaction } from '@forest-ledger/platform';
import { declareAndApprove, DividendServices, dividendServices, fundProject, staffUser } from '../factories/dividends.factory';
import { DAXIGOU } from '../factories/parcels.factory';
import { balance, lishuSeries, refusal, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { expectNumericXlsx } from '../setup/xlsx-check';
import { outboxMark, outboxSince, rolledBack } from '../setup/outbox-events';
import { useTestDatabase } from '../setup/test-database';

/** Payouts of dividend money to bank cards: batches, the bank file, confirmation, returned lines, unclaimed amounts by age. */
const db = useTestDatabase();
let t: TicketServices;
let d: DividendServices;
let world: TicketWorld;
let operator: Actor;
const P = 'PO-2026';
const CARDS: Record<string, string> = { 'V-0001': '6222021234567890123', 'V-0002': '6228480012345678', 'V-0003': '6217000011112222333', 'V-0004': '6214830000000004' };

beforeAll(async () => {
  t = ticketServices(db.dataSource);
  d = dividendServices(t);
  world = await seedTicketWorld(t, { villagers: 5, households: 2, parcels: 3 });
  operator = await staffUser(t, 'FARM_OPERATOR');
  const checker = await staffUser(t, 'APPROVER');
  await lishuSeries(t, world, P, { collectiveRetainedRatio: '0' });
  await fundProject(t, d, P, '5000.00');
  const decl = await declareAndApprove(t, d, operator, checker, { project: P, amount: '5000.00', recordDate: '2026-06-30', paymentDate: '2026-07-15' });
  expect((await d.dividends.distribute(decl.id)).state).toBe('DISTRIBUTED');
  await db.dataSource.query(`UPDATE parties SET id_kind = 'RESIDENT_ID', id_hmac = 'hmac-v1', id_cipher = 'sealed', id_masked = '140522********1234' WHERE code = 'V-0001'`);
  for (const [party, card] of Object.entries(CARDS))
    await inTransaction(db.dataSource, (em) => d.payouts.setBankCard(em, party, { bankName: '阳城农商银行芹池支行', cardNumber: card }));
});

describe('payouts', () => {
  let batchId: string;

  it('a batch takes every wallet of the project with money and a card; the others are named', async () => {
    const { batch, withoutCard } = await inTransaction(db.dataSource, (em) => d.payouts.createBatch(em, operator, { scope: 'PROJECT', code: P }));
    batchId = batch.id;
    expect(batch).toMatchObject({ state: 'OPEN', outcome: 'OPEN', lineCount: 4, totalAmount: '4000.00', paidAmount: '0.00', failedAmount: '0.00', returnedAmount: '0.00' });
    expect(batch.lines.map((l) => [l.party, l.amount, l.cardMasked])).toEqual([
      ['V-0001', '1000.00', '6222 **** **** 0123'],
      ['V-0002', '1000.00', '6228 **** **** 5678'],
      ['V-0003', '1000.00', '6217 **** **** 2333'],
      ['V-0004', '1000.00', '6214 **** **** 0004'],
    ]);
    expect(withoutCard).toEqual(['V-0005']);
    // Wallets in an open batch are not taken twice.
    expect((await refusal(inTransaction(db.dataSource, (em) => d.payouts.createBatch(em, operator, { scope: 'PROJECT', code: P })))).code).toBe('NOTHING_TO_PAY');
  });

  it('the bank file carries name, masked ID, the full card number and the amount (CSV and Excel)', async () => {
    const file = await d.payouts.bankFile(batchId);
    const csv = file.csv.toString('utf8');
    expect(csv.startsWith('\uFEFF序号,户名,证件号码,开户行,银行卡号,金额,附言\r\n')).toBe(true);
    expect(csv).toContain(`1,村民甲1,140522********1234,阳城农商银行芹池支行,6222021234567890123,1000.00,林账代发 批次${batchId} 明细`);
    expect(csv).not.toMatch(/140522\d{8}1234/);
    // For Excel/WPS: the card stays text (="…"), and a 合计 line as in the XLSX.
    const forSheets = file.spreadsheetCsv.toString('utf8').split('\r\n');
    expect(forSheets[1]).toBe(
      `1,村民甲1,140522********1234,阳城农商银行芹池支行,="6222021234567890123",1000.00,林账代发 批次${batchId} 明细${file.csv.toString('utf8').split('明细')[1].split('\r\n')[0]}`,
    );
    expect(forSheets.slice(-2)).toEqual(['合计,,,,,4000.00,4 笔', '']);
    expect(forSheets).toHaveLength(1 + 4 + 1 + 1);
    const workbook = await expectNumericXlsx(file.xlsx, ['代发明细']);
    const sheet = workbook.getWorksheet('代发明细')!;
    expect(sheet.getRow(2).getCell(5).value).toBe('6222021234567890123');
    // Amounts are numbers with 0.00 (Excel/WPS SUM works): 4000.00 reads back as 4000, shown 4000.00.
    expect([sheet.getRow(6).getCell(6).value, sheet.getRow(6).getCell(6).numFmt]).toEqual([4000, '0.00']);
    expect([sheet.getRow(2).getCell(6).value, sheet.getRow(2).getCell(6).numFmt]).toEqual([1000, '0.00']);
    // Screens never show the card in full.
    expect(JSON.stringify(await d.payouts.get(batchId))).not.toContain('6222021234567890123');
  });

  it('confirming books wallets → bank clearing; a refused line stays in its wallet; a returned line comes back', async () => {
    const clearingBefore = await balance(t, BANK_CLEARING_ACCOUNT);
    const before = await d.payouts.get(batchId);
    const refusedLine = before.lines.find((l) => l.party === 'V-0002')!;
    const confirm = { bankReference: 'DF-20261120-01', paidOn: '2026-11-20', failed: [{ lineId: refusedLine.id, reason: '户名不符' }] };
    // Rolled back: no event (issue 17: an event exists if and only if its change committed).
    let mark = await outboxMark(db.dataSource);
    await rolledBack(db.dataSource, (em) => d.payouts.confirmPaid(em, batchId, confirm));
    expect(await outboxSince(db.dataSource, mark, ['payout.batch_confirmed', 'payout.line_failed'])).toEqual([]);
    const paid = await inTransaction(db.dataSource, (em) => d.payouts.confirmPaid(em, batchId, confirm));
    const events = await outboxSince(db.dataSource, mark, ['payout.batch_confirmed', 'payout.line_failed']);
    expect(events.map((e) => [e.type, e.aggregate])).toEqual([
      ['payout.batch_confirmed', { type: 'payout_batch', id: batchId }],
      ['payout.line_failed', { type: 'payout_batch', id: batchId }],
    ]);
    expect(events[0].data).toEqual({
      batchId,
      scope: 'PROJECT',
      scopeCode: P,
      bankReference: 'DF-20261120-01',
      paidOn: '2026-11-20',
      totalAmount: '4000.00',
      paidAmount: '3000.00',
      failedAmount: '1000.00',
      lineCount: 4,
      paidLines: 3,
      failedLines: 1,
      entryIds: [paid.lines[0].entryId],
    });
    expect(events[1].data).toEqual({
      lineId: refusedLine.id,
      batchId,
      party: 'V-0002',
      amount: '1000.00',
      stage: 'REFUSED',
      reason: '户名不符',
      effectiveDate: '2026-11-20',
      returnEntryId: null,
    });
    // Personal data never: no names, ID numbers or card numbers.
    expect(JSON.stringify(events)).not.toMatch(/村民|6228|\*\*\*\*/);
    expect(paid.state).toBe('PAID');
    expect(paid).toMatchObject({ outcome: 'PAID_WITH_FAILURES', totalAmount: '4000.00', paidAmount: '3000.00', failedAmount: '1000.00', returnedAmount: '0.00' });
    expect(paid.lines.map((l) => [l.party, l.state])).toEqual([
      ['V-0001', 'PAID'],
      ['V-0002', 'FAILED'],
      ['V-0003', 'PAID'],
      ['V-0004', 'PAID'],
    ]);
    expect(await balance(t, walletOf('V-0001'))).toBe('0');
    expect(await balance(t, walletOf('V-0002'))).toBe('1000');
    expect(Number(clearingBefore) - Number(await balance(t, BANK_CLEARING_ACCOUNT))).toBe(3000);
    const returned = paid.lines.find((l) => l.party === 'V-0003')!;
    mark = await outboxMark(db.dataSource);
    await rolledBack(db.dataSource, (em) => d.payouts.failLine(em, returned.id, { reason: '账户已销户', effectiveDate: '2026-11-21' }));
    expect(await outboxSince(db.dataSource, mark, ['payout.line_failed'])).toEqual([]);
    const line = await inTransaction(db.dataSource, (em) => d.payouts.failLine(em, returned.id, { reason: '账户已销户', effectiveDate: '2026-11-21' }));
    expect((await outboxSince(db.dataSource, mark, ['payout.line_failed'])).map((e) => e.data)).toEqual([
      { lineId: returned.id, batchId, party: 'V-0003', amount: '1000.00', stage: 'RETURNED', reason: '账户已销户', effectiveDate: '2026-11-21', returnEntryId: line.returnEntryId },
    ]);
    expect(line).toMatchObject({ state: 'FAILED', failureReason: '账户已销户' });
    expect(line.returnEntryId).not.toBeNull();
    expect(await d.payouts.get(batchId)).toMatchObject({ state: 'PAID', outcome: 'PAID_WITH_FAILURES', paidAmount: '2000.00', failedAmount: '1000.00', returnedAmount: '1000.00' });
    expect(await balance(t, walletOf('V-0003'))).toBe('1000');
    expect((await refusal(inTransaction(db.dataSource, (em) => d.payouts.failLine(em, returned.id, { reason: 'again' })))).code).toBe('PAYOUT_STATE');
    expect((await refusal(inTransaction(db.dataSource, (em) => d.payouts.confirmPaid(em, batchId, { bankReference: 'again' })))).code).toBe('PAYOUT_STATE');
  });

  it('what stays in wallets stays owed and is reported by age; a village batch picks it up again', async () => {
    const report = await d.payouts.unclaimed({ scope: 'PROJECT', code: P }, '2026-11-23');
    expect(report.totals.all).toBe('3000.00');
    const byParty = new Map(report.lines.map((l) => [l.party, l]));
    expect(byParty.get('V-0002')).toMatchObject({ balance: '1000.00', owedSince: '2026-07-15', buckets: { '91-365': '1000.00' } });
    expect(byParty.get('V-0005')).toMatchObject({ balance: '1000.00', owedSince: '2026-07-15' });
    expect(byParty.get('V-0003')).toMatchObject({ balance: '1000.00', owedSince: '2026-11-21', buckets: { '0-30': '1000.00' } });
    const { batch } = await inTransaction(db.dataSource, (em) => d.payouts.createBatch(em, operator, { scope: 'VILLAGE', code: DAXIGOU.code }));
    expect(batch.lines.map((l) => l.party)).toEqual(['V-0002', 'V-0003']);
  });

  it('as of a past date: the balances of that day, aged from the dividends still unpaid then', async () => {
    // By hand: 1,000.00 to each of 5 wallets on 2026-07-15; V-0001, V-0003, V-0004 paid out on 2026-11-20; V-0003 returned on 2026-11-21.
    const before = await d.payouts.unclaimed({ scope: 'PROJECT', code: P }, '2026-11-19');
    expect(before.totals).toEqual({ '0-30': '0.00', '31-90': '0.00', '91-365': '5000.00', '365+': '0.00', all: '5000.00' });
    expect(before.lines.map((l) => [l.party, l.balance, l.owedSince])).toEqual(['V-0001', 'V-0002', 'V-0003', 'V-0004', 'V-0005'].map((p) => [p, '1000.00', '2026-07-15']));
    const paidDay = await d.payouts.unclaimed({ scope: 'PROJECT', code: P }, '2026-11-20');
    expect(paidDay.totals.all).toBe('2000.00');
    expect(paidDay.lines.map((l) => l.party)).toEqual(['V-0002', 'V-0005']);
    const early = await d.payouts.unclaimed({ scope: 'PROJECT', code: P }, '2026-08-20');
    expect(early.totals).toMatchObject({ '0-30': '0.00', '31-90': '5000.00', all: '5000.00' });
    const beforeDividend = await d.payouts.unclaimed({ scope: 'PROJECT', code: P }, '2026-07-14');
    expect(beforeDividend).toMatchObject({ lines: [], totals: { all: '0.00' } });
  });
});
