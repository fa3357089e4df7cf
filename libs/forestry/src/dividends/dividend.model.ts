/** States and kinds of the dividends feature's tables (the schema itself is in the migrations). */

export const CASH_FLOW_KINDS = ['INCOME', 'COST', 'MANAGEMENT_FEE', 'GUARANTEE_TOP_UP'] as const;
export type CashFlowKind = (typeof CASH_FLOW_KINDS)[number];

/** RENT: rent of the collective's land from transfers (流转租金), income of an income-right scheme. */
export const INCOME_KINDS = ['HARVEST_FINAL', 'HARVEST_THINNING', 'PRE_DIVIDEND', 'CARBON', 'RENT', 'OTHER'] as const;
export type IncomeKind = (typeof INCOME_KINDS)[number];
export const DECLARATION_STATES = ['DRAFT', 'APPROVED', 'STALE', 'DISTRIBUTING', 'DISTRIBUTED', 'CANCELLED'] as const;
export type DeclarationState = (typeof DECLARATION_STATES)[number];
export const PAYOUT_SCOPES = ['PROJECT', 'VILLAGE', 'TOWNSHIP'] as const;
export type PayoutScope = (typeof PAYOUT_SCOPES)[number];
export const PAYOUT_BATCH_STATES = ['OPEN', 'PAID', 'CANCELLED'] as const;
export type PayoutBatchState = (typeof PAYOUT_BATCH_STATES)[number];
export const PAYOUT_LINE_STATES = ['PENDING', 'PAID', 'FAILED'] as const;
export type PayoutLineState = (typeof PAYOUT_LINE_STATES)[number];
