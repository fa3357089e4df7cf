import { Global, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, PinoLogger } from 'nestjs-pino';
import { storage, type Store } from 'nestjs-pino/storage';
import pino, { type Logger } from 'pino';
import { Env } from '../config/env';

export const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_PATTERN = /^[A-Za-z0-9._:-]{1,100}$/;

/** A request's correlation id: the caller's X-Correlation-Id when sane, else a new UUID. */
export function correlationIdFor(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  return typeof given === 'string' && CORRELATION_PATTERN.test(given) ? given : randomUUID();
}

/**
 * The request's correlation id, echoed in the response. On Fastify the id is the request's own
 * (genReqId: correlationIdFor, set on the Node request too), so this only names it for pino-http.
 */
export function correlationId(req: IncomingMessage & { id?: unknown }, res: ServerResponse): string {
  const id = typeof req.id === 'string' ? req.id : correlationIdFor(req);
  if (!res.headersSent) res.setHeader('X-Correlation-Id', id);
  return id;
}

/**
 * Whether pino-http writes lines of its own at this level: it logs each request's end ("request completed",
 * "request errored") at info, 5xx included, and nothing else.
 */
export function pinoHttpLogsRequests(level: string): boolean {
  const values: Record<string, number | undefined> = pino.levels.values;
  return level !== 'silent' && (values[level] ?? 0) <= pino.levels.values.info;
}

/**
 * What pino-http gives a request besides its own lines: the child logger (bound to `req`) that the lines logged
 * while answering it are written through (nestjs-pino's store). This one builds that child on the first line
 * logged, not for every request: above info most requests log nothing.
 */
class LazyRequestLogger implements Store {
  responseLogger?: Logger = undefined;
  private child?: Logger;

  constructor(private readonly req: IncomingMessage) {}

  get logger(): Logger {
    // PinoLogger.root is pino-http's logger (LoggerModule sets it at start), so the child is the one pino-http builds.
    return (this.child ??= PinoLogger.root.child({ req: this.req }));
  }

  set logger(logger: Logger) {
    this.child = logger;
  }
}

/**
 * Runs `next` (the rest of the request) with the request's logger, as pino-http's middleware does; for the HTTP
 * adapter's request hook when pinoHttpLogsRequests is false, and so LoggingModule runs no middleware.
 */
export function withRequestLogger(req: IncomingMessage, next: () => void): void {
  storage.run(new LazyRequestLogger(req), next);
}

/**
 * Structured JSON logs (pino); lines logged while answering a request carry it (`req: { method, url }`). At info and
 * below pino-http also logs each request's end; above info it would write nothing, so it does not run and the API
 * binds the request's logger itself (withRequestLogger), building it only if a line is logged.
 */
@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [Env],
      useFactory: (env: Env) => ({
        // No routes: no middleware (see withRequestLogger).
        ...(pinoHttpLogsRequests(env.LOG_LEVEL) ? {} : { forRoutes: [] }),
        pinoHttp: {
          level: env.LOG_LEVEL,
          genReqId: correlationId,
          customAttributeKeys: { reqId: 'correlationId' },
          redact: ['req.headers.authorization', 'req.headers.cookie'],
          serializers: {
            req: (req: { id: string; method: string; url: string }) => ({ method: req.method, url: req.url }),
            res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
