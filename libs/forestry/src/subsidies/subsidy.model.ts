import type { Role } from '@forest-ledger/access';

/** States of transfer contracts, subsidy claims and instalments (the tables' shapes are the migrations and the stores' row types). */

export const CONTRACT_STATES = ['REGISTERED', 'ACTIVE', 'ENDED', 'TERMINATED'] as const;
export type ContractState = (typeof CONTRACT_STATES)[number];
/**
 * APPLIED → APPROVED → COMPLETED; INELIGIBLE is a recorded refusal by the rules, REJECTED one by an approver (from APPLIED only);
 * on early termination CLAWBACK_DUE → RECOVERED, or CANCELLED when nothing was paid.
 */
export const CLAIM_STATES = ['APPLIED', 'INELIGIBLE', 'REJECTED', 'APPROVED', 'COMPLETED', 'CANCELLED', 'CLAWBACK_DUE', 'RECOVERED'] as const;
/** States of a claim refused before approval: they block no new claim for the contract under the programme. */
export const REFUSED_CLAIM_STATES = ['INELIGIBLE', 'REJECTED'] as const satisfies readonly ClaimState[];
export type ClaimState = (typeof CLAIM_STATES)[number];
export const INSTALMENT_STATES = ['SCHEDULED', 'PAID', 'CANCELLED'] as const;
export type InstalmentState = (typeof INSTALMENT_STATES)[number];

/** Who acts: the user id and role the API authenticated (the library trusts the caller for both). */
export interface SubsidyActor {
  userId: string;
  role: Role;
}
