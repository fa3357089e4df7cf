/** The states and kinds of cooperation projects and contributions (the tables' shapes are the migrations; the store's row types are their TypeScript shape). */
export const PROJECT_TYPES = ['JOINT_AFFORESTATION', 'EXISTING_FOREST'] as const;
export type ProjectType = (typeof PROJECT_TYPES)[number];
/** COOPERATION: a farm and a collective (林票); INCOME_RIGHT: a collective's income-right scheme (收益权证书), no farm. */
export const PROJECT_KINDS = ['COOPERATION', 'INCOME_RIGHT'] as const;
export type ProjectKind = (typeof PROJECT_KINDS)[number];
export const PROJECT_STATES = ['DRAFT', 'ACTIVE', 'CLOSED'] as const;
export type ProjectState = (typeof PROJECT_STATES)[number];
export const MEMBER_WEIGHTINGS = ['PER_PERSON', 'PER_HOUSEHOLD'] as const;
export const CONTRIBUTION_KINDS = ['CASH', 'IN_KIND_LAND', 'IN_KIND_TREES', 'IN_KIND_OTHER'] as const;
export type ContributionKind = (typeof CONTRIBUTION_KINDS)[number];
/** CASH is PAID or COMMITTED (then PAID when called); in-kind contributions are VALUED. */
export const CONTRIBUTION_STATES = ['PAID', 'COMMITTED', 'VALUED'] as const;
export type ContributionState = (typeof CONTRIBUTION_STATES)[number];
