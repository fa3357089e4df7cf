export const PARTY_KINDS = ['STATE_FARM', 'COLLECTIVE', 'HOUSEHOLD', 'VILLAGER', 'ENTERPRISE', 'INDIVIDUAL_BUYER', 'GOVERNMENT_FUND', 'BANK', 'LESSEE'] as const;
export type PartyKind = (typeof PARTY_KINDS)[number];
export const ID_KINDS = ['RESIDENT_ID', 'CREDIT_CODE'] as const;
export type IdKind = (typeof ID_KINDS)[number];
