import { DomainError } from '@forest-ledger/common';
import type { AuthUser, RevenueRule, RevenueShare, SaleScope } from '@forest-ledger/forestry';

/** The caller's scope on the carbon routes and the request's revenue rule as the library types it; no reads here (they are CarbonReadsService's). */

/** The party a scoped caller (FARM_OPERATOR, BUYER) acts for; null for staff. */
export function scopedParty(user: AuthUser): string | null {
  return user.role === 'FARM_OPERATOR' || user.role === 'BUYER' || user.role === 'VILLAGER' ? (user.partyCode ?? '') : null;
}

/** A BUYER sees the sales it bought, a FARM_OPERATOR those it sold; null for staff. */
export function saleScope(user: AuthUser): SaleScope | null {
  const party = scopedParty(user);
  return party === null ? null : { party, side: user.role === 'BUYER' ? 'buyer' : 'seller' };
}

/** A scoped caller may only name its own party in `field`: else 403 FORBIDDEN naming the field (nothing runs). */
export function ownPartyOnly(user: AuthUser, party: string, field: string): void {
  const own = scopedParty(user);
  if (own !== null && party !== own) {
    throw new DomainError('forbidden', 'FORBIDDEN', `a ${user.role} may only act for its own party (${user.partyCode ?? 'none'}), not ${party}`, field);
  }
}

/**
 * The rule as the library types it, from the request's shares. A missing party or collective stays
 * an empty text, which the library's rule check refuses naming rule.shares[i].party / .collective.
 */
export function revenueRuleOf(dto: { shares: ReadonlyArray<{ kind: RevenueShare['kind']; ratio: string; party?: string; collective?: string }> }): RevenueRule {
  return {
    shares: dto.shares.map((s): RevenueShare => {
      switch (s.kind) {
        case 'PARTY':
          return { kind: 'PARTY', ratio: s.ratio, party: s.party ?? '' };
        case 'PER_PERSON':
        case 'PER_HOUSEHOLD':
          return { kind: s.kind, ratio: s.ratio, collective: s.collective ?? '' };
        case 'TICKET_UNITS':
          return { kind: 'TICKET_UNITS', ratio: s.ratio };
      }
    }),
  };
}
