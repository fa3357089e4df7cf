import type { Role } from './access.model';

/**
 * Who may run a use case, stated once. The route's `@RolesOf(policy)` gate and the use case's own
 * `requireRole` read the same object, so the HTTP gate and the rule for every other caller (scripts,
 * jobs, tests) cannot drift apart. A rule that also depends on the record (the declarer may cancel
 * their own declaration; the creator may not waive) stays in the use case, next to this check.
 */
export interface UseCasePolicy {
  /** What the caller is trying to do, as an error message names it ("approve a dividend declaration"). */
  readonly action: string;
  /** The roles that may call it at all. */
  readonly roles: readonly Role[];
}

export function useCasePolicy(action: string, roles: readonly Role[]): UseCasePolicy {
  if (roles.length === 0) throw new Error(`use case "${action}" names no role`);
  return Object.freeze({ action, roles: Object.freeze([...roles]) });
}

export function mayRun(actor: { readonly role: Role }, policy: UseCasePolicy): boolean {
  return policy.roles.includes(actor.role);
}

/** Throws what `refuse` makes when the actor's role is not in the policy. */
export function requireRole(actor: { readonly role: Role }, policy: UseCasePolicy, refuse: (message: string) => Error): void {
  if (mayRun(actor, policy)) return;
  const who = policy.roles.length === 1 ? `the ${policy.roles[0]} role` : `one of the roles ${policy.roles.join(', ')}`;
  throw refuse(`to ${policy.action} needs ${who}; the caller is ${actor.role}`);
}
