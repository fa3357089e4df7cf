/** The states, modes and kinds of the paid-use contracts; the tables are the migrations' (land-use stores hold their row types). */
export const LAND_USE_MODES = ['LEASE', 'EQUITY', 'CONCESSION'] as const;
/** 租赁 / 入股 / 特许经营. */
export type LandUseMode = (typeof LAND_USE_MODES)[number];
/** DRAFT → ACTIVE → ENDED (end of term) or TERMINATED (early); DRAFT → CANCELLED (never took effect). */
export const LAND_USE_STATES = ['DRAFT', 'ACTIVE', 'ENDED', 'TERMINATED', 'CANCELLED'] as const;
export type LandUseState = (typeof LAND_USE_STATES)[number];
/** 林下经济, 森林康养, 旅游, 自然教育, other (described in `other_use`). */
export const PERMITTED_USES = ['UNDERSTORY_ECONOMY', 'FOREST_WELLNESS', 'TOURISM', 'NATURE_EDUCATION', 'OTHER'] as const;
export type PermittedUse = (typeof PERMITTED_USES)[number];
export const PERMITTED_USE_LABELS: Readonly<Record<PermittedUse, string>> = {
  UNDERSTORY_ECONOMY: '林下经济',
  FOREST_WELLNESS: '森林康养',
  TOURISM: '旅游',
  NATURE_EDUCATION: '自然教育',
  OTHER: '其他',
};
export const LAND_USE_PERIOD_STATES = ['SCHEDULED', 'RAISED', 'CANCELLED'] as const;
export type LandUsePeriodState = (typeof LAND_USE_PERIOD_STATES)[number];
/** A period as shown: PLANNED is a draft's period, computed on reading and stored only at activation. */
export const LAND_USE_SCHEDULE_STATES = ['PLANNED', ...LAND_USE_PERIOD_STATES] as const;
export type LandUseScheduleState = (typeof LAND_USE_SCHEDULE_STATES)[number];
export const RECEIVABLE_KINDS = ['PRINCIPAL', 'LATE_FEE'] as const;
export type ReceivableKind = (typeof RECEIVABLE_KINDS)[number];
/** Where the money that settled receivables came from: a bank payment, the lessee's credit, the deposit. */
export const SETTLEMENT_SOURCES = ['PAYMENT', 'CREDIT', 'DEPOSIT'] as const;
export type SettlementSource = (typeof SETTLEMENT_SOURCES)[number];
