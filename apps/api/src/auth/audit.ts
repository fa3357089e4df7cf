import type { AuditRecord } from '@forest-ledger/access';
import { classifyError } from '../http/error.filter';
import { correlationIdOf, headerOf, pathOf } from '../http/http';
import type { AuthenticatedRequest } from './auth.decorators';

/** A request whose successful command already wrote its audit row in its own transaction. */
export type AuditableRequest = AuthenticatedRequest & { audited?: boolean };

/** Ledger entry ids in a command's answer: `entry.id` and `entries[].id`. */
export function entryIdsOf(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const b = body as { entry?: { id?: unknown }; entries?: Array<{ id?: unknown }>; entryIds?: unknown[]; entryId?: unknown };
  const ids = [b.entry?.id, b.entryId, ...(Array.isArray(b.entries) ? b.entries.map((e) => e?.id) : []), ...(Array.isArray(b.entryIds) ? b.entryIds : [])];
  return Array.from(new Set(ids.filter((id): id is string => typeof id === 'string' && /^\d+$/.test(id))));
}

export function successRecord(req: AuditableRequest, status: number, body: unknown): AuditRecord {
  return { ...base(req), status, outcome: 'SUCCESS', errorCode: null, entryIds: entryIdsOf(body) };
}

export function failureRecord(req: AuditableRequest, error: unknown): AuditRecord {
  // The status and code the client is answered (error.filter.ts), so a 503 is audited as a 503.
  const { status, body } = classifyError(error);
  return { ...base(req), status, outcome: 'FAILURE', errorCode: body.code, entryIds: [] };
}

function base(req: AuditableRequest) {
  return {
    userId: req.user?.userId ?? null,
    role: req.user?.role ?? null,
    method: req.method,
    path: pathOf(req),
    idempotencyKey: headerOf(req, 'idempotency-key') ?? null,
    correlationId: correlationIdOf(req),
  };
}
