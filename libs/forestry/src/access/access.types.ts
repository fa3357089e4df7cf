// Transitional: access lives in libs/access (@forest-ledger/access); import from there. Kept until no feature imports this path.
export { ownerScopeOf, partyLinesSeenBy } from '@forest-ledger/access';
export type { AuthUser, OwnerScope } from '@forest-ledger/access';
