import { useCasePolicy } from '@forest-ledger/access';

/** Who may run the land-use use cases with a role rule: the route gate and the use case read these. */
export const LAND_USE_POLICIES = {
  /** Besides the role, four eyes: never the contract's creator (checked on the record, in the use case). */
  waiveLateFee: useCasePolicy('waive a late fee', ['APPROVER']),
} as const;
