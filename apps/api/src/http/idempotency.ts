import { AuditService } from '@forest-ledger/access';
import { DomainError } from '@forest-ledger/common';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { canonicalJson } from '@forest-ledger/ledger';
import { PiiCipher } from '@forest-ledger/forestry';
import { AuditableRequest, successRecord } from '../auth/audit';
import { markAuditable } from '../auth/audit-marks';
import { CommandKey, Fingerprint, IDEMPOTENCY_KEY_PATTERN, IdempotencyService, IdempotentResult, scopedKey } from '@forest-ledger/platform';
import { EntityManager } from 'typeorm';
import { headerOf, HttpRequest, HttpResponse, isStateChanging, pathOf } from './http';

import { AuthenticatedRequest, NO_IDEMPOTENCY_KEY } from '../auth/auth.decorators';

function keyOf(req: HttpRequest): string {
  const key = headerOf(req, 'idempotency-key');
  if (!key) throw new DomainError('invalid', 'IDEMPOTENCY_KEY_REQUIRED', 'Idempotency-Key header is required on every state-changing request', 'Idempotency-Key');
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new DomainError(
      'invalid',
      'IDEMPOTENCY_KEY_INVALID',
      'Idempotency-Key must be 8-200 characters of letters, digits, ".", "_", ":", "-" (a UUID is ideal)',
      'Idempotency-Key',
    );
  }
  return key;
}

/**
 * Whose key it is: the authenticated user, whether they came with a token or one of their API
 * keys (an API key acts as its user, as an account's keys do in payment APIs; it has no rights
 * of its own to keep apart). Commands need a login, so there is always a user.
 */
export function principalOf(req: HttpRequest): string {
  const user = (req as AuthenticatedRequest).user;
  if (!user) throw new DomainError('unauthenticated', 'UNAUTHENTICATED', 'a command needs an access token or an API key');
  return `user:${user.userId}`;
}

/** Refuses a state-changing request without a well-formed Idempotency-Key before anything else runs. */
@Injectable()
export class IdempotencyKeyGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<HttpRequest>();
    const exempt = this.reflector.getAllAndOverride<boolean>(NO_IDEMPOTENCY_KEY, [context.getHandler(), context.getClass()]);
    if (isStateChanging(req) && !exempt) keyOf(req);
    // The last guard (api.module.ts): a state-changing request that gets here is audited, however it ends.
    markAuditable(req);
    return true;
  }
}

/**
 * Runs a command under the caller's Idempotency-Key, in one transaction: same caller, key and
 * body replays the first status and body (header Idempotency-Replayed: true); same key, other
 * body is a 409; another caller's key is another command. The command gets scopedKey (unique
 * across callers) to name what it stores.
 */
@Injectable()
export class CommandRunner {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly pii: PiiCipher,
    private readonly audit: AuditService,
  ) {}

  async run<T>(req: HttpRequest, res: HttpResponse, status: number, work: (em: EntityManager, key: string) => Promise<T>): Promise<T> {
    const { id, key, fingerprint } = this.identify(req);
    const result = await this.idempotency.execute<T>(id, fingerprint, async (em) => {
      const body = await work(em, key);
      // The audit row commits with the command's effects, in the answer's statement.
      return { status, body, alongside: [this.audit.insertManyPart([successRecord(req, status, body)])] };
    });
    // Committed with its audit row, so the interceptor skips it; a replay is audited by the interceptor.
    if (!result.replayed) (req as AuditableRequest).audited = true;
    return this.respond(res, result);
  }

  /** The caller and its key, the scoped key the command stores its effects under, and the fingerprint that tells a replay from another request. */
  identify(req: HttpRequest): { id: CommandKey; key: string; fingerprint: Fingerprint } {
    // Keyed (HMAC), because bodies carry PINs, passwords and ID numbers that a plain hash would
    // let anyone with the table recover by trying every value. A trailing slash names the same
    // route, so it must not turn a replay into a conflict.
    const request = canonicalJson({ method: req.method, path: pathOf(req).replace(/\/+$/, ''), body: req.body ?? null });
    const id = { principal: principalOf(req), key: keyOf(req) };
    return { id, key: scopedKey(id), fingerprint: this.pii.hmacCandidates('REQUEST', request) };
  }

  respond<T>(res: HttpResponse, result: IdempotentResult<T>): T {
    res.status(result.status);
    res.header('Idempotency-Replayed', String(result.replayed));
    return result.body;
  }
}
