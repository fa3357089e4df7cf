import { useCasePolicy } from '@forest-ledger/access';

/** Who may run the 林票 use cases with a role rule: the route gate and the use case read these. */
export const TICKET_POLICIES = {
  /** Listing is open to holders (for their own units); setting the listing's fee rate is the bureau's. */
  setListingFee: useCasePolicy('set the fee rate of a 林票 listing', ['ADMIN']),
} as const;
