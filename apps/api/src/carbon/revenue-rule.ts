import type { RevenueRule, RevenueShare } from '@forest-ledger/forestry';

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
