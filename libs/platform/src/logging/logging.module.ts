import { Global, Module } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
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

/** Structured JSON logs (pino); HTTP requests carry their correlation id on every line. */
@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [Env],
      useFactory: (env: Env) => ({
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
