import { DomainError } from '@forest-ledger/common';
import { Injectable, OnModuleInit } from '@nestjs/common';
import { LedgerService } from '@forest-ledger/ledger';
import { Env, Metrics, metricsAccess } from '@forest-ledger/platform';
import type { FastifyInstance } from 'fastify';
import { ErrorFilter } from '../http/error.filter';

export const METRICS_PATH = '/metrics';
/** The login routes whose 401s and 429s are counted as failed logins and lockouts. */
const LOGINS: Record<string, string> = { '/v1/auth/login': 'staff', '/v1/auth/villager-login': 'villager' };

/** Counts committed ledger entries: LedgerService's write observer, wired once per application. */
@Injectable()
export class LedgerMetrics implements OnModuleInit {
  constructor(
    private readonly ledger: LedgerService,
    private readonly metrics: Metrics,
  ) {}

  onModuleInit(): void {
    this.ledger.observeWrites((em, entries) => this.metrics.entriesWritten(em, entries));
  }
}

/**
 * GET /metrics (Prometheus text) and the HTTP metrics, on Fastify itself: outside Nest, so the route is
 * in no OpenAPI document and passes no guard, audit or idempotency check; its own check is METRICS_TOKEN
 * (metricsAccess). Requests are counted by route template (`/v1/accounts/:code`, never the raw URL; an
 * unknown route is `unmatched`), method and status; replays and idempotency conflicts from their answers;
 * failed logins (401) and lockouts (429) on the login routes.
 */
export function installHttpMetrics(fastify: FastifyInstance, metrics: Metrics, env: Env): void {
  fastify.get(METRICS_PATH, async (req, reply) => {
    const access = metricsAccess(env, req.headers.authorization);
    if (access !== 'ok') {
      const error =
        access === 'hidden'
          ? new DomainError('not-found', 'ROUTE_NOT_FOUND', 'no such route')
          : new DomainError('unauthenticated', 'UNAUTHENTICATED', 'send the metrics token (Authorization: Bearer <METRICS_TOKEN>)');
      new ErrorFilter().reply(error, req, reply);
      return reply;
    }
    const { contentType, body } = await metrics.scrape();
    return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
  });
  // Callback hooks (not async): no promise per request on the hot path.
  fastify.addHook('onSend', (_req, reply, payload, done) => {
    if (reply.getHeader('idempotency-replayed') === 'true') metrics.idempotency.inc({ outcome: 'replay' });
    else if (reply.statusCode === 409 && typeof payload === 'string' && payload.includes('"IDEMPOTENCY_CONFLICT"')) metrics.idempotency.inc({ outcome: 'conflict' });
    done(null, payload);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (route === METRICS_PATH) return done();
    const labels = { route, method: req.method, status: String(reply.statusCode) };
    metrics.httpRequests.inc(labels);
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    const login = LOGINS[route];
    if (login && (reply.statusCode === 401 || reply.statusCode === 429)) metrics.logins.inc({ kind: login, reason: reply.statusCode === 401 ? 'failed' : 'locked' });
    done();
  });
}
