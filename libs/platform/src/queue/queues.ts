/** Every BullMQ queue of the service, in one place (kebab-case names). */
export enum QueueName {
  Ledger = 'ledger',
  Dividends = 'dividends',
  LandUse = 'land-use',
  Subsidies = 'subsidies',
}

/** Job defaults set once: bounded retries with backoff, bounded retention. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

export const LedgerJob = {
  VerifyChain: 'verify-chain',
} as const;

export const DividendJob = {
  /** Distributes an approved declaration to its holders, chunk by chunk (resumable). */
  Distribute: 'distribute',
} as const;

export interface DistributeJobData {
  declarationId: string;
}

/** One job per declaration: adding it twice is a no-op while it exists (BullMQ refuses integer-only custom ids, hence the prefix). */
export const dividendJobId = (declarationId: string): string => `dividend-${declarationId}`;
