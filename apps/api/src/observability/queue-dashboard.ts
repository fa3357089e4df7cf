import { AccessService } from '@forest-ledger/access';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { DomainError } from '@forest-ledger/common';
import { getQueueToken } from '@nestjs/bullmq';
import { Env, QueueName } from '@forest-ledger/platform';
import type { Queue } from 'bullmq';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ErrorFilter } from '../http/error.filter';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
const LOGIN_PATH = `${QUEUE_DASHBOARD_PATH}/login`;
/** The dashboard's session: the ADMIN's access token, HttpOnly, sent back only to the dashboard's paths. */
export const DASHBOARD_COOKIE = 'fl_queues';

const LOGIN_PAGE = (message: string) => `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>forest-ledger: queues</title></head>
<body><h1>forest-ledger: queue dashboard</h1><p>ADMIN only.${message ? ` <strong>${message}</strong>` : ''}</p>
<form method="post" action="${LOGIN_PATH}">
<p><label>Username <input name="username" autocomplete="username" required></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Log in</button></p></form></body></html>`;

function cookieOf(req: FastifyRequest, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/**
 * The BullMQ dashboard (bull-board, read-only) at /admin/queues, for ADMIN only. A request brings the
 * ADMIN's access token as `Authorization: Bearer …` (scripts, curl) or as the HttpOnly cookie that the
 * dashboard's own login form sets (browsers: GET /admin/queues/login, the staff username and password,
 * counted by the same failed-login limit as POST /v1/auth/login). The cookie is SameSite=Strict, limited to
 * /admin/queues, Secure in production, and lives as long as the token. No token: 401; not an ADMIN: 403.
 * The routes are Fastify's own: in no OpenAPI document, with no Idempotency-Key or audit (nothing changes).
 */
export function installQueueDashboard(app: NestFastifyApplication): void {
  const env = app.get(Env);
  const access = app.get(AccessService);
  const queues = Object.values(QueueName).map((name) => app.get<Queue>(getQueueToken(name), { strict: false }));
  const board = new FastifyAdapter();
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: true })), serverAdapter: board });
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  const refuse = (req: FastifyRequest, reply: FastifyReply, error: DomainError): FastifyReply => {
    new ErrorFilter().reply(error, req, reply);
    return reply; // an async hook that answered returns the reply: nothing after it runs
  };

  app
    .getHttpAdapter()
    .getInstance()
    .register(async (scope: FastifyInstance) => {
      scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
      scope.get(LOGIN_PATH, (_req, reply) => reply.type('text/html; charset=utf-8').send(LOGIN_PAGE('')));
      scope.post(LOGIN_PATH, async (req, reply) => {
        const form = (req.body ?? {}) as Record<string, unknown>;
        const [username, password] = [form.username, form.password];
        if (typeof username !== 'string' || typeof password !== 'string' || !username || !password) {
          return reply.status(400).type('text/html; charset=utf-8').send(LOGIN_PAGE('Give a username and a password.'));
        }
        let issued;
        try {
          issued = await access.login(username, password, req.ip);
        } catch (error) {
          if (!(error instanceof DomainError)) throw error;
          return reply
            .status(error.kind === 'rate-limited' ? 429 : 401)
            .type('text/html; charset=utf-8')
            .send(LOGIN_PAGE('Login refused.'));
        }
        if (issued.role !== 'ADMIN') return reply.status(403).type('text/html; charset=utf-8').send(LOGIN_PAGE('Only an ADMIN may open the queue dashboard.'));
        const cookie = [`${DASHBOARD_COOKIE}=${issued.accessToken}`, `Path=${QUEUE_DASHBOARD_PATH}`, 'HttpOnly', 'SameSite=Strict', `Max-Age=${issued.expiresIn}`];
        if (env.NODE_ENV === 'production') cookie.push('Secure');
        return reply.header('set-cookie', cookie.join('; ')).redirect(QUEUE_DASHBOARD_PATH, 303);
      });
      await scope.register(async (dashboard: FastifyInstance) => {
        dashboard.addHook('onRequest', async (req, reply) => {
          const token = /^Bearer (\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? cookieOf(req, DASHBOARD_COOKIE);
          if (!token)
            return refuse(req, reply, new DomainError('unauthenticated', 'UNAUTHENTICATED', `log in at ${LOGIN_PATH} or send an ADMIN's access token (Authorization: Bearer …)`));
          try {
            const user = await access.authenticateToken(token);
            if (user.role !== 'ADMIN') return refuse(req, reply, new DomainError('forbidden', 'FORBIDDEN', 'only an ADMIN may open the queue dashboard'));
          } catch (error) {
            if (!(error instanceof DomainError)) throw error;
            return refuse(req, reply, error);
          }
        });
        await dashboard.register(board.registerPlugin(), { prefix: QUEUE_DASHBOARD_PATH });
      });
    });
}
