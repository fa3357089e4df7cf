/**
 * The event catalogue (issue 17): every type the outbox carries, with its current version. A type's
 * payload only gains fields within a version; a change that removes or renames one is a new version.
 */
export const EVENT_TYPES = {
  'ledger.entry.posted': 1,
  'ticket.issued': 1,
  'ticket.traded': 1,
  'ticket.pledged': 1,
  'ticket.released': 1,
  'ticket.enforced': 1,
  'ticket.inherited': 1,
  'ticket.bought_back': 1,
  'ticket.listed': 1,
  'ticket.listing_returned': 1,
  'ticket.market_traded': 1,
  'dividend.approved': 1,
  'dividend.distributed': 1,
  'carbon.sold': 1,
  'carbon.retired': 1,
  'subsidy.claim_approved': 1,
  'land_use.payment_received': 1,
  'party.deactivated': 1,
} as const;

export type EventType = keyof typeof EVENT_TYPES;
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];
