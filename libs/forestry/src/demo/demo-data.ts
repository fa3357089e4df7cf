import { EntryDraft, LedgerService, OpenAccountInput } from '@forest-ledger/ledger';
import { inTransaction } from '@forest-ledger/platform';
import { DataSource } from 'typeorm';

const SERIES = 'YC-DXG-2025';
const LP = `LP.${SERIES}`;
const BANK = 'bank:ICBC-YC-0001:CNY';
const FARM = 'F-YCLC';
const COLLECTIVE = 'C-DXG';
const VILLAGERS = ['V-0001', 'V-0002', 'V-0003'];

const wallet = (p: string) => `party:${p}:wallet:CNY`;
const tickets = (p: string) => `holder:${p}:tickets:${SERIES}`;

/**
 * A small demo set modelled on the Yangcheng pilot (阳城县芹池镇大西沟村): a bank account, the
 * state farm, the village collective and three villagers; the farm's cash investment; a 林票
 * issuance split 30 % retained / 70 % to villagers; and one trade settled delivery-versus-payment.
 * Loaded only into an empty ledger.
 */
export async function loadDemoData(dataSource: DataSource): Promise<boolean> {
  const ledger = new LedgerService(dataSource);
  return inTransaction(dataSource, async (em) => {
    const [{ n }] = (await em.query('SELECT count(*)::int AS n FROM ledger_assets')) as Array<{ n: number }>;
    if (n > 0) return false;
    await ledger.createAsset(em, { code: 'CNY', scale: 2, description: '人民币 (分)' });
    await ledger.createAsset(em, { code: 'TCO2E', scale: 3, description: '吨二氧化碳当量' });
    await ledger.createAsset(em, { code: LP, scale: 0, description: '林票 阳城县大西沟村 2025 (面值 100.00 元/份)' });

    const accounts: OpenAccountInput[] = [
      { code: BANK, asset: 'CNY', type: 'ASSET', ownerRef: 'platform', metadata: { name: '工商银行阳城支行 清算户' } },
      { code: wallet(FARM), asset: 'CNY', type: 'LIABILITY', ownerRef: `party:${FARM}`, noOverdraft: true, metadata: { name: '阳城县国有林场' } },
      { code: wallet(COLLECTIVE), asset: 'CNY', type: 'LIABILITY', ownerRef: `party:${COLLECTIVE}`, noOverdraft: true, metadata: { name: '大西沟村股份经济合作社' } },
      ...VILLAGERS.map((v, i): OpenAccountInput => ({ code: wallet(v), asset: 'CNY', type: 'LIABILITY', ownerRef: `party:${v}`, noOverdraft: true, metadata: { name: ['吴丽娟', '王建国', '李永胜'][i] } })),
      { code: `series:${SERIES}:issued`, asset: LP, type: 'ASSET', ownerRef: `series:${SERIES}`, metadata: { faceValue: '100.00' } },
      ...[FARM, COLLECTIVE, ...VILLAGERS].map((p): OpenAccountInput => ({ code: tickets(p), asset: LP, type: 'LIABILITY', ownerRef: `party:${p}`, noOverdraft: true })),
    ];
    for (const a of accounts) await ledger.openAccount(em, a);

    const entries: EntryDraft[] = [
      {
        idempotencyKey: 'demo:farm-investment',
        kind: 'BANK_RECEIPT',
        effectiveDate: '2025-03-01',
        memo: '林场现金投入 银行流水 20250301000123',
        postings: [
          { account: BANK, side: 'DEBIT', amount: '500000.00' },
          { account: wallet(FARM), side: 'CREDIT', amount: '500000.00' },
        ],
      },
      {
        // 9,000 units at 100.00: farm 5,000; collective 4,000 → retained 1,201 (30 % + remainder), villagers 933/933/933.
        idempotencyKey: 'demo:issuance',
        kind: 'TICKET_ISSUANCE',
        effectiveDate: '2025-03-15',
        memo: '林票发行 YC-DXG-2025',
        postings: [
          { account: `series:${SERIES}:issued`, side: 'DEBIT', amount: '9000' },
          { account: tickets(FARM), side: 'CREDIT', amount: '5000' },
          { account: tickets(COLLECTIVE), side: 'CREDIT', amount: '1201' },
          ...VILLAGERS.map((v) => ({ account: tickets(v), side: 'CREDIT' as const, amount: '933' })),
        ],
      },
      {
        idempotencyKey: 'demo:villager-deposit',
        kind: 'BANK_RECEIPT',
        effectiveDate: '2025-06-01',
        memo: '王建国 存入',
        postings: [
          { account: BANK, side: 'DEBIT', amount: '20000.00' },
          { account: wallet('V-0002'), side: 'CREDIT', amount: '20000.00' },
        ],
      },
      {
        idempotencyKey: 'demo:trade-1',
        kind: 'TICKET_TRADE',
        effectiveDate: '2025-06-02',
        memo: '林票转让 100 份 × 105.50 元',
        postings: [
          { account: tickets('V-0001'), side: 'DEBIT', amount: '100' },
          { account: tickets('V-0002'), side: 'CREDIT', amount: '100' },
          { account: wallet('V-0002'), side: 'DEBIT', amount: '10550.00' },
          { account: wallet('V-0001'), side: 'CREDIT', amount: '10550.00' },
        ],
      },
    ];
    for (const e of entries) await ledger.post(em, e);
    return true;
  });
}
