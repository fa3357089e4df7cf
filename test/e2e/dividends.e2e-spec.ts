import type { ApiApplication } from '../../apps/api/src/app.setup';
import { getQueueToken } from '@nestjs/bullmq';
import { DividendDistributionService, walletOf } from '@forest-ledger/forestry';
import { Dec } from '@forest-ledger/ledger';
import { dividendJobId, QueueName } from '@forest-ledger/platform';
import { Queue } from 'bullmq';
import ExcelJS from 'exceljs';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { balance, lishuSeries, seedTicketWorld, TicketServices, ticketServices, TicketWorld } from '../factories/tickets.factory';
import { contractOf } from '../setup/contract';
import { apiClient, binary } from '../setup/http-client';
import { createTestApp, tokenFor } from '../setup/test-app';
import { useTestDatabase } from '../setup/test-database';

/**
 * Dividends (分红, issue 5) over HTTP: income into a project wallet, a declaration, four-eyes approval
 * queueing the distribution job, the distribution with its progress and exact amounts, a holder's own
 * dividends, a payout batch with its bank files and confirmation, replays and bad input.
 */

const db = useTestDatabase();
let app: ApiApplication;
let t: TicketServices;
let world: TicketWorld;
const token: Record<string, string> = {};

const P = 'DV-HTTP';
const CAPITAL = 'DV-CAP';
const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}
interface DeclarationBody {
  id: string;
  project: string;
  amount: string;
  state: string;
  declaredBy: string;
  approvedBy: string | null;
  progress: { holdersTotal: number; holdersDone: number; amountDistributed: string };
}

const { http, post, get } = apiClient(
  () => app,
  (role) => token[role],
  // Every answer is checked against the OpenAPI document (issue 20, item 10).
  contractOf(() => app),
);

async function counts(): Promise<Record<string, number>> {
  const [row] = await t.ds.query<Array<Record<string, number>>>(
    `SELECT (SELECT count(*)::int FROM ledger_entries) AS entries, (SELECT count(*)::int FROM dividend_declarations) AS declarations,
            (SELECT count(*)::int FROM payout_batches) AS batches, (SELECT count(*)::int FROM party_bank_cards) AS cards`,
  );
  return row;
}

beforeAll(async () => {
  app = await createTestApp(db);
  t = ticketServices(app.get(DataSource));
  // Three villagers with 300,000 units each of a 900,000-unit series (no collective share).
  world = await seedTicketWorld(t, { collective: 'C-DVH', prefix: 'D-', villagers: 3, households: 1, parcels: 6 });
  await lishuSeries(t, world, P, { collectiveRetainedRatio: '0' });
  // The farm's 1,000.00 cash contribution sits in this project's wallet: capital, not distributable.
  await lishuSeries(t, world, CAPITAL, { collectiveRetainedRatio: '0', farmCash: '1000.00' });
  token.ADMIN = await tokenFor(app, 'ADMIN');
  token.APPROVER = await tokenFor(app, 'APPROVER');
  token.AUDITOR = await tokenFor(app, 'AUDITOR');
  token.FARM = await tokenFor(app, 'FARM_OPERATOR', world.farm);
  token.V1 = await tokenFor(app, 'VILLAGER', world.villagers[0]);
  token.V2 = await tokenFor(app, 'VILLAGER', world.villagers[1]);
});

afterAll(async () => {
  await app?.close();
});

describe('dividends over HTTP', () => {
  let declarationId: string;

  it('income into the project wallet; a replay returns the same body and books nothing more', async () => {
    const key = randomUUID();
    const body = { kind: 'PRE_DIVIDEND', amount: '100.00', bankReference: 'BK-DVH-001', effectiveDate: '2026-05-01' };
    const first = await post(`/v1/projects/${P}/income`, body, 'ADMIN', key).expect(201);
    expect(first.body).toMatchObject({ kind: 'INCOME', incomeKind: 'PRE_DIVIDEND', amount: '100.00', walletBalance: '100.00', effectiveDate: '2026-05-01' });
    const before = await counts();
    const replay = await post(`/v1/projects/${P}/income`, body, 'ADMIN', key).expect(201);
    expect(replay.headers['idempotency-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    expect(await counts()).toEqual(before);
    const flows = await get(`/v1/projects/${P}/cash-flows`, 'AUDITOR').expect(200);
    expect((flows.body as Array<{ amount: string }>).map((f) => f.amount)).toEqual(['100.00']);
  });

  it('bad input is a 400 naming the field and writes nothing', async () => {
    const before = await counts();
    const cases: Array<[string, object, string]> = [
      [`/v1/projects/${P}/income`, { kind: 'PRE_DIVIDEND', amount: 100, bankReference: 'BK-X' }, 'amount'],
      [`/v1/projects/${P}/income`, { kind: 'LOTTERY', amount: '1.00', bankReference: 'BK-X' }, 'kind'],
      ['/v1/dividends', { project: P, amount: '10.00', recordDate: '2026-02-30', paymentDate: '2026-07-15' }, 'recordDate'],
      ['/v1/dividends', { project: P, amount: '-1', recordDate: '2026-06-30', paymentDate: '2026-07-15' }, 'amount'],
      [`/v1/projects/${P}/guarantee-top-ups`, { mode: 'RETURN', principal: '1000.00', bankReference: 'BK-X' }, 'annualRate'],
      ['/v1/payout-batches', { scope: 'PLANET', code: P }, 'scope'],
    ];
    for (const [path, body, field] of cases) {
      const res = await post(path, body).expect(400);
      expect([path, (res.body as ErrorBody).field]).toEqual([path, field]);
    }
    // A declaration above the income received: 422, nothing written.
    const over = await post('/v1/dividends', { project: P, amount: '100.01', recordDate: '2026-06-30', paymentDate: '2026-07-15' }).expect(422);
    expect(over.body).toMatchObject({ code: 'EXCEEDS_DISTRIBUTABLE', field: 'amount', details: { distributable: '100.00' } });
    expect(await counts()).toEqual(before);
  });

  it('a memo of up to 500 characters passes the DTO and the service alike; 501 is a 400 naming memo', async () => {
    const before = await counts();
    const declare = (memo: string) => post('/v1/dividends', { project: P, amount: '100.01', recordDate: '2026-06-30', paymentDate: '2026-07-15', memo });
    // 500 characters pass every memo check and reach the amount rule (nothing written).
    expect((await declare('分'.repeat(500)).expect(422)).body).toMatchObject({ code: 'EXCEEDS_DISTRIBUTABLE', field: 'amount' });
    expect((await declare('分'.repeat(501)).expect(400)).body).toMatchObject({ field: 'memo' });
    expect(await counts()).toEqual(before);
  });

  it("the farm's operator records income and a cost of its project; a villager may not", async () => {
    const income = await post(`/v1/projects/${P}/income`, { kind: 'HARVEST_THINNING', amount: '10.00', bankReference: 'BK-DVH-002' }, 'FARM').expect(201);
    expect(income.body).toMatchObject({ incomeKind: 'HARVEST_THINNING', walletBalance: '110.00' });
    const cost = await post(`/v1/projects/${P}/costs`, { amount: '10.00', bankReference: 'BK-DVH-003', description: '抚育人工费' }, 'FARM').expect(201);
    expect(cost.body).toMatchObject({ kind: 'COST', amount: '10.00', walletBalance: '100.00' });
    await post(`/v1/projects/${P}/income`, { kind: 'OTHER', amount: '1.00', bankReference: 'BK-DVH-004' }, 'V1').expect(403);
  });

  it('declare; the declarer may not approve, another APPROVER does and the distribution job is queued', async () => {
    const res = await post('/v1/dividends', { project: P, amount: '100.00', recordDate: '2026-06-30', paymentDate: '2026-07-15', memo: '2026 年预分红', chunkSize: 2 }).expect(201);
    const draft = res.body as DeclarationBody;
    expect(draft).toMatchObject({ project: P, amount: '100.00', state: 'DRAFT', approvedBy: null });
    declarationId = draft.id;

    // The declarer (an ADMIN) cannot approve: only an APPROVER may, never the one who declared.
    await post(`/v1/dividends/${declarationId}/approve`, {}, 'ADMIN').expect(403);
    expect((await get(`/v1/dividends/${declarationId}`).expect(200)).body).toMatchObject({ state: 'DRAFT' });

    const key = randomUUID();
    const approved = await post(`/v1/dividends/${declarationId}/approve`, {}, 'APPROVER', key).expect(200);
    expect(approved.body).toMatchObject({ id: declarationId, state: 'APPROVED' });
    expect((approved.body as DeclarationBody).approvedBy).not.toBe(draft.declaredBy);
    const replay = await post(`/v1/dividends/${declarationId}/approve`, {}, 'APPROVER', key).expect(200);
    expect(replay.body).toEqual(approved.body);

    const queue = app.get<Queue>(getQueueToken(QueueName.Dividends));
    expect(approved.body).toMatchObject({ round: 1, failedAt: null, failure: null });
    const job = await queue.getJob(dividendJobId(declarationId, 1));
    expect(job?.data).toEqual({ declarationId, round: 1 });
    // The API runs no worker here: the job stays waiting, removed before running the distribution ourselves.
    await job?.remove();
  });

  it('the distribution pays every holder; progress reaches the total and the amounts sum exactly to the declared amount', async () => {
    const outcome = await app.get(DividendDistributionService).distribute(declarationId);
    expect(outcome.state).toBe('DISTRIBUTED');
    const progress = await get(`/v1/dividends/${declarationId}/progress`, 'AUDITOR').expect(200);
    expect(progress.body).toMatchObject({ state: 'DISTRIBUTED', holdersTotal: 3, holdersDone: 3, amountDistributed: '100.00' });
    const page1 = (await get(`/v1/dividends/${declarationId}/lines?limit=2`).expect(200)).body as Array<{ seq: number; party: string; amount: string; units: string }>;
    const last = page1[page1.length - 1].seq;
    const page2 = (await get(`/v1/dividends/${declarationId}/lines?afterSeq=${last}`).expect(200)).body as Array<{ seq: number; party: string; amount: string; units: string }>;
    const lines = [...page1, ...page2];
    expect(page1).toHaveLength(2);
    expect(lines.map((l) => [l.units, l.amount])).toEqual([
      ['300000', '33.34'],
      ['300000', '33.33'],
      ['300000', '33.33'],
    ]);
    expect(lines.reduce((s, l) => s.plus(l.amount), new Dec(0)).toFixed(2)).toBe('100.00');
    for (const l of lines) expect(await balance(t, walletOf(l.party))).toBe(l.amount);
    await get(`/v1/dividends/${declarationId}/lines?limit=0`).expect(400);
  });

  it('a villager sees only their own dividends', async () => {
    const [v1, v2] = world.villagers;
    const mine = await get(`/v1/parties/${v1}/dividends`, 'V1').expect(200);
    expect(mine.body).toEqual([expect.objectContaining({ party: v1, project: P, units: '300000', paymentDate: '2026-07-15', paid: true })]);
    await get(`/v1/parties/${v2}/dividends`, 'V1').expect(404);
    const theirs = await get(`/v1/parties/${v2}/dividends`, 'V2').expect(200);
    expect((theirs.body as Array<{ party: string }>).map((d) => d.party)).toEqual([v2]);
    expect((await get(`/v1/parties/${v2}/dividends`, 'AUDITOR').expect(200)).body).toEqual(theirs.body);
  });

  it('payout batch → CSV and XLSX bank files → confirm: the wallets are debited', async () => {
    const [v1, v2, v3] = world.villagers;
    const cards: Record<string, string> = { [v1]: '6228480000000000011', [v2]: '6228480000000000029' };
    for (const [party, card] of Object.entries(cards)) {
      const res = await post(`/v1/parties/${party}/bank-card`, { bankName: '阳城农商银行', cardNumber: card }).expect(200);
      expect(res.body).toMatchObject({ party, bankName: '阳城农商银行' });
      expect(JSON.stringify(res.body)).not.toContain(card);
    }
    const before = await counts();
    const bad = await post(`/v1/parties/${v3}/bank-card`, { bankName: '阳城农商银行', cardNumber: '12ab' }).expect(400);
    expect((bad.body as ErrorBody).field).toBe('cardNumber');
    expect(await counts()).toEqual(before);

    const created = await post('/v1/payout-batches', { scope: 'PROJECT', code: P }).expect(201);
    const { batch, withoutCard } = created.body as {
      batch: { id: string; totalAmount: string; lines: Array<{ id: string; party: string; amount: string; state: string }> };
      withoutCard: string[];
    };
    expect(withoutCard).toEqual([v3]);
    expect(batch.lines.map((l) => l.party).sort()).toEqual([v1, v2].sort());
    expect(batch.totalAmount).toBe(new Dec(batch.lines[0].amount).plus(batch.lines[1].amount).toFixed(2));

    const csv = await get(`/v1/payout-batches/${batch.id}/bank-file.csv`).expect(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toContain('attachment');
    expect(csv.text).toContain(cards[v1]);
    expect(csv.text.split('\r\n').filter((l) => l !== '')).toHaveLength(3);
    await get(`/v1/payout-batches/${batch.id}/bank-file.csv`, 'AUDITOR').expect(403);
    const forSheets = await get(`/v1/payout-batches/${batch.id}/bank-file.csv?layout=spreadsheet`).expect(200);
    expect(forSheets.text).toContain(`,="${cards[v1]}",`);
    expect(forSheets.text.split('\r\n').filter((l) => l !== '')).toEqual(expect.arrayContaining([`合计,,,,,${batch.totalAmount},2 笔`]));
    await get(`/v1/payout-batches/${batch.id}/bank-file.csv?layout=excel`).expect(400);

    const xlsx = await get(`/v1/payout-batches/${batch.id}/bank-file.xlsx`).buffer(true).parse(binary).expect(200);
    expect(xlsx.headers['content-type']).toContain(XLSX);
    const workbook = new ExcelJS.Workbook();
    await workbook.xlsx.load(new Uint8Array(xlsx.body as Buffer).buffer);
    const cells: string[] = [];
    workbook.worksheets[0].eachRow((row) => row.eachCell((cell) => cells.push(cell.text)));
    expect(cells).toEqual(expect.arrayContaining([cards[v1], cards[v2]]));

    const key = randomUUID();
    const confirmed = await post(`/v1/payout-batches/${batch.id}/confirm`, { bankReference: 'BK-PAY-001', paidOn: '2026-07-16' }, 'ADMIN', key).expect(200);
    expect(confirmed.body).toMatchObject({ id: batch.id, state: 'PAID', bankReference: 'BK-PAY-001' });
    expect(confirmed.body).toMatchObject({ outcome: 'PAID', paidAmount: batch.totalAmount, failedAmount: '0.00', returnedAmount: '0.00' });
    expect(await balance(t, walletOf(v1))).toBe('0');
    expect(await balance(t, walletOf(v2))).toBe('0');
    const replay = await post(`/v1/payout-batches/${batch.id}/confirm`, { bankReference: 'BK-PAY-001', paidOn: '2026-07-16' }, 'ADMIN', key).expect(200);
    expect(replay.body).toEqual(confirmed.body);

    // The bank returns v2's payment: the money goes back to the wallet.
    const v2Line = batch.lines.find((l) => l.party === v2);
    const failed = await post(`/v1/payout-lines/${v2Line?.id ?? '0'}/fail`, { reason: '账户已销户' }).expect(200);
    expect(failed.body).toMatchObject({ state: 'FAILED', failureReason: '账户已销户' });
    expect(await balance(t, walletOf(v2))).toBe(v2Line?.amount);

    const report = await get('/v1/reports/unclaimed-dividends?scope=PROJECT&code=' + P, 'AUDITOR').expect(200);
    const owed = (report.body as { lines: Array<{ party: string; balance: string }> }).lines.map((l) => l.party).sort();
    expect(owed).toEqual([v2, v3].sort());
    await get('/v1/reports/unclaimed-dividends?scope=PROJECT', 'AUDITOR').expect(400);
  });

  it('documents every dividend route with its response type in the OpenAPI document', async () => {
    interface Operation {
      responses: Record<string, { content?: Record<string, { schema?: { $ref?: string; items?: { $ref?: string } } }> }>;
    }
    const doc = (await http().get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, Operation>> };
    const routes: Array<[string, string, string, string | null]> = [
      ['post', '/v1/projects/{code}/income', '201', 'CashFlowResponse'],
      ['post', '/v1/projects/{code}/guarantee-top-ups', '201', 'CashFlowResponse'],
      ['post', '/v1/dividends', '201', 'DeclarationResponse'],
      ['post', '/v1/dividends/{id}/approve', '200', 'DeclarationResponse'],
      ['get', '/v1/dividends/{id}/progress', '200', 'StateProgressResponse'],
      ['get', '/v1/dividends/{id}/lines', '200', 'DividendLineResponse'],
      ['get', '/v1/projects/{code}/distributable', '200', 'DistributableResponse'],
      ['get', '/v1/parties/{code}/dividends', '200', 'PartyDividendResponse'],
      ['post', '/v1/payout-batches', '201', 'CreateBatchResponse'],
      ['get', '/v1/payout-batches/{id}/bank-file.xlsx', '200', null],
      ['get', '/v1/reports/unclaimed-dividends', '200', 'UnclaimedResponse'],
    ];
    for (const [method, path, status, schema] of routes) {
      const response = doc.paths[path]?.[method]?.responses[status];
      expect([path, response !== undefined]).toEqual([path, true]);
      if (schema === null) continue;
      const body = response?.content?.['application/json']?.schema;
      expect([path, body?.$ref ?? body?.items?.$ref]).toEqual([path, `#/components/schemas/${schema}`]);
    }
  });

  describe('the rules of issue 13 over HTTP', () => {
    const RECORD = '2026-06-30';
    interface LineBody {
      party: string;
      units: string;
      amountPerUnit: string;
    }

    it('amountPerUnit is a plain decimal of 6 places everywhere, documented in the OpenAPI schema', async () => {
      const declaration = (await get(`/v1/dividends/${declarationId}`).expect(200)).body as { amountPerUnit: string };
      expect(declaration.amountPerUnit).toBe('0.000111'); // 100.00 ÷ 900,000 units, half-up
      const lines = (await get(`/v1/dividends/${declarationId}/lines`).expect(200)).body as LineBody[];
      expect(lines.map((l) => l.amountPerUnit)).toEqual(['0.000111', '0.000111', '0.000111']);
      const mine = (await get(`/v1/parties/${world.villagers[0]}/dividends`, 'V1').expect(200)).body as LineBody[];
      expect(mine.map((l) => l.amountPerUnit)).toEqual(['0.000111']);
      interface Schema {
        properties: Record<string, { example?: string; pattern?: string; description?: string }>;
      }
      const doc = (await http().get('/docs-json').expect(200)).body as { components: { schemas: Record<string, Schema> } };
      for (const schema of ['DeclarationResponse', 'DividendLineResponse', 'PartyDividendResponse']) {
        const property = doc.components.schemas[schema].properties.amountPerUnit;
        expect([schema, property.example, property.pattern]).toEqual([schema, '0.000111', '^\\d+\\.\\d{6}$']);
        expect(property.description).toContain('6 places, rounded half-up');
      }
      expect(JSON.stringify(doc)).not.toMatch(/\d\(\d+\)/);
    });

    it('refuses a trade, an inheritance, a pledge enforcement and a buy-back dated on or before the paid record date; nothing moves', async () => {
      const [v1, v2, v3] = world.villagers;
      const register = (await get(`/v1/series/${P}/register?asOf=${RECORD}`, 'AUDITOR').expect(200)).body as unknown;
      // A pledge dated after the record date, to be enforced with a date before it.
      const pledge = await post(`/v1/series/${P}/pledges`, { holder: v3, pledgee: world.bank, units: '1000', contractReference: 'ZY-DVH-1', effectiveDate: '2026-07-01' }).expect(
        201,
      );
      const before = await counts();
      const attempts: Array<[string, object, string]> = [
        [`/v1/series/${P}/trades`, { seller: v1, buyer: v2, units: '100', unitPrice: '0.01', effectiveDate: RECORD }, 'ADMIN'],
        [`/v1/series/${P}/inheritances`, { from: v1, heirs: [{ party: v2, units: '300000' }], documentReference: '(2026)晋阳证字第7号', effectiveDate: '2026-06-01' }, 'ADMIN'],
        [`/v1/pledges/${(pledge.body as { pledgeId: string }).pledgeId}/enforce`, { effectiveDate: RECORD }, 'ADMIN'],
        [`/v1/series/${P}/buy-backs`, { holder: v2, units: '100', unitPrice: '0.01', effectiveDate: '2026-06-15' }, 'FARM'],
      ];
      for (const [path, body, role] of attempts) {
        const res = await post(path, body, role).expect(422);
        expect([path, res.body]).toEqual([
          path,
          expect.objectContaining({ code: 'REGISTER_CLOSED', field: 'effectiveDate', details: { declarationId, recordDate: RECORD, state: 'DISTRIBUTED' } }),
        ]);
        expect((res.body as ErrorBody).message).toContain(`dividend declaration #${declarationId} (DISTRIBUTED) pays the holders of record date ${RECORD}`);
      }
      expect(await counts()).toEqual(before);
      expect((await get(`/v1/series/${P}/register?asOf=${RECORD}`, 'AUDITOR').expect(200)).body).toEqual(register);
      // The day after is open.
      await post(`/v1/series/${P}/trades`, { seller: v1, buyer: v2, units: '100', unitPrice: '0.01', effectiveDate: '2026-07-01' }).expect(201);
      expect((await get(`/v1/series/${P}/register?asOf=${RECORD}`, 'AUDITOR').expect(200)).body).toEqual(register);
    });

    it("shows the distributable amount line by line, as of a date, to the staff and the project's farm only", async () => {
      await post(`/v1/projects/${P}/income`, { kind: 'CARBON', amount: '50.00', bankReference: 'BK-DVH-005' }).expect(201);
      const now = (await get(`/v1/projects/${P}/distributable`, 'AUDITOR').expect(200)).body as Record<string, unknown>;
      expect(now).toMatchObject({
        project: P,
        income: [
          { kind: 'HARVEST_FINAL', label: '主伐', amount: '0.00' },
          { kind: 'HARVEST_THINNING', label: '间伐', amount: '10.00' },
          { kind: 'PRE_DIVIDEND', label: '预分红', amount: '100.00' },
          { kind: 'CARBON', label: '碳汇收入', amount: '50.00' },
          { kind: 'RENT', label: '流转租金', amount: '0.00' },
          { kind: 'OTHER', label: '其他', amount: '0.00' },
          { kind: 'GUARANTEE_TOP_UP', label: '保底补足', amount: '0.00' },
        ],
        incomeTotal: '160.00',
        costs: '10.00',
        managementFees: '0.00',
        dividends: [{ id: declarationId, state: 'DISTRIBUTED', amount: '100.00', recordDate: RECORD }],
        dividendsDeclared: '100.00',
        distributable: '50.00',
        formula: '收入 160.00 − 成本 10.00 − 管理费 0.00 − 已宣告分红 100.00 = 可分配 50.00 元',
      });
      // On 2026-05-01 only the pre-dividend had come in; nothing was declared yet.
      const early = (await get(`/v1/projects/${P}/distributable?asOf=2026-05-01`, 'FARM').expect(200)).body as Record<string, unknown>;
      expect(early).toMatchObject({ asOf: '2026-05-01', incomeTotal: '100.00', costs: '0.00', dividends: [], distributable: '100.00' });
      await get(`/v1/projects/${P}/distributable`, 'V1').expect(403);
      expect((await get(`/v1/projects/${P}/distributable?asOf=2026-02-30`, 'AUDITOR').expect(400)).body).toMatchObject({ field: 'asOf' });
      const over = await post('/v1/dividends', { project: P, amount: '50.01', recordDate: '2026-07-31', paymentDate: '2026-08-15' }).expect(422);
      expect(over.body).toMatchObject({
        code: 'EXCEEDS_DISTRIBUTABLE',
        field: 'amount',
        details: { distributable: '50.00', incomeTotal: '160.00', costs: '10.00', dividendsDeclared: '100.00' },
      });
      expect((over.body as ErrorBody).message).toContain('收入 160.00 − 成本 10.00 − 管理费 0.00 − 已宣告分红 100.00 = 可分配 50.00 元');
    });

    it('never pays contributed cash as a dividend', async () => {
      const before = await counts();
      const res = await post('/v1/dividends', { project: CAPITAL, amount: '1000.00', recordDate: RECORD, paymentDate: '2026-07-15' }).expect(422);
      expect(res.body).toMatchObject({ code: 'EXCEEDS_DISTRIBUTABLE', field: 'amount', details: { distributable: '0.00' } });
      expect((res.body as ErrorBody).message).toContain('contributed capital is not distributable');
      expect(await counts()).toEqual(before);
      expect(await balance(t, `project:${CAPITAL}:wallet:CNY`)).toBe('1000');
    });
  });
});
