import { linesSeenBy } from '@forest-ledger/ledger';
import { DomainError } from '@forest-ledger/common';
import type { Role } from './access.model';

/** Who is calling, as every guard, query scope and audit row sees it. */
export interface AuthUser {
  userId: string;
  role: Role;
  /** The party a FARM_OPERATOR, BUYER or VILLAGER is scoped to. */
  partyId: string | null;
  partyCode: string | null;
  displayName: string;
  via: 'token' | 'api-key';
}

/** Restricts reads to what the caller may see: null for everything, else owner references. */
export type OwnerScope = { ownerRefs: string[] } | null;

export function ownerScopeOf(user: AuthUser): OwnerScope {
  if (user.role === 'ADMIN' || user.role === 'AUDITOR' || user.role === 'APPROVER') return null;
  return { ownerRefs: user.partyCode ? [`party:${user.partyCode}`] : [] };
}

/** Of a list naming several parties (holders, dividend lines, revenue shares), the lines `scope` may see: its own party's only (linesSeenBy). */
export function partyLinesSeenBy<L>(scope: OwnerScope, lines: readonly L[], partyOf: (line: L) => string | null): L[] {
  return linesSeenBy(scope, lines, (line) => {
    const party = partyOf(line);
    return party === null ? null : `party:${party}`;
  });
}

/** The party a scoped caller (any non-staff role) acts for; null for staff, who act for anyone. */
export function actingPartyOf(user: AuthUser): string | null {
  return ownerScopeOf(user) === null ? null : (user.partyCode ?? '');
}

/** A scoped caller may only name its own party in `field`: else 403 FORBIDDEN naming the field (nothing runs). */
export function ownPartyOnly(user: AuthUser, party: string, field: string): void {
  const own = actingPartyOf(user);
  if (own !== null && party !== own) {
    throw new DomainError('forbidden', 'FORBIDDEN', `a ${user.role} may only act for its own party (${user.partyCode ?? 'none'}), not ${party}`, field);
  }
}

/** A scoped caller reads only its own party's records: another party is `notFound()` (a 404, like an unknown code). */
export function ownPartyOrNotFound(user: AuthUser, party: string, notFound: () => Error): void {
  const own = actingPartyOf(user);
  if (own !== null && party !== own) throw notFound();
}
