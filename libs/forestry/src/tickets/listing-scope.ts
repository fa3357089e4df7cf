import { ownerScopeOf, type AuthUser } from '@forest-ledger/access';
import type { ListingScope } from './market.service';

/** Staff see every 林票 listing; a BUYER the whole market, anonymous (no sellers); a FARM_OPERATOR or a VILLAGER only its own listings. */
export function listingScopeOf(user: AuthUser): ListingScope {
  const scope = ownerScopeOf(user);
  return user.role === 'BUYER' && scope !== null ? { market: true, ownerRefs: scope.ownerRefs } : scope;
}
