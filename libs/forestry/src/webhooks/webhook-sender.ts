import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { guardedLookup } from './url-guard';

/** One delivery attempt's outcome, as recorded. */
export interface AttemptOutcome {
  ok: boolean;
  latencyMs: number;
  responseCode: number | null;
  error: string | null;
}

/**
 * POSTs one signed body: a 2xx is a success, anything else (another status, a refused or reset connection,
 * WEBHOOK_TIMEOUT_MS passed, a private address) a failure. Redirects are not followed; at most 4 KiB of
 * the answer is read (for the error text).
 */
export function postWebhook(url: string, headers: Record<string, string>, body: string, opts: { timeoutMs: number; allowPrivate: boolean }): Promise<AttemptOutcome> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const done = (o: Omit<AttemptOutcome, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...o, latencyMs: elapsed() });
    };
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body).toString(), 'User-Agent': 'forest-ledger-webhooks/1', ...headers },
        lookup: guardedLookup(opts.allowPrivate),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          if (size < 4096) chunks.push(c);
          size += c.length;
        });
        res.on('end', () => {
          const code = res.statusCode ?? 0;
          const ok = code >= 200 && code < 300;
          done({ ok, responseCode: code, error: ok ? null : `HTTP ${code}: ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}` });
        });
        res.on('error', (e) => done({ ok: false, responseCode: res.statusCode ?? null, error: e.message }));
      },
    );
    const timer = setTimeout(() => {
      done({ ok: false, responseCode: null, error: `timed out after ${opts.timeoutMs} ms` });
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (e) => done({ ok: false, responseCode: null, error: e.message }));
    req.end(body);
  });
}
