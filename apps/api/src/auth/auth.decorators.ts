import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiSecurity } from '@nestjs/swagger';
import type { AuthUser, Role, UseCasePolicy } from '@forest-ledger/access';
import type { HttpRequest } from '../http/http';

export const ROLES_KEY = 'forest-ledger:roles';
export const PUBLIC_KEY = 'forest-ledger:public';
export const NO_IDEMPOTENCY_KEY = 'forest-ledger:no-idempotency-key';

/**
 * Who may call a route. Every route declares it (or @Public); a test enumerates them all.
 *
 * Authorization, decided once per use case:
 * - `@Roles` on the route is the gate: the roles that may call it at all. Controllers hold no other
 *   role logic; they pass the caller (`@CurrentUser()`, or `ownerScopeOf(user)`) down unchanged.
 * - The use case decides what that caller may see or do, in one place at its top: a scope function
 *   (`ownerScopeOf`, `parcelScopeOf`) or one check (`PartiesService.revealId`), with the scope passed
 *   into the store queries. A scoped caller (FARM_OPERATOR, BUYER, VILLAGER) asking for another
 *   party's record gets the same 404 as for a missing one.
 * - A use case with a role rule of its own (approve, reject, waive, reveal) states it once as a
 *   `UseCasePolicy` in its feature (`*-policies.ts`); the route gates with `@RolesOf(policy)` and the
 *   use case calls `requireRole(actor, policy, …)`, so scripts and jobs meet the same rule.
 * - Stores never look at roles; they filter by the scope they are given.
 */
export function Roles(...roles: Role[]) {
  return applyDecorators(SetMetadata(ROLES_KEY, roles), ApiBearerAuth(), ApiSecurity('api-key'));
}

/** The route gate of a use case whose roles its feature states (`requireRole` checks the same policy). */
export function RolesOf(policy: UseCasePolicy) {
  return Roles(...policy.roles);
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
