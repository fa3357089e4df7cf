import { actingPartyOf, type AuthUser } from '@forest-ledger/access';
import type { SaleScope } from './carbon-reads.service';

/** What a scoped caller sees on the carbon market; staff see everything (null or undefined). */

/** A BUYER sees the sales it bought; any other scoped caller (a FARM_OPERATOR) those it sold; null for staff. */
export function saleScopeOf(user: AuthUser): SaleScope | null {
  const party = actingPartyOf(user);
  return party === null ? null : { party, side: user.role === 'BUYER' ? 'buyer' : 'seller' };
}

/** Listings are offers to every buyer; a FARM_OPERATOR, a seller, sees only its own (undefined: no restriction). */
export function listingSellerScopeOf(user: AuthUser): string | undefined {
  return user.role === 'FARM_OPERATOR' ? (user.partyCode ?? '') : undefined;
}
