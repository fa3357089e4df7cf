/** Every BullMQ queue of the service, in one place (kebab-case names). */
export enum QueueName {
  Ledger = 'ledger',
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
