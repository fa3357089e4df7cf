import { linesSeenBy } from '@forest-ledger/ledger';
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
