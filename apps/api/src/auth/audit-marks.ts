import { HttpRequest, isStateChanging } from '../http/http';

/** Where a request stands for its audit row (audit-hooks.ts), on the request itself. */
export interface AuditMarks {
  /** A state-changing request that passed every guard: it gets an audit row (set by markAuditable). */
  auditable?: boolean;
  /** What was thrown after the guards (pipes, handler, answer), as the error filter answered it. */
  failure?: { error: unknown };
}

/**
 * Called by the last guard once a request has passed them all (IdempotencyKeyGuard): from here on a
 * state-changing request is audited, however it ends. Requests refused by a guard (no or bad
 * credentials, a role that may not call the route, no Idempotency-Key) are not audited.
 */
export function markAuditable(req: HttpRequest): void {
  if (isStateChanging(req)) (req as AuditMarks).auditable = true;
}

/** Called by the error filter with the error it answers: an auditable request is then audited as this failure. */
export function markFailed(req: HttpRequest, error: unknown): void {
  (req as AuditMarks).failure = { error };
}
