import type { ApiApplication } from '../../apps/api/src/app.setup';
import { randomUUID } from 'node:crypto';
import request, { Response } from 'supertest';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

const db = useTestDatabase();
let app: ApiApplication;
let adminToken: string;

beforeAll(async () => {
  app = await createTestApp(db);
  adminToken = await tokenFor(app, 'ADMIN');
});
afterAll(() => app?.close());

// ------------------------------------------------------------------ response shapes (loose)

type Side = 'DEBIT' | 'CREDIT';

interface ErrorBody {
  code: string;
  message: string;
  field?: string;
  details?: Record<string, unknown>;
  correlationId: string;
}

interface AssetBody {
  code: string;
  scale: number;
  description: string;
}

interface BalanceBody {
  account: string;
  asset: string;
  debits: string;
  credits: string;
  balance: string;
}

interface AccountBody extends BalanceBody {
  id: string;
  code: string;
  type: string;
  normalSide: Side;
  ownerRef: string | null;
  noOverdraft: boolean;
  frozen: boolean;
  closedAt: string | null;
  metadata: Record<string, unknown>;
  createdAt: string;
}

interface PostingBody {
  account: string;
  asset: string;
  side: Side;
  amount: string;
}

interface EntryBody {
  id: string;
  idempotencyKey: string;
  kind: string;
  effectiveDate: string;
  bookedAt: string;
  memo: string | null;
  metadata: Record<string, unknown>;
  reversesEntryId: string | null;
  reversedByEntryId: string | null;
  hash: string;
  postings: PostingBody[];
}

interface PostEntryBody {
  entry: EntryBody;
  balances: BalanceBody[];
  replayed: boolean;
}

interface BatchBody {
  entries: EntryBody[];
  balances: BalanceBody[];
  replayed: boolean;
}

interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

interface StatementLineBody {
  postingId: string;
  entryId: string;
  kind: string;
  memo: string | null;
  effectiveDate: string;
  side: Side;
  amount: string;
  runningBalance: string;
}

interface StatementBody {
  account: string;
  asset: string;
  from: string;
  to: string;
  openingBalance: string;
  closingBalance: string;
  lines: StatementLineBody[];
  nextCursor: string | null;
}

interface TrialBalanceBody {
  asOf: string | null;
  assets: Array<{ asset: string; accounts: number; debitBalances: string; creditBalances: string; balanced: boolean }>;
  owners?: Array<{ ownerRef: string | null; asset: string; debits: string; credits: string; net: string }>;
}

interface ChainReportBody {
  ok: boolean;
  entriesChecked: number;
  accountsChecked: number;
  firstBrokenEntryId: string | null;
  brokenAccount: string | null;
  reason: string | null;
}

// ------------------------------------------------------------------ helpers

const BANK = 'bank:B1:CNY';
const P1 = 'party:P1:wallet:CNY';
const P2 = 'party:P2:wallet:CNY';

type PostingTuple = [account: string, side: Side, amount: string];

interface EntryInput {
  kind: string;
  effectiveDate: string;
  memo?: string;
  metadata?: Record<string, unknown>;
  postings: Array<{ account: string; side: Side; amount: string }>;
}

function http() {
  return request.agent(app.getHttpServer()).set('Authorization', `Bearer ${adminToken}`);
}

function body<T>(res: Response): T {
  return res.body as T;
}

function postJson(path: string, payload: object = {}, key: string = randomUUID()) {
  return http().post(path).set('Idempotency-Key', key).send(payload);
}

function entry(postings: PostingTuple[], options: { kind?: string; effectiveDate?: string; memo?: string; metadata?: Record<string, unknown> } = {}): EntryInput {
  return {
    kind: options.kind ?? 'TRANSFER',
    effectiveDate: options.effectiveDate ?? '2025-01-15',
    ...(options.memo !== undefined ? { memo: options.memo } : {}),
    ...(options.metadata !== undefined ? { metadata: options.metadata } : {}),
    postings: postings.map(([account, side, amount]) => ({ account, side, amount })),
  };
}

/** Debit `from`, credit `to`. */
function transfer(from: string, to: string, amount: string, options: { kind?: string; effectiveDate?: string; memo?: string } = {}): EntryInput {
  return entry(
    [
      [from, 'DEBIT', amount],
      [to, 'CREDIT', amount],
    ],
    options,
  );
}

async function postEntry(input: EntryInput): Promise<PostEntryBody> {
  const res = await postJson('/v1/entries', input);
  expect(res.status).toBe(201);
  return body<PostEntryBody>(res);
}

async function openAccount(
  code: string,
  asset: string,
  type: string,
  extra: { ownerRef?: string; noOverdraft?: boolean; metadata?: Record<string, unknown> } = {},
): Promise<AccountBody> {
  const res = await postJson('/v1/accounts', { code, asset, type, ...extra });
  expect(res.status).toBe(201);
  return body<AccountBody>(res);
}

async function account(code: string): Promise<AccountBody> {
  const res = await http().get(`/v1/accounts/${encodeURIComponent(code)}`);
  expect(res.status).toBe(200);
  return body<AccountBody>(res);
}

async function entryCount(): Promise<number> {
  const rows = await db.dataSource.query<Array<{ n: number }>>(`SELECT count(*)::int AS n FROM ledger_entries`);
  return rows[0].n;
}

function expectError(res: Response, status: number, code: string): ErrorBody {
  expect({ status: res.status, code: body<ErrorBody>(res).code }).toEqual({ status, code });
  const err = body<ErrorBody>(res);
  expect(typeof err.message).toBe('string');
  expect(err.message.length).toBeGreaterThan(0);
  expect(err.correlationId).toBeTruthy();
  return err;
}

// ------------------------------------------------------------------ world

beforeAll(async () => {
  expect((await postJson('/v1/assets', { code: 'CNY', scale: 2, description: 'Renminbi' })).status).toBe(201);
  expect((await postJson('/v1/assets', { code: 'PERMIT.TEST', scale: 0, description: 'land-use permit test series' })).status).toBe(201);
  await openAccount(BANK, 'CNY', 'ASSET', { ownerRef: 'bank:B1' });
  await openAccount(P1, 'CNY', 'LIABILITY', { ownerRef: 'party:P1', noOverdraft: true });
  await openAccount(P2, 'CNY', 'LIABILITY', { ownerRef: 'party:P2', noOverdraft: true });
});

// ------------------------------------------------------------------ assets

describe('assets', () => {
  it('POST /v1/assets creates an asset with its scale (201, not a replay)', async () => {
    const res = await postJson('/v1/assets', { code: 'TCO2E', scale: 3, description: 'tonnes of CO2 equivalent' });
    expect(res.status).toBe(201);
    expect(res.headers['idempotency-replayed']).toBe('false');
    expect(body<AssetBody>(res)).toEqual({ code: 'TCO2E', scale: 3, description: 'tonnes of CO2 equivalent' });
  });

  it('POST /v1/assets with an existing code is a 409 ASSET_EXISTS', async () => {
    const err = expectError(await postJson('/v1/assets', { code: 'CNY', scale: 2 }), 409, 'ASSET_EXISTS');
    expect(err.field).toBe('code');
  });

  it('GET /v1/assets lists every asset by code', async () => {
    const res = await http().get('/v1/assets').expect(200);
    const assets = body<AssetBody[]>(res);
    expect(assets.map((a) => a.code)).toEqual(['CNY', 'PERMIT.TEST', 'TCO2E']);
    expect(assets.find((a) => a.code === 'PERMIT.TEST')).toEqual({ code: 'PERMIT.TEST', scale: 0, description: 'land-use permit test series' });
  });

  it('GET /v1/assets/:code returns one asset', async () => {
    const res = await http().get('/v1/assets/CNY').expect(200);
    expect(body<AssetBody>(res)).toEqual({ code: 'CNY', scale: 2, description: 'Renminbi' });
  });

  it('GET /v1/assets/:code of an unknown asset is a 404 UNKNOWN_ASSET', async () => {
    expectError(await http().get('/v1/assets/NOPE'), 404, 'UNKNOWN_ASSET');
  });
});

// ------------------------------------------------------------------ accounts

describe('accounts', () => {
  it('POST /v1/accounts opens an account with a zero balance at the asset scale', async () => {
    const res = await postJson('/v1/accounts', {
      code: 'party:P1:permits:PERMIT.TEST',
      asset: 'PERMIT.TEST',
      type: 'LIABILITY',
      ownerRef: 'party:P1',
      metadata: { village: 'V-1' },
    });
    expect(res.status).toBe(201);
    expect(res.headers['idempotency-replayed']).toBe('false');
    expect(body<AccountBody>(res)).toMatchObject({
      code: 'party:P1:permits:PERMIT.TEST',
      account: 'party:P1:permits:PERMIT.TEST',
      asset: 'PERMIT.TEST',
      type: 'LIABILITY',
      normalSide: 'CREDIT',
      ownerRef: 'party:P1',
      noOverdraft: false,
      frozen: false,
      closedAt: null,
      metadata: { village: 'V-1' },
      debits: '0',
      credits: '0',
      balance: '0',
    });
    expect(body<AccountBody>(res).id).toMatch(/^\d+$/);
  });

  it('GET /v1/accounts/:code returns the account with amounts as strings at the asset scale', async () => {
    const a = await account(P1);
    expect(a).toMatchObject({ code: P1, asset: 'CNY', type: 'LIABILITY', normalSide: 'CREDIT', ownerRef: 'party:P1', noOverdraft: true, frozen: false, closedAt: null });
    expect(a.balance).toBe('0.00');
    expect(a.debits).toBe('0.00');
    expect(a.credits).toBe('0.00');
    const bank = await account(BANK);
    expect(bank).toMatchObject({ type: 'ASSET', normalSide: 'DEBIT', noOverdraft: false });
  });

  it('GET /v1/accounts/:code of an unknown account is a 404 UNKNOWN_ACCOUNT', async () => {
    expectError(await http().get('/v1/accounts/party:NOBODY:wallet:CNY'), 404, 'UNKNOWN_ACCOUNT');
  });

  it('POST /v1/accounts on an unknown asset is a 404 UNKNOWN_ASSET', async () => {
    expectError(await postJson('/v1/accounts', { code: 'party:P9:wallet:XXX', asset: 'XXX', type: 'LIABILITY' }), 404, 'UNKNOWN_ASSET');
    expectError(await http().get('/v1/accounts/party:P9:wallet:XXX'), 404, 'UNKNOWN_ACCOUNT');
  });

  it('POST /v1/accounts with an existing code is a 409 ACCOUNT_EXISTS', async () => {
    expectError(await postJson('/v1/accounts', { code: P1, asset: 'CNY', type: 'LIABILITY' }), 409, 'ACCOUNT_EXISTS');
  });

  it('GET /v1/accounts filters by codePrefix, ownerRef and asset', async () => {
    const byPrefix = body<Page<AccountBody>>(await http().get('/v1/accounts').query({ codePrefix: 'party:P' }).expect(200));
    expect(byPrefix.items.map((a) => a.code)).toEqual(['party:P1:permits:PERMIT.TEST', P1, P2]);
    expect(byPrefix.nextCursor).toBeNull();

    const byOwner = body<Page<AccountBody>>(await http().get('/v1/accounts').query({ ownerRef: 'party:P1' }).expect(200));
    expect(byOwner.items.map((a) => a.code)).toEqual(['party:P1:permits:PERMIT.TEST', P1]);

    const byOwnerAndAsset = body<Page<AccountBody>>(await http().get('/v1/accounts').query({ ownerRef: 'party:P1', asset: 'CNY' }).expect(200));
    expect(byOwnerAndAsset.items.map((a) => a.code)).toEqual([P1]);

    const bank = body<Page<AccountBody>>(await http().get('/v1/accounts').query({ codePrefix: 'bank:' }).expect(200));
    expect(bank.items.map((a) => a.code)).toEqual([BANK]);
  });

  it('GET /v1/accounts pages by code with limit and after=nextCursor', async () => {
    const codes = ['page:A:00', 'page:A:01', 'page:A:02', 'page:A:03', 'page:A:04'];
    for (const code of [...codes].reverse()) await openAccount(code, 'CNY', 'ASSET');
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let after: string | null = null;
    do {
      const query: Record<string, string | number> = { codePrefix: 'page:', limit: 2 };
      if (after) query.after = after;
      const page: Page<AccountBody> = body<Page<AccountBody>>(await http().get('/v1/accounts').query(query).expect(200));
      seen.push(...page.items.map((a) => a.code));
      pageSizes.push(page.items.length);
      after = page.nextCursor;
    } while (after !== null && pageSizes.length < 10);
    expect(pageSizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(codes);
  });

  it('GET /v1/accounts/:code/balance of an unknown account is a 404', async () => {
    expectError(await http().get('/v1/accounts/party:NOBODY:wallet:CNY/balance').query({ asOf: '2025-01-01' }), 404, 'UNKNOWN_ACCOUNT');
  });

  it('GET /v1/accounts/:code/statement of an unknown account is a 404', async () => {
    expectError(await http().get('/v1/accounts/party:NOBODY:wallet:CNY/statement').query({ from: '2025-01-01', to: '2025-12-31' }), 404, 'UNKNOWN_ACCOUNT');
  });

  it.each(['freeze', 'unfreeze', 'close'])('POST /v1/accounts/:code/%s of an unknown account is a 404', async (action) => {
    expectError(await postJson(`/v1/accounts/party:NOBODY:wallet:CNY/${action}`), 404, 'UNKNOWN_ACCOUNT');
  });
});

// ------------------------------------------------------------------ entries

describe('entries', () => {
  let depositId: string;

  it('POST /v1/entries posts a balanced entry: 201 with entry, resulting balances and replayed false', async () => {
    const res = await postJson('/v1/entries', transfer(BANK, P1, '100', { kind: 'BANK_RECEIPT', effectiveDate: '2025-03-01', memo: 'receipt 0001' }));
    expect(res.status).toBe(201);
    expect(res.headers['idempotency-replayed']).toBe('false');
    const r = body<PostEntryBody>(res);
    expect(r.replayed).toBe(false);
    expect(r.entry).toMatchObject({ kind: 'BANK_RECEIPT', effectiveDate: '2025-03-01', memo: 'receipt 0001', metadata: {}, reversesEntryId: null, reversedByEntryId: null });
    expect(r.entry.id).toMatch(/^\d+$/);
    expect(r.entry.hash).toMatch(/^[0-9a-f]{64}$/);
    // "100" goes in, "100.00" (the CNY scale) comes out.
    expect(r.entry.postings).toEqual([
      { account: BANK, asset: 'CNY', side: 'DEBIT', amount: '100.00' },
      { account: P1, asset: 'CNY', side: 'CREDIT', amount: '100.00' },
    ]);
    expect(r.balances).toEqual(
      expect.arrayContaining([
        { account: BANK, asset: 'CNY', debits: '100.00', credits: '0.00', balance: '100.00' },
        { account: P1, asset: 'CNY', debits: '0.00', credits: '100.00', balance: '100.00' },
      ]),
    );
    expect(r.balances).toHaveLength(2);
    depositId = r.entry.id;
    expect((await account(P1)).balance).toBe('100.00');
  });

  it('GET /v1/entries/:id returns the entry with its postings', async () => {
    const res = await http().get(`/v1/entries/${depositId}`).expect(200);
    const e = body<EntryBody>(res);
    expect(e).toMatchObject({ id: depositId, kind: 'BANK_RECEIPT', effectiveDate: '2025-03-01', reversedByEntryId: null });
    expect(e.postings.map((p) => p.amount)).toEqual(['100.00', '100.00']);
  });

  it.each(['999999', 'abc', '0', '-1'])('GET /v1/entries/%s is a 404 UNKNOWN_ENTRY', async (id) => {
    expectError(await http().get(`/v1/entries/${id}`), 404, 'UNKNOWN_ENTRY');
  });

  it('GET /v1/entries/9999999999999999999 (beyond bigint) is a 404 UNKNOWN_ENTRY', async () => {
    expectError(await http().get('/v1/entries/9999999999999999999'), 404, 'UNKNOWN_ENTRY');
  });

  it('amounts of a scale-0 asset come back without decimals', async () => {
    await openAccount('platform:permits:issued:PERMIT.TEST', 'PERMIT.TEST', 'EQUITY');
    const r = await postEntry(transfer('platform:permits:issued:PERMIT.TEST', 'party:P1:permits:PERMIT.TEST', '7', { kind: 'PERMIT_ISSUE' }));
    expect(r.entry.postings.map((p) => p.amount)).toEqual(['7', '7']);
    expect((await account('party:P1:permits:PERMIT.TEST')).balance).toBe('7');
  });

  it('an unbalanced entry is a 422 LEDGER_UNBALANCED and writes nothing', async () => {
    const before = await entryCount();
    const err = expectError(
      await postJson(
        '/v1/entries',
        entry([
          [BANK, 'DEBIT', '10.00'],
          [P1, 'CREDIT', '9.99'],
        ]),
      ),
      422,
      'LEDGER_UNBALANCED',
    );
    expect(err.details).toMatchObject({ asset: 'CNY' });
    expect(await entryCount()).toBe(before);
    expect((await account(P1)).balance).toBe('100.00');
  });

  it('a posting to an unknown account is a 404 UNKNOWN_ACCOUNT', async () => {
    const err = expectError(await postJson('/v1/entries', transfer(BANK, 'party:NOBODY:wallet:CNY', '1.00')), 404, 'UNKNOWN_ACCOUNT');
    expect(err.field).toBe('entry.postings[1].account');
  });

  it('overdrawing a no-overdraft wallet is a 422 INSUFFICIENT_FUNDS', async () => {
    const before = await entryCount();
    expectError(await postJson('/v1/entries', transfer(P2, P1, '0.01')), 422, 'INSUFFICIENT_FUNDS');
    expect(await entryCount()).toBe(before);
    expect((await account(P2)).balance).toBe('0.00');
  });

  it('GET /v1/entries lists entries newest first', async () => {
    const page = body<Page<EntryBody>>(await http().get('/v1/entries').expect(200));
    expect(page.items.length).toBe(await entryCount());
    const ids = page.items.map((e) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0))).toEqual(ids);
  });

  it('GET /v1/entries?account= of an unknown account is a 404', async () => {
    expectError(await http().get('/v1/entries').query({ account: 'party:NOBODY:wallet:CNY' }), 404, 'UNKNOWN_ACCOUNT');
  });
});

// ------------------------------------------------------------------ batches

describe('POST /v1/entries/batch', () => {
  const W1 = 'party:B1:wallet:CNY';
  const W2 = 'party:B2:wallet:CNY';

  beforeAll(async () => {
    await openAccount(W1, 'CNY', 'LIABILITY', { ownerRef: 'party:B1', noOverdraft: true });
    await openAccount(W2, 'CNY', 'LIABILITY', { ownerRef: 'party:B2', noOverdraft: true });
    await postEntry(transfer(BANK, W1, '50.00', { kind: 'BANK_RECEIPT' }));
  });

  it('posts every entry atomically, entry i under key "user:<caller>/<key>#i"', async () => {
    const key = randomUUID();
    const res = await postJson('/v1/entries/batch', { entries: [transfer(W1, W2, '30.00'), transfer(W2, W1, '5.50')] }, key);
    expect(res.status).toBe(201);
    const r = body<BatchBody>(res);
    expect(r.replayed).toBe(false);
    const me = body<{ userId: string }>(await request(app.getHttpServer()).get('/v1/me').set('Authorization', `Bearer ${adminToken}`));
    expect(r.entries.map((e) => e.idempotencyKey)).toEqual([`user:${me.userId}/${key}#0`, `user:${me.userId}/${key}#1`]);
    expect(r.entries.map((e) => e.postings[0].amount)).toEqual(['30.00', '5.50']);
    expect(r.balances).toEqual(
      expect.arrayContaining([
        { account: W1, asset: 'CNY', debits: '30.00', credits: '55.50', balance: '25.50' },
        { account: W2, asset: 'CNY', debits: '5.50', credits: '30.00', balance: '24.50' },
      ]),
    );
    expect((await account(W1)).balance).toBe('25.50');
    expect((await account(W2)).balance).toBe('24.50');
  });

  it('is all or nothing: the 2nd entry overdraws → 422 INSUFFICIENT_FUNDS, balances unchanged', async () => {
    const before = await entryCount();
    const err = expectError(await postJson('/v1/entries/batch', { entries: [transfer(W1, W2, '1.00'), transfer(W2, W1, '1000.00')] }), 422, 'INSUFFICIENT_FUNDS');
    expect(err.field).toBe('entries[1].postings');
    expect(await entryCount()).toBe(before);
    expect((await account(W1)).balance).toBe('25.50');
    expect((await account(W2)).balance).toBe('24.50');
  });

  it('an unknown account anywhere in the batch is a 404 and writes nothing', async () => {
    const before = await entryCount();
    expectError(await postJson('/v1/entries/batch', { entries: [transfer(W1, W2, '1.00'), transfer(W1, 'party:NOBODY:wallet:CNY', '1.00')] }), 404, 'UNKNOWN_ACCOUNT');
    expect(await entryCount()).toBe(before);
    expect((await account(W1)).balance).toBe('25.50');
  });
});

// ------------------------------------------------------------------ reversal

describe('POST /v1/entries/:id/reverse', () => {
  const R1 = 'party:R1:wallet:CNY';
  const R2 = 'party:R2:wallet:CNY';
  let originalId: string;
  let reversalId: string;

  beforeAll(async () => {
    await openAccount(R1, 'CNY', 'LIABILITY', { noOverdraft: true });
    await openAccount(R2, 'CNY', 'LIABILITY', { noOverdraft: true });
    await postEntry(transfer(BANK, R1, '20.00'));
    originalId = (await postEntry(transfer(R1, R2, '7.25', { kind: 'PAYMENT', effectiveDate: '2025-04-01' }))).entry.id;
  });

  it('posts the mirror entry (201) and sets the original reversedByEntryId', async () => {
    const res = await postJson(`/v1/entries/${originalId}/reverse`, { effectiveDate: '2025-04-02', memo: 'keyed in twice' });
    expect(res.status).toBe(201);
    const r = body<PostEntryBody>(res);
    expect(r.replayed).toBe(false);
    expect(r.entry).toMatchObject({ kind: 'REVERSAL', effectiveDate: '2025-04-02', memo: 'keyed in twice', reversesEntryId: originalId, metadata: { reversedKind: 'PAYMENT' } });
    expect(r.entry.postings).toEqual([
      { account: R1, asset: 'CNY', side: 'CREDIT', amount: '7.25' },
      { account: R2, asset: 'CNY', side: 'DEBIT', amount: '7.25' },
    ]);
    expect(r.balances).toEqual(expect.arrayContaining([expect.objectContaining({ account: R1, balance: '20.00' }), expect.objectContaining({ account: R2, balance: '0.00' })]));
    reversalId = r.entry.id;

    const original = body<EntryBody>(await http().get(`/v1/entries/${originalId}`).expect(200));
    expect(original.reversedByEntryId).toBe(reversalId);
    expect((await account(R1)).balance).toBe('20.00');
    expect((await account(R2)).balance).toBe('0.00');
  });

  it('a second reverse with a new key is a 422 ALREADY_REVERSED', async () => {
    const before = await entryCount();
    expectError(await postJson(`/v1/entries/${originalId}/reverse`, {}), 422, 'ALREADY_REVERSED');
    expect(await entryCount()).toBe(before);
  });

  it('reversing entry 9999999999999999999 (beyond bigint) is a 404 UNKNOWN_ENTRY', async () => {
    expectError(await postJson('/v1/entries/9999999999999999999/reverse', {}), 404, 'UNKNOWN_ENTRY');
  });

  it.each(['999999', 'abc'])('reversing unknown entry %s is a 404 UNKNOWN_ENTRY', async (id) => {
    expectError(await postJson(`/v1/entries/${id}/reverse`, {}), 404, 'UNKNOWN_ENTRY');
  });
});

// ------------------------------------------------------------------ freeze / unfreeze / close

describe('freeze, unfreeze and close', () => {
  const F1 = 'party:F1:wallet:CNY';
  const Z1 = 'party:Z1:wallet:CNY';

  beforeAll(async () => {
    await openAccount(F1, 'CNY', 'LIABILITY', { noOverdraft: true });
    await openAccount(Z1, 'CNY', 'LIABILITY', { noOverdraft: true });
    await postEntry(transfer(BANK, F1, '10.00'));
  });

  it('freeze → 200 frozen; posting to it is a 422 ACCOUNT_FROZEN; unfreeze → postings allowed again', async () => {
    const frozen = await postJson(`/v1/accounts/${F1}/freeze`);
    expect(frozen.status).toBe(200);
    expect(body<AccountBody>(frozen)).toMatchObject({ code: F1, frozen: true, balance: '10.00' });
    expect((await account(F1)).frozen).toBe(true);

    const before = await entryCount();
    const err = expectError(await postJson('/v1/entries', transfer(BANK, F1, '1.00')), 422, 'ACCOUNT_FROZEN');
    expect(err.field).toBe('entry.postings[1].account');
    expectError(await postJson('/v1/entries', transfer(F1, P1, '1.00')), 422, 'ACCOUNT_FROZEN');
    expect(await entryCount()).toBe(before);

    const unfrozen = await postJson(`/v1/accounts/${F1}/unfreeze`);
    expect(unfrozen.status).toBe(200);
    expect(body<AccountBody>(unfrozen).frozen).toBe(false);
    await postEntry(transfer(BANK, F1, '1.00'));
    expect((await account(F1)).balance).toBe('11.00');
  });

  it('closing an account with a non-zero balance is a 422 ACCOUNT_NOT_ZERO', async () => {
    expectError(await postJson(`/v1/accounts/${F1}/close`), 422, 'ACCOUNT_NOT_ZERO');
    expect((await account(F1)).closedAt).toBeNull();
  });

  it('closing at zero → 200 with closedAt; then postings are 422 ACCOUNT_CLOSED and closing again too', async () => {
    const res = await postJson(`/v1/accounts/${Z1}/close`);
    expect(res.status).toBe(200);
    const closed = body<AccountBody>(res);
    expect(closed.closedAt).not.toBeNull();
    expect(Number.isNaN(Date.parse(closed.closedAt ?? ''))).toBe(false);
    expectError(await postJson('/v1/entries', transfer(BANK, Z1, '1.00')), 422, 'ACCOUNT_CLOSED');
    expectError(await postJson(`/v1/accounts/${Z1}/close`), 422, 'ACCOUNT_CLOSED');
    expectError(await postJson(`/v1/accounts/${Z1}/freeze`), 422, 'ACCOUNT_CLOSED');
  });
});

// ------------------------------------------------------------------ balance as of, statement, entries by account

describe('history of one account', () => {
  const H = 'party:H1:wallet:CNY';
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await openAccount(H, 'CNY', 'LIABILITY', { ownerRef: 'party:H1', noOverdraft: true });
    ids.jun10 = (await postEntry(transfer(BANK, H, '50.00', { effectiveDate: '2025-06-10', memo: 'jun 10' }))).entry.id;
    ids.jun20 = (await postEntry(transfer(BANK, H, '20.00', { effectiveDate: '2025-06-20', memo: 'jun 20' }))).entry.id;
    // Booked last, effective first.
    ids.jun01 = (await postEntry(transfer(BANK, H, '5.00', { effectiveDate: '2025-06-01', memo: 'backdated' }))).entry.id;
    ids.jul05 = (await postEntry(transfer(H, BANK, '15.00', { effectiveDate: '2025-07-05', memo: 'payout' }))).entry.id;
  });

  it('GET /v1/accounts/:code/balance?asOf= counts postings effective on or before the date, backdated ones included', async () => {
    const asOf = async (date: string) => body<BalanceBody & { asOf: string }>(await http().get(`/v1/accounts/${H}/balance`).query({ asOf: date }).expect(200));
    expect(await asOf('2025-05-31')).toEqual({ asOf: '2025-05-31', account: H, asset: 'CNY', debits: '0.00', credits: '0.00', balance: '0.00' });
    expect((await asOf('2025-06-01')).balance).toBe('5.00');
    expect((await asOf('2025-06-15')).balance).toBe('55.00');
    expect(await asOf('2025-06-30')).toEqual({ asOf: '2025-06-30', account: H, asset: 'CNY', debits: '0.00', credits: '75.00', balance: '75.00' });
    expect((await asOf('2025-07-05')).balance).toBe('60.00');
    expect((await account(H)).balance).toBe('60.00');
  });

  it('GET /v1/accounts/:code/statement pages with nextCursor and a running balance', async () => {
    const range = { from: '2025-06-01', to: '2025-06-30' };
    const first = body<StatementBody>(
      await http()
        .get(`/v1/accounts/${H}/statement`)
        .query({ ...range, limit: 2 })
        .expect(200),
    );
    expect(first).toMatchObject({ account: H, asset: 'CNY', from: range.from, to: range.to, openingBalance: '0.00', closingBalance: '75.00' });
    expect(first.lines.map((l) => [l.effectiveDate, l.entryId, l.side, l.amount, l.runningBalance, l.memo])).toEqual([
      ['2025-06-01', ids.jun01, 'CREDIT', '5.00', '5.00', 'backdated'],
      ['2025-06-10', ids.jun10, 'CREDIT', '50.00', '55.00', 'jun 10'],
    ]);
    expect(first.nextCursor).toEqual(expect.any(String));

    const second = body<StatementBody>(
      await http()
        .get(`/v1/accounts/${H}/statement`)
        .query({ ...range, limit: 2, cursor: first.nextCursor ?? '' })
        .expect(200),
    );
    expect(second.openingBalance).toBe('55.00');
    expect(second.closingBalance).toBe('75.00');
    expect(second.lines.map((l) => [l.effectiveDate, l.entryId, l.amount, l.runningBalance])).toEqual([['2025-06-20', ids.jun20, '20.00', '75.00']]);
    expect(second.nextCursor).toBeNull();
  });

  it('a statement starting mid-history opens at the balance before `from`; debits lower a credit-normal balance', async () => {
    const s = body<StatementBody>(await http().get(`/v1/accounts/${H}/statement`).query({ from: '2025-06-05', to: '2025-07-31' }).expect(200));
    expect(s.openingBalance).toBe('5.00');
    expect(s.lines.map((l) => [l.side, l.amount, l.runningBalance])).toEqual([
      ['CREDIT', '50.00', '55.00'],
      ['CREDIT', '20.00', '75.00'],
      ['DEBIT', '15.00', '60.00'],
    ]);
    expect(s.closingBalance).toBe('60.00');
    expect(s.nextCursor).toBeNull();
  });

  it("GET /v1/entries?account= lists the account's entries newest first, paged with after", async () => {
    const all = body<Page<EntryBody>>(await http().get('/v1/entries').query({ account: H }).expect(200));
    expect(all.items.map((e) => e.id)).toEqual([ids.jul05, ids.jun01, ids.jun20, ids.jun10]);
    expect(all.items.every((e) => e.postings.some((p) => p.account === H))).toBe(true);
    expect(all.nextCursor).toBeNull();

    const page1 = body<Page<EntryBody>>(await http().get('/v1/entries').query({ account: H, limit: 3 }).expect(200));
    expect(page1.items.map((e) => e.id)).toEqual([ids.jul05, ids.jun01, ids.jun20]);
    expect(page1.nextCursor).toEqual(expect.any(String));
    const page2 = body<Page<EntryBody>>(
      await http()
        .get('/v1/entries')
        .query({ account: H, limit: 3, after: page1.nextCursor ?? '' })
        .expect(200),
    );
    expect(page2.items.map((e) => e.id)).toEqual([ids.jun10]);
    expect(page2.nextCursor).toBeNull();

    const june = body<Page<EntryBody>>(await http().get('/v1/entries').query({ account: H, from: '2025-06-05', to: '2025-06-30' }).expect(200));
    expect(june.items.map((e) => e.id)).toEqual([ids.jun20, ids.jun10]);
  });
});

// ------------------------------------------------------------------ reports (last: they see everything above)

describe('reports and verification', () => {
  it('GET /v1/reports/trial-balance balances every asset', async () => {
    const tb = body<TrialBalanceBody>(await http().get('/v1/reports/trial-balance').expect(200));
    expect(tb.asOf).toBeNull();
    expect(tb.assets.map((a) => a.asset)).toEqual(['CNY', 'PERMIT.TEST', 'TCO2E']);
    expect(tb.assets.every((a) => a.balanced)).toBe(true);
    const cny = tb.assets.find((a) => a.asset === 'CNY');
    expect(cny?.debitBalances).toBe(cny?.creditBalances);
    expect(cny?.debitBalances).toMatch(/^\d+\.\d{2}$/);
    expect(tb.assets.find((a) => a.asset === 'PERMIT.TEST')).toEqual({ asset: 'PERMIT.TEST', accounts: 2, debitBalances: '7', creditBalances: '7', balanced: true });
    expect(tb.owners).toBeUndefined();
  });

  it('GET /v1/reports/trial-balance?byOwner=true adds owner lines; asOf recomputes from postings', async () => {
    const tb = body<TrialBalanceBody>(await http().get('/v1/reports/trial-balance').query({ byOwner: 'true' }).expect(200));
    expect(tb.assets.every((a) => a.balanced)).toBe(true);
    expect(tb.owners).toEqual(expect.arrayContaining([{ ownerRef: 'party:P1', asset: 'CNY', debits: '0.00', credits: '100.00', net: '-100.00' }]));
    expect(tb.owners).toEqual(expect.arrayContaining([expect.objectContaining({ ownerRef: 'party:H1', asset: 'CNY', net: '-60.00' })]));

    const early = body<TrialBalanceBody>(await http().get('/v1/reports/trial-balance').query({ asOf: '2025-06-15', byOwner: 'true' }).expect(200));
    expect(early.asOf).toBe('2025-06-15');
    expect(early.assets.every((a) => a.balanced)).toBe(true);
    expect(early.owners).toEqual(expect.arrayContaining([expect.objectContaining({ ownerRef: 'party:H1', asset: 'CNY', net: '-55.00' })]));
  });

  it('GET /v1/admin/ledger/verify reports an intact chain', async () => {
    const report = body<ChainReportBody>(await http().get('/v1/admin/ledger/verify').expect(200));
    expect(report).toMatchObject({ ok: true, firstBrokenEntryId: null, brokenAccount: null, reason: null });
    expect(report.entriesChecked).toBe(await entryCount());
    expect(report.accountsChecked).toBeGreaterThan(0);
  });
});
