import { useCasePolicy } from '@forest-ledger/access';

/** Who may run the party use cases with a role rule: the route gate and the use case read these. */
export const PARTY_POLICIES = {
  revealId: useCasePolicy('see a full ID number', ['ADMIN']),
} as const;
