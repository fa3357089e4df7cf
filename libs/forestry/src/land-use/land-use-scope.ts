import type { AuthUser } from '@forest-ledger/access';
import type { LandUseScope } from './land-use.types';

/** A FARM_OPERATOR sees and writes only its farm's contracts (as lessor); any other is a 404 (UNKNOWN_CONTRACT), like an unknown code. */
export function landUseScopeOf(user: AuthUser): LandUseScope {
  return user.role === 'FARM_OPERATOR' ? { lessorPartyId: user.partyId ?? '0' } : null;
}
