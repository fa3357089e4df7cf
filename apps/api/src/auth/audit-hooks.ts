import { Logger } from '@nestjs/common';
import type { AuditService } from '@forest-ledger/access';
import type { FastifyInstance } from 'fastify';
import { AuditableRequest, failureRecord, successRecord } from './audit';
import type { AuditMarks } from './audit-marks';

/** The answer's body as the handler returned it (entry ids), from the serialised payload when JSON. */
function bodyOf(payload: unknown, contentType: unknown): unknown {
  if (typeof payload !== 'string' || typeof contentType !== 'string' || !contentType.includes('json')) return payload;
  try {
    return JSON.parse(payload) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * One audit row per state-changing request: who, what, when, the idempotency key, success or failure
 * (with the error code), and the ledger entries produced. Commands write their success row inside their
 * own transaction (CommandRunner, PostCoalescer, which set `req.audited`); this hook writes the rest
 * (failures, replays, commands without a transaction) before the response leaves.
 *
 * A Fastify onSend hook rather than a Nest interceptor: each interceptor wraps every request of every
 * route in rxjs layers and AsyncResource binds, about a tenth of the API's CPU per B1 transfer with the two
 * the API had. It is a callback hook, so a request with nothing to write costs no promise.
 */
export function installAuditHooks(fastify: FastifyInstance, audit: AuditService): void {
  const logger = new Logger('Audit');
  fastify.addHook('onSend', (req, reply, payload, done) => {
    const marks = req as AuditMarks;
    if (marks.auditable !== true || (marks.failure === undefined && (req as AuditableRequest).audited === true)) {
      done(null, payload);
      return;
    }
    const record = marks.failure !== undefined ? failureRecord(req, marks.failure.error) : successRecord(req, reply.statusCode, bodyOf(payload, reply.getHeader('content-type')));
    audit.record(record).then(
      () => done(null, payload),
      (error: unknown) => {
        logger.error({ err: error }, 'audit row not written');
        done(null, payload);
      },
    );
  });
}
