export const REGION_LEVELS = ['COUNTY', 'TOWNSHIP', 'VILLAGE'] as const;
export type RegionLevel = (typeof REGION_LEVELS)[number];
