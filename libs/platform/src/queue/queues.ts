/** Every BullMQ queue of the service, in one place (kebab-case names). */
export enum QueueName {
  Ledger = 'ledger',
  Dividends = 'dividends',
  LandUse = 'land-use',
  Subsidies = 'subsidies',
  Webhooks = 'webhooks',
}

/** Job defaults set once: bounded retries with backoff, bounded retention. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000 },
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600 },
} as const;

/**
 * A distribution's errors are retried for about 2¼ hours (2 s, 4 s, … 68 min) before the declaration is
 * marked failed: a PostgreSQL outage is waited out, a bug ends visible, to be resumed by an ADMIN.
 */
export const DISTRIBUTION_JOB_OPTIONS = { ...DEFAULT_JOB_OPTIONS, attempts: 13, backoff: { type: 'exponential', delay: 2000 } } as const;

/**
 * A day's scheduled run (the reconciler's job) waits out an outage the same way, about 2¼ hours: a
 * PostgreSQL restart at 01:00 must not cost the state-land run or the subsidy instalments their day.
 * A domain refusal is not retried (the processors throw it as unrecoverable).
 */
export const SCHEDULED_JOB_OPTIONS = { ...DEFAULT_JOB_OPTIONS, attempts: 13, backoff: { type: 'exponential', delay: 2000 } } as const;

/**
 * How often a job may be taken over from a dead worker, on every queue: effectively unbounded, since a
 * distribution resumes where its last chunk committed, the daily runs are idempotent, and a stalled job
 * must never end failed with money unpaid (BullMQ's default of 1 fails a job at a worker's second death).
 */
export const UNBOUNDED_STALLS = 1_000_000;

export const LedgerJob = {
  VerifyChain: 'verify-chain',
} as const;

export const DividendJob = {
  /** Distributes an approved declaration to its holders, chunk by chunk (resumable). */
  Distribute: 'distribute',
} as const;

export interface DistributeJobData {
  declarationId: string;
  /** The declaration's round when queued (absent in jobs queued before rounds existed). */
  round?: number;
}

/**
 * One job per declaration and round (+1 at each approval and each resume): adding it twice is a no-op
 * while it exists, and a finished job of an earlier round never blocks the next one. BullMQ refuses
 * integer-only custom ids, hence the prefix.
 */
export const dividendJobId = (declarationId: string, round: number): string => `dividend-${declarationId}-r${round}`;

/** A daily job queued by the reconciler: its schedule's name and the day it runs for (YYYY-MM-DD, China). */
export interface ScheduledJobData {
  schedule?: string;
  asOf?: string;
}

/** One job per schedule and day. */
export const scheduledJobId = (schedule: string, day: string): string => `${schedule}-${day}`;

export const WebhookJob = {
  /** Delivers a subscription's events past its cursor, in feed order (one job per subscription at a time). */
  Deliver: 'deliver',
} as const;

export interface WebhookJobData {
  subscriptionId: string;
}

/**
 * One job per subscription: while it exists (waiting, delayed for its back-off, active) adding it again
 * is a no-op, so a subscription never has two deliveries in flight; finished jobs are removed at once,
 * so the next add (the relay's nudge, the reconciler) makes a fresh one.
 */
export const webhookJobId = (subscriptionId: string): string => `webhook-${subscriptionId}`;

export const WEBHOOK_JOB_OPTIONS = { attempts: 1, removeOnComplete: true, removeOnFail: true } as const;
