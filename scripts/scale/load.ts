/**
 * The mixed load of the scale demo (issue #22), through the round-robin proxy while a dividend is distributed:
 * transfers (POST /v1/entries), 林票 trades between villagers (POST /v1/series/:code/trades), villagers loading
 * their page (GET /v1/me/portal, served from the replica) and a public registry scrape. Every write carries an
 * Idempotency-Key; a write that was acknowledged (2xx) is remembered so the demo can check, afterwards, that
 * each is present exactly once (a replay answers the stored result and writes nothing). A write that met a
 * killed API (a dropped connection, 502) is retried with its key, as a client should.
 */
import { randomUUID } from 'node:crypto';

export interface Write {
  path: string;
  body: unknown;
  key: string;
  token: string;
  status: number;
  answer: string;
}

export interface LoadStats {
  transfersAcked: number;
  tradesAcked: number;
  portalReads: number;
  portalErrors: number;
  registryReads: number;
  registryErrors: number;
  writeRetries: number;
  /** Answers of 5xx other than 502/503 (a bug, not an outage): must stay 0. */
  serverErrors: number;
  portalLatenciesMs: number[];
  /** Answers that were not the expected status, by route and status (e.g. "GET /v1/me/portal 502": 1). */
  errorStatuses: Record<string, number>;
  acked: Write[];
}

export interface LoadPlan {
  base: string;
  adminToken: string;
  villagerTokens: string[];
  series: string;
  /** [seller, buyer] villager pairs for trades. */
  tradePairs: Array<[string, string]>;
  /** The two accounts transfers go between. */
  accounts: [string, string];
  effectiveDate: string;
  running: () => boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function countError(stats: LoadStats, what: string, status: number): void {
  const key = `${what} ${status}`;
  stats.errorStatuses[key] = (stats.errorStatuses[key] ?? 0) + 1;
}

async function send(base: string, path: string, init: { method: string; token: string; key?: string; body?: unknown }): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { authorization: `Bearer ${init.token}` };
  if (init.key) headers['idempotency-key'] = init.key;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  try {
    const r = await fetch(`${base}${path}`, { method: init.method, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
    return { status: r.status, text: await r.text() };
  } catch {
    return { status: 0, text: '' };
  }
}

/** POSTs with a key until an answer that is not an outage (0, 502, 503); remembers it when acknowledged. */
async function write(plan: LoadPlan, stats: LoadStats, path: string, body: unknown, token: string): Promise<number> {
  const key = randomUUID();
  for (let attempt = 0; attempt < 20; attempt++) {
    const { status, text } = await send(plan.base, path, { method: 'POST', token, key, body });
    if (status === 0 || status === 502 || status === 503) {
      countError(stats, `POST ${path.startsWith('/v1/series') ? '/v1/series/:code/trades' : path}`, status);
      stats.writeRetries++;
      await sleep(200);
      continue;
    }
    if (status >= 500) stats.serverErrors++;
    if (status < 200 || status >= 300) countError(stats, `POST ${path.startsWith('/v1/series') ? '/v1/series/:code/trades' : path}`, status);
    if (status >= 200 && status < 300) stats.acked.push({ path, body, key, token, status, answer: text });
    return status;
  }
  return 0;
}

export async function runMixedLoad(plan: LoadPlan, clients: { writers: number; traders: number; villagers: number }): Promise<LoadStats> {
  const stats: LoadStats = {
    transfersAcked: 0,
    tradesAcked: 0,
    portalReads: 0,
    portalErrors: 0,
    registryReads: 0,
    registryErrors: 0,
    writeRetries: 0,
    serverErrors: 0,
    portalLatenciesMs: [],
    errorStatuses: {},
    acked: [],
  };
  const writer = async () => {
    for (let i = 0; plan.running(); i++) {
      const [from, to] = i % 2 === 0 ? plan.accounts : [plan.accounts[1], plan.accounts[0]];
      const status = await write(
        plan,
        stats,
        '/v1/entries',
        {
          kind: 'TRANSFER',
          effectiveDate: plan.effectiveDate,
          postings: [
            { account: from, side: 'DEBIT', amount: '1.00' },
            { account: to, side: 'CREDIT', amount: '1.00' },
          ],
        },
        plan.adminToken,
      );
      if (status >= 200 && status < 300) stats.transfersAcked++;
    }
  };
  const trader = async (n: number) => {
    for (let i = n; plan.running(); i += clients.traders) {
      const [seller, buyer] = plan.tradePairs[i % plan.tradePairs.length];
      const status = await write(
        plan,
        stats,
        `/v1/series/${plan.series}/trades`,
        { seller, buyer, units: '1', unitPrice: '0.01', effectiveDate: plan.effectiveDate },
        plan.adminToken,
      );
      if (status >= 200 && status < 300) stats.tradesAcked++;
      await sleep(50);
    }
  };
  const villager = async (n: number) => {
    for (let i = n; plan.running(); i += clients.villagers) {
      const token = plan.villagerTokens[i % plan.villagerTokens.length];
      const t0 = Date.now();
      const page = await send(plan.base, '/v1/me/portal', { method: 'GET', token });
      stats.portalLatenciesMs.push(Date.now() - t0);
      stats.portalReads++;
      if (page.status !== 200) {
        stats.portalErrors++;
        countError(stats, 'GET /v1/me/portal', page.status);
      }
      if (page.status >= 500 && page.status !== 502 && page.status !== 503) stats.serverErrors++;
      const registry = await send(plan.base, '/v1/public/carbon-projects/NONE/registry', { method: 'GET', token: '' });
      stats.registryReads++;
      if (registry.status !== 404) {
        stats.registryErrors++;
        countError(stats, 'GET /v1/public/carbon-projects/:code/registry', registry.status);
      }
      await sleep(20);
    }
  };
  await Promise.all([
    ...Array.from({ length: clients.writers }, () => writer()),
    ...Array.from({ length: clients.traders }, (_, n) => trader(n)),
    ...Array.from({ length: clients.villagers }, (_, n) => villager(n)),
  ]);
  return stats;
}

/** Sends every acknowledged write again with its key: each must answer its first answer, replayed, and write nothing. */
export async function replayAcknowledged(base: string, acked: readonly Write[]): Promise<{ replayed: number; mismatched: string[] }> {
  const mismatched: string[] = [];
  let replayed = 0;
  for (const w of acked) {
    const again = await send(base, w.path, { method: 'POST', token: w.token, key: w.key, body: w.body });
    if (again.status !== w.status || again.text !== w.answer) mismatched.push(`${w.path} ${w.key}: ${again.status}`);
    else replayed++;
  }
  return { replayed, mismatched };
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}
