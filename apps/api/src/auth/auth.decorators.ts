import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { AuthUser, Role } from '@forest-ledger/forestry';
import type { HttpRequest } from '../http/http';

export const ROLES_KEY = 'forest-ledger:roles';
export const PUBLIC_KEY = 'forest-ledger:public';
export const NO_IDEMPOTENCY_KEY = 'forest-ledger:no-idempotency-key';

/**
 * Who may call a route. Every route declares it (or @Public); a test enumerates them all.
 * Scoped roles (FARM_OPERATOR, BUYER, VILLAGER) are further restricted in the queries.
 */
export function Roles(...roles: Role[]) {
  return applyDecorators(SetMetadata(ROLES_KEY, roles), ApiBearerAuth(), ApiSecurity('api-key'));
}

export const ALL_ROLES: Role[] = ['ADMIN', 'FARM_OPERATOR', 'APPROVER', 'BUYER', 'VILLAGER', 'AUDITOR'];
/** Read access for staff: the bureau, its auditors and approvers. */
export const STAFF_READERS: Role[] = ['ADMIN', 'AUDITOR', 'APPROVER'];

/** No authentication (health, docs, login, public verification). */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/** A POST that changes nothing lasting (logins): no Idempotency-Key needed. */
export const NoIdempotencyKey = () => SetMetadata(NO_IDEMPOTENCY_KEY, true);

export type AuthenticatedRequest = HttpRequest & { user?: AuthUser };

/** The authenticated caller (set by AuthGuard). */
export const CurrentUser = createParamDecorator((_: unknown, ctx: ExecutionContext): AuthUser => {
  const user = ctx.switchToHttp().getRequest<AuthenticatedRequest>().user;
  if (!user) throw new Error('CurrentUser used on a route without authentication');
  return user;
});
