import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The HTTP request and response as controllers, guards, interceptors and the error filter see
 * them. The API runs on Fastify (@nestjs/platform-fastify); only this file and app.setup.ts name
 * the adapter, the rest uses these aliases and helpers.
 */
export type HttpRequest = FastifyRequest;
export type HttpResponse = FastifyReply;

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** The methods that change state: they need an Idempotency-Key and get an audit row. */
export const isStateChanging = (req: HttpRequest): boolean => STATE_CHANGING.has(req.method);

/** One request header (the first value if repeated), or undefined. `name` in lower case. */
export function headerOf(req: HttpRequest, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** The request's path as sent, without the query string (Express's `req.path`). */
export function pathOf(req: HttpRequest): string {
  const url = req.url;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * The request's correlation id: Fastify's request id, which the adapter makes the caller's
 * X-Correlation-Id when sane, else a new UUID (app.setup.ts, createHttpAdapter).
 */
export function correlationIdOf(req: HttpRequest): string {
  return req.id;
}
