import { Actor, HttpSmsProvider, maskMobile, PiiCipher, smsNotificationsStore, SmsNotifier, smsSignature } from '@forest-ledger/forestry';
import { feedHead, inTransaction, OutboxRelay } from '@forest-ledger/platform';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { declareAndApprove, DividendServices, dividendServices, fundProject, staffUser } from '../factories/dividends.factory';
import { lishuSeries, seedTicketWorld, TicketServices, ticketServices } from '../factories/tickets.factory';
import { useTestDatabase } from '../setup/test-database';

/**
 * The villagers' SMS notifier (issue 17) against a real HTTP SMS gateway in the test process, which checks
 * every request's signature: each villager once per event, nothing twice on re-runs, replays of the feed or
 * two notifiers at once; villagers without a number skipped and counted.
 */
const db = useTestDatabase();
const KEY = 'sms-gateway-test-key-0123456789';
let t: TicketServices;
let d: DividendServices;
let pii: PiiCipher;
let server: Server;
let url: string;
let operator: Actor;
const P = 'SMS-2026';
const received: Array<{ to: string; text: string; reference: string }> = [];
const badSignatures: string[] = [];
const MOBILES: Record<string, string> = { 'V-0001': '13869893550', 'V-0002': '13992760121', 'V-0003': '13809578776' };

const read = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });

const notifier = (timeoutMs = 2000, path = '/sms') => new SmsNotifier(db.dataSource, pii, new HttpSmsProvider({ url: `${url}${path}`, key: KEY, keyId: 'test', timeoutMs }));

async function publishAll(): Promise<void> {
  const relay = new OutboxRelay(db.dataSource);
  const [{ n }] = await db.dataSource.query<Array<{ n: string }>>(`SELECT count(*)::text AS n FROM outbox_events`);
  for (let i = 0; i < 200 && BigInt(await feedHead(db.dataSource.manager)) < BigInt(n); i++) if ((await relay.drain()) === 0) await new Promise((r) => setTimeout(r, 50));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    void read(req).then((body) => {
      const signature = String(req.headers['x-sms-signature'] ?? '');
      const timestamp = Number(/^t=(\d+),/.exec(signature)?.[1]);
      if (signature !== smsSignature(KEY, timestamp, body) || req.headers['x-sms-key-id'] !== 'test') badSignatures.push(signature);
      if (req.url === '/slow') return; // never answers: the provider's timeout
      const message = JSON.parse(body) as { to: string; text: string; reference: string };
      received.push(message);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `gw-${received.length}` }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  t = ticketServices(db.dataSource);
  d = dividendServices(t);
  pii = new PiiCipher(t.env.PII_ENCRYPTION_KEY, t.env.PII_HMAC_KEY);
  const world = await seedTicketWorld(t, { villagers: 5, households: 2, parcels: 3 });
  expect(world.villagers).toEqual(['V-0001', 'V-0002', 'V-0003', 'V-0004', 'V-0005']);
  for (const [code, mobile] of Object.entries(MOBILES))
    await db.dataSource.query(`UPDATE parties SET mobile_cipher = $2, mobile_masked = $3 WHERE code = $1`, [code, pii.encrypt(mobile), maskMobile(mobile)]);
  operator = await staffUser(t, 'FARM_OPERATOR');
  const checker = await staffUser(t, 'APPROVER');
  await lishuSeries(t, world, P, { collectiveRetainedRatio: '0' });
  await fundProject(t, d, P, '5000.00');
  const decl = await declareAndApprove(t, d, operator, checker, { project: P, amount: '5000.00', recordDate: '2026-06-30', paymentDate: '2026-07-15' });
  expect((await d.dividends.distribute(decl.id)).state).toBe('DISTRIBUTED');
  for (const code of ['V-0001', 'V-0002', 'V-0003', 'V-0004'])
    await inTransaction(db.dataSource, (em) => d.payouts.setBankCard(em, code, { bankName: '阳城农商银行芹池支行', cardNumber: '6222021234567890123' }));
  await publishAll();
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the villagers’ SMS notifier', () => {
  it('sends each villager with a number one signed SMS for the dividend; skips and counts those without', async () => {
    const report = await notifier().runOnce();
    expect(report).toMatchObject({ events: 1, sent: 3, failed: 0, skippedNoMobile: 2, alreadyHandled: 0 });
    expect(badSignatures).toEqual([]);
    expect(received.map((m) => m.to).sort()).toEqual(Object.values(MOBILES).sort());
    for (const m of received) expect(m.text).toMatch(/^【林账】您在.+的林票分红1000\.00元已于2026年7月15日记入您的账户。$/);
    expect(new Set(received.map((m) => m.reference)).size).toBe(3);
    const rows = await smsNotificationsStore.list(db.dataSource.manager);
    expect(rows.map((r) => r.state).sort()).toEqual(['NO_MOBILE', 'NO_MOBILE', 'SENT', 'SENT', 'SENT']);
    // The table keeps the number masked only.
    expect(rows.filter((r) => r.state === 'SENT').map((r) => r.mobile_masked)).toEqual(expect.arrayContaining(['138****3550', '139****0121', '138****8776']));
    expect(JSON.stringify(rows)).not.toMatch(/13869893550|13992760121|13809578776/);
    expect(await smsNotificationsStore.counts(db.dataSource.manager)).toEqual({ SENDING: 0, SENT: 3, FAILED: 0, NO_MOBILE: 2 });
  });

  it('sends nothing twice: a re-run, a replay of the feed from 0, and two notifiers at once', async () => {
    expect(await notifier().runOnce()).toMatchObject({ events: 0, sent: 0 });
    await db.dataSource.query(`UPDATE sms_notifier_cursor SET after_seq = 0`);
    expect(await notifier().runOnce()).toMatchObject({ events: 1, sent: 0, skippedNoMobile: 0, alreadyHandled: 5 });
    await db.dataSource.query(`UPDATE sms_notifier_cursor SET after_seq = 0`);
    const both = await Promise.all([notifier().runOnce(), notifier().runOnce()]);
    expect(both.map((r) => r.sent)).toEqual([0, 0]);
    expect(received).toHaveLength(3);
  });

  it('tells the villagers paid by a confirmed payout batch (not the refused line), once', async () => {
    const { batch } = await inTransaction(db.dataSource, (em) => d.payouts.createBatch(em, operator, { scope: 'PROJECT', code: P }));
    const refused = batch.lines.find((l) => l.party === 'V-0002')!;
    await inTransaction(db.dataSource, (em) =>
      d.payouts.confirmPaid(em, batch.id, { bankReference: 'DF-1', paidOn: '2026-11-20', failed: [{ lineId: refused.id, reason: '户名不符' }] }),
    );
    await publishAll();
    const report = await notifier().runOnce();
    // V-0001 and V-0003 paid, with numbers; V-0004 paid, no number; V-0002 refused (not paid).
    expect(report).toMatchObject({ events: 1, sent: 2, skippedNoMobile: 1, failed: 0 });
    const payoutSms = received.slice(3);
    expect(payoutSms.map((m) => m.to).sort()).toEqual([MOBILES['V-0001'], MOBILES['V-0003']].sort());
    for (const m of payoutSms) expect(m.text).toMatch(/^【林账】.+代发1000\.00元已于2026年11月20日转入您的银行卡。$/);
    expect(await notifier().runOnce()).toMatchObject({ events: 0, sent: 0 });
    expect(received).toHaveLength(5);
    expect(badSignatures).toEqual([]);
  });

  it('a gateway that does not answer in time: recorded FAILED, never sent again', async () => {
    await db.dataSource.query(`DELETE FROM sms_notifications WHERE party_id = (SELECT id FROM parties WHERE code = 'V-0001')`);
    await db.dataSource.query(`UPDATE sms_notifier_cursor SET after_seq = 0`);
    const slow = await notifier(200, '/slow').runOnce();
    expect(slow).toMatchObject({ events: 2, sent: 0, failed: 2, alreadyHandled: 6 });
    const failed = (await smsNotificationsStore.list(db.dataSource.manager)).filter((r) => r.state === 'FAILED');
    expect(failed.map((r) => r.error)).toEqual(['SMS gateway: no answer within 200 ms', 'SMS gateway: no answer within 200 ms']);
    await db.dataSource.query(`UPDATE sms_notifier_cursor SET after_seq = 0`);
    expect(await notifier().runOnce()).toMatchObject({ sent: 0, failed: 0 });
    expect(received).toHaveLength(5);
  });
});
