import { useCasePolicy, type Role } from '@forest-ledger/access';

/** Who may run the dividend use cases that are not open to every reader: the route gate and the use case read these. */
export const DIVIDEND_POLICIES = {
  approve: useCasePolicy('approve a dividend declaration', ['APPROVER']),
  /** Staff may cancel any declaration; a FARM_OPERATOR only one it declared (checked on the record, in the use case). */
  cancel: useCasePolicy('cancel a dividend declaration', ['ADMIN', 'APPROVER', 'FARM_OPERATOR']),
} as const;

/** The roles that may cancel any declaration, not only their own. */
export const CANCEL_ANY_DECLARATION: readonly Role[] = ['ADMIN', 'APPROVER'];
