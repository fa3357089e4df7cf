/** The states and kinds of 林票 records (the tables' shapes are the migrations; each store's row type is its TypeScript shape). */
export const TRANSFER_RESTRICTIONS = ['OPEN', 'COLLECTIVE_MEMBERS', 'NONE'] as const;
export type TransferRestriction = (typeof TRANSFER_RESTRICTIONS)[number];
export const HOLDING_ORIGINS = ['FARM', 'COLLECTIVE', 'MEMBER', 'ACQUIRED'] as const;
export type HoldingOrigin = (typeof HOLDING_ORIGINS)[number];
export const PLEDGE_STATES = ['ACTIVE', 'RELEASED', 'ENFORCED'] as const;
export type PledgeState = (typeof PLEDGE_STATES)[number];
export const MOVEMENT_KINDS = [
  'ISSUANCE',
  'TRADE',
  'INHERITANCE',
  'PLEDGE',
  'PLEDGE_RELEASE',
  'PLEDGE_ENFORCEMENT',
  'BUY_BACK',
  'LISTING',
  'LISTING_RETURN',
  'MARKET_TRADE',
] as const;
export type MovementKind = (typeof MOVEMENT_KINDS)[number];
/** A market listing (挂牌): OPEN while units remain and it has not ended; then SOLD_OUT, WITHDRAWN or EXPIRED. */
export const TICKET_LISTING_STATES = ['OPEN', 'SOLD_OUT', 'WITHDRAWN', 'EXPIRED'] as const;
export type TicketListingState = (typeof TICKET_LISTING_STATES)[number];
