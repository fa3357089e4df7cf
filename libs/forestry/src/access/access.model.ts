// Transitional: access lives in libs/access (@forest-ledger/access); import from there. Kept until no feature imports this path.
export { APPROVAL_STATES, ROLES } from '@forest-ledger/access';
export type { ApprovalState, Role } from '@forest-ledger/access';
