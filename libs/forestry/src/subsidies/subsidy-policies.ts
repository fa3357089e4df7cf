import { useCasePolicy } from '@forest-ledger/access';

/** Who may run the subsidy use cases with a role rule: the route gate and the use case read these. */
export const SUBSIDY_POLICIES = {
  addRule: useCasePolicy('enter a subsidy rule', ['ADMIN', 'APPROVER']),
  approveClaim: useCasePolicy('approve a subsidy claim', ['APPROVER']),
  rejectClaim: useCasePolicy('reject a subsidy claim', ['APPROVER']),
} as const;
