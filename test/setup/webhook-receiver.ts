import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/** What the receiver does with a request: answer 200, answer 500, or never answer (the sender's timeout). */
export type ReceiverMode = 'ok' | 'fail' | 'hang';

export interface Received {
  id: string;
  seq: number;
  type: string;
  /** How many v1 signatures the header carried, and which of the receiver's secrets verified. */
  signatures: number;
  verifiedWith: string[];
  /** The mode the request was answered in. */
  mode: ReceiverMode;
  body: Record<string, unknown>;
}

/**
 * The README's ten-line check, verbatim in spirit: the timestamp within 5 minutes, one v1 equal to
 * HMAC-SHA256(secret, `${t}.${body}`), compared in constant time.
 */
export function verify(header: string, body: string, secret: string): boolean {
  const parts = header.split(',').map((p) => p.split('='));
  const t = Number(parts.find(([k]) => k === 't')?.[1]);
  if (!(Math.abs(Date.now() / 1000 - t) <= 300)) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest();
  return parts.some(([k, v]) => k === 'v1' && v.length === 64 && timingSafeEqual(Buffer.from(v, 'hex'), expected));
}

/**
 * A real HTTP receiver in the test process (not a mock of the delivery code): every request's signature is
 * checked against the secrets it knows, and what it saw (in arrival order) is kept, including what it
 * answered with a failure.
 */
export class WebhookReceiver {
  readonly seen: Received[] = [];
  secrets: string[] = [];
  mode: ReceiverMode = 'ok';
  /** Delay before answering 200, ms (to catch a delivery in flight). */
  delayMs = 0;
  private server: Server | null = null;
  private readonly hanging = new Set<ServerResponse>();

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The sequences answered 200, in arrival order. */
  get delivered(): number[] {
    return this.seen.filter((r) => r.mode === 'ok').map((r) => r.seq);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const header = String(req.headers['forest-ledger-signature'] ?? '');
    const body = JSON.parse(raw) as Record<string, unknown>;
    const mode = this.mode;
    this.seen.push({
      id: String(req.headers['forest-ledger-event-id']),
      seq: Number(body.seq),
      type: String(body.type),
      signatures: header.split(',').filter((p) => p.startsWith('v1=')).length,
      verifiedWith: this.secrets.filter((s) => verify(header, raw, s)),
      mode,
      body,
    });
    if (mode === 'hang') {
      this.hanging.add(res);
      return;
    }
    if (mode === 'fail') {
      res.writeHead(500).end('receiver down');
      return;
    }
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    res.writeHead(200).end('ok');
  }
}
