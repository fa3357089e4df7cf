/**
 * The shapes of the access tables (users, api_keys, audit_log, approvals): their one TypeScript form
 * is the row types of the stores; the migrations are the schema. Here: the closed sets they use.
 */
export const ROLES = ['ADMIN', 'FARM_OPERATOR', 'APPROVER', 'BUYER', 'VILLAGER', 'AUDITOR'] as const;
export type Role = (typeof ROLES)[number];

/** FARM_OPERATOR, BUYER and VILLAGER users are scoped to one party (their farm, their buying party, themselves). */
export const PARTY_SCOPED_ROLES: readonly Role[] = ['FARM_OPERATOR', 'BUYER', 'VILLAGER'];

export const APPROVAL_STATES = ['PENDING', 'APPROVED', 'REJECTED'] as const;
export type ApprovalState = (typeof APPROVAL_STATES)[number];

export const AUDIT_OUTCOMES = ['SUCCESS', 'FAILURE'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];
