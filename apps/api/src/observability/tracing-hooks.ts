import { annotateActiveSpan, tracingState } from '@forest-ledger/platform/observability/tracing';
import { trace } from '@opentelemetry/api';
import type { FastifyInstance } from 'fastify';

/** The span attribute carrying the request's correlation id (the X-Correlation-Id of the answer and the logs). */
export const CORRELATION_ATTRIBUTE = 'forest_ledger.correlation_id';

/**
 * With tracing on, each HTTP server span is named by its route template (`POST /v1/entries`) and carries
 * the correlation id, so a trace is found from a log line or an error answer and the reverse.
 */
export function installTracingHooks(fastify: FastifyInstance): void {
  if (tracingState() === 'off') return;
  fastify.addHook('onRequest', (req, _reply, done) => {
    const route = req.routeOptions.url;
    if (route) trace.getActiveSpan()?.updateName(`${req.method} ${route}`);
    annotateActiveSpan(route ? { [CORRELATION_ATTRIBUTE]: req.id, 'http.route': route } : { [CORRELATION_ATTRIBUTE]: req.id });
    done();
  });
}
