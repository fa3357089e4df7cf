/** The states and kinds of forestry carbon records; the tables' shapes are the migrations' (row types in the carbon stores). */
export const CARBON_STANDARDS = ['SANMING_TICKET', 'FFCER', 'CCER', 'OTHER'] as const;
export type CarbonStandard = (typeof CARBON_STANDARDS)[number];
export const CARBON_PROJECT_STATES = ['DRAFT', 'REGISTERED', 'CLOSED'] as const;
export type CarbonProjectState = (typeof CARBON_PROJECT_STATES)[number];
export const SERIAL_STATUSES = ['HELD', 'RESERVED', 'RETIRED', 'BUFFER', 'CANCELLED'] as const;
export type SerialStatus = (typeof SERIAL_STATUSES)[number];
export const LISTING_STATES = ['OPEN', 'SOLD_OUT', 'CANCELLED'] as const;
export type ListingState = (typeof LISTING_STATES)[number];
export const RETIREMENT_PURPOSES = ['EVENT_NEUTRALITY', 'CSR', 'JUDICIAL_RESTORATION', 'COMPLIANCE_OFFSET', 'OTHER'] as const;
export type RetirementPurpose = (typeof RETIREMENT_PURPOSES)[number];

/** The longest text of a carbon input (names, methodology, references, beneficiary, event) and of an external registry id. */
export const CARBON_TEXT_MAX = 200;
export const CARBON_EXTERNAL_ID_MAX = 100;
